//! The typed Nextclade result reads every record of Nextclade 3.21's own NDJSON outputs
//! (../shared/data/nextclade-out, every dataset) with nothing it types left behind, and reads
//! back what Virion's NDJSON writer writes.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use virion_analyze::output::{NdjsonRecord, NextcladeResult};
use virion_analyze::qc::QcResult;
use virion_analyze::{Analysis, Dataset, analyze};
use virion_io::FastaReader;
use virion_testdata::{OTHER_PATHOGEN_SETS, SARS_COV_2_SETS, shared_data};

/// Every `nextclade.ndjson.zst` under `dir`, at any depth.
fn ndjson_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            ndjson_files(&path, out);
        } else if path.file_name().is_some_and(|n| n == "nextclade.ndjson.zst") {
            out.push(path);
        }
    }
}

fn len(v: &Json, key: &str) -> usize {
    v.get(key).and_then(Json::as_array).map_or(0, Vec::len)
}

#[test]
fn every_nextclade_record_reads() {
    let Some(shared) = shared_data() else { return };
    let mut files = Vec::new();
    ndjson_files(&shared.join("nextclade-out"), &mut files);
    files.sort();
    assert!(files.len() >= 16, "{files:?}");
    let (mut aligned, mut failed) = (0, 0);
    for file in &files {
        for line in virion_io::open_path(file).unwrap().lines() {
            let line = line.unwrap();
            let r = NextcladeResult::from_json(&line).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let v: Json = serde_json::from_str(&line).unwrap();
            let name = v["seqName"].as_str().unwrap();
            assert_eq!(r.seq_name.as_deref(), Some(name));
            if r.alignment_range.is_none() {
                assert!(!r.errors.is_empty(), "{name}: neither aligned nor failed");
                failed += 1;
                continue;
            }
            // Nothing a list holds is dropped, and the scalars are Nextclade's.
            for (key, n) in [
                ("substitutions", r.substitutions.len()),
                ("deletions", r.deletions.len()),
                ("insertions", r.insertions.len()),
                ("missing", r.missing.len()),
                ("nonACGTNs", r.non_acgtns.len()),
                ("aaSubstitutions", r.aa_substitutions.len()),
                ("aaDeletions", r.aa_deletions.len()),
                ("aaInsertions", r.aa_insertions.len()),
                ("missingCdses", r.missing_cdses.len()),
            ] {
                assert_eq!(n, len(&v, key), "{name}: {key}");
            }
            let unknown: usize =
                v["unknownAaRanges"].as_array().unwrap().iter().map(|u| len(u, "ranges")).sum();
            assert_eq!(r.grouped_unknown_aa_ranges().count(), unknown, "{name}");
            assert_eq!(r.unknown_aa_cds_ranges().len(), unknown, "{name}");
            for (ours, theirs) in r.aa_insertions.iter().zip(v["aaInsertions"].as_array().unwrap()) {
                assert_eq!(ours.cds, theirs["cds"].as_str().unwrap());
            }
            assert_eq!(r.clade.as_deref(), v["clade"].as_str(), "{name}");
            assert_eq!(r.nearest_node_name.as_deref(), v["nearestNodeName"].as_str(), "{name}");
            assert_eq!(r.divergence, v["divergence"].as_f64(), "{name}");
            assert_eq!(r.coverage, v["coverage"].as_f64(), "{name}");
            assert_eq!(r.total_missing, v["totalMissing"].as_i64(), "{name}");
            assert_eq!(r.len_unaligned, v["lenUnaligned"].as_i64(), "{name}");
            let qc = r.qc.as_ref().unwrap();
            assert_eq!(qc.overall_status.as_str(), v["qc"]["overallStatus"].as_str().unwrap(), "{name}");
            assert_eq!(Some(qc.overall_score), v["qc"]["overallScore"].as_f64(), "{name}");
            assert_eq!(qc.missing_data.is_some(), !v["qc"]["missingData"].is_null(), "{name}");
            if let Some(fs) = &qc.frame_shifts {
                for (ours, theirs) in
                    fs.frame_shifts.iter().zip(v["qc"]["frameShifts"]["frameShifts"].as_array().unwrap())
                {
                    assert_eq!(ours.codon.begin.0, theirs["codon"]["begin"].as_i64().unwrap(), "{name}");
                }
            }
            aligned += 1;
        }
    }
    eprintln!("{} files: {aligned} aligned records and {failed} failed ones read", files.len());
    assert!(aligned > 1000 && failed > 0, "{aligned} {failed}");
}

/// Each field the typed record reads equals what the writer was given.
fn assert_reads_back(a: &Analysis, r: &NextcladeResult) {
    let name = &a.seq_name;
    assert_eq!(r.seq_name.as_deref(), Some(name.as_str()));
    assert_eq!(r.alignment_range, Some(a.nuc.alignment_range), "{name}");
    assert_eq!(r.substitutions, a.nuc.substitutions, "{name}");
    assert_eq!(r.deletions, a.nuc.deletions, "{name}");
    assert_eq!(r.insertions, a.insertions, "{name}");
    assert_eq!(r.missing, a.missing, "{name}");
    assert_eq!(r.non_acgtns, a.non_acgtns, "{name}");
    assert_eq!(r.aa_substitutions, a.aa.substitutions, "{name}");
    assert_eq!(r.aa_deletions, a.aa.deletions, "{name}");
    let aa_insertions: Vec<_> = r.aa_insertions.iter().map(|i| (i.cds.as_str(), i.pos, &i.ins)).collect();
    let written: Vec<_> = a.aa.insertions.iter().map(|i| (i.cds.as_str(), i.ins.pos, &i.ins.ins)).collect();
    assert_eq!(aa_insertions, written, "{name}");
    assert_eq!(r.unknown_aa_cds_ranges(), a.aa.unknown_aa_ranges, "{name}");
    // Virion's writer groups them per CDS, as Nextclade does.
    assert_eq!(r.grouped_unknown_aa_ranges().count(), a.aa.unknown_aa_ranges.len(), "{name}");
    assert_eq!(r.missing_cdses, a.translation.failed_cdses, "{name}");
    assert!(close(r.coverage.unwrap(), a.coverage), "{name}");
    assert_eq!(r.total_missing, Some(a.total_missing as i64), "{name}");
    assert_eq!(r.total_substitutions, Some(a.nuc.substitutions.len() as i64), "{name}");
    let p = a.placement.as_ref();
    assert_eq!(r.clade, p.and_then(|p| p.clade.clone()), "{name}");
    assert_eq!(r.nearest_node_name, p.map(|p| p.nearest_node_name.clone()), "{name}");
    assert_eq!(r.divergence.is_some(), p.is_some(), "{name}");
    if let (Some(read), Some(p)) = (r.divergence, p) {
        assert!(close(read, p.divergence), "{name}");
    }
    let attrs: Vec<(&String, &String)> = r.custom_node_attributes.iter().collect();
    let mut written: Vec<(&String, &String)> = p.map(|p| p.clade_attrs.iter().collect()).unwrap_or_default();
    written.sort();
    assert_eq!(attrs, written, "{name}");
    let qc = r.qc.as_ref().unwrap();
    assert_eq!(qc.overall_status, a.qc.overall_status, "{name}");
    assert!(close(qc.overall_score, a.qc.overall_score), "{name}");
    let rules = |q: &QcResult| {
        [
            q.missing_data.as_ref().map(|r| (r.score, r.status)),
            q.mixed_sites.as_ref().map(|r| (r.score, r.status)),
            q.private_mutations.as_ref().map(|r| (r.score, r.status)),
            q.snp_clusters.as_ref().map(|r| (r.score, r.status)),
            q.frame_shifts.as_ref().map(|r| (r.score, r.status)),
            q.stop_codons.as_ref().map(|r| (r.score, r.status)),
        ]
    };
    for (read, written) in rules(qc).into_iter().zip(rules(&a.qc)) {
        assert_eq!(read.map(|r| r.1), written.map(|r| r.1), "{name}");
        if let (Some(read), Some(written)) = (read, written) {
            assert!(close(read.0, written.0), "{name}");
        }
    }
    assert_eq!(
        qc.frame_shifts.as_ref().map(|f| &f.frame_shifts),
        a.qc.frame_shifts.as_ref().map(|f| &f.frame_shifts)
    );
    assert_eq!(
        qc.stop_codons.as_ref().map(|f| &f.stop_codons),
        a.qc.stop_codons.as_ref().map(|f| &f.stop_codons)
    );
}

/// serde_json reads a float back to within one unit in the last place, not always exactly.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn what_the_writer_writes_reads_back() {
    let Some(shared) = shared_data() else { return };
    let mut checked = 0;
    // Every dataset, the first sequences of each (the whole runs are the agreement tests').
    for set in SARS_COV_2_SETS.iter().take(1).chain(OTHER_PATHOGEN_SETS) {
        let ds = Dataset::load(&shared.join("nextclade").join(set.dataset)).unwrap();
        let mut reader = FastaReader::from_path(&shared.join(set.input)).unwrap();
        let mut rec = virion_io::FastaRecord::default();
        let mut n = 0;
        while n < 12 && reader.read(&mut rec).unwrap() {
            let result = analyze(&ds, &rec.name, &rec.seq);
            let line =
                serde_json::to_string(&NdjsonRecord::new(rec.index, &rec.name, &result, None)).unwrap();
            let r = NextcladeResult::from_json(&line).unwrap_or_else(|e| panic!("{}: {e}", rec.name));
            assert_eq!(r.index, Some(rec.index));
            match &result {
                Ok(a) => assert_reads_back(a, &r),
                Err(e) => assert!(r.errors[0].contains(&e.to_string()), "{}", rec.name),
            }
            n += 1;
            checked += 1;
        }
    }
    // A failure reads as Nextclade's failures do: name and errors only.
    let ds = Dataset::load(&shared.join("nextclade/sars-cov-2")).unwrap();
    let result = analyze(&ds, "short", b"ACGT");
    assert!(result.is_err());
    let r = NextcladeResult::from_json(
        &serde_json::to_string(&NdjsonRecord::new(7, "short", &result, None)).unwrap(),
    )
    .unwrap();
    assert_eq!((r.index, r.seq_name.as_deref(), r.errors.len()), (Some(7), Some("short"), 1));
    assert!(r.alignment_range.is_none() && r.qc.is_none());
    eprintln!("{checked} records written and read back");
    assert!(checked >= 40, "{checked}");
}
