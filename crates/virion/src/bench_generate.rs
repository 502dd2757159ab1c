//! `virion bench generate`: realistic processed genomes (the model is documented in
//! `virion-synth`) written as the reference engines and `virion import` read them: SILO's
//! NDJSON input (zstd) with its `database_config.yaml`, `reference_genomes.json` and lineage
//! definitions, and the compact per-genome mutation lists DuckDB loads. `--output -` streams
//! the SILO lines to stdout instead (10 million genomes are ~400 GB of JSON: pipe them).

use std::io::{BufWriter, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use virion_index::{LineageIndex, PangoAliases};

use crate::progress::sequences_bar;

/// Flags of `virion bench generate`.
#[derive(Debug, Args)]
pub struct BenchGenerateArgs {
    /// Organism whose Nextclade dataset the genomes are drawn from (a directory named like it
    /// under --dataset-dir).
    #[arg(long, default_value = "sars-cov-2")]
    pub organism: String,
    /// Directory of Nextclade datasets named like the organisms.
    #[arg(long, default_value = "../shared/data/nextclade")]
    pub dataset_dir: PathBuf,
    /// How many genomes to write.
    #[arg(long)]
    pub sequences: usize,
    /// Seed of the synthetic genomes (the same seed writes the same files).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory, or `-` for SILO NDJSON on stdout.
    #[arg(long)]
    pub output: PathBuf,
    /// Pango alias table for the lineage definitions (default: the shared one).
    #[arg(long, default_value = "../shared/data/pango/alias_key.json")]
    pub pango_aliases: PathBuf,
    /// Skip the mutation-list file (only SILO NDJSON).
    #[arg(long)]
    pub no_mutations: bool,
    /// zstd level of the outputs.
    #[arg(long, default_value_t = 3)]
    pub level: i32,
}

/// `virion bench generate`: writes the synthetic genomes and their SILO config, reference
/// genomes, lineage definitions and mutation lists.
pub fn generate(args: &BenchGenerateArgs) -> Result<()> {
    let dir = args.dataset_dir.join(&args.organism);
    let ds = virion_analyze::Dataset::load(&dir).with_context(|| format!("loading {}", dir.display()))?;
    let layout = virion_ingest::SequenceLayout::from_dataset(&ds);
    let genes: Vec<(String, Vec<u8>)> =
        layout.genes.iter().map(|g| (g.name.clone(), g.peptide.clone())).collect();
    let mut generator = virion_synth::Generator::new(&ds, args.seed)?;
    if args.output.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
        for _ in 0..args.sequences {
            writeln!(out, "{}", virion_synth::silo_ndjson_line(&generator.next_genome()))?;
        }
        out.flush()?;
        return Ok(());
    }
    std::fs::create_dir_all(&args.output)?;
    let zst = |name: &str| -> Result<zstd::stream::AutoFinishEncoder<'static, BufWriter<std::fs::File>>> {
        let path = args.output.join(name);
        let file = std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut e = zstd::Encoder::new(BufWriter::with_capacity(1 << 20, file), args.level)?;
        // Consecutive genomes share most of their text: a long window finds it.
        e.long_distance_matching(true)?;
        Ok(e.auto_finish())
    };
    let mut silo = zst("silo.ndjson.zst")?;
    let mut mutations = if args.no_mutations { None } else { Some(zst("mutations.ndjson.zst")?) };
    let mut lineages = std::collections::BTreeSet::new();
    // Every lineage of the tree is a possible value, so the definition is complete before
    // the genomes are drawn.
    for node in generator.tree_lineages() {
        lineages.insert(node);
    }
    let bar = sequences_bar(Some(args.sequences as u64));
    for i in 0..args.sequences {
        let g = generator.next_genome();
        writeln!(silo, "{}", virion_synth::silo_ndjson_line(&g))?;
        if let Some(m) = mutations.as_mut() {
            writeln!(m, "{}", virion_synth::mutations_ndjson_line(&g, &layout.reference, &genes))?;
        }
        if i % 1000 == 0 {
            bar.set_position(i as u64);
        }
    }
    bar.finish_and_clear();
    drop(silo);
    drop(mutations);
    let aliases = PangoAliases::from_json(&std::fs::read_to_string(&args.pango_aliases)?)?;
    let names: Vec<String> = lineages.into_iter().collect();
    let definition = LineageIndex::build(&aliases, &names).lineage_definition_yaml();
    std::fs::write(args.output.join("lineage_definitions.yaml"), definition)?;
    std::fs::write(
        args.output.join("database_config.yaml"),
        virion_synth::silo_database_config("lineage_definitions.yaml"),
    )?;
    std::fs::write(
        args.output.join("reference_genomes.json"),
        virion_synth::silo_reference_genomes(&layout.reference, &genes),
    )?;
    eprintln!(
        "{} genomes written to {} (silo.ndjson.zst, {}database_config.yaml, reference_genomes.json, lineage_definitions.yaml)",
        args.sequences,
        args.output.display(),
        if args.no_mutations { "" } else { "mutations.ndjson.zst, " }
    );
    Ok(())
}
