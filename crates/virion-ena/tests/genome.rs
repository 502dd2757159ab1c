//! Webin-CLI genome files: manifest read back field by field, gzipped FASTA and chromosome list
//! checked line by line, and ENA's rules refused before anything is written.

use std::io::Read;
use std::path::Path;

use flate2::read::GzDecoder;
use virion_ena::{
    AssemblyType, ChromosomeLocation, ChromosomeType, EnaError, GenomeManifest, MoleculeType, Replicon,
    parse_manifest, write_genome,
};

const SARS2: &str = "Severe acute respiratory syndrome coronavirus 2";

fn manifest() -> GenomeManifest {
    GenomeManifest {
        study: "PRJEB00000".into(),
        sample: "ERS0000000".into(),
        assembly_name: "virion_sample_0001".into(),
        assembly_type: AssemblyType::CovidOutbreak,
        coverage: 512.3,
        program: "ARTIC fieldbioinformatics 1.2.4".into(),
        platform: "OXFORD_NANOPORE".into(),
        molecule_type: Some(MoleculeType::GenomicRna),
        description: Some("Consensus genome, Zoë's lab".into()),
        run_ref: vec!["ERR0000001".into(), "ERR0000002".into()],
        min_gap_length: Some(10),
        submission_tool: Some("virion".into()),
        submission_tool_version: Some("0.1.0".into()),
    }
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    GzDecoder::new(std::fs::File::open(path).unwrap()).read_to_string(&mut text).unwrap();
    text
}

/// A pseudo-random genome of `len` bases.
fn genome(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            b"ACGT"[(state >> 16) as usize % 4]
        })
        .collect()
}

#[test]
fn sars_cov_2_genome_files() {
    let dir = tempfile::tempdir().unwrap();
    let core = genome(29_800, 1);
    let mut sequence = b"NNNNN".to_vec();
    sequence.extend_from_slice(&core);
    sequence.extend_from_slice(b"nnnNRY");
    sequence.extend_from_slice(b"NNN");
    let files = write_genome(
        dir.path(),
        &manifest(),
        SARS2,
        &[Replicon::monopartite("virion_sample_0001", &sequence)],
    )
    .unwrap();
    assert_eq!(files.trimmed.len(), 1);
    assert_eq!((files.trimmed[0].leading, files.trimmed[0].trailing), (5, 3));

    let text = std::fs::read_to_string(&files.manifest).unwrap();
    let parsed = parse_manifest(&text).unwrap();
    let m = &parsed.manifest;
    let expected = manifest();
    assert_eq!(m.study, "PRJEB00000");
    assert_eq!(m.sample, "ERS0000000");
    assert_eq!(m.assembly_name, "virion_sample_0001");
    assert_eq!(m.assembly_type, AssemblyType::CovidOutbreak);
    assert_eq!(m.coverage, 512.3);
    assert_eq!(m.program, "ARTIC fieldbioinformatics 1.2.4");
    assert_eq!(m.platform, "OXFORD_NANOPORE");
    assert_eq!(m.molecule_type, Some(MoleculeType::GenomicRna));
    assert_eq!(m.description.as_deref(), Some("Consensus genome, Zoë's lab"));
    assert_eq!(m.run_ref, ["ERR0000001", "ERR0000002"]);
    assert_eq!(m.min_gap_length, Some(10));
    assert_eq!(m.submission_tool.as_deref(), Some("virion"));
    assert_eq!(m.submission_tool_version.as_deref(), Some("0.1.0"));
    assert_eq!(m, &expected);
    assert_eq!(parsed.fasta, "virion_sample_0001.fasta.gz");
    assert_eq!(parsed.chromosome_list.as_deref(), Some("virion_sample_0001.chromosome_list.gz"));
    assert!(text.contains("ASSEMBLY_TYPE\tCOVID-19 outbreak\n"), "{text}");
    // The files the manifest names exist beside it (Webin-CLI -inputDir).
    assert_eq!(dir.path().join(&parsed.fasta), files.fasta);
    assert_eq!(dir.path().join(parsed.chromosome_list.unwrap()), files.chromosome_list);

    let fasta = gunzip(&files.fasta);
    let mut lines = fasta.lines();
    assert_eq!(lines.next(), Some(">virion_sample_0001"));
    let body: Vec<&str> = lines.collect();
    assert!(body.iter().all(|l| l.len() <= 60));
    let written = body.concat();
    let mut kept = core.clone();
    kept.extend_from_slice(b"nnnNRY");
    assert_eq!(written.as_bytes(), kept.as_slice());
    assert_eq!(gunzip(&files.chromosome_list), "virion_sample_0001\t1\tMonopartite\tVirion\n");
}

#[test]
fn segmented_genome() {
    let dir = tempfile::tempdir().unwrap();
    let segments = ["PB2", "PB1", "PA", "HA", "NP", "NA", "MP", "NS"];
    let sequences: Vec<Vec<u8>> = (0..8).map(|i| genome(900 + 100 * i, i as u32)).collect();
    let replicons: Vec<Replicon> = segments
        .iter()
        .zip(&sequences)
        .map(|(segment, sequence)| Replicon {
            object_name: format!("A/Belgium/1/2024|{segment}"),
            chromosome_name: segment.to_string(),
            chromosome_type: ChromosomeType::Segmented,
            circular: false,
            location: Some(ChromosomeLocation::Virion),
            sequence,
        })
        .collect();
    let mut m = manifest();
    m.assembly_type = AssemblyType::CloneOrIsolate;
    m.assembly_name = "flu A Belgium#1.2024".into();
    let files = write_genome(dir.path(), &m, "Influenza A virus", &replicons).unwrap();
    assert!(files.trimmed.is_empty());
    assert_eq!(files.manifest.file_name().unwrap(), "flu_A_Belgium_1.2024.manifest.txt");
    let list = gunzip(&files.chromosome_list);
    let rows: Vec<Vec<&str>> = list.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 8);
    for (row, segment) in rows.iter().zip(segments) {
        assert_eq!(row, &[format!("A/Belgium/1/2024|{segment}").as_str(), segment, "Segmented", "Virion"]);
    }
    let fasta = gunzip(&files.fasta);
    let headers: Vec<&str> = fasta.lines().filter_map(|l| l.strip_prefix('>')).collect();
    assert_eq!(headers.len(), 8);
    assert!(headers.iter().zip(&rows).all(|(h, row)| *h == row[0]), "FASTA headers equal the object names");
    let parsed = parse_manifest(&std::fs::read_to_string(&files.manifest).unwrap()).unwrap();
    assert_eq!(parsed.manifest.assembly_name, "flu A Belgium#1.2024");
}

#[test]
fn enas_rules_are_refused_before_writing() {
    let dir = tempfile::tempdir().unwrap();
    let good = genome(100, 3);
    let check = |m: GenomeManifest, replicons: &[Replicon], field: &str| {
        let err = write_genome(dir.path(), &m, SARS2, replicons).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(field), "{field}: {text}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing written on error");
    };
    let one = [Replicon::monopartite("s1", &good)];
    let named = |name: &str| GenomeManifest { assembly_name: name.into(), ..manifest() };
    check(named("_leading underscore"), &one, "ASSEMBLYNAME");
    check(named("slash/inside"), &one, "ASSEMBLYNAME");
    check(named(&"a".repeat(51)), &one, "ASSEMBLYNAME");
    check(named("severe acute respiratory syndrome coronavirus 2 BE"), &one, "organism name");
    check(GenomeManifest { coverage: 0.0, ..manifest() }, &one, "COVERAGE");
    check(GenomeManifest { coverage: f64::NAN, ..manifest() }, &one, "COVERAGE");
    check(
        GenomeManifest { assembly_type: AssemblyType::ClinicalIsolate, ..manifest() },
        &one,
        "ASSEMBLY_TYPE",
    );
    check(GenomeManifest { program: " ".into(), ..manifest() }, &one, "PROGRAM");
    check(GenomeManifest { description: Some("two\nlines".into()), ..manifest() }, &one, "DESCRIPTION");

    let short = b"NNACGTACGTACGTACGTACGNN";
    check(manifest(), &[Replicon::monopartite("s1", short)], "19 bases");
    let mut gap = good.clone();
    gap[50] = b'-';
    check(manifest(), &[Replicon::monopartite("s1", &gap)], "position 51");
    check(manifest(), &[Replicon::monopartite("s 1", &good)], "OBJECT_NAME");
    for bad in ["chr1", "Plasmid2", "-1", &"9".repeat(33)] {
        let replicon = Replicon { chromosome_name: bad.into(), ..Replicon::monopartite("s1", &good) };
        check(manifest(), &[replicon], "CHROMOSOME_NAME");
    }
    let twice = [Replicon::monopartite("s1", &good), Replicon::monopartite("s1", &good)];
    assert!(matches!(write_genome(dir.path(), &manifest(), SARS2, &twice), Err(EnaError::Duplicate { .. })));
    let same_chromosome = [Replicon::monopartite("s1", &good), Replicon::monopartite("s2", &good)];
    assert!(matches!(
        write_genome(dir.path(), &manifest(), SARS2, &same_chromosome),
        Err(EnaError::Duplicate { .. })
    ));
    assert_eq!(write_genome(dir.path(), &manifest(), SARS2, &[]), Err(EnaError::Empty("genome assembly")));
}

#[test]
fn manifest_reader_follows_webin_cli() {
    let text = "# comment\n; another\n// and another\n\nstudy:  PRJEB1\nSample\tERS1\nNAME my assembly\n\
                assembly_type isolate\nCoverage 30\nPROGRAM spades 3.15\nPLATFORM ILLUMINA, OXFORD_NANOPORE\n\
                moleculetype viral cRNA\nFASTA a.fasta.gz\n";
    let parsed = parse_manifest(text).unwrap();
    assert_eq!(parsed.manifest.study, "PRJEB1");
    assert_eq!(parsed.manifest.sample, "ERS1");
    assert_eq!(parsed.manifest.assembly_name, "my assembly");
    assert_eq!(parsed.manifest.assembly_type, AssemblyType::CloneOrIsolate);
    assert_eq!(parsed.manifest.coverage, 30.0);
    assert_eq!(parsed.manifest.platform, "ILLUMINA, OXFORD_NANOPORE");
    assert_eq!(parsed.manifest.molecule_type, Some(MoleculeType::ViralCrna));
    assert_eq!(parsed.manifest.description, None);
    assert_eq!(parsed.chromosome_list, None);

    let cases = [
        (text.replace("Coverage 30", "Coverage -1"), 9, "COVERAGE"),
        (text.replace("Coverage 30", "Coverage 30\nCOVERAGE 31"), 10, "twice"),
        (text.replace("FASTA", "FLATFILE"), 13, "FLATFILE"),
        (text.replace("isolate", "plasmid"), 8, "ASSEMBLY_TYPE"),
        (text.replace("PROGRAM spades 3.15", "PROGRAM"), 10, "PROGRAM has no value"),
        (text.replace("Sample\tERS1\n", ""), 12, "SAMPLE is missing"),
    ];
    for (text, line, reason) in cases {
        match parse_manifest(&text) {
            Err(EnaError::Manifest { line: l, reason: r }) => {
                assert_eq!(l, line, "{r}");
                assert!(r.contains(reason), "{r}");
            }
            other => panic!("{reason}: {other:?}"),
        }
    }
}

/// A real SARS-CoV-2 genome from the shared data goes through unchanged.
#[test]
fn real_reference_genome() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let records = virion_testdata::read_fasta(&shared.join("nextclade/sars-cov-2/reference.fasta"));
    let sequence = &records[0].seq;
    let dir = tempfile::tempdir().unwrap();
    let files =
        write_genome(dir.path(), &manifest(), SARS2, &[Replicon::monopartite("MN908947", sequence)]).unwrap();
    let fasta = gunzip(&files.fasta);
    assert_eq!(fasta.lines().skip(1).collect::<String>().as_bytes(), sequence.as_slice());
    assert_eq!(sequence.len(), 29_903);
}
