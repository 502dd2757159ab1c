//! The ERC000033 rules written as Rust data equal ENA's published checklist (shared data), so
//! they cannot drift from it.

use regex::Regex;
use serde_json::Value;
use virion_ena::checklist::{Requirement, Rule, STRUCTURAL_FIELDS, sample_fields};
use virion_ena::checklist_attributes;

fn checklist_fields() -> Option<Vec<Value>> {
    let path = virion_testdata::shared_data()?.join("ena/ERC000033.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap();
    Some(json["sample"]["fields"].as_array().expect("sample.fields").clone())
}

fn str_field<'a>(field: &'a Value, key: &str) -> &'a str {
    field[key].as_str().unwrap_or_else(|| panic!("{key} of {field}"))
}

#[test]
fn rules_equal_the_published_checklist() {
    let Some(fields) = checklist_fields() else { return };
    let ours = sample_fields();
    let names: Vec<&str> = fields.iter().map(|f| str_field(f, "name")).collect();
    let our_names: Vec<&str> = ours.iter().map(|f| f.name).collect();
    assert_eq!(our_names, names, "field names and order");
    for (field, rule) in fields.iter().zip(ours) {
        let name = rule.name;
        let requirement = match str_field(field, "cardinality") {
            "mandatory" => Requirement::Mandatory,
            "recommended" => Requirement::Recommended,
            "optional" => Requirement::Optional,
            other => panic!("{name}: cardinality {other}"),
        };
        assert_eq!(rule.requirement, requirement, "{name}");
        let cv: Vec<&str> = field["cv"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let regex = str_field(field, "regex");
        let expected = if !cv.is_empty() {
            Rule::Vocabulary(Vec::leak(cv.iter().map(|s| &*s.to_string().leak()).collect()))
        } else if !regex.is_empty() {
            Rule::Pattern(regex.to_owned().leak())
        } else {
            Rule::Text
        };
        assert_eq!(rule.rule, expected, "{name}");
        let units = str_field(field, "units");
        assert_eq!(rule.units, (!units.is_empty()).then_some(units), "{name}");
    }
}

/// Every mandatory field left blank becomes "not provided", and the published rules accept it.
#[test]
fn not_provided_is_accepted_for_every_mandatory_field() {
    let Some(fields) = checklist_fields() else { return };
    let attributes = checklist_attributes("blank", &[]).unwrap();
    let mandatory: Vec<&Value> = fields
        .iter()
        .filter(|f| str_field(f, "cardinality") == "mandatory")
        .filter(|f| !STRUCTURAL_FIELDS.contains(&str_field(f, "name")))
        .collect();
    assert_eq!(attributes.len(), mandatory.len() + 1, "ENA-CHECKLIST + one per mandatory field");
    for field in mandatory {
        let name = str_field(field, "name");
        let attribute = attributes.iter().find(|a| a.tag == name).unwrap_or_else(|| panic!("{name} missing"));
        let cv: Vec<&str> = field["cv"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        let regex = str_field(field, "regex");
        if !cv.is_empty() {
            assert!(
                cv.contains(&attribute.value.as_str()),
                "{name}: {} not in its vocabulary",
                attribute.value
            );
        } else if !regex.is_empty() {
            assert!(Regex::new(regex).unwrap().is_match(&attribute.value), "{name}: {}", attribute.value);
        }
    }
}

/// Every vocabulary term of the published checklist is accepted and written unchanged.
#[test]
fn every_published_term_is_accepted() {
    let Some(fields) = checklist_fields() else { return };
    for field in &fields {
        let name = str_field(field, "name");
        if STRUCTURAL_FIELDS.contains(&name) {
            continue;
        }
        for term in field["cv"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()) {
            let attributes = checklist_attributes("terms", &[(name, Some(term))]).unwrap();
            let written =
                attributes.iter().find(|a| a.tag == name).unwrap_or_else(|| panic!("{name}={term}"));
            assert_eq!(written.value, term);
        }
    }
}
