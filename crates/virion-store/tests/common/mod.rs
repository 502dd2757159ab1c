//! Runs each store test against SQLite (a temp file) and PostgreSQL (a fresh database per
//! test, created from the server named by VIRION_TEST_POSTGRES_URL).

#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};
use virion_store::*;
use virion_testdata::postgres::PgTestDatabase;

pub struct TestDb {
    pub store: Store,
    pub clock: Arc<AtomicI64>,
    drop_pg: Option<PgTestDatabase>,
    _dir: Option<tempfile::TempDir>,
}

fn test_clock(store: Store) -> (Store, Arc<AtomicI64>) {
    // A fixed start keeps dates reproducible; tests move time with `advance`.
    let ms = Arc::new(AtomicI64::new(
        DateTime::parse_from_rfc3339("2025-03-01T12:00:00Z").unwrap().timestamp_millis(),
    ));
    let read = ms.clone();
    let clock: Clock =
        Arc::new(move || DateTime::<Utc>::from_timestamp_millis(read.load(Ordering::SeqCst)).unwrap());
    (store.with_clock(clock), ms)
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    assert!(dir.path().join(SQLITE_FILE).exists());
    let (store, clock) = test_clock(store);
    TestDb { store, clock, drop_pg: None, _dir: Some(dir) }
}

/// A fresh database on the test server, or None (with a notice) when it is unreachable and
/// VIRION_REQUIRE_POSTGRES is not 1.
pub async fn postgres() -> Option<TestDb> {
    let db = PgTestDatabase::create().await?;
    let store = Store::connect(&db.url).await.unwrap();
    let (store, clock) = test_clock(store);
    Some(TestDb { store, clock, drop_pg: Some(db), _dir: None })
}

impl TestDb {
    pub async fn finish(self) {
        self.store.close().await;
        if let Some(db) = self.drop_pg {
            db.drop_database().await;
        }
    }
}

/// Defines `mod $name { fn sqlite(); fn postgres(); }` running `async fn $name(Ctx)`.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::common::sqlite().await;
                super::$name($crate::common::Ctx::new(&db).await).await;
                db.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::common::postgres().await {
                    super::$name($crate::common::Ctx::new(&db).await).await;
                    db.finish().await;
                }
            }
        }
    )*};
}

//            0         1         2         3
//            0123456789012345678901234567890123456789
pub const REFERENCE: &str = "ACGTTGCAAGGCTTAACCGGTTAGCATGCATCGATCGGATCCATGGAATTCAAGCTTGC";

/// A store with one organism, one group and a user in every role.
pub struct Ctx {
    pub store: Store,
    pub clock: Arc<AtomicI64>,
    pub organism: OrganismId,
    pub group: GroupId,
    pub curator: UserId,
    pub submitter: UserId,
    pub consumer: UserId,
    pub outsider: UserId,
    pub admin: UserId,
}

impl Ctx {
    pub async fn new(db: &TestDb) -> Ctx {
        let store = db.store.clone();
        let organism = store.add_organism("test-virus", "VRN", REFERENCE.as_bytes()).await.unwrap();
        let curator = store.create_user("cora", None, false).await.unwrap();
        let submitter = store.create_user("sam", None, false).await.unwrap();
        let consumer = store.create_user("con", None, false).await.unwrap();
        let outsider = store.create_user("otto", None, false).await.unwrap();
        let admin = store.create_user("ada", None, true).await.unwrap();
        let group = store.create_group("lab", curator).await.unwrap();
        store.set_role(curator, group, submitter, Role::Submitter).await.unwrap();
        store.set_role(curator, group, consumer, Role::Consumer).await.unwrap();
        Ctx { store, clock: db.clock.clone(), organism, group, curator, submitter, consumer, outsider, admin }
    }

    pub fn advance_ms(&self, ms: i64) {
        self.clock.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn prefixes(&self) -> [&'static str; 1] {
        ["VRN"]
    }

    /// A sequence near the reference, different for each `i`.
    pub fn sequence(i: usize) -> Vec<u8> {
        let mut s = REFERENCE.as_bytes().to_vec();
        let at = i % s.len();
        s[at] = if s[at] == b'A' { b'C' } else { b'A' };
        s
    }

    pub fn entry(i: usize) -> NewEntry {
        NewEntry {
            submission_key: format!("sample-{i}"),
            metadata_json: format!("{{\"strain\": \"s{i}\",  \"date\":\"2024-01-0{}\"}}", 1 + i % 9),
            sequence: Self::sequence(i),
        }
    }

    pub fn request(&self, terms: DataUseTerms) -> SubmitRequest {
        SubmitRequest {
            organism: self.organism,
            group: self.group,
            submitter: self.submitter,
            terms,
            idempotency: None,
        }
    }

    /// Submits `n` entries (open terms) and returns their accession versions in key order.
    pub async fn submit(&self, n: usize) -> Vec<AccessionVersion> {
        let rows = futures_util::stream::iter((0..n).map(|i| Ok::<_, std::io::Error>(Self::entry(i))));
        let receipt = self.store.submit(&self.request(DataUseTerms::Open), rows).await.unwrap();
        assert_eq!(receipt.entry_count, n as u64);
        let all = self
            .store
            .list_versions(Some(self.curator), &ListFilter { group: Some(self.group), ..Default::default() })
            .await
            .unwrap();
        let mut mine: Vec<_> = all.into_iter().filter(|r| r.status == Status::Received).collect();
        mine.sort_by_key(|r| r.submission_key[7..].parse::<usize>().unwrap());
        mine.into_iter().map(|r| r.accession_version).collect()
    }

    pub fn outcome(result: ProcessingResult) -> ProcessingOutcome {
        let issue = |m: &str| vec![ProcessingIssue { fields: vec!["date".into()], message: m.into() }];
        ProcessingOutcome {
            dataset_version: "test-2025".into(),
            processed_json: "{\"clade\":\"20A\"}".into(),
            errors: if result == ProcessingResult::Errors { issue("bad date") } else { vec![] },
            warnings: if result == ProcessingResult::Warnings { issue("odd date") } else { vec![] },
        }
    }

    /// Claims and completes every queued job with `result_of(accession_version)`.
    pub async fn process_all(&self, result_of: impl Fn(&AccessionVersion) -> ProcessingResult) {
        self.process_all_for(1, result_of).await
    }

    /// Completes every job of pipeline version `pipeline`.
    pub async fn process_all_for(
        &self,
        pipeline: i64,
        result_of: impl Fn(&AccessionVersion) -> ProcessingResult,
    ) {
        loop {
            let jobs =
                self.store.claim_jobs("w0", pipeline, 50, std::time::Duration::from_secs(60)).await.unwrap();
            if jobs.is_empty() {
                break;
            }
            for j in jobs {
                self.store
                    .complete_job("w0", j.id, &Self::outcome(result_of(&j.accession_version)))
                    .await
                    .unwrap();
            }
        }
    }

    pub async fn version(&self, av: &AccessionVersion) -> VersionRecord {
        self.store.get_version(Some(self.admin), av).await.unwrap()
    }
}
