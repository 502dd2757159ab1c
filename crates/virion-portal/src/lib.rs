//! The web portal's pages, rendered on the server from plain view models.
//!
//! Templates are maud macros: checked when the crate compiles, and every interpolated value is
//! HTML-escaped, so metadata a submitter typed cannot inject markup. The handlers in
//! `virion-server` fill the models from the store and the query index; this crate knows neither.
//! Every page works without JavaScript (forms are plain GET forms whose URL holds the whole
//! query), and the stylesheet is compiled into the binary and served at [`CSS_PATH`].

pub mod account;
pub mod api_docs;
pub mod collection;
pub mod dashboard;
pub mod home;
mod layout;
pub mod network;
pub mod record;
pub mod search;
pub mod submission;

pub use layout::{Chrome, Table, error_page, page};

/// The portal's stylesheet (no web fonts, no external assets).
pub const CSS: &str = include_str!("../assets/portal.css");
/// Where the server serves [`CSS`].
pub const CSS_PATH: &str = "/assets/portal.css";
/// The search form's optional script (checks mutations as they are typed).
pub const JS: &str = include_str!("../assets/portal.js");
/// Where the server serves [`JS`].
pub const JS_PATH: &str = "/assets/portal.js";

/// The dashboard's JavaScript: GenSpectrum's dashboard components, bundled by esbuild from
/// web/dashboard. The bundle is committed (CI rebuilds it and fails if it differs), so a plain
/// `cargo build` or `cargo install` serves the dashboard without Node.js.
pub const DASHBOARD_JS: &[u8] = include_bytes!("../assets/generated/dashboard.js");
/// Where the server serves [`DASHBOARD_JS`].
pub const DASHBOARD_JS_PATH: &str = "/assets/dashboard.js";
/// The license notices of the third-party code in [`DASHBOARD_JS`] (esbuild's legal comments).
pub const DASHBOARD_LEGAL: &str = include_str!("../assets/generated/dashboard.js.LEGAL.txt");
/// Where the server serves [`DASHBOARD_LEGAL`].
pub const DASHBOARD_LEGAL_PATH: &str = "/assets/dashboard.js.LEGAL.txt";

/// A query string from pairs (keys may repeat: `country=A&country=B`).
pub fn query_string<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

/// A count with thousands separators (12,345).
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn query_strings_escape_and_repeat() {
        assert_eq!(
            query_string(&[("country", "Côte d'Ivoire"), ("country", "A&B"), ("q", "JN.1*")]),
            "country=C%C3%B4te+d%27Ivoire&country=A%26B&q=JN.1*"
        );
    }
}
