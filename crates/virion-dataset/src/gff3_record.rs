//! One GFF3 row, read the way Nextclade's GFF3 reader reads it.
//!
//! Attribute values are split on `,`, stripped of surrounding quotes (`gene_name="HA1"` names
//! `HA1`) and percent-decoded. The name comes from the first present attribute of a list that
//! depends on the feature type; rows without `ID` take their name as ID.

use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;
use virion_core::{NucRange, NucRefPos};

use crate::gene_map::Strand;

/// Name attributes for genes (and any type not listed below), most preferred first.
pub const NAME_ATTRS_GENE: &[&str] = &[
    "Gene",
    "gene",
    "gene_name",
    "locus_tag",
    "Name",
    "name",
    "Alias",
    "alias",
    "standard_name",
    "old-name",
    "product",
    "gene_synonym",
    "gb-synonym",
    "acronym",
    "gb-acronym",
    "protein_id",
    "ID",
];

/// Name attributes for CDS rows: `Name` wins over `gene`, so mature-peptide CDSes inside one gene
/// keep their own names (`nsp1`, …).
pub const NAME_ATTRS_CDS: &[&str] = &[
    "Name",
    "name",
    "Alias",
    "alias",
    "standard_name",
    "old-name",
    "Gene",
    "gene",
    "gene_name",
    "locus_tag",
    "product",
    "gene_synonym",
    "gb-synonym",
    "acronym",
    "gb-acronym",
    "protein_id",
    "ID",
];

/// Name attributes for `mature_protein_region_of_CDS` rows.
pub const NAME_ATTRS_PROTEIN: &[&str] = &[
    "product",
    "protein_id",
    "gene_synonym",
    "gb-synonym",
    "acronym",
    "gb-acronym",
    "ID",
    "Gene",
    "gene",
    "gene_name",
    "locus_tag",
    "Name",
    "name",
    "Alias",
    "alias",
    "standard_name",
    "old-name",
];

const PRODUCT_ATTRS: &[&str] = &["Product", "product", "Protein", "protein", "protein_id"];

/// A parsed row. `index` counts rows of the sequence region from 0; `line` is 1-based in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feature {
    /// 0-based row index within the sequence region.
    pub index: usize,
    /// 1-based line number in the file, for messages.
    pub line: usize,
    /// Column 1, the sequence id (landmark), percent-decoded.
    pub seqid: String,
    /// Column 3, the feature type (`gene`, `CDS`, `mature_protein_region_of_CDS`, ...).
    pub feature_type: String,
    /// The `ID` attribute, or the name when absent.
    pub id: String,
    /// The first present name attribute for the feature type, or `Feature #{index}`.
    pub name: String,
    /// The first present product attribute, or the name when absent.
    pub product: String,
    /// Columns 4 and 5 as a 0-based half-open reference range.
    pub range: NucRange,
    /// Column 7.
    pub strand: Strand,
    /// Values of the `Parent` attribute.
    pub parent_ids: Vec<String>,
    /// Values of exception attributes (`exception`, `transl_except`, ...), sorted and deduplicated.
    pub exceptions: Vec<String>,
    /// Whether `Is_circular=true` (set on a `region` row of a circular genome).
    pub is_circular: bool,
    /// Every attribute with its split, unquoted, percent-decoded values, in file order.
    pub attributes: IndexMap<String, Vec<String>>,
}

/// Why a row could not be read.
pub type RowError = String;

// Same shape as rust-bio's GFF3 attribute pattern, which Nextclade uses: `key=value` pairs
// separated by `;`, neither part containing `=`, `;` or tab.
static ATTRIBUTE_RE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r" *([^=;\t]+)=([^=;\t]+);?").expect("attribute pattern compiles"));

fn trim_quotes(s: &str) -> &str {
    s.trim_matches('\'').trim_matches('"')
}

/// RFC 3986 percent-decoding; a `%` not followed by two hex digits stays as it is.
pub fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_attributes(raw: &str) -> IndexMap<String, Vec<String>> {
    let mut attributes: IndexMap<String, Vec<String>> = IndexMap::new();
    for caps in ATTRIBUTE_RE.captures_iter(raw) {
        let key = percent_decode(trim_quotes(&caps[1]));
        let values = attributes.entry(key).or_default();
        for value in caps[2].split(',') {
            values.push(percent_decode(trim_quotes(value)));
        }
    }
    attributes
}

fn first_of<'a>(attributes: &'a IndexMap<String, Vec<String>>, keys: &[&str]) -> Option<&'a String> {
    keys.iter().find_map(|k| attributes.get(*k).and_then(|v| v.first()))
}

fn parse_coordinate(s: &str, what: &str) -> Result<i64, RowError> {
    s.trim()
        .parse::<u64>()
        .map(|v| v as i64)
        .map_err(|_| format!("{what} '{s}' is not a non-negative integer"))
}

/// Reads one data row (not a comment, not blank) into a [`Feature`].
pub fn parse_row(row: &str, index: usize, line: usize) -> Result<Feature, RowError> {
    let cols: Vec<&str> = row.split('\t').collect();
    if cols.len() != 9 {
        return Err(format!("expected 9 tab-separated columns, found {}", cols.len()));
    }
    let start = parse_coordinate(cols[3], "start")?;
    let end = parse_coordinate(cols[4], "end")?;
    if start == 0 {
        return Err("start is 0, but GFF3 positions are 1-based".to_owned());
    }
    let strand = match cols[6].trim() {
        "-" | "r" => Strand::Reverse,
        "+" | "f" | "." | "?" | "" => Strand::Forward,
        other => return Err(format!("strand '{other}' is not one of '+', '-', '.', '?'")),
    };
    match cols[7].trim() {
        "." | "0" | "1" | "2" => {}
        other => return Err(format!("phase '{other}' is not one of '.', 0, 1, 2")),
    }

    let attributes = parse_attributes(cols[8]);
    let feature_type = percent_decode(cols[2]);
    let name_attrs = match feature_type.to_lowercase().as_str() {
        "cds" => NAME_ATTRS_CDS,
        "mature_protein_region_of_cds" => NAME_ATTRS_PROTEIN,
        _ => NAME_ATTRS_GENE,
    };
    let name = first_of(&attributes, name_attrs).cloned().unwrap_or_else(|| format!("Feature #{index}"));
    let id = first_of(&attributes, &["ID"]).cloned().unwrap_or_else(|| name.clone());
    let product = first_of(&attributes, PRODUCT_ATTRS).cloned().unwrap_or_else(|| name.clone());
    let parent_ids = attributes.get("Parent").cloned().unwrap_or_default();

    let mut exceptions: Vec<String> = attributes
        .iter()
        .filter(|(k, _)| {
            k.contains("except")
                || matches!(k.as_str(), "exception" | "exceptions" | "except" | "transl_except")
        })
        .flat_map(|(_, v)| v.iter().cloned())
        .collect();
    exceptions.sort();
    exceptions.dedup();

    let is_circular =
        attributes.get("Is_circular").and_then(|v| v.first()).is_some_and(|v| v.eq_ignore_ascii_case("true"));

    Ok(Feature {
        index,
        line,
        seqid: percent_decode(cols[0]),
        feature_type,
        id,
        name,
        product,
        range: NucRange::new(NucRefPos(start - 1), NucRefPos(end)),
        strand,
        parent_ids,
        exceptions,
        is_circular,
        attributes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_multi_values_and_percent_escapes() {
        let f = parse_row(
            "CY1\tfeature\tgene\t18\t65\t.\t+\t.\tgene_name=\"SigPep\";Dbxref=a:1,b:2;Note=x%3B y",
            3,
            10,
        )
        .unwrap();
        assert_eq!(f.name, "SigPep");
        assert_eq!(f.id, "SigPep");
        assert_eq!(f.range, NucRange::new(NucRefPos(17), NucRefPos(65)));
        assert_eq!(f.attributes["Dbxref"], vec!["a:1", "b:2"]);
        assert_eq!(f.attributes["Note"], vec!["x; y"]);
    }

    #[test]
    fn name_preference_depends_on_type() {
        let attrs = "ID=c1;Name=nsp1;gene=ORF1ab";
        let cds = parse_row(&format!("s\t.\tCDS\t1\t9\t.\t+\t0\t{attrs}"), 0, 1).unwrap();
        let gene = parse_row(&format!("s\t.\tgene\t1\t9\t.\t-\t.\t{attrs}"), 0, 1).unwrap();
        assert_eq!((cds.name.as_str(), gene.name.as_str()), ("nsp1", "ORF1ab"));
        assert_eq!(gene.strand, Strand::Reverse);
        let unnamed = parse_row("s\t.\tregion\t1\t9\t.\t.\t.\tfoo=bar", 7, 1).unwrap();
        assert_eq!(unnamed.name, "Feature #7");
    }

    #[test]
    fn bad_rows_say_why() {
        assert!(parse_row("s\t.\tgene\t1\t9", 0, 1).unwrap_err().contains("9 tab-separated"));
        assert!(parse_row("s\t.\tgene\tx\t9\t.\t+\t.\tID=a", 0, 1).unwrap_err().contains("start 'x'"));
        assert!(parse_row("s\t.\tgene\t1\t9\t.\t+\t5\tID=a", 0, 1).unwrap_err().contains("phase"));
    }
}
