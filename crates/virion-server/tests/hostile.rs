//! Hostile input against a hub, on SQLite and PostgreSQL: decompression bombs, endless records
//! and cells, too many records, oversized fields, broken multipart, non-ASCII queries at keyword
//! boundaries, redirects off the site, password guessing, accessions that must not be told
//! apart. Each answer is a clear problem naming the file, record, cell or parameter and the
//! limit; nothing is stored; the server process's peak memory stays bounded.

mod common;

use std::io::{Read, Write};

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, header};
use common::{Browser, GROUP, Hub, csrf_in, example_subset};
use serde_json::{Value, json};
use virion_client::FormBody;
use virion_server::{QueryOptions, UploadLimits};

/// Small limits, so that each hostile file crosses one quickly.
const LIMITS: UploadLimits = UploadLimits {
    upload_bytes: 8 << 20,
    decompressed_bytes: 32 << 20,
    records: 50,
    record_reference_factor: 3,
    header_bytes: 512,
    field_bytes: 256,
};

/// A small query budget, so that one address runs out quickly.
const RATE: virion_server::ClientRate = virion_server::ClientRate { per_second: 0.5, burst: 20.0 };

/// Peak memory (VmHWM) the whole test process may reach: the hostile files decompress to
/// gigabytes if read whole.
const MAX_PEAK_BYTES: u64 = 1 << 30;

macro_rules! hostile_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let options = virion_server::QueryOptions {
                    upload_limits: super::LIMITS,
                    client_rate: super::RATE,
                    ..Default::default()
                };
                if let Some(hub) = super::common::Hub::new_with(false, options).await {
                    super::$name(&hub).await;
                    hub.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let options = virion_server::QueryOptions {
                    upload_limits: super::LIMITS,
                    client_rate: super::RATE,
                    ..Default::default()
                };
                if let Some(hub) = super::common::Hub::new_with(true, options).await {
                    super::$name(&hub).await;
                    hub.finish().await;
                }
            }
        }
    )*};
}

hostile_tests!(hostile_uploads, hostile_queries, hostile_web, retried_submissions, mangled_multipart);

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Writes `prefix`, `n` copies of `byte` and `suffix` into an encoder, a megabyte at a time
/// (the expanded text is never held in memory).
fn write_repeated<W: Write>(mut w: W, prefix: &[u8], byte: u8, n: usize, suffix: &[u8]) -> W {
    w.write_all(prefix).unwrap();
    let chunk = vec![byte; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        w.write_all(&chunk[..k]).unwrap();
        left -= k;
    }
    w.write_all(suffix).unwrap();
    w
}

/// `n` copies of `byte` between `prefix` and `suffix`, gzip-compressed.
fn gzip_repeated(prefix: &[u8], byte: u8, n: usize, suffix: &[u8]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    write_repeated(gz, prefix, byte, n, suffix).finish().unwrap()
}

/// The same, zstd-compressed.
fn zstd_repeated(prefix: &[u8], byte: u8, n: usize, suffix: &[u8]) -> Vec<u8> {
    let z = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    write_repeated(z, prefix, byte, n, suffix).finish().unwrap()
}

/// Posts a submission form built from in-memory files and fields.
async fn submit_raw(
    hub: &Hub,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> (StatusCode, HeaderMap, Value) {
    submit_keyed(hub, None, fields, files).await
}

/// [`submit_raw`] with an `Idempotency-Key`.
async fn submit_keyed(
    hub: &Hub,
    key: Option<&str>,
    fields: &[(&str, &str)],
    files: &[(&str, &str, Vec<u8>)],
) -> (StatusCode, HeaderMap, Value) {
    let mut form = FormBody::new();
    for (k, v) in fields {
        form = form.text(k, v);
    }
    for (field, name, bytes) in files {
        form = form.file(field, name, bytes.len() as u64);
    }
    let content_type = form.content_type();
    let readers: Vec<Box<dyn Read + Send>> = files
        .iter()
        .map(|(_, _, b)| Box::new(std::io::Cursor::new(b.clone())) as Box<dyn Read + Send>)
        .collect();
    let mut body = Vec::new();
    form.into_reader(readers).read_to_end(&mut body).unwrap();
    let mut headers = vec![("content-type", content_type.as_str())];
    if let Some(key) = key {
        headers.push(("idempotency-key", key));
    }
    let (code, headers, bytes) =
        hub.call(Method::POST, "/api/sars-cov-2/submit", Some("submitter"), &headers, Body::from(body)).await;
    (code, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A submission whose answer was lost is retried with the same key: the first answer comes
/// back and nothing is stored twice; the key with other files is refused.
async fn retried_submissions(hub: &Hub) {
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 3);
    let files = [
        ("metadata", "metadata.tsv.gz", std::fs::read(&metadata).unwrap()),
        ("sequences", "sequences.fasta.zst", std::fs::read(&sequences).unwrap()),
    ];
    let group = [("group", GROUP)];
    let (code, _, first) = submit_keyed(hub, Some("retry-1"), &group, &files).await;
    assert_eq!(code, StatusCode::OK, "{first}");
    let after_first = stored(hub).await;
    let (code, headers, again) = submit_keyed(hub, Some("retry-1"), &group, &files).await;
    assert_eq!(code, StatusCode::OK, "{again}");
    assert_eq!(again, first, "the retry gets the first answer");
    assert_eq!(headers["idempotency-replayed"], "true");
    assert_eq!(stored(hub).await, after_first, "nothing is stored twice");
    // The same key for other content is a mistake, not a retry.
    let other = [
        files[0].clone(),
        ("sequences", "sequences.fasta.zst", std::fs::read(&sequences).unwrap()[..40].to_vec()),
    ];
    let (code, headers, body) = submit_keyed(hub, Some("retry-1"), &group, &other).await;
    assert_problem("a key reused", code, &headers, &body, StatusCode::CONFLICT, &["retry-1", "new key"]);
    let (code, headers, body) = submit_keyed(hub, Some("bad key with spaces"), &group, &files).await;
    assert_problem("a key with spaces", code, &headers, &body, StatusCode::BAD_REQUEST, &["Idempotency-Key"]);
    // Without a key the same files are a new submission: what the key protects against.
    let (code, _, body) = submit_keyed(hub, None, &group, &files).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(stored(hub).await, after_first + 3);

    // Approve (like revise and revoke) takes a key too: the retry is answered from the first
    // request, the key with another body is refused.
    let approve = |key: &'static str, scope: &'static str| async move {
        let body = serde_json::json!({ "group": GROUP, "scope": scope }).to_string();
        let headers = [("content-type", "application/json"), ("idempotency-key", key)];
        let (code, headers, bytes) = hub
            .call(Method::POST, "/api/sars-cov-2/approve", Some("curator"), &headers, Body::from(body))
            .await;
        (code, headers, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
    };
    let (code, headers, first) = approve("approve-1", "all").await;
    assert_eq!(code, StatusCode::OK, "{first}");
    assert!(headers.get("idempotency-replayed").is_none());
    let (code, headers, again) = approve("approve-1", "all").await;
    assert_eq!((code, &again), (StatusCode::OK, &first), "the retry gets the first answer");
    assert_eq!(headers["idempotency-replayed"], "true");
    let (code, headers, body) = approve("approve-1", "withoutWarnings").await;
    assert_problem(
        "an approve key reused",
        code,
        &headers,
        &body,
        StatusCode::CONFLICT,
        &["approve-1", "new key"],
    );
}

/// How many versions the group has (every status).
async fn stored(hub: &Hub) -> usize {
    let (code, body) = hub.get_json(&format!("/api/sars-cov-2/entries?group={GROUP}"), Some("curator")).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body["entries"].as_array().unwrap().len()
}

/// The process's peak resident memory so far, in bytes (Linux; 0 elsewhere).
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn assert_problem(
    case: &str,
    code: StatusCode,
    headers: &HeaderMap,
    body: &Value,
    status: StatusCode,
    says: &[&str],
) {
    assert_eq!(code, status, "{case}: {body}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json", "{case}");
    let text = body.to_string();
    for s in says {
        assert!(text.contains(s), "{case}: the problem should say {s:?}: {text}");
    }
}

async fn hostile_uploads(hub: &Hub) {
    let (metadata, sequences, names) = example_subset(&hub.shared, hub.dir.path(), 2);
    let meta = std::fs::read(&metadata).unwrap();
    let mut meta_text = String::new();
    flate2::read::GzDecoder::new(&meta[..]).read_to_string(&mut meta_text).unwrap();
    let header_line = meta_text.lines().next().unwrap().to_owned();
    let row_of = |id: &str| {
        let mut cells: Vec<String> =
            meta_text.lines().nth(1).unwrap().split('\t').map(str::to_owned).collect();
        cells[0] = id.to_owned();
        cells.join("\t")
    };
    let table = |ids: &[String]| {
        let mut t = header_line.clone() + "\n";
        for id in ids {
            t += &row_of(id);
            t += "\n";
        }
        t.into_bytes()
    };
    let fasta = std::fs::read(&sequences).unwrap();
    let one = |id: &str| format!(">{id}\nACGTACGTAC\n").into_bytes();
    let group = [("group", GROUP)];
    let before = stored(hub).await;
    let ok_meta = ("metadata", "metadata.tsv.gz", meta.clone());
    let ok_fasta = ("sequences", "sequences.fasta.zst", fasta.clone());
    let first = names[0].clone();

    type Case = (
        &'static str,
        Vec<(&'static str, &'static str)>,
        Vec<(&'static str, &'static str, Vec<u8>)>,
        StatusCode,
        Vec<String>,
    );
    let too_large = StatusCode::PAYLOAD_TOO_LARGE;
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    let cases: Vec<Case> = vec![
        (
            "a billion Ns in one gzip record",
            group.to_vec(),
            vec![
                ok_meta.clone(),
                (
                    "sequences",
                    "bomb.fasta.gz",
                    gzip_repeated(format!(">{first}\n").as_bytes(), b'N', 1 << 30, b"\n"),
                ),
            ],
            too_large,
            vec!["bomb.fasta.gz".into(), first.clone(), "bytes of sequence".into()],
        ),
        (
            "one endless zstd line before any header",
            group.to_vec(),
            vec![
                ok_meta.clone(),
                ("sequences", "endless.fasta.zst", zstd_repeated(b"", b'N', 256 << 20, b"")),
            ],
            unprocessable,
            vec!["endless.fasta.zst".into(), "not FASTA".into()],
        ),
        (
            "a header line of a megabyte",
            group.to_vec(),
            vec![
                ok_meta.clone(),
                ("sequences", "long-header.fasta.gz", gzip_repeated(b">", b'x', 1 << 20, b"\nACGT\n")),
            ],
            too_large,
            vec!["long-header.fasta.gz".into(), "longer than 512 bytes".into()],
        ),
        (
            "a metadata cell of 512 MB (zstd bomb)",
            group.to_vec(),
            vec![
                (
                    "metadata",
                    "bomb.tsv.zst",
                    zstd_repeated(format!("{header_line}\nx").as_bytes(), b'a', 512 << 20, b"\n"),
                ),
                ok_fasta.clone(),
            ],
            too_large,
            vec!["bomb.tsv.zst".into(), "decompressed".into(), (32u64 << 20).to_string()],
        ),
        (
            "a metadata line of 8 MB",
            group.to_vec(),
            vec![
                (
                    "metadata",
                    "long-line.tsv.gz",
                    gzip_repeated(format!("{header_line}\nx").as_bytes(), b'a', 8 << 20, b"\n"),
                ),
                ok_fasta.clone(),
            ],
            too_large,
            vec!["long-line.tsv.gz".into(), "line 2".into(), "longer than".into()],
        ),
        (
            "more metadata rows than a submission may hold",
            group.to_vec(),
            vec![
                ("metadata", "many.tsv", table(&(0..60).map(|i| format!("s{i}")).collect::<Vec<_>>())),
                ok_fasta.clone(),
            ],
            too_large,
            vec!["many.tsv".into(), "more than 50 rows".into()],
        ),
        (
            "more FASTA records than a submission may hold",
            group.to_vec(),
            vec![
                ok_meta.clone(),
                ("sequences", "many.fasta", (0..60).flat_map(|i| one(&format!("r{i}"))).collect()),
            ],
            too_large,
            vec!["many.fasta".into(), "more than 50 records".into()],
        ),
        (
            "a FASTA file that decompresses past the limit in blank lines",
            group.to_vec(),
            vec![
                ok_meta.clone(),
                (
                    "sequences",
                    "blank.fasta.gz",
                    gzip_repeated(format!(">{first}\n").as_bytes(), b'\n', 40 << 20, b""),
                ),
            ],
            too_large,
            vec!["blank.fasta.gz".into(), "decompressed".into()],
        ),
        (
            "files larger than a submission may send",
            group.to_vec(),
            vec![
                ok_meta.clone(),
                ("sequences", "huge.fasta", [b">x\n".as_slice(), &vec![b'A'; 9 << 20]].concat()),
            ],
            too_large,
            vec!["huge.fasta".into(), "larger than".into()],
        ),
        (
            "a group name of 10 KB",
            vec![("group", Box::leak("g".repeat(10_000).into_boxed_str()) as &str)],
            vec![ok_meta.clone(), ok_fasta.clone()],
            too_large,
            vec!["group".into(), "256 bytes".into()],
        ),
        (
            "an unknown form field",
            vec![("group", GROUP), ("evil", "1")],
            vec![ok_meta.clone(), ok_fasta.clone()],
            StatusCode::BAD_REQUEST,
            vec!["evil".into()],
        ),
        (
            "a submission id of 300 bytes",
            group.to_vec(),
            vec![
                ("metadata", "long-id.tsv", table(&["i".repeat(300)])),
                ("sequences", "s.fasta", one(&"i".repeat(300))),
            ],
            unprocessable,
            vec!["submission_id_too_long".into(), "at most 256 bytes".into()],
        ),
        (
            "Latin-1 metadata",
            group.to_vec(),
            vec![
                ("metadata", "latin1.tsv", [header_line.as_bytes(), b"\nZ\xfcrich\n"].concat()),
                ok_fasta.clone(),
            ],
            unprocessable,
            vec!["latin1.tsv".into(), "UTF-8".into()],
        ),
        (
            "UTF-16 metadata",
            group.to_vec(),
            vec![("metadata", "utf16.tsv", b"\xff\xfea\0b\0".to_vec()), ok_fasta.clone()],
            unprocessable,
            vec!["utf16.tsv".into(), "UTF-16".into()],
        ),
        (
            "metadata with NUL bytes",
            group.to_vec(),
            vec![("metadata", "nul.tsv", [header_line.as_bytes(), b"\na\0b\n"].concat()), ok_fasta.clone()],
            unprocessable,
            vec!["nul.tsv".into(), "NUL".into()],
        ),
        (
            "a truncated gzip FASTA",
            group.to_vec(),
            vec![
                ok_meta.clone(),
                ("sequences", "cut.fasta.gz", {
                    let whole = gzip(&fasta_of(&names, 20));
                    whole[..whole.len() / 2].to_vec()
                }),
            ],
            unprocessable,
            vec!["cut.fasta.gz".into()],
        ),
        (
            "a PNG sent as FASTA",
            group.to_vec(),
            vec![ok_meta.clone(), ("sequences", "image.fasta", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec())],
            unprocessable,
            vec!["image.fasta".into(), "not FASTA".into()],
        ),
        (
            "an empty FASTA",
            group.to_vec(),
            vec![ok_meta.clone(), ("sequences", "empty.fasta", Vec::new())],
            unprocessable,
            vec!["empty.fasta".into(), "no FASTA record".into()],
        ),
        (
            "an XLSX that is no spreadsheet",
            group.to_vec(),
            vec![("metadata", "sheet.xlsx", b"PK\x03\x04 not really a zip".to_vec()), ok_fasta.clone()],
            unprocessable,
            vec!["sheet.xlsx".into()],
        ),
        (
            "a metadata file missing",
            group.to_vec(),
            vec![ok_fasta.clone()],
            StatusCode::BAD_REQUEST,
            vec!["metadata".into()],
        ),
    ];
    assert!(cases.len() >= 20);
    for (case, fields, files, status, says) in cases {
        let (code, headers, body) = submit_raw(hub, &fields, &files).await;
        let says: Vec<&str> = says.iter().map(String::as_str).collect();
        assert_problem(case, code, &headers, &body, status, &says);
        assert_eq!(stored(hub).await, before, "{case}: nothing is stored");
    }

    // Not multipart at all, and multipart without its closing boundary.
    let (code, headers, bytes) = hub
        .call(
            Method::POST,
            "/api/sars-cov-2/submit",
            Some("submitter"),
            &[("content-type", "application/json")],
            Body::from("{}"),
        )
        .await;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert!(code.is_client_error(), "{code}");
    assert_problem("a JSON body", code, &headers, &body, code, &[]);
    let broken = "--b\r\ncontent-disposition: form-data; name=\"group\"\r\n\r\nlab";
    let (code, headers, bytes) = hub
        .call(
            Method::POST,
            "/api/sars-cov-2/submit",
            Some("submitter"),
            &[("content-type", "multipart/form-data; boundary=b")],
            Body::from(broken),
        )
        .await;
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_problem(
        "an unterminated multipart body",
        code,
        &headers,
        &body,
        StatusCode::BAD_REQUEST,
        &["multipart"],
    );

    // Nothing is left in the upload folder, and the bombs never came near memory.
    let left: Vec<_> = std::fs::read_dir(hub.dir.path().join("uploads")).unwrap().collect();
    assert!(left.is_empty(), "upload folders left behind: {left:?}");
    assert!(peak_rss() < MAX_PEAK_BYTES, "peak RSS {} bytes", peak_rss());
    // A good submission still goes through.
    let (code, body) = hub.submit("submitter", &metadata, &sequences).await;
    assert_eq!(code, StatusCode::OK, "{body}");
}

/// `n` copies of the first record of the example, renamed.
fn fasta_of(names: &[String], n: usize) -> Vec<u8> {
    (0..n).flat_map(|i| format!(">{}-{i}\n{}\n", names[0], "ACGT".repeat(100)).into_bytes()).collect()
}

async fn hostile_queries(hub: &Hub) {
    // The index over no released genomes yet: every refusal below comes from reading the
    // request, before any row is looked at.
    hub.state.collections().refresh(&hub.store).await;
    let ask = |query: Value| async move {
        let (code, headers, bytes) = hub
            .call(
                Method::POST,
                "/sars-cov-2/sample/aggregated",
                None,
                &[("content-type", "application/json")],
                Body::from(query.to_string()),
            )
            .await;
        (code, headers, String::from_utf8_lossy(&bytes).into_owned())
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        ("é after exactly-", json!({"advancedQuery": "[exactlé-2-of: C241T, A23403G]"}), "advancedQuery"),
        ("ø inside -of:", json!({"advancedQuery": "[2-øf: C241T]"}), "advancedQuery"),
        ("é after ins", json!({"advancedQuery": "insé"}), "advancedQuery"),
        ("a multi-byte letter alone", json!({"advancedQuery": "日本"}), "advancedQuery"),
        ("an emoji after AND", json!({"advancedQuery": "C241T AND🦠"}), "advancedQuery"),
        ("a combining accent after NOT", json!({"advancedQuery": "NOT\u{301} C241T"}), "advancedQuery"),
        ("10,000 nested brackets", json!({"advancedQuery": "(".repeat(10_000)}), "advancedQuery"),
        ("an n-of of 10^20", json!({"advancedQuery": "[99999999999999999999-of: C241T]"}), "advancedQuery"),
        ("an unterminated quote", json!({"advancedQuery": "country='Sw"}), "advancedQuery"),
        ("a mutation past the genome", json!({"nucleotideMutations": ["C99999999T"]}), "99999999"),
        ("an amino acid of an unknown gene", json!({"aminoAcidMutations": ["NOPE:501Y"]}), "NOPE"),
        ("a negative limit", json!({"limit": -1}), "limit"),
        ("a limit past any size", json!({"limit": 1e30}), "limit"),
        ("a date that does not exist", json!({"dateFrom": "2024-02-30"}), "dateFrom"),
        ("an impossible regex", json!({"country.regex": "a{100000}{100000}"}), "country.regex"),
        ("an unknown field", json!({"fields": ["<script>alert(1)</script>"]}), "fields"),
        ("an insertion with no position", json!({"nucleotideInsertions": ["ins_:AAA"]}), "ins_"),
        ("a variantQuery of letters only", json!({"variantQuery": "ÄÖÜ"}), "variantQuery"),
    ];
    for (case, query, names) in cases {
        let (code, headers, text) = ask(query).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{case}: {text}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().contains("json"), "{case}");
        assert!(text.contains(names), "{case}: the error should name {names:?}: {text}");
    }
    // A regex that backtracking engines choke on answers at once (linear-time matching).
    let (code, _, text) = ask(json!({"country.regex": "(a+)+$"})).await;
    assert_eq!(code, StatusCode::OK, "{text}");
    // `/query/parse` answers every query, hostile ones as errors in place.
    let (code, body) = hub
        .json(
            Method::POST,
            "/sars-cov-2/query/parse",
            None,
            json!({ "queries": ["[exactlé-2-of: C241T]", "C241T"] }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["data"].as_array().map(Vec::len), Some(2), "{body}");
}

async fn hostile_web(hub: &Hub) {
    // Redirects after login never leave the site, however `next` is written.
    hub.store.create_user("walker", Some("walker's long password"), false).await.unwrap();
    for next in
        ["/\\evil.example", "//evil.example", "https:evil.example", "/\t/evil.example", "javascript:alert(1)"]
    {
        let mut b = Browser::default();
        let (_, _, page) = b.send(hub, Method::GET, "/login", &[]).await;
        let form = [
            ("name", "walker"),
            ("password", "walker's long password"),
            ("csrf", &csrf_in(&page)),
            ("next", next),
        ];
        let (code, headers, _) = b.send(hub, Method::POST, "/login", &form).await;
        assert_eq!(code, StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(headers[header::LOCATION], "/account", "{next:?}");
    }
    // Every answer carries the browser hardening headers.
    let (_, headers, _) = hub.call(Method::GET, "/", None, &[], Body::empty()).await;
    assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");

    // Password guessing is slowed down: after five failures the account must wait, even
    // with the right password, and the answer says how long.
    hub.store.create_user("target", Some("target's long password"), false).await.unwrap();
    for _ in 0..5 {
        let (code, body) =
            hub.json(Method::POST, "/api/login", None, json!({"name": "target", "password": "guess"})).await;
        assert_eq!(code, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (code, _, bytes) = hub
        .call(
            Method::POST,
            "/api/login",
            None,
            &[("content-type", "application/json")],
            Body::from(json!({"name": "target", "password": "guess"}).to_string()),
        )
        .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{}", String::from_utf8_lossy(&bytes));
    let (code, headers, bytes) = hub
        .call(
            Method::POST,
            "/api/login",
            None,
            &[("content-type", "application/json")],
            Body::from(json!({"name": "target", "password": "target's long password"}).to_string()),
        )
        .await;
    assert_eq!(code, StatusCode::TOO_MANY_REQUESTS, "{}", String::from_utf8_lossy(&bytes));
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");

    // Invalid names and a null where a list belongs are refused.
    let (code, body) = hub.json(Method::POST, "/api/groups", Some("outsider"), json!({"name": ""})).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    let (code, body) =
        hub.json(Method::POST, "/api/groups", Some("outsider"), json!({"name": " padded "})).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    let (code, body) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/approve",
            Some("curator"),
            json!({"group": GROUP, "accessionVersions": null}),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // An accession the caller may not see answers exactly as one that does not exist.
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 1);
    let (code, body) = hub.submit("submitter", &metadata, &sequences).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let hidden = body["entries"][0]["accession"].as_str().unwrap().to_owned();
    let missing = virion_store::Accession::new("VSC", 999_999).unwrap().as_str().to_owned();
    let answers = |accession: String| async move {
        let mut out = Vec::new();
        let (c, b) = hub.get_json(&format!("/api/sars-cov-2/entries/{accession}.1"), Some("outsider")).await;
        out.push((c, b.to_string().replace(&accession, "ACC")));
        for (route, body) in [
            ("revoke", json!({"accessions": [accession.clone()], "comment": "x"})),
            ("data-use-terms", json!({"accessions": [accession.clone()], "dataUseTerms": {"type": "OPEN"}})),
        ] {
            let (c, b) =
                hub.json(Method::POST, &format!("/api/sars-cov-2/{route}"), Some("outsider"), body).await;
            out.push((c, b.to_string().replace(&accession, "ACC")));
        }
        out
    };
    let seen_hidden = answers(hidden).await;
    let seen_missing = answers(missing).await;
    assert_eq!(seen_hidden, seen_missing);
    assert!(seen_hidden.iter().all(|(c, _)| *c == StatusCode::NOT_FOUND), "{seen_hidden:?}");

    // Operations: liveness, readiness (not before the query index is built), metrics.
    let (code, _, _) = hub.call(Method::GET, "/healthz", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let (code, headers, _) = hub.call(Method::GET, "/readyz", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    hub.state.collections().refresh(&hub.store).await;
    let (code, _, _) = hub.call(Method::GET, "/readyz", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    // One address asking faster than its budget waits, and is told how long; another is served.
    let ask_from = |address: &str| {
        let mut req =
            axum::http::Request::builder().uri("/sars-cov-2/sample/info").body(Body::empty()).unwrap();
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(address.parse::<std::net::SocketAddr>().unwrap()));
        tower::ServiceExt::oneshot(hub.app.clone(), req)
    };
    let mut served = 0;
    for _ in 0..20 {
        served += usize::from(ask_from("192.0.2.9:5000").await.unwrap().status() == StatusCode::OK);
    }
    assert_eq!(served, 20);
    let refused = ask_from("192.0.2.9:5001").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(ask_from("192.0.2.10:5000").await.unwrap().status(), StatusCode::OK);

    let (code, _, bytes) = hub.call(Method::GET, "/metrics", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    for expected in [
        "virion_http_request_duration_seconds_bucket{le=",
        "route=\"/api/login\",status=\"429\"",
        "virion_upload_bytes_total ",
        "virion_jobs{name=\"queued\"} 1",
        "virion_query_slots_busy{name=\"heavy\"} 0",
        "virion_index_rows{name=\"sars-cov-2\"} 0",
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }

    // On SQLite the data directory and the database are the service user's alone.
    #[cfg(unix)]
    if hub.dir.path().join("virion.db").exists() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(hub.dir.path()), 0o700);
        assert_eq!(mode(&hub.dir.path().join("virion.db")), 0o600);
    }
}

/// A hub started over a data directory with an upload folder left by a killed process removes
/// it; a fresh one is kept.
#[tokio::test]
async fn stale_upload_folders_are_removed_at_start() {
    let Some(shared) = virion_testdata::shared_data() else { return };
    let dir = tempfile::tempdir().unwrap();
    let uploads = dir.path().join("uploads");
    let (stale, fresh) = (uploads.join("submit-dead"), uploads.join("submit-live"));
    for d in [&stale, &fresh] {
        std::fs::create_dir_all(d.join("sequences")).unwrap();
        std::fs::write(d.join("sequences/s.fasta"), ">a\nACGT\n").unwrap();
    }
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 60 * 60);
    std::fs::File::open(&stale).unwrap().set_modified(old).unwrap();
    let store = virion_store::Store::open_data_dir(dir.path()).await.unwrap();
    let datasets = [(
        "sars-cov-2".to_owned(),
        virion_schema::OrganismDatasets::single(shared.join("nextclade/sars-cov-2")),
    )]
    .into_iter()
    .collect();
    let registry = virion_schema::OrganismRegistry::builtin();
    let _state = virion_server::AppState::with_options(
        store.clone(),
        &registry,
        dir.path(),
        &datasets,
        QueryOptions::default(),
    )
    .await
    .unwrap();
    assert!(!stale.exists(), "the stale upload folder is removed");
    assert!(fresh.exists(), "a recent one may belong to a running upload");
    store.close().await;
}

/// Multipart bodies mangled at random (bytes flipped, cut, repeated, boundaries broken): each
/// is answered with a status below 500 as a problem document, and nothing is stored.
/// `VIRION_MULTIPART_CASES` raises the count for a long run off CI.
async fn mangled_multipart(hub: &Hub) {
    use rand::{Rng, SeedableRng};
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 1);
    let mut form = FormBody::new().text("group", GROUP);
    let files = [std::fs::read(&metadata).unwrap(), std::fs::read(&sequences).unwrap()];
    form = form.file("metadata", "metadata.tsv.gz", files[0].len() as u64);
    form = form.file("sequences", "sequences.fasta.zst", files[1].len() as u64);
    let content_type = form.content_type();
    let readers: Vec<Box<dyn Read + Send>> =
        files.iter().map(|b| Box::new(std::io::Cursor::new(b.clone())) as Box<dyn Read + Send>).collect();
    let mut valid = Vec::new();
    form.into_reader(readers).read_to_end(&mut valid).unwrap();
    let cases: usize =
        std::env::var("VIRION_MULTIPART_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(60);
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let before = stored(hub).await;
    let mut accepted = 0;
    for case in 0..cases {
        let mut body = valid.clone();
        for _ in 0..rng.random_range(1..6) {
            let at = rng.random_range(0..body.len());
            match rng.random_range(0..5) {
                0 => body[at] = rng.random(),
                1 => body.truncate(at),
                2 => body.splice(at..at, std::iter::repeat_n(b'-', rng.random_range(1..80))).for_each(drop),
                3 => body.splice(at..at, b"\r\n--".iter().copied()).for_each(drop),
                _ => {
                    let end = (at + rng.random_range(1..200)).min(body.len());
                    let chunk = body[at..end].to_vec();
                    body.splice(at..at, chunk).for_each(drop);
                }
            }
            if body.is_empty() {
                break;
            }
        }
        let (code, headers, bytes) = hub
            .call(
                Method::POST,
                "/api/sars-cov-2/submit",
                Some("submitter"),
                &[("content-type", &content_type)],
                Body::from(body),
            )
            .await;
        assert!(code.as_u16() < 500, "case {case}: {code} {}", String::from_utf8_lossy(&bytes));
        if code == StatusCode::OK {
            accepted += 1;
        } else {
            assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json", "case {case}");
        }
    }
    // A mangling may leave a valid body (a flipped byte inside a name, say): those are stored.
    assert!(stored(hub).await <= before + accepted);
}
