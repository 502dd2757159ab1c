//! Random records written in both layouts, every way SILO allows (offsets, sequenceCompressed,
//! lower case, U for T, escapes, unaligned sequences of any letters), read back equal; and the parallel reader agrees with the
//! plain one-line-at-a-time parser on the same input.

mod common;

use base64::Engine as _;
use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Map, Value as Json, json};
use virion_import::{
    ImportRecord, ImportSchema, Importer, Insertion, MetadataKind, ReadOptions, UnknownKeys, Value,
};

const NUC: &[u8] = b"ACGTRYSWKMBDHVN-";
const AA: &[u8] = b"ACDEFGHIKLMNPQRSTVWYOUBJZ*X-";
/// Unaligned sequences are any string to SILO; these letters need JSON escapes or are none.
const UNALIGNED: &[u8] = b"ACGTRYSWKMBDHVN-.*?X\"\\ \t";

/// How one sequence is written: cut to an offset range, compressed, lower-cased, U for T.
#[derive(Debug, Clone, Copy)]
struct Spelling {
    offset: bool,
    compressed: bool,
    lower: bool,
    u_for_t: bool,
}

fn spelling() -> impl Strategy<Value = Spelling> {
    (any::<bool>(), prop::bool::weighted(0.3), prop::bool::weighted(0.2), prop::bool::weighted(0.2))
        .prop_map(|(offset, compressed, lower, u_for_t)| Spelling { offset, compressed, lower, u_for_t })
}

fn letters(alphabet: &'static [u8], len: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(alphabet), len)
}

/// An aligned sequence: often with unknown ends, so that offsets have something to cut.
fn aligned(alphabet: &'static [u8], unknown: u8, len: usize) -> impl Strategy<Value = Option<Vec<u8>>> {
    prop::option::weighted(0.8, (letters(alphabet, len), 0..len, 0..len)).prop_map(move |seq| {
        seq.map(|(mut s, a, b)| {
            s[..a / 2].fill(unknown);
            let n = s.len();
            s[n - b / 2..].fill(unknown);
            s
        })
    })
}

fn insertions(alphabet: &'static [u8], reference_len: u32) -> impl Strategy<Value = Vec<Insertion>> {
    let one = (0..=reference_len, prop::collection::vec(prop::sample::select(alphabet), 1..5))
        .prop_map(|(position, s)| Insertion { position, symbols: String::from_utf8(s).unwrap() });
    prop::collection::vec(one, 0..3)
}

fn metadata_value(kind: MetadataKind) -> BoxedStrategy<Value> {
    let value = match kind {
        MetadataKind::String => "\\PC{0,12}".prop_map(Value::String).boxed(),
        MetadataKind::Int32 => any::<i32>().prop_map(|i| Value::Int(i.into())).boxed(),
        MetadataKind::Int64 => any::<i64>().prop_map(Value::Int).boxed(),
        MetadataKind::Float => (-1e12f64..1e12).prop_map(Value::Float).boxed(),
        MetadataKind::Date => (0i64..40_000)
            .prop_map(|d| {
                Value::Date(NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() + chrono::Days::new(d as u64))
            })
            .boxed(),
        MetadataKind::Boolean => any::<bool>().prop_map(Value::Boolean).boxed(),
    };
    prop::option::weighted(0.8, value).prop_map(|v| v.unwrap_or(Value::Null)).boxed()
}

fn record(schema: &ImportSchema) -> impl Strategy<Value = (ImportRecord, Vec<Spelling>)> {
    let main_len = schema.segments[0].1.len();
    let (s_len, e_len) = (schema.genes[0].1.len(), schema.genes[1].1.len());
    let metadata: Vec<_> = schema.metadata.iter().map(|f| metadata_value(f.kind)).collect();
    (
        metadata,
        aligned(NUC, b'N', main_len),
        prop::option::weighted(0.7, letters(UNALIGNED, 40)),
        aligned(AA, b'X', s_len),
        aligned(AA, b'X', e_len),
        insertions(&NUC[..15], main_len as u32),
        insertions(&AA[..27], s_len as u32),
        insertions(&AA[..27], e_len as u32),
        prop::collection::vec(spelling(), 3),
    )
        .prop_map(|(metadata, main, unaligned, s, e, main_ins, s_ins, e_ins, spellings)| {
            // Insertions of an absent sequence are dropped on reading, so none are written.
            let keep =
                |seq: &Option<Vec<u8>>, ins: Vec<Insertion>| if seq.is_some() { ins } else { Vec::new() };
            let record = ImportRecord {
                line: 0,
                metadata,
                nucleotide_insertions: vec![keep(&main, main_ins)],
                amino_acid_insertions: vec![keep(&s, s_ins), keep(&e, e_ins)],
                aligned_nucleotides: vec![main],
                unaligned_nucleotides: vec![unaligned.filter(|u| !u.is_empty())],
                aligned_amino_acids: vec![s, e],
            };
            (record, spellings)
        })
}

fn json_value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::String(s) => json!(s),
        Value::Date(d) => json!(d.format("%Y-%m-%d").to_string()),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Boolean(b) => json!(b),
    }
}

fn spell(text: &[u8], how: Spelling, nucleotide: bool) -> String {
    let mut s = String::from_utf8(text.to_vec()).unwrap();
    if how.u_for_t && nucleotide {
        s = s.replace('T', "U");
    }
    if how.lower {
        s = s.to_lowercase();
    }
    s
}

/// SILO's `{sequence | sequenceCompressed, insertions, offset}` for one column.
fn silo_sequence(
    seq: &Option<Vec<u8>>,
    ins: &[Insertion],
    reference: &[u8],
    unknown: u8,
    how: Spelling,
) -> Json {
    let Some(seq) = seq else { return Json::Null };
    let (mut start, mut end) = (0, seq.len());
    if how.offset {
        start = seq.iter().take_while(|&&b| b == unknown).count().min(seq.len() - 1);
        end = (seq.len() - seq.iter().rev().take_while(|&&b| b == unknown).count()).max(start + 1);
    }
    let text = spell(&seq[start..end], how, unknown == b'N');
    let mut obj = Map::new();
    if how.compressed {
        let mut c = zstd::bulk::Compressor::with_dictionary(3, reference).unwrap();
        let packed = c.compress(text.as_bytes()).unwrap();
        obj.insert(
            "sequenceCompressed".into(),
            json!(base64::engine::general_purpose::STANDARD.encode(packed)),
        );
    } else {
        obj.insert("sequence".into(), json!(text));
    }
    obj.insert(
        "insertions".into(),
        json!(ins.iter().map(|i| format!("{}:{}", i.position, i.symbols.to_lowercase())).collect::<Vec<_>>()),
    );
    if how.offset {
        obj.insert("offset".into(), json!(start));
    }
    Json::Object(obj)
}

fn silo_line(schema: &ImportSchema, r: &ImportRecord, how: &[Spelling]) -> String {
    let mut line = Map::new();
    for (f, v) in schema.metadata.iter().zip(&r.metadata) {
        line.insert(f.name.clone(), json_value(v));
    }
    line.insert(
        "main".into(),
        silo_sequence(
            &r.aligned_nucleotides[0],
            &r.nucleotide_insertions[0],
            &schema.segments[0].1,
            b'N',
            how[0],
        ),
    );
    if let Some(u) = &r.unaligned_nucleotides[0] {
        line.insert("unaligned_main".into(), json!(spell(u, how[0], true)));
    } else if how[0].offset {
        line.insert("unaligned_main".into(), Json::Null); // sometimes null, sometimes left out
    }
    for (g, (name, reference)) in schema.genes.iter().enumerate() {
        let value = silo_sequence(
            &r.aligned_amino_acids[g],
            &r.amino_acid_insertions[g],
            reference,
            b'X',
            how[g + 1],
        );
        line.insert(name.clone(), value);
    }
    Json::Object(line).to_string()
}

fn loculus_line(schema: &ImportSchema, r: &ImportRecord, how: &[Spelling]) -> String {
    let metadata: Map<String, Json> =
        schema.metadata.iter().zip(&r.metadata).map(|(f, v)| (f.name.clone(), json_value(v))).collect();
    let text = |s: &Option<Vec<u8>>, how: Spelling, nuc: bool| {
        s.as_ref().map_or(Json::Null, |s| json!(spell(s, how, nuc)))
    };
    let ins = |list: &[Insertion]| json!(list.iter().map(Insertion::to_string).collect::<Vec<_>>());
    let genes = |f: &dyn Fn(usize) -> Json| -> Map<String, Json> {
        schema.genes.iter().enumerate().map(|(g, (name, _))| (name.clone(), f(g))).collect()
    };
    json!({
        "metadata": metadata,
        "unalignedNucleotideSequences": {"main": text(&r.unaligned_nucleotides[0], how[0], true)},
        "alignedNucleotideSequences": {"main": text(&r.aligned_nucleotides[0], how[0], true)},
        "nucleotideInsertions": {"main": ins(&r.nucleotide_insertions[0])},
        "alignedAminoAcidSequences": genes(&|g| text(&r.aligned_amino_acids[g], how[g + 1], false)),
        "aminoAcidInsertions": genes(&|g| ins(&r.amino_acid_insertions[g])),
    })
    .to_string()
}

fn check(importer: &Importer, lines: &[String], expected: &[ImportRecord]) -> Result<(), TestCaseError> {
    let input = lines.join("\n").into_bytes();
    let parallel = importer.read(std::io::Cursor::new(input), "random.ndjson").unwrap();
    let parallel: Vec<ImportRecord> =
        parallel.collect::<Result<_, _>>().map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(&parallel, expected);
    // The oracle: the same lines, one at a time on this thread.
    let mut unknown = UnknownKeys::default();
    let plain: Vec<ImportRecord> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| importer.parse_line(l, i as u64 + 1, &mut unknown).unwrap())
        .collect();
    prop_assert_eq!(&plain, expected);
    prop_assert!(unknown.0.is_empty());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn records_round_trip_through_both_layouts(batch in prop::collection::vec(record(&common::schema()), 1..25)) {
        let schema = common::schema();
        let options = ReadOptions { skip_invalid: false, threads: 2, batch_bytes: 700, batches_in_flight: 2 };
        let mut expected = Vec::new();
        let (mut silo, mut loculus) = (Vec::new(), Vec::new());
        for (i, (mut r, how)) in batch.into_iter().enumerate() {
            r.line = i as u64 + 1;
            r.metadata[0] = Value::String(format!("id{i}")); // primary keys must be unique
            silo.push(silo_line(&schema, &r, &how));
            loculus.push(loculus_line(&schema, &r, &how));
            // Unaligned sequences are kept as written, spelling and all.
            r.unaligned_nucleotides[0] = r.unaligned_nucleotides[0].take().map(|u| spell(&u, how[0], true).into_bytes());
            expected.push(r);
        }
        check(&Importer::silo(schema.clone()).with_options(options.clone()), &silo, &expected)?;
        check(&Importer::loculus(schema).with_options(options), &loculus, &expected)?;
    }
}
