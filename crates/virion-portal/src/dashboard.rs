//! An organism's dashboard, `/{organism}/dashboard`: GenSpectrum's dashboard components (the
//! field's own LAPIS client, bundled into the binary) pointed at this server's LAPIS root —
//! sequences over time, lineage prevalence over time, mutations over time, mutation
//! frequencies and counts by country. The page's query parameters (LAPIS filters) narrow
//! every component, so `/sars-cov-2/dashboard?country=USA` is a country's dashboard.

use maud::{Markup, html};
use serde_json::{Map, Value, json};

use crate::DASHBOARD_JS_PATH;
use crate::layout::{Chrome, page};

/// What the dashboard needs to configure its components.
#[derive(Debug, Clone, Default)]
pub struct Dashboard {
    /// The organism's URL name.
    pub organism: String,
    /// The organism's display name.
    pub display_name: String,
    /// The organism's LAPIS root as the browser reaches it (`http://host:port/sars-cov-2`).
    pub lapis_url: String,
    /// The LAPIS filter every component applies (from the page's query).
    pub filter: Map<String, Value>,
    /// The date column time series are drawn over, and its first and last day (YYYY-MM-DD).
    pub date_field: Option<String>,
    /// The first and last day of `date_field` among the data (YYYY-MM-DD).
    pub date_range: Option<(String, String)>,
    /// The lineage column the lineage charts use, if any.
    pub lineage_field: Option<String>,
    /// The lineages whose prevalence is charted (most common first).
    pub lineages: Vec<String>,
    /// The location column (country, typically) the "By location" table and chart group by, if any.
    pub location_field: Option<String>,
    /// Whether the organism has a nucleotide sequence (mutation components need one).
    pub has_sequences: bool,
    /// `None`: the node is in no network. `Some(true)`: the charts ask the network (the
    /// federated LAPIS root); `Some(false)`: this node only. The page offers the other.
    pub network: Option<bool>,
}

fn attr(v: &Value) -> String {
    v.to_string()
}

fn section(title: &str, id: &str, body: Markup) -> Markup {
    html! {
        section.component aria-labelledby=(id) {
            h2 #(id) { (title) }
            (body)
        }
    }
}

/// The dashboard's own URL with its filters and `scope` (the page's filters stay when the scope
/// is switched).
fn scope_link(d: &Dashboard, scope: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = d
        .filter
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect();
    if let Some(s) = scope {
        pairs.push(("scope".into(), s.into()));
    }
    let query = crate::query_string(&pairs);
    if query.is_empty() {
        format!("/{}/dashboard", d.organism)
    } else {
        format!("/{}/dashboard?{query}", d.organism)
    }
}

/// The dashboard page: GenSpectrum's components configured for the organism's LAPIS.
pub fn render(chrome: &Chrome, d: &Dashboard) -> String {
    let filter = Value::Object(d.filter.clone());
    // Time series need the date range in the filter; without one the components first ask for
    // every date to find it.
    let dated = |f: &Map<String, Value>| {
        let mut f = f.clone();
        if let (Some(field), Some((from, to))) = (&d.date_field, &d.date_range) {
            f.entry(format!("{field}From")).or_insert_with(|| json!(from));
            f.entry(format!("{field}To")).or_insert_with(|| json!(to));
        }
        Value::Object(f)
    };
    page(
        chrome,
        html! {
            h1 { (d.display_name) " dashboard" }
            @if !d.filter.is_empty() {
                p.note { "Filtered by " code { (filter.to_string()) } ". " a href={ "/" (d.organism) "/dashboard" } { "Show everything" } }
            }
            script type="module" src=(DASHBOARD_JS_PATH) {}
            @if let Some(network) = d.network {
                nav.scope aria-label="Data shown" {
                    "Showing: "
                    @if network {
                        a href=(scope_link(d, None)) { "this node" } " | " strong { "the network" }
                    } @else {
                        strong { "this node" } " | " a href=(scope_link(d, Some("network"))) { "the network" }
                    }
                }
            }
            p.hint {
                "Charts by GenSpectrum's dashboard components, asking "
                @if d.network == Some(true) { "every node of the network (this node's federated LAPIS root). " } @else { "this node's LAPIS API. " }
                a href=(crate::DASHBOARD_LEGAL_PATH) { "Third-party licenses" } }
            gs-app lapis=(d.lapis_url) {
                div.dashboard {
                    @if let Some(date) = &d.date_field {
                        (section("Sequences over time", "sequences-over-time", html! {
                            gs-number-sequences-over-time
                                lapisFilters=(attr(&json!([{ "displayName": d.display_name, "lapisFilter": dated(&d.filter) }])))
                                lapisDateField=(date) granularity="month" views=(attr(&json!(["table", "bar"]))) pageSize="12" width="100%" {}
                        }))
                        @if !d.lineages.is_empty() && let Some(lineage) = &d.lineage_field {
                            @let numerators: Vec<Value> = d.lineages.iter().map(|l| {
                                let mut f = dated(&d.filter);
                                f[lineage.as_str()] = json!(format!("{l}*"));
                                json!({ "displayName": format!("{l}*"), "lapisFilter": f })
                            }).collect();
                            (section("Lineage prevalence over time", "prevalence-over-time", html! {
                                gs-prevalence-over-time numeratorFilters=(attr(&Value::Array(numerators)))
                                    denominatorFilter=(attr(&dated(&d.filter))) lapisDateField=(date) granularity="month"
                                    smoothingWindow="0" views=(attr(&json!(["table", "line"]))) pageSize="12" width="100%" {}
                            }))
                        }
                        @if d.has_sequences {
                            (section("Nucleotide mutations over time", "mutations-over-time", html! {
                                gs-mutations-over-time lapisFilter=(attr(&dated(&d.filter))) sequenceType="nucleotide"
                                    lapisDateField=(date) granularity="month" views=(attr(&json!(["grid"])))
                                    initialMeanProportionInterval=(attr(&json!({ "min": 0.05, "max": 0.95 }))) width="100%" {}
                            }))
                        }
                    }
                    @if d.has_sequences {
                        (section("Mutation frequencies", "mutations", html! {
                            gs-mutations lapisFilter=(attr(&filter)) sequenceType="nucleotide"
                                views=(attr(&json!(["table"]))) pageSize="10" width="100%" {}
                        }))
                    }
                    @if let Some(location) = &d.location_field {
                        (section("By location", "by-location", html! {
                            gs-aggregate fields=(attr(&json!([location]))) lapisFilter=(attr(&filter))
                                views=(attr(&json!(["table", "bar"]))) pageSize="10" width="100%" {}
                        }))
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_get_the_lapis_root_filters_and_dates() {
        let mut filter = Map::new();
        filter.insert("country".into(), json!("Switzerland"));
        let d = Dashboard {
            organism: "sars-cov-2".into(),
            display_name: "SARS-CoV-2".into(),
            lapis_url: "http://localhost:8080/sars-cov-2".into(),
            filter,
            date_field: Some("date".into()),
            date_range: Some(("2020-01-01".into(), "2024-12-31".into())),
            lineage_field: Some("pangoLineage".into()),
            lineages: vec!["JN.1".into()],
            location_field: Some("country".into()),
            has_sequences: true,
            network: None,
        };
        let html = render(&Chrome::default(), &d);
        assert!(!html.contains("the network"), "no scope switch for a node in no network");
        assert!(html.contains(r#"<gs-app lapis="http://localhost:8080/sars-cov-2">"#));
        assert!(html.contains("gs-prevalence-over-time") && html.contains("JN.1*"));
        // Attribute values are JSON, escaped for HTML; the filter reaches every component.
        assert!(html.contains("&quot;country&quot;:&quot;Switzerland&quot;"));
        assert!(html.contains("&quot;dateFrom&quot;:&quot;2020-01-01&quot;"));
        assert!(html.contains(r#"lapisDateField="date""#));

        // A node in a network offers the other scope, keeping the page's filters.
        let network = Dashboard { network: Some(false), ..d.clone() };
        let html = render(&Chrome::default(), &network);
        assert!(
            html.contains(r#"href="/sars-cov-2/dashboard?country=Switzerland&amp;scope=network""#),
            "{html}"
        );
        let network = Dashboard {
            network: Some(true),
            lapis_url: "http://localhost:8080/federation/sars-cov-2".into(),
            ..d
        };
        let html = render(&Chrome::default(), &network);
        assert!(html.contains(r#"href="/sars-cov-2/dashboard?country=Switzerland">this node"#), "{html}");
        assert!(html.contains(r#"<gs-app lapis="http://localhost:8080/federation/sars-cov-2">"#));
    }
}
