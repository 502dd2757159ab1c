//! Column-by-column comparison of two nextclade.tsv-shaped tables (Nextclade's and ours).

use std::collections::{BTreeMap, BTreeSet};

use virion_testdata::Table;

/// Agreement on one column.
#[derive(Debug, Default, Clone)]
pub struct ColumnAgreement {
    pub same: usize,
    /// Cells with exactly Nextclade's text (list order and number formatting included).
    pub identical: usize,
    pub total: usize,
    pub examples: Vec<String>,
}

impl ColumnAgreement {
    pub fn fraction(&self) -> f64 {
        if self.total == 0 { 1.0 } else { self.same as f64 / self.total as f64 }
    }
}

/// Whether two cells mean the same: list columns compare as sets, numbers within 1e-6 relative.
pub fn same_cell(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    if let (Ok(x), Ok(y)) = (a.parse::<f64>(), b.parse::<f64>()) {
        return (x - y).abs() <= 1e-6 * x.abs().max(y.abs()).max(1.0);
    }
    let sa: BTreeSet<&str> = a.split([',', ';']).filter(|s| !s.is_empty()).collect();
    let sb: BTreeSet<&str> = b.split([',', ';']).filter(|s| !s.is_empty()).collect();
    sa == sb
}

/// Compares `ours` with `theirs` row by row (matched by `index` order) on `columns`.
pub fn compare(theirs: &Table, ours: &Table, columns: &[&str]) -> BTreeMap<String, ColumnAgreement> {
    let mut out: BTreeMap<String, ColumnAgreement> = BTreeMap::new();
    assert_eq!(theirs.rows.len(), ours.rows.len(), "row counts differ");
    for (t, o) in theirs.rows.iter().zip(&ours.rows) {
        assert_eq!(t.get("seqName"), o.get("seqName"), "rows out of order");
        for &c in columns {
            let entry = out.entry(c.to_owned()).or_default();
            entry.total += 1;
            let tv = t.get(c).map(String::as_str).unwrap_or("");
            let ov = o.get(c).map(String::as_str).unwrap_or("");
            if tv == ov {
                entry.identical += 1;
            }
            if same_cell(tv, ov) {
                entry.same += 1;
            } else if entry.examples.len() < 3 {
                let name = t.get("seqName").cloned().unwrap_or_default();
                entry.examples.push(format!("{name}: nextclade={:.300} virion={:.300}", tv, ov));
            }
        }
    }
    out
}
