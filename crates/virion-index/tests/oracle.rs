//! The index against a naive scan over the same rows: random data (with lineage-like shared
//! mutations, so blocks flip majorities, N runs, ambiguity codes and insertions) and random
//! filters must give identical row sets, mutation counts with coverage must agree position by
//! position, and every row must read back letter for letter — for an index grown row by row,
//! one built sorted by the bulk builder (with spilled runs), and one read back from a snapshot.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use virion_index::*;

const REFERENCE: &[u8] = b"ACGTACGTTGCAACGTTTGACCAGTACGGA";
const GENE: &[u8] = b"MFVFLVLLPL*";
const COUNTRIES: [&str; 4] = ["CH", "DE", "FR", "UK"];

#[derive(Debug, Clone)]
struct Row {
    country: Option<String>,
    day: Option<i32>,
    nuc: Option<Vec<u8>>,
    aa: Option<Vec<u8>>,
    ins: Vec<Insertion>,
}

fn schema() -> Schema {
    Schema {
        metadata: vec![
            ("country".into(), ColumnType::String { indexed: true }),
            ("date".into(), ColumnType::Date),
        ],
        segments: vec![("main".into(), REFERENCE.to_vec())],
        genes: vec![("S".into(), GENE.to_vec())],
    }
}

/// A genome: a lineage's mutations (shared by many rows), a few private ones, sometimes an N
/// run, ragged ends or an ambiguity code; sometimes no sequence at all.
fn random_row(rng: &mut StdRng) -> Row {
    let nuc = if rng.random_bool(0.03) {
        None
    } else {
        let mut s = REFERENCE.to_vec();
        if rng.random_bool(0.7) {
            for &(p, b) in &[(3usize, b'C'), (10, b'T'), (17, b'-')] {
                s[p] = b;
            }
        }
        for _ in 0..rng.random_range(0..3) {
            let p = rng.random_range(0..s.len());
            s[p] = b"ACGT-RYN"[rng.random_range(0..8)];
        }
        if rng.random_bool(0.1) {
            let start = rng.random_range(0..s.len());
            let end = (start + rng.random_range(1..12)).min(s.len());
            s[start..end].fill(b'N');
        }
        if rng.random_bool(0.3) {
            let head = rng.random_range(1..5);
            s[..head].fill(b'N');
            let len = s.len();
            s[len - rng.random_range(1..4)..].fill(b'N');
        }
        Some(s)
    };
    let aa = nuc.as_ref().map(|_| {
        let mut s = GENE.to_vec();
        if rng.random_bool(0.6) {
            s[4] = b'K';
        }
        if rng.random_bool(0.1) {
            let at = rng.random_range(0..s.len());
            s[at] = b'X';
        }
        s
    });
    let mut ins = Vec::new();
    if rng.random_bool(0.05) {
        ins.push(Insertion { position: 5, symbols: ["TA", "GTAC", "A"][rng.random_range(0..3)].into() });
    }
    Row {
        country: rng.random_bool(0.95).then(|| COUNTRIES[rng.random_range(0..4)].to_owned()),
        day: rng.random_bool(0.9).then(|| 18_000 + rng.random_range(0..100)),
        nuc,
        aa,
        ins,
    }
}

fn input(r: &Row) -> RowInput {
    RowInput {
        metadata: vec![
            r.country.clone().map_or(Value::Null, Value::String),
            r.day.map_or(Value::Null, |d| Value::Date(date_of(d))),
        ],
        segments: vec![r.nuc.clone().into()],
        genes: vec![r.aa.clone().into()],
        nucleotide_insertions: vec![r.ins.clone()],
        amino_acid_insertions: vec![],
    }
}

/// Row by row, in batches of uneven sizes (each batch rebuilds the partial last block).
fn build(rows: &[Row]) -> Index {
    let mut index = Index::new(&schema()).unwrap();
    let mut at = 0;
    let mut size = 1;
    while at < rows.len() {
        let end = (at + size).min(rows.len());
        let batch = rows[at..end].iter().map(|r| index.prepare(input(r)).unwrap()).collect();
        index.append(batch).unwrap();
        at = end;
        size = size * 3 + 1;
    }
    index
}

/// The bulk builder, ordered by (country, date) with a tiny memory budget so that runs spill;
/// returns the index and the rows in index order.
fn build_sorted(rows: &[Row]) -> (Index, Vec<Row>) {
    let key: SortKey = Box::new(|values: &[Value]| {
        let mut k = match &values[0] {
            Value::String(s) => s.as_bytes().to_vec(),
            _ => vec![0xff],
        };
        k.push(0);
        if let Value::Date(d) = &values[1] {
            k.extend_from_slice(&(day_number(*d) as u32 ^ 0x8000_0000).to_be_bytes());
        }
        k
    });
    let dir = tempfile::tempdir().unwrap();
    let mut b = IndexBuilder::new(&schema(), Some(key), 1, dir.path()).unwrap();
    for chunk in rows.chunks(5000) {
        b.add_batch(chunk.iter().map(input).collect()).unwrap();
    }
    let (index, arrival) = b.finish_with_order(&|_| {}).unwrap();
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| {
        (rows[i].country.clone().unwrap_or_else(|| "\u{10ffff}".into()), rows[i].day.is_some(), rows[i].day)
    });
    assert_eq!(arrival.iter().map(|&a| a as usize).collect::<Vec<_>>(), order, "each row's arrival position");
    let sorted: Vec<Row> = order.into_iter().map(|i| rows[i].clone()).collect();
    (index, sorted)
}

fn letter(row: &Row, gene: bool, pos: u32) -> u8 {
    let (seq, missing) = if gene { (&row.aa, b'X') } else { (&row.nuc, b'N') };
    seq.as_ref().map_or(missing, |s| s[pos as usize])
}

fn nuc_site(position: usize) -> Site {
    Site::Nuc { segment: 0, position: position.into() }
}

fn aa_site(position: usize) -> Site {
    Site::Aa { gene: 0, position: position.into() }
}

fn may_be(gene: bool, symbol: u8, definite: u8) -> bool {
    let alphabet = if gene { Alphabet::AminoAcid } else { Alphabet::Nucleotide };
    alphabet.may_be(symbol, definite)
}

/// The naive answer: one row at a time.
fn matches(row: &Row, filter: &Filter) -> bool {
    match filter {
        Filter::True => true,
        Filter::StringIn { values, .. } => values.contains(&row.country),
        Filter::StringCodes { .. } | Filter::Boolean { .. } => unreachable!("not generated"),
        Filter::IsNull { column, null } => {
            (if *column == 0 { row.country.is_none() } else { row.day.is_none() }) == *null
        }
        Filter::Range { from, to, .. } => row
            .day
            .is_some_and(|d| from.is_none_or(|f| f64::from(d) >= f) && to.is_none_or(|t| f64::from(d) <= t)),
        Filter::Letter(l) => {
            let (gene, _, position) = l.site().column();
            letter(row, gene, position) == l.byte()
        }
        Filter::Mutated(site) => {
            let (gene, _, position) = site.column();
            let reference = if gene { GENE } else { REFERENCE };
            let l = letter(row, gene, position);
            // Not a letter that may be the reference's (SILO's hasMutation), nor the missing one.
            !may_be(gene, l, reference[position as usize]) && l != if gene { b'X' } else { b'N' }
        }
        Filter::MaybeLetter(l) => {
            let (gene, _, position) = l.site().column();
            may_be(gene, letter(row, gene, position), l.byte())
        }
        Filter::Insertion { position, pattern, .. } => {
            let p = InsertionPattern::new(*position, pattern);
            row.ins.iter().any(|i| i.position == *position && p.matches(&i.symbols))
        }
        Filter::And(c) => c.iter().all(|f| matches(row, f)),
        Filter::Or(c) => c.iter().any(|f| matches(row, f)),
        Filter::Not(f) => !matches(row, f),
        Filter::NOf { n, exactly, children } => {
            let k = children.iter().filter(|f| matches(row, f)).count();
            if *exactly { k == *n } else { k >= *n }
        }
        // These rows name no tree (tests/phylo.rs checks trees).
        Filter::PhyloDescendantOf { .. } => false,
    }
}

fn leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        prop::collection::vec(prop::option::of(prop::sample::select(COUNTRIES.to_vec())), 1..3).prop_map(
            |v| {
                Filter::StringIn { column: 0, values: v.into_iter().map(|o| o.map(str::to_owned)).collect() }
            }
        ),
        (any::<bool>(), 0usize..2).prop_map(|(null, column)| Filter::IsNull { column, null }),
        (prop::option::of(18_000..18_100i32), prop::option::of(18_000..18_100i32))
            .prop_map(|(a, b)| Filter::Range { column: 1, from: a.map(f64::from), to: b.map(f64::from) }),
        (0..REFERENCE.len(), prop::sample::select(b"ACGT-NRY".to_vec()))
            .prop_map(|(position, symbol)| Filter::Letter(nuc_site(position).with_letter(symbol).unwrap())),
        (0..REFERENCE.len()).prop_map(|position| Filter::Mutated(nuc_site(position))),
        (0..REFERENCE.len(), prop::sample::select(b"ACGT-".to_vec())).prop_map(|(position, symbol)| {
            Filter::MaybeLetter(nuc_site(position).with_letter(symbol).unwrap())
        }),
        (0..GENE.len(), prop::sample::select(b"MFKLX*".to_vec()))
            .prop_map(|(position, symbol)| Filter::Letter(aa_site(position).with_letter(symbol).unwrap())),
        (0..GENE.len()).prop_map(|position| Filter::Mutated(aa_site(position))),
        (4u32..7, prop::sample::select(vec!["TA", "?", "?TA?", "G?", "A"])).prop_map(|(position, p)| {
            Filter::Insertion { gene: false, sequence: 0, position, pattern: p.to_owned() }
        }),
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 1..4).prop_map(Filter::Or),
            inner.clone().prop_map(|f| Filter::Not(Box::new(f))),
            (0usize..4, any::<bool>(), prop::collection::vec(inner, 0..4))
                .prop_map(|(n, exactly, children)| Filter::NOf { n, exactly, children }),
        ]
    })
}

fn expected(rows: &[Row], filter: &Filter) -> RoaringBitmap {
    rows.iter().enumerate().filter(|(_, r)| matches(r, filter)).map(|(i, _)| i as u32).collect()
}

/// Mutation counts and coverage by scanning.
fn naive_counts(rows: &[Row], among: &RoaringBitmap, gene: bool) -> Vec<SymbolCount> {
    let (reference, alphabet) =
        if gene { (GENE, Alphabet::AminoAcid) } else { (REFERENCE, Alphabet::Nucleotide) };
    let mut counts: BTreeMap<(u32, u8), u64> = BTreeMap::new();
    let mut coverage = vec![0u64; reference.len()];
    for r in among.iter() {
        for pos in 0..reference.len() as u32 {
            let l = letter(&rows[r as usize], gene, pos);
            if alphabet.is_definite(l) {
                coverage[pos as usize] += 1;
            }
            if l != alphabet.missing() && l != reference[pos as usize] {
                *counts.entry((pos, l)).or_default() += 1;
            }
        }
    }
    counts
        .into_iter()
        .map(|((position, symbol), count)| SymbolCount {
            position,
            symbol,
            count,
            coverage: coverage[position as usize],
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn filters_agree_with_a_scan(seed in any::<u64>(), n in 0usize..300, filters in prop::collection::vec(filter(), 1..8)) {
        let mut rng = StdRng::seed_from_u64(seed);
        let rows: Vec<Row> = (0..n).map(|_| random_row(&mut rng)).collect();
        let index = build(&rows);
        for f in &filters {
            prop_assert_eq!(index.evaluate(f), expected(&rows, f), "{:?}", f);
            let some: RoaringBitmap = (0..n as u32).step_by(3).collect();
            prop_assert_eq!(index.refine(f, &some), expected(&rows, f) & &some, "refine {:?}", f);
        }
        let among = index.evaluate(&filters[0]);
        prop_assert_eq!(index.segments[0].symbol_counts(&among), naive_counts(&rows, &among, false));
        prop_assert_eq!(index.genes[0].symbol_counts(&among), naive_counts(&rows, &among, true));
    }
}

/// Letters of every `step`-th row read back from the index, `filters` random filters
/// evaluated, and counts over several selections (whole, most, some, few of each block), all
/// against the scan.
fn agrees_with_scan(index: &Index, rows: &[Row], step: usize, filters: usize) {
    assert_eq!(index.rows() as usize, rows.len());
    let mut dense = Vec::new();
    for r in (0..rows.len() as u32).step_by(step) {
        index.segments[0].aligned(r, &mut dense);
        assert_eq!(
            dense,
            rows[r as usize].nuc.clone().unwrap_or_else(|| vec![b'N'; REFERENCE.len()]),
            "row {r}"
        );
        for pos in 0..REFERENCE.len() as u32 {
            assert_eq!(
                index.segments[0].symbol(r, pos),
                letter(&rows[r as usize], false, pos),
                "row {r} pos {pos}"
            );
        }
        assert_eq!(index.nucleotide_insertions[0].of_row(r), rows[r as usize].ins, "row {r}");
    }
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for _ in 0..filters {
        let f = filter().new_tree(&mut runner).unwrap().current();
        assert_eq!(index.evaluate(&f), expected(rows, &f), "{f:?}");
    }
    let n = rows.len() as u32;
    let selections: Vec<RoaringBitmap> = vec![
        index.all(),
        (0..n).filter(|r| r % 10 != 3).collect(),
        (0..n).filter(|r| r % 3 == 0).collect(),
        (0..n).step_by(997).collect(),
        index.evaluate(&Filter::StringIn { column: 0, values: vec![Some("DE".into())] }),
    ];
    for among in &selections {
        // Twice: the second time whole blocks come from their caches.
        for _ in 0..2 {
            assert_eq!(index.segments[0].symbol_counts(among), naive_counts(rows, among, false));
            assert_eq!(index.genes[0].symbol_counts(among), naive_counts(rows, among, true));
        }
    }
    let counts = index.nucleotide_insertions[0].counts(&index.all());
    let total: u64 = counts.iter().map(|c| c.count).sum();
    assert_eq!(total, rows.iter().map(|r| r.ins.len() as u64).sum::<u64>());
}

/// More than two blocks: full blocks with flipped majorities, and a partial last block.
#[test]
fn several_blocks_with_flipped_majorities() {
    let mut rng = StdRng::seed_from_u64(7);
    let n = 2 * BLOCK_ROWS as usize + 1234;
    let rows: Vec<Row> = (0..n).map(|_| random_row(&mut rng)).collect();
    let index = build(&rows);
    assert_eq!(index.segments[0].sealed_blocks(), 2);
    agrees_with_scan(&index, &rows, 97, 40);
    // The lineage mutation carried by ~70% of rows became the majority: its exceptions list
    // the other ~30%, not the 70%.
    let listed = index.segments[0].exception_count(3) as f64;
    assert!(listed < 0.4 * n as f64, "{listed} rows listed at a majority position");
}

/// The bulk builder (sorted, spilling to disk) gives the same answers on its own row order,
/// and appending to it afterwards keeps them right.
#[test]
fn bulk_build_sorted_with_spilled_runs_then_appends() {
    let mut rng = StdRng::seed_from_u64(13);
    let n = BLOCK_ROWS as usize + 20_000;
    let rows: Vec<Row> = (0..n).map(|_| random_row(&mut rng)).collect();
    let (mut index, mut sorted) = build_sorted(&rows);
    agrees_with_scan(&index, &sorted, 89, 30);
    // Sorted by country then date: the date column is one run per country.
    let date_runs = index.columns[1].runs_count();
    assert!(date_runs <= 5, "{date_runs} runs");
    let more: Vec<Row> = (0..50_000).map(|_| random_row(&mut rng)).collect();
    let batch = more.iter().map(|r| index.prepare(input(r)).unwrap()).collect();
    index.append(batch).unwrap();
    sorted.extend(more);
    agrees_with_scan(&index, &sorted, 211, 20);
}

/// A snapshot written by format version 1 (committed under tests/data, made from the same
/// seeded rows) still loads and answers right: a format change must either keep reading it or
/// bump the version. `VIRION_BLESS_SNAPSHOT=1` rewrites the fixture after a deliberate bump.
#[test]
fn format_v1_snapshot_still_loads() {
    let mut rng = StdRng::seed_from_u64(23);
    let rows: Vec<Row> = (0..BLOCK_ROWS as usize + 300).map(|_| random_row(&mut rng)).collect();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/format-v1.vix.zst");
    if std::env::var_os("VIRION_BLESS_SNAPSHOT").is_some() {
        let dir = tempfile::tempdir().unwrap();
        let raw = dir.path().join("index.vix");
        snapshot::write(&raw, &build(&rows), b"fixture v1").unwrap();
        let packed = zstd::encode_all(&std::fs::read(&raw).unwrap()[..], 19).unwrap();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, packed).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let raw = dir.path().join("index.vix");
    std::fs::write(&raw, zstd::decode_all(&std::fs::read(&path).unwrap()[..]).unwrap()).unwrap();
    let (index, state) = snapshot::read(&raw).unwrap();
    assert_eq!(state, b"fixture v1");
    agrees_with_scan(&index, &rows, 113, 20);
}

/// A snapshot reads back to an index with the same answers; damage is refused.
#[test]
fn snapshots_round_trip_and_refuse_damage() {
    let mut rng = StdRng::seed_from_u64(17);
    let rows: Vec<Row> = (0..BLOCK_ROWS as usize + 777).map(|_| random_row(&mut rng)).collect();
    let index = build(&rows);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index.vix");
    snapshot::write(&path, &index, b"state 42").unwrap();
    let (back, state) = snapshot::read(&path).unwrap();
    assert_eq!(state, b"state 42");
    agrees_with_scan(&back, &rows, 101, 20);
    // Appending to a loaded index decodes its partial last block first.
    let mut back = back;
    let more: Vec<Row> = (0..1000).map(|_| random_row(&mut rng)).collect();
    let batch = more.iter().map(|r| back.prepare(input(r)).unwrap()).collect();
    back.append(batch).unwrap();
    let all: Vec<Row> = rows.iter().chain(&more).cloned().collect();
    agrees_with_scan(&back, &all, 173, 10);

    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(snapshot::read(&path), Err(snapshot::SnapshotError::Damaged { .. })));
    bytes.truncate(middle);
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(snapshot::read(&path), Err(snapshot::SnapshotError::Damaged { .. })));
    std::fs::write(&path, b"VIRIONIX\x09\0\0\0\x04\x03\x02\x01 and more bytes").unwrap();
    assert!(matches!(snapshot::read(&path), Err(snapshot::SnapshotError::Version { found: 9, .. })));
    std::fs::write(&path, b"not a snapshot at all, just text").unwrap();
    assert!(matches!(snapshot::read(&path), Err(snapshot::SnapshotError::NotASnapshot { .. })));
}

#[test]
fn refused_rows_change_nothing() {
    let mut index = Index::new(&schema()).unwrap();
    let good = RowInput {
        metadata: vec![Value::String("CH".into()), Value::Null],
        segments: vec![SeqInput::Aligned(REFERENCE.to_vec())],
        genes: vec![SeqInput::Absent],
        ..RowInput::default()
    };
    index.push(good.clone()).unwrap();
    let mut short = good.clone();
    short.segments = vec![SeqInput::Aligned(b"ACGT".to_vec())];
    assert!(matches!(index.push(short), Err(IndexError::Sequence(SequenceError::Row { .. }))));
    let mut bad_letter = good.clone();
    let mut seq = REFERENCE.to_vec();
    seq[7] = b'E';
    bad_letter.segments = vec![SeqInput::Aligned(seq)];
    let err = index.push(bad_letter).unwrap_err().to_string();
    assert!(err.contains("main") && err.contains("position 7"), "{err}");
    let mut wrong_type = good.clone();
    wrong_type.metadata[1] = Value::String("yesterday".into());
    assert!(matches!(index.push(wrong_type), Err(IndexError::Value(_))));
    let mut missing_gene = good;
    missing_gene.genes.clear();
    assert!(matches!(index.push(missing_gene), Err(IndexError::Shape { what: "genes", .. })));
    assert_eq!(index.rows(), 1);
    assert_eq!(index.columns[0].len(), 1);
    assert_eq!(index.segments[0].rows(), 1);
}
