//! ENA's RECEIPT XML (`SRA.receipt.xsd`), the answer to a Webin XML submission and to a
//! Webin-CLI genome submission: success, the accessions of every object, and ENA's messages.
//!
//! Read with quick-xml's pull reader: input is bounded ([`MAX_RECEIPT_BYTES`]), elements the
//! schema does not define are skipped, DTD entities are never expanded, and every error names the
//! line and the element.

use quick_xml::Reader;
use quick_xml::XmlVersion;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesStart, Event};

/// Largest receipt accepted; ENA's are a few kilobytes.
pub const MAX_RECEIPT_BYTES: usize = 64 * 1024 * 1024;
/// Deepest element nesting accepted; the schema needs 3.
const MAX_DEPTH: usize = 64;

/// The object kinds a receipt reports, by element name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // The names are the XSD's elements.
pub enum ObjectKind {
    Analysis,
    Experiment,
    Run,
    Sample,
    SampleGroup,
    Study,
    Dac,
    Policy,
    Dataset,
    Project,
    Checklist,
    Submission,
}

impl ObjectKind {
    fn from_element(name: &str) -> Option<ObjectKind> {
        Some(match name {
            "ANALYSIS" => ObjectKind::Analysis,
            "EXPERIMENT" => ObjectKind::Experiment,
            "RUN" => ObjectKind::Run,
            "SAMPLE" => ObjectKind::Sample,
            "SAMPLEGROUP" => ObjectKind::SampleGroup,
            "STUDY" => ObjectKind::Study,
            "DAC" => ObjectKind::Dac,
            "POLICY" => ObjectKind::Policy,
            "DATASET" => ObjectKind::Dataset,
            "PROJECT" => ObjectKind::Project,
            "CHECKLIST" => ObjectKind::Checklist,
            "SUBMISSION" => ObjectKind::Submission,
            _ => return None,
        })
    }
}

/// A parsed RECEIPT.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Receipt {
    /// `success`: false when ENA refused the submission (see [`Receipt::errors`]).
    pub success: bool,
    /// `receiptDate`, as ENA wrote it (`xs:dateTime`).
    pub receipt_date: String,
    /// `submissionFile`.
    pub submission_file: String,
    /// Every object, in document order.
    pub objects: Vec<ReceiptObject>,
    /// MESSAGES/ERROR texts.
    pub errors: Vec<String>,
    /// MESSAGES/INFO texts.
    pub infos: Vec<String>,
    /// MESSAGES/WARNING texts (not in the XSD, but ENA's services send them).
    pub warnings: Vec<String>,
    /// ACTIONS performed (`ADD`, `MODIFY`, …).
    pub actions: Vec<String>,
}

/// One object of a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptObject {
    /// Its element (ANALYSIS, SAMPLE, …).
    pub kind: ObjectKind,
    /// The submitter's alias.
    pub alias: String,
    /// The accession ENA assigned (absent when the submission failed).
    pub accession: Option<String>,
    /// `status`, e.g. `PRIVATE`.
    pub status: Option<String>,
    /// `holdUntilDate`, as ENA wrote it.
    pub hold_until_date: Option<String>,
    /// Other identifiers, e.g. a sample's BioSample accession.
    pub ext_ids: Vec<ExtId>,
}

/// An EXT_ID of a receipt object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtId {
    /// The identifier, e.g. `SAMEA7654321`.
    pub accession: Option<String>,
    /// Its `type`, e.g. `biosample` or `study`.
    pub id_type: Option<String>,
}

impl Receipt {
    /// The object of this kind with this alias.
    pub fn object(&self, kind: ObjectKind, alias: &str) -> Option<&ReceiptObject> {
        self.objects.iter().find(|o| o.kind == kind && o.alias == alias)
    }

    /// The accession ENA gave the object of this kind with this alias.
    pub fn accession(&self, kind: ObjectKind, alias: &str) -> Option<&str> {
        self.object(kind, alias)?.accession.as_deref()
    }

    /// The ERZ accession of a Webin-CLI genome submission: Webin-CLI registers the assembly as
    /// an ANALYSIS with alias `webin-genome-<assembly name>`.
    pub fn genome_accession(&self, assembly_name: &str) -> Option<&str> {
        self.accession(ObjectKind::Analysis, &format!("webin-genome-{assembly_name}"))
    }
}

impl ReceiptObject {
    /// The first EXT_ID accession of this type (e.g. `biosample`, `study`).
    pub fn ext_id(&self, id_type: &str) -> Option<&str> {
        self.ext_ids.iter().find(|e| e.id_type.as_deref() == Some(id_type))?.accession.as_deref()
    }
}

/// Why a receipt could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReceiptError {
    /// Larger than [`MAX_RECEIPT_BYTES`].
    #[error("receipt of {len} bytes exceeds the {max}-byte limit")]
    TooLarge {
        /// Input size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not UTF-8.
    #[error("receipt is not UTF-8 (byte {offset})")]
    NotUtf8 {
        /// First invalid byte.
        offset: usize,
    },
    /// Not well-formed XML.
    #[error("receipt line {line}, in <{element}>: {message}")]
    Xml {
        /// 1-based line.
        line: usize,
        /// Innermost open element.
        element: String,
        /// The parser's message.
        message: String,
    },
    /// The document ends inside an element.
    #[error("receipt line {line}: truncated inside <{element}>")]
    Truncated {
        /// Last line.
        line: usize,
        /// Innermost open element.
        element: String,
    },
    /// The root element is not RECEIPT, or there is none.
    #[error("receipt line {line}: root element is <{found}>, not <RECEIPT>")]
    WrongRoot {
        /// 1-based line.
        line: usize,
        /// What was found (empty when the document has no element).
        found: String,
    },
    /// A required attribute is absent.
    #[error("receipt line {line}: <{element}> has no {attribute} attribute")]
    MissingAttribute {
        /// 1-based line.
        line: usize,
        /// Element.
        element: String,
        /// Attribute.
        attribute: &'static str,
    },
    /// An attribute value the schema does not allow.
    #[error("receipt line {line}: <{element}> {attribute}=\"{value}\" is invalid")]
    InvalidAttribute {
        /// 1-based line.
        line: usize,
        /// Element.
        element: String,
        /// Attribute.
        attribute: &'static str,
        /// Its value.
        value: String,
    },
    /// Nested deeper than any receipt.
    #[error("receipt line {line}: elements nested deeper than {MAX_DEPTH}")]
    TooDeep {
        /// 1-based line.
        line: usize,
    },
}

struct Parser<'a> {
    text: &'a str,
    reader: Reader<&'a [u8]>,
    stack: Vec<String>,
}

impl<'a> Parser<'a> {
    fn line_at(&self, offset: u64) -> usize {
        let end = usize::try_from(offset).unwrap_or(usize::MAX).min(self.text.len());
        1 + self.text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count()
    }

    fn line(&self) -> usize {
        self.line_at(self.reader.buffer_position())
    }

    fn element(&self) -> String {
        self.stack.last().cloned().unwrap_or_else(|| "(document)".to_owned())
    }

    fn xml_error(&self, message: impl ToString) -> ReceiptError {
        ReceiptError::Xml {
            line: self.line_at(self.reader.error_position().max(1) - 1),
            element: self.element(),
            message: message.to_string(),
        }
    }

    /// The element's attributes as (name, unescaped value).
    fn attributes(&self, start: &BytesStart<'_>) -> Result<Vec<(String, String)>, ReceiptError> {
        let mut out = Vec::new();
        for attribute in start.attributes() {
            let attribute = attribute.map_err(|e| self.xml_error(e))?;
            let value = attribute.normalized_value(XmlVersion::Implicit1_0).map_err(|e| self.xml_error(e))?;
            out.push((attribute.key.as_ref().to_owned(), value.into_owned()));
        }
        Ok(out)
    }
}

fn attribute(attributes: &[(String, String)], name: &str) -> Option<String> {
    attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Parses a RECEIPT document.
///
/// A receipt with `success="false"` parses: its ERROR messages are in [`Receipt::errors`] and the
/// caller decides. Refused: input over 64 MiB, non-UTF-8, malformed or truncated XML, another
/// root element, a missing `success`, `receiptDate`, `submissionFile` or object `alias`, and a
/// `success` that is not an `xs:boolean`.
pub fn parse_receipt(bytes: &[u8]) -> Result<Receipt, ReceiptError> {
    if bytes.len() > MAX_RECEIPT_BYTES {
        return Err(ReceiptError::TooLarge { len: bytes.len(), max: MAX_RECEIPT_BYTES });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| ReceiptError::NotUtf8 { offset: e.valid_up_to() })?;
    let mut p = Parser { text, reader: Reader::from_reader(text.as_bytes()), stack: Vec::new() };
    let mut receipt = Receipt::default();
    let mut seen_root = false;
    // Text of the current ERROR/INFO/WARNING/ACTIONS element.
    let mut text_buf: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let event = p.reader.read_event_into(&mut buf).map_err(|e| p.xml_error(e))?;
        match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                let empty = matches!(event, Event::Empty(_));
                let name = start.name().as_ref().to_owned();
                let line = p.line();
                if !seen_root {
                    if name != "RECEIPT" {
                        return Err(ReceiptError::WrongRoot { line, found: name });
                    }
                    seen_root = true;
                    let attrs = p.attributes(start)?;
                    let required = |wanted: &'static str| {
                        attribute(&attrs, wanted).ok_or(ReceiptError::MissingAttribute {
                            line,
                            element: name.clone(),
                            attribute: wanted,
                        })
                    };
                    let success = required("success")?;
                    receipt.success = match success.trim() {
                        "true" | "1" => true,
                        "false" | "0" => false,
                        _ => {
                            return Err(ReceiptError::InvalidAttribute {
                                line,
                                element: name,
                                attribute: "success",
                                value: success,
                            });
                        }
                    };
                    receipt.receipt_date = required("receiptDate")?;
                    receipt.submission_file = required("submissionFile")?;
                } else if p.stack.is_empty() {
                    // A second top-level element: quick-xml reports it as ill-formed only later.
                    return Err(ReceiptError::Xml {
                        line,
                        element: name,
                        message: "more than one root element".into(),
                    });
                } else {
                    let parent = p.stack.last().map(String::as_str).unwrap_or_default();
                    let grandparent = p.stack.len().checked_sub(2).map(|i| p.stack[i].as_str());
                    match (p.stack.len(), parent, name.as_str()) {
                        (1, _, element) if ObjectKind::from_element(element).is_some() => {
                            let attrs = p.attributes(start)?;
                            let alias = attribute(&attrs, "alias").ok_or(ReceiptError::MissingAttribute {
                                line,
                                element: name.clone(),
                                attribute: "alias",
                            })?;
                            receipt.objects.push(ReceiptObject {
                                kind: ObjectKind::from_element(element).unwrap_or(ObjectKind::Submission),
                                alias,
                                accession: attribute(&attrs, "accession").filter(|a| !a.is_empty()),
                                status: attribute(&attrs, "status"),
                                hold_until_date: attribute(&attrs, "holdUntilDate"),
                                ext_ids: Vec::new(),
                            });
                        }
                        (2, _, "EXT_ID") if grandparent == Some("RECEIPT") => {
                            let attrs = p.attributes(start)?;
                            if let (Some(object), true) =
                                (receipt.objects.last_mut(), ObjectKind::from_element(parent).is_some())
                            {
                                object.ext_ids.push(ExtId {
                                    accession: attribute(&attrs, "accession"),
                                    id_type: attribute(&attrs, "type"),
                                });
                            }
                        }
                        (1, _, "ACTIONS") | (2, "MESSAGES", "ERROR" | "INFO" | "WARNING") => {
                            text_buf = Some(String::new());
                        }
                        _ => {}
                    }
                }
                if empty {
                    finish_text(&mut receipt, &p.stack, &name, text_buf.take());
                } else {
                    if p.stack.len() >= MAX_DEPTH {
                        return Err(ReceiptError::TooDeep { line });
                    }
                    p.stack.push(name);
                }
            }
            Event::End(_) => {
                let name = p.stack.pop().unwrap_or_default();
                finish_text(&mut receipt, &p.stack, &name, text_buf.take());
            }
            Event::Text(t) => {
                if let Some(buf) = text_buf.as_mut() {
                    buf.push_str(&t.xml10_content());
                } else if !t.trim().is_empty() && p.stack.is_empty() {
                    return Err(p.xml_error("text outside the root element"));
                }
            }
            Event::CData(t) => {
                if let Some(buf) = text_buf.as_mut() {
                    buf.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().map_err(|e| p.xml_error(e))?.map(String::from)
                } else {
                    resolve_predefined_entity(&r).map(str::to_owned)
                };
                let resolved = resolved.ok_or_else(|| p.xml_error(format!("unknown entity &{};", &*r)))?;
                if let Some(buf) = text_buf.as_mut() {
                    buf.push_str(&resolved);
                }
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(element) = p.stack.last() {
        return Err(ReceiptError::Truncated { line: p.line(), element: element.clone() });
    }
    if !seen_root {
        return Err(ReceiptError::WrongRoot { line: p.line(), found: String::new() });
    }
    Ok(receipt)
}

/// Stores the text collected for an ERROR, INFO, WARNING or ACTIONS element that just closed.
fn finish_text(receipt: &mut Receipt, stack: &[String], name: &str, text: Option<String>) {
    let Some(text) = text else { return };
    let text = text.trim().to_owned();
    match (stack.last().map(String::as_str), name) {
        (Some("RECEIPT"), "ACTIONS") => receipt.actions.push(text),
        (Some("MESSAGES"), "ERROR") => receipt.errors.push(text),
        (Some("MESSAGES"), "INFO") => receipt.infos.push(text),
        (Some("MESSAGES"), "WARNING") => receipt.warnings.push(text),
        _ => {}
    }
}
