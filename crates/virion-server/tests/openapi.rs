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
        // `both!("/sample/…", with, default)`: served under /{organism} and at the root, GET and POST.
        if let Some(rest) = line.strip_prefix("both!(\"").or_else(|| line.strip_prefix("\"/sample/")) {
            let path = if line.starts_with("both!") {
                rest.split('"').next().unwrap().to_owned()
            } else {
                format!("/sample/{}", rest.split('"').next().unwrap())
            };
            for p in [format!("/{{organism}}{path}"), path] {
                let item = paths.get(&p).unwrap_or_else(|| panic!("{p} is not in openapi.json"));
                assert!(item.get("get").is_some() && item.get("post").is_some(), "{p}: GET and POST");
            }
        }
    }
    assert!(routes.len() >= 30, "{routes:?}");
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
