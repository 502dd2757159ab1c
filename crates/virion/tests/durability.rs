//! SIGKILL durability: the real `virion serve` (API + worker pool) is killed with SIGKILL
//! during uploads, during processing, during approvals and during revisions, revocations and
//! edits, 21 times on each backend, and restarted each time. After every restart:
//! - every acknowledged submission is there whole: each entry under the accession the server
//!   answered, with the submission id, metadata and sequence that were sent;
//! - `virion admin verify --deep` finds the store consistent (no partial submission, no
//!   version stuck without a job, no processed version without its result, no approval of an
//!   errored version, every sequence decompresses);
//!
//! An upload cut short by a kill is sent again after the restart with the same
//! `Idempotency-Key`, as `virion submit` does: it is acknowledged then, and stored once whether
//! or not the killed process had committed it.
//!
//! A revision or revocation cut short is sent again with its key too: each makes exactly one
//! new version. An edit cut short is sent again as it is (it replaces what it replaces).
//!
//! At the end everything left is processed (killed workers' leases run out and their
//! jobs are retried), approved and released exactly once, and every stored entry is one the
//! client was told about. `VIRION_SIGKILL_ROUNDS` sets the number of kills (the soak run in
//! docs/BENCHMARKS.md takes 120).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use virion_client::FormBody;
use virion_store::{GroupId, ListFilter, Status, Store, UserId};
use virion_testdata::postgres::PgTestDatabase;

const BIN: &str = env!("CARGO_BIN_EXE_virion");
/// Kills per backend unless `VIRION_SIGKILL_ROUNDS` says otherwise.
const ROUNDS: usize = 21;
const GENOMES_PER_UPLOAD: usize = 60;

#[test]
fn sigkill_sqlite() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    run_rounds(&shared, dir.path(), None, 11);
}

#[test]
fn sigkill_postgres() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let Some(db) = runtime.block_on(PgTestDatabase::create()) else { return };
    let dir = tempfile::tempdir().unwrap();
    run_rounds(&shared, dir.path(), Some(&db.url), 12);
    runtime.block_on(db.drop_database());
}

/// What a client was told: submission id → (accession, metadata row, sequence).
type Acknowledged = HashMap<String, (String, String, Vec<u8>)>;

struct Hub {
    data_dir: PathBuf,
    database_url: Option<String>,
    datasets: PathBuf,
    log: PathBuf,
    child: Option<Child>,
    base: String,
}

impl Hub {
    fn db_args(&self) -> Vec<String> {
        let mut args = vec!["--data-dir".to_owned(), self.data_dir.display().to_string()];
        if let Some(url) = &self.database_url {
            args.extend(["--database-url".to_owned(), url.clone()]);
        }
        args
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "2", "--job-lease-secs", "2"])
            .arg("--dataset-dir")
            .arg(&self.datasets)
            .args(self.db_args())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line.trim().rsplit("http://").next().unwrap().to_owned();
        assert!(!address.is_empty(), "virion serve did not start; see {}", self.log.display());
        self.base = format!("http://{address}");
        self.child = Some(child);
    }

    fn kill(&mut self) {
        let mut child = self.child.take().unwrap();
        child.kill().unwrap(); // SIGKILL on Unix: no shutdown code runs
        child.wait().unwrap();
    }

    fn verify(&self) {
        let out =
            Command::new(BIN).args(["admin", "verify", "--deep"]).args(self.db_args()).output().unwrap();
        assert!(
            out.status.success(),
            "store inconsistent after SIGKILL:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The ncov open example genomes that have metadata rows: (name, metadata row, sequence).
fn genomes(shared: &Path) -> (String, Vec<(String, String, Vec<u8>)>) {
    let base = shared.join("sequences/ncov-open-example");
    let table = std::fs::read_to_string(base.join("example_metadata.tsv")).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap().to_owned();
    let rows: HashMap<&str, &str> = lines.map(|l| (l.split('\t').next().unwrap(), l)).collect();
    let records = virion_testdata::read_fasta(&base.join("example_sequences.fasta.gz"));
    let chosen = records
        .into_iter()
        .filter_map(|r| rows.get(r.name.as_str()).map(|row| (r.name.clone(), row.to_string(), r.seq)))
        .collect();
    (header, chosen)
}

/// Writes one upload of renamed genomes; returns its files and what each id carries.
fn write_upload(
    dir: &Path,
    round: usize,
    header: &str,
    pool: &[(String, String, Vec<u8>)],
) -> (PathBuf, PathBuf, Acknowledged) {
    let metadata = dir.join(format!("metadata-{round}.tsv"));
    let sequences = dir.join(format!("sequences-{round}.fasta"));
    let (mut m, mut s) =
        (std::fs::File::create(&metadata).unwrap(), std::fs::File::create(&sequences).unwrap());
    writeln!(m, "{header}").unwrap();
    let mut sent = Acknowledged::new();
    for i in 0..GENOMES_PER_UPLOAD {
        let (name, row, seq) = &pool[(round * GENOMES_PER_UPLOAD + i) % pool.len()];
        let id = format!("{name}/r{round}");
        let rest = row.split_once('\t').unwrap().1;
        writeln!(m, "{id}\t{rest}").unwrap();
        writeln!(s, ">{id}\n{}", String::from_utf8_lossy(seq)).unwrap();
        sent.insert(id, (String::new(), rest.to_owned(), seq.clone()));
    }
    (metadata, sequences, sent)
}

/// POSTs a submission under an idempotency key; `Some` with id → accession (and whether the
/// answer was a replay of an earlier attempt's) if the server acknowledged it.
fn submit(
    base: &str,
    token: &str,
    metadata: &Path,
    sequences: &Path,
    key: &str,
) -> Option<(HashMap<String, String>, bool)> {
    let (m, s) = (std::fs::File::open(metadata).unwrap(), std::fs::File::open(sequences).unwrap());
    let form = FormBody::new()
        .text("group", "lab")
        .file("metadata", "metadata.tsv", m.metadata().unwrap().len())
        .file("sequences", "sequences.fasta", s.metadata().unwrap().len());
    let (len, content_type) = (form.len(), form.content_type());
    let body = form.into_reader(vec![Box::new(m), Box::new(s)]);
    let mut response = ureq::post(format!("{base}/api/sars-cov-2/submit"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", content_type)
        .header("Content-Length", len.to_string())
        .header("Idempotency-Key", key)
        .send(ureq::SendBody::from_owned_reader(body))
        .ok()?;
    let replayed = response.headers().get("idempotency-replayed").is_some();
    // Acknowledged means the whole answer arrived: a body cut short by the kill is not.
    let text = response.body_mut().read_to_string().ok()?;
    let reply: serde_json::Value = serde_json::from_str(&text).ok()?;
    let ids = reply["entries"]
        .as_array()?
        .iter()
        .map(|e| {
            (e["submissionId"].as_str().unwrap().to_owned(), e["accession"].as_str().unwrap().to_owned())
        })
        .collect();
    Some((ids, replayed))
}

fn approve(base: &str, token: &str) -> bool {
    ureq::post(format!("{base}/api/sars-cov-2/approve"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(r#"{"group": "lab", "scope": "all"}"#)
        .is_ok_and(|r| r.status().is_success())
}

/// POSTs a JSON lifecycle request, with `key` as its Idempotency-Key if given: `Some(status,
/// body)` when an answer arrived whole.
fn post_json(
    base: &str,
    token: &str,
    path: &str,
    body: &serde_json::Value,
    key: Option<&str>,
) -> Option<(u16, String)> {
    let mut request = ureq::post(format!("{base}{path}"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Content-Type", "application/json");
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    let mut response = request.config().http_status_as_error(false).build().send(body.to_string()).ok()?;
    let status = response.status().as_u16();
    Some((status, response.body_mut().read_to_string().ok()?))
}

/// The lifecycle change a round makes on one entry.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Change {
    Revise,
    Revoke,
    Edit,
}

fn run_rounds(shared: &Path, dir: &Path, database_url: Option<&str>, seed: u64) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let data_dir = dir.join("data");
    let open = || async {
        match database_url {
            Some(url) => Store::connect(url).await.unwrap(),
            None => Store::open_data_dir(&data_dir).await.unwrap(),
        }
    };
    let (curator, group, token) = runtime.block_on(async {
        let store = open().await;
        let curator = store.create_user("curator", None, false).await.unwrap();
        let group = store.create_group("lab", curator).await.unwrap();
        let token = store.create_token(curator, "test").await.unwrap().1;
        store.close().await;
        (curator, group, token)
    });
    let mut hub = Hub {
        data_dir: data_dir.clone(),
        database_url: database_url.map(str::to_owned),
        datasets: shared.join("nextclade"),
        log: dir.join("serve.log"),
        child: None,
        base: String::new(),
    };
    let (header, pool) = genomes(shared);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut acknowledged = Acknowledged::new();
    let mut interrupted_uploads = 0;
    // Retries of cut uploads whose first attempt the killed process had already stored.
    let mut replayed_retries = 0;
    // Versions each entry gained by revisions and revocations the client was told about.
    let mut changes: HashMap<String, i64> = HashMap::new();
    let mut changes_cut = 0;
    let columns: Vec<&str> = header.split('\t').collect();
    let rounds: usize =
        std::env::var("VIRION_SIGKILL_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(ROUNDS);
    // How long an upload takes here, from the uploads that are not killed: kills during
    // uploads are spread over that time so they land in every stage (receiving, validating,
    // the store transaction, answering).
    let mut upload_ms = 100u64;
    hub.start();
    for round in 0..rounds {
        let phase = (round + 1) % 4;
        match phase {
            // During an upload: the kill lands anywhere from sending to answering.
            0 => {
                let (metadata, sequences, sent) = write_upload(dir, round, &header, &pool);
                let (base, token2) = (hub.base.clone(), token.clone());
                let key = format!("upload-{round}");
                let (m2, s2, key2) = (metadata.clone(), sequences.clone(), key.clone());
                let upload = std::thread::spawn(move || submit(&base, &token2, &m2, &s2, &key2));
                std::thread::sleep(Duration::from_millis(rng.random_range(0..upload_ms * 6 / 5)));
                hub.kill();
                match upload.join().unwrap() {
                    Some((ids, _)) => record(&mut acknowledged, sent, ids),
                    None => {
                        // The answer was lost: send it again under the same key.
                        interrupted_uploads += 1;
                        hub.start();
                        let (ids, replayed) = submit(&hub.base, &token, &metadata, &sequences, &key)
                            .expect("a retry after the restart is answered");
                        replayed_retries += usize::from(replayed);
                        record(&mut acknowledged, sent, ids);
                        hub.kill();
                    }
                }
            }
            // During processing: work is queued (this round's upload completes first).
            1 => {
                let (metadata, sequences, sent) = write_upload(dir, round, &header, &pool);
                let started = Instant::now();
                let (ids, _) = submit(&hub.base, &token, &metadata, &sequences, &format!("upload-{round}"))
                    .expect("an upload without a kill");
                upload_ms = started.elapsed().as_millis().max(1) as u64;
                record(&mut acknowledged, sent, ids);
                std::thread::sleep(Duration::from_millis(rng.random_range(300..2500)));
                hub.kill();
            }
            // During a revision, revocation or edit, each under a key the retry reuses.
            3 => {
                let change = [Change::Revise, Change::Revoke, Change::Edit][(round / 4) % 3];
                let target = runtime.block_on(async {
                    let store = open().await;
                    let all = store
                        .list_versions(
                            Some(curator),
                            &ListFilter { group: Some(group), ..Default::default() },
                        )
                        .await
                        .unwrap();
                    store.close().await;
                    all.into_iter().find(|v| {
                        let acc = v.accession_version.accession.as_str();
                        v.is_latest
                            && !v.is_revocation
                            && !changes.contains_key(acc)
                            && match change {
                                Change::Edit => matches!(v.status, Status::Received | Status::Processed),
                                _ => v.status == Status::Released,
                            }
                    })
                });
                let Some(target) = target else {
                    // Nothing to change yet: approve instead, so the next rounds have some.
                    assert!(approve(&hub.base, &token));
                    hub.kill();
                    hub.start();
                    continue;
                };
                let acc = target.accession_version.accession.as_str().to_owned();
                let (_, (_, row, _)) =
                    acknowledged.iter().find(|(_, (a, _, _))| *a == acc).expect("the entry was acknowledged");
                let mut metadata: serde_json::Map<String, serde_json::Value> = columns
                    .iter()
                    .zip(std::iter::once(target.submission_key.as_str()).chain(row.split('\t')))
                    .map(|(c, v)| (c.to_string(), serde_json::Value::from(v)))
                    .collect();
                metadata.insert("division".into(), format!("changed-{round}").into());
                let (path, body, key) = match change {
                    Change::Revise => (
                        "/api/sars-cov-2/revise",
                        serde_json::json!({ "revisions": [{ "accession": acc, "metadata": metadata }] }),
                        Some(format!("revise-{round}")),
                    ),
                    Change::Revoke => (
                        "/api/sars-cov-2/revoke",
                        serde_json::json!({ "accessions": [acc], "comment": format!("round {round}") }),
                        Some(format!("revoke-{round}")),
                    ),
                    Change::Edit => (
                        "/api/sars-cov-2/edit",
                        serde_json::json!({ "accessionVersion": target.accession_version.to_string(), "metadata": metadata }),
                        None,
                    ),
                };
                let (base, token2, body2, key2) =
                    (hub.base.clone(), token.clone(), body.clone(), key.clone());
                let request =
                    std::thread::spawn(move || post_json(&base, &token2, path, &body2, key2.as_deref()));
                std::thread::sleep(Duration::from_millis(rng.random_range(0..12)));
                hub.kill();
                let answer = match request.join().unwrap() {
                    Some(answer) => answer,
                    None => {
                        changes_cut += 1;
                        hub.start();
                        let answer = post_json(&hub.base, &token, path, &body, key.as_deref())
                            .expect("a retry after the restart is answered");
                        hub.kill();
                        answer
                    }
                };
                match change {
                    Change::Revise | Change::Revoke => {
                        assert_eq!(answer.0, 200, "round {round}: {change:?} {acc}: {}", answer.1);
                        changes.insert(acc, 1);
                    }
                    // An edit whose first attempt stored it may find the version claimed by
                    // a worker on the retry: refused, and the entry keeps its one version.
                    Change::Edit => {
                        assert!(
                            matches!(answer.0, 200 | 409),
                            "round {round}: edit {acc}: {} {}",
                            answer.0,
                            answer.1
                        );
                        changes.insert(acc, 0);
                    }
                }
            }
            // During approval of whatever is processed by now.
            _ => {
                let (base, token2) = (hub.base.clone(), token.clone());
                let approval = std::thread::spawn(move || approve(&base, &token2));
                std::thread::sleep(Duration::from_millis(rng.random_range(0..40)));
                hub.kill();
                approval.join().unwrap();
            }
        }
        hub.start();
        hub.verify();
        runtime.block_on(async {
            let store = open().await;
            check_acknowledged(&store, curator, group, &acknowledged, round).await;
            store.close().await;
        });
    }
    eprintln!(
        "{rounds} SIGKILLs survived; {interrupted_uploads} of {} uploads were cut short (uploads take \
         ~{upload_ms} ms) and retried with their key, {replayed_retries} of those answered from a \
         submission the killed process had stored; {changes_cut} of {} revisions, revocations and \
         edits cut short and retried; {} entries acknowledged",
        rounds / 4,
        changes.len(),
        acknowledged.len()
    );
    assert!(interrupted_uploads > 0, "no kill landed during an upload: the test did not test that");

    // Everything left is processed: killed workers' jobs come back when their leases end.
    let start = Instant::now();
    loop {
        let pending = runtime.block_on(async {
            let store = open().await;
            let counts = store.status_counts(curator, group).await.unwrap();
            store.close().await;
            counts.iter().filter(|(s, _, _)| matches!(s, Status::Received | Status::InProcessing)).count()
        });
        if pending == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(300), "processing never finished after the kills");
        std::thread::sleep(Duration::from_millis(250));
    }
    assert!(approve(&hub.base, &token));
    hub.verify();
    runtime.block_on(async {
        let store = open().await;
        let all = store
            .list_versions(Some(curator), &ListFilter { group: Some(group), ..Default::default() })
            .await
            .unwrap();
        // Every stored entry is one the client was told about: no retry stored twice.
        let entries: std::collections::HashSet<_> =
            all.iter().map(|v| &v.accession_version.accession).collect();
        assert_eq!(entries.len(), acknowledged.len(), "entries stored vs acknowledged");
        // One version per entry, and one more per acknowledged revision or revocation: no
        // retried change made a second one.
        let mut versions: HashMap<&str, i64> = HashMap::new();
        for v in &all {
            *versions.entry(v.accession_version.accession.as_str()).or_default() += 1;
        }
        for (accession, count) in &versions {
            let expected = 1 + changes.get(*accession).copied().unwrap_or(0);
            assert_eq!(*count, expected, "{accession}: versions stored");
        }
        let released = all.iter().filter(|v| v.status == Status::Released).count();
        let errored = all.iter().filter(|v| v.status == Status::Processed).count();
        assert_eq!(released + errored, all.len(), "versions neither released nor blocked by errors");
        assert!(released >= acknowledged.len() * 9 / 10, "{released} released of {}", acknowledged.len());
        store.close().await;
    });
    hub.kill();
}

fn record(acknowledged: &mut Acknowledged, sent: Acknowledged, ids: HashMap<String, String>) {
    assert_eq!(ids.len(), sent.len(), "the answer lists every entry");
    for (id, (_, row, seq)) in sent {
        let accession = ids.get(&id).unwrap_or_else(|| panic!("{id} missing from the answer")).clone();
        acknowledged.insert(id, (accession, row, seq));
    }
}

/// Every acknowledged entry is stored under its accession with what was sent.
async fn check_acknowledged(
    store: &Store,
    viewer: UserId,
    group: GroupId,
    acked: &Acknowledged,
    round: usize,
) {
    let all = store
        .list_versions(Some(viewer), &ListFilter { group: Some(group), ..Default::default() })
        .await
        .unwrap();
    // The versions the uploads made (revisions and revocations add later ones).
    let by_key: HashMap<&str, _> = all
        .iter()
        .filter(|v| v.accession_version.version == 1)
        .map(|v| (v.submission_key.as_str(), v))
        .collect();
    for (id, (accession, row, seq)) in acked {
        let v = by_key.get(id.as_str()).unwrap_or_else(|| panic!("round {round}: acknowledged {id} is gone"));
        assert_eq!(v.accession_version.accession.as_str(), accession, "round {round}: {id}");
        assert_eq!(v.accession_version.version, 1);
        let metadata: serde_json::Value = serde_json::from_str(&v.submitted_metadata_json).unwrap();
        let date = row.split('\t').nth(3).unwrap();
        assert_eq!(
            metadata["collection_date"]["value"].as_str(),
            Some(date),
            "round {round}: {id} metadata {metadata}"
        );
        let stored = store.get_sequence(Some(viewer), &v.accession_version).await.unwrap();
        assert_eq!(&stored, seq, "round {round}: {id} sequence");
    }
}
