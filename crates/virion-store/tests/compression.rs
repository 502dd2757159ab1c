//! Bytes per stored genome on the real SARS-CoV-2 sequences: zstd with the reference as
//! dictionary, at a few levels, and as actually stored by a SQLite store.

mod common;

use std::path::PathBuf;
use std::time::Instant;

use virion_io::{FastaReader, FastaRecord};
use virion_store::*;

fn shared_data() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    if dir.exists() {
        return Some(dir);
    }
    if std::env::var("VIRION_REQUIRE_SHARED_DATA").as_deref() == Ok("1") {
        panic!("../shared/data not found at {}", dir.display());
    }
    eprintln!("skipping: ../shared/data not found");
    None
}

fn read_all(path: &std::path::Path) -> Vec<FastaRecord> {
    let mut reader = FastaReader::from_path(path).unwrap();
    let mut out = Vec::new();
    let mut rec = FastaRecord::default();
    while reader.read(&mut rec).unwrap() {
        out.push(rec.clone());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_per_genome_sars_cov_2() {
    let Some(data) = shared_data() else { return };
    let set = data.join("nextclade/sars-cov-2");
    let reference = read_all(&set.join("reference.fasta")).remove(0).seq;
    let genomes = read_all(&set.join("sequences.fasta"));
    assert!(genomes.len() > 100);
    let raw: usize = genomes.iter().map(|g| g.seq.len()).sum();
    let n = genomes.len() as f64;
    println!("{} genomes, raw {:.0} bytes/genome", genomes.len(), raw as f64 / n);

    for level in [DEFAULT_LEVEL, 9, 19] {
        let codec = SequenceCodec::new(&reference, level);
        let start = Instant::now();
        let mut total = 0usize;
        for g in &genomes {
            let blob = codec.compress(&g.seq).unwrap();
            total += blob.len();
            assert_eq!(codec.decompress(&blob, g.seq.len()).unwrap(), g.seq);
        }
        let per = total as f64 / n;
        let plain: usize = genomes.iter().map(|g| zstd::bulk::compress(&g.seq, level).unwrap().len()).sum();
        println!(
            "level {level:>2}: {per:.0} bytes/genome with reference dictionary ({:.0} without), {:.2} ms/genome",
            plain as f64 / n,
            start.elapsed().as_secs_f64() * 1000.0 / n
        );
        if level == DEFAULT_LEVEL {
            assert!(per * 20.0 < raw as f64 / n, "{per} bytes/genome is not far below raw");
            assert!(total * 3 < plain, "the dictionary should shrink blobs at least 3x");
        }
    }

    // As stored: submit them all and sum the blob column.
    let db = common::sqlite().await;
    let s = &db.store;
    let organism = s.add_organism("sars-cov-2", "VSC", &reference).await.unwrap();
    let user = s.create_user("u", None, true).await.unwrap();
    let group = s.create_group("g", user).await.unwrap();
    let req =
        SubmitRequest { organism, group, submitter: user, terms: DataUseTerms::Open, idempotency: None };
    let rows = genomes.iter().enumerate().map(|(i, g)| {
        Ok::<_, std::io::Error>(NewEntry {
            submission_key: format!("{}#{i}", g.name),
            metadata_json: "{}".into(),
            sequence: g.seq.clone(),
        })
    });
    s.submit(&req, futures_util::stream::iter(rows)).await.unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT SUM(LENGTH(compressed)) FROM sequence_blobs")
        .fetch_one(s.pool())
        .await
        .unwrap();
    println!("stored: {:.0} bytes/genome in sequence_blobs", stored as f64 / n);
    assert!((stored as f64 / n) * 20.0 < raw as f64 / n);
    db.finish().await;
}
