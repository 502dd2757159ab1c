//! A citable collection's landing page: what it holds, who made it, how to cite it (text,
//! BibTeX, RIS, DataCite), its data use terms, downloads, the LAPIS filter of its members, its
//! versions, and its Bioschemas `Dataset` JSON-LD for search engines and data catalogues.

use maud::{Markup, PreEscaped, html};

use crate::{Chrome, count, page};

/// Everything the landing page shows.
#[derive(Debug, Clone, Default)]
pub struct CollectionPage {
    /// `ID.VERSION`.
    pub id_version: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Authors with their ORCID iD, if given.
    pub authors: Vec<(String, Option<String>)>,
    /// The organism's URL name and display name.
    pub organism: (String, String),
    /// How many genomes it holds.
    pub members: u64,
    /// Members under restricted-use terms today, by the day the restriction ends.
    pub restricted: Vec<(String, u64)>,
    /// When this version was saved, as people read it.
    pub created: String,
    /// The citation as text.
    pub citation: String,
    /// The Bioschemas JSON-LD, already safe inside a script element.
    pub json_ld: String,
    /// Every version (`ID.VERSION`, saved on), oldest first.
    pub versions: Vec<(String, String)>,
    /// The search it was saved from (LAPIS parameters).
    pub query: Vec<(String, String)>,
    /// What restricted-use terms ask (shown when members are restricted).
    pub restricted_terms: String,
}

/// The landing page.
pub fn render(chrome: &Chrome, c: &CollectionPage) -> String {
    let base = format!("/collections/{}", c.id_version);
    let restricted: u64 = c.restricted.iter().map(|r| r.1).sum();
    let body = html! {
        script type="application/ld+json" { (PreEscaped(&c.json_ld)) }
        p.kicker { "Citable collection " span data-testid="collection-id" { (c.id_version) } }
        h1 { (c.name) }
        p.authors data-testid="collection-authors" {
            @for (i, (name, orcid)) in c.authors.iter().enumerate() {
                @if i > 0 { "; " }
                (name)
                @if let Some(o) = orcid { " " a href={ "https://orcid.org/" (o) } { "ORCID" } }
            }
        }
        p { (c.description) }
        dl.facts {
            dt { "Genomes" } dd { span data-testid="collection-members" { (count(c.members)) } " " (c.organism.1) " genomes, frozen at the versions listed" }
            dt { "Saved" } dd { (c.created) }
            @if !c.query.is_empty() {
                dt { "From the search" } dd { code { (crate::query_string(&c.query)) } }
            }
        }
        section aria-labelledby="cite" {
            h2 #cite { "Cite" }
            blockquote.citation data-testid="citation" { (c.citation) }
            p {
                a href={ (base) "/cite/bib" } download { "BibTeX" } " · "
                a href={ (base) "/cite/ris" } download { "RIS" } " · "
                a href={ (base) "/cite/txt" } download { "Text" } " · "
                a href={ (base) "/cite/datacite.xml" } { "DataCite XML" } " · "
                a href={ (base) "/cite/datacite.json?prefix=10.5072" } { "DataCite JSON (DOI request)" }
            }
        }
        section aria-labelledby="terms" {
            h2 #terms { "Terms of use" }
            @if restricted == 0 {
                p { "Every member is open data." }
            } @else {
                p role="note" {
                    strong { (count(restricted)) } " of the " (count(c.members)) " members are under restricted-use terms until "
                    (c.restricted.first().map_or("", |r| r.0.as_str()))
                    @if c.restricted.len() > 1 { "–" (c.restricted.last().map_or("", |r| r.0.as_str())) }
                    "."
                }
                blockquote.terms { (c.restricted_terms) }
            }
        }
        section aria-labelledby="download" {
            h2 #download { "Download" }
            (download_form(&base, restricted))
            p { a href={ (base) "/members.txt" } download { "Members (accession.version list)" } }
            p.hint {
                "In LAPIS, " code { "collection=" (c.id_version) } " selects the members the node serves at these versions: "
                a href={ "/" (c.organism.0) "/sample/aggregated?collection=" (c.id_version) } { "count them" } "."
            }
        }
        @if c.versions.len() > 1 {
            section aria-labelledby="versions" {
                h2 #versions { "Versions" }
                ol {
                    @for (v, saved) in &c.versions {
                        li {
                            @if *v == c.id_version { strong { (v) } } @else { a href={ "/collections/" (v) } { (v) } }
                            " (" (saved) ")"
                        }
                    }
                }
            }
        }
    };
    page(chrome, body)
}

fn download_form(base: &str, restricted: u64) -> Markup {
    html! {
        form method="get" action={ (base) "/download" } data-testid="collection-download" {
            p { "An RO-Crate (zip): the members' metadata (TSV) and sequences (FASTA) at exactly these versions, the member list, their terms, and how to cite the collection." }
            @if restricted > 0 {
                label.check { input type="checkbox" name="acceptTerms" value="yes" required;
                    " I accept the restricted-use terms of " (count(restricted)) " members" }
            }
            button type="submit" { "Download RO-Crate" }
        }
    }
}
