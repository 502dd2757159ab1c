//! Submitting and reviewing: the upload form (metadata table + FASTA, a TSV template from the
//! schema), its validation problems listed by file, line, column and value, and the review
//! page (status counts, entries with their processing errors and warnings, bulk approve and
//! discard).

use maud::html;

use crate::count;
use crate::layout::{Chrome, page};

/// One validation problem of an upload.
#[derive(Debug, Clone, Default)]
pub struct IssueRow {
    /// `error` or `warning` (also the row's CSS class).
    pub severity: String,
    /// The file the problem is in.
    pub file: String,
    /// 1-based line, if the problem is in a row.
    pub line: Option<u64>,
    /// The column, if the problem is in one cell.
    pub column: Option<String>,
    /// The offending cell text, if any.
    pub value: Option<String>,
    /// What is wrong and how to fix it.
    pub message: String,
}

/// What the upload page shows.
#[derive(Debug, Clone, Default)]
pub struct Upload {
    /// The organism's URL name.
    pub organism: String,
    /// The organism's display name.
    pub display_name: String,
    /// The CSRF token the form carries.
    pub csrf: String,
    /// Groups the account may submit to.
    pub groups: Vec<String>,
    /// The group chosen last time, preselected.
    pub group: Option<String>,
    /// The problems of the last attempt (nothing was stored).
    pub issues: Vec<IssueRow>,
    /// Issues beyond those listed.
    pub more_issues: u64,
    /// Why the last attempt failed as a whole (not a row problem), shown as an alert.
    pub error: Option<String>,
}

/// The upload page: metadata and FASTA upload, templates, and the last attempt's problems.
pub fn upload(chrome: &Chrome, u: &Upload) -> String {
    let org = &u.organism;
    page(
        chrome,
        html! {
            h1 { "Submit " (u.display_name) " genomes" }
            p {
                "Upload a metadata table (TSV, CSV, XLSX or NDJSON, compressed or not) with one row per genome, and a FASTA file whose record names are the table's submission ids. "
                "Metadata template: "
                a href={ "/" (org) "/templates/template.xlsx" } download { "XLSX" } " · "
                a href={ "/" (org) "/templates/template.tsv" } download { "TSV" }
                " (the XLSX's second sheet describes every field). A file with any invalid row is rejected whole, and every problem is listed."
            }
            @if let Some(e) = &u.error { p.problem role="alert" { (e) } }
            @if !u.issues.is_empty() {
                section aria-labelledby="problems" {
                    h2 #problems { (u.issues.len() as u64 + u.more_issues) " problems; nothing was stored" }
                    div.scroll { table #issues {
                        thead { tr { th scope="col" { "File" } th scope="col" { "Line" } th scope="col" { "Column" } th scope="col" { "Value" } th scope="col" { "Problem" } } }
                        tbody { @for i in &u.issues { tr class=(i.severity) {
                            td { (i.file) } td { (i.line.map(|l| l.to_string()).unwrap_or_default()) }
                            td { (i.column.as_deref().unwrap_or("")) } td { code.value { (i.value.as_deref().unwrap_or("")) } }
                            td.wrap { (i.message) }
                        } } }
                    } }
                    @if u.more_issues > 0 { p { "… and " (count(u.more_issues)) " more." } }
                }
            }
            @if u.groups.is_empty() {
                p.note { "You are not a submitter of any group. " a href="/account" { "Create a group" } " first." }
            } @else {
                form.account method="post" action={ "/" (org) "/submit" } enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(u.csrf);
                    div.field {
                        label for="f-group" { "Group" }
                        select #f-group name="group" {
                            @for g in &u.groups { option value=(g) selected[u.group.as_deref() == Some(g.as_str())] { (g) } }
                        }
                    }
                    div.field {
                        label for="f-metadata" { "Metadata table" }
                        input #f-metadata type="file" name="metadata" required accept=".tsv,.csv,.xlsx,.ndjson,.gz,.zst,.xz,.bz2";
                    }
                    div.field {
                        label for="f-sequences" { "Sequences (FASTA)" }
                        input #f-sequences type="file" name="sequences" required accept=".fasta,.fa,.fas,.gz,.zst,.xz,.bz2";
                    }
                    fieldset.field {
                        legend { "Data use terms" }
                        label.check { input type="radio" name="dataUseTermsType" value="OPEN" checked; " Open" }
                        label.check { input type="radio" name="dataUseTermsType" value="RESTRICTED"; " Restricted" }
                        label { "until " input type="date" name="restrictedUntil"; }
                        span.hint { " (at most a year ahead; the data become open on that day)" }
                    }
                    button type="submit" { "Submit" }
                }
            }
        },
    )
}

/// One version on the review page.
#[derive(Debug, Clone, Default)]
pub struct EntryRow {
    /// The version's `ACCESSION.VERSION`.
    pub accession_version: String,
    /// The submitter's id for the row.
    pub submission_id: String,
    /// Lifecycle status (`RECEIVED`, `PROCESSED`, ...).
    pub status: String,
    /// Processing result (`OK`, `WARNINGS`, `ERRORS`), once processed.
    pub result: Option<String>,
    /// Processing errors, as messages.
    pub errors: Vec<String>,
    /// Processing warnings, as messages.
    pub warnings: Vec<String>,
    /// Awaiting review (or processing) and not a revocation: can be fixed on the edit form.
    pub editable: bool,
}

/// What the review page shows.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// The organism's URL name.
    pub organism: String,
    /// The organism's display name.
    pub display_name: String,
    /// The CSRF token the forms carry.
    pub csrf: String,
    /// The group reviewed.
    pub group: String,
    /// Groups the account may review, for switching.
    pub groups: Vec<String>,
    /// (status, processing result, count).
    pub counts: Vec<(String, Option<String>, i64)>,
    /// The versions listed.
    pub entries: Vec<EntryRow>,
    /// Only entries with errors (`errors`) or warnings (`warnings`).
    pub only: Option<String>,
    /// What the last action did.
    pub message: Option<String>,
    /// Why the last action failed, shown as an alert.
    pub error: Option<String>,
    /// Deposition at ENA, for an organism set up for it: (entries exported, entries whose
    /// INSDC accessions are recorded).
    pub ena: Option<(i64, i64)>,
}

/// The review page's deposition panel: the Webin files of the group's released genomes not yet
/// deposited, and ENA's receipts read back.
fn ena_panel(r: &Review, exported: i64, recorded: i64) -> maud::Markup {
    let org = &r.organism;
    html! {
        section aria-labelledby="ena" {
            h2 #ena { "Deposit at ENA" }
            p data-testid="ena-counts" { (exported) " exported, " (recorded) " with INSDC accessions recorded." }
            details.ena-export {
                summary { "Download the Webin files of the released genomes not yet deposited" }
                form method="post" action={ "/" (org) "/ena/export" } {
                    input type="hidden" name="csrf" value=(r.csrf);
                    input type="hidden" name="group" value=(r.group);
                    p.hint { "Study (PROJECT), samples (checklist ERC000033) and submission as Webin XML, and per genome a Webin-CLI manifest, chromosome list and FASTA. Each genome is exported once." }
                    label for="ena-study-accession" { "Existing ENA study (PRJEB…), or leave empty to register a new one" }
                    input #ena-study-accession type="text" name="studyAccession";
                    label for="ena-center" { "Center name of the Webin account" }
                    input #ena-center type="text" name="centerName";
                    label for="ena-platform" { "Platform, for rows that name no instrument (e.g. ILLUMINA)" }
                    input #ena-platform type="text" name="platform";
                    label for="ena-program" { "Assembly program, for rows that name none" }
                    input #ena-program type="text" name="program";
                    label for="ena-coverage" { "Mean coverage, for rows that give none" }
                    input #ena-coverage type="text" inputmode="decimal" name="coverage";
                    label for="ena-hold" { "Keep private until (YYYY-MM-DD, optional)" }
                    input #ena-hold type="date" name="holdUntil";
                    button type="submit" { "Download Webin files" }
                }
            }
            details.ena-receipt {
                summary { "Record ENA's receipts" }
                form method="post" action={ "/" (org) "/ena/receipt" } enctype="multipart/form-data" {
                    input type="hidden" name="csrf" value=(r.csrf);
                    input type="hidden" name="group" value=(r.group);
                    label for="ena-receipts" { "RECEIPT XML files (the study's and samples', and Webin-CLI's for each genome)" }
                    input #ena-receipts type="file" name="receipt" multiple required accept=".xml,application/xml,text/xml";
                    button type="submit" { "Record accessions" }
                    p.hint { "Each deposited entry gets a new version with its accessions; approve it here to release it." }
                }
            }
        }
    }
}

/// The review page: status counts, the entries with their problems, and approve and discard actions.
pub fn review(chrome: &Chrome, r: &Review) -> String {
    let org = &r.organism;
    let base = format!("/{org}/review?group={}", r.group);
    let processing = r.counts.iter().any(|(s, _, n)| (s == "RECEIVED" || s == "IN_PROCESSING") && *n > 0);
    page(
        chrome,
        html! {
            h1 { "Review: " (r.group) }
            @if processing {
                // Refreshes while genomes are still being processed (no script needed).
                meta http-equiv="refresh" content="3";
            }
            @if let Some(m) = &r.message { p.note role="status" { (m) } }
            @if let Some(e) = &r.error { p.problem role="alert" { (e) } }
            @if r.groups.len() > 1 {
                nav aria-label="Groups" { "Groups: " @for g in &r.groups { a href={ "/" (org) "/review?group=" (g) } { (g) } " " } }
            }
            section aria-labelledby="counts" {
                h2 #counts { "Status" }
                ul.counts data-testid="status-counts" {
                    @for (status, result, n) in &r.counts {
                        li { span.status { (status.to_lowercase()) @if let Some(res) = result { " (" (res.to_lowercase()) ")" } } ": " strong { (n) } }
                    }
                    @if r.counts.is_empty() { li { "Nothing submitted yet. " a href={ "/" (org) "/submit" } { "Submit genomes" } } }
                }
                @if processing { p.hint { "Processing… this page refreshes by itself." } }
            }
            div.actions {
                @for (action, scope, label) in [("approve", "all", "Approve all processed"), ("approve", "withoutWarnings", "Approve those without warnings"), ("discard", "withErrors", "Discard those with errors")] {
                    form.inline method="post" action={ "/" (org) "/review/" (action) } {
                        input type="hidden" name="csrf" value=(r.csrf);
                        input type="hidden" name="group" value=(r.group);
                        input type="hidden" name="scope" value=(scope);
                        button type="submit" { (label) }
                    }
                }
            }
            @if let Some((exported, recorded)) = r.ena { (ena_panel(r, exported, recorded)) }
            nav.filters aria-label="Show" {
                "Show: "
                a href=(base) aria-current=[r.only.is_none().then_some("page")] { "all" } " · "
                a href={ (base) "&only=errors" } aria-current=[(r.only.as_deref() == Some("errors")).then_some("page")] { "with errors" } " · "
                a href={ (base) "&only=warnings" } aria-current=[(r.only.as_deref() == Some("warnings")).then_some("page")] { "with warnings" }
            }
            div.scroll { table #entries {
                thead { tr { th scope="col" { "Accession" } th scope="col" { "Submission id" } th scope="col" { "Status" } th scope="col" { "Errors and warnings" } } }
                tbody { @for e in &r.entries { tr {
                    td {
                        @if e.status == "RELEASED" { a href={ "/seq/" (e.accession_version) } { (e.accession_version) } } @else { (e.accession_version) }
                        @if e.editable { " " a.edit href={ "/" (org) "/edit/" (e.accession_version) } aria-label={ "Edit " (e.accession_version) } { "edit" } }
                    }
                    td { (e.submission_id) }
                    td { (e.status.to_lowercase()) @if let Some(res) = &e.result { " (" (res.to_lowercase()) ")" } }
                    td.wrap { ul.messages { @for m in &e.errors { li.error { (m) } } @for m in &e.warnings { li.warning { (m) } } } }
                } } }
            } }
        },
    )
}

/// One metadata field on the edit form.
#[derive(Debug, Clone, Default)]
pub struct EditField {
    /// The field's name.
    pub name: String,
    /// What the field means.
    pub description: String,
    /// A typical value.
    pub example: Option<String>,
    /// Whether the field must have a value.
    pub required: bool,
    /// The submission id: shown, not changed (it pairs the row with its FASTA record).
    pub read_only: bool,
    /// The current value.
    pub value: String,
    /// What validation or processing found wrong with this field.
    pub problems: Vec<String>,
}

/// The form that fixes an unreleased row (processed again under the same version) or revises
/// a released entry (a new version).
#[derive(Debug, Clone, Default)]
pub struct EditEntry {
    /// The organism's URL name.
    pub organism: String,
    /// The CSRF token the form carries.
    pub csrf: String,
    /// The version edited, as `ACCESSION.VERSION`.
    pub accession_version: String,
    /// Released: saving makes a new version instead of replacing this one.
    pub revise: bool,
    /// The group that owns the entry.
    pub group: String,
    /// The metadata fields, in schema order.
    pub fields: Vec<EditField>,
    /// Problems tied to no one field (alignment, sequence, …).
    pub problems: Vec<String>,
    /// Processing warnings of the version, as messages.
    pub warnings: Vec<String>,
    /// Length of the stored sequence, kept unless a new one is pasted.
    pub sequence_length: usize,
    /// A segmented organism's stored segments and their lengths (empty otherwise): each is kept
    /// unless a record of it is pasted.
    pub segments: Vec<(String, usize)>,
    /// A pasted sequence sent back after a failed attempt.
    pub sequence: String,
    /// Why the last attempt failed, shown as an alert.
    pub error: Option<String>,
}

/// The edit page: one input per metadata field, the sequence, and the version's problems.
pub fn edit(chrome: &Chrome, e: &EditEntry) -> String {
    let action = format!("/{}/edit/{}", e.organism, e.accession_version);
    page(
        chrome,
        html! {
            @if e.revise {
                h1 { "Revise " (e.accession_version) }
                p { "Saving makes a new version of this entry. It is processed and then awaits approval on the "
                    a href={ "/" (e.organism) "/review?group=" (e.group) } { "review page" }
                    "; the released version stays public until the new one is released." }
            } @else {
                h1 { "Edit " (e.accession_version) }
                p { "Fix what is wrong and save: the entry is processed again and comes back to the "
                    a href={ "/" (e.organism) "/review?group=" (e.group) } { "review page" } "." }
            }
            @if let Some(m) = &e.error { p.problem role="alert" { (m) } }
            @if !e.problems.is_empty() {
                section.problems aria-labelledby="entry-problems" {
                    h2 #entry-problems { "Problems" }
                    ul.messages { @for m in &e.problems { li.error { (m) } } @for m in &e.warnings { li.warning { (m) } } }
                }
            } @else if !e.warnings.is_empty() {
                ul.messages { @for m in &e.warnings { li.warning { (m) } } }
            }
            form.edit method="post" action=(action) {
                input type="hidden" name="csrf" value=(e.csrf);
                div.fields {
                    @for f in &e.fields {
                        @let id = format!("field-{}", f.name);
                        @let help = format!("{id}-help");
                        div.field {
                            label for=(id) { code { (f.name) } @if f.required { " (required)" } }
                            input #(id) type="text" name={ "field:" (f.name) } value=(f.value)
                                readonly[f.read_only] required[f.required]
                                aria-invalid=[(!f.problems.is_empty()).then_some("true")]
                                aria-describedby=(help)
                                placeholder=[f.example.as_deref()];
                            div.hint id=(help) {
                                @for p in &f.problems { span.error role="alert" { (p) } " " }
                                (f.description)
                            }
                        }
                    }
                }
                div.field {
                    label for="sequence" { "Sequence" }
                    textarea #sequence name="sequence" rows="4" aria-describedby="sequence-help" { (e.sequence) }
                    @if e.segments.is_empty() {
                        div.hint #sequence-help { "Leave empty to keep the stored sequence (" (count(e.sequence_length as u64)) " bases); paste a FASTA record or plain letters to replace it." }
                    } @else {
                        div.hint #sequence-help {
                            "Stored segments: "
                            @for (i, (name, len)) in e.segments.iter().enumerate() {
                                @if i > 0 { ", " } (name) " (" (count(*len as u64)) " bases)"
                            }
                            ". Leave empty to keep them; paste one FASTA record per segment to replace (e.g. "
                            code { ">ha" } " then its letters): each record's segment is recognised from its sequence, and segments not pasted stay."
                        }
                    }
                }
                button type="submit" { @if e.revise { "Submit revision" } @else { "Save and process again" } }
            }
        },
    )
}
