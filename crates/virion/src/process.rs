//! `virion process`: Nextclade's `run`, streaming, in input order.

use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::Context;
use clap::Args;
use virion_analyze::output::{OutputPaths, Outputs};
use virion_analyze::{Dataset, analyze};
use virion_io::FastaReader;

use crate::progress;

#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// Nextclade v3 dataset directory (pathogen.json, reference.fasta, genome_annotation.gff3,
    /// tree.json). Fetch one with `virion dataset get`.
    #[arg(long)]
    pub dataset: PathBuf,
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
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
}

pub fn run(args: &ProcessArgs) -> anyhow::Result<()> {
    let dataset = Dataset::load(&args.dataset)
        .with_context(|| format!("loading the dataset in {}", args.dataset.display()))?;
    let paths = OutputPaths {
        tsv: args.output_tsv.clone(),
        ndjson: args.output_ndjson.clone(),
        fasta: args.output_fasta.clone(),
        translations: args.output_translations.clone(),
    };
    if paths.is_empty() {
        anyhow::bail!(
            "no output requested: add --output-tsv, --output-ndjson, --output-fasta or --output-translations"
        );
    }
    let mut outputs = Outputs::create(&paths, &dataset)?;
    let input = virion_io::open_path_counted(&args.input)?;
    let bytes_read = input.bytes_read.clone();
    let reader = FastaReader::new(input.reader, &args.input);
    let jobs = args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = progress::sequences_bar(input.total_bytes);
    let mut n_errors = 0usize;
    tracing::info!(dataset = %args.dataset.display(), input = %args.input.display(), jobs, "processing started");

    let stats = virion_analyze::batch::run_batch(
        reader,
        jobs,
        |rec| analyze(&dataset, &rec.name, &rec.seq),
        |rec, result| {
            if result.is_err() {
                n_errors += 1;
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
