//! Every Webin XML document the writers produce validates against ENA's XSDs (xmllint).

mod common;

use chrono::NaiveDate;
use common::{assert_valid, validate};
use virion_ena::{
    Attribute, EnaError, Sample, Study, SubmissionAction, checklist_attributes, checklist_sample,
    project_set_xml, sample_set_xml, submission_xml,
};

const SARS2: &str = "Severe acute respiratory syndrome coronavirus 2";

fn full_sample() -> Sample {
    let values: &[(&str, Option<&str>)] = &[
        ("alias", Some("virion-sample-0001")),
        ("title", Some("SARS-CoV-2 sample virion-sample-0001")),
        ("taxon_id", Some("2697049")),
        ("collection date", Some("2021-03-14")),
        ("geographic location (country and/or sea)", Some("Belgium")),
        ("geographic location (region and locality)", Some("Liège")),
        ("geographic location (latitude)", Some("50.63")),
        ("geographic location (longitude)", Some("5.57")),
        ("host common name", Some("human")),
        ("host subject id", Some("restricted access")),
        ("host health state", Some("diseased")),
        ("host sex", Some("male")),
        ("host age", Some("42")),
        ("hospitalisation", Some("no")),
        ("host scientific name", Some("Homo sapiens")),
        ("collector name", Some("Zoë O'Brien & Søren <lab>")),
        ("collecting institution", Some("Université de Liège \"ULiège\"")),
        ("isolate", Some("SARS-CoV-2/human/BEL/ULG-0001/2021")),
        ("sample capture status", Some("active surveillance in response to outbreak")),
        ("GISAID Accession ID", Some("EPI_ISL_0000001")),
    ];
    checklist_sample(values, SARS2).unwrap()
}

fn missing_sample() -> Sample {
    let values: &[(&str, Option<&str>)] = &[
        ("alias", Some("virion-sample-0002")),
        ("title", Some("SARS-CoV-2 sample with unknowns")),
        ("taxon_id", Some("2697049")),
        ("collection date", Some("2021-03")),
        ("geographic location (country and/or sea)", Some("not collected")),
        ("host sex", None),
        ("host age", Some("not provided")),
        ("host health state", Some("missing: human-identifiable")),
    ];
    checklist_sample(values, SARS2).unwrap()
}

#[test]
fn sample_set_validates() {
    let full = full_sample();
    // ENA-CHECKLIST first, every mandatory field present, units on coordinates and age.
    assert_eq!(full.attributes[0], Attribute::new("ENA-CHECKLIST", "ERC000033"));
    let lat = full.attributes.iter().find(|a| a.tag == "geographic location (latitude)").unwrap();
    assert_eq!(lat.units.as_deref(), Some("DD"));
    let xml = sample_set_xml(&[full, missing_sample()]).unwrap();
    assert!(xml.contains("<VALUE>Zoë O&apos;Brien &amp; Søren &lt;lab&gt;</VALUE>"), "{xml}");
    let compact: String = xml.lines().map(str::trim).collect();
    assert!(compact.contains("<TAG>host sex</TAG><VALUE>not provided</VALUE>"), "{xml}");
    assert!(compact.contains("<TAG>host age</TAG><VALUE>42</VALUE><UNITS>years</UNITS>"), "{xml}");
    // The second sample's "host age" = "not provided" is not accepted by the pattern: left out.
    assert_eq!(compact.matches("<TAG>host age</TAG>").count(), 1, "{xml}");
    assert_valid("SRA.sample.xsd", &xml);
}

#[test]
fn escaping_and_non_ascii_aliases_validate() {
    let sample = Sample {
        alias: "s&1 <\"Łódź\">".into(),
        title: "Ünïcödé & <markup> \"quoted\" 'single'".into(),
        taxon_id: 10244,
        scientific_name: "Monkeypox virus".into(),
        attributes: checklist_attributes("s&1", &[("isolate", Some("MPXV/PRT/<1>&2"))]).unwrap(),
    };
    let xml = sample_set_xml(&[sample]).unwrap();
    assert!(xml.contains("alias=\"s&amp;1 &lt;&quot;Łódź&quot;&gt;\""), "{xml}");
    assert_valid("SRA.sample.xsd", &xml);
}

#[test]
fn project_set_validates() {
    let study = Study {
        alias: "virion-study-1 & <co>".into(),
        title: "SARS-CoV-2 genomic surveillance in Liège & Brussels".into(),
        description: "Consensus genomes of SARS-CoV-2 from routine surveillance; \"virion\" <test>.".into(),
        center_name: Some("Université de Liège".into()),
        taxon_id: 2697049,
        scientific_name: SARS2.into(),
    };
    assert_valid("ENA.project.xsd", &project_set_xml(&study).unwrap());
    let no_center = Study { center_name: None, ..study };
    assert_valid("ENA.project.xsd", &project_set_xml(&no_center).unwrap());
}

#[test]
fn submissions_validate() {
    let until = NaiveDate::from_ymd_opt(2027, 6, 30).unwrap();
    let sets: [&[SubmissionAction]; 4] = [
        &[SubmissionAction::Add, SubmissionAction::Hold { until, target: None }],
        &[SubmissionAction::Modify, SubmissionAction::Release { target: Some("PRJEB00000".into()) }],
        &[SubmissionAction::Validate, SubmissionAction::Release { target: None }],
        &[
            SubmissionAction::Hold { until, target: Some("ERS0000000 & <x>".into()) },
            SubmissionAction::Cancel { target: "ERS0000001".into() },
        ],
    ];
    for actions in sets {
        assert_valid("SRA.submission.xsd", &submission_xml(actions).unwrap());
    }
}

#[test]
fn validator_catches_invalid_documents() {
    // The check above can fail: a SAMPLE without TAXON_ID and a short project TITLE are refused.
    let bad_sample = "<SAMPLE_SET><SAMPLE alias=\"x\"><SAMPLE_NAME><SCIENTIFIC_NAME>y</SCIENTIFIC_NAME>\
                      </SAMPLE_NAME></SAMPLE></SAMPLE_SET>";
    if let Some(result) = validate("SRA.sample.xsd", bad_sample) {
        assert!(result.is_err());
    }
    let good = project_set_xml(&Study {
        alias: "p".into(),
        title: "A title of enough length".into(),
        description: "A description of enough length".into(),
        center_name: None,
        taxon_id: 1,
        scientific_name: "x".into(),
    })
    .unwrap();
    if let Some(result) = validate("ENA.project.xsd", &good.replace("A title of enough length", "Short")) {
        assert!(result.is_err());
    }
}

#[test]
fn writers_refuse_what_the_schema_refuses() {
    assert_eq!(sample_set_xml(&[]), Err(EnaError::Empty("SAMPLE_SET")));
    let sample = full_sample();
    let twice = sample_set_xml(&[sample.clone(), sample.clone()]).unwrap_err();
    assert!(matches!(twice, EnaError::Duplicate { ref field, .. } if field == "alias"));
    let big_taxon = Sample { taxon_id: u32::MAX, ..sample.clone() };
    assert!(matches!(sample_set_xml(&[big_taxon]), Err(EnaError::InvalidValue { .. })));
    let mut control = sample;
    control.attributes.push(Attribute::new("note", "bell\u{7}"));
    assert!(matches!(sample_set_xml(&[control]), Err(EnaError::InvalidCharacter { code: 7, .. })));
}
