//! Loads the five shared Nextclade datasets and checks concrete facts, including that the CDS
//! names equal those Nextclade itself printed in `cdsCoverage` for the same dataset.

use std::collections::BTreeSet;

use virion_core::{NucRange, NucRefPos};
use virion_dataset::{Dataset, Strand};
use virion_testdata::{Table, shared_data};

fn load(name: &str) -> Option<Dataset> {
    let dir = shared_data()?.join("nextclade").join(name);
    Some(Dataset::load(&dir).unwrap_or_else(|e| panic!("{name}: {e}")))
}

fn range(begin: i64, end: i64) -> NucRange {
    NucRange::new(NucRefPos(begin), NucRefPos(end))
}

fn cds_names(ds: &Dataset) -> Vec<&str> {
    ds.gene_map.cdses().map(|c| c.name.as_str()).collect()
}

/// Every CDS name in the `cdsCoverage` column of Nextclade's TSV for this output folder.
fn nextclade_cds_names(out_dir: &str) -> BTreeSet<String> {
    let path = shared_data().unwrap().join("nextclade-out").join(out_dir).join("nextclade.tsv");
    let table = Table::read(&path);
    assert!(table.has_column("cdsCoverage"), "{}: no cdsCoverage column", path.display());
    let mut names = BTreeSet::new();
    for row in &table.rows {
        if let Some(cell) = row.get("cdsCoverage") {
            for item in cell.split(',').filter(|s| !s.is_empty()) {
                names.insert(item.split(':').next().unwrap().to_owned());
            }
        }
    }
    names
}

fn assert_names_match_nextclade(ds: &Dataset, out_dir: &str) {
    let ours: BTreeSet<String> = ds.gene_map.cdses().map(|c| c.name.clone()).collect();
    assert_eq!(ours, nextclade_cds_names(out_dir), "CDS names differ from Nextclade's for {out_dir}");
}

#[test]
fn sars_cov_2_gene_only_annotation() {
    let Some(ds) = load("sars-cov-2") else { return };
    assert_eq!(ds.reference.len(), 29903);
    assert_eq!(ds.reference_name, "MN908947");
    assert_eq!(
        cds_names(&ds),
        ["ORF1a", "ORF1b", "S", "ORF3a", "E", "M", "ORF6", "ORF7a", "ORF7b", "ORF8", "N", "ORF9b"]
    );
    let orf1b = ds.gene_map.cds("ORF1b").unwrap();
    assert!(orf1b.compat_is_gene);
    assert_eq!(orf1b.segments.len(), 1);
    assert_eq!(orf1b.segments[0].range, range(13467, 21555));
    assert_eq!(orf1b.len(), 8088);
    assert_eq!(orf1b.segments[0].frame, 0); // 13467 % 3
    assert_names_match_nextclade(&ds, "sars-cov-2-dataset-examples");

    let qc = &ds.pathogen.qc;
    assert!(qc.missing_data.enabled);
    assert_eq!(qc.missing_data.missing_data_threshold, 2700.0);
    assert_eq!(qc.missing_data.score_bias, 300.0);
    assert_eq!(qc.mixed_sites.mixed_sites_threshold, 10);
    assert_eq!((qc.private_mutations.typical, qc.private_mutations.cutoff), (8.0, 24.0));
    assert_eq!(qc.private_mutations.weight_reversion_substitutions, 6.0);
    assert_eq!(qc.private_mutations.weight_labeled_deletions, 1.0);
    assert_eq!((qc.snp_clusters.window_size, qc.snp_clusters.cluster_cut_off), (100, 6));
    assert_eq!(qc.stop_codons.ignored_stop_codons[0].cds_name, "N");
    assert_eq!(qc.stop_codons.ignored_stop_codons[0].codon, 417);
    assert_eq!(qc.stop_codons.score_weight, 75.0);
    let fs = &qc.frame_shifts.ignored_frame_shifts[0];
    assert_eq!((fs.cds_name.as_str(), fs.codon_range.begin.0, fs.codon_range.end.0), ("S", 141, 143));

    let labels = &ds.pathogen.mut_labels;
    assert_eq!(labels.nuc_labels(NucRefPos(173), virion_core::Nuc::T).unwrap(), ["20H"]);
    assert!(labels.nuc_mut_label_map.len() > 100);
    assert_eq!(ds.pathogen.default_cds.as_deref(), Some("S"));
    assert_eq!(ds.pathogen.cds_order_preference[..3], ["S", "N", "M"]);
    assert_eq!(ds.pathogen.alignment_params["excessBandwidth"], 12);
    assert_eq!(ds.pathogen.version.as_ref().unwrap().tag, "2025-04-01--08-20-12Z");
    assert!(ds.tree_json_raw.as_ref().unwrap().starts_with('{'));
    let preferred: Vec<&str> = ds
        .gene_map
        .cdses_by_preference(&ds.pathogen.cds_order_preference)
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(preferred[..6], ["S", "N", "M", "E", "ORF1a", "ORF1b"]);
}

#[test]
fn sars_cov_2_proteins_mature_peptides_are_cdses() {
    let Some(ds) = load("sars-cov-2-proteins") else { return };
    let orf1ab = ds.gene_map.gene("ORF1ab").unwrap();
    assert_eq!(orf1ab.range, range(265, 21555));
    let names: Vec<&str> = orf1ab.cdses.iter().map(|c| c.name.as_str()).collect();
    let expected: Vec<String> = (1..=16).map(|i| format!("nsp{i}")).collect();
    assert_eq!(names, expected);
    // nsp12 spans the ribosomal slippage site: two rows sharing one ID, the second starting one
    // nucleotide before the first ends.
    let nsp12 = ds.gene_map.cds("nsp12").unwrap();
    let ranges: Vec<NucRange> = nsp12.segments.iter().map(|s| s.range).collect();
    assert_eq!(ranges, [range(13441, 13468), range(13467, 16236)]);
    assert_eq!(nsp12.segments[1].range_local, 27..2796);
    assert_eq!(nsp12.segments[1].phase, 0);
    assert_eq!(nsp12.len(), 2796);
    assert_eq!(ds.gene_map.cds("nsp11").unwrap().len(), 39);
    // ORF9b is a separate gene that starts inside N; N starts first so comes first.
    let genes: Vec<&str> = ds.gene_map.genes.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        genes,
        ["ORF1ab", "S", "ORF3a", "E", "M", "ORF6", "ORF7a", "ORF7b", "ORF8", "N", "ORF9b", "ORF10"]
    );
    assert_eq!(ds.gene_map.cds_count(), 27);
    assert_names_match_nextclade(&ds, "other-pathogens/sars-cov-2-proteins");
}

#[test]
fn rsv_a_cds_only_annotation() {
    let Some(ds) = load("rsv-a") else { return };
    assert_eq!(cds_names(&ds), ["NS1", "NS2", "N", "P", "M", "SH", "G", "F", "M2-1", "M2-2", "L"]);
    assert!(ds.gene_map.genes.iter().all(|g| g.compat_is_cds && g.cdses.len() == 1));
    let m22 = ds.gene_map.cds("M2-2").unwrap();
    assert_eq!(m22.segments[0].range, range(8198, 8465));
    assert_eq!(m22.strand(), Strand::Forward);
    assert_eq!(ds.pathogen.qc.stop_codons.ignored_stop_codons[0].codon, 320);
    assert!(!ds.pathogen.qc.snp_clusters.enabled);
    assert_names_match_nextclade(&ds, "other-pathogens/rsv-a");
}

#[test]
fn flu_quoted_gene_names() {
    let Some(ds) = load("flu-h3n2-ha") else { return };
    assert_eq!(cds_names(&ds), ["SigPep", "HA1", "HA2"]);
    assert_eq!(ds.gene_map.cds("SigPep").unwrap().segments[0].range, range(17, 65));
    assert_eq!(ds.reference.len(), 1737);
    assert!(!ds.pathogen.qc.missing_data.enabled);
    assert!(ds.pathogen.qc.frame_shifts.enabled);
    assert_eq!(ds.pathogen.reference_name(), Some("A/Wisconsin/67/2005-egg"));
    assert_names_match_nextclade(&ds, "other-pathogens/flu-h3n2-ha");
}

#[test]
fn mpox_reverse_strand_genes() {
    let Some(ds) = load("mpox-clade-iib") else { return };
    assert_eq!(ds.gene_map.len(), 179);
    assert_eq!(ds.gene_map.cds_count(), 179);
    let opg001 = ds.gene_map.cds("OPG001").unwrap();
    assert_eq!(opg001.strand(), Strand::Reverse);
    assert_eq!(opg001.segments[0].range, range(834, 1575));
    assert_eq!(ds.gene_map.gene("OPG001").unwrap().strand, Strand::Reverse);
    let dup = ds.gene_map.cds("OPG001_dup").unwrap();
    assert_eq!(dup.strand(), Strand::Forward);
    let reverse = ds.gene_map.cdses().filter(|c| c.strand() == Strand::Reverse).count();
    assert_eq!(reverse, 96);
    let starts: Vec<i64> = ds.gene_map.genes.iter().map(|g| g.range.begin.0).collect();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "genes ordered by start");
    let fs = &ds.pathogen.qc.frame_shifts;
    assert_eq!(fs.score_weight, 20.0);
    assert_eq!(fs.ignored_frame_shifts[0].cds_name, "OPG174");
    assert_eq!(ds.pathogen.shortcuts, ["hMPXV"]);
    assert_names_match_nextclade(&ds, "other-pathogens/mpox-clade-iib");
}
