//! Every format of one realistic collection, field by field, and of its next version.

use chrono::{NaiveDate, TimeZone, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;
use serde_json::Value;
use virion_cite::{
    Author, BIOSCHEMAS_DATASET_PROFILE, CitableCollection, Citation, CiteError, DATACITE_XMLNS, DateRange,
    DoiEvent, DoiRequest, Download, Licence, Member, MemberTerms, Node, Organism,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
}

const TITLE: &str = "SARS-CoV-2 in Zürich: 100% of B.1.1.7 & #cases_{2021} at $5~^ \\ cost";

/// 3 authors (one with ORCID, non-ASCII names, LaTeX specials), 1234 members of which 200 are
/// restricted.
fn collection() -> CitableCollection {
    let members = (0..1234)
        .map(|i| Member {
            accession_version: format!("PP_{i:06}.{}", 1 + i % 3),
            terms: if i < 200 {
                MemberTerms::Restricted { until: day(2026, 1 + (i % 6) as u32, 15) }
            } else {
                MemberTerms::Open
            },
        })
        .collect();
    CitableCollection {
        id: "c7f3a9".into(),
        version: 1,
        title: TITLE.into(),
        description: "Genomes from the\r\nwinter wave.\n\n\n\nAll lineages \u{0}included.".into(),
        authors: vec![
            Author {
                name: "Müller-Lüdenscheidt, Anna_Maria".into(),
                orcid: Some("https://orcid.org/0000-0002-1825-0097".into()),
            },
            Author { name: "O'Brien, Seán {Jr}".into(), orcid: None },
            Author { name: "Ana María López & Team".into(), orcid: None },
        ],
        members,
        created: Utc.with_ymd_and_hms(2025, 3, 14, 9, 26, 53).single().expect("valid time"),
        updated: None,
        node: Node {
            name: "Virion Europe".into(),
            url: "https://virion.example.org/".into(),
            publisher: "European Virion Consortium".into(),
            publisher_ror: Some("https://ror.org/02catss52".into()),
            open_licence: Licence::cc_by_4(),
            restricted_terms: Licence {
                name: "Virion restricted use terms".into(),
                url: "https://virion.example.org/about/terms#restricted".into(),
                spdx: None,
            },
        },
        doi: None,
        previous_version_doi: None,
        organisms: vec![Organism {
            name: "Severe acute respiratory syndrome coronavirus 2".into(),
            taxon_id: 2697049,
        }],
        collection_dates: Some(DateRange { start: day(2020, 11, 1), end: day(2021, 2, 28) }),
        countries: vec!["Switzerland".into(), "Côte d'Ivoire".into(), "Switzerland".into()],
        keywords: vec!["genomic surveillance".into(), "B.1.1.7".into()],
        downloads: vec![
            Download {
                name: "Sequences (FASTA)".into(),
                url: "https://virion.example.org/collections/c7f3a9.1/sequences.fasta?compress=gz&x=1".into(),
                media_type: "text/x-fasta".into(),
            },
            Download {
                name: "Metadata".into(),
                url: "https://virion.example.org/collections/c7f3a9.1/metadata.tsv".into(),
                media_type: "text/tab-separated-values".into(),
            },
        ],
    }
}

fn minted() -> Citation {
    let mut c = collection();
    c.doi = Some("10.5072/virion.c7f3a9.1".into());
    Citation::new(c).expect("valid collection")
}

fn version_two() -> Citation {
    let mut c = collection();
    c.version = 2;
    c.previous_version_doi = Some("https://doi.org/10.5072/virion.c7f3a9.1".into());
    c.updated = Some(Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).single().expect("valid time"));
    Citation::new(c).expect("valid collection")
}

#[test]
fn text_citation() {
    let cit = minted();
    assert_eq!(
        cit.text(),
        format!(
            "Müller-Lüdenscheidt, Anna_Maria; O'Brien, Seán {{Jr}}; Ana María López & Team (2025). {TITLE}. \
             Version 1. European Virion Consortium. Dataset of 1234 sequences. \
             https://doi.org/10.5072/virion.c7f3a9.1"
        )
    );
    let unminted = Citation::new(collection()).expect("valid collection");
    assert!(
        unminted.text().ends_with(" https://virion.example.org/collections/c7f3a9.1"),
        "{}",
        unminted.text()
    );
}

/// The fields of a BibTeX entry, parsed with BibTeX's own rule: a value is a brace-balanced
/// group, and an escaped brace counts like any other.
fn parse_bibtex(entry: &str) -> (String, String, Vec<(String, String)>) {
    let at = entry.find('@').expect("entry type");
    let open = entry.find('{').expect("entry opening brace");
    let kind = entry[at + 1..open].to_owned();
    let comma = entry.find(",\n").expect("key end");
    let key = entry[open + 1..comma].to_owned();
    let body = entry.as_bytes();
    let (mut i, mut fields) = (comma + 1, Vec::new());
    loop {
        while i < body.len() && (body[i] as char).is_whitespace() {
            i += 1;
        }
        if body[i] == b'}' {
            assert_eq!(entry[i + 1..].trim(), "", "text after the entry");
            break;
        }
        let eq = i + entry[i..].find('=').expect("field =");
        let name = entry[i..eq].trim().to_owned();
        let mut j = eq + 1;
        while body[j] == b' ' {
            j += 1;
        }
        assert_eq!(body[j], b'{', "field {name} not braced");
        let (start, mut depth) = (j, 0i32);
        loop {
            match body[j] {
                b'{' => depth += 1,
                b'}' => depth -= 1,
                _ => {}
            }
            j += 1;
            if depth == 0 {
                break;
            }
            assert!(j < body.len(), "unbalanced braces in {name}");
        }
        fields.push((name, entry[start + 1..j - 1].to_owned()));
        assert_eq!(body[j], b',', "comma after field");
        i = j + 1;
    }
    (kind, key, fields)
}

#[test]
fn bibtex_entry() {
    let cit = minted();
    let bib = cit.bibtex();
    let depth = bib.chars().fold(0i32, |d, ch| {
        let d = d + i32::from(ch == '{') - i32::from(ch == '}');
        assert!(d >= 0, "closing brace before its opening one:\n{bib}");
        d
    });
    assert_eq!(depth, 0, "unbalanced:\n{bib}");
    let (kind, key, fields) = parse_bibtex(&bib);
    assert_eq!(kind, "misc");
    assert_eq!(key, "virioneurope_c7f3a9_v1");
    let get = |n: &str| {
        fields.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(
        get("author"),
        r"Müller-Lüdenscheidt, Anna\_Maria and O'Brien, Seán \textbraceleft{}Jr\textbraceright{} and {Ana María López \& Team}"
    );
    assert_eq!(
        get("title"),
        r"{SARS-CoV-2 in Zürich: 100\% of B.1.1.7 \& \#cases\_\textbraceleft{}2021\textbraceright{} at \$5\textasciitilde{}\textasciicircum{} \textbackslash{} cost}"
    );
    assert_eq!(get("year"), "2025");
    assert_eq!(get("date"), "2025-03-14");
    assert_eq!(get("version"), "1");
    assert_eq!(get("publisher"), "European Virion Consortium");
    assert_eq!(get("doi"), "10.5072/virion.c7f3a9.1");
    assert_eq!(get("url"), "https://virion.example.org/collections/c7f3a9.1");
    assert_eq!(
        get("keywords"),
        "genomic surveillance, B.1.1.7, Severe acute respiratory syndrome coronavirus 2"
    );
    assert_eq!(get("abstract"), "Genomes from the winter wave. All lineages included.");
    let note = get("note");
    assert!(
        note.starts_with("Dataset of 1234 sequences. 1034 of 1234 sequences under Creative Commons"),
        "{note}"
    );
    assert!(note.contains("200 under Virion restricted use terms until at most 2026-06-15"), "{note}");
    // No unescaped special character survives in any escaped field.
    for (name, value) in &fields {
        if name == "url" || name == "doi" {
            continue;
        }
        let v = value.replace("\\textbraceleft{}", "").replace("\\textbraceright{}", "");
        let v = [
            "\\textasciitilde{}",
            "\\textasciicircum{}",
            "\\textbackslash{}",
            "\\%",
            "\\&",
            "\\#",
            "\\_",
            "\\$",
        ]
        .iter()
        .fold(v, |v, esc| v.replace(esc, ""));
        assert!(!v.contains(['%', '&', '#', '_', '$', '~', '^', '\\']), "{name}: {value}");
    }
}

#[test]
fn ris_record() {
    let cit = minted();
    let ris = cit.ris();
    assert!(ris.ends_with("ER  - \r\n"));
    let lines: Vec<&str> = ris.strip_suffix("\r\n").expect("CRLF end").split("\r\n").collect();
    for line in &lines {
        let b = line.as_bytes();
        assert!(b.len() >= 6 && &b[2..6] == b"  - ", "bad RIS line {line:?}");
        assert!(b[..2].iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()), "bad tag {line:?}");
        assert!(!line.contains(['\n', '\r']));
    }
    let tags: Vec<(&str, &str)> = lines.iter().map(|l| (&l[..2], &l[6..])).collect();
    assert_eq!(tags.first(), Some(&("TY", "DATA")));
    assert_eq!(tags.last(), Some(&("ER", "")));
    let all = |t: &str| tags.iter().filter(|(k, _)| *k == t).map(|(_, v)| *v).collect::<Vec<_>>();
    assert_eq!(
        all("AU"),
        ["Müller-Lüdenscheidt, Anna_Maria", "O'Brien, Seán {Jr}", "Ana María López & Team"]
    );
    assert_eq!(all("TI"), [TITLE]);
    assert_eq!(all("PY"), ["2025"]);
    assert_eq!(all("DA"), ["2025/03/14/"]);
    assert_eq!(all("PB"), ["European Virion Consortium"]);
    assert_eq!(all("ET"), ["1"]);
    assert_eq!(all("UR"), ["https://virion.example.org/collections/c7f3a9.1"]);
    assert_eq!(all("DO"), ["10.5072/virion.c7f3a9.1"]);
    assert_eq!(all("AB"), ["Genomes from the winter wave. All lineages included."]);
    assert_eq!(
        all("KW"),
        ["genomic surveillance", "B.1.1.7", "Severe acute respiratory syndrome coronavirus 2"]
    );
    assert!(all("N1")[0].starts_with("Dataset of 1234 sequences."));
}

/// One XML element as read back: name, attributes, text, children.
#[derive(Debug, Default)]
struct El {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<El>,
}

impl El {
    fn child(&self, name: &str) -> &El {
        self.children
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no <{name}> in <{}>", self.name))
    }
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    fn texts(&self, child: &str) -> Vec<&str> {
        self.children.iter().filter(|c| c.name == child).map(|c| c.text.as_str()).collect()
    }
}

/// Parses with quick-xml, failing on any well-formedness error (mismatched end tags included).
fn parse_xml(xml: &str) -> El {
    let mut reader = Reader::from_str(xml);
    // Not trimmed: trimming would eat the spaces around an entity reference ("López &amp; Team").
    let mut stack = vec![El::default()];
    let element = |e: &quick_xml::events::BytesStart| El {
        name: e.name().as_ref().to_owned(),
        attrs: e
            .attributes()
            .map(|a| {
                let a = a.expect("well-formed attribute");
                (
                    a.key.as_ref().to_owned(),
                    a.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                        .expect("attribute value")
                        .into_owned(),
                )
            })
            .collect(),
        ..El::default()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(element(&e)),
            Event::Empty(e) => {
                let el = element(&e);
                stack.last_mut().expect("open element").children.push(el);
            }
            Event::End(_) => {
                let done = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(done);
            }
            Event::Text(t) => stack.last_mut().expect("open element").text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref().expect("char ref") {
                    Some(ch) => ch.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .expect("predefined entity")
                        .to_owned(),
                };
                stack.last_mut().expect("open element").text.push_str(&ch);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut root = stack.pop().expect("document");
    assert_eq!(root.children.len(), 1, "one root element");
    root.children.pop().expect("root")
}

#[test]
fn datacite_xml_record() {
    let cit = minted();
    let xml = cit.datacite_xml();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
    let r = parse_xml(&xml);
    assert_eq!(r.name, "resource");
    assert_eq!(r.attr("xmlns"), Some(DATACITE_XMLNS));
    let order: Vec<&str> = r.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        order,
        [
            "identifier",
            "creators",
            "titles",
            "publisher",
            "publicationYear",
            "resourceType",
            "subjects",
            "dates",
            "alternateIdentifiers",
            "sizes",
            "formats",
            "version",
            "rightsList",
            "descriptions",
            "geoLocations",
        ]
    );
    let id = r.child("identifier");
    assert_eq!((id.attr("identifierType"), id.text.as_str()), (Some("DOI"), "10.5072/virion.c7f3a9.1"));
    let creators = &r.child("creators").children;
    assert_eq!(creators.len(), 3);
    let first: Vec<&str> = creators[0].children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(first, ["creatorName", "givenName", "familyName", "nameIdentifier"], "schema's sequence");
    assert_eq!(creators[0].child("creatorName").text, "Müller-Lüdenscheidt, Anna_Maria");
    assert_eq!(creators[0].child("creatorName").attr("nameType"), Some("Personal"));
    assert_eq!(creators[0].child("familyName").text, "Müller-Lüdenscheidt");
    assert_eq!(creators[0].child("givenName").text, "Anna_Maria");
    let orcid = creators[0].child("nameIdentifier");
    assert_eq!(
        (orcid.attr("nameIdentifierScheme"), orcid.text.as_str()),
        (Some("ORCID"), "0000-0002-1825-0097")
    );
    assert_eq!(creators[1].child("givenName").text, "Seán {Jr}");
    assert_eq!(creators[2].children.len(), 1, "free-text name is not split");
    assert_eq!(creators[2].child("creatorName").text, "Ana María López & Team");
    assert_eq!(r.child("titles").texts("title"), [TITLE]);
    let publisher = r.child("publisher");
    assert_eq!(publisher.text, "European Virion Consortium");
    assert_eq!(publisher.attr("publisherIdentifierScheme"), Some("ROR"));
    assert_eq!(r.child("publicationYear").text, "2025");
    assert_eq!(r.child("resourceType").attr("resourceTypeGeneral"), Some("Dataset"));
    let subjects = &r.child("subjects").children;
    assert_eq!(
        subjects.iter().map(|s| s.text.as_str()).collect::<Vec<_>>()[..2],
        ["genomic surveillance", "B.1.1.7"]
    );
    assert_eq!(subjects[2].attr("subjectScheme"), Some("NCBI Taxonomy"));
    assert!(subjects[2].attr("valueURI").is_some_and(|v| v.ends_with("?id=2697049")));
    let dates: Vec<(Option<&str>, &str)> =
        r.child("dates").children.iter().map(|d| (d.attr("dateType"), d.text.as_str())).collect();
    assert_eq!(dates, [(Some("Created"), "2025-03-14"), (Some("Collected"), "2020-11-01/2021-02-28")]);
    let alt = r.child("alternateIdentifiers").child("alternateIdentifier");
    assert_eq!(alt.attr("alternateIdentifierType"), Some("URL"));
    assert_eq!(alt.text, "https://virion.example.org/collections/c7f3a9.1");
    assert_eq!(r.child("sizes").texts("size"), ["1234 sequences"]);
    assert_eq!(r.child("formats").texts("format"), ["text/x-fasta", "text/tab-separated-values"]);
    assert_eq!(r.child("version").text, "1");
    let rights = &r.child("rightsList").children;
    assert_eq!(rights.len(), 2, "open and restricted members");
    assert_eq!(rights[0].attr("rightsIdentifier"), Some("CC-BY-4.0"));
    assert_eq!(rights[0].attr("rightsIdentifierScheme"), Some("SPDX"));
    assert_eq!(rights[1].attr("rightsURI"), Some("https://virion.example.org/about/terms#restricted"));
    assert!(
        rights[1].text.contains("until at most 2026-06-15, for 200 of the sequences"),
        "{}",
        rights[1].text
    );
    let descriptions = &r.child("descriptions").children;
    assert_eq!(descriptions[0].attr("descriptionType"), Some("Abstract"));
    assert_eq!(descriptions[0].text, "Genomes from the\nwinter wave.\n\nAll lineages included.");
    let places: Vec<&str> =
        r.child("geoLocations").children.iter().map(|g| g.child("geoLocationPlace").text.as_str()).collect();
    assert_eq!(places, ["Switzerland", "Côte d'Ivoire"], "deduplicated");
    // The ampersand in a download URL reaches neither XML unescaped.
    assert!(!xml.contains("& "));
}

#[test]
fn unminted_datacite_has_no_identifier_and_needs_prefix() {
    let cit = Citation::new(collection()).expect("valid collection");
    let r = parse_xml(&cit.datacite_xml());
    assert!(r.children.iter().all(|c| c.name != "identifier"));
    assert_eq!(r.children[0].name, "creators");
    assert_eq!(
        cit.datacite_json(&DoiRequest::default()),
        Err(CiteError::NeedsPrefix { collection: "c7f3a9".into() })
    );
    let bad = DoiRequest { prefix: Some("10.50x".into()), event: DoiEvent::Draft };
    assert!(matches!(cit.datacite_json(&bad), Err(CiteError::BadPrefix { .. })));
    let body = cit
        .datacite_json(&DoiRequest { prefix: Some("10.5072".into()), event: DoiEvent::Draft })
        .expect("body");
    let a = &body["data"]["attributes"];
    assert_eq!(body["data"]["type"], "dois");
    assert_eq!(a["prefix"], "10.5072");
    assert!(a.get("doi").is_none() && a.get("event").is_none(), "a draft with a generated suffix");
}

#[test]
fn datacite_json_matches_xml() {
    let cit = minted();
    let body = cit
        .datacite_json(&DoiRequest { prefix: Some("10.9999".into()), event: DoiEvent::Publish })
        .expect("body");
    let text = serde_json::to_string(&body).expect("serialises");
    let body: Value = serde_json::from_str(&text).expect("parses back");
    let a = &body["data"]["attributes"];
    assert_eq!(a["doi"], "10.5072/virion.c7f3a9.1");
    assert!(a.get("prefix").is_none(), "the DOI wins over the prefix");
    assert_eq!(a["event"], "publish");
    assert_eq!(a["url"], "https://virion.example.org/collections/c7f3a9.1");
    assert_eq!(a["types"]["resourceTypeGeneral"], "Dataset");
    assert_eq!(a["creators"][0]["familyName"], "Müller-Lüdenscheidt");
    assert_eq!(
        a["creators"][0]["nameIdentifiers"][0]["nameIdentifier"],
        "https://orcid.org/0000-0002-1825-0097"
    );
    assert_eq!(a["creators"][2]["name"], "Ana María López & Team");
    assert!(a["creators"][2].get("familyName").is_none());
    assert_eq!(a["titles"][0]["title"], TITLE);
    assert_eq!(a["publisher"]["name"], "European Virion Consortium");
    assert_eq!(a["publicationYear"], 2025);
    assert_eq!(a["subjects"][2]["subjectScheme"], "NCBI Taxonomy");
    assert_eq!(a["dates"][1], serde_json::json!({"date": "2020-11-01/2021-02-28", "dateType": "Collected"}));
    assert_eq!(a["sizes"][0], "1234 sequences");
    assert_eq!(a["version"], "1");
    assert_eq!(a["rightsList"][0]["rightsIdentifier"], "CC-BY-4.0");
    assert_eq!(a["rightsList"].as_array().map(Vec::len), Some(2));
    assert_eq!(a["descriptions"][0]["descriptionType"], "Abstract");
    assert_eq!(a["geoLocations"][1]["geoLocationPlace"], "Côte d'Ivoire");
    assert_eq!(a["relatedIdentifiers"], serde_json::json!([]));
    assert_eq!(a["schemaVersion"], DATACITE_XMLNS);
}

#[test]
fn bioschemas_dataset() {
    let cit = minted();
    let text = serde_json::to_string_pretty(&cit.bioschemas_jsonld()).expect("serialises");
    let d: Value = serde_json::from_str(&text).expect("parses back");
    for required in
        ["@context", "@type", "@id", "name", "description", "identifier", "keywords", "license", "url"]
    {
        assert!(d.get(required).is_some_and(|v| !v.is_null()), "missing {required}");
    }
    assert_eq!(d["@context"]["@vocab"], "https://schema.org/");
    assert_eq!(d["@type"], "Dataset");
    assert_eq!(d["dct:conformsTo"]["@id"], BIOSCHEMAS_DATASET_PROFILE);
    assert_eq!(d["@id"], "https://doi.org/10.5072/virion.c7f3a9.1");
    assert_eq!(d["identifier"], d["@id"]);
    assert_eq!(d["url"], "https://virion.example.org/collections/c7f3a9.1");
    assert_eq!(d["name"], TITLE);
    assert_eq!(d["keywords"][2], "Severe acute respiratory syndrome coronavirus 2");
    assert_eq!(
        d["license"],
        serde_json::json!([
            "https://creativecommons.org/licenses/by/4.0/legalcode",
            "https://virion.example.org/about/terms#restricted"
        ])
    );
    assert_eq!(d["creator"][0]["@id"], "https://orcid.org/0000-0002-1825-0097");
    assert_eq!(d["creator"][1]["givenName"], "Seán {Jr}");
    assert_eq!(d["creator"][2]["name"], "Ana María López & Team");
    assert_eq!(d["version"], "1");
    assert_eq!(d["dateCreated"], "2025-03-14");
    assert_eq!(d["dateModified"], "2025-03-14");
    assert_eq!(d["distribution"][0]["@type"], "DataDownload");
    assert_eq!(d["distribution"][0]["encodingFormat"], "text/x-fasta");
    assert!(d["distribution"][0]["contentUrl"].as_str().is_some_and(|u| u.ends_with("?compress=gz&x=1")));
    assert_eq!(d["includedInDataCatalog"]["@type"], "DataCatalog");
    assert_eq!(d["includedInDataCatalog"]["url"], "https://virion.example.org");
    assert_eq!(d["isAccessibleForFree"], true);
    assert_eq!(d["temporalCoverage"], "2020-11-01/2021-02-28");
    assert_eq!(d["spatialCoverage"][1]["name"], "Côte d'Ivoire");
    assert!(d.get("isBasedOn").is_none(), "version 1 has no predecessor");
}

#[test]
fn version_two_relates_to_version_one() {
    let cit = version_two();
    assert_eq!(cit.landing_url(), "https://virion.example.org/collections/c7f3a9.2");
    let r = parse_xml(&cit.datacite_xml());
    let rel = r.child("relatedIdentifiers").child("relatedIdentifier");
    assert_eq!(rel.attr("relationType"), Some("IsNewVersionOf"));
    assert_eq!(rel.attr("relatedIdentifierType"), Some("DOI"));
    assert_eq!(rel.text, "10.5072/virion.c7f3a9.1");
    assert_eq!(r.child("version").text, "2");
    let dates: Vec<Option<&str>> = r.child("dates").children.iter().map(|d| d.attr("dateType")).collect();
    assert_eq!(dates, [Some("Created"), Some("Updated"), Some("Collected")]);
    let body = cit
        .datacite_json(&DoiRequest { prefix: Some("10.5072".into()), event: DoiEvent::Register })
        .expect("body");
    let a = &body["data"]["attributes"];
    assert_eq!(a["event"], "register");
    assert_eq!(a["relatedIdentifiers"][0]["relationType"], "IsNewVersionOf");
    let ld = cit.bioschemas_jsonld();
    assert_eq!(ld["isBasedOn"], "https://doi.org/10.5072/virion.c7f3a9.1");
    assert_eq!(ld["dateModified"], "2025-04-01");
    assert_eq!(cit.bibtex_key(), "virioneurope_c7f3a9_v2");

    // Without the previous DOI the relation points at the previous landing page.
    let mut c = collection();
    c.version = 2;
    let cit = Citation::new(c).expect("valid collection");
    let rel =
        parse_xml(&cit.datacite_xml()).child("relatedIdentifiers").child("relatedIdentifier").text.clone();
    assert_eq!(rel, "https://virion.example.org/collections/c7f3a9.1");
}

#[test]
fn all_open_collection_has_one_licence() {
    let mut c = collection();
    for m in &mut c.members {
        m.terms = MemberTerms::Open;
    }
    let cit = Citation::new(c).expect("valid collection");
    assert_eq!(cit.bioschemas_jsonld()["license"], serde_json::json!([Licence::cc_by_4().url]));
    assert_eq!(parse_xml(&cit.datacite_xml()).child("rightsList").children.len(), 1);
    assert!(cit.ris().contains("N1  - Dataset of 1234 sequences. All 1234 sequences under Creative Commons"));
}

#[test]
fn bad_input_is_refused_with_the_field_named() {
    let check = |edit: &dyn Fn(&mut CitableCollection), expect: &dyn Fn(&CiteError) -> bool| {
        let mut c = collection();
        edit(&mut c);
        let err = Citation::new(c).expect_err("must be refused");
        assert!(expect(&err), "unexpected {err:?}");
        assert!(err.to_string().contains("c7f3a9") || matches!(err, CiteError::BadId(_)), "{err}");
    };
    check(&|c| c.id = "a b".into(), &|e| matches!(e, CiteError::BadId(_)));
    check(&|c| c.version = 0, &|e| matches!(e, CiteError::VersionZero { .. }));
    check(&|c| c.title = " \n\t".into(), &|e| matches!(e, CiteError::Empty { field: "title", .. }));
    check(&|c| c.authors.clear(), &|e| matches!(e, CiteError::Empty { field: "authors", .. }));
    check(&|c| c.authors[1].orcid = Some("0000-0002-1825-0098".into()), &|e| {
        matches!(e, CiteError::BadOrcid { author: 1, .. })
    });
    check(&|c| c.doi = Some("doi:11.1/x".into()), &|e| matches!(e, CiteError::BadDoi { field: "doi", .. }));
    check(&|c| c.previous_version_doi = Some("10.5072/x".into()), &|e| {
        matches!(e, CiteError::NoPreviousVersion { .. })
    });
    check(&|c| c.node.url = "ftp://x".into(), &|e| matches!(e, CiteError::BadUrl { field: "node url", .. }));
    check(&|c| c.downloads[0].url = "https://x/{a}".into(), &|e| matches!(e, CiteError::BadUrl { .. }));
    check(&|c| c.members[7].accession_version = "PP_7".into(), &|e| {
        matches!(e, CiteError::BadMember { index: 7, .. })
    });
    check(&|c| c.members[9].accession_version = c.members[3].accession_version.clone(), &|e| {
        matches!(e, CiteError::DuplicateMember { .. })
    });
    check(&|c| c.members.clear(), &|e| matches!(e, CiteError::Empty { field: "members", .. }));
    check(&|c| c.collection_dates = Some(DateRange { start: day(2021, 1, 2), end: day(2021, 1, 1) }), &|e| {
        matches!(e, CiteError::ReversedRange { .. })
    });
    check(&|c| c.keywords = vec!["k".into(); 501], &|e| {
        matches!(e, CiteError::TooLarge { field: "keywords", .. })
    });
}

#[test]
fn script_embedding_cannot_close_the_element() {
    let mut c = collection();
    c.title = "A </script><script>alert(1)</script> set".into();
    let cit = Citation::new(c).expect("valid collection");
    let script = cit.bioschemas_script();
    assert!(!script.contains('<'), "{script}");
    let back: Value = serde_json::from_str(&script).expect("still JSON");
    assert_eq!(back["name"], "A </script><script>alert(1)</script> set");
}
