//! The OpenAPI document describes every route the router serves, with its methods, and
//! nothing else; every reference in it resolves.

use std::collections::BTreeSet;

use serde_json::Value;

const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

#[test]
fn every_route_is_documented() {
    let spec = virion_server::openapi_spec();
    let paths = spec["paths"].as_object().unwrap();
    let mut served = BTreeSet::new();
    // The hub routes, `.route("/api/…", get(…).post(…))` in lib.rs.
    for line in include_str!("../src/lib.rs").lines() {
        let Some(rest) = line.trim().strip_prefix(".route(\"") else { continue };
        let route = rest.split('"').next().unwrap().to_owned();
        let item = paths.get(&route).unwrap_or_else(|| panic!("{route} is not in openapi.json"));
        for method in METHODS {
            let routed = line.contains(&format!("{method}("));
            assert_eq!(
                item.get(method).is_some(),
                routed,
                "{route}: {method} routed {routed}, documented not"
            );
        }
        served.insert(route);
    }
    assert!(served.len() >= 18, "{served:?}");
    // The LAPIS routes, served from the table in lapis/mod.rs under /{organism} and at the root.
    let table = virion_server::lapis::route_paths();
    assert!(table.len() >= 20, "{} LAPIS routes", table.len());
    for (path, methods) in &table {
        for p in [format!("/{{organism}}{path}"), path.to_string()] {
            let item = paths.get(&p).unwrap_or_else(|| panic!("{p} is not in openapi.json"));
            for method in METHODS {
                assert_eq!(item.get(method).is_some(), methods.contains(&method), "{p}: {method}");
            }
            served.insert(p);
        }
    }
    // Every path written in lapis/mod.rs is a route of the table (the catch-alls under the
    // roots end in `/`; format strings hold `{{`).
    let lapis = include_str!("../src/lapis/mod.rs");
    for literal in lapis.split('"').skip(1).step_by(2) {
        if literal.starts_with('/') && !literal.ends_with('/') && !literal.contains("{{") {
            assert!(table.iter().any(|(p, _)| *p == literal), "{literal} is not in the LAPIS table");
        }
    }
    // The federation routes, from their table in federation.rs.
    for (path, methods) in virion_server::federation::route_paths() {
        let item = paths.get(path).unwrap_or_else(|| panic!("{path} is not in openapi.json"));
        for method in METHODS {
            assert_eq!(item.get(method).is_some(), methods.contains(&method), "{path}: {method}");
        }
        served.insert(path.to_owned());
    }
    // The Beacon routes, from their table in beacon.rs.
    for (path, methods) in virion_server::beacon::route_paths() {
        let item = paths.get(path).unwrap_or_else(|| panic!("{path} is not in openapi.json"));
        for method in METHODS {
            assert_eq!(item.get(method).is_some(), methods.contains(&method), "{path}: {method}");
        }
        served.insert(path.to_owned());
    }
    let documented: BTreeSet<String> = paths.keys().cloned().collect();
    assert_eq!(documented, served, "documented routes that are not served, or the other way round");
    assert_eq!(spec["openapi"], "3.1.0");
    assert_eq!(spec["info"]["title"], "Virion hub API");
    assert_eq!(spec["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
}

/// Every `$ref` in `value`, with where it was found.
fn refs<'a>(value: &'a Value, at: String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push((at.clone(), r)),
                    _ => refs(v, format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                refs(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_reference_resolves_and_every_json_body_has_a_schema() {
    let spec = virion_server::openapi_spec();
    let mut found = Vec::new();
    refs(&spec, String::new(), &mut found);
    assert!(found.len() > 50, "{} references", found.len());
    for (at, r) in &found {
        let pointer = r.strip_prefix('#').unwrap_or_else(|| panic!("{at}: {r} is not local"));
        assert!(spec.pointer(pointer).is_some(), "{at}: {r} does not resolve");
    }
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let bodies = op["responses"].as_object().unwrap().values().chain(op.get("requestBody"));
            for body in bodies {
                let body = match body["$ref"].as_str() {
                    Some(r) => spec.pointer(&r[1..]).unwrap(),
                    None => body,
                };
                let Some(content) = body["content"].as_object() else { continue };
                for (media, c) in content {
                    if media.contains("json") {
                        assert!(c.get("schema").is_some(), "{method} {path}: {media} has no schema");
                    }
                }
            }
        }
    }
    // The types the hub writes and reads are named components.
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    for name in
        ["Problem", "Issue", "DataUseTerms", "LoginRequest", "VersionView", "MutationsOverTimeRequest"]
    {
        assert!(schemas.contains_key(name), "no schema {name}");
    }
}
