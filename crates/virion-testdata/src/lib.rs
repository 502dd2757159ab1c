//! Locates and reads the shared reference data (`../shared/data`) for tests.
//!
//! Dev-only: the agreement tests of several crates compare with Nextclade's own outputs on the
//! same genomes, and all of them find, skip on and read that data the same way.

#[cfg(feature = "postgres")]
pub mod postgres;
pub mod tools;

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::{Path, PathBuf};

use virion_core::Nuc;
use virion_io::{FastaReader, FastaRecord, open_path};

/// `<repo>/../shared/data`, or `None` after printing "skipping: ../shared/data not found" when it
/// is absent. With `VIRION_REQUIRE_SHARED_DATA=1` its absence is a panic instead, so that CI
/// cannot pass by skipping.
pub fn shared_data() -> Option<PathBuf> {
    // This crate sits beside every other crate, so the path is the same from each of them.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("VIRION_REQUIRE_SHARED_DATA").as_deref() == Ok("1") {
        panic!("../shared/data not found at {} but VIRION_REQUIRE_SHARED_DATA=1", dir.display());
    }
    eprintln!("skipping: ../shared/data not found");
    None
}

/// One folder of Nextclade's outputs under `nextclade-out` and what it was made from (see its
/// README.md).
#[derive(Debug, Clone, Copy)]
pub struct OutputSet {
    /// Folder under `nextclade-out`.
    pub out_dir: &'static str,
    /// Dataset folder under `nextclade`.
    pub dataset: &'static str,
    /// Input FASTA, relative to the shared data folder.
    pub input: &'static str,
}

/// The SARS-CoV-2 inputs, all run with the `sars-cov-2` dataset.
pub const SARS_COV_2_SETS: &[OutputSet] = &[
    OutputSet {
        out_dir: "sars-cov-2-dataset-examples",
        dataset: "sars-cov-2",
        input: "nextclade/sars-cov-2/sequences.fasta",
    },
    OutputSet {
        out_dir: "ncov-open-example",
        dataset: "sars-cov-2",
        input: "sequences/ncov-open-example/example_sequences.fasta.gz",
    },
    OutputSet {
        out_dir: "ncov-open-references",
        dataset: "sars-cov-2",
        input: "sequences/ncov-open-example/references_sequences.fasta",
    },
    OutputSet {
        out_dir: "nextclade-test-sequences",
        dataset: "sars-cov-2",
        input: "sequences/nextclade-test-sequences/clades_subsampled.fasta.gz",
    },
    OutputSet {
        out_dir: "pangolin-test-seqs",
        dataset: "sars-cov-2",
        input: "sequences/pangolin-test-seqs/test_seqs.fasta",
    },
];

/// Each other dataset's example sequences, run with that dataset.
pub const OTHER_PATHOGEN_SETS: &[OutputSet] = &[
    OutputSet {
        out_dir: "other-pathogens/rsv-a",
        dataset: "rsv-a",
        input: "nextclade/rsv-a/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/mpox-clade-iib",
        dataset: "mpox-clade-iib",
        input: "nextclade/mpox-clade-iib/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-ha",
        dataset: "flu-h3n2-ha",
        input: "nextclade/flu-h3n2-ha/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-pb2",
        dataset: "flu-h3n2-pb2",
        input: "nextclade/flu-h3n2-pb2/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-pb1",
        dataset: "flu-h3n2-pb1",
        input: "nextclade/flu-h3n2-pb1/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-pa",
        dataset: "flu-h3n2-pa",
        input: "nextclade/flu-h3n2-pa/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-np",
        dataset: "flu-h3n2-np",
        input: "nextclade/flu-h3n2-np/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-na",
        dataset: "flu-h3n2-na",
        input: "nextclade/flu-h3n2-na/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-mp",
        dataset: "flu-h3n2-mp",
        input: "nextclade/flu-h3n2-mp/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/flu-h3n2-ns",
        dataset: "flu-h3n2-ns",
        input: "nextclade/flu-h3n2-ns/sequences.fasta",
    },
    OutputSet {
        out_dir: "other-pathogens/sars-cov-2-proteins",
        dataset: "sars-cov-2-proteins",
        input: "nextclade/sars-cov-2-proteins/sequences.fasta",
    },
];

/// 9,831 real RSV-A genomes from INSDC with Nextclade's TSV (`nextclade.tsv.zst`, no NDJSON):
/// processing at scale, beyond a dataset's examples.
pub const RSV_A_INSDC_SET: OutputSet = OutputSet {
    out_dir: "other-pathogens/rsv-a-insdc",
    dataset: "rsv-a",
    input: "sequences/rsv-a-insdc/sequences.fasta.zst",
};

/// The influenza A H3N2 segments in genome order, each with its Nextclade dataset
/// (`nextclade/flu-h3n2-<segment>`).
pub const FLU_H3N2_SEGMENTS: &[&str] = &["pb2", "pb1", "pa", "ha", "np", "na", "mp", "ns"];

impl OutputSet {
    /// Nextclade's TSV of this set: `nextclade.tsv`, or `nextclade.tsv.zst` where only that is
    /// kept.
    pub fn nextclade_tsv(&self, data: &Path) -> PathBuf {
        let dir = data.join("nextclade-out").join(self.out_dir);
        let plain = dir.join("nextclade.tsv");
        if plain.exists() { plain } else { dir.join("nextclade.tsv.zst") }
    }
}

/// Every record of a plain or compressed FASTA file, read as Virion reads its input (letters and
/// `*` kept, uppercased; gaps dropped).
pub fn read_fasta(path: &Path) -> Vec<FastaRecord> {
    let mut reader = FastaReader::from_path(path).unwrap_or_else(|e| panic!("{e}"));
    let mut records = Vec::new();
    let mut record = FastaRecord::default();
    while reader.read(&mut record).unwrap_or_else(|e| panic!("{e}")) {
        records.push(record.clone());
    }
    records
}

/// The first record of a FASTA file as nucleotides (unknown letters become `N`): a reference.
pub fn read_reference(path: &Path) -> Vec<Nuc> {
    let first =
        read_fasta(path).into_iter().next().unwrap_or_else(|| panic!("{}: no record", path.display()));
    first.seq.iter().map(|&b| Nuc::from_byte(b).unwrap_or(Nuc::N)).collect()
}

/// Records of an aligned FASTA file (plain or compressed) as (name, letters and `*` uppercased,
/// gaps `-` kept); [`FastaReader`] drops gaps, as Nextclade does for its inputs.
pub fn read_aligned_fasta(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut records: Vec<(String, Vec<u8>)> = Vec::new();
    for line in open_path(path).unwrap_or_else(|e| panic!("{e}")).split(b'\n') {
        let line = line.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(header) = line.strip_prefix(b">") {
            records.push((String::from_utf8_lossy(header).trim().to_owned(), Vec::new()));
        } else if let Some((_, seq)) = records.last_mut() {
            seq.extend(
                line.iter()
                    .filter(|b| b.is_ascii_alphabetic() || **b == b'*' || **b == b'-')
                    .map(u8::to_ascii_uppercase),
            );
        }
    }
    records
}

/// A nextclade.tsv-shaped table (Nextclade's or ours): column names and rows as name → cell.
/// Cells are split on tabs only; no row of these files holds a tab inside a quoted cell.
#[derive(Debug)]
pub struct Table {
    /// Column names in header order.
    pub columns: Vec<String>,
    /// Data rows, each mapping column name to cell text.
    pub rows: Vec<BTreeMap<String, String>>,
}

impl Table {
    /// Reads a plain or compressed TSV file.
    pub fn read(path: &Path) -> Table {
        let mut text = String::new();
        open_path(path)
            .unwrap_or_else(|e| panic!("{e}"))
            .read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Table::parse(&text)
    }

    /// Parses TSV text; blank lines are skipped.
    pub fn parse(text: &str) -> Table {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| header.iter().map(|h| h.to_string()).zip(l.split('\t').map(str::to_owned)).collect())
            .collect();
        Table { columns: header.iter().map(|h| h.to_string()).collect(), rows }
    }

    /// Whether the header has a column called `name`.
    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }
}

/// Every record of a plain or compressed NDJSON file (such as nextclade.ndjson.zst), in file
/// order; blank lines are skipped.
pub fn read_ndjson(path: &Path) -> Vec<serde_json::Value> {
    open_path(path)
        .unwrap_or_else(|e| panic!("{e}"))
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(&l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}
