//! Webin XML for registration: PROJECT_SET (the study), SAMPLE_SET and SUBMISSION, in the element
//! order of ENA's XSDs (`ENA.project.xsd`, `SRA.sample.xsd`, `SRA.submission.xsd`).
//!
//! quick-xml writes every element and attribute, so all text is escaped by the XML writer; the
//! checks here are the ones the XSDs make (lengths, `xs:int`) plus those ENA makes on arrival
//! (required texts present, aliases unique).

use std::io;

use chrono::NaiveDate;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::{EnaError, check_xml_chars};

/// A study, registered at ENA as a sequencing PROJECT (it gets a PRJEB and an ERP accession).
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// Submitter's unique name for the study; also written as its short NAME.
    pub alias: String,
    /// 20 to 250 characters.
    pub title: String,
    /// 20 to 4000 characters.
    pub description: String,
    /// Submitting centre; ENA fills in the Webin account's centre when absent.
    pub center_name: Option<String>,
    /// NCBI taxonomy id of the organism studied.
    pub taxon_id: u32,
    /// Scientific name of that organism.
    pub scientific_name: String,
}

/// A sample to register (it gets an ERS and a SAMEA BioSample accession).
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Submitter's unique name for the sample.
    pub alias: String,
    /// Short title.
    pub title: String,
    /// NCBI taxonomy id of the organism (2697049 for SARS-CoV-2).
    pub taxon_id: u32,
    /// Scientific name of the organism.
    pub scientific_name: String,
    /// SAMPLE_ATTRIBUTEs, usually from [`crate::checklist_attributes`].
    pub attributes: Vec<Attribute>,
}

/// One TAG/VALUE/UNITS triple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// Attribute name, e.g. `collection date`.
    pub tag: String,
    /// Its value.
    pub value: String,
    /// Units, e.g. `DD` for a latitude.
    pub units: Option<String>,
}

impl Attribute {
    /// A tag and value without units.
    pub fn new(tag: &str, value: &str) -> Attribute {
        Attribute { tag: tag.to_owned(), value: value.to_owned(), units: None }
    }
}

/// One ACTION of a SUBMISSION.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubmissionAction {
    /// Register the objects of the submitted files.
    Add,
    /// Update objects registered before (same aliases).
    Modify,
    /// Check everything as for Add/Modify, but register nothing.
    Validate,
    /// Keep the objects private until this date (ENA allows at most two years ahead).
    Hold {
        /// Release date.
        until: NaiveDate,
        /// Accession or alias of the one object concerned; all objects when `None`.
        target: Option<String>,
    },
    /// Make objects public now.
    Release {
        /// Accession or alias of the one object concerned; all objects when `None`.
        target: Option<String>,
    },
    /// Withdraw a private object.
    Cancel {
        /// Its accession.
        target: String,
    },
}

fn io_error(e: io::Error) -> EnaError {
    EnaError::Io { path: "(XML buffer)".to_owned(), message: e.to_string() }
}

fn new_writer() -> Result<Writer<Vec<u8>>, EnaError> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None))).map_err(io_error)?;
    Ok(writer)
}

fn finish(writer: Writer<Vec<u8>>) -> String {
    let mut text = String::from_utf8(writer.into_inner())
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    text.push('\n');
    text
}

/// Present and free of characters XML cannot carry.
fn required(record: &str, field: &str, value: &str) -> Result<(), EnaError> {
    if value.trim().is_empty() {
        return Err(EnaError::Missing { record: record.to_owned(), field: field.to_owned() });
    }
    check_xml_chars(record, field, value)
}

fn length(record: &str, field: &str, value: &str, min: usize, max: usize) -> Result<(), EnaError> {
    let len = value.chars().count();
    if !(min..=max).contains(&len) {
        return Err(EnaError::Length { record: record.to_owned(), field: field.to_owned(), len, min, max });
    }
    check_xml_chars(record, field, value)
}

/// TAXON_ID is an `xs:int` and ENA knows no taxon 0.
fn taxon(record: &str, taxon_id: u32) -> Result<String, EnaError> {
    if taxon_id == 0 || i32::try_from(taxon_id).is_err() {
        return Err(EnaError::InvalidValue {
            record: record.to_owned(),
            field: "taxon_id".to_owned(),
            value: taxon_id.to_string(),
            reason: "must be a positive NCBI taxonomy identifier below 2^31".to_owned(),
        });
    }
    Ok(taxon_id.to_string())
}

/// PROJECT_SET with one sequencing PROJECT for `study`.
///
/// Refuses a blank alias or scientific name, a TITLE outside 20–250 characters or a DESCRIPTION
/// outside 20–4000 characters (the XSD's limits), and characters XML cannot carry.
pub fn project_set_xml(study: &Study) -> Result<String, EnaError> {
    let record = study.alias.as_str();
    required(record, "alias", record)?;
    length(record, "TITLE", &study.title, 20, 250)?;
    length(record, "DESCRIPTION", &study.description, 20, 4000)?;
    required(record, "scientific_name", &study.scientific_name)?;
    let taxon_id = taxon(record, study.taxon_id)?;
    if let Some(center) = &study.center_name {
        required(record, "center_name", center)?;
    }

    let mut writer = new_writer()?;
    writer
        .create_element("PROJECT_SET")
        .write_inner_content(|w| {
            let mut project = w.create_element("PROJECT").with_attribute(("alias", record));
            if let Some(center) = &study.center_name {
                project = project.with_attribute(("center_name", center.as_str()));
            }
            project.write_inner_content(|w| {
                w.create_element("NAME").write_text_content(BytesText::new(record))?;
                w.create_element("TITLE").write_text_content(BytesText::new(&study.title))?;
                w.create_element("DESCRIPTION").write_text_content(BytesText::new(&study.description))?;
                w.create_element("SUBMISSION_PROJECT").write_inner_content(|w| {
                    w.create_element("SEQUENCING_PROJECT").write_empty()?;
                    w.create_element("ORGANISM").write_inner_content(|w| {
                        w.create_element("TAXON_ID").write_text_content(BytesText::new(&taxon_id))?;
                        w.create_element("SCIENTIFIC_NAME")
                            .write_text_content(BytesText::new(&study.scientific_name))?;
                        Ok(())
                    })?;
                    Ok(())
                })?;
                Ok(())
            })?;
            Ok(())
        })
        .map_err(io_error)?;
    Ok(finish(writer))
}

/// SAMPLE_SET with one SAMPLE per entry, attributes in the order given.
///
/// Refuses an empty list, a blank or repeated alias, a blank title, scientific name or tag, and
/// characters XML cannot carry. Attribute values are written as given: check them with
/// [`crate::checklist_attributes`] first.
pub fn sample_set_xml(samples: &[Sample]) -> Result<String, EnaError> {
    if samples.is_empty() {
        return Err(EnaError::Empty("SAMPLE_SET"));
    }
    for (i, sample) in samples.iter().enumerate() {
        let record = sample.alias.as_str();
        required(if record.trim().is_empty() { "(sample)" } else { record }, "alias", record)?;
        if samples[..i].iter().any(|s| s.alias == sample.alias) {
            return Err(EnaError::Duplicate { record: record.to_owned(), field: "alias".to_owned() });
        }
        required(record, "title", &sample.title)?;
        required(record, "scientific_name", &sample.scientific_name)?;
        taxon(record, sample.taxon_id)?;
        for attribute in &sample.attributes {
            required(record, "attribute tag", &attribute.tag)?;
            check_xml_chars(record, &attribute.tag, &attribute.value)?;
            if let Some(units) = &attribute.units {
                check_xml_chars(record, &attribute.tag, units)?;
            }
        }
    }

    let mut writer = new_writer()?;
    writer
        .create_element("SAMPLE_SET")
        .write_inner_content(|w| {
            for sample in samples {
                let taxon_id = sample.taxon_id.to_string();
                w.create_element("SAMPLE")
                    .with_attribute(("alias", sample.alias.as_str()))
                    .write_inner_content(|w| {
                        w.create_element("TITLE").write_text_content(BytesText::new(&sample.title))?;
                        w.create_element("SAMPLE_NAME").write_inner_content(|w| {
                            w.create_element("TAXON_ID").write_text_content(BytesText::new(&taxon_id))?;
                            w.create_element("SCIENTIFIC_NAME")
                                .write_text_content(BytesText::new(&sample.scientific_name))?;
                            Ok(())
                        })?;
                        if sample.attributes.is_empty() {
                            return Ok(());
                        }
                        w.create_element("SAMPLE_ATTRIBUTES").write_inner_content(|w| {
                            for attribute in &sample.attributes {
                                w.create_element("SAMPLE_ATTRIBUTE").write_inner_content(|w| {
                                    w.create_element("TAG")
                                        .write_text_content(BytesText::new(&attribute.tag))?;
                                    w.create_element("VALUE")
                                        .write_text_content(BytesText::new(&attribute.value))?;
                                    if let Some(units) = &attribute.units {
                                        w.create_element("UNITS")
                                            .write_text_content(BytesText::new(units))?;
                                    }
                                    Ok(())
                                })?;
                            }
                            Ok(())
                        })?;
                        Ok(())
                    })?;
            }
            Ok(())
        })
        .map_err(io_error)?;
    Ok(finish(writer))
}

/// SUBMISSION with these ACTIONs, in order (e.g. `[Add, Hold { … }]`).
///
/// Refuses an empty list, a blank target and characters XML cannot carry.
pub fn submission_xml(actions: &[SubmissionAction]) -> Result<String, EnaError> {
    if actions.is_empty() {
        return Err(EnaError::Empty("SUBMISSION"));
    }
    for action in actions {
        let target = match action {
            SubmissionAction::Hold { target: Some(t), .. }
            | SubmissionAction::Release { target: Some(t) } => t,
            SubmissionAction::Cancel { target } => target,
            _ => continue,
        };
        required("SUBMISSION", "target", target)?;
    }

    let mut writer = new_writer()?;
    writer
        .create_element("SUBMISSION")
        .write_inner_content(|w| {
            w.create_element("ACTIONS").write_inner_content(|w| {
                for action in actions {
                    w.create_element("ACTION").write_inner_content(|w| {
                        match action {
                            SubmissionAction::Add => w.create_element("ADD").write_empty()?,
                            SubmissionAction::Modify => w.create_element("MODIFY").write_empty()?,
                            SubmissionAction::Validate => w.create_element("VALIDATE").write_empty()?,
                            SubmissionAction::Hold { until, target } => {
                                let date = until.format("%Y-%m-%d").to_string();
                                let mut hold = w.create_element("HOLD");
                                if let Some(target) = target {
                                    hold = hold.with_attribute(("target", target.as_str()));
                                }
                                hold.with_attribute(("HoldUntilDate", date.as_str())).write_empty()?
                            }
                            SubmissionAction::Release { target } => {
                                let mut release = w.create_element("RELEASE");
                                if let Some(target) = target {
                                    release = release.with_attribute(("target", target.as_str()));
                                }
                                release.write_empty()?
                            }
                            SubmissionAction::Cancel { target } => w
                                .create_element("CANCEL")
                                .with_attribute(("target", target.as_str()))
                                .write_empty()?,
                        };
                        Ok(())
                    })?;
                }
                Ok(())
            })?;
            Ok(())
        })
        .map_err(io_error)?;
    Ok(finish(writer))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn study() -> Study {
        Study {
            alias: "virion-study".to_owned(),
            title: "SARS-CoV-2 genomic surveillance".to_owned(),
            description: "Consensus genomes from routine surveillance.".to_owned(),
            center_name: None,
            taxon_id: 2697049,
            scientific_name: "Severe acute respiratory syndrome coronavirus 2".to_owned(),
        }
    }

    #[test]
    fn project_lengths_and_order() {
        let xml = project_set_xml(&study()).unwrap();
        let order = [
            "<NAME>",
            "<TITLE>",
            "<DESCRIPTION>",
            "<SUBMISSION_PROJECT>",
            "<SEQUENCING_PROJECT/>",
            "<ORGANISM>",
        ];
        let positions: Vec<usize> =
            order.iter().map(|t| xml.find(t).unwrap_or_else(|| panic!("{t}"))).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{xml}");
        let short = Study { title: "Too short".to_owned(), ..study() };
        assert_eq!(
            project_set_xml(&short),
            Err(EnaError::Length {
                record: "virion-study".into(),
                field: "TITLE".into(),
                len: 9,
                min: 20,
                max: 250
            })
        );
        let long = Study { description: "é".repeat(4001), ..study() };
        assert!(matches!(project_set_xml(&long), Err(EnaError::Length { len: 4001, .. })));
        // Characters, not bytes: 4000 two-byte characters fit.
        project_set_xml(&Study { description: "é".repeat(4000), ..study() }).unwrap();
        assert!(matches!(
            project_set_xml(&Study { taxon_id: 0, ..study() }),
            Err(EnaError::InvalidValue { .. })
        ));
    }

    #[test]
    fn escaping_is_done_by_the_writer() {
        let xml = project_set_xml(&Study {
            alias: "a\"b&c<d>".into(),
            title: "R&D <surveillance> \"x\" ünïcode".into(),
            ..study()
        })
        .unwrap();
        assert!(xml.contains("alias=\"a&quot;b&amp;c&lt;d&gt;\""), "{xml}");
        assert!(xml.contains("<TITLE>R&amp;D &lt;surveillance&gt; &quot;x&quot; ünïcode</TITLE>"), "{xml}");
    }

    #[test]
    fn submission_actions() {
        let until = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        let xml =
            submission_xml(&[SubmissionAction::Add, SubmissionAction::Hold { until, target: None }]).unwrap();
        assert!(xml.contains("<ACTION>\n      <ADD/>\n    </ACTION>"), "{xml}");
        assert!(xml.contains("<HOLD HoldUntilDate=\"2027-01-01\"/>"), "{xml}");
        assert_eq!(submission_xml(&[]), Err(EnaError::Empty("SUBMISSION")));
        let blank = SubmissionAction::Cancel { target: " ".into() };
        assert!(matches!(submission_xml(&[blank]), Err(EnaError::Missing { .. })));
    }
}
