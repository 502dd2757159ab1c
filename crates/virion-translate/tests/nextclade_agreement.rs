//! Agreement with Nextclade 3.21's nextclade.tsv on the shared genomes: every input is aligned
//! with virion-align, translated, and its amino-acid columns compared (as sets) with Nextclade's.
//!
//! Run: `cargo test -p virion-translate --test nextclade_agreement -- --nocapture`

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use virion_align::{AlignParams, align_nuc, gap_open_close_nuc};
use virion_core::{Nuc, NucRange, NucRefPos};
use virion_dataset::Dataset;
use virion_io::{FastaReader, FastaRecord};
use virion_testdata::{OTHER_PATHOGEN_SETS, OutputSet, SARS_COV_2_SETS, Table, shared_data};
use virion_translate::{
    TranslateBuffers, coding_segments, find_aa_changes, translate_query, translate_reference,
};

const COLUMNS: [&str; 7] = [
    "aaSubstitutions",
    "aaDeletions",
    "aaInsertions",
    "frameShifts",
    "cdsCoverage",
    "unknownAaRanges",
    "failedCdses",
];

fn as_set(s: &str) -> BTreeSet<String> {
    s.split(',').filter(|x| !x.is_empty()).map(str::to_owned).collect()
}

fn join<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items.into_iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")
}

/// Returns agreement fraction per column.
fn check_set(data: &Path, set: &OutputSet) -> Vec<(String, usize, usize)> {
    let ds = Dataset::load(&data.join("nextclade").join(set.dataset)).unwrap();
    let params = AlignParams::from_json(&ds.pathogen.alignment_params).unwrap();
    let goc = gap_open_close_nuc(ds.reference.len(), &coding_segments(&ds.gene_map), &params);
    let ref_tr = translate_reference(&ds.reference, &ds.gene_map, &params);
    let expected = Table::read(&data.join("nextclade-out").join(set.out_dir).join("nextclade.tsv")).rows;

    let mut reader = FastaReader::from_path(&data.join(set.input)).unwrap();
    let mut rec = FastaRecord::default();
    let mut buf = TranslateBuffers::default();
    let mut agree = vec![0_usize; COLUMNS.len()];
    let mut total = 0;
    let mut shown = 0;
    while reader.read(&mut rec).unwrap() {
        let row = &expected[rec.index];
        if !row["errors"].is_empty() {
            continue;
        }
        let qry: Vec<Nuc> = rec.seq.iter().map(|&b| Nuc::from_byte(b).unwrap_or(Nuc::N)).collect();
        let Ok(aln) = align_nuc(&qry, &ds.reference, &goc, &params) else {
            println!("  {}: alignment failed where Nextclade succeeded", rec.name);
            continue;
        };
        let stripped: Vec<Nuc> =
            aln.qry_seq.iter().zip(&aln.ref_seq).filter(|(_, r)| !r.is_gap()).map(|(q, _)| *q).collect();
        let begin = stripped.iter().position(|n| !n.is_gap()).unwrap_or(0) as i64;
        let end = stripped.iter().rposition(|n| !n.is_gap()).map_or(0, |e| e + 1) as i64;
        let range = NucRange::new(NucRefPos(begin), NucRefPos(end));
        let tr = translate_query(&aln.qry_seq, &aln.ref_seq, &ref_tr, &params, &range, &mut buf);
        let ch = find_aa_changes(&ref_tr, &tr);
        let ours = [
            join(&ch.substitutions),
            join(&ch.deletions),
            join(&ch.insertions),
            join(&ch.frame_shifts),
            join(ch.cds_coverage.iter().map(|(c, v)| format!("{c}:{v}"))),
            join(&ch.unknown_aa_ranges),
            join(&tr.failed_cdses),
        ];
        total += 1;
        for (i, col) in COLUMNS.iter().enumerate() {
            if as_set(&ours[i]) == as_set(&row[*col]) {
                agree[i] += 1;
            } else if shown < 6 {
                shown += 1;
                let (a, b) = (as_set(&ours[i]), as_set(&row[*col]));
                println!(
                    "  {} {col}: ours-only {:?} nextclade-only {:?}",
                    rec.name,
                    a.difference(&b).take(5).collect::<Vec<_>>(),
                    b.difference(&a).take(5).collect::<Vec<_>>()
                );
            }
        }
    }
    COLUMNS.iter().zip(agree).map(|(c, a)| (c.to_string(), a, total)).collect()
}

#[test]
fn aa_columns_agree_with_nextclade() {
    let Some(data) = shared_data() else {
        return;
    };
    let mut sc2: HashMap<String, (usize, usize)> = HashMap::new();
    let sets =
        SARS_COV_2_SETS.iter().map(|s| (s, true)).chain(OTHER_PATHOGEN_SETS.iter().map(|s| (s, false)));
    for (set, is_sc2) in sets {
        println!("== {}", set.out_dir);
        for (col, agree, total) in check_set(&data, set) {
            println!("  {col:<16} {agree}/{total} = {:.2}%", 100.0 * agree as f64 / total.max(1) as f64);
            if is_sc2 {
                let e = sc2.entry(col).or_default();
                e.0 += agree;
                e.1 += total;
            }
        }
    }
    for col in ["aaSubstitutions", "aaDeletions", "frameShifts"] {
        let (agree, total) = sc2[col];
        let frac = agree as f64 / total as f64;
        println!("SARS-CoV-2 {col}: {agree}/{total}");
        assert!(frac >= 0.995, "{col}: only {agree}/{total} agree");
    }
}
