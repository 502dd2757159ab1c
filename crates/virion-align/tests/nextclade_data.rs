//! Aligns the shared genomes and compares with Nextclade 3.21's own aligned output and scores.

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::time::Instant;

use virion_align::{AlignParams, align_nuc, gap_open_close_nuc, strip_insertions};
use virion_core::Nuc;
use virion_dataset::Dataset;
use virion_testdata::{
    OTHER_PATHOGEN_SETS, OutputSet, SARS_COV_2_SETS, Table, read_aligned_fasta, read_fasta, shared_data,
};
use virion_translate::coding_segments;

/// Nextclade's letter parsing: anything outside its alphabet becomes N.
fn to_nucs(seq: &[u8]) -> Vec<Nuc> {
    seq.iter().map(|&b| if b == b'U' { Nuc::N } else { Nuc::from_byte(b).unwrap_or(Nuc::N) }).collect()
}

struct SetResult {
    identical: usize,
    compared: usize,
    score_equal: usize,
    score_compared: usize,
    nextclade_failed: usize,
    we_aligned_nextclade_failed: usize,
    we_failed: usize,
    seconds: f64,
    aligned: usize,
}

fn run_set(data: &Path, set: &OutputSet) -> SetResult {
    let out_dir = set.out_dir;
    let ds = Dataset::load(&data.join("nextclade").join(set.dataset)).unwrap();
    let params = AlignParams::from_json(&ds.pathogen.alignment_params).unwrap();
    let ref_seq = &ds.reference;
    let goc = gap_open_close_nuc(ref_seq.len(), &coding_segments(&ds.gene_map), &params);

    let out = data.join("nextclade-out").join(out_dir);
    let mut expected: HashMap<String, VecDeque<Vec<u8>>> = HashMap::new();
    for (name, seq) in read_aligned_fasta(&out.join("nextclade.aligned.fasta.zst")) {
        expected.entry(name).or_default().push_back(seq);
    }
    let tsv = Table::read(&out.join("nextclade.tsv"));
    assert!(tsv.has_column("alignmentScore"), "{out_dir}: no alignmentScore column");
    let scores: Vec<Option<i32>> = tsv
        .rows
        .iter()
        .map(|row| row.get("alignmentScore").and_then(|s| s.parse::<f64>().ok()).map(|f| f as i32))
        .collect();

    let inputs = read_fasta(&data.join(set.input));
    let mut r = SetResult {
        identical: 0,
        compared: 0,
        score_equal: 0,
        score_compared: 0,
        nextclade_failed: 0,
        we_aligned_nextclade_failed: 0,
        we_failed: 0,
        seconds: 0.0,
        aligned: 0,
    };
    let mut mismatches = Vec::new();
    for (i, record) in inputs.iter().enumerate() {
        let name = &record.name;
        let qry = to_nucs(&record.seq);
        let start = Instant::now();
        let result = align_nuc(&qry, ref_seq, &goc, &params);
        r.seconds += start.elapsed().as_secs_f64();
        let want = expected.get_mut(name).and_then(VecDeque::pop_front).filter(|s| !s.is_empty());
        let Some(want) = want else {
            r.nextclade_failed += 1;
            if result.is_ok() {
                r.we_aligned_nextclade_failed += 1;
                mismatches.push(format!("{name}: Nextclade failed, we aligned"));
            }
            continue;
        };
        r.compared += 1;
        let Ok(aln) = result else {
            r.we_failed += 1;
            mismatches.push(format!("{name}: we failed: {}", result.unwrap_err()));
            continue;
        };
        r.aligned += 1;
        let stripped = strip_insertions(&aln.qry_seq, &aln.ref_seq);
        let got: Vec<u8> = stripped.qry_seq.iter().map(|n| n.to_byte()).collect();
        if got == want {
            r.identical += 1;
        } else {
            let first = got.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(got.len().min(want.len()));
            mismatches.push(format!("{name}: aligned sequence differs from column {first}"));
        }
        if let Some(Some(s)) = scores.get(i) {
            r.score_compared += 1;
            if *s == aln.score {
                r.score_equal += 1;
            } else {
                mismatches.push(format!("{name}: score {} vs Nextclade {s}", aln.score));
            }
        }
    }
    for m in mismatches.iter().take(10) {
        eprintln!("  {out_dir}: {m}");
    }
    r
}

#[test]
fn agrees_with_nextclade_on_shared_genomes() {
    let Some(data) = shared_data() else { return };
    let (mut sc2_same, mut sc2_total) = (0, 0);
    let sets =
        SARS_COV_2_SETS.iter().map(|s| (s, true)).chain(OTHER_PATHOGEN_SETS.iter().map(|s| (s, false)));
    for (set, is_sc2) in sets {
        let (out_dir, input) = (set.out_dir, data.join(set.input));
        if !input.exists() {
            eprintln!("{out_dir}: input {} missing, skipped", input.display());
            continue;
        }
        let r = run_set(&data, set);
        eprintln!(
            "{out_dir:40} identical {}/{} | scores equal {}/{} | Nextclade failed {} (we aligned {} of them) | we failed {} | {:.1} seqs/s ({:.2} ms/seq)",
            r.identical,
            r.compared,
            r.score_equal,
            r.score_compared,
            r.nextclade_failed,
            r.we_aligned_nextclade_failed,
            r.we_failed,
            r.aligned as f64 / r.seconds.max(1e-9),
            1000.0 * r.seconds / r.aligned.max(1) as f64
        );
        if is_sc2 {
            sc2_same += r.identical;
            sc2_total += r.compared + r.we_aligned_nextclade_failed;
        }
    }
    let rate = sc2_same as f64 / sc2_total.max(1) as f64;
    eprintln!("SARS-CoV-2 overall: {sc2_same}/{sc2_total} = {:.2}%", 100.0 * rate);
    assert!(rate >= 0.995, "SARS-CoV-2 agreement {:.2}% < 99.5%", 100.0 * rate);
}
