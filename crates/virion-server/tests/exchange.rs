//! Open science exchange on a hub holding real released genomes, on SQLite and PostgreSQL:
//! the ENA deposition round trip (Webin files checked against ENA's XSDs with xmllint, receipts
//! recorded as new versions) and the DCAT-AP catalogue (checked with pySHACL against the
//! DCAT-AP 3.0.1 and HealthDCAT-AP public shapes).

mod common;

use std::io::Read;

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use common::{GROUP, Hub, csrf_in, example_subset, log_in};
use serde_json::{Value, json};
use virion_testdata::tools;

hub_tests!(
    ena_deposit_round_trip,
    ena_from_the_review_page,
    dcat_catalogue_conforms,
    ro_crate_downloads,
    citable_collections
);

const GENOMES: usize = 6;
/// All but the one already in INSDC.
const DEPOSITED: usize = GENOMES - 1;

/// Submits, processes and releases `GENOMES` real genomes; returns their accession.versions.
/// Only the first keeps its GenBank accession: the others are not in INSDC yet.
async fn release_examples(hub: &Hub) -> Vec<String> {
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), GENOMES);
    let mut table = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&metadata).unwrap()).read_to_string(&mut table).unwrap();
    let column = table.lines().next().unwrap().split('\t').position(|c| c == "genbank_accession").unwrap();
    let rows: Vec<String> = table
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<&str> = line.split('\t').collect();
            if i > 1 {
                cells[column] = "";
            }
            cells.join("\t")
        })
        .collect();
    let metadata = hub.dir.path().join("metadata.tsv");
    std::fs::write(&metadata, rows.join("\n") + "\n").unwrap();
    let (code, body) = hub.submit("submitter", &metadata, &sequences).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    process_and_release(hub, GENOMES).await;
    body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}.{}", e["accession"].as_str().unwrap(), e["version"]))
        .collect()
}

async fn process_and_release(hub: &Hub, expected: usize) {
    hub.process_until(2, 600, async || {
        let (_, body) = hub
            .get_json(&format!("/api/sars-cov-2/entries?group={GROUP}&status=PROCESSED"), Some("curator"))
            .await;
        body["entries"].as_array().map_or(0, Vec::len) == expected
    })
    .await;
    let (code, approved) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/approve",
            Some("curator"),
            json!({ "group": GROUP, "scope": "all" }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{approved}");
    assert_eq!(approved["released"], expected, "{approved}");
    hub.state.collections().refresh(&hub.store).await;
}

fn xsd(hub: &Hub, name: &str) -> std::path::PathBuf {
    hub.shared.join("fair/ena-webin-xsd").join(name)
}

fn receipt_xml(objects: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<RECEIPT receiptDate="2026-12-07T10:15:00.000Z" submissionFile="submission.xml" success="true">
{objects}
<MESSAGES><INFO>This submission is a TEST submission and will be discarded within 24 hours</INFO></MESSAGES>
<ACTIONS>ADD</ACTIONS>
</RECEIPT>
"#
    )
}

async fn ena_deposit_round_trip(hub: &Hub) {
    let released = release_examples(hub).await;
    let export = json!({
        "group": GROUP, "platform": "ILLUMINA", "program": "ARTIC nf 1.3", "coverage": 250.0,
        "centerName": "Test Lab",
    });
    // Only members of the group may export.
    let (code, _) =
        hub.json(Method::POST, "/api/sars-cov-2/ena/export", Some("outsider"), export.clone()).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, headers, zip_bytes) = hub
        .call(
            Method::POST,
            "/api/sars-cov-2/ena/export",
            Some("curator"),
            &[("content-type", "application/json")],
            Body::from(export.to_string()),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{}", String::from_utf8_lossy(&zip_bytes));
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    let out = hub.dir.path().join("ena-export");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.to_vec())).unwrap();
    archive.extract(&out).unwrap();

    // Every XML validates against ENA's own schemas.
    for (file, schema) in [
        ("study.xml", "ENA.project.xsd"),
        ("samples.xml", "SRA.sample.xsd"),
        ("submission.xml", "SRA.submission.xsd"),
    ] {
        if let Some(result) = tools::xmllint(&xsd(hub, schema), &out.join(file)) {
            result.unwrap_or_else(|e| panic!("{file} does not validate against {schema}: {e}"));
        }
    }
    let summary: Value = serde_json::from_slice(&std::fs::read(out.join("export.json")).unwrap()).unwrap();
    // The genome already in INSDC (a GenBank accession) is left out.
    let entries = summary["entries"].as_array().unwrap();
    assert_eq!(entries.len(), DEPOSITED, "{summary}");
    assert!(entries.iter().all(|e| e["accessionVersion"] != released[0].as_str()), "{summary}");
    let samples = std::fs::read_to_string(out.join("samples.xml")).unwrap();
    assert_eq!(samples.matches("<SAMPLE ").count(), DEPOSITED);
    assert!(samples.contains("<TAG>ENA-CHECKLIST</TAG>") && samples.contains("<VALUE>ERC000033</VALUE>"));
    assert!(samples.contains("<TAXON_ID>2697049</TAXON_ID>"));
    let study = std::fs::read_to_string(out.join("study.xml")).unwrap();
    let study_alias = summary["export"].as_str().unwrap().to_owned() + "-study";
    assert!(study.contains(&format!("alias=\"{study_alias}\"")), "{study}");

    for entry in entries {
        let av = entry["accessionVersion"].as_str().unwrap();
        assert!(released.contains(&av.to_owned()));
        assert_eq!(entry["sampleAlias"], av);
        let manifest_path = out.join(entry["manifest"].as_str().unwrap());
        let manifest = virion_ena::parse_manifest(&std::fs::read_to_string(&manifest_path).unwrap()).unwrap();
        let m = &manifest.manifest;
        assert_eq!(m.study, study_alias);
        assert_eq!(m.sample, av);
        assert_eq!(m.assembly_name, av);
        assert_eq!(m.assembly_type, virion_ena::AssemblyType::CovidOutbreak);
        assert_eq!(m.coverage, 250.0);
        assert_eq!(m.program, "ARTIC nf 1.3");
        assert_eq!(m.molecule_type, Some(virion_ena::MoleculeType::GenomicRna));
        // The platform comes from the row's instrument when it names one, else the export's.
        assert!(!m.platform.is_empty());
        let dir = manifest_path.parent().unwrap();
        let fasta = gunzip(&dir.join(&manifest.fasta));
        let chromosomes = gunzip(&dir.join(manifest.chromosome_list.as_deref().expect("a chromosome list")));
        let header = fasta.lines().next().unwrap().trim_start_matches('>').to_owned();
        let columns: Vec<&str> = chromosomes.trim_end().split('\t').collect();
        assert_eq!(columns[..3], [header.as_str(), "1", "Monopartite"], "{av}: {chromosomes}");
        // The sequence is the stored one, without the leading and trailing Ns ENA refuses.
        let (_, _, stored) = hub
            .call(
                Method::GET,
                &format!("/api/sars-cov-2/entries/{av}?format=fasta"),
                None,
                &[],
                Body::empty(),
            )
            .await;
        let stored: String = String::from_utf8_lossy(&stored).lines().skip(1).collect();
        let exported: String = fasta.lines().skip(1).collect();
        assert_eq!(exported, stored.trim_matches('N'), "{av}");
    }

    // Nothing is exported twice.
    let (code, again) = hub.json(Method::POST, "/api/sars-cov-2/ena/export", Some("curator"), export).await;
    assert_eq!(code, StatusCode::CONFLICT, "{again}");

    // ENA's receipt for the study and samples, then Webin-CLI's for each genome.
    let first = &entries[0]["accessionVersion"].as_str().unwrap().to_owned();
    // In the receipt schema's order: samples, then the project, then the submission.
    let mut objects = String::new();
    for (i, e) in entries.iter().enumerate() {
        objects.push_str(&format!(
            r#"<SAMPLE accession="ERS{n}" alias="{a}" status="PRIVATE"><EXT_ID accession="SAMEA{n}" type="biosample"/></SAMPLE>"#,
            n = 7_000_000 + i,
            a = e["accessionVersion"].as_str().unwrap()
        ));
    }
    objects.push_str(&format!(r#"<PROJECT accession="PRJEB99999" alias="{study_alias}" status="PRIVATE"/>"#));
    objects.push_str(r#"<SUBMISSION accession="ERA9999999" alias="virion-test"/>"#);
    let samples_receipt = receipt_xml(&objects);
    let receipt_file = hub.dir.path().join("receipt.xml");
    std::fs::write(&receipt_file, &samples_receipt).unwrap();
    if let Some(result) = tools::xmllint(&xsd(hub, "SRA.receipt.xsd"), &receipt_file) {
        result.expect("the test's receipt follows ENA's receipt schema");
    }
    let post_receipt = async |xml: &str| {
        let (code, _, body) = hub
            .call(
                Method::POST,
                "/api/sars-cov-2/ena/receipt",
                Some("curator"),
                &[("content-type", "application/xml")],
                Body::from(xml.to_owned()),
            )
            .await;
        (code, serde_json::from_slice::<Value>(&body).unwrap_or(Value::Null))
    };
    let (code, recorded) = post_receipt(&samples_receipt).await;
    assert_eq!(code, StatusCode::OK, "{recorded}");
    assert_eq!(recorded["recorded"].as_array().unwrap().len(), DEPOSITED, "{recorded}");

    // The genome receipt waits until the versions carrying the sample accessions are released.
    let analysis = receipt_xml(&format!(
        r#"<ANALYSIS accession="ERZ8000000" alias="webin-genome-{first}" status="PRIVATE"/>"#
    ));
    let (code, early) = post_receipt(&analysis).await;
    assert_eq!(code, StatusCode::CONFLICT, "{early}");
    process_and_release(hub, DEPOSITED).await;
    let (code, recorded) = post_receipt(&analysis).await;
    assert_eq!(code, StatusCode::OK, "{recorded}");
    process_and_release(hub, 1).await;

    // The newest version carries every accession, and says why it was made.
    let accession = first.split('.').next().unwrap();
    let (code, newest) = hub.get_json(&format!("/api/sars-cov-2/entries/{accession}.3"), None).await;
    assert_eq!(code, StatusCode::OK, "{newest}");
    let metadata = &newest["metadata"];
    assert_eq!(metadata["ena_study_accession"], "PRJEB99999", "{newest}");
    assert_eq!(metadata["ena_sample_accession"], "ERS7000000");
    assert_eq!(metadata["biosample_accession"], "SAMEA7000000");
    assert_eq!(metadata["ena_assembly_accession"], "ERZ8000000");
    assert!(newest.to_string().contains("ENA deposition"), "{newest}");

    // A refused submission's receipt, or one naming aliases no export made, records nothing.
    let refused = receipt_xml("").replace("success=\"true\"", "success=\"false\"").replace(
        "<MESSAGES>",
        "<MESSAGES><ERROR>In sample, alias:\"x\". The object being added already exists.</ERROR>",
    );
    let (code, problem) = post_receipt(&refused).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("already exists"), "{problem}");
    let stranger = receipt_xml(r#"<SAMPLE accession="ERS1" alias="not-ours" status="PRIVATE"/>"#);
    let (code, _) = post_receipt(&stranger).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = post_receipt("<RECEIPT").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
}

fn gunzip(path: &std::path::Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_string(&mut text).unwrap();
    text
}

async fn dcat_catalogue_conforms(hub: &Hub) {
    release_examples(hub).await;
    let mut turtle = String::new();
    for (accept, media) in [
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/rdf+xml;q=0.9, text/html", "application/rdf+xml"),
    ] {
        let (code, headers, body) =
            hub.call(Method::GET, "/catalog", None, &[("accept", accept)], Body::empty()).await;
        assert_eq!(code, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with(media));
        if media == "text/turtle" {
            turtle = String::from_utf8(body.to_vec()).unwrap();
        }
    }
    let (code, _, _) =
        hub.call(Method::GET, "/catalog", None, &[("accept", "text/html")], Body::empty()).await;
    assert_eq!(code, StatusCode::NOT_ACCEPTABLE);
    let (code, _, by_extension) = hub.call(Method::GET, "/catalog.ttl", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(by_extension, turtle.as_bytes());

    // Computed from the data: the record count and the organism's dataset.
    assert!(turtle.contains(&format!("\"{GENOMES}\"")), "{turtle}");
    assert!(turtle.contains("sars-cov-2#dataset"), "{turtle}");
    let file = hub.dir.path().join("catalog.ttl");
    std::fs::write(&file, &turtle).unwrap();
    if let Some(result) = tools::dcat_ap_conforms(&file) {
        result.unwrap_or_else(|report| panic!("the catalogue does not conform to DCAT-AP 3.0.1:\n{report}"));
    }
    if let Some(result) = tools::healthdcat_ap_conforms(&file) {
        result.unwrap_or_else(|report| {
            panic!("the catalogue does not conform to HealthDCAT-AP (public):\n{report}")
        });
    }
}

/// The files of a zip, by name.
fn unzip(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            (file.name().unwrap().to_string(), data)
        })
        .collect()
}

async fn ro_crate_downloads(hub: &Hub) {
    let released = release_examples(hub).await;
    let crates = hub.dir.path().join("crates");
    std::fs::create_dir_all(&crates).unwrap();
    // A details download: the packed file is byte for byte the plain answer.
    let (code, _, plain) =
        hub.call(Method::GET, "/sars-cov-2/sample/details?dataFormat=tsv", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let (code, headers, packed) = hub
        .call(
            Method::GET,
            "/sars-cov-2/sample/details?dataFormat=tsv&package=ro-crate",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{}", String::from_utf8_lossy(&packed));
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    let files = unzip(&packed);
    let metadata: Value = serde_json::from_slice(&files["ro-crate-metadata.json"]).unwrap();
    let graph = metadata["@graph"].as_array().unwrap();
    let data_entity = graph
        .iter()
        .find(|e| e["encodingFormat"].as_str().is_some_and(|f| f.starts_with("text/tab-separated-values")))
        .unwrap_or_else(|| panic!("no TSV file in {metadata}"));
    let name = data_entity["@id"].as_str().unwrap();
    assert_eq!(files[name], plain.to_vec(), "the packed file differs from the plain download");
    use sha2::Digest;
    assert_eq!(data_entity["sha256"], format!("{:x}", sha2::Sha256::digest(&plain)));
    assert_eq!(data_entity["contentSize"].to_string().trim_matches('"'), plain.len().to_string());
    let mut listed: Vec<String> =
        String::from_utf8(files["accessions.txt"].clone()).unwrap().lines().map(str::to_owned).collect();
    listed.sort();
    let mut expected = released.clone();
    expected.sort();
    assert_eq!(listed, expected);
    let text = metadata.to_string();
    for needle in
        ["CreateAction", "dataFormat", "SoftwareApplication", "datePublished", "creativecommons.org"]
    {
        assert!(text.contains(needle), "the metadata lacks {needle}: {metadata}");
    }
    let path = crates.join("details.zip");
    std::fs::write(&path, &packed).unwrap();
    if let Some(outcome) = tools::roc_validator(&path) {
        outcome.assert_passed("the details download");
    }

    // An aggregate asked by POST: its records are every matching genome.
    let (code, _, packed) = hub
        .call(
            Method::POST,
            "/sars-cov-2/sample/aggregated",
            None,
            &[("content-type", "application/json")],
            Body::from(json!({ "fields": ["country"], "package": "ro-crate" }).to_string()),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let files = unzip(&packed);
    assert_eq!(String::from_utf8_lossy(&files["accessions.txt"]).lines().count(), GENOMES);
    // Sequences, one page of them: its records are the page.
    let (code, _, packed) = hub
        .call(
            Method::GET,
            "/sars-cov-2/sample/unalignedNucleotideSequences?limit=2&orderBy=accessionVersion&package=ro-crate",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let files = unzip(&packed);
    assert_eq!(String::from_utf8_lossy(&files["accessions.txt"]).lines().count(), 2);
    let path = crates.join("sequences.zip");
    std::fs::write(&path, &packed).unwrap();
    if let Some(outcome) = tools::roc_validator(&path) {
        outcome.assert_passed("the sequences download");
    }
    // Only RO-Crate is a package.
    let (code, _, _) =
        hub.call(Method::GET, "/sars-cov-2/sample/details?package=tar", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
}

async fn citable_collections(hub: &Hub) {
    let released = release_examples(hub).await;
    let save = |query: Value, of: Option<&str>| {
        json!({
            "name": "Early SARS-CoV-2 genomes of the open example",
            "description": "Genomes from the Nextstrain open example, saved for a test of citations & downloads.",
            "authors": [{ "name": "Doe, Jane", "orcid": "0000-0002-1825-0097" }, { "name": "Müller, Jürgen" }],
            "query": query,
            "newVersionOf": of,
        })
    };
    // Visitors cannot save; any logged-in user can.
    let (code, _) = hub.json(Method::POST, "/api/sars-cov-2/collections", None, save(json!({}), None)).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let (code, saved) =
        hub.json(Method::POST, "/api/sars-cov-2/collections", Some("consumer"), save(json!({}), None)).await;
    assert_eq!(code, StatusCode::CREATED, "{saved}");
    let id_version = saved["idVersion"].as_str().unwrap().to_owned();
    assert_eq!(id_version, "VC000001.1");
    assert_eq!(saved["memberCount"], GENOMES);
    assert_eq!(saved["restrictedCount"], 0);
    let (code, again) = hub.get_json(&format!("/api/collections/{id_version}"), None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(again["name"], saved["name"]);
    let (code, _) = hub.get_json("/api/collections/VC999999.1", None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    // Its members are exactly the released versions, in LAPIS too.
    let (_, _, members) = hub
        .call(Method::GET, &format!("/collections/{id_version}/members.txt"), None, &[], Body::empty())
        .await;
    let mut members: Vec<String> =
        String::from_utf8(members.to_vec()).unwrap().lines().map(str::to_owned).collect();
    members.sort();
    let mut expected = released.clone();
    expected.sort();
    assert_eq!(members, expected);
    let (code, counted) =
        hub.get_json(&format!("/sars-cov-2/sample/aggregated?collection={id_version}"), None).await;
    assert_eq!(code, StatusCode::OK, "{counted}");
    assert_eq!(counted["data"][0]["count"], GENOMES);
    let (code, _) = hub.get_json("/sars-cov-2/sample/aggregated?collection=VC000009.1", None).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);

    // A narrower collection from a search: one country.
    let (_, one) = hub.get_json("/sars-cov-2/sample/details?fields=country&limit=1", None).await;
    let country = one["data"][0]["country"].as_str().unwrap().to_owned();
    let (_, by_country) =
        hub.get_json(&format!("/sars-cov-2/sample/aggregated?country={country}"), None).await;
    let (code, narrow) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/collections",
            Some("curator"),
            save(json!({ "country": country }), None),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{narrow}");
    assert_eq!(narrow["idVersion"], "VC000002.1");
    assert_eq!(narrow["memberCount"], by_country["data"][0]["count"]);

    // Citations in every format.
    let text = |uri: String| async move {
        let (code, headers, body) = hub.call(Method::GET, &uri, None, &[], Body::empty()).await;
        (code, headers, String::from_utf8_lossy(&body).into_owned())
    };
    let (code, _, bib) = text(format!("/collections/{id_version}/cite/bib")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(bib.starts_with("@misc{") && bib.contains("Doe, Jane") && bib.contains("version"), "{bib}");
    let (_, _, ris) = text(format!("/collections/{id_version}/cite/ris")).await;
    assert!(ris.starts_with("TY  - DATA") && ris.contains("AU  - Doe, Jane"), "{ris}");
    let (_, headers, xml) = text(format!("/collections/{id_version}/cite/datacite.xml")).await;
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/xml"));
    assert!(
        xml.contains("http://datacite.org/schema/kernel-4") && xml.contains("0000-0002-1825-0097"),
        "{xml}"
    );
    let (code, _, _) = text(format!("/collections/{id_version}/cite/datacite.json")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "a DOI request needs the repository's prefix");
    let (code, _, doi) = text(format!("/collections/{id_version}/cite/datacite.json?prefix=10.5072")).await;
    assert_eq!(code, StatusCode::OK);
    let doi: Value = serde_json::from_str(&doi).unwrap();
    assert_eq!(doi["data"]["attributes"]["prefix"], "10.5072");

    // The landing page: name, citation, Bioschemas JSON-LD.
    let (code, _, page) = text(format!("/collections/{id_version}")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("Early SARS-CoV-2 genomes") && page.contains("application/ld+json"), "{page}");
    let (code, _, _) = text("/collections/VC000001".to_owned()).await;
    assert_eq!(code, StatusCode::SEE_OTHER);

    // A new version by its owner only; the first stays as it was.
    let (code, _) = hub
        .json(Method::POST, "/api/sars-cov-2/collections", Some("curator"), save(json!({}), Some("VC000001")))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, v2) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/collections",
            Some("consumer"),
            save(json!({ "country": country }), Some("VC000001")),
        )
        .await;
    assert_eq!(code, StatusCode::CREATED, "{v2}");
    assert_eq!(v2["idVersion"], "VC000001.2");
    let (_, v1) = hub.get_json(&format!("/api/collections/{id_version}"), None).await;
    assert_eq!(v1["memberCount"], GENOMES);

    // The download: exactly the member versions, as an RO-Crate roc-validator accepts.
    let (code, _, zip) =
        hub.call(Method::GET, &format!("/collections/{id_version}/download"), None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let files = unzip(&zip);
    let tsv = String::from_utf8(files["metadata.tsv"].clone()).unwrap();
    assert_eq!(tsv.lines().count(), GENOMES + 1, "{tsv}");
    assert_eq!(String::from_utf8_lossy(&files["sequences.fasta"]).matches('>').count(), GENOMES);
    let metadata = String::from_utf8_lossy(&files["ro-crate-metadata.json"]).into_owned();
    assert!(metadata.contains(&format!("collections/{id_version}")), "{metadata}");
    let path = hub.dir.path().join("collection.zip");
    std::fs::write(&path, &zip).unwrap();
    if let Some(outcome) = tools::roc_validator(&path) {
        outcome.assert_passed("the collection's download");
    }

    // Two more genomes under restricted use: a collection of everything shows their terms,
    // and its download needs them accepted.
    let restricted_dir = hub.dir.path().join("restricted");
    std::fs::create_dir_all(&restricted_dir).unwrap();
    let (metadata, sequences, _) = example_subset(&hub.shared, &restricted_dir, 2);
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let terms = [("dataUseTermsType", "RESTRICTED"), ("restrictedUntil", until.as_str())];
    let (code, body) = hub.submit_with("submitter", &metadata, &sequences, &terms).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    process_and_release(hub, 2).await;
    let (code, everything) =
        hub.json(Method::POST, "/api/sars-cov-2/collections", Some("consumer"), save(json!({}), None)).await;
    assert_eq!(code, StatusCode::CREATED, "{everything}");
    assert_eq!(everything["memberCount"], GENOMES + 2);
    assert_eq!(everything["restrictedCount"], 2);
    let all = everything["idVersion"].as_str().unwrap().to_owned();
    let (code, _, page) = text(format!("/collections/{all}")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("restricted-use terms until"), "{page}");
    let (code, _, _) = text(format!("/collections/{all}/download")).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _, _) = text(format!("/collections/{all}/download?acceptTerms=yes")).await;
    assert_eq!(code, StatusCode::OK);

    // The catalogue lists the collections beside the organism.
    let (_, _, turtle) = text("/catalog".to_owned()).await;
    assert!(
        turtle.contains("collections/VC000001.2#dataset")
            && turtle.contains("collections/VC000002.1#dataset"),
        "{turtle}"
    );
    let file = hub.dir.path().join("catalog-with-collections.ttl");
    std::fs::write(&file, &turtle).unwrap();
    if let Some(result) = tools::dcat_ap_conforms(&file) {
        result.unwrap_or_else(|report| {
            panic!("the catalogue with collections does not conform to DCAT-AP:\n{report}")
        });
    }
    if let Some(result) = tools::healthdcat_ap_conforms(&file) {
        result.unwrap_or_else(|report| {
            panic!("the catalogue with collections does not conform to HealthDCAT-AP:\n{report}")
        });
    }
}

/// The same deposition from the review page: its panel counts, its form downloads the zip, its
/// upload form records a receipt, and the record page then says the entry is deposited and
/// links to ENA.
async fn ena_from_the_review_page(hub: &Hub) {
    let released = release_examples(hub).await;
    let mut browser = log_in(hub, "curator", "curator-password").await;
    let (code, _, page) =
        browser.send(hub, Method::GET, &format!("/sars-cov-2/review?group={GROUP}"), &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        page.contains("Deposit at ENA") && page.contains("0 exported, 0 with INSDC accessions recorded"),
        "{page}"
    );
    let csrf = csrf_in(&page);
    let form = [
        ("csrf", csrf.as_str()),
        ("group", GROUP),
        ("platform", "OXFORD_NANOPORE"),
        ("program", "ARTIC nf 1.3"),
        ("coverage", "80"),
    ];
    // A stale form changes nothing.
    let stale = [("csrf", "x"), ("group", GROUP), ("coverage", "80")];
    let (code, headers, _) = browser.send(hub, Method::POST, "/sars-cov-2/ena/export", &stale).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert!(headers[header::LOCATION].to_str().unwrap().contains("expired"));
    let (code, headers, _) = browser.send(hub, Method::POST, "/sars-cov-2/ena/export", &form).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/zip");
    // Exported once: a second try says so on the review page.
    let (code, headers, _) = browser.send(hub, Method::POST, "/sars-cov-2/ena/export", &form).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    let (_, _, page) = browser.send(hub, Method::GET, &location, &[]).await;
    assert!(
        page.contains("Nothing exported") && page.contains(&format!("{DEPOSITED} exported, 0")),
        "{page}"
    );

    // The receipt, uploaded as a file of the upload form.
    let first = released[1].clone();
    let receipt = receipt_xml(&format!(
        r#"<SAMPLE accession="ERS4242" alias="{first}" status="PRIVATE"><EXT_ID accession="SAMEA4242" type="biosample"/></SAMPLE>"#
    ));
    let form = virion_client::FormBody::new().text("csrf", &csrf).text("group", GROUP).file(
        "receipt",
        "receipt.xml",
        receipt.len() as u64,
    );
    let content_type = form.content_type();
    let mut body = Vec::new();
    form.into_reader(vec![Box::new(std::io::Cursor::new(receipt.into_bytes()))])
        .read_to_end(&mut body)
        .unwrap();
    let cookie = browser.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
    let (code, headers, _) = hub
        .call(
            Method::POST,
            "/sars-cov-2/ena/receipt",
            None,
            &[("cookie", &cookie), ("content-type", &content_type)],
            Body::from(body),
        )
        .await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.contains("Recorded"), "{location}");
    process_and_release(hub, 1).await;
    let accession = first.split('.').next().unwrap();
    let (code, _, record) = browser.send(hub, Method::GET, &format!("/seq/{accession}.2"), &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(record.contains("INSDC accessions recorded in version 2"), "{record}");
    assert!(record.contains("https://www.ebi.ac.uk/biosamples/samples/SAMEA4242"), "{record}");
    assert!(record.contains("https://www.ebi.ac.uk/ena/browser/view/ERS4242"), "{record}");
}
