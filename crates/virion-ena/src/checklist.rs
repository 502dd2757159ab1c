//! ERC000033, ENA's virus pathogen reporting standard, applied to sample attributes as ENA
//! checks them on registration.
//!
//! The rules below are the sample part of ENA's published checklist, written out as Rust data so
//! the crate builds on its own; a test compares them with the checklist JSON so they cannot
//! drift. ENA accepts its missing-value terms only where the field's vocabulary or pattern lists
//! them, so that is what is checked here too.

use std::sync::LazyLock;

use regex::Regex;
use virion_schema::ena_missing_term;

use crate::xml::{Attribute, Sample};
use crate::{EnaError, check_xml_chars};

/// The checklist accession, written as the `ENA-CHECKLIST` attribute of every sample.
pub const CHECKLIST_ID: &str = "ERC000033";

/// The tag that tells ENA which checklist validates a sample.
pub const CHECKLIST_TAG: &str = "ENA-CHECKLIST";

/// What ENA writes when a mandatory value is unknown.
const NOT_PROVIDED: &str = "not provided";

/// Whether ENA requires a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requirement {
    /// Must be present (a missing-value term counts).
    Mandatory,
    /// Should be present.
    Recommended,
    /// May be present.
    Optional,
}

/// How ENA checks a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Free text.
    Text,
    /// One of these terms.
    Vocabulary(&'static [&'static str]),
    /// Must match this regular expression (ENA's own text, applied to the whole value).
    Pattern(&'static str),
}

/// One sample field of ERC000033.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldRule {
    /// Field name: the attribute tag, or a structural name such as `alias`.
    pub name: &'static str,
    /// Mandatory, recommended or optional.
    pub requirement: Requirement,
    /// The value check.
    pub rule: Rule,
    /// Units ENA expects with a numeric value.
    pub units: Option<&'static str>,
}

/// Fields that are parts of the SAMPLE element (alias, TITLE, SAMPLE_NAME, DESCRIPTION), not
/// attributes.
pub const STRUCTURAL_FIELDS: &[&str] =
    &["alias", "title", "taxon_id", "scientific_name", "common_name", "sample_description"];

include!("erc000033.rs");

/// The sample fields of ERC000033, in the checklist's order.
pub fn sample_fields() -> &'static [FieldRule] {
    SAMPLE_FIELDS
}

/// Whole-value regexes, compiled once; ENA's host age pattern has no anchors of its own.
static PATTERNS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    SAMPLE_FIELDS
        .iter()
        .filter_map(|f| match f.rule {
            Rule::Pattern(p) => {
                Some((f.name, Regex::new(&format!("^(?:{p})$")).expect("checklist pattern compiles")))
            }
            _ => None,
        })
        .collect()
});

/// Latitude and longitude are numbers ENA's pattern barely constrains (its `.` matches any
/// character); Virion also requires a decimal number within range.
fn coordinate_limit(field: &str) -> Option<f64> {
    match field {
        "geographic location (latitude)" => Some(90.0),
        "geographic location (longitude)" => Some(180.0),
        _ => None,
    }
}

/// Checks `value` against the field's rule and returns the spelling to write, or `None` when the
/// rule does not accept it (the caller decides between omitting and refusing).
fn accept(field: &FieldRule, value: &str) -> Result<Option<String>, String> {
    match field.rule {
        Rule::Text => Ok(Some(ena_missing_term(value).unwrap_or(value).to_owned())),
        Rule::Vocabulary(terms) => {
            Ok(terms.iter().find(|t| t.eq_ignore_ascii_case(value)).map(|t| t.to_string()))
        }
        Rule::Pattern(_) => {
            let canonical = ena_missing_term(value).unwrap_or(value);
            let regex = &PATTERNS.iter().find(|(n, _)| *n == field.name).expect("pattern compiled").1;
            if !regex.is_match(canonical) {
                return Ok(None);
            }
            if let (Some(limit), None) = (coordinate_limit(field.name), ena_missing_term(canonical)) {
                match canonical.parse::<f64>() {
                    Ok(v) if v.abs() <= limit => {}
                    _ => {
                        return Err(format!(
                            "must be a decimal number of degrees between -{limit} and {limit}"
                        ));
                    }
                }
            }
            Ok(Some(canonical.to_owned()))
        }
    }
}

fn refusal(record: &str, field: &FieldRule, value: &str) -> EnaError {
    match field.rule {
        Rule::Vocabulary(terms) => EnaError::NotInVocabulary {
            record: record.to_owned(),
            field: field.name.to_owned(),
            value: value.to_owned(),
            hint: terms
                .iter()
                .filter(|t| ena_missing_term(t).is_none())
                .take(8)
                .copied()
                .collect::<Vec<_>>()
                .join(", "),
        },
        Rule::Pattern(p) => EnaError::InvalidValue {
            record: record.to_owned(),
            field: field.name.to_owned(),
            value: value.to_owned(),
            reason: format!("does not match ENA's pattern {p}"),
        },
        Rule::Text => EnaError::InvalidValue {
            record: record.to_owned(),
            field: field.name.to_owned(),
            value: value.to_owned(),
            reason: "refused".to_owned(),
        },
    }
}

/// The SAMPLE_ATTRIBUTEs of one sample under ERC000033, from `(tag, value)` pairs.
///
/// - The first attribute is `ENA-CHECKLIST` = `ERC000033`; then the checklist's fields in its
///   order; then any tag the checklist does not know (ENA keeps user-defined attributes, e.g.
///   `GISAID Accession ID`) in the order given.
/// - An absent or blank mandatory field becomes `not provided`, ENA's missing-value term, which
///   every mandatory field of ERC000033 accepts. Absent recommended and optional fields are left
///   out.
/// - Vocabulary values match ignoring case and are written in ENA's spelling; missing-value terms
///   are written in ENA's spelling. A missing-value term that an optional or recommended field
///   does not list is left out, which means the same to ENA; on a mandatory field it is refused.
/// - Numeric fields with units (latitude, longitude `DD`; host age `years`) get their units.
///
/// Errors name `record` (the sample alias) and the field: a value outside the vocabulary, a value
/// not matching the pattern, a coordinate out of range, a tag given twice, a structural field
/// (`alias`, `title`, `taxon_id`, …; see [`checklist_sample`]) or a control character.
pub fn checklist_attributes(
    record: &str,
    values: &[(&str, Option<&str>)],
) -> Result<Vec<Attribute>, EnaError> {
    let mut given: Vec<(&str, &str)> = Vec::new();
    for &(tag, value) in values {
        let tag = tag.trim();
        if tag.is_empty() {
            return Err(EnaError::Missing { record: record.to_owned(), field: "attribute tag".to_owned() });
        }
        if STRUCTURAL_FIELDS.contains(&tag) {
            return Err(EnaError::StructuralField { record: record.to_owned(), field: tag.to_owned() });
        }
        if tag == CHECKLIST_TAG || given.iter().any(|(t, _)| *t == tag) {
            return Err(EnaError::Duplicate { record: record.to_owned(), field: tag.to_owned() });
        }
        let value = value.map(str::trim).unwrap_or_default();
        check_xml_chars(record, tag, value)?;
        given.push((tag, value));
    }
    let value_of =
        |name: &str| given.iter().find(|(t, _)| *t == name).map(|(_, v)| *v).filter(|v| !v.is_empty());

    let mut attributes = vec![Attribute::new(CHECKLIST_TAG, CHECKLIST_ID)];
    for field in SAMPLE_FIELDS.iter().filter(|f| !STRUCTURAL_FIELDS.contains(&f.name)) {
        let mandatory = field.requirement == Requirement::Mandatory;
        let Some(value) = value_of(field.name) else {
            if mandatory {
                attributes.push(Attribute::new(field.name, NOT_PROVIDED));
            }
            continue;
        };
        let invalid = |reason: String| EnaError::InvalidValue {
            record: record.to_owned(),
            field: field.name.to_owned(),
            value: value.to_owned(),
            reason,
        };
        let written = match accept(field, value).map_err(invalid)? {
            Some(written) => written,
            None if !mandatory && ena_missing_term(value).is_some() => continue,
            None => return Err(refusal(record, field, value)),
        };
        let units = field.units.filter(|_| ena_missing_term(&written).is_none()).map(str::to_owned);
        attributes.push(Attribute { tag: field.name.to_owned(), value: written, units });
    }
    for (tag, value) in &given {
        if !value.is_empty() && !SAMPLE_FIELDS.iter().any(|f| f.name == *tag) {
            attributes.push(Attribute::new(tag, value));
        }
    }
    Ok(attributes)
}

/// A whole [`Sample`] from the same `(tag, value)` pairs: the structural fields `alias`, `title`,
/// `taxon_id` and (optionally) `scientific_name` are taken out, the rest become the checklist
/// attributes ([`checklist_attributes`]).
///
/// `scientific_name` is the organism's name, used when the pairs do not carry one. The alias,
/// title and taxon id are required (ENA has no missing-value term for them); the taxon id must be
/// a positive integer.
pub fn checklist_sample(values: &[(&str, Option<&str>)], scientific_name: &str) -> Result<Sample, EnaError> {
    let get = |name: &str| {
        values
            .iter()
            .find(|(t, _)| t.trim() == name)
            .and_then(|(_, v)| v.map(str::trim))
            .filter(|v| !v.is_empty())
    };
    let alias =
        get("alias").ok_or(EnaError::Missing { record: "(sample)".to_owned(), field: "alias".to_owned() })?;
    let missing = |field: &str| EnaError::Missing { record: alias.to_owned(), field: field.to_owned() };
    let title = get("title").ok_or_else(|| missing("title"))?;
    let taxon = get("taxon_id").ok_or_else(|| missing("taxon_id"))?;
    let taxon_id = taxon.parse::<u32>().ok().filter(|&t| t > 0).ok_or_else(|| EnaError::InvalidValue {
        record: alias.to_owned(),
        field: "taxon_id".to_owned(),
        value: taxon.to_owned(),
        reason: "must be a positive NCBI taxonomy identifier".to_owned(),
    })?;
    let rest: Vec<(&str, Option<&str>)> =
        values.iter().copied().filter(|(t, _)| !STRUCTURAL_FIELDS.contains(&t.trim())).collect();
    Ok(Sample {
        alias: alias.to_owned(),
        title: title.to_owned(),
        taxon_id,
        scientific_name: get("scientific_name").unwrap_or(scientific_name).to_owned(),
        attributes: checklist_attributes(alias, &rest)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANDATORY: &[(&str, Option<&str>)] = &[
        ("collection date", Some("2021-03-14")),
        ("geographic location (country and/or sea)", Some("belgium")),
        ("host common name", Some("human")),
        ("host subject id", Some("patient-1")),
        ("host health state", Some("Diseased")),
        ("host sex", Some("female")),
        ("host scientific name", Some("Homo sapiens")),
        ("collector name", Some("Jane Doe")),
        ("collecting institution", Some("Example Institute")),
        ("isolate", Some("SARS-CoV-2/human/BEL/1/2021")),
    ];

    fn value<'a>(attrs: &'a [Attribute], tag: &str) -> Option<&'a Attribute> {
        attrs.iter().find(|a| a.tag == tag)
    }

    #[test]
    fn full_sample_is_canonicalised_with_units() {
        let mut values = MANDATORY.to_vec();
        values.extend([
            ("host age", Some("42")),
            ("geographic location (latitude)", Some("50.85")),
            ("hospitalisation", Some("Yes")),
            ("GISAID Accession ID", Some("EPI_ISL_1")),
        ]);
        let attrs = checklist_attributes("s1", &values).unwrap();
        assert_eq!(attrs[0], Attribute::new("ENA-CHECKLIST", "ERC000033"));
        assert_eq!(value(&attrs, "geographic location (country and/or sea)").unwrap().value, "Belgium");
        assert_eq!(value(&attrs, "host health state").unwrap().value, "diseased");
        assert_eq!(value(&attrs, "hospitalisation").unwrap().value, "yes");
        assert_eq!(value(&attrs, "host age").unwrap().units.as_deref(), Some("years"));
        assert_eq!(value(&attrs, "geographic location (latitude)").unwrap().units.as_deref(), Some("DD"));
        assert_eq!(attrs.last().unwrap(), &Attribute::new("GISAID Accession ID", "EPI_ISL_1"));
        assert!(value(&attrs, "host disease outcome").is_none());
    }

    #[test]
    fn absent_mandatory_becomes_not_provided() {
        let attrs =
            checklist_attributes("s2", &[("host sex", None), ("collector name", Some("  "))]).unwrap();
        let mandatory = SAMPLE_FIELDS
            .iter()
            .filter(|f| f.requirement == Requirement::Mandatory && !STRUCTURAL_FIELDS.contains(&f.name));
        for field in mandatory {
            assert_eq!(value(&attrs, field.name).unwrap().value, "not provided", "{}", field.name);
        }
        assert_eq!(attrs.len(), 11);
    }

    #[test]
    fn refusals_name_record_field_and_reason() {
        let err = checklist_attributes("s3", &[("host sex", Some("unknown"))]).unwrap_err();
        assert!(
            matches!(&err, EnaError::NotInVocabulary { record, field, .. } if record == "s3" && field == "host sex")
        );
        // "missing" is an ENA term, but host health state's vocabulary does not list it.
        let err = checklist_attributes("s3", &[("host health state", Some("missing"))]).unwrap_err();
        assert!(matches!(err, EnaError::NotInVocabulary { .. }));
        // Country lists it.
        let attrs =
            checklist_attributes("s3", &[("geographic location (country and/or sea)", Some("Missing"))]);
        assert_eq!(
            value(&attrs.unwrap(), "geographic location (country and/or sea)").unwrap().value,
            "missing"
        );
        for (tag, bad) in [
            ("collection date", "14/03/2021"),
            ("collection date", "2021-13-01"),
            ("host age", "forty"),
            ("host age", "-3"),
            ("receipt date", "2021-3-1"),
        ] {
            let err = checklist_attributes("s3", &[(tag, Some(bad))]).unwrap_err();
            assert!(
                matches!(&err, EnaError::InvalidValue { field, value, .. } if field == tag && value == bad),
                "{err}"
            );
        }
        let err =
            checklist_attributes("s3", &[("geographic location (latitude)", Some("95.5"))]).unwrap_err();
        assert!(err.to_string().contains("between -90 and 90"), "{err}");
        let err = checklist_attributes("s3", &[("host sex", Some("male")), ("host sex", Some("male"))]);
        assert!(matches!(err, Err(EnaError::Duplicate { .. })));
        assert!(matches!(
            checklist_attributes("s3", &[("alias", Some("x"))]),
            Err(EnaError::StructuralField { .. })
        ));
        let err = checklist_attributes("s3", &[("isolate", Some("a\u{1}b"))]).unwrap_err();
        assert!(matches!(err, EnaError::InvalidCharacter { code: 1, .. }));
    }

    #[test]
    fn missing_terms_where_accepted() {
        let attrs = checklist_attributes(
            "s4",
            &[
                ("collection date", Some("Not Collected")),
                ("host age", Some("not provided")),
                ("geographic location (latitude)", Some("restricted access")),
            ],
        )
        .unwrap();
        assert_eq!(value(&attrs, "collection date").unwrap().value, "not collected");
        // Host age's pattern lists no missing-value term: an optional field is simply left out.
        assert!(value(&attrs, "host age").is_none());
        let lat = value(&attrs, "geographic location (latitude)").unwrap();
        assert_eq!((lat.value.as_str(), lat.units.as_deref()), ("restricted access", None));
        for date in ["2021", "2021-03", "2021-03-14T10:20Z", "2020/2021-02", "2021-03-14T10:20:30+01"] {
            checklist_attributes("s4", &[("collection date", Some(date))])
                .unwrap_or_else(|e| panic!("{date}: {e}"));
        }
    }

    #[test]
    fn whole_sample_from_values() {
        let mut values = MANDATORY.to_vec();
        values.extend([("alias", Some("s5")), ("title", Some("Sample 5")), ("taxon_id", Some("2697049"))]);
        let sample = checklist_sample(&values, "Severe acute respiratory syndrome coronavirus 2").unwrap();
        assert_eq!((sample.alias.as_str(), sample.taxon_id), ("s5", 2697049));
        assert_eq!(sample.attributes.len(), 11);
        values.retain(|(t, _)| *t != "taxon_id");
        values.push(("taxon_id", Some("SARS")));
        let err = checklist_sample(&values, "x").unwrap_err();
        assert!(
            matches!(err, EnaError::InvalidValue { record, field, .. } if record == "s5" && field == "taxon_id")
        );
    }
}
