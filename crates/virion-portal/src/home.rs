//! An organism's home page: how many genomes, the latest releases, the most common values, and
//! one search box that understands accessions, strain names, lineages and mutations.

use maud::{Markup, html};

use crate::layout::{Chrome, Table, linked_table, page};
use crate::search::{Facet, facet_list};
use crate::{count, query_string};

/// What the home page shows.
#[derive(Debug, Clone, Default)]
pub struct Home {
    /// The organism's URL name.
    pub organism: String,
    /// The organism's display name.
    pub display_name: String,
    /// Released genomes queryable now.
    pub released: u64,
    /// The most recently released versions (first column: accession.version).
    pub latest: Table,
    /// Most common values of a few fields (lineage, country, …).
    pub top: Vec<Facet>,
    /// Example searches shown under the box.
    pub examples: Vec<String>,
}

/// The search box (also on the site's front page): one text field, submitted to the search.
pub fn search_box(organism: &str, display_name: &str, examples: &[String]) -> Markup {
    html! {
        form.quick role="search" method="get" action={ "/" (organism) "/search" } {
            label for={ "q-" (organism) } {
                "Search " (display_name) " by accession, strain name, lineage or mutation"
            }
            div.row {
                input #{ "q-" (organism) } type="search" name="q" required
                    placeholder="e.g. JN.1*, S:L455S, C241T, an accession";
                button type="submit" { "Search" }
            }
            @if !examples.is_empty() {
                p.hint {
                    "Try: "
                    @for (i, e) in examples.iter().enumerate() {
                        @if i > 0 { ", " }
                        a href={ "/" (organism) "/search?" (query_string(&[("q", e)])) } { code { (e) } }
                    }
                }
            }
        }
    }
}

/// The organism's home page: search box, released count, latest versions and top values.
pub fn render(chrome: &Chrome, home: &Home) -> String {
    let org = &home.organism;
    page(
        chrome,
        html! {
            h1 { (home.display_name) }
            p.lead {
                strong data-testid="released-count" { (count(home.released)) }
                " released genomes, searchable and downloadable. "
                a href={ "/" (org) "/search" } { "Browse all" }
            }
            (search_box(org, &home.display_name, &home.examples))
            section.home-latest aria-labelledby="latest" {
                    h2 #latest { "Latest releases" }
                    @if home.latest.rows.is_empty() {
                        p { "Nothing released yet." }
                    } @else {
                        (linked_table(&home.latest, "Latest releases", |row| Some(format!("/seq/{}", row[0]))))
                    }
            }
            div.columns {
                @for facet in &home.top {
                    section aria-label=(facet.label) {
                        h2 { (facet.label) }
                        (facet_list(org, &[], facet))
                    }
                }
            }
        },
    )
}
