//! Schema validation with xmllint against ENA's Webin XSDs in the shared data.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// `<shared>/fair/ena-webin-xsd/<name>`, or `None` (with a notice) when the shared data is absent.
pub fn xsd(name: &str) -> Option<PathBuf> {
    Some(virion_testdata::shared_data()?.join("fair/ena-webin-xsd").join(name))
}

/// Whether xmllint can run; without it the test is skipped, unless VIRION_REQUIRE_XMLLINT=1.
pub fn have_xmllint() -> bool {
    if Command::new("xmllint").arg("--version").output().is_ok() {
        return true;
    }
    if std::env::var("VIRION_REQUIRE_XMLLINT").as_deref() == Ok("1") {
        panic!("xmllint not found on PATH but VIRION_REQUIRE_XMLLINT=1");
    }
    eprintln!("skipping: xmllint not found on PATH (Debian package libxml2-utils)");
    false
}

/// Runs `xmllint --nonet --noout --schema <xsd>` on `xml`: `Some(Ok(()))` when it validates,
/// `Some(Err(message))` when not, `None` when skipped.
pub fn validate(xsd_name: &str, xml: &str) -> Option<Result<(), String>> {
    let xsd = xsd(xsd_name)?;
    if !have_xmllint() {
        return None;
    }
    let mut file = tempfile::Builder::new().suffix(".xml").tempfile().unwrap();
    file.write_all(xml.as_bytes()).unwrap();
    let out = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(&xsd)
        .arg(file.path())
        .output()
        .expect("xmllint runs");
    if out.status.success() {
        Some(Ok(()))
    } else {
        Some(Err(format!("{}\n{xml}", String::from_utf8_lossy(&out.stderr))))
    }
}

/// Asserts that `xml` validates against `xsd_name` (or skips).
pub fn assert_valid(xsd_name: &str, xml: &str) {
    if let Some(Err(message)) = validate(xsd_name, xml) {
        panic!("does not validate against {xsd_name}: {message}");
    }
}
