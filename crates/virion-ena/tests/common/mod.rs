//! Schema validation with xmllint against ENA's Webin XSDs in the shared data (through
//! `virion_testdata::tools::xmllint`).

use std::io::Write;

/// Runs `xmllint --nonet --noout --schema <xsd>` on `xml`: `Some(Ok(()))` when it validates,
/// `Some(Err(message))` when not, `None` when skipped (no shared data, no xmllint).
pub fn validate(xsd_name: &str, xml: &str) -> Option<Result<(), String>> {
    let xsd = virion_testdata::shared_data()?.join("fair/ena-webin-xsd").join(xsd_name);
    let mut file = tempfile::Builder::new().suffix(".xml").tempfile().unwrap();
    file.write_all(xml.as_bytes()).unwrap();
    virion_testdata::tools::xmllint(&xsd, file.path())
        .map(|r| r.map_err(|message| format!("{message}\n{xml}")))
}

/// Asserts that `xml` validates against `xsd_name` (or skips).
pub fn assert_valid(xsd_name: &str, xml: &str) {
    if let Some(Err(message)) = validate(xsd_name, xml) {
        panic!("does not validate against {xsd_name}: {message}");
    }
}
