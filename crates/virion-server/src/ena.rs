//! Deposition at ENA through the hub: the Webin files of a group's released, not yet deposited
//! genomes (one zip), and ENA's receipts read back into INSDC accessions on the entries.
//!
//! `virion-ena` checks values against ENA's rules and writes the files; this module picks the
//! entries (`virion-store`), maps each organism schema's fields onto ENA's by their `ena_tag`,
//! and records what was exported and what ENA answered.

use std::io::Write;
use std::path::Path;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use virion_ena::{
    AssemblyType, GenomeManifest, MoleculeType, ObjectKind, Receipt, Replicon, Sample, Study,
    SubmissionAction,
};
use virion_store::{Accession, AccessionVersion, EnaAccessions, EnaExported, EnaRecord, Revision};

use crate::auth::AuthUser;
use crate::entries::{OrganismPath, parse_accession, tsv_cell, validated_metadata};
use crate::error::{ApiError, ApiJson, ProblemResponse};
use crate::state::{AppState, HubOrganism};

/// The schema fields the accessions from ENA's receipts are recorded in.
pub(crate) const STUDY_FIELD: &str = "ena_study_accession";
pub(crate) const SAMPLE_FIELD: &str = "ena_sample_accession";
pub(crate) const BIOSAMPLE_FIELD: &str = "biosample_accession";
pub(crate) const ASSEMBLY_FIELD: &str = "ena_assembly_accession";
/// Fields the Webin-CLI manifest takes from the metadata, when the row has them.
const COVERAGE_FIELD: &str = "sequencing_coverage";
const PROGRAM_FIELD: &str = "assembly_method";
const PLATFORM_FIELD: &str = "sequencing_instrument";
/// A row with this field filled is already in INSDC: it is not deposited again.
const INSDC_FIELD: &str = "insdc_accession";

/// Largest receipt the hub reads (ENA's receipts for 10,000 samples are a few MiB).
pub(crate) const MAX_RECEIPT_BYTES: usize = 64 << 20;

/// What to deposit and how.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnaExportRequest {
    /// The group whose released entries are deposited.
    #[schema(example = "dk-ssi")]
    pub(crate) group: String,
    /// Only these entries (accessions); default: every released entry of the group not yet
    /// deposited and not already in INSDC.
    #[serde(default)]
    pub(crate) accessions: Option<Vec<String>>,
    /// Deposit under this existing ENA study instead of registering a new one.
    #[serde(default)]
    #[schema(example = "PRJEB12345")]
    pub(crate) study_accession: Option<String>,
    /// Title of the new study (20–250 characters; default: from the organism and group).
    #[serde(default)]
    pub(crate) study_title: Option<String>,
    /// Description of the new study (20–4000 characters; default: from the organism and group).
    #[serde(default)]
    pub(crate) study_description: Option<String>,
    /// The Webin account's center name.
    #[serde(default)]
    pub(crate) center_name: Option<String>,
    /// Sequencing platform for rows that name no instrument.
    #[serde(default)]
    pub(crate) platform: Option<String>,
    /// Assembly software for rows that name none.
    #[serde(default)]
    pub(crate) program: Option<String>,
    /// Mean coverage for rows that give none.
    #[serde(default)]
    pub(crate) coverage: Option<f64>,
    /// Keep the new study and samples private until this date (YYYY-MM-DD).
    #[serde(default)]
    pub(crate) hold_until: Option<String>,
}

/// One exported entry, as `export.json` lists it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExportedEntry {
    accession_version: String,
    sample_alias: String,
    assembly_name: String,
    manifest: String,
}

/// Builds the Webin files of a group's released genomes not yet deposited, records the export
/// and answers them as one zip.
#[utoipa::path(post, path = "/api/{organism}/ena/export",
    summary = "Webin files to deposit a group's released genomes at ENA (study, ERC000033 samples, submission XML; per genome a Webin-CLI manifest, chromosome list and FASTA), as a zip; entries exported once are not exported again",
    params(OrganismPath), request_body = EnaExportRequest, security(("bearer" = [])),
    responses((status = 200, description = "The files, as a zip", content_type = "application/zip"),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse)))]
pub async fn export(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    UrlPath(OrganismPath { organism }): UrlPath<OrganismPath>,
    ApiJson(req): ApiJson<EnaExportRequest>,
) -> Result<Response, ApiError> {
    export_zip(&state, user.id, &organism, req).await
}

impl EnaExportRequest {
    /// The request of the review page's form (text fields; empty ones left out).
    pub(crate) fn from_form(pairs: &[(String, String)]) -> Result<EnaExportRequest, ApiError> {
        let get = |name: &str| {
            pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned()).filter(|v| !v.is_empty())
        };
        let coverage = match get("coverage") {
            Some(c) => Some(
                c.parse::<f64>()
                    .map_err(|_| ApiError::BadRequest(format!("coverage {c:?} is not a number")))?,
            ),
            None => None,
        };
        Ok(EnaExportRequest {
            group: get("group").ok_or_else(|| ApiError::BadRequest("name the group".into()))?,
            accessions: None,
            study_accession: get("studyAccession"),
            study_title: get("studyTitle"),
            study_description: get("studyDescription"),
            center_name: get("centerName"),
            platform: get("platform"),
            program: get("program"),
            coverage,
            hold_until: get("holdUntil"),
        })
    }
}

/// The Webin files of `req` as a zip answer, the export recorded (the API's and the review
/// page's export).
pub(crate) async fn export_zip(
    state: &AppState,
    user: virion_store::UserId,
    organism: &str,
    req: EnaExportRequest,
) -> Result<Response, ApiError> {
    let organism = organism.to_owned();
    let org = state.organism(&organism)?;
    let settings = org.config.ena.as_ref().ok_or_else(|| {
        ApiError::NotFound(format!(
            "organism {organism:?} is not set up for deposition at ENA (no [ena] in its config)"
        ))
    })?;
    let store = state.store();
    let group = store.group_by_name(&req.group).await?;
    let only = match &req.accessions {
        Some(list) => {
            Some(list.iter().map(|a| parse_accession(org, a)).collect::<Result<Vec<Accession>, _>>()?)
        }
        None => None,
    };
    let candidates =
        store.ena_candidates(user, org.id, group, only.as_deref(), virion_store::MAX_EXPORT_ENTRIES).await?;
    let hold_until = match &req.hold_until {
        Some(text) => Some(
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| ApiError::BadRequest(format!("holdUntil {text:?} is not a date YYYY-MM-DD")))?,
        ),
        None => None,
    };

    let export_id =
        format!("{}-{}-{}", org.config.name, req.group, chrono::Utc::now().format("%Y%m%dT%H%M%SZ"));
    let study_ref = req.study_accession.clone().unwrap_or_else(|| format!("{export_id}-study"));
    let mut genomes = Vec::new();
    let mut samples = Vec::new();
    let mut problems = Vec::new();
    for av in &candidates {
        let record = store.get_version(Some(user), av).await?;
        let metadata: serde_json::Map<String, Value> =
            serde_json::from_str(&record.submitted_metadata_json).unwrap_or_default();
        if metadata.get(INSDC_FIELD).is_some_and(|v| !tsv_cell(v).is_empty()) {
            continue;
        }
        match prepare(org, settings, &req, av, &metadata, &study_ref) {
            Ok((sample, manifest)) => {
                let sequence = store.sequence_of(&record).await?;
                samples.push(sample);
                genomes.push((av.clone(), manifest, sequence));
            }
            Err(e) => problems.push(e.to_string()),
        }
    }
    if !problems.is_empty() {
        let shown: Vec<&str> = problems.iter().take(20).map(String::as_str).collect();
        return Err(ApiError::Unreadable(format!(
            "{} of {} entries cannot be deposited as they are (fix them with a revision, or leave them out with `accessions`): {}{}",
            problems.len(),
            candidates.len(),
            shown.join("; "),
            if problems.len() > shown.len() { "; …" } else { "" }
        )));
    }
    if genomes.is_empty() {
        return Err(ApiError::Conflict(format!(
            "group {:?} has no released {} entries left to deposit (each entry is exported once)",
            req.group, org.config.name
        )));
    }
    let study = match &req.study_accession {
        Some(_) => None,
        None => Some(Study {
            alias: study_ref.clone(),
            title: req.study_title.clone().unwrap_or_else(|| {
                format!("{} genomic surveillance by {}", settings.scientific_name, req.group)
            }),
            description: req.study_description.clone().unwrap_or_else(|| {
                format!(
                    "Consensus genomes of {} with their sample metadata (ENA checklist ERC000033), deposited by group {} of a Virion node.",
                    settings.scientific_name, req.group
                )
            }),
            center_name: req.center_name.clone(),
            taxon_id: settings.taxon_id,
            scientific_name: settings.scientific_name.clone(),
        }),
    };

    let uploads = state.data_dir().join("uploads");
    let exported: Vec<EnaExported> = genomes
        .iter()
        .map(|(av, manifest, _)| EnaExported {
            accession_version: av.clone(),
            sample_alias: manifest.sample.clone(),
            assembly_name: manifest.assembly_name.clone(),
        })
        .collect();
    let zip = {
        let export_id = export_id.clone();
        let scientific_name = settings.scientific_name.clone();
        let segmented = org.datasets.segmented;
        tokio::task::spawn_blocking(move || {
            write_zip(
                &uploads,
                &export_id,
                study.as_ref(),
                &samples,
                &genomes,
                hold_until,
                (&scientific_name, segmented),
            )
        })
        .await
        .map_err(|e| ApiError::Internal(format!("export task: {e}")))??
    };
    store.record_ena_export(user, &export_id, &exported).await?;
    tracing::info!(event = "ena_export", organism = %org.config.name, group = %req.group, export = %export_id,
        entries = exported.len(), "exported genomes for deposition at ENA");
    Ok(crate::lapis::package::zip_response(zip, &format!("{export_id}.zip")).await)
}

/// The sample and genome manifest of one entry, or why ENA would refuse them.
fn prepare(
    org: &HubOrganism,
    settings: &virion_schema::EnaSettings,
    req: &EnaExportRequest,
    av: &AccessionVersion,
    metadata: &serde_json::Map<String, Value>,
    study_ref: &str,
) -> Result<(Sample, GenomeManifest), virion_ena::EnaError> {
    let alias = av.to_string();
    let text = |field: &str| metadata.get(field).map(tsv_cell).filter(|t| !t.is_empty());
    // Structural tags and checklist attributes by the schema's `ena_tag`; the sample's alias is
    // the version's accession (unique, and it leads back to the entry from ENA's receipt).
    let mut values: Vec<(String, Option<String>)> = vec![("alias".to_owned(), Some(alias.clone()))];
    for field in &org.config.fields {
        let Some(tag) = field.ena_tag.as_deref() else { continue };
        if tag == "alias" {
            continue;
        }
        let mut value = text(&field.name);
        if tag == "title" && value.as_deref().is_none_or(|v| virion_schema::ena_missing_term(v).is_some()) {
            value = Some(format!("{} genome {alias}", org.config.display_name));
        }
        if tag == "taxon_id" && value.is_none() {
            value = Some(settings.taxon_id.to_string());
        }
        values.push((tag.to_owned(), value));
    }
    let pairs: Vec<(&str, Option<&str>)> = values.iter().map(|(t, v)| (t.as_str(), v.as_deref())).collect();
    let sample = virion_ena::checklist_sample(&pairs, &settings.scientific_name)?;
    let missing = |field: &str, flag: &str| virion_ena::EnaError::Missing {
        record: alias.clone(),
        field: format!("{field} (or the export's `{flag}`)"),
    };
    // The organism config's [ena] values, checked here as ENA would.
    let unknown = |field: &str, value: &str| virion_ena::EnaError::InvalidValue {
        record: alias.clone(),
        field: format!("[ena] {field} of organism {}", org.config.name),
        value: value.to_owned(),
        reason: "not a value Webin-CLI takes".to_owned(),
    };
    let coverage = match text(COVERAGE_FIELD) {
        Some(t) => t.parse::<f64>().map_err(|_| virion_ena::EnaError::InvalidValue {
            record: alias.clone(),
            field: COVERAGE_FIELD.to_owned(),
            value: t.clone(),
            reason: "not a number".to_owned(),
        })?,
        None => req.coverage.ok_or_else(|| missing(COVERAGE_FIELD, "coverage"))?,
    };
    let manifest = GenomeManifest {
        study: study_ref.to_owned(),
        sample: alias.clone(),
        assembly_name: alias.clone(),
        assembly_type: AssemblyType::parse(&settings.assembly_type)
            .ok_or_else(|| unknown("assembly_type", &settings.assembly_type))?,
        coverage,
        program: text(PROGRAM_FIELD)
            .or_else(|| req.program.clone())
            .ok_or_else(|| missing(PROGRAM_FIELD, "program"))?,
        platform: text(PLATFORM_FIELD)
            .or_else(|| req.platform.clone())
            .ok_or_else(|| missing(PLATFORM_FIELD, "platform"))?,
        molecule_type: Some(
            MoleculeType::parse(&settings.molecule_type)
                .ok_or_else(|| unknown("molecule_type", &settings.molecule_type))?,
        ),
        description: None,
        run_ref: Vec::new(),
        min_gap_length: None,
        submission_tool: Some("Virion".to_owned()),
        submission_tool_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
    };
    Ok((sample, manifest))
}

/// Writes every file into a zip in the uploads directory (removed when dropped).
fn write_zip(
    uploads: &Path,
    export_id: &str,
    study: Option<&Study>,
    samples: &[Sample],
    genomes: &[(AccessionVersion, GenomeManifest, Vec<u8>)],
    hold_until: Option<chrono::NaiveDate>,
    (scientific_name, segmented): (&str, bool),
) -> Result<tempfile::NamedTempFile, ApiError> {
    let bad = |e: virion_ena::EnaError| ApiError::Unreadable(e.to_string());
    let io = |e: std::io::Error| ApiError::Internal(format!("writing the export: {e}"));
    std::fs::create_dir_all(uploads).map_err(io)?;
    let work = tempfile::tempdir_in(uploads).map_err(io)?;
    let mut listed = Vec::new();
    for (av, manifest, sequence) in genomes {
        let dir = work.path().join("genomes").join(&manifest.assembly_name);
        std::fs::create_dir_all(&dir).map_err(io)?;
        let sample;
        let replicons = if segmented {
            // One replicon per segment the sample has: `<assembly>_<segment>`, chromosome named
            // by the segment (upper case, as INSDC names influenza segments: `HA`).
            sample = virion_core::SegmentedSequence::decode(sequence)
                .map_err(|e| ApiError::Internal(format!("{av}: stored segments: {e}")))?;
            sample
                .segments
                .iter()
                .map(|(segment, seq)| Replicon {
                    object_name: format!("{}_{segment}", manifest.assembly_name),
                    chromosome_name: segment.to_ascii_uppercase(),
                    chromosome_type: virion_ena::ChromosomeType::Segmented,
                    ..Replicon::monopartite(&manifest.assembly_name, seq)
                })
                .collect()
        } else {
            vec![Replicon::monopartite(&manifest.assembly_name, sequence)]
        };
        let files = virion_ena::write_genome(&dir, manifest, scientific_name, &replicons).map_err(bad)?;
        listed.push(ExportedEntry {
            accession_version: av.to_string(),
            sample_alias: manifest.sample.clone(),
            assembly_name: manifest.assembly_name.clone(),
            manifest: format!(
                "genomes/{}/{}",
                manifest.assembly_name,
                files.manifest.file_name().and_then(|n| n.to_str()).unwrap_or_default()
            ),
        });
    }
    let mut actions = vec![SubmissionAction::Add];
    if let Some(date) = hold_until {
        actions.push(SubmissionAction::Hold { until: date, target: None });
    }
    let mut xml_files = vec![
        ("samples.xml", virion_ena::sample_set_xml(samples).map_err(bad)?),
        ("submission.xml", virion_ena::submission_xml(&actions).map_err(bad)?),
    ];
    if let Some(study) = study {
        xml_files.push(("study.xml", virion_ena::project_set_xml(study).map_err(bad)?));
    }
    for (name, text) in &xml_files {
        std::fs::write(work.path().join(name), text).map_err(io)?;
    }
    let summary = serde_json::json!({ "export": export_id, "entries": listed });
    std::fs::write(work.path().join("export.json"), serde_json::to_vec_pretty(&summary).unwrap_or_default())
        .map_err(io)?;

    let out = tempfile::NamedTempFile::new_in(uploads).map_err(io)?;
    let mut zip = zip::ZipWriter::new(out.reopen().map_err(io)?);
    // The gz files are compressed already: stored as they are.
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    for entry in walk(work.path()).map_err(io)? {
        let name = entry
            .strip_prefix(work.path())
            .ok()
            .and_then(|p| p.to_str())
            .ok_or_else(|| ApiError::Internal(format!("export file name {}", entry.display())))?
            .replace('\\', "/");
        let options = if name.ends_with(".gz") { stored } else { deflated };
        zip.start_file(&name, options).map_err(|e| ApiError::Internal(format!("export zip: {e}")))?;
        let bytes = std::fs::read(&entry).map_err(io)?;
        zip.write_all(&bytes).map_err(io)?;
    }
    zip.finish().map_err(|e| ApiError::Internal(format!("export zip: {e}")))?;
    Ok(out)
}

/// Every file under `dir`, sorted (so the zip's order is stable).
fn walk(dir: &Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() { stack.push(path) } else { out.push(path) }
        }
    }
    out.sort();
    Ok(out)
}

/// What a receipt import recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct Recorded {
    /// The new versions that carry the accessions (processed and reviewed like revisions).
    #[schema(example = json!(["VSC000001X.2"]))]
    pub(crate) recorded: Vec<String>,
    /// Objects of the receipts that name no exported entry (e.g. the study), with their accessions.
    other: Vec<String>,
}

/// Reads ENA's receipts (the Webin REST API's RECEIPT for the study and samples, Webin-CLI's for
/// each genome) and records the INSDC accessions on the entries they name, as new versions.
#[utoipa::path(post, path = "/api/{organism}/ena/receipt",
    summary = "Record the INSDC accessions in ENA's RECEIPT XML (study, samples with BioSample, Webin-CLI genome analyses) on the deposited entries, as new versions; several receipts may be sent at once as multipart `receipt` files",
    params(OrganismPath),
    request_body(content = String, content_type = "application/xml", description = "One RECEIPT document"),
    security(("bearer" = [])),
    responses((status = 200, description = "What was recorded", body = Recorded),
        (status = 400, response = ProblemResponse), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 413, response = ProblemResponse),
        (status = 422, response = ProblemResponse)))]
pub async fn receipt(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    UrlPath(OrganismPath { organism }): UrlPath<OrganismPath>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Recorded>, ApiError> {
    if body.len() > MAX_RECEIPT_BYTES {
        return Err(ApiError::TooLarge(format!("a receipt may be at most {MAX_RECEIPT_BYTES} bytes")));
    }
    let is_xml = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("application/xml") || v.starts_with("text/xml"));
    if !is_xml {
        return Err(ApiError::BadRequest("send the receipt as application/xml".into()));
    }
    let receipt =
        virion_ena::parse_receipt(&body).map_err(|e| ApiError::Unreadable(format!("receipt: {e}")))?;
    Ok(Json(record_receipts(&state, user.id, &organism, &[("receipt".to_owned(), receipt)]).await?))
}

/// Records the accessions of `receipts` (named for messages) on the entries they name.
pub(crate) async fn record_receipts(
    state: &AppState,
    user: virion_store::UserId,
    organism: &str,
    receipts: &[(String, Receipt)],
) -> Result<Recorded, ApiError> {
    let org = state.organism(organism)?;
    let store = state.store();
    let mut found: Vec<(String, EnaAccessions)> = Vec::new();
    let mut other = Vec::new();
    let mut sources = Vec::new();
    for (name, receipt) in receipts {
        if !receipt.success {
            return Err(ApiError::Unreadable(format!(
                "{name}: ENA refused this submission (success=\"false\"): {}",
                receipt.errors.join("; ")
            )));
        }
        let file = if receipt.submission_file.is_empty() { name.as_str() } else { &receipt.submission_file };
        sources.push(format!("{file} of {}", receipt.receipt_date));
        let study = receipt
            .objects
            .iter()
            .find(|o| matches!(o.kind, ObjectKind::Project))
            .and_then(|o| o.accession.clone());
        for object in &receipt.objects {
            let Some(accession) = object.accession.clone() else { continue };
            // Webin-CLI names a genome's analysis `webin-genome-<assembly name>`.
            let alias = object.alias.strip_prefix("webin-genome-").unwrap_or(&object.alias).to_owned();
            let mut acc = EnaAccessions::default();
            match object.kind {
                ObjectKind::Sample => {
                    acc.sample = Some(accession.clone());
                    acc.biosample = object
                        .ext_ids
                        .iter()
                        .find(|e| e.id_type.as_deref() == Some("biosample"))
                        .and_then(|e| e.accession.clone());
                    acc.study = study.clone();
                }
                ObjectKind::Analysis => acc.analysis = Some(accession.clone()),
                _ => {
                    other.push(format!("{:?} {alias} = {accession}", object.kind));
                    continue;
                }
            }
            match found.iter_mut().find(|(a, _)| *a == alias) {
                Some((_, into)) => merge_into(into, acc),
                None => found.push((alias, acc)),
            }
        }
    }
    let mut records = Vec::with_capacity(found.len());
    for (alias, accessions) in found {
        let deposit = store.ena_deposit_by_alias(&alias).await?.ok_or_else(|| {
            ApiError::NotFound(format!("the receipt names {alias:?}, which no export of this node made"))
        })?;
        let head = store.newest_version(Some(user), &deposit.accession).await?;
        if head.status != virion_store::Status::Released {
            return Err(ApiError::Conflict(format!(
                "{}: its newest version {} is not released yet (it may carry accessions of an earlier receipt): approve it, then import this receipt again",
                deposit.accession, head.accession_version
            )));
        }
        let mut metadata: serde_json::Map<String, Value> =
            serde_json::from_str(&head.submitted_metadata_json).unwrap_or_default();
        let rows = [
            (STUDY_FIELD, accessions.study.as_ref().or(deposit.accessions.study.as_ref())),
            (SAMPLE_FIELD, accessions.sample.as_ref().or(deposit.accessions.sample.as_ref())),
            (BIOSAMPLE_FIELD, accessions.biosample.as_ref().or(deposit.accessions.biosample.as_ref())),
            (ASSEMBLY_FIELD, accessions.analysis.as_ref().or(deposit.accessions.analysis.as_ref())),
        ];
        for (field, value) in rows {
            if let Some(v) = value {
                metadata.insert(field.to_owned(), Value::String(v.clone()));
            }
        }
        let cells: serde_json::Map<String, Value> =
            metadata.iter().map(|(k, v)| (k.clone(), Value::String(tsv_cell(v)))).collect();
        let metadata_json = validated_metadata(org, "receipt", 1, &cells).map_err(ApiError::Validation)?;
        records.push(EnaRecord {
            alias,
            accessions,
            revision: Revision { accession: deposit.accession, metadata_json, sequence: None },
        });
    }
    if records.is_empty() {
        return Err(ApiError::Unreadable("the receipts name no sample or genome assembly".into()));
    }
    let reason = format!("ENA deposition: INSDC accessions from receipt {}", sources.join(", "));
    let recorded = store.record_ena_accessions(user, records, &reason).await?;
    tracing::info!(event = "ena_receipt", organism = %org.config.name, entries = recorded.len(), "recorded INSDC accessions");
    Ok(Recorded { recorded: recorded.iter().map(ToString::to_string).collect(), other })
}

fn merge_into(into: &mut EnaAccessions, more: EnaAccessions) {
    into.study = into.study.take().or(more.study);
    into.sample = into.sample.take().or(more.sample);
    into.biosample = into.biosample.take().or(more.biosample);
    into.analysis = into.analysis.take().or(more.analysis);
}
