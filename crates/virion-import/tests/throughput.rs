//! Parse throughput on SARS-CoV-2-sized SILO and Loculus lines (a 29,903-nt segment, its
//! unaligned sequence and 12 genes, ~70 kB a line), printed, never asserted:
//!
//!     cargo test --release -p virion-import \
//!         --test throughput -- --nocapture
//!
//! "one thread" is `Importer::parse_line` on the calling thread: the per-core rate. "reader" is
//! the whole streaming reader (line cutting, batches, the rayon pool, ordered hand-out) with
//! 1 and with all parsing threads.

use std::time::Instant;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value as Json, json};
use virion_import::{ImportSchema, Importer, ReadOptions, UnknownKeys};

const GENES: [(&str, usize); 12] = [
    ("E", 76),
    ("M", 223),
    ("N", 420),
    ("ORF1a", 4406),
    ("ORF1b", 2696),
    ("ORF3a", 276),
    ("ORF6", 62),
    ("ORF7a", 122),
    ("ORF7b", 44),
    ("ORF8", 122),
    ("ORF9b", 98),
    ("S", 1274),
];

fn random_letters(rng: &mut StdRng, alphabet: &[u8], len: usize) -> Vec<u8> {
    (0..len).map(|_| alphabet[rng.random_range(0..alphabet.len())]).collect()
}

/// The reference with a few substitutions, a deletion and unsequenced ends.
fn mutated(rng: &mut StdRng, reference: &[u8], unknown: u8, letters: &[u8]) -> Vec<u8> {
    let mut s = reference.to_vec();
    for _ in 0..(reference.len() / 300).max(1) {
        let i = rng.random_range(0..s.len());
        s[i] = letters[rng.random_range(0..letters.len())];
    }
    let start = rng.random_range(0..s.len() / 10);
    s[..start / 4].fill(unknown);
    let n = s.len();
    s[n - start / 3..].fill(unknown);
    s
}

fn schema(rng: &mut StdRng) -> ImportSchema {
    let config = "schema:\n  instanceName: bench\n  primaryKey: accession\n  metadata:\n\
        \x20   - {name: accession, type: string}\n    - {name: date, type: date}\n\
        \x20   - {name: country, type: string, generateIndex: true}\n    - {name: division, type: string}\n\
        \x20   - {name: pangoLineage, type: string, generateIndex: true}\n    - {name: age, type: int}\n\
        \x20   - {name: coverage, type: float}\n    - {name: totalSnps, type: int}\n";
    let genes: Vec<Json> = GENES
        .iter()
        .map(|(name, len)| {
            let mut p = random_letters(rng, b"ACDEFGHIKLMNPQRSTVWY", *len);
            p[0] = b'M';
            p[len - 1] = b'*';
            json!({"name": name, "sequence": String::from_utf8(p).unwrap()})
        })
        .collect();
    let main = String::from_utf8(random_letters(rng, b"ACGT", 29_903)).unwrap();
    let refs = json!({"nucleotideSequences": [{"name": "main", "sequence": main}], "genes": genes});
    ImportSchema::from_silo_config(config, &refs.to_string()).unwrap()
}

/// `n` lines of each layout for the same genomes.
fn lines(schema: &ImportSchema, rng: &mut StdRng, n: usize) -> (Vec<String>, Vec<String>) {
    let (mut silo, mut loculus) = (Vec::new(), Vec::new());
    for i in 0..n {
        let text = |v: Vec<u8>| String::from_utf8(v).unwrap();
        let meta = json!({
            "accession": format!("OQ{i:07}.1"), "date": format!("2023-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            "country": "Switzerland", "division": "Zürich", "pangoLineage": "XBB.1.5.70", "age": 40 + (i % 30),
            "coverage": 0.9876, "totalSnps": 95
        });
        let main = text(mutated(rng, &schema.segments[0].1, b'N', b"ACGTN-"));
        let unaligned = main.replace('-', "").trim_matches('N').to_owned();
        let genes: Vec<(String, String)> = schema
            .genes
            .iter()
            .map(|(name, reference)| (name.clone(), text(mutated(rng, reference, b'X', b"ACDEFGHIKLX-"))))
            .collect();
        let mut flat: Map<String, Json> = meta.as_object().unwrap().clone();
        flat.insert("main".into(), json!({"sequence": main, "insertions": ["22204:GAGCCAGAA"]}));
        flat.insert("unaligned_main".into(), json!(unaligned));
        for (name, seq) in &genes {
            flat.insert(name.clone(), json!({"sequence": seq, "insertions": []}));
        }
        silo.push(Json::Object(flat).to_string());
        let aa: Map<String, Json> = genes.iter().map(|(n, s)| (n.clone(), json!(s))).collect();
        let aa_ins: Map<String, Json> = genes.iter().map(|(n, _)| (n.clone(), json!([]))).collect();
        loculus.push(
            json!({"metadata": meta, "unalignedNucleotideSequences": {"main": unaligned},
                   "alignedNucleotideSequences": {"main": main}, "nucleotideInsertions": {"main": ["22204:GAGCCAGAA"]},
                   "alignedAminoAcidSequences": aa, "aminoAcidInsertions": aa_ins})
            .to_string(),
        );
    }
    (silo, loculus)
}

fn rate(bytes: usize, seconds: f64) -> f64 {
    bytes as f64 / 1e6 / seconds
}

fn measure(name: &str, importer: &Importer, lines: &[String]) {
    let bytes: usize = lines.iter().map(|l| l.len() + 1).sum();
    // One thread, no reader machinery: the per-core parse rate.
    let mut unknown = UnknownKeys::default();
    let t = Instant::now();
    for (i, line) in lines.iter().enumerate() {
        let record = importer.parse_line(line, i as u64 + 1, &mut unknown).unwrap();
        std::hint::black_box(record);
    }
    let one = rate(bytes, t.elapsed().as_secs_f64());
    let input = (lines.join("\n") + "\n").into_bytes();
    let mut reader_rates = Vec::new();
    for threads in [1, ReadOptions::default().threads] {
        let options = ReadOptions { threads, ..ReadOptions::default() };
        let importer = importer.clone().with_options(options);
        let input = std::io::Cursor::new(input.clone());
        let t = Instant::now();
        let n = importer.read(input, "bench.ndjson").unwrap().map(Result::unwrap).count();
        assert_eq!(n, lines.len());
        reader_rates.push((threads, rate(bytes, t.elapsed().as_secs_f64())));
    }
    eprintln!(
        "{name}: {} lines, {:.1} MB: one thread {one:.0} MB/s; reader {}",
        lines.len(),
        bytes as f64 / 1e6,
        reader_rates.iter().map(|(t, r)| format!("{t} thread(s) {r:.0} MB/s")).collect::<Vec<_>>().join(", ")
    );
}

#[test]
fn print_parse_throughput() {
    let mut rng = StdRng::seed_from_u64(7);
    let schema = schema(&mut rng);
    // VIRION_IMPORT_BENCH_LINES=3000 for a steadier figure (the default keeps the test quick).
    let n = std::env::var("VIRION_IMPORT_BENCH_LINES").ok().and_then(|v| v.parse().ok()).unwrap_or(600);
    let (silo, loculus) = lines(&schema, &mut rng, n);
    measure("SILO layout", &Importer::silo(schema.clone()), &silo);
    measure("Loculus layout", &Importer::loculus(schema), &loculus);
}
