//! `virion sort`: which dataset each sequence belongs to (Nextclade's `sort`), by minimizers of
//! the datasets' references.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use virion_io::{FastaReader, FastaRecord};
use virion_sort::{MinimizerIndex, SortParams};

/// Flags of `virion sort`.
#[derive(Debug, Args)]
pub struct SortArgs {
    /// FASTA input, plain or compressed; `-` for stdin.
    #[arg(long)]
    pub input: PathBuf,
    /// A directory of datasets (each a directory with pathogen.json), e.g. what `virion dataset
    /// get` wrote, or ../shared/data/nextclade.
    #[arg(long)]
    pub datasets_dir: PathBuf,
    /// Where the results go, one row per match as `nextclade sort --output-results-tsv` writes
    /// them (index, seqName, dataset, score, numHits); stdout by default.
    #[arg(long)]
    pub output_tsv: Option<PathBuf>,
    /// Least score of a match.
    #[arg(long, default_value_t = SortParams::default().min_score)]
    pub min_score: f64,
    /// Least number of shared minimizers.
    #[arg(long, default_value_t = SortParams::default().min_hits)]
    pub min_hits: u64,
    /// A fall in score larger than this drops the matches below it.
    #[arg(long, default_value_t = SortParams::default().max_score_gap)]
    pub max_score_gap: f64,
}

/// Runs `virion sort`.
pub fn run(args: &SortArgs) -> anyhow::Result<()> {
    let index = MinimizerIndex::from_dataset_dirs(&args.datasets_dir)?;
    let params =
        SortParams { min_score: args.min_score, min_hits: args.min_hits, max_score_gap: args.max_score_gap };
    let out: Box<dyn Write> = match &args.output_tsv {
        Some(p) => Box::new(std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = std::io::BufWriter::new(out);
    writeln!(out, "index\tseqName\tdataset\tscore\tnumHits")?;
    let mut reader = FastaReader::from_path(&args.input)?;
    let mut rec = FastaRecord::default();
    let (mut records, mut unmatched) = (0usize, 0usize);
    while reader.read(&mut rec)? {
        records += 1;
        let result = index.search(&rec.seq, &params);
        let name = virion_analyze::output::format::tsv_cell(&rec.name);
        if result.matches.is_empty() {
            unmatched += 1;
            writeln!(out, "{}\t{name}\t\t\t", rec.index)?;
        }
        for m in &result.matches {
            writeln!(out, "{}\t{name}\t{}\t{}\t{}", rec.index, m.name, m.score, m.n_hits)?;
        }
    }
    out.flush()?;
    eprintln!(
        "sorted {records} sequences against {} datasets; {unmatched} matched none",
        index.references().len()
    );
    Ok(())
}

/// For `virion process --dataset auto`: the dataset in `datasets_dir` that most of the first
/// `sample` records of `input` match best. Fails, naming the best scores seen, when none does.
pub fn detect_dataset(input: &Path, datasets_dir: &Path, sample: usize) -> anyhow::Result<PathBuf> {
    let index = MinimizerIndex::from_dataset_dirs(datasets_dir)?;
    let params = SortParams::default();
    let mut votes = vec![0usize; index.references().len()];
    let mut reader = FastaReader::from_path(input)?;
    let mut rec = FastaRecord::default();
    let mut seen = 0;
    let mut best_scores = Vec::new();
    while seen < sample && reader.read(&mut rec)? {
        seen += 1;
        let result = index.search(&rec.seq, &params);
        if let Some(best) = result.best() {
            let i = index
                .references()
                .iter()
                .position(|r| r.name == best.name)
                .expect("a match names an indexed reference");
            votes[i] += 1;
        } else {
            best_scores.push(result.max_score);
        }
    }
    let (winner, &count) =
        votes.iter().enumerate().max_by_key(|(i, v)| (**v, std::cmp::Reverse(*i))).unwrap_or((0, &0));
    if count == 0 {
        anyhow::bail!(
            "--dataset auto: none of the first {seen} sequences of {} matches a dataset in {} (best score {:.3}, at least {} needed); \
             pass --dataset DIR, or add the right dataset with `virion dataset get`",
            input.display(),
            datasets_dir.display(),
            best_scores.iter().copied().fold(0.0, f64::max),
            params.min_score
        );
    }
    let name = &index.references()[winner].name;
    eprintln!("--dataset auto: {name} ({count} of the first {seen} sequences match it best)");
    Ok(datasets_dir.join(name))
}
