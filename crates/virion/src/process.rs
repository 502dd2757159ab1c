//! `virion process`: Nextclade's `run`, streaming, in input order.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::Args;
use virion_analyze::output::{OutputPaths, Outputs};
use virion_analyze::{Dataset, analyze};
use virion_io::FastaReader;

use crate::progress;

/// Flags of `virion process`.
#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// Nextclade v3 dataset directory (pathogen.json, reference.fasta, genome_annotation.gff3,
    /// tree.json). Fetch one with `virion dataset get`. `auto`: the dataset of
    /// `--datasets-dir` that the input's sequences match best (as `virion sort` finds it).
    #[arg(long)]
    pub dataset: PathBuf,
    /// Where `--dataset auto` looks: a directory of dataset directories.
    #[arg(long, default_value = "datasets")]
    pub datasets_dir: PathBuf,
    /// FASTA input, plain or gzip/zstd/xz/bzip2-compressed; `-` for stdin.
    #[arg(long)]
    pub input: PathBuf,
    /// nextclade.tsv-compatible table.
    #[arg(long)]
    pub output_tsv: Option<PathBuf>,
    /// One JSON object per sequence (Nextclade's NDJSON shape where the meaning is the same).
    #[arg(long)]
    pub output_ndjson: Option<PathBuf>,
    /// Aligned sequences, reference length, insertions removed.
    #[arg(long)]
    pub output_fasta: Option<PathBuf>,
    /// Aligned peptides, one file per CDS: a path template containing `{cds}`.
    #[arg(long)]
    pub output_translations: Option<String>,
    /// The dataset's reference tree with every placed sequence grafted onto its nearest node,
    /// Auspice v2 JSON (view it in Auspice or auspice.us).
    #[arg(long)]
    pub output_tree: Option<PathBuf>,
    /// When seeds are not found, try the reverse complement of the sequence (as Nextclade's
    /// `--retry-reverse-complement`).
    #[arg(long)]
    pub retry_reverse_complement: bool,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
}

/// `virion process`: loads the dataset, analyses every input sequence on `jobs` threads and
/// writes the asked-for outputs in input order.
pub fn run(args: &ProcessArgs) -> anyhow::Result<()> {
    let dataset_dir = if args.dataset.as_os_str() == "auto" {
        if args.input.as_os_str() == "-" {
            anyhow::bail!("--dataset auto reads the input twice, so it needs a file, not stdin");
        }
        // The first 100 sequences decide; a file of several pathogens wants `virion sort` first.
        crate::sort_cmd::detect_dataset(&args.input, &args.datasets_dir, 100)?
    } else {
        args.dataset.clone()
    };
    let mut dataset = Dataset::load(&dataset_dir)
        .with_context(|| format!("loading the dataset in {}", dataset_dir.display()))?;
    dataset.align_params.retry_reverse_complement |= args.retry_reverse_complement;
    let paths = OutputPaths {
        tsv: args.output_tsv.clone(),
        ndjson: args.output_ndjson.clone(),
        fasta: args.output_fasta.clone(),
        translations: args.output_translations.clone(),
        tree: args.output_tree.clone(),
    };
    if paths.is_empty() {
        anyhow::bail!(
            "no output requested: add --output-tsv, --output-ndjson, --output-fasta, --output-translations or --output-tree"
        );
    }
    let mut outputs = Outputs::create(&paths, &dataset)?;
    let input = virion_io::open_path_counted(&args.input)?;
    let bytes_read = input.bytes_read.clone();
    let reader = FastaReader::new(input.reader, &args.input);
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = progress::sequences_bar(input.total_bytes);
    let mut n_errors = 0usize;
    let mut names = DuplicateNames::default();
    tracing::info!(dataset = %dataset_dir.display(), input = %args.input.display(), jobs, "processing started");

    let stats = virion_analyze::batch::run_batch(
        reader,
        jobs,
        |rec| analyze(&dataset, &rec.name, &rec.seq),
        |rec, mut result| {
            if result.is_err() {
                n_errors += 1;
            }
            if let (Some(first), Ok(a)) = (names.check(&rec.name, rec.index), &mut result) {
                a.warnings.push(format!(
                    "duplicate sequence name: record #{} (line {}) has the same name as record #{first}",
                    rec.index, rec.line
                ));
            }
            let written = outputs.write(rec.index, &rec.name, &result);
            bar.set_position(bytes_read.load(Ordering::Relaxed));
            progress::report(&bar, rec.index + 1);
            written
        },
    )
    .with_context(|| format!("processing {}", args.input.display()))?;
    outputs.finish()?;
    bar.finish_and_clear();
    tracing::info!(records = stats.records, errors = n_errors, "processing finished");
    eprintln!(
        "processed {} sequences in {:.1}s ({} could not be analysed; see the `errors` column)",
        stats.records,
        bar.elapsed().as_secs_f64(),
        n_errors
    );
    Ok(())
}

/// Remembers names by hash: 12 bytes a record rather than the name itself, so that a million
/// genomes cost about 20 MB. A hash collision could flag a false duplicate with odds of about
/// n²/2⁶⁵, negligible below billions of records.
#[derive(Default)]
struct DuplicateNames {
    first_index: std::collections::HashMap<u64, u32>,
}

impl DuplicateNames {
    /// The index of an earlier record with this name, if any.
    fn check(&mut self, name: &str, index: usize) -> Option<u32> {
        use std::hash::{BuildHasher, BuildHasherDefault};
        let hash = BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default().hash_one(name);
        match self.first_index.entry(hash) {
            std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(index as u32);
                None
            }
        }
    }
}
