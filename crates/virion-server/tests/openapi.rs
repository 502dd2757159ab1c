//! The OpenAPI document describes every route the router serves.

use std::collections::BTreeSet;

#[test]
fn every_route_is_documented() {
    let source = concat!(include_str!("../src/lib.rs"), include_str!("../src/lapis/mod.rs"));
    let spec = virion_server::openapi_spec();
    let paths = spec["paths"].as_object().unwrap();
    let mut routes = BTreeSet::new();
    for line in source.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix(".route(\"").or_else(|| line.strip_prefix("r.route(\"")) {
            routes.insert(rest.split('"').next().unwrap().to_owned());
        }
        // The LAPIS list in lapis/mod.rs: `("/sample/…", table(…)),` is served under /{organism}
        // and at the root; tables and sequences take GET and POST.
        if let Some(rest) = line.strip_prefix("(\"/") {
            let path = format!("/{}", rest.split('"').next().unwrap());
            let methods: &[&str] = if line.contains("table(") || line.contains("sequences(") {
                &["get", "post"]
            } else if line.contains("post(") {
                &["post"]
            } else {
                &["get"]
            };
            for p in [format!("/{{organism}}{path}"), path] {
                let item = paths.get(&p).unwrap_or_else(|| panic!("{p} is not in openapi.json"));
                for m in methods {
                    assert!(item.get(*m).is_some(), "{p}: {m} is not documented");
                }
                routes.insert(p);
            }
        }
    }
    assert!(routes.len() >= 30, "{routes:?}");
    // The LAPIS routes, listed as `("/sample/…", handler)` in lapis/mod.rs, are served under
    // /{organism} and at the root.
    let lapis = include_str!("../src/lapis/mod.rs");
    let mut listed = 0;
    for line in lapis.lines() {
        let Some(rest) = line.trim().strip_prefix("(\"/") else { continue };
        let path = format!("/{}", rest.split('"').next().unwrap());
        for p in [format!("/{{organism}}{path}"), path.clone()] {
            assert!(paths.contains_key(&p), "{p} is not in openapi.json");
        }
        listed += 1;
    }
    assert!(listed >= 20, "{listed} LAPIS routes found in lapis/mod.rs");
    for route in &routes {
        let item = paths.get(route).unwrap_or_else(|| panic!("{route} is not in openapi.json"));
        // LAPIS routes were checked with their methods above.
        let Some(line) = source.lines().find(|l| l.contains(&format!(".route(\"{route}\""))) else {
            continue;
        };
        for (method, name) in [("get(", "get"), ("post(", "post"), ("put(", "put"), ("delete(", "delete")] {
            if line.contains(method) {
                assert!(item.get(name).is_some(), "{route}: {name} is not documented");
            }
        }
    }
    assert_eq!(spec["openapi"], "3.0.3");
}
