//! The OpenAPI document describes every route the router serves.

use std::collections::BTreeSet;

#[test]
fn every_route_is_documented() {
    let source = include_str!("../src/lib.rs");
    let spec = virion_server::openapi_spec();
    let paths = spec["paths"].as_object().unwrap();
    let mut routes = BTreeSet::new();
    for line in source.lines() {
        if let Some(rest) = line.trim().strip_prefix(".route(\"") {
            routes.insert(rest.split('"').next().unwrap().to_owned());
        }
    }
    assert!(routes.len() >= 15, "{routes:?}");
    for route in &routes {
        let item = paths.get(route).unwrap_or_else(|| panic!("{route} is not in openapi.json"));
        let line = source.lines().find(|l| l.contains(&format!("\"{route}\""))).unwrap();
        for (method, name) in [("get(", "get"), ("post(", "post"), ("put(", "put"), ("delete(", "delete")] {
            if line.contains(method) {
                assert!(item.get(name).is_some(), "{route}: {name} is not documented");
            }
        }
    }
    assert_eq!(spec["openapi"], "3.0.3");
}
