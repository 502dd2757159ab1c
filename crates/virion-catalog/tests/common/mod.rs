//! A realistic node catalogue shared by the tests.

use chrono::NaiveDate;
use virion_catalog::{
    AccessRight, Agent, Catalog, Column, ContactPoint, CsvwDatatype, DataService, DataTheme, Dataset,
    Distribution, FileType, HealthCategory, Language, Licence, MediaType, Person, PublisherType, Table,
    TableGroup,
};

pub const NODE: &str = "https://virion.example.org";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

fn institute() -> Agent {
    Agent {
        uri: Some(format!("{NODE}/org")),
        name: "Example Public Health Institute".into(),
        publisher_type: PublisherType::PublicHealthInstitute,
        homepage: Some("https://phi.example.org/".into()),
        contact: ContactPoint {
            name: "Virion helpdesk".into(),
            email: Some("helpdesk@virion.example.org".into()),
            url: Some(format!("{NODE}/contact")),
        },
    }
}

fn metadata_columns() -> TableGroup {
    let column = |name: &str, title: &str, description: &str, datatype| Column {
        name: name.into(),
        title: title.into(),
        description: description.into(),
        datatype,
    };
    TableGroup {
        title: "Sample metadata".into(),
        tables: vec![Table {
            title: "Samples".into(),
            url: Some(format!("{NODE}/api/sample/details?dataFormat=tsv")),
            columns: vec![
                column("accession", "Accession", "INSDC accession of the sequence", CsvwDatatype::String),
                column("date", "Collection date", "Date the sample was collected", CsvwDatatype::Date),
                column("country", "Country", "INSDC country of collection", CsvwDatatype::String),
                column("length", "Sequence length", "Number of nucleotides", CsvwDatatype::Integer),
            ],
        }],
    }
}

/// An organism dataset served by the node's LAPIS API.
fn organism(slug: &str, name: &str, spatial: &[&str], span: (NaiveDate, NaiveDate), records: u64) -> Dataset {
    let uri = format!("{NODE}/dataset/{slug}");
    Dataset {
        uri: uri.clone(),
        identifier: format!("virion:{slug}"),
        title: format!("{name} genomes"),
        description: format!("Consensus genome sequences of {name} with sample metadata, updated daily."),
        keywords: vec![name.into(), "genomic surveillance".into(), "pathogen genomics".into()],
        themes: vec![DataTheme::ScienceAndTechnology],
        landing_page: format!("{NODE}/organisms/{slug}"),
        temporal: Some(span),
        spatial: spatial.iter().map(|s| s.to_string()).collect(),
        record_count: records,
        licence: Licence::CcBy4,
        access_rights: AccessRight::Public,
        issued: Some(day(2024, 1, 15)),
        modified: day(2026, 7, 1),
        version: None,
        creators: Vec::new(),
        contributors: Vec::new(),
        is_version_of: None,
        has_version: Vec::new(),
        distributions: vec![
            Distribution {
                uri: format!("{uri}/metadata.tsv"),
                title: format!("{name} sample metadata (TSV)"),
                access_url: format!("{NODE}/lapis/{slug}/sample/details"),
                download_url: Some(format!("{NODE}/lapis/{slug}/sample/details?dataFormat=tsv")),
                media_type: MediaType::TabSeparatedValues,
                format: Some(FileType::Tsv),
                licence: None,
                byte_size: None,
                access_service: Some(format!("{NODE}/service/lapis")),
            },
            Distribution {
                uri: format!("{uri}/sequences.fasta"),
                title: format!("{name} aligned sequences (FASTA)"),
                access_url: format!("{NODE}/lapis/{slug}/sample/alignedNucleotideSequences"),
                download_url: Some(format!("{NODE}/lapis/{slug}/sample/alignedNucleotideSequences")),
                // No IANA type or EU file type exists for FASTA: plain text, format left out.
                media_type: MediaType::PlainText,
                format: None,
                licence: None,
                byte_size: Some(records * 30_000),
                access_service: Some(format!("{NODE}/service/lapis")),
            },
        ],
        health_categories: vec![HealthCategory::PathogenData],
        hdab: institute(),
        variables: Some(metadata_columns()),
        population_coverage: Some(format!("Samples from people infected with {name}.")),
    }
}

fn collection() -> Dataset {
    let uri = format!("{NODE}/collections/ba-2-86/v2");
    Dataset {
        uri: uri.clone(),
        identifier: "https://doi.org/10.5072/virion.ba286.v2".into(),
        title: "SARS-CoV-2 BA.2.86 in Denmark, autumn 2023".into(),
        description: "A frozen, citable selection of BA.2.86 genomes sequenced in Denmark.".into(),
        keywords: vec!["BA.2.86".into(), "SARS-CoV-2".into()],
        themes: Vec::new(),
        landing_page: format!("{NODE}/collections/ba-2-86/v2"),
        temporal: Some((day(2023, 8, 14), day(2023, 11, 30))),
        spatial: vec!["Denmark".into()],
        record_count: 1_432,
        licence: Licence::CcBy4,
        access_rights: AccessRight::Public,
        issued: Some(day(2024, 2, 1)),
        modified: day(2024, 2, 1),
        version: Some("2".into()),
        creators: vec![
            Person {
                uri: Some("https://orcid.org/0000-0002-1825-0097".into()),
                name: "Josiah Carberry".into(),
            },
            Person { uri: None, name: "Ada Jensen".into() },
        ],
        contributors: vec![Person { uri: None, name: "Virion curation team".into() }],
        is_version_of: Some(format!("{NODE}/collections/ba-2-86")),
        has_version: Vec::new(),
        distributions: vec![Distribution {
            uri: format!("{uri}/package.zip"),
            title: "Collection package (RO-Crate)".into(),
            access_url: format!("{NODE}/collections/ba-2-86/v2"),
            download_url: Some(format!("{NODE}/collections/ba-2-86/v2/download")),
            media_type: MediaType::Zip,
            format: Some(FileType::Zip),
            licence: Some(Licence::CcBy4),
            byte_size: Some(48_213_554),
            access_service: None,
        }],
        health_categories: vec![HealthCategory::PathogenData],
        hdab: institute(),
        variables: None,
        population_coverage: None,
    }
}

/// The node's catalogue: three organisms, one citable collection, and the LAPIS service.
pub fn catalog() -> Catalog {
    let datasets = vec![
        organism(
            "sars-cov-2",
            "SARS-CoV-2",
            &["Denmark", "Germany: Berlin", "USA", "Viet Nam"],
            (day(2020, 3, 1), day(2026, 6, 30)),
            412_118,
        ),
        organism(
            "rsv-a",
            "RSV-A",
            &["Denmark", "Sweden", "not collected"],
            (day(2019, 10, 1), day(2026, 5, 2)),
            8_204,
        ),
        organism(
            "mpxv",
            "Mpox virus",
            &["Nigeria", "Democratic Republic of the Congo", "Atlantic Ocean"],
            (day(2022, 5, 6), day(2026, 4, 30)),
            3_017,
        ),
        collection(),
    ];
    let lapis = DataService {
        uri: format!("{NODE}/service/lapis"),
        title: "LAPIS query API".into(),
        description: "Filter, aggregate and download sequences and metadata of every organism.".into(),
        endpoint_url: format!("{NODE}/lapis/"),
        endpoint_description: format!("{NODE}/lapis/openapi.json"),
        serves_datasets: datasets.iter().take(3).map(|d| d.uri.clone()).collect(),
        licence: Some(Licence::CcBy4),
        access_rights: Some(AccessRight::Public),
    };
    Catalog {
        uri: format!("{NODE}/catalog"),
        title: "Virion node catalogue".into(),
        description: "Pathogen genomic datasets published by this Virion node.".into(),
        homepage: format!("{NODE}/"),
        language: Some(Language::English),
        publisher: institute(),
        contact: ContactPoint {
            name: "Virion helpdesk".into(),
            email: Some("helpdesk@virion.example.org".into()),
            url: None,
        },
        issued: Some(day(2024, 1, 15)),
        modified: day(2026, 7, 1),
        datasets,
        services: vec![lapis],
    }
}
