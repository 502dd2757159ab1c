//! `virion bench phylo`: a hub's phylogenetic tree at scale. N synthetic genomes are placed on
//! the dataset's reference tree as `virion-synth` draws them (Zipf over nodes), their rows
//! ordered by node as a hub orders them by lineage; the tree is built the way the hub builds
//! it (`virion_collections::HubTree`: the reference tree with every genome attached as a leaf
//! under its node, named by its accession version), and the rows are placed in it. Reported:
//! build and placement times, memory (RSS deltas and the mapping's heap), the time of
//! `mostRecentCommonAncestor` over 10,000 genomes (random ones, and the ~10,000 below one node
//! through a `phyloDescendantOf` filter), `phyloSubtree` of the random ones, the descendant
//! filter alone, a catch-up (10,000 more genomes attached to the grown tree, the rows
//! renumbered into it) and a snapshot round trip. Only metadata columns are indexed: the sequences' cost is `bench query`'s.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Args;
use rand::seq::index::sample;
use rand::{Rng, SeedableRng};
use virion_collections::{HubTree, Place};
use virion_index::{ColumnType, Index, RoaringBitmap, RowInput, Schema, Value, snapshot};
use virion_ingest::hub::Placement;
use virion_query::execute::{Budget, Part, most_recent_common_ancestor, phylo_subtree};
use virion_query::{LapisRequest, QueryIndex};

/// Flags of `virion bench phylo`.
#[derive(Debug, Args)]
pub struct BenchPhyloArgs {
    /// Nextclade dataset whose reference tree the genomes are attached to.
    #[arg(long)]
    pub dataset: PathBuf,
    /// Synthetic genomes attached to the tree.
    #[arg(long, default_value_t = 1_000_000)]
    pub genomes: usize,
    /// Genomes per MRCA and subtree question.
    #[arg(long, default_value_t = 10_000)]
    pub selection: usize,
    /// Seed of the synthetic genomes and the random selections (the same seed draws the same).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Timed runs of each question (after one warm-up run).
    #[arg(long, default_value_t = 20)]
    pub runs: usize,
    /// Leave out the snapshot round trip (writing and reading the index with its tree).
    #[arg(long)]
    pub no_snapshot: bool,
}

fn vm_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` once to warm up, then `runs` times; (p50, p95, max) in ms and the last answer.
fn timed<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<((f64, f64, f64), T)> {
    let mut last = f()?;
    let mut times = Vec::with_capacity(runs.max(1));
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = f()?;
        times.push(ms(t.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok(((at(0.5), at(0.95), times[times.len() - 1]), last))
}

const COUNTRIES: usize = 40;

/// `virion bench phylo`: builds the tree, times the questions and prints the figures.
pub fn bench_phylo(args: &BenchPhyloArgs) -> Result<()> {
    let started = Instant::now();
    let ds = virion_analyze::Dataset::load(&args.dataset)
        .with_context(|| format!("loading the dataset {}", args.dataset.display()))?;
    let reference = ds.tree.as_ref().context("the dataset has no reference tree")?;
    let hub = HubTree::new(reference);
    let ref_nodes = hub.reference().node_count();
    let mut generator = virion_synth::Generator::new(&ds, args.seed)?;
    let n = args.genomes;
    let mut rng = rand::rngs::StdRng::seed_from_u64(args.seed ^ 0x9e37_79b9);

    // Where each genome sits (as processing would have placed it), in draw order; rows in
    // node (pre-order) order, as a hub's rows follow their lineages.
    let drawn: Vec<u32> = (0..n).map(|_| generator.pick_node() as u32).collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.sort_by_key(|&i| drawn[i as usize]);
    let places: Vec<Place> = (0..ref_nodes)
        .map(|node| {
            let name = hub.reference().name(virion_phylo_node(node)).unwrap_or_default().to_owned();
            hub.place(&Placement { nearest_node: name, divergence: None }).expect("a node of the tree")
        })
        .collect();
    let name_of = |i: u32| format!("SYN{:08}.1", i + 1);

    let schema = Schema {
        metadata: vec![
            ("accessionVersion".into(), ColumnType::String { indexed: false }),
            ("country".into(), ColumnType::String { indexed: true }),
        ],
        segments: vec![],
        genes: vec![],
    };
    let mut index = Index::new(&schema)?;
    for chunk in order.chunks(65_536) {
        let rows = chunk
            .iter()
            .map(|&i| {
                index.prepare(RowInput {
                    metadata: vec![
                        Value::String(name_of(i)),
                        Value::String(format!("country{}", rng.random_range(0..COUNTRIES))),
                    ],
                    ..RowInput::default()
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        index.append(rows)?;
    }
    let generated = started.elapsed();
    let rss_index = vm_kib("VmRSS:");

    // The hub's build: every genome attached under its node, named by its accession version.
    let t = Instant::now();
    let av = 0;
    let tree = {
        let names = &index.columns[av];
        let leaves = (0..index.rows()).map(|row| {
            let name = names.str(row).expect("every row has an accession version");
            (name, places[drawn[order[row as usize] as usize] as usize])
        });
        Arc::new(hub.attach(hub.reference(), leaves, n).tree)
    };
    let attach = t.elapsed();
    let rss_tree = vm_kib("VmRSS:");
    let t = Instant::now();
    index.set_phylo_tree(av, tree.clone())?;
    let place = t.elapsed();
    let rss_placed = vm_kib("VmRSS:");
    let mapping = index.phylo().map_or(0, |p| p.heap_bytes());
    let q = QueryIndex { index, lineage: None };

    // Questions over 10,000 genomes.
    let selection = args.selection.min(n);
    let random: RoaringBitmap = sample(&mut rng, n, selection).into_iter().map(|r| r as u32).collect();
    let all = q.index.all();
    let budget = Budget::default();
    let tree_req = |extra: &[(&str, &str)]| -> Result<LapisRequest> {
        let mut pairs = vec![("phyloTreeField".to_owned(), vec![Some("accessionVersion".to_owned())])];
        pairs.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), vec![Some((*v).to_owned())])));
        Ok(LapisRequest::from_pairs(pairs)?)
    };
    let plain = tree_req(&[])?;
    let random_parts = [Part { index: &q, visible: &random }];
    let (mrca_random, answer) =
        timed(args.runs, || Ok(most_recent_common_ancestor(&random_parts, &plain, &budget)?))?;
    let (subtree_random, newick) =
        timed(args.runs.min(5), || Ok(phylo_subtree(&random_parts, &plain, &budget)?))?;
    // The node with closest to `selection` genomes below it.
    let phylo = q.index.phylo().expect("placed");
    let node = (0..ref_nodes)
        .filter_map(|v| tree.node(hub.reference().name(virion_phylo_node(v))?))
        .min_by_key(|&v| phylo.descendant_count(v).abs_diff(selection as u64))
        .expect("a node");
    let node_name = tree.name(node).unwrap_or_default().to_owned();
    let below = phylo.descendant_count(node);
    let filtered = tree_req(&[("accessionVersion.phyloDescendantOf", &node_name)])?;
    let all_parts = [Part { index: &q, visible: &all }];
    let (mrca_filtered, filtered_answer) =
        timed(args.runs, || Ok(most_recent_common_ancestor(&all_parts, &filtered, &budget)?))?;
    let count_req = LapisRequest::from_pairs(vec![(
        "accessionVersion.phyloDescendantOf".to_owned(),
        vec![Some(node_name.clone())],
    )])?;
    let (descendants, selected) = timed(args.runs, || Ok(q.select(&count_req, &all)?.len()))?;
    let root_name = tree.name(tree.root()).unwrap_or_default().to_owned();
    let root_req = LapisRequest::from_pairs(vec![(
        "accessionVersion.phyloDescendantOf".to_owned(),
        vec![Some(root_name)],
    )])?;
    let (root_descendants, under_root) = timed(args.runs.min(5), || Ok(q.select(&root_req, &all)?.len()))?;
    let country_req = tree_req(&[("country", "country7")])?;
    let (mrca_country, country_answer) =
        timed(args.runs.min(5), || Ok(most_recent_common_ancestor(&all_parts, &country_req, &budget)?))?;

    // A catch-up: 10,000 more genomes attached to the grown tree, every row placed again.
    let more: Vec<(String, Place)> =
        (0..selection).map(|i| (name_of((n + i) as u32), places[generator.pick_node()])).collect();
    let t = Instant::now();
    let grown = hub.attach(&tree, more.iter().map(|(name, p)| (name.as_str(), *p)), more.len());
    let catch_up_attach = t.elapsed();
    let t = Instant::now();
    let replaced = q.index.place_in_grown_tree(av, Arc::new(grown.tree), &grown.new_of_old)?;
    let catch_up_place = t.elapsed();
    drop(replaced);

    // A snapshot round trip (what a restart reads).
    let snapshot_times = if args.no_snapshot {
        None
    } else {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("phylo.vix");
        let t = Instant::now();
        snapshot::write(&path, &q.index, b"{}")?;
        let write = t.elapsed();
        let size = std::fs::metadata(&path)?.len();
        let t = Instant::now();
        let (back, _) = snapshot::read(&path)?;
        let read = t.elapsed();
        anyhow::ensure!(back.phylo().is_some_and(|p| p.tree().node_count() == tree.node_count()));
        Some((write, read, size))
    };

    println!("## `virion bench phylo`: {n} genomes on {} ({ref_nodes} reference nodes)\n", ds.name());
    println!("| step | result |");
    println!("|---|---|");
    println!("| genomes drawn and indexed (metadata only) | {:.1} s |", generated.as_secs_f64());
    println!(
        "| tree built (reference + {n} leaves, `HubTree::attach`) | {:.2} s, {} nodes |",
        attach.as_secs_f64(),
        tree.node_count()
    );
    println!("| rows placed in the tree (`Index::set_phylo_tree`) | {:.2} s |", place.as_secs_f64());
    println!(
        "| RSS of the tree | {:.0} MiB ({:.0} B a node) |",
        mib(rss_tree.saturating_sub(rss_index)),
        (rss_tree.saturating_sub(rss_index) * 1024) as f64 / tree.node_count() as f64
    );
    println!(
        "| RSS of the row ↔ node mapping | {:.0} MiB (heap {:.0} MiB) |",
        mib(rss_placed.saturating_sub(rss_tree)),
        mapping as f64 / (1 << 20) as f64
    );
    println!(
        "| RSS in all (index + tree + mapping) / peak | {:.0} MiB / {:.0} MiB |",
        mib(rss_placed),
        mib(vm_kib("VmHWM:"))
    );
    let row = |what: &str, (p50, p95, max): (f64, f64, f64), out: String| {
        println!("| {what} | p50 {p50:.2} ms, p95 {p95:.2} ms, max {max:.2} ms → {out} |")
    };
    row(
        &format!("mostRecentCommonAncestor of {selection} random genomes"),
        mrca_random,
        format!("{:?}, missing {}", answer.mrca_node.unwrap_or_default(), answer.missing_node_count),
    );
    row(
        &format!("mostRecentCommonAncestor, filter phyloDescendantOf={node_name} ({below} genomes)"),
        mrca_filtered,
        format!("{:?}", filtered_answer.mrca_node.unwrap_or_default()),
    );
    row(
        &format!("mostRecentCommonAncestor, filter country ({} genomes)", n / COUNTRIES),
        mrca_country,
        format!("{:?}", country_answer.mrca_node.unwrap_or_default()),
    );
    row(
        &format!("phyloSubtree of {selection} random genomes"),
        subtree_random,
        format!("{} bytes of Newick", newick.newick.len()),
    );
    row(&format!("phyloDescendantOf={node_name} alone"), descendants, format!("{selected} rows"));
    row("phyloDescendantOf=<root> alone", root_descendants, format!("{under_root} rows"));
    println!(
        "| catch-up: {} genomes attached to the grown tree + the rows placed in it (renumbered) | {:.2} s + {:.2} s |",
        more.len(),
        catch_up_attach.as_secs_f64(),
        catch_up_place.as_secs_f64()
    );
    if let Some((write, read, size)) = snapshot_times {
        println!(
            "| snapshot with the tree: write / read | {:.2} s / {:.2} s ({:.0} MiB) |",
            write.as_secs_f64(),
            read.as_secs_f64(),
            size as f64 / (1 << 20) as f64
        );
    }
    Ok(())
}

/// Node `i` of a tree (its pre-order index).
fn virion_phylo_node(i: impl TryInto<u32>) -> virion_phylo::NodeId {
    virion_phylo::NodeId::new(i.try_into().ok().expect("a tree has fewer than 2^32 nodes"))
}
