//! `virion import`: moves an existing LAPIS/SILO instance's released data (or Nextclade's
//! results) into a Virion collection that `virion serve` answers LAPIS queries over, under the
//! same field names. Reads Loculus NDJSON, SILO input NDJSON or Nextclade NDJSON (told from the
//! first line), builds the index sorted by lineage and date, stores the unaligned sequences
//! beside it, and writes `DATA_DIR/index/ORGANISM.vix` last, so a failed import leaves the
//! previous collection in place.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use rayon::prelude::*;
use virion_collections::{CollectionInfo, ImportedState, collection_paths, index_dir};
use virion_import::{ImportSchema, Importer, Layout, LineageSource, MetadataKind, ReadOptions};
use virion_index::blobs::BlobWriter;
use virion_index::{
    ColumnType, IndexBuilder, LineageDag, LineageDef, PangoAliases, RowInput, Schema, SeqInput,
};

use crate::hub_cmd::DbArgs;

/// How the input's records are laid out (`--layout`).
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LayoutArg {
    /// Loculus's released data: each record's fields under `metadata`, its sequences beside.
    Loculus,
    /// SILO's flat input: fields and sequences at the top level, as its database config names
    /// them.
    Silo,
    /// `nextclade run --output-ndjson` (with `--dataset`); aligned sequences rebuilt from each
    /// result.
    Nextclade,
}

/// `virion import`: a collection from NDJSON (the flags below), or `ena-receipt`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportCommand {
    /// What else to import.
    #[command(subcommand)]
    pub what: Option<ImportWhat>,
    /// The collection to import.
    #[command(flatten)]
    pub collection: ImportArgs,
}

/// What `virion import` takes besides LAPIS/SILO data.
#[derive(Debug, clap::Subcommand)]
pub enum ImportWhat {
    /// Record the INSDC accessions in ENA's receipts (study, samples, Webin-CLI genome
    /// assemblies) on a hub's deposited entries, as new versions.
    EnaReceipt(crate::ena_cmd::EnaReceiptArgs),
}

/// Runs `virion import`.
pub fn run_command(cmd: &ImportCommand) -> Result<()> {
    match &cmd.what {
        Some(ImportWhat::EnaReceipt(args)) => crate::ena_cmd::run_receipt(args),
        None => run(&cmd.collection),
    }
}

/// Flags of `virion import` (a collection).
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The collection's name: queries go to /ORGANISM/sample/….
    #[arg(long, required = true)]
    pub organism: Option<String>,
    /// NDJSON input (plain, .zst, .xz, .gz, .bz2; `-` for stdin).
    #[arg(long, required = true)]
    pub input: Option<PathBuf>,
    /// The input's layout (default: told from its first line).
    #[arg(long, value_enum)]
    pub layout: Option<LayoutArg>,
    /// SILO's database_config.yaml: the fields, their types, indexes and lineage column.
    #[arg(long)]
    pub silo_config: Option<PathBuf>,
    /// SILO's reference_genomes.json: the segments and genes.
    #[arg(long)]
    pub reference_genomes: Option<PathBuf>,
    /// Nextclade dataset of the genomes (Nextclade NDJSON input).
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Pango alias table, when the lineage column holds Pango names without a definition file.
    #[arg(long)]
    pub pango_aliases: Option<PathBuf>,
    /// Load the valid records and skip the invalid ones, warning about each (file, line,
    /// reason), instead of stopping at the first.
    #[arg(long)]
    pub skip_invalid: bool,
    /// The Newick tree of the config's `isPhyloTreeField` column (SILO's `phyloTreeFilename`),
    /// so that the collection answers phylogenetic queries (`phyloDescendantOf`,
    /// `/sample/mostRecentCommonAncestor`, `/sample/phyloSubtree`).
    #[arg(long)]
    pub phylo_tree: Option<PathBuf>,
    /// Memory for staged rows before sorted runs are spilled to disk (MiB).
    #[arg(long, default_value_t = 1024)]
    pub build_memory_mib: usize,
    /// The data directory the collection is written into (`virion serve` serves it).
    #[command(flatten)]
    pub db: DbArgs,
}

/// The layout of the first non-empty line.
fn sniff(path: &Path) -> Result<Layout> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let input = virion_io::decompress(Box::new(file), path)?;
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut line = String::new();
    while reader.read_line(&mut line)? > 0 {
        if !line.trim().is_empty() {
            break;
        }
        line.clear();
    }
    let v: serde_json::Value = serde_json::from_str(line.trim())
        .with_context(|| format!("{}: the first line is not a JSON object", path.display()))?;
    Ok(if v.get("metadata").is_some_and(serde_json::Value::is_object) {
        Layout::Loculus
    } else if v.get("seqName").is_some() && (v.get("alignmentRange").is_some() || v.get("errors").is_some()) {
        Layout::Nextclade
    } else {
        Layout::Silo
    })
}

fn column_type(kind: MetadataKind, indexed: bool) -> ColumnType {
    match kind {
        MetadataKind::String => ColumnType::String { indexed },
        MetadataKind::Int32 | MetadataKind::Int64 => ColumnType::Int,
        MetadataKind::Float => ColumnType::Float,
        MetadataKind::Date => ColumnType::Date,
        MetadataKind::Boolean => ColumnType::Boolean,
    }
}

/// `virion import`: reads the records, builds the collection's index and writes its snapshot
/// and unaligned sequences into `DATA_DIR/index`, replacing the collection whole.
pub fn run(args: &ImportArgs) -> Result<()> {
    let started = Instant::now();
    // clap requires both unless a subcommand was given.
    let (Some(organism), Some(input)) = (args.organism.as_deref(), args.input.as_deref()) else {
        bail!("give --organism and --input (or a subcommand such as ena-receipt)");
    };
    if organism.is_empty() || !organism.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        bail!("--organism {:?}: use letters, digits, '-' and '_' (it becomes a URL path)", organism);
    }
    check_not_a_hub_organism(args, organism)?;
    let layout = match args.layout {
        Some(LayoutArg::Loculus) => Layout::Loculus,
        Some(LayoutArg::Silo) => Layout::Silo,
        Some(LayoutArg::Nextclade) => Layout::Nextclade,
        None if input.as_os_str() == "-" => bail!("reading stdin: name the layout with --layout"),
        None => sniff(input)?,
    };
    let importer = match layout {
        Layout::Nextclade => {
            let dir =
                args.dataset.as_ref().context("Nextclade NDJSON: name its dataset with --dataset DIR")?;
            let ds =
                virion_analyze::Dataset::load(dir).with_context(|| format!("loading {}", dir.display()))?;
            Importer::nextclade(virion_ingest::SequenceLayout::from_dataset(&ds))
        }
        Layout::Silo | Layout::Loculus => {
            let (Some(config), Some(references)) = (&args.silo_config, &args.reference_genomes) else {
                bail!(
                    "{:?} input: name its schema with --silo-config database_config.yaml and --reference-genomes reference_genomes.json",
                    layout
                );
            };
            let schema = ImportSchema::from_silo_files(config, references)?;
            if layout == Layout::Silo { Importer::silo(schema) } else { Importer::loculus(schema) }
        }
    }
    .with_options(ReadOptions { skip_invalid: args.skip_invalid, ..ReadOptions::default() });
    let schema = importer.schema().clone();
    let index_schema = Schema {
        metadata: schema
            .metadata
            .iter()
            .map(|f| (f.name.clone(), column_type(f.kind, f.indexed || f.lineage.is_some())))
            .collect(),
        segments: schema.segments.clone(),
        genes: schema.genes.clone(),
    };
    // Lineages: the instance's own definition file if it names one, else Pango names.
    let lineage_column = schema.metadata.iter().position(|f| f.lineage.is_some()).or_else(|| {
        (layout == Layout::Nextclade)
            .then(|| schema.metadata.iter().position(|f| f.name.to_ascii_lowercase().contains("lineage")))
            .flatten()
    });
    let definition: Option<Vec<LineageDef>> =
        match lineage_column.and_then(|c| schema.metadata[c].lineage.clone()) {
            Some(LineageSource::File(name)) => {
                // SILO's lineageDefinitionFilenames are relative to its input directory, which
                // holds database_config.yaml too.
                let base = args
                    .silo_config
                    .as_ref()
                    .and_then(|c| c.parent())
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or(Path::new("."));
                let column = lineage_column.map_or("", |c| schema.metadata[c].name.as_str());
                let path = virion_import::LineageDefinitions::locate(base, &name)
                    .with_context(|| format!("metadata field {column:?}: generateLineageIndex {name:?}"))?;
                let defs = virion_import::LineageDefinitions::from_path(&path)?;
                Some(
                    defs.lineages
                        .into_iter()
                        .map(|l| LineageDef { label: l.label, parents: l.parents, aliases: l.aliases })
                        .collect(),
                )
            }
            _ => None,
        };
    let lineage_key: Option<(usize, virion_index::LineageKey)> = match (lineage_column, &definition) {
        (Some(c), Some(defs)) => {
            let dag = Arc::new(LineageDag::new(defs.clone())?);
            Some((c, Arc::new(move |s: &str| dag.sort_key(s))))
        }
        (Some(c), None) => {
            let aliases = Arc::new(match &args.pango_aliases {
                Some(p) => PangoAliases::from_json(&std::fs::read_to_string(p)?)?,
                None => PangoAliases::default(),
            });
            Some((c, Arc::new(move |s: &str| aliases.sort_key(s))))
        }
        _ => None,
    };
    let date_column = schema
        .date_to_sort_by
        .as_ref()
        .and_then(|d| schema.metadata_index(d))
        .or_else(|| schema.metadata.iter().position(|f| f.kind == MetadataKind::Date));

    let dir = index_dir(&args.db.data_dir);
    let work = dir.join(format!(".import-{}-{}", organism, std::process::id()));
    std::fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let result = build(args, &importer, &index_schema, lineage_key, date_column, &work);
    let (mut index, arrival, blobs, rows) = match result {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&work);
            return Err(e);
        }
    };
    let tree_column = schema.metadata.iter().position(|f| f.phylo_tree);
    match (&args.phylo_tree, tree_column) {
        (Some(path), Some(column)) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the tree {}", path.display()))?;
            let tree = virion_phylo::PhyloTree::from_newick(&text)
                .with_context(|| format!("{}: not a Newick tree SILO would read", path.display()))?;
            index.set_phylo_tree(column, Arc::new(tree))?;
        }
        (Some(path), None) => anyhow::bail!(
            "--phylo-tree {} given, but no field of the database config has `isPhyloTreeField: true`",
            path.display()
        ),
        (None, Some(column)) => eprintln!(
            "warning: {:?} is the config's phylogenetic tree field; pass --phylo-tree (SILO's \
             phyloTreeFilename) to answer phylogenetic queries",
            schema.metadata[column].name
        ),
        (None, None) => {}
    }
    blobs.finish(&arrival)?;
    let mut features = schema.features.clone();
    if !features.iter().any(|f| f == "generalizedAdvancedQuery") {
        features.push("generalizedAdvancedQuery".into());
    }
    let state = ImportedState {
        info: CollectionInfo {
            instance_name: schema.instance_name.clone(),
            primary_key: schema.primary_key.clone(),
            features,
            lineage_column,
            database_config: schema.database_config.clone(),
        },
        data_version: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs() as i64,
        lineage_definition: definition,
        source: format!("{} ({:?} layout)", input.display(), layout),
    };
    let (vix, seqs) = collection_paths(&dir, organism);
    let tmp_vix = work.join("index.vix");
    virion_index::snapshot::write(&tmp_vix, &index, &serde_json::to_vec(&state)?)?;
    // The sequences first, the snapshot last: serve sees the new collection only when whole.
    std::fs::rename(work.join("seqs"), &seqs)?;
    std::fs::rename(work.join("seqs.idx"), seqs.with_extension("seqs.idx"))?;
    std::fs::rename(&tmp_vix, &vix)?;
    let _ = std::fs::remove_dir_all(&work);
    eprintln!(
        "imported {rows} genomes into {:?} in {:.1} s: {} ({:.0} MiB) and its sequences; `virion serve --data-dir {}` answers /{}/sample/…",
        organism,
        started.elapsed().as_secs_f64(),
        vix.display(),
        std::fs::metadata(&vix).map_or(0, |m| m.len()) as f64 / (1 << 20) as f64,
        args.db.data_dir.display(),
        organism,
    );
    Ok(())
}

type Built = (virion_index::Index, Vec<u32>, BlobWriter, u64);

fn build(
    args: &ImportArgs,
    importer: &Importer,
    schema: &Schema,
    lineage: Option<(usize, virion_index::LineageKey)>,
    date: Option<usize>,
    work: &Path,
) -> Result<Built> {
    let sort = virion_index::lineage_then_date(lineage, date);
    let mut builder = IndexBuilder::new(schema, Some(sort), args.build_memory_mib << 20, work)?;
    let references: Vec<&[u8]> = schema.segments.iter().map(|(_, r)| r.as_slice()).collect();
    let mut blobs = BlobWriter::create(&work.join("seqs"), &references)?;
    // `run` checked that clap gave it.
    let input = args.input.as_deref().unwrap_or(Path::new("-"));
    let mut reader = importer.open(input)?;
    let file = reader.file().to_owned();
    let bar = crate::progress::sequences_bar(reader.total_bytes());
    let mut batch = Vec::with_capacity(10_000);
    let mut rows = 0u64;
    let flush = |batch: &mut Vec<virion_import::ImportRecord>,
                 builder: &mut IndexBuilder,
                 blobs: &mut BlobWriter|
     -> Result<()> {
        let records = std::mem::take(batch);
        let first_line = records.first().map_or(0, |r| r.line);
        let frames = records
            .par_iter()
            .map(|r| {
                blobs.compress(&r.unaligned_nucleotides.iter().map(Option::as_deref).collect::<Vec<_>>())
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let lines: Vec<u64> = records.iter().map(|r| r.line).collect();
        let inputs: Vec<RowInput> = records
            .into_iter()
            .map(|r| RowInput {
                metadata: r.metadata,
                segments: r.aligned_nucleotides.into_iter().map(SeqInput::from).collect(),
                genes: r.aligned_amino_acids.into_iter().map(SeqInput::from).collect(),
                nucleotide_insertions: r.nucleotide_insertions,
                amino_acid_insertions: r.amino_acid_insertions,
            })
            .collect();
        builder.add_batch(inputs).map_err(|e| match e {
            virion_index::BuildError::Row { at, source } => {
                anyhow::anyhow!(
                    "{} line {}: {source}",
                    input.display(),
                    lines.get(at).copied().unwrap_or(first_line)
                )
            }
            other => other.into(),
        })?;
        for f in frames {
            blobs.add_compressed(f)?;
        }
        Ok(())
    };
    while let Some(record) = reader.next() {
        let record = match record {
            Ok(record) => record,
            // The reader hands out an invalid record as its error only when told to skip them.
            Err(e) if args.skip_invalid && e.is_invalid_record() => {
                bar.suspend(|| eprintln!("warning: skipped {e}"));
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        batch.push(record);
        rows += 1;
        if batch.len() == 10_000 {
            flush(&mut batch, &mut builder, &mut blobs)?;
            bar.set_position(reader.bytes_read());
            crate::progress::report(&bar, rows as usize);
        }
    }
    flush(&mut batch, &mut builder, &mut blobs)?;
    bar.finish_and_clear();
    for (key, seen) in &reader.unknown_keys().0 {
        eprintln!(
            "warning: key {key:?} is not in the schema (on {} lines, first on line {}); ignored",
            seen.lines, seen.first_line
        );
    }
    let skipped = reader.invalid_records();
    if skipped > 0 {
        eprintln!("warning: {file}: skipped {skipped} invalid records of {}", skipped + rows);
    }
    if rows == 0 {
        bail!("{}: no records", input.display());
    }
    let merge = crate::progress::sequences_bar(Some(rows));
    merge.set_message("building the index");
    let (index, arrival) = builder.finish_with_order(&|done| merge.set_position(done))?;
    merge.finish_and_clear();
    Ok((index, arrival, blobs, rows))
}

/// An organism the hub takes submissions for cannot also be an imported collection.
fn check_not_a_hub_organism(args: &ImportArgs, organism: &str) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let store = match &args.db.database_url {
            Some(url) => virion_store::Store::connect(url).await?,
            None => virion_store::Store::open_data_dir(&args.db.data_dir).await?,
        };
        let hub = store.organisms().await?;
        store.close().await;
        if hub.iter().any(|o| o.name == organism) {
            bail!(
                "{:?} is an organism this hub takes submissions for; import under another name (e.g. {}-imported)",
                organism,
                organism
            );
        }
        Ok(())
    })
}
