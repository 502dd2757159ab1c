//! Cell formatting shared by the table writers, matching nextclade.tsv byte for byte where the
//! meaning is the same.

use std::fmt::{Display, Write};

/// QC numbers as Nextclade prints them: whole numbers without decimals, others with six.
pub fn qc_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 { format!("{}", x as i64) } else { format!("{x:.6}") }
}

/// Items joined with `sep`, each by its `Display`.
pub fn join<T: Display>(items: impl IntoIterator<Item = T>, sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        write!(out, "{item}").expect("writing to a String cannot fail");
    }
    out
}

/// A cell as Nextclade's CSV writer emits it: cells holding a quote, a tab or a line break are
/// wrapped in quotes with inner quotes doubled (Nextclade's warnings quote gene names).
pub fn tsv_cell(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['"', '\t', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qc_numbers_look_like_nextclades() {
        assert_eq!(qc_number(0.0), "0");
        assert_eq!(qc_number(140.0), "140");
        assert_eq!(qc_number(-7.0), "-7");
        assert_eq!(qc_number(4.6944444444), "4.694444");
        assert_eq!(qc_number(2.5), "2.500000");
    }

    #[test]
    fn joins_and_cleans() {
        assert_eq!(join([1, 2, 3], ","), "1,2,3");
        assert_eq!(join(Vec::<i32>::new(), ","), "");
        assert_eq!(tsv_cell("a\tb"), "\"a\tb\"");
        assert_eq!(tsv_cell(r#"gene "S": empty"#), r#""gene ""S"": empty""#);
        assert_eq!(tsv_cell("S:N501Y"), "S:N501Y");
    }
}
