//! The shipped organism configs load, agree with the ENA checklist, and produce usable templates.

use virion_schema::{FieldType, OrganismRegistry, Severity, Validator, insdc_countries, template_tsv};
use virion_testdata::shared_data;

/// `<repo>/../shared/data`, or `None` (after a notice) when absent and not required.
fn ena_sample_fields(data: &std::path::Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(data.join("ena/ERC000033.json")).unwrap();
    let checklist: serde_json::Value = serde_json::from_str(&text).unwrap();
    checklist["sample"]["fields"].as_array().unwrap().clone()
}

#[test]
fn every_shipped_config_loads_with_the_essentials() {
    let registry = OrganismRegistry::builtin();
    let names: Vec<&str> = registry.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["sars-cov-2", "rsv-a", "mpox", "influenza-a-h3n2"]);
    let mut prefixes = std::collections::HashSet::new();
    for config in registry.iter() {
        assert!(prefixes.insert(config.accession_prefix.clone()), "{}: accession prefix reused", config.name);
        let required: Vec<&str> =
            config.fields.iter().filter(|f| f.required).map(|f| f.name.as_str()).collect();
        assert_eq!(
            required,
            ["collection_date", "country"],
            "{}: only date and country are truly required",
            config.name
        );
        assert_eq!(config.field("collection_date").unwrap().field_type, FieldType::Date);
        for field in &config.fields {
            assert!(
                !field.description.is_empty() && field.example.is_some(),
                "{}.{} needs a description and example",
                config.name,
                field.name
            );
        }
    }
}

#[test]
fn sars_cov_2_maps_every_mandatory_ena_sample_field() {
    let Some(data) = shared_data() else { return };
    let config = OrganismRegistry::builtin().get("sars-cov-2").unwrap().clone();
    let mandatory: Vec<String> = ena_sample_fields(&data)
        .iter()
        .filter(|f| f["cardinality"] == "mandatory")
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(mandatory.len() >= 10, "{mandatory:?}");
    for organism in OrganismRegistry::builtin().iter() {
        for tag in &mandatory {
            let field = organism.fields.iter().find(|f| f.ena_tag.as_deref() == Some(tag.as_str()));
            let field =
                field.unwrap_or_else(|| panic!("{}: no field carries ENA tag '{tag}'", organism.name));
            let is_id = field.name == organism.submission_id_column;
            assert!(
                field.required || field.default.is_some() || is_id,
                "{}.{} maps ENA-mandatory '{tag}' but is neither required nor defaulted",
                organism.name,
                field.name
            );
        }
    }
    // Enum vocabularies for ENA choice fields stay within ENA's own list.
    for ena in ena_sample_fields(&data) {
        let Some(field) = config.fields.iter().find(|f| f.ena_tag.as_deref() == ena["name"].as_str()) else {
            continue;
        };
        let ena_terms: Vec<&str> =
            ena["cv"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        if let Some(virion_schema::VocabularySpec::Terms(terms)) = &field.vocabulary {
            for term in terms {
                assert!(
                    ena_terms.is_empty() || ena_terms.contains(&term.as_str()),
                    "{}: '{term}' is not an ENA term",
                    field.name
                );
            }
        }
    }
}

#[test]
fn embedded_country_list_equals_the_checklist() {
    let Some(data) = shared_data() else { return };
    let fields = ena_sample_fields(&data);
    let country = fields.iter().find(|f| f["name"] == "geographic location (country and/or sea)").unwrap();
    let ena: Vec<&str> = country["cv"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let ena_countries: Vec<&str> =
        ena.iter().copied().filter(|t| !virion_schema::ENA_MISSING_TERMS.contains(t)).collect();
    let ours: Vec<&str> = insdc_countries().iter().map(String::as_str).collect();
    assert_eq!(ours, ena_countries);
    // The rest of ENA's list is exactly its missing-value terms.
    let mut missing: Vec<&str> =
        ena.iter().copied().filter(|t| virion_schema::ENA_MISSING_TERMS.contains(t)).collect();
    let mut ours_missing = virion_schema::ENA_MISSING_TERMS.to_vec();
    missing.sort_unstable();
    ours_missing.sort_unstable();
    assert_eq!(missing, ours_missing);
}

#[test]
fn templates_validate_cleanly_against_their_schema() {
    for config in OrganismRegistry::builtin().iter() {
        let template = template_tsv(config);
        let mut lines = template.lines();
        let header: Vec<String> = lines.next().unwrap().split('\t').map(str::to_owned).collect();
        let example: Vec<&str> = lines.next().unwrap().split('\t').collect();
        assert_eq!(header.len(), config.fields.len());
        assert_eq!(example.len(), header.len());
        let mut validator = Validator::new(config, "template.tsv");
        assert!(
            validator.set_header(&header).is_empty(),
            "{}: template header has unknown columns",
            config.name
        );
        let mut row = virion_schema::Row::default();
        row.line = 2;
        example.iter().for_each(|c| row.push_cell(c));
        let out = validator.validate_row(&row);
        assert!(out.issues.is_empty(), "{}: the example row has issues: {:#?}", config.name, out.issues);
        assert!(out.issues.iter().all(|i| i.severity != Severity::Error));
    }
}

#[test]
fn influenza_is_segmented_with_a_dataset_per_segment() {
    let config = OrganismRegistry::builtin().get("influenza-a-h3n2").unwrap().clone();
    let segments: Vec<&str> = config.segments.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(segments, ["pb2", "pb1", "pa", "ha", "np", "na", "mp", "ns"]);
    let datasets = config.datasets_in(std::path::Path::new("root"));
    assert!(datasets.segmented);
    assert_eq!(datasets.segments[3], ("ha".to_owned(), std::path::PathBuf::from("root/flu-h3n2-ha")));
    assert_eq!(config.fasta_ids_column.as_deref(), Some("fasta_ids"));

    // One dataset or a list of segments, not both, not neither; segment names as LAPIS needs.
    let head =
        "name = \"x\"\ndisplay_name = \"X\"\naccession_prefix = \"X\"\nsubmission_id_column = \"id\"\n";
    let fields = "[[fields]]\nname = \"id\"\ntype = \"string\"\n";
    let load = |middle: &str| {
        virion_schema::OrganismConfig::from_toml(&format!("{head}{middle}\n{fields}"), "x.toml")
    };
    let both = load("dataset = \"d\"\nsegments = [{ name = \"s\", dataset = \"d\" }]");
    assert!(both.unwrap_err().to_string().contains("not one `dataset`"));
    assert!(load("").unwrap_err().to_string().contains("name the Nextclade dataset"));
    let bad_name = load("segments = [{ name = \"HA 1\", dataset = \"d\" }]").unwrap_err().to_string();
    assert!(bad_name.contains("must be a letter then letters"), "{bad_name}");
    let main = load("segments = [{ name = \"main\", dataset = \"d\" }]").unwrap_err().to_string();
    assert!(main.contains("unsegmented"), "{main}");
    let chr = load("segments = [{ name = \"chr1\", dataset = \"d\" }]").unwrap_err().to_string();
    assert!(chr.contains("ENA refuses"), "{chr}");
    load("segments = [{ name = \"L\", dataset = \"d\" }, { name = \"M\", dataset = \"e\" }]").unwrap();
    let twice = load("segments = [{ name = \"s\", dataset = \"d\" }, { name = \"s\", dataset = \"e\" }]");
    assert!(twice.unwrap_err().to_string().contains("listed twice"));
    let single = load("dataset = \"d\"\nfasta_ids_column = \"id\"").unwrap_err().to_string();
    assert!(single.contains("only a segmented organism"), "{single}");
}
