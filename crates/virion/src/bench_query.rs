//! `virion bench query`: build the query index from synthetic genomes (`virion-synth`) and
//! time a fixed mix of LAPIS requests on it — the same request decoding, selection,
//! aggregation and mutation counting the API runs, without HTTP. Reports index build time,
//! peak memory, and p50/p95/p99 per query. `--silo-ndjson` also writes the same genomes in
//! SILO's input layout, so SILO (rhydb) can be timed on identical data.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use virion_index::{ColumnType, Index, LineageIndex, PangoAliases, RowInput, Schema, Value};
use virion_ingest::SequenceLayout;
use virion_query::{LapisRequest, QueryIndex};

use crate::progress::sequences_bar;

#[derive(Debug, Args)]
pub struct BenchQueryArgs {
    /// Nextclade dataset the genomes are drawn from.
    #[arg(long)]
    pub dataset: PathBuf,
    #[arg(long, default_value_t = 100_000)]
    pub genomes: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs of each query (the first, warm-up run is not counted).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Pango alias table, so lineage queries include aliased sublineages.
    #[arg(long)]
    pub pango_aliases: Option<PathBuf>,
    /// Also write the genomes as SILO input NDJSON (zstd) to this file.
    #[arg(long)]
    pub silo_ndjson: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    Aggregated,
    Details,
    NucleotideMutations,
    AminoAcidMutations,
}

/// The committed query mix: the worked requests of LAPIS-COMPAT and their neighbours.
/// (name, endpoint, parameters as a GET query string would give them)
pub const MIX: &[(&str, &str, &str)] = &[
    ("total count", "aggregated", ""),
    ("count per country", "aggregated", "fields=country"),
    (
        "BA.2.86* per country and week",
        "aggregated",
        "fields=country,date.isoWeek&pangoLineage=BA.2.86*&dateFrom=2023-06-01",
    ),
    (
        "S:L455S in JN.1* per week",
        "aggregated",
        "fields=date.isoWeek&pangoLineage=JN.1*&aminoAcidMutations=S:L455S",
    ),
    ("JN.1* per week", "aggregated", "fields=date.isoWeek&pangoLineage=JN.1*"),
    (
        "mutations ≥5% in Switzerland since June 2022",
        "nucleotideMutations",
        "country=Switzerland&dateFrom=2022-06-01&minProportion=0.05",
    ),
    ("aa mutations ≥5% in JN.1*", "aminoAcidMutations", "pangoLineage=JN.1*&minProportion=0.05"),
    (
        "variant definition (advanced)",
        "aggregated",
        "advancedQuery=[2-of: S:L455S, S:F456L, S:R346T] & !S:484K & country='United Kingdom'",
    ),
    ("100 details", "details", "fields=accession,date&limit=100"),
    ("all nucleotide mutations ≥5%", "nucleotideMutations", "minProportion=0.05"),
    ("count per lineage", "aggregated", "fields=pangoLineage"),
    ("USA in a date range", "aggregated", "country=USA&dateFrom=2021-01-01&dateTo=2021-06-30"),
    ("two nucleotide mutations", "aggregated", "nucleotideMutations=C241T,A23403G"),
    ("N501Y & E484K per country", "aggregated", "fields=country&aminoAcidMutations=S:N501Y,S:E484K"),
    ("boolean mutation query", "aggregated", "advancedQuery=(S:N501Y | S:E484K) & !S:D614G"),
    ("B.1.617.2* per country", "aggregated", "fields=country&pangoLineage=B.1.617.2*"),
    ("XBB* per month", "aggregated", "fields=date.month&pangoLineage=XBB*"),
    ("country regex", "aggregated", "country.regex=^(Sw|Ge)"),
    ("missing dates", "aggregated", "date.isNull=true"),
    ("any mutation at 23403", "aggregated", "nucleotideMutations=23403"),
    ("ORF1a deletion", "aggregated", "aminoAcidMutations=ORF1a:3675-"),
    ("MAYBE ambiguity", "aggregated", "advancedQuery=MAYBE(S:484K)"),
    (
        "date range per week, two countries",
        "aggregated",
        "fields=date.isoWeek&country=Germany,France&dateFrom=2022-01-01&dateTo=2022-12-31",
    ),
];

fn schema(layout: &SequenceLayout) -> Schema {
    Schema {
        metadata: vec![
            ("accession".into(), ColumnType::String { indexed: false }),
            ("country".into(), ColumnType::String { indexed: true }),
            ("date".into(), ColumnType::Date),
            ("pangoLineage".into(), ColumnType::String { indexed: true }),
            ("nextcladeClade".into(), ColumnType::String { indexed: true }),
        ],
        segments: vec![(layout.segment_name.clone(), layout.reference.clone())],
        genes: layout.genes.iter().map(|g| (g.name.clone(), g.peptide.clone())).collect(),
    }
}

/// Decodes a mix entry like a query string; an `advancedQuery` (which contains `&` and `,`)
/// comes last and takes the rest of the text.
fn decode(query: &str) -> Vec<(String, Vec<String>)> {
    let (plain, advanced) = match query.find("advancedQuery=") {
        Some(at) => (&query[..at], Some(&query[at + "advancedQuery=".len()..])),
        None => (query, None),
    };
    let mut pairs: Vec<(String, Vec<String>)> = plain
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_owned(), v.split(',').map(str::to_owned).collect())
        })
        .collect();
    if let Some(a) = advanced {
        pairs.push(("advancedQuery".to_owned(), vec![a.to_owned()]));
    }
    pairs
}

/// Runs one request the way the API does; returns the number of result rows.
fn run(q: &QueryIndex, kind: Kind, req: &LapisRequest) -> Result<usize> {
    let rows = q.select(req)?;
    Ok(match kind {
        Kind::Aggregated => {
            let fields = req
                .fields
                .iter()
                .map(|f| virion_query::parse_group_field(&q.index, f))
                .collect::<Result<Vec<_>, _>>()?;
            virion_query::aggregate(&q.index, &rows, &fields).len()
        }
        Kind::Details => {
            let columns: Vec<usize> = req.fields.iter().filter_map(|f| q.index.column(f)).collect();
            let mut n = 0;
            for row in rows.iter().skip(req.offset).take(req.limit.unwrap_or(usize::MAX)) {
                for &c in &columns {
                    std::hint::black_box(q.index.columns[c].get(row));
                }
                n += 1;
            }
            n
        }
        Kind::NucleotideMutations | Kind::AminoAcidMutations => {
            let aa = matches!(kind, Kind::AminoAcidMutations);
            virion_query::mutation_proportions(&q.index, &rows, aa, req.min_proportion.unwrap_or(0.05))?.len()
        }
    })
}

pub fn bench_query(args: &BenchQueryArgs) -> Result<()> {
    let ds = virion_analyze::Dataset::load(&args.dataset)
        .with_context(|| format!("loading {}", args.dataset.display()))?;
    let layout = SequenceLayout::from_dataset(&ds);
    let mut generator = virion_synth::Generator::new(&ds, args.seed)?;
    let mut index = Index::new(&schema(&layout));
    let mut silo = match &args.silo_ndjson {
        Some(path) => Some(zstd::Encoder::new(std::fs::File::create(path)?, 3)?.auto_finish()),
        None => None,
    };
    let bar = sequences_bar(Some(args.genomes as u64));
    let started = Instant::now();
    let mut generate_time = Duration::ZERO;
    for i in 0..args.genomes {
        let t = Instant::now();
        let g = generator.next_genome();
        if let Some(out) = silo.as_mut() {
            writeln!(out, "{}", virion_synth::silo_ndjson_line(&g))?;
        }
        generate_time += t.elapsed();
        let peptides = layout
            .genes
            .iter()
            .map(|gene| g.peptides.iter().find(|(n, _)| n == &gene.name).map(|(_, p)| p.clone()))
            .collect();
        let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
        index.push(RowInput {
            metadata: vec![
                Value::String(g.accession),
                Value::String(g.country),
                g.date.map_or(Value::Null, Value::Date),
                text(g.lineage),
                text(g.clade),
            ],
            segments: vec![Some(g.genome)],
            genes: peptides,
        })?;
        if i % 1000 == 0 {
            bar.set_position(i as u64);
        }
    }
    bar.finish_and_clear();
    drop(silo);
    let build = started.elapsed() - generate_time;
    let aliases = match &args.pango_aliases {
        Some(p) => PangoAliases::from_json(&std::fs::read_to_string(p)?)?,
        None => PangoAliases::from_json("{}")?,
    };
    let lineage_column = index.column("pangoLineage").expect("schema has it");
    let lineage = LineageIndex::build(&aliases, index.columns[lineage_column].dictionary());
    let q = QueryIndex { visible: index.all(), index, lineage: Some((lineage_column, lineage)) };
    let rss = std::fs::read_to_string("/proc/self/status").ok().and_then(|s| crate::bench::parse_vm_hwm(&s));
    let column_bytes: usize = q.index.segments.iter().chain(&q.index.genes).map(|c| c.bytes()).sum();

    println!(
        "{} genomes; index build {:.1} s ({:.0} genomes/s, generation excluded); sequence columns ≈ {:.0} MiB; process peak RSS {:.0} MiB",
        args.genomes,
        build.as_secs_f64(),
        args.genomes as f64 / build.as_secs_f64(),
        column_bytes as f64 / (1 << 20) as f64,
        rss.unwrap_or(0) as f64 / 1024.0
    );
    println!();
    println!("| # | query | rows out | p50 ms | p95 ms | p99 ms |");
    println!("|---|---|---|---|---|---|");
    let mut all = Vec::new();
    for (i, (name, endpoint, query)) in MIX.iter().enumerate() {
        let kind = match *endpoint {
            "aggregated" => Kind::Aggregated,
            "details" => Kind::Details,
            "nucleotideMutations" => Kind::NucleotideMutations,
            _ => Kind::AminoAcidMutations,
        };
        let req = LapisRequest::from_pairs(decode(query))?;
        let out = run(&q, kind, &req).with_context(|| format!("query {name}"))?;
        let mut times: Vec<Duration> = (0..args.runs.max(1))
            .map(|_| {
                let t = Instant::now();
                let _ = std::hint::black_box(run(&q, kind, &req));
                t.elapsed()
            })
            .collect();
        times.sort();
        all.extend(times.iter().copied());
        let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
        println!("| {} | {name} | {out} | {:.2} | {:.2} | {:.2} |", i + 1, pct(0.5), pct(0.95), pct(0.99));
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
    println!("| | **whole mix** | | {:.2} | {:.2} | {:.2} |", pct(0.5), pct(0.95), pct(0.99));
    Ok(())
}
