//! Virion's processing against Nextclade 3.21's own outputs on real genomes, column by column.
//!
//! For every input set under ../shared/data (see nextclade-out/README.md) this runs the whole
//! pipeline, writes the TSV exactly as `virion process` does, and compares every column present
//! in both tables with Nextclade's nextclade.tsv (list columns as sets). Agreement per column is
//! printed; the test fails below the thresholds the project holds itself to, when a column
//! Nextclade writes is missing or out of order, or when a column listed in [`EXACT_COLUMNS`]
//! disagrees anywhere.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::compare::{ColumnAgreement, compare};
use virion_analyze::output::{NdjsonRecord, TsvWriter};
use virion_analyze::{Dataset, analyze, ndjson_context};
use virion_io::{FastaReader, FastaRecord};
use virion_testdata::{
    OTHER_PATHOGEN_SETS, OutputSet, RSV_A_INSDC_SET, SARS_COV_2_SETS, Table, read_ndjson, shared_data,
};

/// Keys of Nextclade's NDJSON record not compared: `datasetName` is the dataset's path on the
/// machine that ran Nextclade; `annotation` is the dataset's genome annotation in Nextclade's
/// internal model, the same in every record, which Virion does not repeat per genome;
/// `divergence` is compared on its own, within rounding.
const NDJSON_NOT_COMPARED: &[&str] = &["datasetName", "annotation", "divergence"];

/// What Virion wrote for one input set: the TSV text, each record's divergence (`None` without
/// placement) and, when Nextclade's NDJSON is at hand, how many records equal it.
struct VirionRun {
    tsv: String,
    divergences: Vec<Option<f64>>,
    ndjson: Option<NdjsonAgreement>,
}

/// Whole NDJSON records (less [`NDJSON_NOT_COMPARED`]) equal to Nextclade's.
#[derive(Default)]
struct NdjsonAgreement {
    same: usize,
    total: usize,
    /// Records with amino-acid change groups: a comparison that would prove something.
    with_groups: usize,
}

/// Runs Virion on `input` with `dataset`, as `virion process` writes TSV and, given Nextclade's
/// NDJSON records by index, NDJSON, each record compared as it is made.
fn run_virion(ds: &Dataset, input: &Path, theirs: Option<&BTreeMap<u64, serde_json::Value>>) -> VirionRun {
    let mut reader = FastaReader::from_path(input).unwrap();
    let mut out = Vec::new();
    let mut divergences = Vec::new();
    let mut ndjson = theirs.map(|_| NdjsonAgreement::default());
    let mut tsv = TsvWriter::new(&mut out, ds).unwrap();
    let mut rec = FastaRecord::default();
    while reader.read(&mut rec).unwrap() {
        let result = analyze(ds, &rec.name, &rec.seq);
        tsv.write(rec.index, &rec.name, &result).unwrap();
        if let (Some(theirs), Some(agreement)) = (theirs, ndjson.as_mut()) {
            let context = result.as_ref().ok().map(|a| ndjson_context(ds, a));
            let record = NdjsonRecord::new(rec.index, &rec.name, &result, context.as_ref());
            let ours = comparable(serde_json::to_value(record).unwrap());
            let theirs = theirs.get(&(rec.index as u64)).cloned().map(comparable).unwrap_or_default();
            agreement.total += 1;
            agreement.with_groups +=
                usize::from(ours["aaChangesGroups"].as_array().is_some_and(|g| !g.is_empty()));
            if json_equal(&ours, &theirs) {
                agreement.same += 1;
            } else {
                print_record_diff(rec.index, &ours, &theirs);
            }
        }
        divergences.push(result.ok().and_then(|a| a.placement).map(|p| p.divergence));
    }
    drop(tsv);
    VirionRun { tsv: String::from_utf8(out).unwrap(), divergences, ndjson }
}

/// Equal JSON, numbers within 1e-12 relative: serde_json reads a decimal to the nearest double
/// or one next to it, so the same text may read as two neighbouring doubles.
fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value::{Array, Number, Object};
    match (a, b) {
        (Number(x), Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-12 * x.abs().max(y.abs()),
            _ => x == y,
        },
        (Array(x), Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_equal(x, y)),
        (Object(x), Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// A record without the [`NDJSON_NOT_COMPARED`] keys.
fn comparable(mut record: serde_json::Value) -> serde_json::Value {
    if let Some(map) = record.as_object_mut() {
        for key in NDJSON_NOT_COMPARED {
            map.remove(*key);
        }
    }
    record
}

fn print_record_diff(index: usize, ours: &serde_json::Value, theirs: &serde_json::Value) {
    let empty = serde_json::Map::new();
    let (o, t) = (ours.as_object().unwrap_or(&empty), theirs.as_object().unwrap_or(&empty));
    for key in o.keys().chain(t.keys().filter(|k| !o.contains_key(*k))) {
        if !matches!((o.get(key), t.get(key)), (Some(x), Some(y)) if json_equal(x, y)) {
            let show = |v: Option<&serde_json::Value>| v.map_or("<absent>".to_owned(), |v| v.to_string());
            println!(
                "   {key} #{index}: nextclade={:.400} virion={:.400}",
                show(t.get(key)),
                show(o.get(key))
            );
        }
    }
}

/// Nextclade's NDJSON records by `index`.
fn nextclade_records(ndjson_zst: &Path) -> BTreeMap<u64, serde_json::Value> {
    read_ndjson(ndjson_zst).into_iter().map(|v| (v["index"].as_u64().unwrap(), v)).collect()
}

/// `divergence` of every NDJSON record Nextclade wrote, in input order (`None` for failures).
fn nextclade_divergences(ndjson_zst: &Path) -> Vec<Option<f64>> {
    let mut records: Vec<(u64, Option<f64>)> = read_ndjson(ndjson_zst)
        .iter()
        .map(|v| (v["index"].as_u64().unwrap(), v["divergence"].as_f64()))
        .collect();
    records.sort_by_key(|r| r.0);
    records.into_iter().map(|r| r.1).collect()
}

/// Checks divergence (an NDJSON field) against Nextclade's; returns (agreeing, compared).
fn compare_divergence(out_dir: &str, ours: &[Option<f64>], theirs: &[Option<f64>]) -> (usize, usize) {
    assert_eq!(ours.len(), theirs.len(), "{out_dir}: NDJSON record count");
    let mut same = 0;
    for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
        match (o, t) {
            (Some(o), Some(t)) if (o - t).abs() <= 1e-9 * t.abs().max(1.0) => same += 1,
            (None, None) => same += 1,
            _ => println!("   divergence #{i}: nextclade={t:?} virion={o:?}"),
        }
    }
    (same, ours.len())
}

/// Columns that must agree on every sequence of every set: a column is in the list if its name
/// starts with one of these (founder, reference-node, phenotype, motif and PCR columns).
const EXACT_COLUMNS: &[&str] = &[
    "founderMuts[",
    "relativeMutations[",
    "escape",
    "glycosylation",
    "totalPcrPrimerChanges",
    "pcrPrimerChanges",
];

fn must_be_exact(column: &str) -> bool {
    EXACT_COLUMNS.iter().any(|p| column.starts_with(p))
}

/// Agreement each column must reach on SARS-CoV-2 (`None`: reported only). Every other column
/// present in both tables is compared and reported too.
const COLUMNS: &[(&str, Option<f64>)] = &[
    ("substitutions", Some(0.995)),
    ("deletions", Some(0.995)),
    ("insertions", Some(0.995)),
    ("missing", Some(0.995)),
    ("nonACGTNs", Some(0.995)),
    ("alignmentStart", Some(0.995)),
    ("alignmentEnd", Some(0.995)),
    ("alignmentScore", Some(0.995)),
    ("coverage", Some(0.995)),
    ("aaSubstitutions", Some(0.995)),
    ("aaDeletions", Some(0.995)),
    ("aaInsertions", Some(0.995)),
    ("frameShifts", Some(0.995)),
    ("unknownAaRanges", Some(0.995)),
    ("cdsCoverage", Some(0.995)),
    ("failedCdses", Some(0.995)),
    ("clade", Some(0.995)),
    ("Nextclade_pango", Some(0.995)),
    ("partiallyAliased", None),
    ("clade_who", None),
    ("clade_display", None),
    ("privateNucMutations.reversionSubstitutions", None),
    ("privateNucMutations.labeledSubstitutions", None),
    ("privateNucMutations.unlabeledSubstitutions", None),
    ("privateAaMutations.reversionSubstitutions", None),
    ("privateAaMutations.labeledSubstitutions", None),
    ("privateAaMutations.unlabeledSubstitutions", None),
    ("qc.missingData.status", None),
    ("qc.mixedSites.status", None),
    ("qc.privateMutations.status", None),
    ("qc.snpClusters.status", None),
    ("qc.snpClusters.clusteredSNPs", None),
    ("qc.privateMutations.total", None),
    ("qc.missingData.score", None),
    ("qc.mixedSites.score", None),
    ("qc.frameShifts.frameShifts", None),
    ("qc.frameShifts.frameShiftsIgnored", None),
    ("qc.stopCodons.stopCodons", None),
    ("warnings", None),
    ("totalUnknownAa", None),
    ("qc.frameShifts.status", None),
    ("qc.stopCodons.status", None),
    ("qc.overallScore", None),
    ("qc.overallStatus", Some(0.99)),
    ("errors", None),
];

fn run_sets(data: &Path, sets: &[OutputSet]) -> BTreeMap<String, ColumnAgreement> {
    let mut totals: BTreeMap<String, ColumnAgreement> = BTreeMap::new();
    let mut datasets: BTreeMap<&str, Dataset> = BTreeMap::new();
    for set in sets {
        let &OutputSet { out_dir, dataset, input } = set;
        let ds = datasets
            .entry(dataset)
            .or_insert_with(|| Dataset::load(&data.join("nextclade").join(dataset)).unwrap());
        let nextclade_out = data.join("nextclade-out").join(out_dir);
        // Divergence is an NDJSON field; a set kept as TSV only has none to compare.
        let ndjson = nextclade_out.join("nextclade.ndjson.zst");
        let theirs = ndjson.exists().then(|| nextclade_records(&ndjson));
        let run = run_virion(ds, &data.join(input), theirs.as_ref());
        let ours = Table::parse(&run.tsv);
        if ndjson.exists() {
            let (same, total) =
                compare_divergence(out_dir, &run.divergences, &nextclade_divergences(&ndjson));
            assert_eq!(same, total, "{out_dir}: divergence must agree everywhere");
            let d = totals.entry("divergence (NDJSON)".to_owned()).or_default();
            d.same += same;
            d.total += total;
            let a = run.ndjson.expect("compared");
            assert!(
                a.with_groups > 0 || a.total < 3,
                "{out_dir}: no record has amino-acid change groups, so the comparison would prove nothing"
            );
            assert_eq!(
                a.same, a.total,
                "{out_dir}: NDJSON records must equal Nextclade's (less {NDJSON_NOT_COMPARED:?})"
            );
            let d = totals.entry("whole record (NDJSON)".to_owned()).or_default();
            d.same += a.same;
            d.total += a.total;
        }
        let theirs = Table::read(&set.nextclade_tsv(data));
        assert_eq!(
            ours.columns, theirs.columns,
            "{out_dir}: columns differ from Nextclade's (names or order)"
        );
        let columns: Vec<&str> =
            theirs.columns.iter().map(String::as_str).filter(|c| ours.has_column(c)).collect();
        println!("== {out_dir} ({} sequences)", theirs.rows.len());
        for (col, agreement) in compare(&theirs, &ours, &columns) {
            if agreement.identical < agreement.total {
                println!(
                    "   {col:<48} {}/{} ({} identical text)  e.g. {}",
                    agreement.same,
                    agreement.total,
                    agreement.identical,
                    agreement.examples.join(" | ")
                );
            }
            assert!(
                !must_be_exact(&col) || agreement.same == agreement.total,
                "{out_dir}: {col} must agree everywhere: {}/{}, e.g. {}",
                agreement.same,
                agreement.total,
                agreement.examples.join(" | ")
            );
            let t = totals.entry(col).or_default();
            t.same += agreement.same;
            t.identical += agreement.identical;
            t.total += agreement.total;
        }
    }
    totals
}

/// Columns whose text is not exactly Nextclade's in every row.
fn not_identical(totals: &BTreeMap<String, ColumnAgreement>) -> Vec<String> {
    totals
        .iter()
        .filter(|(col, a)| !col.ends_with("(NDJSON)") && a.identical < a.total)
        .map(|(col, a)| format!("{col}: {}/{}", a.identical, a.total))
        .collect()
}

fn print_totals(title: &str, totals: &BTreeMap<String, ColumnAgreement>) {
    println!("\n{title}: agreement per column");
    for (col, a) in totals {
        println!("   {col:<48} {:>5}/{:<5} {:>7.2}%", a.same, a.total, 100.0 * a.fraction());
    }
}

#[test]
fn sars_cov_2_agrees_with_nextclade() {
    let Some(data) = shared_data() else { return };
    let totals = run_sets(&data, SARS_COV_2_SETS);
    print_totals("SARS-CoV-2 (all sets)", &totals);
    let mut failures = Vec::new();
    for (col, threshold) in COLUMNS {
        if let (Some(t), Some(a)) = (threshold, totals.get(*col))
            && a.fraction() < *t
        {
            failures.push(format!("{col}: {:.2}% < {:.1}%", 100.0 * a.fraction(), 100.0 * t));
        }
    }
    assert!(failures.is_empty(), "below threshold: {failures:?}");
    // Beyond the thresholds: every cell is Nextclade's text, byte for byte.
    assert_eq!(not_identical(&totals), Vec::<String>::new(), "cells whose text differs from Nextclade's");
}

#[test]
fn other_pathogens_run_end_to_end_and_agree() {
    let Some(data) = shared_data() else { return };
    let totals = run_sets(&data, OTHER_PATHOGEN_SETS);
    print_totals("RSV-A, mpox, flu H3N2 (all eight segments), SARS-CoV-2 proteins", &totals);
    // Every example sequence of these datasets is analysed by Nextclade; so must it be here.
    let errors = &totals["errors"];
    assert_eq!(errors.same, errors.total, "sequences failed here that Nextclade analysed");
    assert_eq!(not_identical(&totals), Vec::<String>::new(), "cells whose text differs from Nextclade's");
    for col in ["substitutions", "deletions", "insertions", "aaSubstitutions", "aaDeletions", "clade"] {
        let a = &totals[col];
        assert!(a.fraction() >= 0.99, "{col}: {}/{}", a.same, a.total);
    }
}

/// 9,831 real RSV-A genomes from INSDC: every column both tables share must agree on at least
/// 99.9% of them (the classes found at this scale are in docs/AGREEMENT.md).
#[test]
fn rsv_a_insdc_agrees_at_scale() {
    let Some(data) = shared_data() else { return };
    let totals = run_sets(&data, &[RSV_A_INSDC_SET]);
    print_totals("RSV-A from INSDC (9,831 genomes)", &totals);
    let below: Vec<String> = totals
        .iter()
        .filter(|(_, a)| a.fraction() < 0.999)
        .map(|(col, a)| format!("{col}: {}/{}", a.same, a.total))
        .collect();
    assert!(below.is_empty(), "columns below 99.9%: {below:?}");
    assert!(totals["clade"].total == 9_831, "every genome is compared");
    assert_eq!(not_identical(&totals), Vec::<String>::new(), "cells whose text differs from Nextclade's");
}
