//! `virion bench query`: builds the query index from synthetic genomes (`virion-synth`) the way
//! `virion import` and the hub do (rows ordered by lineage and date), writes and reloads its
//! snapshot, then times a committed mix of LAPIS requests on the loaded index through the
//! API's own decoding and answering (`virion_query::execute`), without HTTP. Reports build,
//! snapshot and load times, memory, p50/p95/p99 per query, and the time until 10,000 newly
//! released genomes are queryable. With `--reference`, the reference engines' results
//! (bench/reference_engines.py, `BENCH_JSON` lines) are set beside Virion's as ratios.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use virion_synth::mix::{MATRIX_MUTATIONS, MATRIX_WEEKS, MIX, decode};

use anyhow::{Context, Result, bail};
use clap::Args;
use serde_json::json;
use virion_index::{
    ColumnType, IndexBuilder, LineageIndex, PangoAliases, RowInput, Schema, SeqInput, Value, snapshot,
};
use virion_query::execute::{Budget, Endpoint, Part};
use virion_query::{LapisRequest, QueryIndex};

use crate::progress::sequences_bar;

/// Flags of `virion bench query`.
#[derive(Debug, Args)]
pub struct BenchQueryArgs {
    /// Nextclade dataset the genomes are drawn from.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Synthetic genomes in the index.
    #[arg(long, default_value_t = 100_000)]
    pub genomes: usize,
    /// Seed of the synthetic genomes (the same seed builds the same index).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs of each query (the first, warm-up run is not counted).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Pango alias table, so lineage queries include aliased sublineages.
    #[arg(long)]
    pub pango_aliases: Option<PathBuf>,
    /// Where the snapshot is written and read back (default: a temporary directory). With
    /// `--reuse-snapshot`, an existing snapshot there is loaded instead of building.
    #[arg(long)]
    pub snapshot: Option<PathBuf>,
    /// Load the snapshot at `--snapshot` if it exists instead of building the index.
    #[arg(long)]
    pub reuse_snapshot: bool,
    /// Memory for staged rows before the builder spills sorted runs to disk (MiB).
    #[arg(long, default_value_t = 1024)]
    pub build_memory_mib: usize,
    /// Reference engines' results (`BENCH_JSON` lines of bench/reference_engines.py).
    #[arg(long)]
    pub reference: Vec<PathBuf>,
    /// Run only these queries of the mix (numbers, comma-separated; for profiling one).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<usize>,
    /// Also write Virion's results as `BENCH_JSON` lines to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write Virion's normalised results (`{"<query>": [...]}`, as bench/reference_engines.py's
    /// `--dump-results` writes each engine's) to this file, to diff answers row by row.
    #[arg(long)]
    pub dump_results: Option<PathBuf>,
}

/// The synthetic collection's schema: what a LAPIS instance of these genomes declares.
fn schema(layout: &virion_ingest::SequenceLayout) -> Schema {
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

/// One request of the mix, ready to run.
struct Query {
    endpoint: &'static str,
    req: LapisRequest,
}

/// Runs one request the way the API does; returns its table (a time series as one row per
/// cell).
fn run(q: &QueryIndex, visible: &virion_index::RoaringBitmap, query: &Query) -> Result<virion_query::Table> {
    let parts = [Part { index: q, visible }];
    let budget = Budget::default();
    let endpoint = match query.endpoint {
        "aggregated" => Endpoint::Aggregated,
        "details" => Endpoint::Details,
        "nucleotideMutations" => Endpoint::NucleotideMutations,
        "aminoAcidMutations" => Endpoint::AminoAcidMutations,
        "aminoAcidMutationsOverTime" => {
            let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
            let ranges: Vec<virion_query::execute::DateRange> =
                MATRIX_WEEKS.iter().map(|(a, b)| (day(a), day(b))).collect();
            let mutations = MATRIX_MUTATIONS.map(str::to_owned);
            let s = virion_query::execute::mutations_over_time(
                &parts, &query.req, &mutations, "date", &ranges, true, &budget,
            )?;
            let rows = s
                .cells
                .iter()
                .flatten()
                .map(|&(c, v)| vec![virion_query::Cell::Int(c as i64), virion_query::Cell::Int(v as i64)])
                .collect();
            return Ok(virion_query::Table { columns: vec!["count".into(), "coverage".into()], rows });
        }
        other => bail!("unknown endpoint {other}"),
    };
    Ok(virion_query::execute::table(&parts, endpoint, &query.req, &budget)?)
}

/// The queries whose answers are mutation proportions (as bench/reference_engines.py numbers
/// them).
const MUTATION_QUERIES: [usize; 3] = [6, 7, 10];

/// A digest of an answer in bench/reference_engines.py's normal form, so that the engines'
/// answers can be compared: the first 12 hex digits of SHA-1 of the JSON of the sorted
/// (sequenceName, position, mutationTo, count, coverage) tuples of a mutation answer, or of the
/// sorted (field values by field name as text, …, count) tuples of grouped counts. `None` for
/// answers any rows of which are right (unordered details) and for queries not in that script.
fn digest(qid: usize, table: &virion_query::Table, segment: &str) -> Option<String> {
    use sha1::Digest;
    let json = normalised(qid, table, segment)?;
    let hash = sha1::Sha1::digest(json.as_bytes());
    Some(hash.iter().take(6).map(|b| format!("{b:02x}")).collect())
}

/// How a null key is written in a normalised result (`NULL` in bench/reference_engines.py): a
/// text no value can be, so that a null and an empty string never compare equal by accident.
const NULL_MARK: &str = "\u{0}null";

/// The engine-independent form of a result, as JSON text, byte for byte as
/// bench/reference_engines.py's `normalise` and `json.dumps` write it (so that digests compare
/// and dumps diff): grouped counts as sorted `[key…, count]` (keys ordered by column name),
/// mutations as sorted `[sequence, position, to, count, coverage]`. LAPIS leaves a
/// single-segment organism's `sequenceName` null where SILO names the segment: both are
/// `segment` here. `None` when a column is missing or not of its type, so a malformed answer
/// is never compared.
fn normalised(qid: usize, table: &virion_query::Table, segment: &str) -> Option<String> {
    use virion_query::Cell;
    if qid == 9 || qid > 23 {
        return None;
    }
    let col = |name: &str| table.columns.iter().position(|c| c == name);
    let int = |c: &Cell| if let Cell::Int(i) = c { Some(*i) } else { None };
    let key = |c: &Cell| if let Cell::Null = c { NULL_MARK.to_owned() } else { c.text() };
    let items: Vec<String> = if MUTATION_QUERIES.contains(&qid) {
        let (s, p, t, n, v) =
            (col("sequenceName")?, col("position")?, col("mutationTo")?, col("count")?, col("coverage")?);
        let mut tuples = Vec::with_capacity(table.rows.len());
        for r in &table.rows {
            let sequence = if let Cell::Null = r[s] { segment.to_owned() } else { r[s].text() };
            tuples.push((sequence, int(&r[p])?, r[t].text(), int(&r[n])?, int(&r[v])?));
        }
        tuples.sort();
        tuples
            .into_iter()
            .map(|(a, b, c, d, e)| format!("[{}, {b}, {}, {d}, {e}]", python_json(&a), python_json(&c)))
            .collect()
    } else {
        let count = col("count")?;
        let mut keys: Vec<usize> = (0..table.columns.len()).filter(|&i| i != count).collect();
        keys.sort_by(|&a, &b| table.columns[a].cmp(&table.columns[b]));
        let mut tuples = Vec::with_capacity(table.rows.len());
        for r in &table.rows {
            tuples.push((keys.iter().map(|&k| key(&r[k])).collect::<Vec<_>>(), int(&r[count])?));
        }
        tuples.sort();
        tuples
            .into_iter()
            .map(|(k, n)| {
                let mut parts: Vec<String> = k.iter().map(|x| python_json(x)).collect();
                parts.push(n.to_string());
                format!("[{}]", parts.join(", "))
            })
            .collect()
    };
    Some(format!("[{}]", items.join(", ")))
}

/// A string as Python's `json.dumps` writes it (ASCII only: other characters as `\uXXXX`,
/// surrogate pairs beyond the BMP).
fn python_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn vm_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Rows for genomes `from..to` of the generator (in order).
fn genome_row(g: virion_synth::SynthGenome, layout: &virion_ingest::SequenceLayout) -> RowInput {
    let text = |v: Option<String>| v.map_or(Value::Null, Value::String);
    let mut peptides: HashMap<String, Vec<u8>> = g.peptides.into_iter().collect();
    RowInput {
        metadata: vec![
            Value::String(g.accession),
            Value::String(g.country),
            g.date.map_or(Value::Null, Value::Date),
            text(g.lineage),
            text(g.clade),
        ],
        segments: vec![SeqInput::Aligned(g.genome)],
        genes: layout.genes.iter().map(|gene| peptides.remove(&gene.name).into()).collect(),
        ..RowInput::default()
    }
}

/// Reference results by (engine, query name): p50, p95, p99 in ms, and the answer's digest.
type Reference = HashMap<(String, String), (f64, f64, f64, Option<String>)>;

fn read_reference(paths: &[PathBuf]) -> Result<Reference> {
    let mut out = HashMap::new();
    for path in paths {
        let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        for line in std::io::BufReader::new(file).lines() {
            let line = line?;
            let Some(text) =
                line.strip_prefix("BENCH_JSON ").or(line.starts_with('{').then_some(line.as_str()))
            else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else { continue };
            let (Some(engine), Some(name)) = (v["engine"].as_str(), v["name"].as_str()) else { continue };
            let ms = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
            let digest = v["digest"].as_str().map(str::to_owned);
            out.insert((engine.to_owned(), name.to_owned()), (ms("p50"), ms("p95"), ms("p99"), digest));
        }
    }
    Ok(out)
}

/// `virion bench query`: builds (or loads) the index, times the query mix and prints the
/// report.
pub fn bench_query(args: &BenchQueryArgs) -> Result<()> {
    let ds = virion_analyze::Dataset::load(&args.dataset)
        .with_context(|| format!("loading {}", args.dataset.display()))?;
    let layout = virion_ingest::SequenceLayout::from_dataset(&ds);
    let schema = schema(&layout);
    let aliases = Arc::new(match &args.pango_aliases {
        Some(p) => PangoAliases::from_json(&std::fs::read_to_string(p)?)?,
        None => PangoAliases::default(),
    });
    let tmp = tempfile::tempdir()?;
    let snapshot_path = args.snapshot.clone().unwrap_or_else(|| tmp.path().join("bench.vix"));
    let mut generator = virion_synth::Generator::new(&ds, args.seed)?;
    let mut report = Vec::new();

    let (build, snapshot_write) = if args.reuse_snapshot && snapshot_path.exists() {
        writeln!(report, "reusing snapshot {} (not rebuilt)", snapshot_path.display())?;
        (None, None)
    } else {
        let lineage_column = 3;
        let key_aliases = aliases.clone();
        let lineage_key: virion_index::LineageKey = Arc::new(move |s: &str| key_aliases.sort_key(s));
        let sort = virion_index::lineage_then_date(Some((lineage_column, lineage_key)), Some(2));
        let spill = snapshot_path.parent().map_or_else(|| tmp.path().to_owned(), Path::to_owned);
        std::fs::create_dir_all(&spill)?;
        let mut builder = IndexBuilder::new(&schema, Some(sort), args.build_memory_mib << 20, &spill)?;
        let bar = sequences_bar(Some(args.genomes as u64));
        let mut generate_time = Duration::ZERO;
        let started = Instant::now();
        let mut batch = Vec::with_capacity(10_000);
        for i in 0..args.genomes {
            let t = Instant::now();
            let g = generator.next_genome();
            generate_time += t.elapsed();
            batch.push(genome_row(g, &layout));
            if batch.len() == 10_000 || i + 1 == args.genomes {
                builder.add_batch(std::mem::take(&mut batch))?;
                bar.set_position(i as u64 + 1);
            }
        }
        bar.set_message("merging");
        let index = builder.finish(&|done| bar.set_position(done))?;
        bar.finish_and_clear();
        let build = started.elapsed() - generate_time;
        let peak_build = vm_kib("VmHWM:");
        let t = Instant::now();
        snapshot::write(&snapshot_path, &index, b"{}")?;
        let write = t.elapsed();
        writeln!(
            report,
            "index build {:.1} s ({:.0} genomes/s; generation, {:.1} s, excluded); peak RSS during build {:.0} MiB; snapshot {:.0} MiB written in {:.1} s",
            build.as_secs_f64(),
            args.genomes as f64 / build.as_secs_f64(),
            generate_time.as_secs_f64(),
            peak_build.unwrap_or(0) as f64 / 1024.0,
            std::fs::metadata(&snapshot_path)?.len() as f64 / (1 << 20) as f64,
            write.as_secs_f64(),
        )?;
        drop(index);
        (Some(build), Some(write))
    };
    let _ = (build, snapshot_write);

    // Everything below runs on the index read back from the snapshot.
    let rss_before_load = vm_kib("VmRSS:").unwrap_or(0);
    let t = Instant::now();
    let (index, _) = snapshot::read(&snapshot_path)?;
    let load = t.elapsed();
    let lineage = LineageIndex::build(&aliases, &index.columns[3].distinct());
    let q = QueryIndex { index, lineage: Some((3, lineage)) };
    let mut visible = q.index.all();
    let rss_loaded = vm_kib("VmRSS:").unwrap_or(0);
    writeln!(
        report,
        "{} genomes; snapshot loaded in {:.2} s; index in memory ≈ {:.0} MiB (heap estimate), process RSS {:.0} MiB after load (+{:.0} MiB for the load)",
        q.index.rows(),
        load.as_secs_f64(),
        q.index.heap_bytes() as f64 / (1 << 20) as f64,
        rss_loaded as f64 / 1024.0,
        rss_loaded.saturating_sub(rss_before_load) as f64 / 1024.0,
    )?;

    let reference = read_reference(&args.reference)?;
    let engines: Vec<String> = {
        let mut e: Vec<String> = reference.keys().map(|(e, _)| e.clone()).collect();
        e.sort();
        e.dedup();
        e
    };
    let mut out = String::new();
    out.push_str("| # | query | rows out | p50 ms | p95 ms | p99 ms |");
    for e in &engines {
        out.push_str(&format!(" {e} p50 ms | {e}/virion p50 | same answer as {e} |"));
    }
    out.push('\n');
    out.push_str(&"|---".repeat(6 + 3 * engines.len()));
    out.push_str("|\n");
    let mut json_lines = Vec::new();
    let mut dumped: Vec<String> = Vec::new();
    let mut differing: Vec<String> = Vec::new();
    let mut all = Vec::new();
    for (i, (name, endpoint, query)) in MIX.iter().enumerate() {
        if !args.only.is_empty() && !args.only.contains(&(i + 1)) {
            continue;
        }
        let query = Query { endpoint, req: LapisRequest::from_pairs(decode(query))? };
        let table = run(&q, &visible, &query).with_context(|| format!("query {name}"))?;
        let rows = table.rows.len();
        let digest = digest(i + 1, &table, &layout.segment_name);
        if let Some(n) = normalised(i + 1, &table, &layout.segment_name) {
            dumped.push(format!("\"{}\": {n}", i + 1));
        }
        let mut times: Vec<Duration> = (0..args.runs.max(1))
            .map(|_| {
                let t = Instant::now();
                let _ = std::hint::black_box(run(&q, &visible, &query));
                t.elapsed()
            })
            .collect();
        times.sort();
        all.extend(times.iter().copied());
        let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
        let (p50, p95, p99) = (pct(0.5), pct(0.95), pct(0.99));
        out.push_str(&format!("| {} | {name} | {rows} | {p50:.2} | {p95:.2} | {p99:.2} |", i + 1));
        for e in &engines {
            match reference.get(&(e.clone(), (*name).to_owned())) {
                Some((r50, _, _, theirs)) if r50.is_finite() => {
                    let same = match (&digest, theirs) {
                        (Some(a), Some(b)) if a == b => "yes",
                        (Some(_), Some(_)) => {
                            differing.push(format!("{} ({e})", i + 1));
                            "**NO**"
                        }
                        _ => "",
                    };
                    out.push_str(&format!(" {r50:.2} | {:.1}× | {same} |", r50 / p50.max(1e-3)))
                }
                _ => out.push_str(" n/a | | |"),
            }
        }
        out.push('\n');
        json_lines.push(
            json!({ "engine": "virion", "name": name, "p50": p50, "p95": p95, "p99": p99, "rows": rows, "digest": digest })
                .to_string(),
        );
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e3;
    out.push_str(&format!("| | **whole mix** | | {:.2} | {:.2} | {:.2} |\n", pct(0.5), pct(0.95), pct(0.99)));

    // Newly released genomes: 10,000 appended (checked and made relative to the reference,
    // then added; only the last block is rebuilt) and queryable.
    let mut index = q.index;
    let mut more = virion_synth::Generator::new(&ds, args.seed ^ 0x5EED)?;
    let t = Instant::now();
    let rows: Vec<RowInput> = (0..10_000).map(|_| genome_row(more.next_genome(), &layout)).collect();
    let generated = t.elapsed();
    let t = Instant::now();
    use rayon::prelude::*;
    let prepared = rows.into_par_iter().map(|r| index.prepare(r)).collect::<Result<Vec<_>, _>>()?;
    let first = index.append(prepared)?;
    visible.insert_range(first..index.rows());
    let appended = t.elapsed();
    let q = QueryIndex { lineage: q.lineage, index };
    let check = Query { endpoint: "aggregated", req: LapisRequest::default() };
    run(&q, &visible, &check)?;
    writeln!(
        report,
        "10,000 new genomes appended and queryable in {:.2} s (their generation, {:.2} s, excluded)",
        appended.as_secs_f64(),
        generated.as_secs_f64()
    )?;
    let peak = vm_kib("VmHWM:").unwrap_or(0);
    writeln!(report, "process peak RSS {:.0} MiB", peak as f64 / 1024.0)?;
    print!("{}", String::from_utf8_lossy(&report));
    println!();
    print!("{out}");
    if let Some(path) = &args.json {
        std::fs::write(path, json_lines.iter().map(|l| format!("BENCH_JSON {l}\n")).collect::<String>())?;
    }
    if let Some(path) = &args.dump_results {
        std::fs::write(path, format!("{{{}}}", dumped.join(", ")))?;
    }
    if !differing.is_empty() {
        anyhow::bail!(
            "answers differ from the reference for queries {}: compare them row by row with \
             --dump-results here and bench/reference_engines.py --dump-results",
            differing.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use virion_query::{Cell, Table};

    /// The expected texts are what bench/reference_engines.py's `json.dumps(normalise(…))` prints
    /// for the same rows (SILO names the segment where LAPIS, and Virion, leave it null).
    #[test]
    fn normalised_results_are_byte_for_byte_the_reference_engines() {
        let grouped = Table {
            columns: vec!["date".into(), "country".into(), "count".into()],
            rows: vec![
                vec![Cell::Null, Cell::Str("Côte d'Ivoire".into()), Cell::Int(3)],
                vec![Cell::Str("2021-01-01".into()), Cell::Str(String::new()), Cell::Int(2)],
            ],
        };
        assert_eq!(
            normalised(2, &grouped, "main").unwrap(),
            r#"[["", "2021-01-01", 2], ["C\u00f4te d'Ivoire", "\u0000null", 3]]"#
        );
        let mutations = Table {
            columns: ["sequenceName", "position", "mutationTo", "count", "coverage"]
                .map(String::from)
                .to_vec(),
            rows: vec![
                vec![Cell::Null, Cell::Int(241), Cell::Str("T".into()), Cell::Int(5), Cell::Int(9)],
                vec![Cell::Null, Cell::Int(3), Cell::Str("-".into()), Cell::Int(1), Cell::Int(2)],
            ],
        };
        assert_eq!(
            normalised(6, &mutations, "main").unwrap(),
            r#"[["main", 3, "-", 1, 2], ["main", 241, "T", 5, 9]]"#
        );
        // A count that is not an integer is no answer to compare, rather than a 0 that may match.
        let mut broken = mutations.clone();
        broken.rows[0][3] = Cell::Str("5".into());
        assert_eq!(normalised(6, &broken, "main"), None);
    }
}
