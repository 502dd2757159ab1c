//! A segmented virus through the hub end to end: influenza A H3N2 samples built from the eight
//! segment datasets' own examples (no isolate has all eight; most have one), submitted with
//! records named `<id>_<segment>`, by the id alone (the segment detected from the sequence), or
//! by any name the sample's row lists in `fasta_ids`; processed per segment and compared with
//! Nextclade 3.21.2's own results for those examples; released, queried through LAPIS per
//! segment, and shown on the portal's record page. Records of no segment, or named as the wrong
//! one, are refused with the file, record and reason.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::Path;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use common::{GROUP, Hub};
use serde_json::json;
use virion_schema::{OrganismDatasets, OrganismRegistry};
use virion_testdata::{FLU_H3N2_SEGMENTS, Table, read_fasta};

const ORGANISM: &str = "influenza-a-h3n2";

/// One sample: its isolate name and (segment, sequence) for the segments it has.
struct Sample {
    id: String,
    segments: Vec<(String, Vec<u8>)>,
}

/// Nextclade's own results for every example of every segment: (segment, seqName) → row.
type Expected = HashMap<(String, String), BTreeMap<String, String>>;

fn datasets(shared: &Path) -> HashMap<String, OrganismDatasets> {
    let registry = OrganismRegistry::builtin();
    let config = registry.get(ORGANISM).expect("the built-in influenza organism");
    [(ORGANISM.to_owned(), config.datasets_in(&shared.join("nextclade")))].into_iter().collect()
}

/// Samples from the segment datasets' examples: every isolate that two datasets share, then two
/// single-segment isolates per segment. Returns them with Nextclade's results.
fn samples(shared: &Path) -> (Vec<Sample>, Expected) {
    let mut by_isolate: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    let mut expected = Expected::new();
    for segment in FLU_H3N2_SEGMENTS {
        let dataset = shared.join("nextclade").join(format!("flu-h3n2-{segment}"));
        for rec in read_fasta(&dataset.join("sequences.fasta")) {
            by_isolate.entry(rec.name.clone()).or_default().push((segment.to_string(), rec.seq));
        }
        let out =
            shared.join("nextclade-out/other-pathogens").join(format!("flu-h3n2-{segment}/nextclade.tsv"));
        for row in Table::read(&out).rows {
            expected.insert((segment.to_string(), row["seqName"].clone()), row);
        }
    }
    let mut chosen: Vec<Sample> = by_isolate
        .iter()
        .filter(|(_, segs)| segs.len() > 1)
        .map(|(id, segs)| Sample { id: id.clone(), segments: segs.clone() })
        .collect();
    assert!(chosen.len() >= 3, "the examples hold isolates with two segments");
    for segment in FLU_H3N2_SEGMENTS {
        let singles = by_isolate.iter().filter(|(_, segs)| segs.len() == 1 && segs[0].0 == *segment).take(2);
        chosen.extend(singles.map(|(id, segs)| Sample { id: id.clone(), segments: segs.clone() }));
    }
    (chosen, expected)
}

/// Writes the metadata TSV and the FASTA of `samples`, their records named in the three ways a
/// submitter may: `<id>_<segment>`, the id alone, or any name the row's `fasta_ids` lists.
/// `extra` records are appended as they are.
fn write_submission(
    dir: &Path,
    tag: &str,
    samples: &[Sample],
    extra: &[(&str, &[u8])],
) -> (std::path::PathBuf, std::path::PathBuf) {
    let metadata = dir.join(format!("{tag}-metadata.tsv"));
    let mut tsv = std::fs::File::create(&metadata).unwrap();
    writeln!(tsv, "submission_id\tcollection_date\tcountry\tfasta_ids").unwrap();
    let listed = |i: usize, k: usize| format!("run{i}-record{k}");
    for (i, s) in samples.iter().enumerate() {
        // A/Texas/50/2024: the year is the last part of an influenza isolate name.
        let year = s.id.rsplit('/').next().unwrap();
        let ids: Vec<String> =
            if i % 3 == 2 { (0..s.segments.len()).map(|k| listed(i, k)).collect() } else { Vec::new() };
        writeln!(tsv, "{}\t{year}\tUSA\t{}", s.id, ids.join(" ")).unwrap();
    }
    let sequences = dir.join(format!("{tag}-sequences.fasta"));
    let mut fasta = std::fs::File::create(&sequences).unwrap();
    for (i, s) in samples.iter().enumerate() {
        for (k, (segment, seq)) in s.segments.iter().enumerate() {
            match i % 3 {
                0 => writeln!(fasta, ">{}_{segment}", s.id).unwrap(),
                1 => writeln!(fasta, ">{}", s.id).unwrap(),
                _ => writeln!(fasta, ">{}", listed(i, k)).unwrap(),
            }
            fasta.write_all(seq).unwrap();
            writeln!(fasta).unwrap();
        }
    }
    for (name, seq) in extra {
        writeln!(fasta, ">{name}").unwrap();
        fasta.write_all(seq).unwrap();
        writeln!(fasta).unwrap();
    }
    (metadata, sequences)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segmented_sqlite() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    if let Some(hub) = Hub::with_datasets(false, Default::default(), datasets(&shared)).await {
        segmented_end_to_end(&hub).await;
        hub.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segmented_postgres() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    if let Some(hub) = Hub::with_datasets(true, Default::default(), datasets(&shared)).await {
        segmented_end_to_end(&hub).await;
        hub.finish().await;
    }
}

async fn segmented_end_to_end(hub: &Hub) {
    let (samples, expected) = samples(&hub.shared);
    let n = samples.len();

    // Records of no segment, or named as another segment than their sequence, are refused with
    // the file, the record and what to do; nothing is stored.
    let rsv = read_fasta(&hub.shared.join("nextclade/rsv-a/sequences.fasta")).swap_remove(0);
    let na = samples.iter().flat_map(|s| &s.segments).find(|(seg, _)| seg == "na").unwrap().1.clone();
    let first = &samples[0];
    let bad_rsv = format!("{}_ha", samples[1].id);
    let bad_na = format!("{}_ha", samples[2].id);
    let (metadata, sequences) = write_submission(
        hub.dir.path(),
        "bad",
        &samples[..3],
        &[(bad_rsv.as_str(), rsv.seq.as_slice()), (bad_na.as_str(), na.as_slice())],
    );
    let (code, body) = hub.submit_to(ORGANISM, "submitter", &metadata, &sequences, &[]).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let issues = body["issues"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> =
        issues.iter().map(|i| (i["kind"].as_str().unwrap(), i["value"].as_str().unwrap())).collect();
    assert_eq!(
        kinds,
        [("unknown_segment", bad_rsv.as_str()), ("segment_mismatch", bad_na.as_str())],
        "{body}"
    );
    let records_before: usize = samples[..3].iter().map(|s| s.segments.len()).sum();
    assert_eq!(issues[0]["file"], "bad-sequences.fasta", "{body}");
    let message = issues[0]["message"].as_str().unwrap();
    assert!(message.starts_with(&format!("record {}: ", records_before + 1)), "{message}");
    assert!(
        message.contains("matches no segment of this organism (pb2, pb1, pa, ha, np, na, mp, ns)"),
        "{message}"
    );
    assert!(
        issues[1]["message"]
            .as_str()
            .unwrap()
            .contains("named as segment 'ha', but its sequence matches segment 'na'")
    );
    let (_, list) = hub.get_json(&format!("/api/{ORGANISM}/entries?group={GROUP}"), Some("curator")).await;
    assert_eq!(list["entries"].as_array().map_or(0, Vec::len), 0, "{list}");

    // The whole set: each sample one entry, whatever its segments' order in the file.
    let (metadata, sequences) = write_submission(hub.dir.path(), "good", &samples, &[]);
    let (code, body) = hub.submit_to(ORGANISM, "submitter", &metadata, &sequences, &[]).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), n);
    assert!(entries.iter().all(|e| e["accession"].as_str().unwrap().starts_with("VFA")), "{body}");
    let accession_of: HashMap<String, String> = entries
        .iter()
        .map(|e| {
            (e["submissionId"].as_str().unwrap().to_owned(), e["accession"].as_str().unwrap().to_owned())
        })
        .collect();

    let processed = async || {
        let (_, list) = hub
            .get_json(&format!("/api/{ORGANISM}/entries?group={GROUP}&status=PROCESSED"), Some("curator"))
            .await;
        list["entries"].as_array().map_or(0, Vec::len) == n
    };
    hub.process_until(2, 600, processed).await;

    // Each segment processed against its own dataset, as Nextclade does.
    for s in &samples {
        let av = format!("{}.1", accession_of[&s.id]);
        let (code, version) = hub.get_json(&format!("/api/{ORGANISM}/entries/{av}"), Some("curator")).await;
        assert_eq!(code, StatusCode::OK, "{version}");
        let processed = &version["processed"];
        let have: Vec<&str> = s.segments.iter().map(|(seg, _)| seg.as_str()).collect();
        let missing: Vec<&str> =
            FLU_H3N2_SEGMENTS.iter().copied().filter(|seg| !have.contains(seg)).collect();
        assert_eq!(processed["missingSegments"], json!(missing), "{av}: {processed}");
        let warnings = version["warnings"].to_string();
        assert!(
            warnings.contains(&format!("the sample lacks segment(s) {}", missing.join(", "))),
            "{warnings}"
        );
        for (segment, _) in &s.segments {
            let theirs = &expected[&(segment.clone(), s.id.clone())];
            let ours = &processed["segments"][segment];
            let clade = theirs["clade"].as_str();
            assert_eq!(ours["clade"].as_str().unwrap_or(""), clade, "{av} {segment} clade");
            assert_eq!(
                ours["qcOverallStatus"].as_str().unwrap_or(""),
                theirs["qc.overallStatus"],
                "{av} {segment} QC"
            );
            let substitutions: Vec<String> = ours["nextclade"]["substitutions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    format!(
                        "{}{}{}",
                        s["refNuc"].as_str().unwrap(),
                        s["pos"].as_i64().unwrap() + 1,
                        s["qryNuc"].as_str().unwrap()
                    )
                })
                .collect();
            assert_eq!(substitutions.join(","), theirs["substitutions"], "{av} {segment} substitutions");
        }
    }

    // Released, the samples are one entry each in LAPIS, with every segment queryable by name.
    let (code, approved) = hub
        .json(
            Method::POST,
            &format!("/api/{ORGANISM}/approve"),
            Some("curator"),
            json!({ "group": GROUP, "scope": "all" }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{approved}");
    hub.state.collections().refresh(&hub.store).await;
    let (code, agg) = hub.get_json(&format!("/{ORGANISM}/sample/aggregated"), None).await;
    assert_eq!((code, &agg["data"]), (StatusCode::OK, &json!([{ "count": n }])), "{agg}");

    // Per-segment clades and clade-like attributes (HA's subclade), as the datasets called them.
    for (column, tsv_column) in [
        ("nextcladeClade_ha", "clade"),
        ("subclade_ha", "subclade"),
        ("proposedSubclade_na", "proposedSubclade"),
    ] {
        let segment = column.rsplit('_').next().unwrap();
        let (code, got) = hub.get_json(&format!("/{ORGANISM}/sample/aggregated?fields={column}"), None).await;
        assert_eq!(code, StatusCode::OK, "{got}");
        let mut want: BTreeMap<String, u64> = BTreeMap::new();
        for s in samples.iter().filter(|s| s.segments.iter().any(|(seg, _)| seg == segment)) {
            let value = &expected[&(segment.to_owned(), s.id.clone())][tsv_column];
            if !value.is_empty() {
                *want.entry(value.clone()).or_default() += 1;
            }
        }
        assert!(!want.is_empty(), "{column}: the examples have values");
        for row in got["data"].as_array().unwrap() {
            if let Some(value) = row[column].as_str() {
                assert_eq!(Some(row["count"].as_u64().unwrap()), want.remove(value), "{column}: {got}");
            }
        }
        assert!(want.is_empty(), "{column}: not counted: {want:?} in {got}");
    }

    // A nucleotide and an amino-acid mutation of one segment: the samples Nextclade gave them.
    let with_ha: Vec<&Sample> =
        samples.iter().filter(|s| s.segments.iter().any(|(seg, _)| seg == "ha")).collect();
    let ha_row = &expected[&("ha".to_owned(), with_ha[0].id.clone())];
    let nuc = ha_row["substitutions"].split(',').next().unwrap().to_owned();
    let aa = ha_row["aaSubstitutions"].split(',').next().unwrap().to_owned();
    let carriers = |column: &str, mutation: &str| {
        with_ha
            .iter()
            .filter(|s| expected[&("ha".to_owned(), s.id.clone())][column].split(',').any(|m| m == mutation))
            .count()
    };
    let (code, got) =
        hub.get_json(&format!("/{ORGANISM}/sample/aggregated?nucleotideMutations=ha:{nuc}"), None).await;
    assert_eq!(
        (code, &got["data"]),
        (StatusCode::OK, &json!([{ "count": carriers("substitutions", &nuc) }])),
        "ha:{nuc} {got}"
    );
    let (code, got) =
        hub.get_json(&format!("/{ORGANISM}/sample/aggregated?aminoAcidMutations={aa}"), None).await;
    assert_eq!(
        (code, &got["data"]),
        (StatusCode::OK, &json!([{ "count": carriers("aaSubstitutions", &aa) }])),
        "{aa} {got}"
    );
    // The mutation table names each mutation's segment, counted over the samples that have it.
    let (code, muts) =
        hub.get_json(&format!("/{ORGANISM}/sample/nucleotideMutations?minProportion=0"), None).await;
    assert_eq!(code, StatusCode::OK, "{muts}");
    let rows = muts["data"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["mutation"].as_str().unwrap().split_once(':').is_some()), "{muts}");
    let row = rows.iter().find(|r| r["mutation"] == format!("ha:{nuc}")).expect("the HA mutation is listed");
    assert_eq!(row["count"].as_u64(), Some(carriers("substitutions", &nuc) as u64), "{row}");
    assert_eq!(row["sequenceName"], "ha", "{row}");

    // Unaligned sequences per segment: exactly what was sent, only for samples that have it.
    let (code, _, fasta) = hub
        .call(
            Method::GET,
            &format!("/{ORGANISM}/sample/unalignedNucleotideSequences/ha"),
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let served: HashMap<String, Vec<u8>> = String::from_utf8(fasta.to_vec())
        .unwrap()
        .split('>')
        .filter(|r| !r.is_empty())
        .map(|r| {
            let (name, seq) = r.split_once('\n').unwrap();
            (name.to_owned(), seq.replace('\n', "").into_bytes())
        })
        .collect();
    assert_eq!(served.len(), with_ha.len(), "one record per sample with HA");
    for s in &with_ha {
        let sent = &s.segments.iter().find(|(seg, _)| seg == "ha").unwrap().1;
        assert_eq!(&served[&format!("{}.1", accession_of[&s.id])], sent, "{}", s.id);
    }
    let (code, _, aligned) = hub
        .call(
            Method::GET,
            &format!("/{ORGANISM}/sample/alignedNucleotideSequences/pb2"),
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let reference_len = read_fasta(&hub.shared.join("nextclade/flu-h3n2-pb2/reference.fasta"))[0].seq.len();
    let first_aligned = String::from_utf8(aligned.to_vec()).unwrap();
    let first_aligned = first_aligned.split('>').find(|r| !r.is_empty()).unwrap();
    assert_eq!(first_aligned.split_once('\n').unwrap().1.trim_end().len(), reference_len);

    // The record page: one row per segment sent, the missing ones named; the FASTA download
    // gives one record per segment.
    let av = format!("{}.1", accession_of[&first.id]);
    let (code, _, page) = hub.call(Method::GET, &format!("/seq/{av}"), None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let page = String::from_utf8(page.to_vec()).unwrap();
    assert!(page.contains(r#"data-testid="segments""#), "{page}");
    for (segment, _) in &first.segments {
        assert!(page.contains(&format!(r#"<tr data-segment="{segment}">"#)), "{segment}: {page}");
    }
    let missing =
        FLU_H3N2_SEGMENTS.iter().find(|s| !first.segments.iter().any(|(seg, _)| seg == *s)).unwrap();
    assert!(page.contains(&format!(r#"<tr class="missing" data-segment="{missing}">"#)), "{page}");
    let (code, _, download) = hub.call(Method::GET, &format!("/seq/{av}.fa"), None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let names: Vec<String> = String::from_utf8(download.to_vec())
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix('>').map(str::to_owned))
        .collect();
    let want: Vec<String> = first.segments.iter().map(|(seg, _)| format!("{av}_{seg}")).collect();
    assert_eq!(names, want);
}
