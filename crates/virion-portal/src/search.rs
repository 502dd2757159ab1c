//! The search page: filters generated from the organism's schema (facets with counts, ranges,
//! lineage with sublineages, mutations, advanced query), a sortable, paginated table with
//! selectable columns, and downloads of exactly what is shown. The URL is the whole query: the
//! filter parameters are LAPIS's own, so a search link is also an API request away.

use maud::{Markup, html};

use crate::layout::{Chrome, Table, page};
use crate::{count, query_string};

/// View parameters of the search page (everything else in its URL is a LAPIS filter).
pub const VIEW_PARAMETERS: &[&str] = &["columns", "page", "pageSize", "orderBy", "order", "q", "scope"];

/// How a field is filtered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Equality on text; with facet counts when the field has few values.
    Text,
    /// A Pango lineage (`*` includes sublineages).
    Lineage,
    /// `{field}From` / `{field}To`, as dates.
    Date,
    /// `{field}From` / `{field}To`, as numbers.
    Number,
    /// `{field}=true` / `false`.
    Boolean,
}

/// One filterable field.
#[derive(Debug, Clone)]
pub struct FieldFilter {
    /// The field's name (the query parameter).
    pub name: String,
    /// The field's display name.
    pub label: String,
    /// How the field is filtered.
    pub kind: FieldKind,
    /// The most common values under the current filters, with counts (text fields).
    pub facet: Option<Facet>,
    /// Shown at once; the others are under "More filters" (open when one of them is set).
    pub primary: bool,
}

/// The most common values of a field with their counts.
#[derive(Debug, Clone, Default)]
pub struct Facet {
    /// The field's name.
    pub field: String,
    /// The field's display name.
    pub label: String,
    /// Values with their counts, most common first.
    pub values: Vec<(String, u64)>,
    /// Matching rows with a value not listed (or none).
    pub others: u64,
}

/// What the search page shows.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The organism's URL name.
    pub organism: String,
    /// The organism's display name.
    pub display_name: String,
    /// The page's query parameters as they came (filters and view parameters).
    pub params: Vec<(String, String)>,
    /// The filterable fields.
    pub fields: Vec<FieldFilter>,
    /// Rows matching the filters.
    pub total: u64,
    /// This page of matches (first column: accession.version).
    pub table: Table,
    /// Every column that can be shown.
    pub all_columns: Vec<String>,
    /// Columns' display names (column, name people read); a column not listed shows its name.
    pub labels: Vec<(String, String)>,
    /// The current page, from 1.
    pub page: usize,
    /// Rows per page.
    pub page_size: usize,
    /// The sort column and whether descending.
    pub order: Option<(String, bool)>,
    /// Why the filters could not be run (shown instead of results).
    pub error: Option<String>,
    /// Matching rows under restricted use, by the date the restriction ends. Downloads leave
    /// them out unless their terms are accepted.
    pub restricted: Vec<(String, u64)>,
    /// For a mirror of a peer's data: the peer's name and URL. Each record then links to its
    /// page at its home node, which holds its history and files.
    pub home: Option<(String, String)>,
    /// For a node in a network: whether the counts (total and facets) are the network's, and
    /// the nodes that gave none. `None`: a node in no network (no switch shown).
    pub network: Option<NetworkCounts>,
    /// For a logged-in user: the CSRF token of the form that saves the matches as a citable
    /// collection. `None`: no form (visitors are asked to log in).
    pub save_collection: Option<String>,
}

/// Counts over the network instead of this node.
#[derive(Debug, Clone, Default)]
pub struct NetworkCounts {
    /// Whether the counts shown are the network's.
    pub on: bool,
    /// Nodes that failed or passed the deadline (the counts leave them out).
    pub missing: Vec<String>,
}

impl Search {
    fn label<'a>(&'a self, column: &'a str) -> &'a str {
        self.labels.iter().find(|(c, _)| c == column).map_or(column, |(_, l)| l.as_str())
    }

    fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    /// The filter parameters only (no paging, sorting or column choice).
    pub fn filters(&self) -> Vec<(String, String)> {
        self.params.iter().filter(|(k, _)| !VIEW_PARAMETERS.contains(&k.as_str())).cloned().collect()
    }

    /// This page's URL with `changes` applied (a `None` value drops the parameter).
    fn with(&self, changes: &[(&str, Option<String>)]) -> String {
        let mut params: Vec<(String, String)> =
            self.params.iter().filter(|(k, _)| !changes.iter().any(|(c, _)| c == k)).cloned().collect();
        for (k, v) in changes {
            if let Some(v) = v {
                params.push(((*k).to_owned(), v.clone()));
            }
        }
        format!("/{}/search?{}", self.organism, query_string(&params))
    }

    fn pages(&self) -> usize {
        (self.total as usize).div_ceil(self.page_size.max(1)).max(1)
    }
}

/// `filters` with `field` set to `value` alone.
fn with_value(filters: &[(String, String)], field: &str, value: &str) -> Vec<(String, String)> {
    let mut next: Vec<(String, String)> = filters.iter().filter(|(k, _)| k != field).cloned().collect();
    next.push((field.to_owned(), value.to_owned()));
    next
}

/// A facet as a list of links that add its value to the current filters.
pub(crate) fn facet_list(organism: &str, filters: &[(String, String)], facet: &Facet) -> Markup {
    html! {
        ul.facet {
            @for (value, n) in &facet.values {
                @let next = with_value(filters, &facet.field, value);
                li {
                    a href={ "/" (organism) "/search?" (query_string(&next)) } { (value) }
                    " " span.n { (count(*n)) }
                }
            }
            @if facet.others > 0 {
                li.others { "others " span.n { (count(facet.others)) } }
            }
        }
    }
}

fn field_input(s: &Search, f: &FieldFilter) -> Markup {
    let id = format!("f-{}", f.name);
    match f.kind {
        FieldKind::Text | FieldKind::Lineage => html! {
            div.field {
                label for=(id) { (f.label) }
                input #(id) type="text" name=(f.name) value=(s.param(&f.name))
                    list=[f.facet.as_ref().map(|_| format!("{id}-values"))]
                    aria-describedby=[(f.kind == FieldKind::Lineage).then(|| format!("{id}-hint"))];
                @if f.kind == FieldKind::Lineage {
                    small #{ (id) "-hint" } { "End with * to include sublineages (JN.1*)." }
                }
                @if let Some(facet) = &f.facet {
                    datalist #{ (id) "-values" } { @for (v, _) in &facet.values { option value=(v) {} } }
                    details.facet-box open[!facet.values.is_empty() && facet.values.len() <= 12] {
                        summary { "Most common" }
                        (facet_list(&s.organism, &s.filters(), facet))
                    }
                }
            }
        },
        FieldKind::Date | FieldKind::Number => {
            let (from, to) = (format!("{}From", f.name), format!("{}To", f.name));
            let kind = if f.kind == FieldKind::Date { "date" } else { "number" };
            html! {
                fieldset.field.range {
                    legend { (f.label) }
                    label { "from " input type=(kind) name=(from) value=(s.param(&from)) step=[(kind == "number").then_some("any")]; }
                    label { "to " input type=(kind) name=(to) value=(s.param(&to)) step=[(kind == "number").then_some("any")]; }
                }
            }
        }
        FieldKind::Boolean => html! {
            div.field {
                label for=(id) { (f.label) }
                select #(id) name=(f.name) {
                    option value="" selected[s.param(&f.name).is_empty()] { "any" }
                    option value="true" selected[s.param(&f.name) == "true"] { "yes" }
                    option value="false" selected[s.param(&f.name) == "false"] { "no" }
                }
            }
        },
    }
}

fn filter_form(s: &Search) -> Markup {
    html! {
        form.filters method="get" action={ "/" (s.organism) "/search" } aria-label="Filters" data-lapis={ "/" (s.organism) } {
            @for f in s.fields.iter().filter(|f| f.primary) { (field_input(s, f)) }
            @let more: Vec<&FieldFilter> = s.fields.iter().filter(|f| !f.primary).collect();
            @if !more.is_empty() {
                @let set = more.iter().any(|f| s.params.iter().any(|(k, _)| k.starts_with(f.name.as_str())));
                details.more open[set] {
                    summary { "More filters (" (more.len()) ")" }
                    @for f in &more { (field_input(s, f)) }
                }
            }
            div.field {
                label for="f-nuc" { "Nucleotide mutations" }
                input #f-nuc type="text" name="nucleotideMutations" value=(s.param("nucleotideMutations"))
                    placeholder="C241T, 23403G, 11083-" aria-describedby="f-mut-hint f-nuc-live" data-validate="nucleotideMutations";
                small #f-nuc-live .live aria-live="polite" {}
            }
            div.field {
                label for="f-aa" { "Amino-acid mutations" }
                input #f-aa type="text" name="aminoAcidMutations" value=(s.param("aminoAcidMutations"))
                    placeholder="S:L455S, ORF1a:S3675-" aria-describedby="f-mut-hint f-aa-live" data-validate="aminoAcidMutations";
                small #f-aa-live .live aria-live="polite" {}
                small #f-mut-hint { "Comma-separated; every one must be present. A position alone (S:455) means any change." }
            }
            div.field {
                label for="f-adv" { "Advanced query" }
                textarea #f-adv name="advancedQuery" rows="2" placeholder="S:L455S & !country='Germany'"
                    data-validate="advancedQuery" aria-describedby="f-adv-live" { (s.param("advancedQuery")) }
                small #f-adv-live .live aria-live="polite" {}
            }
            @for (k, v) in &s.params {
                @if ["columns", "pageSize", "orderBy", "order"].contains(&k.as_str()) {
                    input type="hidden" name=(k) value=(v);
                }
            }
            div.actions {
                button type="submit" { "Search" }
                a href={ "/" (s.organism) "/search" } { "Clear all" }
            }
        }
    }
}

fn sort_header(s: &Search, column: &str) -> Markup {
    let (current, descending) = match &s.order {
        Some((c, d)) if c == column => (true, *d),
        _ => (false, false),
    };
    let next_desc = current && !descending;
    let href = s.with(&[
        ("orderBy", Some(column.to_owned())),
        ("order", Some(if next_desc { "descending" } else { "ascending" }.to_owned())),
        ("page", None),
    ]);
    let sort = match (current, descending) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    html! {
        th scope="col" aria-sort=(sort) {
            a href=(href) title=(column) { (s.label(column)) @if current { @if descending { " ▼" } @else { " ▲" } } }
        }
    }
}

fn results(s: &Search) -> Markup {
    let org = &s.organism;
    html! {
        div.scroll {
            table #results {
                caption.visually-hidden { "Matching sequences" }
                thead { tr { @for c in &s.table.columns { (sort_header(s, c)) } } }
                tbody {
                    @for row in &s.table.rows {
                        tr {
                            @for (i, cell) in row.iter().enumerate() {
                                @if i == 0 {
                                    td { a href={ (s.home.as_ref().map_or("", |(_, url)| url.as_str())) "/seq/" (cell) } { (cell) } }
                                } @else {
                                    td { (cell) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @let pages = s.pages();
        nav.pager aria-label="Pages" {
            @if s.page > 1 {
                a rel="prev" href=(s.with(&[("page", Some((s.page - 1).to_string()))])) { "← Previous" }
            }
            span { "Page " (s.page) " of " (count(pages as u64)) }
            @if s.page < pages {
                a rel="next" href=(s.with(&[("page", Some((s.page + 1).to_string()))])) { "Next →" }
            }
        }
        details.columns-box {
            summary { "Columns" }
            form method="get" action={ "/" (org) "/search" } {
                @for (k, v) in &s.params {
                    @if k != "columns" && k != "page" { input type="hidden" name=(k) value=(v); }
                }
                fieldset {
                    legend { "Show columns" }
                    @for c in &s.all_columns {
                        label.check {
                            input type="checkbox" name="columns" value=(c) checked[s.table.columns.contains(c)];
                            " " (s.label(c))
                        }
                    }
                }
                button type="submit" { "Apply" }
            }
        }
    }
}

/// What can be downloaded: (label, `file` value, LAPIS route, extra parameters).
const DOWNLOADS: [(&str, &str, &str); 5] = [
    ("Metadata (TSV)", "metadata-tsv", "details"),
    ("Metadata (CSV)", "metadata-csv", "details"),
    ("Metadata (NDJSON)", "metadata-ndjson", "details"),
    ("Unaligned sequences (FASTA)", "unaligned", "unalignedNucleotideSequences"),
    ("Aligned sequences (FASTA)", "aligned", "alignedNucleotideSequences"),
];

/// The data-use-terms filter that keeps downloads to open data (Loculus's LAPIS field).
pub const OPEN_ONLY: (&str, &str) = ("dataUseTerms", "OPEN");

/// What restricted-use terms ask of whoever downloads such data.
pub const RESTRICTED_TERMS: &str = "Restricted-use sequences may be used in your own analyses, \
    but results that rely on them may not be published before their restriction ends, \
    unless the submitting group agrees. Cite them by accession.";

/// The LAPIS URL that downloads `file` (a `DOWNLOADS` value) for `filters`, or `None` for an
/// unknown file. Metadata downloads name `columns` (empty: every column, LAPIS's default).
pub fn download_url(
    organism: &str,
    filters: &[(String, String)],
    file: &str,
    compression: Option<&str>,
    columns: &[String],
) -> Option<String> {
    let (_, _, route) = DOWNLOADS.iter().find(|(_, f, _)| *f == file)?;
    let mut p: Vec<(String, String)> = filters.to_vec();
    if let Some(format) = file.strip_prefix("metadata-") {
        p.push(("dataFormat".into(), format.into()));
        if !columns.is_empty() {
            p.push(("fields".into(), columns.join(",")));
        }
    }
    if let Some(c) = compression.filter(|c| ["zstd", "gzip"].contains(c)) {
        p.push(("compression".into(), c.into()));
    }
    p.push(("downloadAsFile".into(), "true".into()));
    Some(format!("/{organism}/sample/{route}?{}", query_string(&p)))
}

/// The download dialog: open data by one click, restricted data after accepting its terms.
fn downloads(s: &Search) -> Markup {
    let filters = s.filters();
    let restricted: u64 = s.restricted.iter().map(|r| r.1).sum();
    let mut open_filters = filters.clone();
    if restricted > 0 {
        open_filters.push((OPEN_ONLY.0.into(), OPEN_ONLY.1.into()));
    }
    let link = |file: &str, compression: Option<&str>| {
        download_url(&s.organism, &open_filters, file, compression, &s.all_columns).unwrap_or_default()
    };
    let open = s.total - restricted;
    let until = |i: usize| s.restricted.get(i).map_or("", |r| r.0.as_str());
    html! {
        details.downloads #download {
            summary { "Download " (count(open)) @if restricted > 0 { " open" } " sequences" }
            ul {
                @for (label, file, _) in &DOWNLOADS {
                    li {
                        a href=(link(file, None)) download { (label) }
                        " · "
                        a href=(link(file, Some("zstd"))) download { "zstd" }
                        " · "
                        a href=(link(file, Some("gzip"))) download { "gzip" }
                        " · "
                        // The file with what it is: query, records, terms, citation.
                        a href={ (link(file, None)) "&package=ro-crate" } download
                            title="A zip (RO-Crate) with the file, the query, the records it holds, their terms and how to cite them" { "RO-Crate" }
                    }
                }
            }
            @if restricted > 0 {
                form.restricted method="get" action={ "/" (s.organism) "/download" } data-testid="restricted-download" {
                    p role="note" {
                        strong { (count(restricted)) } " restricted-use "
                        @if restricted == 1 { "sequence is" } @else { "sequences are" }
                        " left out of these files (restricted until "
                        (until(0)) @if s.restricted.len() > 1 { "–" (until(s.restricted.len() - 1)) } ")."
                    }
                    blockquote.terms { (RESTRICTED_TERMS) }
                    @for (k, v) in &filters { input type="hidden" name=(k) value=(v); }
                    label { "File " select name="file" {
                        @for (label, file, _) in &DOWNLOADS { option value=(file) { (label) } }
                    } }
                    " "
                    label { "Compression " select name="compression" {
                        option value="" { "none" } option value="zstd" { "zstd" } option value="gzip" { "gzip" }
                    } }
                    " "
                    label { "Package " select name="package" {
                        option value="" { "none" } option value="ro-crate" { "RO-Crate (with query, records, terms)" }
                    } }
                    label.check { input type="checkbox" name="acceptTerms" value="yes" required;
                        " I accept the restricted-use terms" }
                    button type="submit" { "Download all " (count(s.total)) ", restricted included" }
                }
            }
            p.hint { "The same filters work on the LAPIS API: "
                code { "/" (s.organism) "/sample/details?" (query_string(&open_filters)) } }
        }
    }
}

/// The form that saves the matches as a citable collection (logged-in users), or how to get it.
fn save_collection_form(s: &Search) -> Markup {
    html! {
        details.save-collection #save-collection {
            summary { "Save these " (count(s.total)) " sequences as a citable collection" }
            @if let Some(csrf) = &s.save_collection {
                form method="post" action={ "/" (s.organism) "/collections" } {
                    input type="hidden" name="csrf" value=(csrf);
                    @for (k, v) in &s.filters() { input type="hidden" name=(k) value=(v); }
                    p.hint { "The collection holds exactly the released versions that match now; it gets a landing page, a citation (text, BibTeX, RIS, DataCite) and downloads. A later change is a new version." }
                    label for="collection-name" { "Name" }
                    input #collection-name type="text" name="name" required maxlength="300";
                    label for="collection-description" { "Description" }
                    textarea #collection-description name="description" required rows="3" {}
                    label for="collection-authors" { "Authors, one per line: Family, Given (ORCID optional, after a space)" }
                    textarea #collection-authors name="authors" required rows="3" placeholder="Doe, Jane 0000-0002-1825-0097" {}
                    button type="submit" { "Save collection" }
                }
            } @else {
                p { a href={ "/login?" (query_string(&[("next", format!("/{}/search?{}", s.organism, query_string(&s.params)))])) } { "Log in" } " to save a collection." }
            }
        }
    }
}

/// The page's own URL with its filters and view, counting over the network or not.
fn scope_link(s: &Search, network: bool) -> String {
    let mut pairs: Vec<(String, String)> =
        s.params.iter().filter(|(k, _)| k != "scope" && k != "page").cloned().collect();
    if network {
        pairs.push(("scope".into(), "network".into()));
    }
    let query = crate::query_string(&pairs);
    if query.is_empty() {
        format!("/{}/search", s.organism)
    } else {
        format!("/{}/search?{query}", s.organism)
    }
}

/// The search page: filters with facets, the matching rows, paging, and download links.
pub fn render(chrome: &Chrome, s: &Search) -> String {
    page(
        chrome,
        html! {
            script type="module" src=(crate::JS_PATH) {}
            h1 { "Search " (s.display_name) }
            @if let Some(network) = &s.network {
                nav.scope aria-label="Counts shown" {
                    "Counts: "
                    @if network.on {
                        a href=(scope_link(s, false)) { "this node" } " | " strong { "the network" }
                    } @else {
                        strong { "this node" } " | " a href=(scope_link(s, true)) { "the network" }
                    }
                }
                @if network.on {
                    p.note {
                        "The total and the filters' counts are the network's; the rows listed are this node's."
                        @if !network.missing.is_empty() {
                            " Incomplete: " (network.missing.join(", ")) " did not answer."
                        }
                    }
                }
            }
            @if let Some((node, url)) = &s.home {
                p.note { "A copy of node " a href=(url) { (node) } "'s open released data, kept current here; each record links to its home node." }
            }
            // On a narrow screen the filters come first; this skips them.
            @if s.error.is_none() {
                p.to-results { a href="#result-count" { "Jump to the " (count(s.total)) " results" } }
            }
            div.search-layout {
                aside { (filter_form(s)) }
                section aria-labelledby="result-count" {
                    @if let Some(e) = &s.error {
                        p.problem role="alert" { (e) }
                    } @else {
                        p #result-count role="status" {
                            strong data-testid="result-count" { (count(s.total)) }
                            @if s.total == 1 { " sequence matches" } @else { " sequences match" }
                        }
                        @if s.total > 0 {
                            (downloads(s))
                            (save_collection_form(s))
                            (results(s))
                        } @else {
                            p { "Nothing matches. Remove a filter, or check a lineage's spelling (add * for sublineages)." }
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

    fn sample() -> Search {
        Search {
            organism: "sars-cov-2".into(),
            display_name: "SARS-CoV-2".into(),
            params: vec![
                ("country".into(), "Switzerland".into()),
                ("page".into(), "2".into()),
                ("orderBy".into(), "date".into()),
            ],
            fields: vec![FieldFilter {
                name: "country".into(),
                label: "Country".into(),
                kind: FieldKind::Text,
                facet: Some(Facet {
                    field: "country".into(),
                    label: "Country".into(),
                    values: vec![("Switzerland".into(), 1200)],
                    others: 0,
                }),
                primary: true,
            }],
            total: 1200,
            table: Table { columns: vec!["accessionVersion".into()], rows: vec![vec!["VN000001.1".into()]] },
            all_columns: vec!["accessionVersion".into(), "country".into()],
            labels: vec![("accessionVersion".into(), "Accession".into())],
            page: 2,
            page_size: 100,
            order: Some(("date".into(), false)),
            error: None,
            restricted: Vec::new(),
            home: None,
            network: None,
            save_collection: None,
        }
    }

    #[test]
    fn links_keep_the_filters_and_change_only_the_view() {
        let s = sample();
        let html = render(&Chrome::default(), &s);
        assert!(html.contains(r#"href="/seq/VN000001.1""#));
        // Paging keeps the filter and the sort.
        assert!(html.contains("/sars-cov-2/search?country=Switzerland&amp;orderBy=date&amp;page=3"));
        assert!(html.contains("/sars-cov-2/search?country=Switzerland&amp;orderBy=date&amp;page=1"));
        // Downloads carry the filters but not the view.
        assert!(html.contains("/sars-cov-2/sample/details?country=Switzerland&amp;dataFormat=tsv"));
        assert!(html.contains("1,200"));
        // Headers read the display name; the column's own name is its title.
        assert!(html.contains(r#"title="accessionVersion">Accession"#), "{html}");
        assert_eq!(s.filters(), vec![("country".to_owned(), "Switzerland".to_owned())]);
    }

    #[test]
    fn a_mirror_links_records_to_their_home_node() {
        let s = Search { home: Some(("fr".into(), "https://virion.example.fr".into())), ..sample() };
        let html = render(&Chrome::default(), &s);
        assert!(html.contains(r#"href="https://virion.example.fr/seq/VN000001.1""#), "{html}");
        assert!(html.contains("A copy of node"));
    }

    #[test]
    fn a_node_in_a_network_switches_its_counts_keeping_the_filters() {
        let s = Search { network: Some(NetworkCounts::default()), ..sample() };
        let html = render(&Chrome::default(), &s);
        assert!(
            html.contains(
                r#"href="/sars-cov-2/search?country=Switzerland&amp;orderBy=date&amp;scope=network""#
            ),
            "{html}"
        );
        let on = NetworkCounts { on: true, missing: vec!["nl".into()] };
        let html = render(&Chrome::default(), &Search { network: Some(on), ..sample() });
        assert!(html.contains("the network's") && html.contains("Incomplete: nl"), "{html}");
        assert!(!render(&Chrome::default(), &sample()).contains("Counts:"), "no switch outside a network");
    }
}
