//! ENA receipts: a hand-built receipt that validates against SRA.receipt.xsd parses to its
//! accessions; failed receipts carry their errors; malformed input is an error, never a panic.

mod common;

use virion_ena::{ObjectKind, ReceiptError, parse_receipt};

/// Built from SRA.receipt.xsd's structure: objects in the schema's order, then SUBMISSION,
/// MESSAGES (ERROR before INFO) and ACTIONS.
const SUCCESS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="receipt.xsl"?>
<RECEIPT receiptDate="2026-07-14T10:15:30.123+01:00" submissionFile="submission.xml" success="true">
  <SAMPLE accession="ERS0000001" alias="virion-sample-0001 &amp; co" status="PRIVATE" holdUntilDate="2027-01-01+01:00">
    <EXT_ID accession="SAMEA0000001" type="biosample"/>
  </SAMPLE>
  <SAMPLE accession="ERS0000002" alias="virion-sample-0002" status="PRIVATE">
    <EXT_ID accession="SAMEA0000002" type="biosample"/>
  </SAMPLE>
  <PROJECT accession="PRJEB00001" alias="virion-study-1" status="PRIVATE" holdUntilDate="2027-01-01">
    <EXT_ID accession="ERP000001" type="study"/>
  </PROJECT>
  <SUBMISSION accession="ERA0000001" alias="SUBMISSION-14-07-2026-10:15:30:100"/>
  <MESSAGES>
    <INFO>All objects in this submission are set to private status (HOLD).</INFO>
    <INFO>Zoë &lt;ok&gt; &#233;</INFO>
  </MESSAGES>
  <ACTIONS>ADD</ACTIONS>
  <ACTIONS>HOLD</ACTIONS>
</RECEIPT>
"#;

const FAILED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<RECEIPT receiptDate="2026-07-14T10:16:00.000+01:00" submissionFile="submission.xml" success="false">
  <SAMPLE alias="virion-sample-0003" status="PRIVATE"/>
  <SUBMISSION alias="SUBMISSION-14-07-2026-10:16:00:000"/>
  <MESSAGES>
    <ERROR>In sample, alias: "virion-sample-0003". Invalid value for field "host sex".</ERROR>
    <ERROR>In sample, alias: "virion-sample-0003". Missing mandatory field "collection date".</ERROR>
    <INFO>Submission has been rolled back.</INFO>
  </MESSAGES>
  <ACTIONS>ADD</ACTIONS>
</RECEIPT>
"#;

/// What Webin-CLI receives for a genome: one sequence-assembly ANALYSIS (alias `webin-genome-`
/// + the assembly name).
const GENOME: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<RECEIPT receiptDate="2026-07-14T11:00:00.000Z" submissionFile="webin-cli.submission.xml" success="true">
  <ANALYSIS accession="ERZ0000001" alias="webin-genome-virion_sample_0001" status="PRIVATE"/>
  <SUBMISSION accession="ERA0000002" alias="webin-genome-virion_sample_0001"/>
  <MESSAGES/>
  <ACTIONS>ADD</ACTIONS>
</RECEIPT>
"#;

#[test]
fn hand_built_receipts_validate_against_the_xsd() {
    for receipt in [SUCCESS, FAILED, GENOME] {
        common::assert_valid("SRA.receipt.xsd", receipt);
    }
}

#[test]
fn success_receipt_gives_every_accession() {
    let receipt = parse_receipt(SUCCESS.as_bytes()).unwrap();
    assert!(receipt.success);
    assert_eq!(receipt.receipt_date, "2026-07-14T10:15:30.123+01:00");
    assert_eq!(receipt.submission_file, "submission.xml");
    assert_eq!(receipt.objects.len(), 4);
    let sample = receipt.object(ObjectKind::Sample, "virion-sample-0001 & co").unwrap();
    assert_eq!(sample.accession.as_deref(), Some("ERS0000001"));
    assert_eq!(sample.status.as_deref(), Some("PRIVATE"));
    assert_eq!(sample.hold_until_date.as_deref(), Some("2027-01-01+01:00"));
    assert_eq!(sample.ext_id("biosample"), Some("SAMEA0000001"));
    let second = receipt.object(ObjectKind::Sample, "virion-sample-0002").unwrap();
    assert_eq!(second.ext_id("biosample"), Some("SAMEA0000002"));
    assert_eq!(second.hold_until_date, None);
    let project = receipt.object(ObjectKind::Project, "virion-study-1").unwrap();
    assert_eq!(project.accession.as_deref(), Some("PRJEB00001"));
    assert_eq!(project.ext_id("study"), Some("ERP000001"));
    assert_eq!(receipt.objects[3].kind, ObjectKind::Submission);
    assert_eq!(receipt.objects[3].accession.as_deref(), Some("ERA0000001"));
    assert_eq!(receipt.infos[1], "Zoë <ok> é");
    assert!(receipt.errors.is_empty());
    assert_eq!(receipt.actions, ["ADD", "HOLD"]);
}

#[test]
fn failed_receipt_parses_with_its_errors() {
    let receipt = parse_receipt(FAILED.as_bytes()).unwrap();
    assert!(!receipt.success);
    assert_eq!(receipt.errors.len(), 2);
    assert!(receipt.errors[0].contains("\"host sex\""));
    assert_eq!(receipt.infos, ["Submission has been rolled back."]);
    assert_eq!(receipt.accession(ObjectKind::Sample, "virion-sample-0003"), None);
    assert!(receipt.object(ObjectKind::Sample, "virion-sample-0003").is_some());
}

#[test]
fn webin_cli_genome_receipt() {
    let receipt = parse_receipt(GENOME.as_bytes()).unwrap();
    assert!(receipt.success);
    assert_eq!(
        receipt.accession(ObjectKind::Analysis, "webin-genome-virion_sample_0001"),
        Some("ERZ0000001")
    );
    assert_eq!(receipt.genome_accession("virion_sample_0001"), Some("ERZ0000001"));
    assert_eq!(receipt.genome_accession("virion_sample_0002"), None);
    assert_eq!(receipt.submission_file, "webin-cli.submission.xml");
}

#[test]
fn unknown_elements_are_ignored() {
    let text = SUCCESS.replace(
        "<MESSAGES>",
        "<FUTURE_THING a=\"1\"><SAMPLE alias=\"nested, not an object\"/><ERROR>no</ERROR></FUTURE_THING>\n<MESSAGES><WARNING>w</WARNING>",
    );
    let receipt = parse_receipt(text.as_bytes()).unwrap();
    assert_eq!(receipt.objects.len(), 4);
    assert_eq!(receipt.warnings, ["w"]);
    assert!(receipt.errors.is_empty());
}

#[test]
fn malformed_receipts_are_errors() {
    // Truncated at every point: an error, never a panic or a receipt.
    for cut in (1..SUCCESS.trim_end().len()).filter(|&c| SUCCESS.is_char_boundary(c)) {
        let result = parse_receipt(&SUCCESS.as_bytes()[..cut]);
        assert!(result.is_err(), "cut at {cut} parsed: {result:?}");
    }
    let cut = &SUCCESS[..SUCCESS.find("<MESSAGES>").unwrap()];
    assert_eq!(
        parse_receipt(cut.as_bytes()),
        Err(ReceiptError::Truncated { line: 14, element: "RECEIPT".into() })
    );

    let wrong = parse_receipt(b"<?xml version=\"1.0\"?>\n<SAMPLE_SET/>").unwrap_err();
    assert_eq!(wrong, ReceiptError::WrongRoot { line: 2, found: "SAMPLE_SET".into() });
    assert!(matches!(parse_receipt(b""), Err(ReceiptError::WrongRoot { .. })));

    let huge = vec![b' '; 64 * 1024 * 1024 + 1];
    assert!(matches!(parse_receipt(&huge), Err(ReceiptError::TooLarge { .. })));
    assert_eq!(parse_receipt(b"<RECEIPT \xff"), Err(ReceiptError::NotUtf8 { offset: 9 }));

    let no_date = FAILED.replace(" receiptDate=\"2026-07-14T10:16:00.000+01:00\"", "");
    assert!(matches!(
        parse_receipt(no_date.as_bytes()),
        Err(ReceiptError::MissingAttribute { line: 2, attribute: "receiptDate", .. })
    ));
    let no_alias = FAILED.replace(" alias=\"virion-sample-0003\"", "");
    assert!(matches!(
        parse_receipt(no_alias.as_bytes()),
        Err(ReceiptError::MissingAttribute { line: 3, .. })
    ));
    let bad_flag = FAILED.replace("success=\"false\"", "success=\"maybe\"");
    assert!(matches!(parse_receipt(bad_flag.as_bytes()), Err(ReceiptError::InvalidAttribute { .. })));

    let mismatched = FAILED.replace("</MESSAGES>", "</MESSAGE>");
    match parse_receipt(mismatched.as_bytes()) {
        Err(ReceiptError::Xml { line, element, .. }) => assert_eq!((line, element.as_str()), (9, "MESSAGES")),
        other => panic!("{other:?}"),
    }
    let entity = FAILED.replace("rolled back.", "&xxe;");
    assert!(matches!(parse_receipt(entity.as_bytes()), Err(ReceiptError::Xml { .. })));
    let two_roots = format!("{GENOME}<RECEIPT/>");
    assert!(parse_receipt(two_roots.as_bytes()).is_err());
    let deep =
        format!("<RECEIPT success=\"true\" receiptDate=\"x\" submissionFile=\"a.xml\">{}", "<A>".repeat(100));
    assert!(matches!(parse_receipt(deep.as_bytes()), Err(ReceiptError::TooDeep { .. })));
}
