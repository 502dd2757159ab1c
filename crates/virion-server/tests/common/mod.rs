//! A hub on SQLite (temp dir) or PostgreSQL (a fresh database per test), with the SARS-CoV-2
//! organism, a group and a user in every role, driven through the router with `oneshot`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;
use virion_client::FormBody;
use virion_schema::{OrganismDatasets, OrganismRegistry};
use virion_server::{AppState, app};
use virion_store::{Role, Store};
use virion_testdata::postgres::PgTestDatabase;
use virion_worker::{Datasets, WorkerConfig, dataset_dirs, run_worker};

pub const GROUP: &str = "lab";

pub struct Hub {
    pub app: Router,
    pub state: AppState,
    pub store: Store,
    pub datasets: HashMap<String, OrganismDatasets>,
    /// Tokens by user: curator (group owner), submitter, consumer, outsider.
    pub tokens: HashMap<&'static str, String>,
    pub shared: PathBuf,
    pub dir: tempfile::TempDir,
    drop_pg: Option<PgTestDatabase>,
}

impl Hub {
    /// `None` (with a notice) when the shared data or the PostgreSQL server is missing.
    pub async fn new(postgres: bool) -> Option<Hub> {
        Hub::new_with(postgres, virion_server::QueryOptions::default()).await
    }

    /// [`Hub::new`] with other query options and upload limits.
    pub async fn new_with(postgres: bool, options: virion_server::QueryOptions) -> Option<Hub> {
        let shared = virion_testdata::shared_data()?;
        let datasets: HashMap<String, OrganismDatasets> =
            [("sars-cov-2".to_owned(), OrganismDatasets::single(shared.join("nextclade/sars-cov-2")))]
                .into_iter()
                .collect();
        Hub::with_datasets(postgres, options, datasets).await
    }

    /// A hub serving the organisms of `datasets` (resolved as `virion serve` resolves them).
    pub async fn with_datasets(
        postgres: bool,
        options: virion_server::QueryOptions,
        datasets: HashMap<String, OrganismDatasets>,
    ) -> Option<Hub> {
        let shared = virion_testdata::shared_data()?;
        let dir = tempfile::tempdir().unwrap();
        let (store, drop_pg) = if postgres {
            let db = PgTestDatabase::create().await?;
            (Store::connect(&db.url).await.unwrap(), Some(db))
        } else {
            (Store::open_data_dir(dir.path()).await.unwrap(), None)
        };
        let state = AppState::with_options(
            store.clone(),
            &OrganismRegistry::builtin(),
            dir.path(),
            &datasets,
            options,
        )
        .await
        .unwrap();

        let mut tokens = HashMap::new();
        let curator = store.create_user("curator", Some("curator-password"), false).await.unwrap();
        let group = store.create_group(GROUP, curator).await.unwrap();
        for (name, role) in
            [("submitter", Some(Role::Submitter)), ("consumer", Some(Role::Consumer)), ("outsider", None)]
        {
            let id = store.create_user(name, None, false).await.unwrap();
            if let Some(role) = role {
                store.set_role(curator, group, id, role).await.unwrap();
            }
            tokens.insert(name, store.create_token(id, "test").await.unwrap().1);
        }
        tokens.insert("curator", store.create_token(curator, "test").await.unwrap().1);
        Some(Hub { app: app(state.clone()), state, store, datasets, tokens, shared, dir, drop_pg })
    }

    pub fn token(&self, user: &str) -> &str {
        &self.tokens[user]
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        user: Option<&str>,
        headers: &[(&str, &str)],
        body: Body,
    ) -> (StatusCode, HeaderMap, Bytes) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(user) = user {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", self.token(user)));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let response = self.app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, headers, bytes)
    }

    pub async fn json(
        &self,
        method: Method,
        uri: &str,
        user: Option<&str>,
        body: serde_json::Value,
    ) -> (StatusCode, serde_json::Value) {
        let (status, _, bytes) = self
            .call(method, uri, user, &[("content-type", "application/json")], Body::from(body.to_string()))
            .await;
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    pub async fn get_json(&self, uri: &str, user: Option<&str>) -> (StatusCode, serde_json::Value) {
        let (status, _, bytes) = self.call(Method::GET, uri, user, &[], Body::empty()).await;
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    /// Submits the two files (read from disk into a streaming multipart body).
    pub async fn submit(
        &self,
        user: &str,
        metadata: &Path,
        sequences: &Path,
    ) -> (StatusCode, serde_json::Value) {
        self.submit_with(user, metadata, sequences, &[]).await
    }

    /// Submits with extra form fields (e.g. data use terms).
    pub async fn submit_with(
        &self,
        user: &str,
        metadata: &Path,
        sequences: &Path,
        fields: &[(&str, &str)],
    ) -> (StatusCode, serde_json::Value) {
        self.submit_to("sars-cov-2", user, metadata, sequences, fields).await
    }

    /// Submits to `organism`, with extra form fields.
    pub async fn submit_to(
        &self,
        organism: &str,
        user: &str,
        metadata: &Path,
        sequences: &Path,
        fields: &[(&str, &str)],
    ) -> (StatusCode, serde_json::Value) {
        let name = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
        let len = |p: &Path| std::fs::metadata(p).unwrap().len();
        let mut form = FormBody::new().text("group", GROUP);
        for (field, value) in fields {
            form = form.text(field, value);
        }
        let form = form.file("metadata", &name(metadata), len(metadata)).file(
            "sequences",
            &name(sequences),
            len(sequences),
        );
        let content_type = form.content_type();
        let files: Vec<Box<dyn Read + Send>> = vec![
            Box::new(std::fs::File::open(metadata).unwrap()),
            Box::new(std::fs::File::open(sequences).unwrap()),
        ];
        let mut body = Vec::new();
        form.into_reader(files).read_to_end(&mut body).unwrap();
        let (status, _, bytes) = self
            .call(
                Method::POST,
                &format!("/api/{organism}/submit"),
                Some(user),
                &[("content-type", &content_type)],
                Body::from(body),
            )
            .await;
        (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
    }

    /// Runs `n` workers until `done` returns true (checked every 200 ms) or the timeout.
    pub async fn process_until(&self, n: usize, timeout_s: u64, mut done: impl AsyncFnMut() -> bool) {
        let dirs = dataset_dirs(&self.store, &self.datasets).await.unwrap();
        let datasets = Datasets::new(dirs);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let workers: Vec<_> = (0..n)
            .map(|i| {
                let config = WorkerConfig {
                    idle: std::time::Duration::from_millis(100),
                    ..WorkerConfig::named(format!("test-{i}"), 1)
                };
                tokio::spawn(run_worker(self.store.clone(), datasets.clone(), config, stopped.clone()))
            })
            .collect();
        let start = std::time::Instant::now();
        while !done().await {
            assert!(start.elapsed().as_secs() < timeout_s, "processing did not finish in {timeout_s} s");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        stop.send(true).unwrap();
        for w in workers {
            w.await.unwrap();
        }
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some(db) = self.drop_pg {
            db.drop_database().await;
        }
    }
}

/// Writes the first `n` genomes of the ncov open example (FASTA, zstd) and their metadata rows
/// (TSV, gzip) into `dir`; returns (metadata, sequences, names).
pub fn example_subset(shared: &Path, dir: &Path, n: usize) -> (PathBuf, PathBuf, Vec<String>) {
    let base = shared.join("sequences/ncov-open-example");
    let table = std::fs::read_to_string(base.join("example_metadata.tsv")).unwrap();
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    let rows: HashMap<&str, &str> = lines.map(|l| (l.split('\t').next().unwrap(), l)).collect();
    let records = virion_testdata::read_fasta(&base.join("example_sequences.fasta.gz"));
    let chosen: Vec<_> = records.iter().filter(|r| rows.contains_key(r.name.as_str())).take(n).collect();
    assert_eq!(chosen.len(), n);

    let metadata = dir.join("metadata.tsv.gz");
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&metadata).unwrap(), flate2::Compression::fast());
    writeln!(gz, "{header}").unwrap();
    for r in &chosen {
        writeln!(gz, "{}", rows[r.name.as_str()]).unwrap();
    }
    gz.finish().unwrap();

    let sequences = dir.join("sequences.fasta.zst");
    let mut zst = zstd::stream::write::Encoder::new(std::fs::File::create(&sequences).unwrap(), 3).unwrap();
    for r in &chosen {
        writeln!(zst, ">{}", r.name).unwrap();
        zst.write_all(&r.seq).unwrap();
        writeln!(zst).unwrap();
    }
    zst.finish().unwrap();
    (metadata, sequences, chosen.iter().map(|r| r.name.clone()).collect())
}

/// Reads a plain-text file's lines (helper for broken-input tests).
pub fn lines_of(path: &Path) -> Vec<String> {
    let reader = virion_io::open_path(path).unwrap();
    reader.lines().map(|l| l.unwrap()).collect()
}

/// Defines `mod $name { sqlite(); postgres(); }` running `async fn $name(Hub)`.
#[macro_export]
macro_rules! hub_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                if let Some(hub) = $crate::common::Hub::new(false).await {
                    super::$name(&hub).await;
                    hub.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(hub) = $crate::common::Hub::new(true).await {
                    super::$name(&hub).await;
                    hub.finish().await;
                }
            }
        }
    )*};
}

/// A browser's session: the cookies it holds, sent back on every request.
#[derive(Default)]
pub struct Browser {
    pub cookies: std::collections::BTreeMap<String, String>,
}

impl Browser {
    pub async fn send(
        &mut self,
        hub: &Hub,
        method: Method,
        uri: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, String) {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        let mut headers = vec![("cookie", cookie.as_str())];
        let body = serde_urlencoded::to_string(form).unwrap();
        if method == Method::POST {
            headers.push(("content-type", "application/x-www-form-urlencoded"));
        }
        let (code, h, bytes) = hub.call(method, uri, None, &headers, Body::from(body)).await;
        for set in h.get_all(header::SET_COOKIE) {
            let text = set.to_str().unwrap();
            let (kv, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (k, v) = kv.split_once('=').unwrap();
            assert!(attributes.contains("HttpOnly") && attributes.contains("SameSite=Lax"), "{text}");
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        // Pages are UTF-8; a download (a zip) is read lossily, for its status and headers.
        (code, h, String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// A browser logged in as `name` through the login form.
pub async fn log_in(hub: &Hub, name: &str, password: &str) -> Browser {
    let mut b = Browser::default();
    let (_, _, page) = b.send(hub, Method::GET, "/login", &[]).await;
    let csrf = csrf_in(&page);
    let form = [("name", name), ("password", password), ("csrf", &csrf)];
    let (code, _, _) = b.send(hub, Method::POST, "/login", &form).await;
    assert_eq!(code, StatusCode::SEE_OTHER, "{name} logs in");
    b
}

/// The CSRF token of a page's form.
pub fn csrf_in(page: &str) -> String {
    let at = page.find(r#"name="csrf" value=""#).expect("a CSRF field") + r#"name="csrf" value=""#.len();
    page[at..].split('"').next().unwrap().to_owned()
}
