//! A record page, `/seq/{accession}[.{version}]`: metadata, clade and lineage, QC with its
//! rules, mutations and insertions, version history with what changed, data use terms,
//! downloads, how to cite, and schema.org JSON-LD for search engines and data catalogues.

use maud::{Markup, html};
use serde_json::{Value, json};

use crate::layout::{Chrome, page};

/// One QC rule's outcome.
#[derive(Debug, Clone, Default)]
pub struct QcRule {
    /// The rule's display name.
    pub name: String,
    /// Nextclade's status: `good`, `mediocre` or `bad`.
    pub status: String,
    /// The rule's score, when it has one.
    pub score: Option<f64>,
    /// What the rule counted (e.g. "185 missing bases").
    pub detail: String,
}

/// One version in the history.
#[derive(Debug, Clone, Default)]
pub struct VersionLine {
    /// The version number.
    pub version: i64,
    /// Its lifecycle status, in lower case (`released`, `processed`, ...).
    pub status: String,
    /// Release date (YYYY-MM-DD), if released.
    pub released: Option<String>,
    /// The comment given with it (revocations).
    pub comment: Option<String>,
    /// Whether it revokes the entry.
    pub is_revocation: bool,
}

/// One segment's calls on a segmented organism's record page (influenza's HA, NA, …): its
/// dataset's clade, QC and coverage, and its mutations (positions on the segment's reference).
#[derive(Debug, Clone, Default)]
pub struct SegmentCalls {
    /// The segment's name (`ha`).
    pub name: String,
    /// Its dataset's clade.
    pub clade: Option<String>,
    /// Coverage of the segment's reference, 0 to 1.
    pub coverage: Option<f64>,
    /// Its QC status.
    pub qc_status: Option<String>,
    /// Its QC score.
    pub qc_score: Option<f64>,
    /// Each QC rule's outcome.
    pub qc_rules: Vec<QcRule>,
    /// Its mutations, as [`Record::mutations`] lists them.
    pub mutations: [Vec<String>; 6],
}

/// The titles of the six mutation lists, in [`Record::mutations`] order.
pub const MUTATION_LISTS: [&str; 6] = [
    "Nucleotide substitutions",
    "Nucleotide deletions",
    "Nucleotide insertions",
    "Amino-acid substitutions",
    "Amino-acid deletions",
    "Amino-acid insertions",
];

/// What the record page shows.
#[derive(Debug, Clone, Default)]
pub struct Record {
    /// The organism's URL name.
    pub organism: String,
    /// The organism's display name.
    pub display_name: String,
    /// The entry's accession.
    pub accession: String,
    /// The version shown.
    pub version: i64,
    /// The sample's own name (strain or isolate), when it has one.
    pub name: Option<String>,
    /// Whether no newer version exists.
    pub is_latest: bool,
    /// Whether this version revokes the entry.
    pub is_revocation: bool,
    /// Lifecycle status, in lower case.
    pub status: String,
    /// Release date (YYYY-MM-DD), if released.
    pub released: Option<String>,
    /// Submission date (YYYY-MM-DD).
    pub submitted: String,
    /// Name of the group that owns the entry.
    pub group: String,
    /// "Open", or "Restricted until YYYY-MM-DD".
    pub terms: String,
    /// Submitted metadata in schema order (field, value).
    pub metadata: Vec<(String, String)>,
    /// The entry's deposition at ENA, as a sentence ("Deposited at ENA …"), if it was exported.
    pub deposited: Option<String>,
    /// Nextclade's clade.
    pub clade: Option<String>,
    /// The Pango (or the organism's) lineage.
    pub lineage: Option<String>,
    /// Nextclade's coverage of the reference, 0 to 1.
    pub coverage: Option<f64>,
    /// Nextclade's overall QC status (`good`, `mediocre`, `bad`).
    pub qc_status: Option<String>,
    /// Nextclade's overall QC score.
    pub qc_score: Option<f64>,
    /// Each QC rule's outcome.
    pub qc_rules: Vec<QcRule>,
    /// Mutations, in [`MUTATION_LISTS`] order: nucleotide substitutions (`C241T`), deleted
    /// positions or ranges (1-based), nucleotide insertions (`ins_22204:GAG`), amino-acid
    /// substitutions (`S:N501Y`), deletions (`S:Y144-`) and insertions (`ins_S:214:EPE`).
    pub mutations: [Vec<String>; 6],
    /// Processing errors, as messages.
    pub errors: Vec<String>,
    /// Processing warnings, as messages.
    pub warnings: Vec<String>,
    /// The entry's versions the viewer may see, oldest first.
    pub versions: Vec<VersionLine>,
    /// Metadata that differs from the previous version: (field, before, now).
    pub changes: Vec<(String, String, String)>,
    /// This server's base URL for the citation and JSON-LD (`http://host:port`).
    pub base_url: String,
    /// The CSRF token of a logged-in curator of the record's group (who may revoke it).
    pub curator_csrf: Option<String>,
    /// The revision form, for members allowed to revise this entry.
    pub revise_link: Option<String>,
    /// The reference-tree node processing placed the genome on (Nextclade's nearest node).
    pub placement_node: Option<String>,
    /// The organism's phylogenetic tree field, when its tree holds this genome.
    pub tree_field: Option<String>,
    /// A segmented organism's calls per segment the sample has, in genome order (empty for a
    /// virus of one segment, whose calls are the fields above).
    pub segments: Vec<SegmentCalls>,
    /// The organism's segments this sample lacks.
    pub missing_segments: Vec<String>,
}

impl Record {
    /// `ACCESSION.VERSION`.
    pub fn accession_version(&self) -> String {
        format!("{}.{}", self.accession, self.version)
    }

    /// schema.org `Dataset` (the Bioschemas profile for a data record) describing this version.
    pub fn json_ld(&self) -> Value {
        let url = format!("{}/seq/{}", self.base_url, self.accession_version());
        let name = self.name.as_deref().unwrap_or(&self.accession);
        json!({
            "@context": "https://schema.org",
            "@type": "Dataset",
            "http://purl.org/dc/terms/conformsTo": {
                "@id": "https://bioschemas.org/profiles/Dataset/1.0-RELEASE",
                "@type": "CreativeWork"
            },
            "@id": url,
            "url": url,
            "identifier": self.accession_version(),
            "name": format!("{} genome {}", self.display_name, name),
            "description": format!(
                "{} genome sequence {} (version {}){}{}",
                self.display_name,
                self.accession,
                self.version,
                self.lineage.as_deref().map(|l| format!(", lineage {l}")).unwrap_or_default(),
                self.clade.as_deref().map(|c| format!(", clade {c}")).unwrap_or_default(),
            ),
            "version": self.version,
            "datePublished": self.released,
            "isAccessibleForFree": true,
            "conditionsOfAccess": self.terms,
            "keywords": [self.display_name.clone(), self.lineage.clone().unwrap_or_default()],
            "distribution": [
                { "@type": "DataDownload", "encodingFormat": "text/x-fasta", "contentUrl": format!("{url}.fa") },
                { "@type": "DataDownload", "encodingFormat": "text/tab-separated-values", "contentUrl": format!("{url}.tsv") },
                { "@type": "DataDownload", "encodingFormat": "application/json", "contentUrl": format!("{url}.json") }
            ]
        })
    }

    /// Links to the genome's neighbourhood in the organism's tree: the released genomes placed
    /// on the same reference node or below it (its closest relatives here), as a search (an
    /// advancedQuery the search form keeps and refines) and as a Newick subtree.
    fn tree_links(&self) -> Option<(String, String)> {
        let (node, field) = (self.placement_node.as_deref()?, self.tree_field.as_deref()?);
        let quoted = node.replace('\\', "\\\\").replace('\'', "\\'");
        let search = format!(
            "/{}/search?{}",
            self.organism,
            crate::query_string(&[("advancedQuery", format!("{field}.phyloDescendantOf='{quoted}'"))])
        );
        let newick = format!(
            "/{}/sample/phyloSubtree?{}",
            self.organism,
            crate::query_string(&[
                ("phyloTreeField", field),
                (&format!("{field}.phyloDescendantOf"), node),
                ("downloadAsFile", "true"),
            ])
        );
        Some((search, newick))
    }

    fn citation(&self) -> String {
        format!(
            "{} ({}). {} genome {}, version {}. Virion. {}/seq/{}",
            self.group,
            self.released.as_deref().map(|r| &r[..r.len().min(4)]).unwrap_or("n.d."),
            self.display_name,
            self.accession,
            self.version,
            self.base_url,
            self.accession_version(),
        )
    }
}

fn mutation_list(title: &str, items: &[String]) -> Markup {
    html! {
        section.mutations {
            h3 { (title) " " span.n { "(" (items.len()) ")" } }
            @if items.is_empty() {
                p.none { "none" }
            } @else {
                ul.chips { @for m in items { li { code { (m) } } } }
            }
        }
    }
}

fn qc_table(rules: &[QcRule]) -> Markup {
    html! {
        div.scroll { table {
            thead { tr { th scope="col" { "Rule" } th scope="col" { "Status" } th scope="col" { "Score" } th scope="col" { "Details" } } }
            tbody { @for q in rules { tr {
                td { (q.name) } td { span class={ "badge " (q.status) } { (q.status) } }
                td { (q.score.map(|s| format!("{s:.1}")).unwrap_or_default()) } td.wrap { (q.detail) }
            } } }
        } }
    }
}

/// A segmented organism's calls: one row per segment (those the sample lacks say so), then
/// each segment's mutations and QC, with its aligned sequence from LAPIS.
fn segments_section(r: &Record) -> Markup {
    let av = r.accession_version();
    let aligned = |segment: &str| {
        format!(
            "/{}/sample/alignedNucleotideSequences/{segment}?{}",
            r.organism,
            crate::query_string(&[("accessionVersion", av.as_str())])
        )
    };
    let released = r.status == "released" && !r.is_revocation;
    html! {
        section aria-labelledby="segments" data-testid="segments" {
            h2 #segments { "Segments" }
            div.scroll { table {
                thead { tr {
                    th scope="col" { "Segment" } th scope="col" { "Clade" } th scope="col" { "QC" }
                    th scope="col" { "Coverage" } th scope="col" { "Substitutions" } th scope="col" { "Aligned" }
                } }
                tbody {
                    @for s in &r.segments { tr data-segment=(s.name) {
                        th scope="row" { (s.name) }
                        td { (s.clade.as_deref().unwrap_or("—")) }
                        td { @if let Some(q) = &s.qc_status { span class={ "badge " (q) } { (q) }
                            @if let Some(score) = s.qc_score { " (" (format!("{score:.1}")) ")" } } }
                        td { (s.coverage.map(percent).unwrap_or_default()) }
                        td { (s.mutations[0].len()) }
                        td { @if released { a href=(aligned(&s.name)) { "FASTA" } } }
                    } }
                    @for m in &r.missing_segments { tr.missing data-segment=(m) {
                        th scope="row" { (m) } td colspan="5" { span.none { "not sent" } }
                    } }
                }
            } }
            @for s in &r.segments {
                details.segment {
                    summary { "Segment " (s.name) ": mutations and quality control" }
                    div.columns {
                        @for (title, items) in MUTATION_LISTS.iter().zip(&s.mutations) { (mutation_list(title, items)) }
                    }
                    @if !s.qc_rules.is_empty() { (qc_table(&s.qc_rules)) }
                }
            }
        }
    }
}

fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// The record page.
pub fn render(chrome: &Chrome, r: &Record) -> String {
    let av = r.accession_version();
    page(
        chrome,
        html! {
            p.crumbs { a href={ "/" (r.organism) } { (r.display_name) } " › " a href={ "/" (r.organism) "/search" } { "Search" } }
            h1 { (av) @if let Some(n) = &r.name { " " small { (n) } } }
            @if r.is_revocation {
                p.problem role="alert" { "This version revokes the sequence: its data should no longer be used." }
            }
            @if !r.is_latest {
                p.note { "A newer version exists: " a href={ "/seq/" (r.accession) } { "see the latest" } "." }
            }
            dl.summary {
                dt { "Status" } dd { (r.status) }
                @if let Some(l) = &r.lineage { dt { "Lineage" } dd data-testid="lineage" {
                    a href={ "/" (r.organism) "/search?" (crate::query_string(&[("nextcladePangoLineage", l.as_str())])) } { (l) } } }
                @if let Some(c) = &r.clade { dt { "Clade" } dd { (c) } }
                @if let Some(node) = &r.placement_node && !r.is_revocation {
                    dt { "Tree" } dd data-testid="tree" {
                        "placed at " code { (node) } " — "
                        @if let Some((search, newick)) = r.tree_links().filter(|_| r.status == "released") {
                            a href=(search) { "genomes placed here or below" } " · "
                            a href=(newick) { "their subtree (Newick)" } " · "
                        }
                        @if r.segments.is_empty() {
                            a href={ "/seq/" (av) ".auspice.json" } download
                                title="The reference tree with this genome grafted where it was placed: open it in Auspice (auspice.us)" {
                                "this genome on the reference tree (Auspice JSON)" }
                        }
                    }
                }
                @if let Some(q) = &r.qc_status { dt { "QC" } dd.qc { span class={ "badge " (q) } { (q) }
                    @if let Some(s) = r.qc_score { " (score " (format!("{s:.1}")) ")" } } }
                @if let Some(c) = r.coverage { dt { "Coverage" } dd { (percent(c)) } }
                dt { "Released" } dd { (r.released.as_deref().unwrap_or("not released")) }
                dt { "Submitted" } dd { (r.submitted) " by " (r.group) }
                dt { "Data use terms" } dd { (r.terms) }
                @if let Some(d) = &r.deposited { dt { "INSDC" } dd data-testid="deposited" { (d) } }
            }
            @if !r.is_revocation {
                nav.downloads aria-label="Downloads" {
                    "Download: "
                    a href={ "/seq/" (av) ".fa" } download { "FASTA" } " · "
                    a href={ "/seq/" (av) ".tsv" } download { "metadata TSV" } " · "
                    a href={ "/seq/" (av) ".json" } download { "JSON" }
                }
            }
            @if let Some(link) = &r.revise_link && r.is_latest && !r.is_revocation && r.status == "released" {
                p { a href=(link) { "Revise this sequence" } " (corrected metadata or sequence become a new version)" }
            }
            @if let Some(csrf) = &r.curator_csrf && r.is_latest && !r.is_revocation && r.status == "released" {
                details.revoke {
                    summary { "Revoke this sequence" }
                    form.inline method="post" action={ "/seq/" (r.accession) "/revoke" } {
                        input type="hidden" name="csrf" value=(csrf);
                        label { "Reason " input type="text" name="comment" required placeholder="e.g. sample mix-up"; }
                        " " button type="submit" { "Revoke" }
                    }
                    p.hint { "A revocation is a new version; it takes effect once a curator approves it on the review page." }
                }
            }
            @if !r.errors.is_empty() || !r.warnings.is_empty() {
                section aria-labelledby="issues" {
                    h2 #issues { "Processing notes" }
                    ul { @for e in &r.errors { li.error { (e) } } @for w in &r.warnings { li.warning { (w) } } }
                }
            }
            section aria-labelledby="metadata" {
                h2 #metadata { "Metadata" }
                dl.metadata { @for (k, v) in &r.metadata { dt { (k) } dd {
                    @if v.is_empty() { span.none { "—" } }
                    @else if let Some(url) = insdc_url(k, v) { a href=(url) { (v) } }
                    @else { (v) }
                } } }
            }
            @if !r.segments.is_empty() || !r.missing_segments.is_empty() {
                (segments_section(r))
            }
            @if !r.is_revocation && r.segments.is_empty() && r.missing_segments.is_empty() {
                section aria-labelledby="muts" {
                    h2 #muts { "Mutations" }
                    div.columns {
                        @for (title, items) in MUTATION_LISTS.iter().zip(&r.mutations) { (mutation_list(title, items)) }
                    }
                }
            }
            @if !r.qc_rules.is_empty() {
                section aria-labelledby="qc" {
                    h2 #qc { "Quality control" }
                    (qc_table(&r.qc_rules))
                }
            }
            section aria-labelledby="history" {
                h2 #history { "Versions" }
                ol.versions {
                    @for v in &r.versions {
                        li {
                            @if v.version == r.version { strong { "Version " (v.version) } } @else {
                                a href={ "/seq/" (r.accession) "." (v.version) } { "Version " (v.version) } }
                            " — " (v.status)
                            @if let Some(d) = &v.released { ", released " (d) }
                            @if v.is_revocation { " (revocation)" }
                            @if let Some(c) = &v.comment { ": " em { (c) } }
                        }
                    }
                }
                @if !r.changes.is_empty() {
                    h3 { "Changed since version " (r.version - 1) }
                    div.scroll { table.diff {
                        thead { tr { th scope="col" { "Field" } th scope="col" { "Before" } th scope="col" { "Now" } } }
                        tbody { @for (f, a, b) in &r.changes { tr { td { (f) } td.before { del { (a) } } td.after { ins { (b) } } } } }
                    } }
                }
            }
            section aria-labelledby="cite" {
                h2 #cite { "How to cite" }
                blockquote.citation { (r.citation()) }
            }
        },
    )
}

/// Where an INSDC accession of the metadata is shown: ENA's browser, or BioSamples for a
/// BioSample accession.
fn insdc_url(field: &str, value: &str) -> Option<String> {
    let safe =
        !value.is_empty() && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_');
    match field {
        _ if !safe => None,
        "biosample_accession" => Some(format!("https://www.ebi.ac.uk/biosamples/samples/{value}")),
        "ena_study_accession" | "ena_sample_accession" | "ena_assembly_accession" | "insdc_accession" => {
            Some(format!("https://www.ebi.ac.uk/ena/browser/view/{value}"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_page_shows_calls_history_and_json_ld() {
        let r = Record {
            organism: "sars-cov-2".into(),
            display_name: "SARS-CoV-2".into(),
            accession: "VN000001".into(),
            version: 2,
            is_latest: true,
            status: "released".into(),
            released: Some("2026-12-01".into()),
            terms: "Open".into(),
            metadata: vec![
                ("strain".into(), "Switzerland/1/2024".into()),
                ("country".into(), "Switzerland".into()),
            ],
            lineage: Some("JN.1".into()),
            mutations: [vec!["C241T".into()], vec![], vec![], vec![], vec![], vec![]],
            versions: vec![
                VersionLine { version: 1, status: "released".into(), ..Default::default() },
                VersionLine { version: 2, status: "released".into(), ..Default::default() },
            ],
            changes: vec![("country".into(), "Swizterland".into(), "Switzerland".into())],
            base_url: "http://localhost:8080".into(),
            ..Default::default()
        };
        let chrome = Chrome { json_ld: Some(r.json_ld()), ..Default::default() };
        let html = render(&chrome, &r);
        assert!(html.contains("VN000001.2"));
        assert!(html.contains(r#"href="/seq/VN000001.1""#));
        assert!(html.contains("<code>C241T</code>"));
        assert!(html.contains("<del>Swizterland</del>"));
        assert!(html.contains(r#""@type":"Dataset""#));
        assert!(html.contains("http://localhost:8080/seq/VN000001.2.fa"));
        assert!(html.contains("nextcladePangoLineage=JN.1"));
        // No tree, no tree links.
        assert!(!html.contains(r#"data-testid="tree""#));
        let placed = Record {
            placement_node: Some("NODE_0000042".into()),
            tree_field: Some("accessionVersion".into()),
            ..r
        };
        let html = render(&Chrome::default(), &placed);
        assert!(html.contains("<code>NODE_0000042</code>"), "{html}");
        assert!(
            html.contains(
                "/sars-cov-2/search?advancedQuery=accessionVersion.phyloDescendantOf%3D%27NODE_0000042%27"
            ),
            "{html}"
        );
        assert!(html.contains(
            "/sars-cov-2/sample/phyloSubtree?phyloTreeField=accessionVersion&amp;accessionVersion.phyloDescendantOf=NODE_0000042&amp;downloadAsFile=true"
        ), "{html}");
    }

    #[test]
    fn a_segmented_record_lists_its_segments_and_those_it_lacks() {
        let r = Record {
            organism: "influenza-a-h3n2".into(),
            accession: "VFA000001".into(),
            version: 1,
            status: "released".into(),
            segments: vec![SegmentCalls {
                name: "ha".into(),
                clade: Some("J.2".into()),
                qc_status: Some("good".into()),
                mutations: [vec!["A12G".into()], vec![], vec![], vec!["HA1:N158K".into()], vec![], vec![]],
                ..Default::default()
            }],
            missing_segments: vec!["pb2".into()],
            ..Default::default()
        };
        let html = render(&Chrome::default(), &r);
        assert!(html.contains(r#"data-segment="ha""#) && html.contains("J.2"), "{html}");
        assert!(html.contains(r#"data-segment="pb2""#) && html.contains("not sent"), "{html}");
        assert!(html.contains("<code>HA1:N158K</code>"), "{html}");
        assert!(
            html.contains(
                "/influenza-a-h3n2/sample/alignedNucleotideSequences/ha?accessionVersion=VFA000001.1"
            ),
            "{html}"
        );
        // The single-genome mutation section is not shown for a segmented record.
        assert!(!html.contains(r#"id="muts""#), "{html}");
    }
}
