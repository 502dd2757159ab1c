//! The HTTP API end to end through the router, on SQLite and PostgreSQL: submit real genomes,
//! process them with the real engine, approve, read the released stream.

mod common;

use std::io::{Read, Write};

use axum::body::Body;
use axum::http::{HeaderMap, Method, StatusCode, header};
use common::{Browser, GROUP, Hub, csrf_in, example_subset, lines_of, log_in};
use serde_json::{Value, json};

hub_tests!(
    submit_process_approve_release,
    broken_metadata_rejected_whole,
    roles_and_visibility,
    revoke_terms_tokens_groups,
    lapis_over_released_data,
    portal_accounts,
    portal_edit_and_revise,
    portal_network_admin
);

/// The curator approves every processed version of the group.
async fn approve_all(hub: &Hub) -> (StatusCode, Value) {
    hub.json(
        Method::POST,
        "/api/sars-cov-2/approve",
        Some("curator"),
        json!({ "group": GROUP, "scope": "all" }),
    )
    .await
}

async fn count_with_status(hub: &Hub, status: &str) -> usize {
    let (code, body) = hub
        .get_json(&format!("/api/sars-cov-2/entries?group={GROUP}&status={status}"), Some("curator"))
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    body["entries"].as_array().unwrap().len()
}

async fn submit_process_approve_release(hub: &Hub) {
    let (metadata, sequences, names) = example_subset(&hub.shared, hub.dir.path(), 20);
    let (code, body) = hub.submit("submitter", &metadata, &sequences).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 20);
    assert_eq!(body["entryCount"], 20);
    // Listed in the order they were sent.
    let submitted: Vec<&str> = entries.iter().map(|e| e["submissionId"].as_str().unwrap()).collect();
    let expected: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(submitted, expected);
    assert!(entries.iter().all(|e| e["version"] == 1 && e["accession"].as_str().unwrap().starts_with("VSC")));

    // Nothing is released before processing and approval.
    let (_, _, released) = hub.call(Method::GET, "/api/sars-cov-2/released", None, &[], Body::empty()).await;
    assert!(released.is_empty());

    let start = std::time::Instant::now();
    hub.process_until(2, 600, async || count_with_status(hub, "PROCESSED").await == 20).await;
    eprintln!("processed 20 genomes in {:.1} s", start.elapsed().as_secs_f64());

    let (code, list) = hub.get_json(&format!("/api/sars-cov-2/entries?group={GROUP}"), Some("curator")).await;
    assert_eq!(code, StatusCode::OK);
    let counts = list["statusCounts"].as_array().unwrap();
    let total: i64 = counts.iter().map(|c| c["count"].as_i64().unwrap()).sum();
    assert_eq!(total, 20, "{counts:?}");
    assert!(counts.iter().all(|c| c["status"] == "PROCESSED"), "{counts:?}");

    // A submitter may not approve; the curator may.
    let (code, _) =
        hub.json(Method::POST, "/api/sars-cov-2/approve", Some("submitter"), json!({ "group": GROUP })).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, approved) = approve_all(hub).await;
    assert_eq!(code, StatusCode::OK, "{approved}");
    assert_eq!(approved["approved"].as_array().unwrap().len(), 20);
    assert_eq!(approved["released"], 20);

    let (code, headers, plain) =
        hub.call(Method::GET, "/api/sars-cov-2/released", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "application/x-ndjson");
    let lines: Vec<Value> =
        std::str::from_utf8(&plain).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 20);
    for line in &lines {
        let clade = line["processed"]["clade"].as_str().unwrap_or_default();
        let lineage = line["processed"]["lineage"].as_str().unwrap_or_default();
        assert!(!clade.is_empty() && !lineage.is_empty(), "no clade/lineage: {}", line["accessionVersion"]);
        assert_eq!(line["processed"]["nextclade"]["clade"].as_str(), Some(clade));
        assert!(line["sequence"].as_str().unwrap().len() > 29_000);
        assert_eq!(line["dataUseTerms"]["type"], "OPEN");
    }
    // Wuhan/Hu-1 is the reference: clade 19A.
    if let Some(wuhan) = lines.iter().find(|l| l["metadata"]["submission_id"] == "Wuhan/Hu-1/2019") {
        assert_eq!(wuhan["processed"]["clade"], "19A");
    }

    // The same bytes, zstd-compressed on request; ETag differs by encoding.
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    let (code, zheaders, compressed) = hub
        .call(
            Method::GET,
            "/api/sars-cov-2/released",
            None,
            &[("accept-encoding", "gzip, zstd")],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(zheaders[header::CONTENT_ENCODING], "zstd");
    assert_ne!(zheaders[header::ETAG].to_str().unwrap(), etag);
    assert_eq!(zstd::decode_all(&compressed[..]).unwrap(), plain.to_vec());

    // Unchanged data: 304 for a matching If-None-Match.
    let (code, _, body) = hub
        .call(Method::GET, "/api/sars-cov-2/released", None, &[("if-none-match", &etag)], Body::empty())
        .await;
    assert_eq!(code, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());

    // One version as JSON, FASTA and TSV.
    let av = lines[0]["accessionVersion"].as_str().unwrap();
    let (code, one) = hub.get_json(&format!("/api/sars-cov-2/entries/{av}"), None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(one["status"], "RELEASED");
    let (code, _, fasta) = hub
        .call(Method::GET, &format!("/api/sars-cov-2/entries/{av}?format=fasta"), None, &[], Body::empty())
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(fasta.starts_with(format!(">{av}\n").as_bytes()));
    assert_eq!(&fasta[av.len() + 2..fasta.len() - 1], lines[0]["sequence"].as_str().unwrap().as_bytes());
    let (code, _, tsv) = hub
        .call(Method::GET, &format!("/api/sars-cov-2/entries/{av}?format=tsv"), None, &[], Body::empty())
        .await;
    assert_eq!(code, StatusCode::OK);
    let tsv = String::from_utf8(tsv.to_vec()).unwrap();
    assert!(
        tsv.starts_with("accessionVersion\tstatus\t") && tsv.lines().nth(1).unwrap().starts_with(av),
        "{tsv}"
    );

    // A metadata-only revision of a released entry makes version 2 and changes the ETag once released.
    let accession = lines[0]["accession"].as_str().unwrap();
    let mut metadata = lines[0]["metadata"].clone();
    metadata["division"] = json!("Victoria");
    let (code, revised) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/revise",
            Some("submitter"),
            json!({ "revisions": [{ "accession": accession, "metadata": metadata }] }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{revised}");
    assert_eq!(revised["revised"][0]["version"], 2);
    let (code, v2) = hub.get_json(&format!("/api/sars-cov-2/entries/{accession}.2"), Some("submitter")).await;
    assert_eq!(code, StatusCode::OK, "{v2}");
    assert_eq!(v2["metadata"]["division"], "Victoria");
    assert_eq!(v2["metadata"]["collection_date"], lines[0]["metadata"]["collection_date"]);
}

async fn broken_metadata_rejected_whole(hub: &Hub) {
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 5);
    let lines = lines_of(&metadata);
    let header: Vec<&str> = lines[0].split('\t').collect();
    let date_col = header.iter().position(|h| *h == "date").unwrap();
    let country_col = header.iter().position(|h| *h == "country").unwrap();
    let broken = hub.dir.path().join("broken.tsv");
    let mut out = std::fs::File::create(&broken).unwrap();
    for (i, line) in lines.iter().enumerate() {
        let mut cells: Vec<String> = line.split('\t').map(str::to_owned).collect();
        if i == 2 {
            cells[date_col] = "2020-13-45".into();
        }
        if i == 4 {
            cells[country_col] = "Atlantis".into();
        }
        writeln!(out, "{}", cells.join("\t")).unwrap();
    }
    drop(out);

    let (code, problem) = hub.submit("submitter", &broken, &sequences).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let issues = problem["issues"].as_array().unwrap();
    let date = issues.iter().find(|i| i["value"] == "2020-13-45").unwrap_or_else(|| panic!("{problem:#}"));
    assert_eq!(date["file"], "broken.tsv");
    assert_eq!(date["line"], 3);
    assert!(date["column"].as_str().unwrap().contains("date"), "{date}");
    assert_eq!(date["severity"], "error");
    let country = issues.iter().find(|i| i["value"] == "Atlantis").unwrap_or_else(|| panic!("{problem:#}"));
    assert_eq!(country["line"], 5);
    assert_eq!(country["column"], "country");

    // Nothing of the rejected submission was stored.
    let (code, list) = hub.get_json(&format!("/api/sars-cov-2/entries?group={GROUP}"), Some("curator")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(list["entries"].as_array().unwrap().is_empty(), "{list}");

    // A FASTA record without metadata is named too.
    let mut extra = Vec::new();
    virion_io::open_path(&sequences).unwrap().read_to_end(&mut extra).unwrap();
    extra.extend_from_slice(b">Nobody/1/2020\nACGTACGTACGT\n");
    let extra_path = hub.dir.path().join("extra.fasta");
    std::fs::write(&extra_path, extra).unwrap();
    let (code, problem) = hub.submit("submitter", &metadata, &extra_path).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    let issue = &problem["issues"][0];
    assert_eq!(
        (issue["file"].as_str(), issue["value"].as_str()),
        (Some("extra.fasta"), Some("Nobody/1/2020")),
        "{problem}"
    );
}

async fn roles_and_visibility(hub: &Hub) {
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 2);
    // No token, a wrong token, a consumer, an outsider: none may submit.
    let (code, _, _) = hub.call(Method::POST, "/api/sars-cov-2/submit", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let mut req_headers = vec![("authorization", "Bearer vrn_not-a-token")];
    req_headers.push(("content-type", "application/json"));
    let (code, _, body) = hub.call(Method::GET, "/api/groups", None, &req_headers, Body::empty()).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    let problem: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(problem["status"], 401);
    for user in ["consumer", "outsider"] {
        let (code, body) = hub.submit(user, &metadata, &sequences).await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{user}: {body}");
    }
    let (code, body) = hub.submit("submitter", &metadata, &sequences).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let accession = body["entries"][0]["accession"].as_str().unwrap().to_owned();
    let uri = format!("/api/sars-cov-2/entries/{accession}.1");

    // Unreleased: members (the consumer included) see it; outsiders and the public do not.
    for (user, expected) in [
        (Some("consumer"), StatusCode::OK),
        (Some("submitter"), StatusCode::OK),
        (Some("outsider"), StatusCode::NOT_FOUND),
        (None, StatusCode::NOT_FOUND),
    ] {
        let (code, body) = hub.get_json(&uri, user).await;
        assert_eq!(code, expected, "{user:?}: {body}");
    }
    let (_, list) = hub.get_json(&format!("/api/sars-cov-2/entries?group={GROUP}"), Some("outsider")).await;
    assert!(list["entries"].as_array().unwrap().is_empty());
    let (_, list) = hub.get_json(&format!("/api/sars-cov-2/entries?group={GROUP}"), Some("consumer")).await;
    assert_eq!(list["entries"].as_array().unwrap().len(), 2);
    // The consumer may read but not curate.
    let (code, _) =
        hub.json(Method::POST, "/api/sars-cov-2/discard", Some("consumer"), json!({ "group": GROUP })).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = hub.get_json(&format!("/api/groups/{GROUP}/members"), Some("outsider")).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, members) = hub.get_json(&format!("/api/groups/{GROUP}/members"), Some("consumer")).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(members.as_array().unwrap().len(), 3);
    // The submitter discards its own unprocessed entries.
    let (code, body) =
        hub.json(Method::POST, "/api/sars-cov-2/discard", Some("submitter"), json!({ "group": GROUP })).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["discarded"].as_array().unwrap().len(), 2);

    // Local accounts log in for a token.
    let (code, login) =
        hub.json(Method::POST, "/api/login", None, json!({ "name": "curator", "password": "wrong" })).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED, "{login}");
    // A body that cannot be read is a problem document naming what is wrong, as every hub error.
    let json_type = [("content-type", "application/json")];
    for (headers, body, status, says) in [
        (&json_type[..], "{\"name\": ", StatusCode::BAD_REQUEST, "EOF"),
        (
            &json_type[..],
            "{\"name\": \"curator\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing field `password`",
        ),
        (&[][..], "{}", StatusCode::UNSUPPORTED_MEDIA_TYPE, "application/json"),
    ] {
        let (code, headers, bytes) =
            hub.call(Method::POST, "/api/login", None, headers, Body::from(body)).await;
        assert_eq!(code, status, "{body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json", "{body}");
        let problem: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(problem["status"], status.as_u16(), "{problem}");
        assert!(problem["detail"].as_str().unwrap().contains(says), "{problem}");
    }
    let (code, login) = hub
        .json(Method::POST, "/api/login", None, json!({ "name": "curator", "password": "curator-password" }))
        .await;
    assert_eq!(code, StatusCode::OK);
    let token = login["token"].as_str().unwrap();
    let (code, _, body) = hub
        .call(
            Method::GET,
            "/api/groups",
            None,
            &[("authorization", &format!("Bearer {token}"))],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let groups: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(groups[0]["role"], "curator");
    // Unknown organisms are 404 problems.
    let (code, body) = hub.get_json("/api/no-such-virus/entries", None).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(body["status"], 404);
}

/// Revocation, data use terms, tokens and group membership through the API.
async fn revoke_terms_tokens_groups(hub: &Hub) {
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 2);
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(90)).to_string();
    let terms = [("dataUseTermsType", "RESTRICTED"), ("restrictedUntil", until.as_str())];
    let (code, body) = hub.submit_with("submitter", &metadata, &sequences, &terms).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let accessions: Vec<String> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["accession"].as_str().unwrap().to_owned())
        .collect();
    hub.process_until(2, 600, async || count_with_status(hub, "PROCESSED").await == 2).await;
    let (code, _) = approve_all(hub).await;
    assert_eq!(code, StatusCode::OK);
    let (_, one) = hub.get_json(&format!("/api/sars-cov-2/entries/{}.1", accessions[0]), None).await;
    assert_eq!(one["dataUseTerms"]["type"], "RESTRICTED", "{one}");
    assert_eq!(one["dataUseTerms"]["restrictedUntil"], until.as_str(), "{one}");

    // Terms only become more open: the consumer may not change them; a later date is refused;
    // opening is allowed.
    let change = |terms: Value| json!({ "accessions": [accessions[0]], "dataUseTerms": terms });
    let later = (chrono::Utc::now().date_naive() + chrono::Days::new(200)).to_string();
    let restricted_later = change(json!({ "type": "RESTRICTED", "restrictedUntil": later }));
    let (code, _) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/data-use-terms",
            Some("consumer"),
            change(json!({ "type": "OPEN" })),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, body) =
        hub.json(Method::POST, "/api/sars-cov-2/data-use-terms", Some("submitter"), restricted_later).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    let (code, body) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/data-use-terms",
            Some("submitter"),
            change(json!({ "type": "OPEN" })),
        )
        .await;
    assert_eq!((code, body["changed"].as_i64()), (StatusCode::OK, Some(1)), "{body}");
    let (_, one) = hub.get_json(&format!("/api/sars-cov-2/entries/{}.1", accessions[0]), None).await;
    assert_eq!(one["dataUseTerms"]["type"], "OPEN", "{one}");

    // Revocation (a curator's act): a new version, awaiting approval, then released; version 1
    // stays readable.
    for user in ["outsider", "submitter"] {
        let (code, _) = hub
            .json(
                Method::POST,
                "/api/sars-cov-2/revoke",
                Some(user),
                json!({ "accessions": [accessions[1]] }),
            )
            .await;
        assert_eq!(code, StatusCode::FORBIDDEN, "{user}");
    }
    let (code, body) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/revoke",
            Some("curator"),
            json!({ "accessions": [accessions[1]], "comment": "sample swap" }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["revoked"][0]["version"], 2);
    let (code, body) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/revoke",
            Some("curator"),
            json!({ "accessions": [accessions[1]] }),
        )
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "a pending revocation cannot be revoked again: {body}");
    let (code, _) = approve_all(hub).await;
    assert_eq!(code, StatusCode::OK);
    let (code, v2) = hub.get_json(&format!("/api/sars-cov-2/entries/{}.2", accessions[1]), None).await;
    assert_eq!(code, StatusCode::OK, "{v2}");
    assert_eq!((v2["isRevocation"].as_bool(), v2["status"].as_str()), (Some(true), Some("RELEASED")), "{v2}");
    let (code, v1) = hub.get_json(&format!("/api/sars-cov-2/entries/{}.1", accessions[1]), None).await;
    assert_eq!((code, v1["status"].as_str()), (StatusCode::OK, Some("RELEASED")));

    // Tokens: a new one works; once revoked, it no longer does.
    let (code, created) =
        hub.json(Method::POST, "/api/tokens", Some("consumer"), json!({ "name": "laptop" })).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    let token = created["token"].as_str().unwrap();
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    let (code, _, _) = hub.call(Method::GET, "/api/groups", None, &auth, Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let id = created["tokenId"].as_i64().unwrap();
    let (code, _, _) =
        hub.call(Method::DELETE, &format!("/api/tokens/{id}"), None, &auth, Body::empty()).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, _, _) = hub.call(Method::GET, "/api/groups", None, &auth, Body::empty()).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);

    // Groups: anyone signed in founds one and curates it; only its curator manages members.
    let (code, body) =
        hub.json(Method::POST, "/api/groups", Some("outsider"), json!({ "name": "lab2" })).await;
    assert_eq!(code, StatusCode::CREATED, "{body}");
    let (code, _) = hub
        .json(
            Method::PUT,
            "/api/groups/lab2/members/consumer",
            Some("submitter"),
            json!({ "role": "submitter" }),
        )
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, _) = hub
        .json(
            Method::PUT,
            "/api/groups/lab2/members/consumer",
            Some("outsider"),
            json!({ "role": "submitter" }),
        )
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, members) = hub.get_json("/api/groups/lab2/members", Some("consumer")).await;
    assert_eq!(code, StatusCode::OK);
    let roles: Vec<(&str, &str)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["user"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert!(
        roles.contains(&("consumer", "submitter")) && roles.contains(&("outsider", "curator")),
        "{members}"
    );
    let (code, _, _) = hub
        .call(Method::DELETE, "/api/groups/lab2/members/consumer", Some("outsider"), &[], Body::empty())
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, _) = hub.get_json("/api/groups/lab2/members", Some("consumer")).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
}

/// The LAPIS API over released data agrees with the released records themselves.
async fn lapis_over_released_data(hub: &Hub) {
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 30);
    let (code, body) = hub.submit("submitter", &metadata, &sequences).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    hub.process_until(2, 600, async || count_with_status(hub, "PROCESSED").await == 30).await;
    // Nothing released yet: the index is empty.
    hub.state.collections().refresh(&hub.store).await;
    let (code, agg) = hub.get_json("/sars-cov-2/sample/aggregated", None).await;
    assert_eq!((code, &agg["data"]), (StatusCode::OK, &json!([{ "count": 0 }])), "{agg}");
    let (code, _) = approve_all(hub).await;
    assert_eq!(code, StatusCode::OK);
    hub.state.collections().refresh(&hub.store).await;

    let (_, _, released) = hub.call(Method::GET, "/api/sars-cov-2/released", None, &[], Body::empty()).await;
    let records: Vec<Value> = String::from_utf8(released.to_vec())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 30);

    // Counts, grouped counts (GET and POST JSON), details.
    let (code, agg) = hub.get_json("/sars-cov-2/sample/aggregated", None).await;
    assert_eq!(code, StatusCode::OK, "{agg}");
    assert_eq!(agg["data"], json!([{ "count": 30 }]));
    assert!(agg["info"]["dataVersion"].is_string(), "{agg}");
    let (code, by_country) = hub
        .json(
            Method::POST,
            "/sars-cov-2/sample/aggregated",
            None,
            json!({ "fields": ["country"], "orderBy": ["country"] }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{by_country}");
    let rows = by_country["data"].as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["count"].as_u64().unwrap()).sum::<u64>(), 30);
    let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
    for r in &records {
        *expected.entry(r["metadata"]["country"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let got: std::collections::BTreeMap<String, u64> = rows
        .iter()
        .map(|r| (r["country"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, expected);
    let (code, details) =
        hub.get_json("/sars-cov-2/sample/details?fields=accessionVersion,country&limit=5", None).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(details["data"].as_array().unwrap().len(), 5);

    // A substitution's count equals the released records that carry it.
    let first_sub = records
        .iter()
        .find_map(|r| {
            r["processed"]["nextclade"]["substitutions"].as_array().and_then(|s| s.first().cloned())
        })
        .unwrap();
    let pos = first_sub["pos"].as_u64().unwrap();
    let text = format!(
        "{}{}{}",
        first_sub["refNuc"].as_str().unwrap(),
        pos + 1,
        first_sub["qryNuc"].as_str().unwrap()
    );
    let carriers = records
        .iter()
        .filter(|r| {
            r["processed"]["nextclade"]["substitutions"].as_array().is_some_and(|s| {
                s.iter().any(|x| x["pos"] == first_sub["pos"] && x["qryNuc"] == first_sub["qryNuc"])
            })
        })
        .count();
    let (_, n) =
        hub.get_json(&format!("/sars-cov-2/sample/aggregated?nucleotideMutations={text}"), None).await;
    assert_eq!(n["data"][0]["count"], carriers, "{text}: {n}");
    let (code, muts) =
        hub.get_json("/sars-cov-2/sample/nucleotideMutations?minProportion=0.0001", None).await;
    assert_eq!(code, StatusCode::OK);
    let row = muts["data"].as_array().unwrap().iter().find(|m| m["mutation"] == text.as_str()).unwrap();
    assert_eq!(row["count"], carriers, "{row}");
    assert!(row["coverage"].as_u64().unwrap() >= carriers as u64);
    let (code, aa) = hub.get_json("/sars-cov-2/sample/aminoAcidMutations?minProportion=0.5", None).await;
    assert_eq!(code, StatusCode::OK, "{aa}");
    assert!(aa["data"].as_array().unwrap().iter().any(|m| m["mutation"] == "S:D614G"), "{aa}");
    let (code, adv) =
        hub.get_json("/sars-cov-2/sample/aggregated?advancedQuery=S:D614G%20%7C%20!S:D614G", None).await;
    assert_eq!((code, &adv["data"][0]["count"]), (StatusCode::OK, &json!(30)), "{adv}");

    // Time series: each cell equals the matching aggregated count; coverage ≥ count.
    let ranges = json!([{ "dateFrom": "2020-01-01", "dateTo": "2020-03-31" }, { "dateFrom": "2020-04-01" }]);
    let (code, series) = hub
        .json(
            Method::POST,
            "/sars-cov-2/component/aminoAcidMutationsOverTime",
            None,
            json!({ "filters": {}, "includeMutations": ["S:D614G", "S:614"], "dateRanges": ranges, "dateField": "collection_date" }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{series}");
    let (_, q1) = hub
        .get_json("/sars-cov-2/sample/aggregated?aminoAcidMutations=S:D614G&collection_dateFrom=2020-01-01&collection_dateTo=2020-03-31", None)
        .await;
    assert_eq!(series["data"]["data"][0][0]["count"], q1["data"][0]["count"], "{series}");
    assert!(series["data"]["data"][0][0]["coverage"].as_u64() >= q1["data"][0]["count"].as_u64());
    let (_, all_in_range) =
        hub.get_json("/sars-cov-2/sample/aggregated?collection_dateFrom=2020-04-01", None).await;
    assert_eq!(series["data"]["totalCountsByDateRange"][1], all_in_range["data"][0]["count"], "{series}");
    let (code, queries) = hub
        .json(
            Method::POST,
            "/sars-cov-2/component/queriesOverTime",
            None,
            json!({ "filters": {}, "queries": [{ "displayLabel": "D614G", "countQuery": "S:D614G", "coverageQuery": "S:614G | S:614D" }],
                    "dateRanges": ranges, "dateField": "collection_date" }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{queries}");
    assert_eq!(queries["data"]["queries"], json!(["D614G"]));
    assert_eq!(queries["data"]["data"][0][0]["count"], q1["data"][0]["count"]);
    let (code, parsed) = hub
        .json(Method::POST, "/query/parse", None, json!({ "queries": ["S:D614G & country=USA", "((("] }))
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        (parsed["data"][0]["type"].as_str(), parsed["data"][1]["type"].as_str()),
        (Some("success"), Some("failure"))
    );
    // LAPIS's shapes: an AND's children reversed, the gene's name and the symbol as letters.
    assert_eq!(
        parsed["data"][0]["filter"],
        json!({ "type": "And", "children": [
            { "column": "country", "value": "USA", "type": "StringEquals" },
            { "sequenceName": "S", "position": 614, "symbol": "G", "type": "AminoAcidEquals" },
        ] }),
        "{parsed}"
    );
    let (_, checked) = hub
        .json(
            Method::POST,
            "/sars-cov-2/query/parse",
            None,
            json!({ "queries": ["999999A"], "doFullValidation": true }),
        )
        .await;
    assert_eq!(checked["data"][0]["type"], "failure", "{checked}");
    assert!(checked["data"][0]["error"].as_str().unwrap().contains("out of bounds"), "{checked}");
    // Grouped by the letter at a position.
    let (code, by_letter) = hub.get_json("/sars-cov-2/sample/aggregated?fields=S[614]", None).await;
    assert_eq!(code, StatusCode::OK, "{by_letter}");
    let total: u64 = by_letter["data"].as_array().unwrap().iter().map(|r| r["count"].as_u64().unwrap()).sum();
    assert!(total > 0 && by_letter["data"][0].get("S[614]").is_some(), "{by_letter}");
    let (_, reference) = hub.get_json("/sars-cov-2/sample/referenceGenome", None).await;
    assert_eq!(reference["nucleotideSequences"][0]["sequence"].as_str().unwrap().len(), 29903);
    assert!(reference["genes"].as_array().unwrap().iter().any(|g| g["name"] == "S"), "{reference}");
    let (_, config) = hub.get_json("/sars-cov-2/sample/databaseConfig", None).await;
    let fields = config["schema"]["metadata"].as_array().unwrap();
    assert!(fields.iter().any(|f| f["name"] == "collection_date" && f["type"] == "date"), "{config}");

    lapis_formats_and_sequences(hub, &records).await;
    lapis_phylo(hub, &records).await;
    portal_pages(hub, &records).await;

    // A revision replaces its entry's row; a revocation hides the entry (appended, not rebuilt).
    let first_acc = records[0]["accession"].as_str().unwrap().to_owned();
    let second_acc = records[1]["accession"].as_str().unwrap().to_owned();
    let mut metadata = records[0]["metadata"].clone();
    metadata["country"] = json!("Iceland");
    let (code, body) = hub
        .json(
            Method::POST,
            "/api/sars-cov-2/revise",
            Some("submitter"),
            json!({ "revisions": [{ "accession": first_acc, "metadata": metadata }] }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, body) = hub
        .json(Method::POST, "/api/sars-cov-2/revoke", Some("curator"), json!({ "accessions": [second_acc] }))
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    hub.process_until(1, 600, async || count_with_status(hub, "PROCESSED").await == 2).await;
    // Before approval a group member's token already sees the revision; the public does not.
    hub.state.collections().refresh(&hub.store).await;
    let (_, public) = hub.get_json("/sars-cov-2/sample/aggregated?country=Iceland", None).await;
    assert_eq!(public["data"][0]["count"], 0, "{public}");
    let (_, member) = hub.get_json("/sars-cov-2/sample/aggregated?country=Iceland", Some("submitter")).await;
    assert_eq!(member["data"][0]["count"], 1, "{member}");
    let (_, member_all) = hub.get_json("/sars-cov-2/sample/aggregated", Some("submitter")).await;
    assert_eq!(member_all["data"][0]["count"], 30, "the revision replaces its released row: {member_all}");
    let (_, outsider) = hub.get_json("/sars-cov-2/sample/aggregated?country=Iceland", Some("outsider")).await;
    assert_eq!(outsider["data"][0]["count"], 0, "{outsider}");
    let (code, _) = approve_all(hub).await;
    assert_eq!(code, StatusCode::OK);
    hub.state.collections().refresh(&hub.store).await;
    let (_, agg) = hub.get_json("/sars-cov-2/sample/aggregated", None).await;
    assert_eq!(agg["data"][0]["count"], 29, "{agg}");
    let (_, iceland) =
        hub.get_json("/sars-cov-2/sample/details?country=Iceland&fields=accessionVersion", None).await;
    assert_eq!(iceland["data"], json!([{ "accessionVersion": format!("{first_acc}.2") }]), "{iceland}");
    let (_, gone) =
        hub.get_json(&format!("/sars-cov-2/sample/aggregated?accession={second_acc}"), None).await;
    assert_eq!(gone["data"][0]["count"], 0, "{gone}");
    // The released revision joined the tree (appended, not rebuilt): alone, it is its own MRCA.
    let (code, mrca) = hub
        .get_json(
            &format!("/sars-cov-2/sample/mostRecentCommonAncestor?phyloTreeField=accessionVersion&accession={first_acc}"),
            None,
        )
        .await;
    assert_eq!(
        (code, &mrca["data"][0]["mrcaNode"]),
        (StatusCode::OK, &json!(format!("{first_acc}.2"))),
        "{mrca}"
    );

    // CSV; hostile and malformed requests are 400s naming the parameter.
    let (code, _, csv) = hub
        .call(
            Method::GET,
            "/sars-cov-2/sample/aggregated?fields=country&dataFormat=csv",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(String::from_utf8(csv.to_vec()).unwrap().starts_with("country,count\n"));
    for (query, named) in [
        ("nucleotideMutations=C99999T", "nucleotideMutations"),
        ("nosuchfield=1", "nosuchfield"),
        ("country.regex=(", "country.regex"),
        ("advancedQuery=(((", "advancedQuery"),
        ("limit=-1", "limit"),
        ("fields=nosuch", "nosuch"),
    ] {
        let (code, err) = hub.get_json(&format!("/sars-cov-2/sample/aggregated?{query}"), None).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{query}: {err}");
        assert!(err["error"]["detail"].as_str().unwrap().contains(named), "{query}: {err}");
    }
}

/// The reference tree's parent of each node, by name (tree.json of the dataset).
fn reference_parents(hub: &Hub) -> std::collections::HashMap<String, Option<String>> {
    let text = std::fs::read_to_string(hub.datasets["sars-cov-2"].segments[0].1.join("tree.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    let mut parents = std::collections::HashMap::new();
    let mut stack: Vec<(&Value, Option<String>)> = vec![(&json["tree"], None)];
    while let Some((node, parent)) = stack.pop() {
        let name = node["name"].as_str().unwrap().to_owned();
        for child in node["children"].as_array().into_iter().flatten() {
            stack.push((child, Some(name.clone())));
        }
        parents.insert(name, parent);
    }
    parents
}

/// A node and its ancestors, nearest first.
fn lineage_of(parents: &std::collections::HashMap<String, Option<String>>, node: &str) -> Vec<String> {
    let mut path = vec![node.to_owned()];
    while let Some(Some(p)) = parents.get(path.last().unwrap()) {
        path.push(p.clone());
    }
    path
}

/// LAPIS's phylogenetic queries over the hub's tree (the reference tree with each released
/// genome attached under its nearest node, named by accession version), checked against the
/// reference tree and the placements in the released records.
async fn lapis_phylo(hub: &Hub, records: &[Value]) {
    let parents = reference_parents(hub);
    let placed: Vec<(String, String)> = records
        .iter()
        .filter_map(|r| {
            let node = r["processed"]["nextclade"]["nearestNodeName"].as_str()?;
            Some((r["accessionVersion"].as_str().unwrap().to_owned(), node.to_owned()))
        })
        .collect();
    assert!(placed.len() >= 28, "most genomes are placed: {}", placed.len());
    let unplaced = (records.len() - placed.len()) as u64;
    // The MRCA of genomes under two or more distinct leaves: the lowest reference node on
    // every one of their nearest nodes' paths to the root.
    let mrca_of = |nodes: &[&str]| -> String {
        let paths: Vec<Vec<String>> = nodes.iter().map(|n| lineage_of(&parents, n)).collect();
        paths[0].iter().find(|a| paths.iter().all(|p| p.contains(a))).unwrap().clone()
    };
    let base = "/sars-cov-2/sample";

    // databaseConfig names the tree field.
    let (_, config) = hub.get_json(&format!("{base}/databaseConfig"), None).await;
    let fields = config["schema"]["metadata"].as_array().unwrap();
    let tree_fields: Vec<&str> = fields
        .iter()
        .filter(|f| f["isPhyloTreeField"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(tree_fields, ["accessionVersion"], "{config}");

    // Every released genome: the MRCA of all their nearest nodes.
    let all_nodes: Vec<&str> = placed.iter().map(|p| p.1.as_str()).collect();
    let (code, mrca) = hub
        .get_json(
            &format!(
                "{base}/mostRecentCommonAncestor?phyloTreeField=accessionVersion&printNodesNotInTree=true"
            ),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{mrca}");
    assert_eq!(mrca["data"][0]["mrcaNode"], json!(mrca_of(&all_nodes)), "{mrca}");
    assert_eq!(mrca["data"][0]["missingNodeCount"], json!(unplaced), "{mrca}");
    eprintln!("{} genomes in the tree, their MRCA {}", placed.len(), mrca["data"][0]["mrcaNode"]);
    assert!(mrca["info"]["dataVersion"].is_string(), "{mrca}");

    // Two genomes on different nodes (POST JSON, a filter on the tree field itself).
    let (a, b) = placed
        .iter()
        .flat_map(|x| placed.iter().map(move |y| (x, y)))
        .find(|(x, y)| x.1 != y.1)
        .expect("genomes on two nodes");
    let (code, two) = hub
        .json(
            Method::POST,
            &format!("{base}/mostRecentCommonAncestor"),
            None,
            json!({ "phyloTreeField": "accessionVersion", "printNodesNotInTree": true,
                    "accessionVersion": [a.0, b.0, "NOT_IN_TREE.1"] }),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{two}");
    let lca = mrca_of(&[&a.1, &b.1]);
    assert_eq!(
        two["data"],
        json!([{ "mrcaNode": lca, "missingNodeCount": 0, "missingFromTree": "" }]),
        "{two}"
    );
    // CSV, as LAPIS writes it.
    let (code, _, csv) = hub
        .call(
            Method::GET,
            &format!("{base}/mostRecentCommonAncestor?phyloTreeField=accessionVersion&accessionVersion={},{}&dataFormat=csv", a.0, b.0),
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(
        String::from_utf8(csv.to_vec()).unwrap(),
        format!("mrcaNode,missingNodeCount,missingFromTree\n{lca},0,\n")
    );

    // Their subtree: the two leaves under their MRCA (the path to each contracted).
    let (code, headers, newick) = hub
        .call(
            Method::GET,
            &format!("{base}/phyloSubtree?phyloTreeField=accessionVersion&accessionVersion={},{}", a.0, b.0),
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/x-nh;charset=UTF-8");
    assert!(headers.contains_key("lapis-data-version"));
    let newick = String::from_utf8(newick.to_vec()).unwrap();
    assert!(newick.starts_with('(') && newick.ends_with(&format!("){lca};")), "{newick}");
    assert!(newick.contains(&format!("{}:", a.0)) && newick.contains(&format!("{}:", b.0)), "{newick}");
    // Nothing in the tree: an empty Newick; one genome: its name.
    let (_, _, empty) = hub
        .call(
            Method::GET,
            &format!("{base}/phyloSubtree?phyloTreeField=accessionVersion&accessionVersion=NOPE.1"),
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert!(empty.is_empty());
    let (_, headers, one) = hub
        .call(
            Method::GET,
            &format!(
                "{base}/phyloSubtree?phyloTreeField=accessionVersion&accessionVersion={}&downloadAsFile=true",
                a.0
            ),
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(String::from_utf8(one.to_vec()).unwrap(), format!("{};", a.0));
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=phyloSubtree.nwk; filename*=UTF-8''phyloSubtree.nwk"
    );

    // The descendant filter: genomes placed on a node or below it in the reference tree.
    let node = &a.1;
    let below: std::collections::BTreeSet<&str> = placed
        .iter()
        .filter(|(_, n)| lineage_of(&parents, n).contains(node))
        .map(|(av, _)| av.as_str())
        .collect();
    let (code, details) = hub
        .get_json(
            &format!("{base}/details?fields=accessionVersion&accessionVersion.phyloDescendantOf={node}"),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{details}");
    let got: std::collections::BTreeSet<&str> =
        details["data"].as_array().unwrap().iter().map(|r| r["accessionVersion"].as_str().unwrap()).collect();
    assert_eq!(got, below, "{node}");
    let advanced = format!("accessionVersion.PhyloDescendantOf='{node}'");
    let (_, by_query) = hub
        .json(Method::POST, &format!("{base}/aggregated"), None, json!({ "advancedQuery": advanced }))
        .await;
    assert_eq!(by_query["data"][0]["count"], json!(below.len()), "{by_query}");
    // The root holds every placed genome; the MRCA of a node's descendants lies at or below it.
    let root = lineage_of(&parents, node).last().unwrap().clone();
    let (_, under_root) =
        hub.get_json(&format!("{base}/aggregated?accessionVersion.phyloDescendantOf={root}"), None).await;
    assert_eq!(under_root["data"][0]["count"], json!(placed.len()), "{under_root}");
    let (_, parsed) = hub
        .json(
            Method::POST,
            "/sars-cov-2/query/parse",
            None,
            json!({ "queries": [advanced], "doFullValidation": true }),
        )
        .await;
    assert_eq!(
        parsed["data"][0]["filter"],
        json!({ "column": "accessionVersion", "internalNode": node, "type": "PhyloDescendantOf" }),
        "{parsed}"
    );

    // A restart: the snapshot (written when the index was first built, before any release)
    // holds the reference tree; catching up attaches the genomes released since, under their
    // nearest nodes, and answers as before.
    let (index, _) = virion_index::snapshot::read(&hub.dir.path().join("index/sars-cov-2.vix")).unwrap();
    assert_eq!(index.phylo().expect("the snapshot holds the tree").tree().node_count(), parents.len());
    let restarted = virion_server::AppState::new(
        hub.store.clone(),
        &virion_schema::OrganismRegistry::builtin(),
        hub.dir.path(),
        &hub.datasets,
    )
    .await
    .unwrap();
    restarted.collections().refresh(&hub.store).await;
    let view = restarted.collections().view(&hub.store, Some("sars-cov-2"), None).await.unwrap();
    {
        let ix = view.collection();
        let tree = ix.index().phylo().expect("a tree after the restart").tree();
        for (av, node) in &placed {
            let leaf = tree.node(av).unwrap_or_else(|| panic!("{av} is not in the tree"));
            assert_eq!(tree.parent(leaf).and_then(|p| tree.name(p)), Some(node.as_str()), "{av}");
        }
        assert_eq!(tree.node_count(), parents.len() + placed.len());
    }
    let again = view
        .run(|parts, _, budget| {
            let req = virion_query::LapisRequest {
                phylo_tree_field: Some("accessionVersion".into()),
                ..Default::default()
            };
            virion_query::execute::most_recent_common_ancestor(parts, &req, budget)
        })
        .await
        .unwrap();
    assert_eq!(Some(json!(again.mrca_node)), mrca["data"][0].get("mrcaNode").cloned());

    // Refusals: LAPIS's and SILO's messages.
    for (query, message) in [
        (
            "details?accessionVersion.phyloDescendantOf=NO_SUCH_NODE",
            "The node 'NO_SUCH_NODE' does not exist in the phylogenetic tree of column 'accessionVersion'",
        ),
        (
            "mostRecentCommonAncestor?phyloTreeField=country",
            "'country' is not a phylo tree field, known phylo tree fields are [accessionVersion]",
        ),
        ("phyloSubtree", "phyloTreeField is required"),
        ("phyloSubtree?phyloTreeField=accessionVersion&dataFormat=json", "NEWICK"),
    ] {
        let (code, err) = hub.get_json(&format!("{base}/{query}"), None).await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{query}: {err}");
        assert!(err["error"]["detail"].as_str().unwrap().contains(message), "{query}: {err}");
    }
}

/// Routes and formats beyond counting, over 30 released records: the default organism, insertions,
/// sequences as FASTA/NDJSON/JSON, random order stable across routes, compression, TSV-ESCAPED.
async fn lapis_formats_and_sequences(hub: &Hub, records: &[Value]) {
    let (code, default) = hub.get_json("/sample/aggregated", None).await;
    assert_eq!((code, &default["data"]), (StatusCode::OK, &json!([{ "count": 30 }])), "{default}");

    // Insertions: each count is the number of released records carrying it (LAPIS numbers the
    // position after which the bases are inserted, 1-based: Nextclade's `pos` + 1).
    let mut expected: std::collections::BTreeMap<String, u64> = Default::default();
    for r in records {
        let mut seen = std::collections::BTreeSet::new();
        for i in r["processed"]["nextclade"]["insertions"].as_array().into_iter().flatten() {
            seen.insert(format!("ins_{}:{}", i["pos"].as_u64().unwrap() + 1, i["ins"].as_str().unwrap()));
        }
        for s in seen {
            *expected.entry(s).or_default() += 1;
        }
    }
    let (code, ins) = hub.get_json("/sars-cov-2/sample/nucleotideInsertions", None).await;
    assert_eq!(code, StatusCode::OK, "{ins}");
    let got: std::collections::BTreeMap<String, u64> = ins["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["insertion"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, expected);
    if let Some((text, n)) = expected.iter().next() {
        let (_, c) =
            hub.get_json(&format!("/sars-cov-2/sample/aggregated?nucleotideInsertions={text}"), None).await;
        assert_eq!(c["data"][0]["count"], *n, "{text}: {c}");
        let wildcard = format!("{}?", text.split(':').next().unwrap());
        let (code, c) = hub
            .json(
                Method::POST,
                "/sars-cov-2/sample/aggregated",
                None,
                json!({ "nucleotideInsertions": [format!("{wildcard}:?")] }),
            )
            .await;
        assert_eq!(code, StatusCode::OK, "{c}");
        assert!(c["data"][0]["count"].as_u64().unwrap() >= *n, "{wildcard}: {c}");
    }
    let (code, aa_ins) = hub.get_json("/sars-cov-2/sample/aminoAcidInsertions", None).await;
    assert_eq!(code, StatusCode::OK, "{aa_ins}");

    // Aligned sequences: FASTA by default, one record per genome, reference length.
    let (code, headers, fasta) = hub
        .call(
            Method::GET,
            "/sars-cov-2/sample/alignedNucleotideSequences?limit=3&orderBy=random(7)",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/x-fasta"));
    let fasta = String::from_utf8(fasta.to_vec()).unwrap();
    let fasta_ids: Vec<&str> = fasta.lines().filter_map(|l| l.strip_prefix('>')).collect();
    assert_eq!(fasta_ids.len(), 3, "{fasta}");
    for seq in fasta.lines().filter(|l| !l.starts_with('>')) {
        assert_eq!(seq.len(), 29903);
    }
    // The same seed orders details the same way.
    let (_, details) = hub
        .get_json("/sars-cov-2/sample/details?limit=3&orderBy=random(7)&fields=accessionVersion", None)
        .await;
    let detail_ids: Vec<&str> =
        details["data"].as_array().unwrap().iter().map(|r| r["accessionVersion"].as_str().unwrap()).collect();
    assert_eq!(fasta_ids, detail_ids);
    let (_, again) = hub
        .get_json("/sars-cov-2/sample/details?limit=3&orderBy=random(7)&fields=accessionVersion", None)
        .await;
    assert_eq!(details["data"], again["data"]);
    // A page of the random order (a bounded heap) is the start of the whole order (a sort).
    let (_, whole) =
        hub.get_json("/sars-cov-2/sample/details?orderBy=random(7)&fields=accessionVersion", None).await;
    assert_eq!(whole["data"].as_array().unwrap()[..3], details["data"].as_array().unwrap()[..]);

    // NDJSON and JSON carry the primary key and the sequence; unaligned is the submitted genome.
    let id = detail_ids[0];
    let (code, _, nd) = hub
        .call(
            Method::GET,
            &format!(
                "/sars-cov-2/sample/unalignedNucleotideSequences?accessionVersion={id}&dataFormat=NDJSON"
            ),
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let nd = String::from_utf8(nd.to_vec()).unwrap();
    let lines: Vec<Value> = nd.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{nd}");
    assert_eq!(lines[0].as_object().unwrap().len(), 2, "{nd}");
    assert_eq!(lines[0]["accessionVersion"], id);
    let unaligned = lines[0].as_object().unwrap().iter().find(|(k, _)| *k != "accessionVersion").unwrap().1;
    let unaligned = unaligned.as_str().unwrap();
    assert!(unaligned.len() > 29_000 && !unaligned.contains('-'), "{}", unaligned.len());
    let (code, as_json) = hub
        .get_json(
            &format!("/sars-cov-2/sample/alignedAminoAcidSequences/S?accessionVersion={id}&dataFormat=JSON"),
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{as_json}");
    assert_eq!(as_json[0]["accessionVersion"], id, "{as_json}");
    assert_eq!(as_json[0]["S"].as_str().unwrap().len(), 1274, "{as_json}");

    // Compression: as a file when asked by parameter, as a transfer encoding when accepted.
    let (code, headers, gz) = hub
        .call(Method::GET, "/sars-cov-2/sample/aggregated?compression=gzip", None, &[], Body::empty())
        .await;
    assert_eq!(code, StatusCode::OK);
    assert!(headers.get(header::CONTENT_ENCODING).is_none(), "{headers:?}");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&gz[..]).read_to_string(&mut text).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap()["data"], json!([{ "count": 30 }]));
    let (code, headers, z) = hub
        .call(
            Method::GET,
            "/sars-cov-2/sample/aggregated",
            None,
            &[("accept-encoding", "zstd")],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_ENCODING], "zstd");
    let plain: Value = serde_json::from_slice(&zstd::decode_all(&z[..]).unwrap()).unwrap();
    assert_eq!(plain["data"], json!([{ "count": 30 }]));

    // TSV-ESCAPED and a file name for downloads.
    let (code, headers, tsv) = hub
        .call(
            Method::GET,
            "/sars-cov-2/sample/details?fields=accessionVersion,country&dataFormat=TSV-ESCAPED&downloadAsFile=true&downloadFileBasename=mine",
            None,
            &[],
            Body::empty(),
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let tsv = String::from_utf8(tsv.to_vec()).unwrap();
    assert!(tsv.starts_with("accessionVersion\tcountry\n"), "{tsv}");
    assert_eq!(tsv.lines().count(), 31);
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=mine.tsv; filename*=UTF-8''mine.tsv",
        "{headers:?}"
    );
    assert_eq!(headers[header::CONTENT_TYPE], "text/tab-separated-values;charset=UTF-8");

    // Content types as LAPIS labels them; a table without its header row is plain text; a
    // downloaded JSON table is the bare array.
    for (uri, content_type) in [
        ("/sars-cov-2/sample/aggregated", "application/json"),
        ("/sars-cov-2/sample/aggregated?dataFormat=CSV", "text/csv;charset=UTF-8"),
        ("/sars-cov-2/sample/aggregated?dataFormat=CSV-WITHOUT-HEADERS", "text/plain"),
        ("/sars-cov-2/sample/alignedAminoAcidSequences/S?limit=1", "text/x-fasta;charset=UTF-8"),
        (
            "/sars-cov-2/sample/alignedAminoAcidSequences/S?limit=1&dataFormat=NDJSON",
            "application/x-ndjson;charset=UTF-8",
        ),
        (
            "/sars-cov-2/sample/alignedAminoAcidSequences/S?limit=1&dataFormat=JSON",
            "application/json;charset=UTF-8",
        ),
        ("/sars-cov-2/sample/aggregated?compression=zstd", "application/zstd"),
    ] {
        let (code, headers, _) = hub.call(Method::GET, uri, None, &[], Body::empty()).await;
        assert_eq!(
            (code, headers[header::CONTENT_TYPE].to_str().unwrap()),
            (StatusCode::OK, content_type),
            "{uri}"
        );
    }
    let (_, headers, file) = hub
        .call(Method::GET, "/sars-cov-2/sample/aggregated?downloadAsFile=true", None, &[], Body::empty())
        .await;
    assert_eq!(serde_json::from_slice::<Value>(&file).unwrap(), json!([{ "count": 30 }]));
    assert_eq!(
        headers[header::CONTENT_DISPOSITION],
        "attachment; filename=aggregated.json; filename*=UTF-8''aggregated.json"
    );

    // Filters: a JSON null asks for null, several values of a date any of them.
    let (code, nulls) =
        hub.json(Method::POST, "/sars-cov-2/sample/aggregated", None, json!({ "country": null })).await;
    assert_eq!((code, &nulls["data"]), (StatusCode::OK, &json!([{ "count": 0 }])), "{nulls}");
    let (_, dates) = hub
        .get_json(
            "/sars-cov-2/sample/aggregated?fields=collection_date&limit=2&orderBy=collection_date",
            None,
        )
        .await;
    let two: Vec<&str> =
        dates["data"].as_array().unwrap().iter().filter_map(|r| r["collection_date"].as_str()).collect();
    let both: u64 = dates["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["collection_date"].is_string())
        .map(|r| r["count"].as_u64().unwrap())
        .sum();
    let (code, any) = hub
        .json(Method::POST, "/sars-cov-2/sample/aggregated", None, json!({ "collection_date": two }))
        .await;
    assert_eq!((code, any["data"][0]["count"].as_u64()), (StatusCode::OK, Some(both)), "{any}");

    // Under a LAPIS root an unknown route is a problem, never a portal page; health is up.
    for uri in ["/sample/nosuch", "/sars-cov-2/sample/nosuch", "/sars-cov-2/component/nosuch"] {
        let (code, headers, body) = hub.call(Method::GET, uri, None, &[], Body::empty()).await;
        assert_eq!(
            (code, headers[header::CONTENT_TYPE].to_str().unwrap()),
            (StatusCode::NOT_FOUND, "application/problem+json"),
            "{uri}"
        );
        let problem: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!((problem["status"].as_u64(), problem["instance"].as_str()), (Some(404), Some(uri)));
    }
    let (code, health) = hub.get_json("/actuator/health", None).await;
    assert_eq!((code, health["status"].as_str()), (StatusCode::OK, Some("UP")), "{health}");
    assert_eq!(health["components"]["collections"]["details"]["sars-cov-2"]["sequenceCount"], 30, "{health}");

    // FASTA header templates as LAPIS reads them: fields without regard to case, `{.gene}` for
    // amino acids only, an unknown field or a non-FASTA format refused with LAPIS's words.
    let fasta = |uri: String| {
        let hub = &hub;
        async move {
            let (code, _, body) = hub.call(Method::GET, &uri, None, &[], Body::empty()).await;
            (code, String::from_utf8(body.to_vec()).unwrap())
        }
    };
    let (code, text) = fasta(format!(
        "/sars-cov-2/sample/alignedAminoAcidSequences/S?accessionVersion={id}&fastaHeaderTemplate=x={{ACCESSIONVERSION}}|{{.gene}}|{{country}}"
    ))
    .await;
    assert_eq!(code, StatusCode::OK, "{text}");
    let country = text.lines().next().unwrap().rsplit('|').next().unwrap().to_owned();
    assert_eq!(text.lines().next().unwrap(), format!(">x={id}|S|{country}"), "{text}");
    for (template, format, wanted) in [
        (
            "{nosuch}",
            "",
            "Invalid FASTA header template: 'nosuch' is not a valid metadata field. Available fields: ",
        ),
        (
            "{.segment}",
            "",
            "Invalid FASTA header template: '.segment' is only valid for nucleotide sequences.",
        ),
        (
            "{country}",
            "&dataFormat=JSON",
            "fastaHeaderTemplate is only applicable for FASTA format, but received: {country}",
        ),
    ] {
        let (code, err) = hub
            .get_json(
                &format!(
                    "/sars-cov-2/sample/alignedAminoAcidSequences/S?fastaHeaderTemplate={template}{format}"
                ),
                None,
            )
            .await;
        assert_eq!(code, StatusCode::BAD_REQUEST, "{err}");
        assert!(err["error"]["detail"].as_str().unwrap().starts_with(wanted), "{err}");
    }
    // Without a gene, every gene in the reference's order, each headed `{key}|{gene}`.
    let (code, text) =
        fasta(format!("/sars-cov-2/sample/alignedAminoAcidSequences?accessionVersion={id}")).await;
    assert_eq!(code, StatusCode::OK, "{text}");
    let headers: Vec<&str> = text.lines().filter(|l| l.starts_with('>')).collect();
    assert!(headers.len() > 5 && headers.contains(&format!(">{id}|S").as_str()), "{headers:?}");

    // `info` says what LAPIS says, in its order.
    let (_, info) = hub.get_json("/sars-cov-2/sample/info", None).await;
    let (_, answer) = hub.get_json("/sars-cov-2/sample/aggregated", None).await;
    let keys: Vec<&str> = answer["info"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["dataVersion", "requestId", "requestInfo", "reportTo", "lapisVersion", "siloVersion"],
        "{answer}"
    );
    let request_info = answer["info"]["requestInfo"].as_str().unwrap();
    assert!(request_info.contains(" at 20") && info["siloVersion"].is_string(), "{answer} {info}");

    // The lineage definition in YAML (the default) and JSON, the same lineages in each.
    let uri = "/sars-cov-2/sample/lineageDefinition/nextcladePangoLineage";
    let (code, _, yaml) = hub.call(Method::GET, uri, None, &[], Body::empty()).await;
    let yaml = String::from_utf8(yaml.to_vec()).unwrap();
    assert_eq!(code, StatusCode::OK, "{yaml}");
    assert!(yaml.starts_with("---\n") && yaml.contains("  parents:\n  - \""), "{yaml}");
    let (code, _, as_json) =
        hub.call(Method::GET, uri, None, &[("accept", "application/json")], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    let as_json: Value = serde_json::from_slice(&as_json).unwrap();
    let labels = as_json.as_object().unwrap();
    assert_eq!(labels.len(), yaml.lines().filter(|l| !l.starts_with(' ') && *l != "---").count(), "{yaml}");
    assert!(labels.values().any(|v| v["parents"].is_array()), "{as_json}");

    // Unknown genes and sequences name what is wrong: in the path a route that does not exist
    // (LAPIS has one per gene), in `genes` a bad parameter.
    let (code, err) = hub.get_json("/sars-cov-2/sample/alignedAminoAcidSequences/NOSUCH", None).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{err}");
    assert!(err["error"]["detail"].as_str().unwrap().contains("NOSUCH"), "{err}");
    let (code, err) = hub.get_json("/sars-cov-2/sample/alignedAminoAcidSequences?genes=NOSUCH", None).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{err}");
    assert!(err["error"]["detail"].as_str().unwrap().contains("NOSUCH"), "{err}");
    let (code, err) = hub.get_json("/sars-cov-2/sample/aggregated?limit=1000000000000", None).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{err}");
    let (code, err) = hub.get_json("/nosuchorganism/sample/aggregated", None).await;
    assert_eq!(code, StatusCode::NOT_FOUND, "{err}");
}

async fn page(hub: &Hub, uri: &str) -> (StatusCode, HeaderMap, String) {
    let (code, headers, body) = hub.call(Method::GET, uri, None, &[], Body::empty()).await;
    (code, headers, String::from_utf8(body.to_vec()).unwrap())
}

/// The portal's pages over the same released data: home, search (filters, facets, paging,
/// the quick search box), record pages and their downloads; bad filters answer 400 with the
/// reason on the page.
async fn portal_pages(hub: &Hub, records: &[Value]) {
    let (code, headers, css) = page(hub, "/assets/portal.css").await;
    assert_eq!(code, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
    assert!(css.contains(":root"));

    // One organism: the front page is its home.
    let (code, _, home) = page(hub, "/").await;
    assert_eq!(code, StatusCode::OK, "{home}");
    assert!(home.contains(r#"data-testid="released-count">30<"#), "{home}");
    let (_, _, home) = page(hub, "/sars-cov-2").await;
    assert!(home.contains("Latest releases"));

    let lineage_of = |r: &Value| r["processed"]["lineage"].as_str().map(str::to_owned);
    let lineage = records.iter().find_map(lineage_of).unwrap();
    let with_lineage = records.iter().filter(|r| lineage_of(r).as_deref() == Some(lineage.as_str())).count();
    let (code, _, found) = page(hub, &format!("/sars-cov-2/search?nextcladePangoLineage={lineage}")).await;
    assert_eq!(code, StatusCode::OK, "{found}");
    assert!(found.contains(&format!(r#"data-testid="result-count">{with_lineage}<"#)), "{found}");
    // Every listed row links to its record; facets list the lineage with its count.
    assert_eq!(found.matches(r#"<td><a href="/seq/"#).count(), with_lineage);
    assert!(found.contains(&format!(r#"value="{lineage}""#)));
    // A facet ignores its own field's filter: another country stays one click away.
    let country_of = |r: &Value| r["metadata"]["country"].as_str().map(str::to_owned);
    let country = records.iter().find_map(country_of).unwrap();
    let other = records.iter().filter_map(country_of).find(|c| *c != country).unwrap();
    let (_, _, by_country) =
        page(hub, &format!("/sars-cov-2/search?country={}", country.replace(' ', "+"))).await;
    let link = virion_portal::query_string(&[("country", other.as_str())]);
    assert!(by_country.contains(&format!("/sars-cov-2/search?{link}")), "{other}: {by_country}");
    // Open data only: nothing is restricted, so the downloads carry no terms filter.
    assert!(
        !found.contains("dataUseTerms=OPEN&amp;downloadAsFile") && !found.contains("restricted-use"),
        "{found}"
    );

    // Paging: two rows a page.
    let (_, _, paged) = page(hub, "/sars-cov-2/search?pageSize=2&page=2&orderBy=accessionVersion").await;
    assert_eq!(paged.matches(r#"<td><a href="/seq/"#).count(), 2);
    assert!(paged.contains("Page 2 of 15"), "{paged}");

    // The quick search box: a lineage, a mutation, an accession.
    let (code, headers, _) = page(hub, &format!("/sars-cov-2/search?q={lineage}")).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert_eq!(headers[header::LOCATION], format!("/sars-cov-2/search?nextcladePangoLineage={lineage}"));
    let (_, headers, _) = page(hub, "/sars-cov-2/search?q=S%3AD614G").await;
    assert_eq!(headers[header::LOCATION], "/sars-cov-2/search?aminoAcidMutations=S%3AD614G");
    let (_, headers, _) = page(hub, "/sars-cov-2/search?q=C241T").await;
    assert_eq!(headers[header::LOCATION], "/sars-cov-2/search?nucleotideMutations=C241T");
    let accession = records[0]["accession"].as_str().unwrap().to_owned();
    let version = records[0]["version"].as_i64().unwrap();
    let (_, headers, _) = page(hub, &format!("/sars-cov-2/search?q={accession}")).await;
    assert_eq!(headers[header::LOCATION], format!("/seq/{accession}"));

    // A bad filter: 400, the reason on the page, the form still there.
    let (code, _, bad) = page(hub, "/sars-cov-2/search?nucleotideMutations=C241X").await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(bad.contains("nucleotideMutations") && bad.contains(r#"role="alert""#), "{bad}");

    // Record pages: the accession alone opens the latest version.
    let (code, headers, _) = page(hub, &format!("/seq/{accession}")).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    let av = format!("{accession}.{version}");
    assert_eq!(headers[header::LOCATION], format!("/seq/{av}"));
    let (code, _, rec) = page(hub, &format!("/seq/{av}")).await;
    assert_eq!(code, StatusCode::OK, "{rec}");
    assert!(rec.contains("application/ld+json") && rec.contains("Nucleotide substitutions"));
    if let Some(l) = lineage_of(&records[0]) {
        assert!(rec.contains(&format!(
            r#"data-testid="lineage"><a href="/sars-cov-2/search?nextcladePangoLineage={l}""#
        )));
    }
    // Its place in the tree: a search for the genomes placed on the same node or below, which
    // finds it.
    if let Some(node) = records[0]["processed"]["nextclade"]["nearestNodeName"].as_str() {
        let link = format!(
            "/sars-cov-2/search?advancedQuery=accessionVersion.phyloDescendantOf%3D%27{}%27",
            node.replace('/', "%2F")
        );
        assert!(rec.contains(&format!(r#"<code>{node}</code>"#)) && rec.contains(&link), "{rec}");
        let (code, _, near) = page(hub, &link).await;
        assert_eq!(code, StatusCode::OK, "{near}");
        assert!(near.contains(&format!(r#"href="/seq/{av}""#)), "{near}");
        // The genome on the reference tree, for Auspice: a tip below the node it was placed on,
        // its private mutations on its branch.
        let tree_link = format!("/seq/{av}.auspice.json");
        assert!(rec.contains(&format!(r#"href="{tree_link}""#)), "{rec}");
        let (code, headers, tree) = page(hub, &tree_link).await;
        assert_eq!(code, StatusCode::OK, "{tree}");
        assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(".auspice.json"));
        let tree: serde_json::Value = serde_json::from_str(&tree).unwrap();
        fn find<'a>(
            n: &'a serde_json::Value,
            name: &str,
            parent: Option<&'a str>,
        ) -> Option<(Option<&'a str>, &'a serde_json::Value)> {
            if n["name"] == name {
                return Some((parent, n));
            }
            n["children"].as_array()?.iter().find_map(|c| find(c, name, n["name"].as_str()))
        }
        let (parent, tip) = find(&tree["tree"], &av, None).expect("the genome is a tip of the tree");
        let parent = parent.unwrap();
        assert!(parent == node || parent == format!("{node}__with_placed_queries"), "{parent} vs {node}");
        assert_eq!(tip["node_attrs"]["Node type"]["value"], "New");
        let private = &records[0]["processed"]["nextclade"]["privateNucMutations"];
        let branch = tip["branch_attrs"]["mutations"]["nuc"].as_array().unwrap().len();
        let expected = private["privateSubstitutions"].as_array().unwrap().len()
            + private["privateDeletions"].as_array().unwrap().len();
        assert_eq!(branch, expected, "{tip}");
    }
    let (code, headers, fasta) = page(hub, &format!("/seq/{av}.fa")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(fasta.starts_with(&format!(">{av}\n")));
    assert!(headers[header::CONTENT_DISPOSITION].to_str().unwrap().contains(&format!("{av}.fa")));
    let (code, _, tsv) = page(hub, &format!("/seq/{av}.tsv")).await;
    assert_eq!(code, StatusCode::OK);
    assert!(tsv.starts_with("accessionVersion\tstatus"));
    // A single-segment organism's rows carry no sequence name, as LAPIS answers (GenSpectrum's
    // components would otherwise show every mutation as `main:C241T`); genes are named.
    let (_, nuc) = hub.get_json("/sars-cov-2/sample/nucleotideMutations?minProportion=0.5", None).await;
    let nuc = nuc["data"].as_array().unwrap();
    assert!(!nuc.is_empty() && nuc.iter().all(|m| m["sequenceName"].is_null()), "{nuc:?}");
    let (_, aa) = hub.get_json("/sars-cov-2/sample/aminoAcidMutations?minProportion=0.5", None).await;
    assert!(aa["data"].as_array().unwrap().iter().all(|m| m["sequenceName"].is_string()), "{aa}");
    let (code, _, dashboard) = page(hub, "/sars-cov-2/dashboard").await;
    assert_eq!(code, StatusCode::OK);
    assert!(dashboard.contains(r#"<gs-app lapis="http://localhost/sars-cov-2">"#), "{dashboard}");

    let (code, headers, xlsx) =
        hub.call(Method::GET, "/sars-cov-2/templates/template.xlsx", None, &[], Body::empty()).await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml") && xlsx.starts_with(b"PK")
    );
    let (code, _, tsv) = page(hub, "/sars-cov-2/templates/template.tsv").await;
    assert!(code == StatusCode::OK && tsv.lines().count() == 2, "{tsv}");

    let (code, _, docs) = page(hub, "/api/docs").await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        docs.contains("<code>/{organism}/sample/aggregated</code>") && docs.contains("/api/openapi.json")
    );
    let (code, _, missing) = page(hub, "/seq/VSC999999999.1").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert!(missing.contains("No such sequence"));
}

/// Sign up, log in and out, groups, members and tokens through the portal's forms, with
/// their CSRF tokens; the JSON API does not honour the session cookie.
async fn portal_accounts(hub: &Hub) {
    let mut b = Browser::default();
    let (code, _, page) = b.send(hub, Method::GET, "/signup", &[]).await;
    assert_eq!(code, StatusCode::OK);
    let csrf = csrf_in(&page);
    // Every problem is named next to its field; nothing is created.
    let (code, _, page) = b
        .send(
            hub,
            Method::POST,
            "/signup",
            &[("name", "a b"), ("password", "short"), ("confirm", "x"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["f-name-error", "f-password-error", "f-confirm-error"] {
        assert!(page.contains(field), "{field}: {page}");
    }
    // A form from elsewhere (no matching CSRF cookie) is refused.
    let mut stranger = Browser::default();
    let pass = [
        ("name", "mallory"),
        ("password", "long enough pw"),
        ("confirm", "long enough pw"),
        ("csrf", "0123"),
    ];
    let (code, _, _) = stranger.send(hub, Method::POST, "/signup", &pass).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    // The curator's name is taken.
    let taken =
        [("name", "curator"), ("password", "long enough pw"), ("confirm", "long enough pw"), ("csrf", &csrf)];
    let (code, _, page) = b.send(hub, Method::POST, "/signup", &taken).await;
    assert_eq!(code, StatusCode::CONFLICT, "{page}");

    let ok = [
        ("name", "bob"),
        ("password", "bob's long password"),
        ("confirm", "bob's long password"),
        ("csrf", &csrf),
    ];
    let (code, headers, _) = b.send(hub, Method::POST, "/signup", &ok).await;
    assert_eq!((code, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/account"));
    assert!(b.cookies.contains_key("virion_session"));
    let (code, _, page) = b.send(hub, Method::GET, "/account", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(page.contains("Account: bob") && page.contains("Account (bob)"), "{page}");
    let csrf = csrf_in(&page);

    // The session cookie is for pages only: the JSON API wants a bearer token.
    let (code, _, _) = b.send(hub, Method::GET, "/api/groups", &[]).await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);

    let (code, _, page) =
        b.send(hub, Method::POST, "/account/groups", &[("name", "bobs-lab"), ("csrf", "forged")]).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(page.contains("form expired"));
    let (_, _, page) =
        b.send(hub, Method::POST, "/account/groups", &[("name", "bobs-lab"), ("csrf", &csrf)]).await;
    assert!(page.contains("Group bobs-lab created") && page.contains("Group bobs-lab"), "{page}");
    let member = [("group", "bobs-lab"), ("user", "consumer"), ("role", "consumer"), ("csrf", &csrf)];
    let (_, _, page) = b.send(hub, Method::POST, "/account/members", &member).await;
    assert!(page.contains("consumer is now consumer of bobs-lab"), "{page}");
    let (_, _, page) =
        b.send(hub, Method::POST, "/account/tokens", &[("name", "laptop"), ("csrf", &csrf)]).await;
    let at = page.find(r#"data-testid="new-token">"#).unwrap() + r#"data-testid="new-token">"#.len();
    let token = page[at..].split('<').next().unwrap().to_owned();
    let (code, groups) = hub
        .call(
            Method::GET,
            "/api/groups",
            None,
            &[("authorization", &format!("Bearer {token}"))],
            Body::empty(),
        )
        .await
        .pipe_json();
    assert_eq!(code, StatusCode::OK);
    assert!(groups.to_string().contains("bobs-lab"), "{groups}");

    // Log out: the session token is revoked, the cookie cleared.
    let session = b.cookies["virion_session"].clone();
    let (code, _, _) = b.send(hub, Method::POST, "/logout", &[("csrf", &csrf)]).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert!(!b.cookies.contains_key("virion_session"));
    b.cookies.insert("virion_session".into(), session);
    let (code, headers, _) = b.send(hub, Method::GET, "/account", &[]).await;
    assert_eq!(
        (code, headers[header::LOCATION].to_str().unwrap()),
        (StatusCode::SEE_OTHER, "/login?next=/account")
    );

    // Log in again, with the password.
    b.cookies.remove("virion_session");
    let (_, _, page) = b.send(hub, Method::GET, "/login", &[]).await;
    let csrf = csrf_in(&page);
    let (code, _, page) = b
        .send(
            hub,
            Method::POST,
            "/login",
            &[("name", "bob"), ("password", "wrong password"), ("csrf", &csrf)],
        )
        .await;
    assert_eq!(code, StatusCode::UNAUTHORIZED);
    assert!(page.contains("wrong password"));
    let (code, headers, _) = b
        .send(
            hub,
            Method::POST,
            "/login",
            &[
                ("name", "bob"),
                ("password", "bob's long password"),
                ("csrf", &csrf),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    // Logged in, and kept on this site whatever `next` says.
    assert_eq!((code, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/account"));
    let (code, _, _) = b.send(hub, Method::GET, "/account", &[]).await;
    assert_eq!(code, StatusCode::OK);
}

/// The edit form's fields as (name, value) pairs, as a browser would send them back.
fn form_fields(page: &str) -> Vec<(String, String)> {
    let unescape = |v: &str| {
        v.replace("&quot;", "\"")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&#39;", "'")
            .replace("&amp;", "&")
    };
    page.split(r#"name="field:"#)
        .skip(1)
        .map(|rest| {
            let name = rest.split('"').next().unwrap().to_owned();
            let value = rest.split(r#"value=""#).nth(1).unwrap().split('"').next().unwrap();
            (format!("field:{name}"), unescape(value))
        })
        .collect()
}

/// Fixing an unreleased row on the portal's edit form (processed again under the same
/// version), and revising a released one (a new version); bad values are named beside their
/// fields and change nothing.
async fn portal_edit_and_revise(hub: &Hub) {
    let (metadata, sequences, _) = example_subset(&hub.shared, hub.dir.path(), 2);
    // Restricted data, so the search page's download dialog has something to leave out.
    let until = (chrono::Utc::now().date_naive() + chrono::Days::new(30)).to_string();
    let terms = [("dataUseTermsType", "RESTRICTED"), ("restrictedUntil", until.as_str())];
    let (code, body) = hub.submit_with("submitter", &metadata, &sequences, &terms).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let av = format!("{}.1", body["entries"][0]["accession"].as_str().unwrap());
    hub.process_until(2, 600, async || count_with_status(hub, "PROCESSED").await == 2).await;

    let (code, headers, _) =
        Browser::default().send(hub, Method::GET, &format!("/sars-cov-2/edit/{av}"), &[]).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert!(headers[header::LOCATION].to_str().unwrap().starts_with("/login?next="));
    let mut b = log_in(hub, "curator", "curator-password").await;
    let (_, _, review) = b.send(hub, Method::GET, &format!("/sars-cov-2/review?group={GROUP}"), &[]).await;
    assert!(review.contains(&format!("/sars-cov-2/edit/{av}")), "{review}");
    let (code, _, form) = b.send(hub, Method::GET, &format!("/sars-cov-2/edit/{av}"), &[]).await;
    assert_eq!(code, StatusCode::OK, "{form}");
    let csrf = csrf_in(&form);
    let fields = form_fields(&form);
    assert!(fields.iter().any(|(k, v)| k == "field:country" && !v.is_empty()), "{fields:?}");
    let post = |changes: &[(&str, &str)]| {
        let mut f: Vec<(String, String)> =
            fields.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).cloned().collect();
        f.extend(changes.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        f.push(("csrf".into(), csrf.clone()));
        f
    };
    let send = async |b: &mut Browser, f: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.send(hub, Method::POST, &format!("/sars-cov-2/edit/{av}"), &pairs).await
    };

    // A bad country: named beside its field; nothing changes.
    let (code, _, page) = send(&mut b, post(&[("field:country", "Atlantis")])).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("Nothing was saved") && page.contains(r#"aria-invalid="true""#), "{page}");
    assert!(page.contains("Atlantis"), "the bad value is kept in the form");
    // A sequence box holding two records is refused too.
    let (code, _, page) = send(&mut b, post(&[("sequence", ">a\nACGT\n>b\nACGT")])).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("more than one FASTA record"), "{page}");
    let (_, entry) = hub.get_json(&format!("/api/sars-cov-2/entries/{av}"), Some("curator")).await;
    assert_eq!(entry["status"], "PROCESSED");

    // A good edit: saved, processed again, then approved.
    let (code, headers, _) = send(&mut b, post(&[("field:division", "Edited division")])).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert!(headers[header::LOCATION].to_str().unwrap().contains("processed+again"), "{headers:?}");
    let (_, entry) = hub.get_json(&format!("/api/sars-cov-2/entries/{av}"), Some("curator")).await;
    assert_eq!(
        (entry["status"].as_str(), entry["metadata"]["division"].as_str()),
        (Some("RECEIVED"), Some("Edited division"))
    );
    hub.process_until(2, 600, async || count_with_status(hub, "PROCESSED").await == 2).await;
    let (code, _) = approve_all(hub).await;
    assert_eq!(code, StatusCode::OK);

    // Downloads: open data by default, the restricted ones counted and offered with their terms.
    hub.state.collections().refresh(&hub.store).await;
    let (code, _, search) = b.send(hub, Method::GET, "/sars-cov-2/search", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(search.contains("Download 0 open sequences"), "{search}");
    assert!(search.contains("restricted-use sequences are left out") && search.contains(&until), "{search}");
    assert!(search.contains("dataUseTerms=OPEN&amp;downloadAsFile=true"), "{search}");
    let (code, _, _) = b.send(hub, Method::GET, "/sars-cov-2/download?file=unaligned", &[]).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "the terms must be accepted");
    let (code, headers, _) = b
        .send(
            hub,
            Method::GET,
            "/sars-cov-2/download?country=Nowhere&file=metadata-tsv&compression=zstd&acceptTerms=yes",
            &[],
        )
        .await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    assert_eq!(
        headers[header::LOCATION],
        "/sars-cov-2/sample/details?country=Nowhere&dataFormat=tsv&compression=zstd&downloadAsFile=true"
    );
    let (_, n) = hub.get_json("/sars-cov-2/sample/aggregated?dataUseTerms=RESTRICTED", None).await;
    assert_eq!(n["data"][0]["count"], 2, "{n}");
    let (_, n) = hub
        .get_json(&format!("/sars-cov-2/sample/aggregated?dataUseTermsRestrictedUntil={until}"), None)
        .await;
    assert_eq!(n["data"][0]["count"], 2, "{n}");

    // Revising the released entry from its record page makes version 2.
    let (_, _, record) = b.send(hub, Method::GET, &format!("/seq/{av}"), &[]).await;
    assert!(record.contains("Revise this sequence"), "{record}");
    let (_, _, form) = b.send(hub, Method::GET, &format!("/sars-cov-2/edit/{av}"), &[]).await;
    assert!(form.contains("Revise ") && form.contains("Submit revision"), "{form}");
    let (code, _, _) = send(&mut b, post(&[("field:division", "Revised division")])).await;
    assert_eq!(code, StatusCode::SEE_OTHER);
    let next = av.replace(".1", ".2");
    let (code, v2) = hub.get_json(&format!("/api/sars-cov-2/entries/{next}"), Some("curator")).await;
    assert_eq!(code, StatusCode::OK, "{v2}");
    assert_eq!(v2["metadata"]["division"], "Revised division");
    // Version 1 is no longer the newest: its form is refused.
    let (code, _, _) = b.send(hub, Method::GET, &format!("/sars-cov-2/edit/{av}"), &[]).await;
    assert_eq!(code, StatusCode::CONFLICT);
}

trait PipeJson {
    fn pipe_json(self) -> (StatusCode, Value);
}

impl PipeJson for (StatusCode, HeaderMap, axum::body::Bytes) {
    fn pipe_json(self) -> (StatusCode, Value) {
        (self.0, serde_json::from_slice(&self.2).unwrap_or(Value::Null))
    }
}

/// Logs `name` in through the portal's form; the browser keeps the session.
/// An instance administrator adds a peer, sets a share, adds and removes a mirror and removes
/// the peer through the network page's forms; what they change is what `virion admin` reads. A
/// curator sees no forms and is refused; bad values are named.
async fn portal_network_admin(hub: &Hub) {
    use virion_federation::{Identity, Level, Peers};
    let data_dir = hub.state.data_dir().to_owned();
    Identity::init(&data_dir, "here", "http://127.0.0.1:9").unwrap();
    let other = tempfile::tempdir().unwrap();
    let key = Identity::init(other.path(), "fr", "http://127.0.0.1:8").unwrap().public_key().to_string();
    hub.store.create_user("root", Some("root's long password"), true).await.unwrap();

    let mut curator = log_in(hub, "curator", "curator-password").await;
    let (code, _, page) = curator.send(hub, Method::GET, "/network", &[]).await;
    assert_eq!(code, StatusCode::OK);
    assert!(!page.contains("Administer the network"), "a curator sees no forms");
    let curator_csrf = {
        let (_, _, account) = curator.send(hub, Method::GET, "/account", &[]).await;
        csrf_in(&account)
    };
    let add = [("name", "fr"), ("url", "http://127.0.0.1:8"), ("key", key.as_str()), ("csrf", &curator_csrf)];
    let (code, _, _) = curator.send(hub, Method::POST, "/network/peers", &add).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    assert!(Peers::load(&data_dir).unwrap().peers.is_empty());

    let mut root = log_in(hub, "root", "root's long password").await;
    let (_, _, page) = root.send(hub, Method::GET, "/network", &[]).await;
    assert!(page.contains("Administer the network"), "{page}");
    let csrf = csrf_in(&page);
    let forged = [("name", "fr"), ("url", "http://127.0.0.1:8"), ("key", key.as_str()), ("csrf", "forged")];
    let (code, _, page) = root.send(hub, Method::POST, "/network/peers", &forged).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(page.contains("form expired"));
    let bad = [("name", "fr"), ("url", "http://127.0.0.1:8"), ("key", "not a key"), ("csrf", &csrf)];
    let (code, _, page) = root.send(hub, Method::POST, "/network/peers", &bad).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("key"), "{page}");
    let add = [("name", "fr"), ("url", "http://127.0.0.1:8"), ("key", key.as_str()), ("csrf", &csrf)];
    let (code, _, page) = root.send(hub, Method::POST, "/network/peers", &add).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    assert!(page.contains("Peer fr added") && page.contains("http://127.0.0.1:8"), "{page}");

    let share = [
        ("peer", "fr"),
        ("organism", "sars-cov-2"),
        ("level", "records"),
        ("min_cell", "5"),
        ("csrf", &csrf),
    ];
    let (code, _, page) = root.send(hub, Method::POST, "/network/shares", &share).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    assert_eq!(Peers::load(&data_dir).unwrap().get("fr").unwrap().share("sars-cov-2").level, Level::Records);
    let zero = [
        ("peer", "fr"),
        ("organism", "sars-cov-2"),
        ("level", "aggregates"),
        ("min_cell", "0"),
        ("csrf", &csrf),
    ];
    let (code, _, page) = root.send(hub, Method::POST, "/network/shares", &zero).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("min-cell"), "{page}");

    let taken = [("peer", "fr"), ("organism", "sars-cov-2"), ("as", "sars-cov-2"), ("csrf", &csrf)];
    let (code, _, _) = root.send(hub, Method::POST, "/network/mirrors", &taken).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "a hub organism's name is not a mirror's");
    let mirror = [("peer", "fr"), ("organism", "sars-cov-2"), ("as", ""), ("csrf", &csrf)];
    let (code, _, page) = root.send(hub, Method::POST, "/network/mirrors", &mirror).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    assert!(page.contains("sars-cov-2-fr") && page.contains("Stop mirroring"), "{page}");
    let peers = Peers::load(&data_dir).unwrap();
    assert_eq!(
        peers.mirrors().map(|(_, o, l)| (o, l)).collect::<Vec<_>>(),
        [("sars-cov-2", "sars-cov-2-fr")]
    );
    let stop = [("peer", "fr"), ("organism", "sars-cov-2"), ("csrf", &csrf)];
    let (code, _, _) = root.send(hub, Method::POST, "/network/mirrors/remove", &stop).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(Peers::load(&data_dir).unwrap().mirrors().count(), 0);

    let remove = [("name", "fr"), ("csrf", &csrf)];
    let (code, _, page) = root.send(hub, Method::POST, "/network/peers/remove", &remove).await;
    assert_eq!(code, StatusCode::OK, "{page}");
    assert!(Peers::load(&data_dir).unwrap().peers.is_empty());
}
