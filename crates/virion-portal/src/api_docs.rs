//! The API documentation page: the OpenAPI document rendered as HTML (no JavaScript viewer),
//! one section per route with its methods, summary, parameters and request body.

use maud::{Markup, html};
use serde_json::Value;

use crate::layout::{Chrome, page};

const METHODS: [&str; 4] = ["get", "post", "put", "delete"];

/// A fragment id for a route ("/{organism}/sample/aggregated" → "organism-sample-aggregated").
fn anchor(path: &str) -> String {
    let id = path
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if id.is_empty() { "root".to_owned() } else { id }
}

fn parameters(op: &Value) -> Markup {
    let params = op["parameters"].as_array().cloned().unwrap_or_default();
    html! {
        @if !params.is_empty() {
            table.params {
                thead { tr { th scope="col" { "Parameter" } th scope="col" { "In" } th scope="col" { "Required" } th scope="col" { "Description" } } }
                tbody {
                    @for p in &params {
                        tr {
                            td { code { (p["name"].as_str().unwrap_or_default()) } }
                            td { (p["in"].as_str().unwrap_or_default()) }
                            td { @if p["required"].as_bool() == Some(true) { "yes" } @else { "no" } }
                            td.wrap {
                                (p["description"].as_str().unwrap_or_default())
                                @if let Some(e) = p.get("example") { " Example: " code { (e.as_str().map_or_else(|| e.to_string(), str::to_owned)) } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn body(op: &Value) -> Markup {
    let Some(content) = op["requestBody"]["content"].as_object() else { return html! {} };
    html! {
        p { "Request body: " @for (i, t) in content.keys().enumerate() { @if i > 0 { ", " } code { (t) } } }
    }
}

/// Whether an operation may be called without a token: no security requirement, or an empty
/// one among the alternatives (`security: [{}]`).
fn public(op: &Value) -> bool {
    op["security"]
        .as_array()
        .is_some_and(|s| s.is_empty() || s.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty())))
}

/// The API documentation page, rendered from the OpenAPI document `spec`: one section per path and
/// operation.
pub fn render(chrome: &Chrome, spec: &Value) -> String {
    let paths = spec["paths"].as_object().cloned().unwrap_or_default();
    let mut routes: Vec<(&String, &Value)> = paths.iter().collect();
    routes.sort_by(|a, b| a.0.cmp(b.0));
    page(
        chrome,
        html! {
            h1 { (spec["info"]["title"].as_str().unwrap_or("API")) }
            p.lead { (spec["info"]["description"].as_str().unwrap_or_default()) }
            p { "Machine-readable: " a href="/api/openapi.json" { "/api/openapi.json" } " (OpenAPI "
                (spec["openapi"].as_str().unwrap_or_default()) "). Errors are RFC 7807 problems. "
                "Authenticated routes take " code { "Authorization: Bearer <token>" } "." }
            nav aria-label="Routes" {
                details.toc open {
                    summary { (routes.len()) " routes" }
                    ul { @for (path, _) in &routes { li { a href={ "#" (anchor(path)) } { code { (path) } } } } }
                }
            }
            @for (path, item) in &routes {
                section.route id=(anchor(path)) {
                    h2 { code { (path) } }
                    @for m in METHODS {
                        @if let Some(op) = item.get(m) {
                            div.operation {
                                h3 { span class={ "method " (m) } { (m.to_uppercase()) } " " (op["summary"].as_str().unwrap_or_default()) }
                                @if let Some(d) = op["description"].as_str() { p { (d) } }
                                @if public(op) { p.hint { "Public." } }
                                (parameters(op))
                                (body(op))
                            }
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn routes_methods_and_parameters_are_listed() {
        let spec = json!({
            "openapi": "3.0.3",
            "info": { "title": "Virion", "description": "d" },
            "paths": {
                "/{organism}/sample/aggregated": { "get": { "summary": "Counts", "security": [],
                    "parameters": [{ "name": "fields", "in": "query", "example": "country" }] } },
                "/api/login": { "post": { "summary": "Log in", "requestBody": { "content": { "application/json": {} } } } },
                "/api/tokens": { "post": { "summary": "New token", "security": [{ "bearer": [] }] } },
                "/api/organisms": { "get": { "summary": "Organisms", "security": [{}] } }
            }
        });
        let html = render(&Chrome::default(), &spec);
        assert!(html.contains(r##"href="#organism-sample-aggregated""##));
        assert!(html.contains("<code>fields</code>") && html.contains("Public."));
        assert!(html.contains("Request body: <code>application/json</code>"));
        assert_eq!(html.matches("Public.").count(), 2, "{html}");
        assert_eq!(anchor("/"), "root");
    }
}
