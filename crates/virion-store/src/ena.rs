//! Deposition at ENA: which released entries are still to be deposited, which were exported
//! (so nothing is exported twice), and the INSDC accessions ENA's receipts gave them.
//!
//! Recording accessions makes a new version of each entry (metadata with the accessions, the
//! same sequence) whose version comment names the receipt: the deposition is part of the
//! entry's history like any other change, and goes through processing and review as revisions
//! do.

use sqlx::{Any, Row, Transaction};

use crate::accession::{Accession, AccessionVersion};
use crate::db::{AuditEntry, Store, audit, get};
use crate::error::{Result, StoreError};
use crate::model::{Action, GroupId, OrganismId, Status, UserId};
use crate::submit::Revision;

/// Most entries one export may hold: an export is one download (Webin XML of every sample, a
/// manifest and FASTA per genome), and ENA's Webin REST API takes batches of this order.
pub const MAX_EXPORT_ENTRIES: usize = 10_000;

/// One entry exported for deposition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnaExported {
    /// The released version the files were made from.
    pub accession_version: AccessionVersion,
    /// The sample's alias in the Webin XML (unique in the submitting Webin account).
    pub sample_alias: String,
    /// The assembly name in the Webin-CLI manifest (unique in the Webin account).
    pub assembly_name: String,
}

/// The INSDC accessions ENA gave one deposited entry (from its receipts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnaAccessions {
    /// Study (project) accession, PRJEB….
    pub study: Option<String>,
    /// Sample accession, ERS….
    pub sample: Option<String>,
    /// The sample's BioSample accession, SAMEA….
    pub biosample: Option<String>,
    /// The genome's sequence-assembly analysis accession, ERZ… (Webin-CLI's receipt).
    pub analysis: Option<String>,
}

/// An entry's deposition state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnaDeposit {
    /// The entry.
    pub accession: Accession,
    /// The version that was exported.
    pub exported_version: i64,
    /// The export it was part of.
    pub export_id: String,
    /// Sample alias in the Webin XML.
    pub sample_alias: String,
    /// Assembly name in the manifest.
    pub assembly_name: String,
    /// When it was exported (ms since the epoch).
    pub exported_at: i64,
    /// Accessions recorded from receipts so far.
    pub accessions: EnaAccessions,
    /// The version that carries the accessions, once recorded.
    pub recorded_version: Option<i64>,
}

/// A deposited entry's accessions to record, with the revision that carries them.
#[derive(Debug, Clone)]
pub struct EnaRecord {
    /// Which exported entry, by the sample alias or assembly name the receipt names.
    pub alias: String,
    /// The accessions found for it.
    pub accessions: EnaAccessions,
    /// The entry's new metadata (the newest version's, with the accessions), already validated
    /// against the organism's schema.
    pub revision: Revision,
}

impl Store {
    /// Released entries of `group` and `organism` not yet exported for deposition and not
    /// already in INSDC (`insdc_field`, when the schema has one, is empty), newest version
    /// each, in accession order; `only` restricts to those entries. At most `limit`.
    pub async fn ena_candidates(
        &self,
        actor: UserId,
        organism: OrganismId,
        group: GroupId,
        only: Option<&[Accession]>,
        limit: usize,
    ) -> Result<Vec<AccessionVersion>> {
        self.require(actor, Action::Revise, group).await?;
        let rows = sqlx::query(
            "SELECT v.accession, v.version, v.status, v.is_revocation FROM versions v \
             JOIN entries e ON e.accession = v.accession \
             LEFT JOIN ena_deposits d ON d.accession = v.accession \
             WHERE e.organism_id = $1 AND e.group_id = $2 AND d.accession IS NULL \
               AND v.version = (SELECT MAX(version) FROM versions w WHERE w.accession = v.accession) \
             ORDER BY v.accession",
        )
        .bind(organism.0)
        .bind(group.0)
        .fetch_all(&self.pool)
        .await?;
        let wanted: Option<std::collections::HashSet<&str>> =
            only.map(|list| list.iter().map(Accession::as_str).collect());
        let mut out = Vec::new();
        for row in rows {
            let acc: String = get(&row, "accession")?;
            if wanted.as_ref().is_some_and(|w| !w.contains(acc.as_str())) {
                continue;
            }
            let status: String = get(&row, "status")?;
            let revoked: i64 = get(&row, "is_revocation")?;
            if status != Status::Released.as_str() || revoked == 1 {
                continue;
            }
            let version: i64 = get(&row, "version")?;
            out.push(Accession::from_stored(acc).at(version));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// Records that `entries` were exported as `export_id`, in one transaction: an entry
    /// exported before, or no longer at the exported version, fails the whole export.
    pub async fn record_ena_export(
        &self,
        actor: UserId,
        export_id: &str,
        entries: &[EnaExported],
    ) -> Result<()> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        for e in entries {
            let acc = e.accession_version.accession.as_str();
            let head = self.newest(&mut tx, acc).await?;
            self.require_on_entry(&mut tx, actor, Action::Revise, acc, &head).await?;
            if head.version != e.accession_version.version || head.status != Status::Released {
                return Err(StoreError::NotNewest {
                    accession_version: e.accession_version.to_string(),
                    newest: head.version,
                });
            }
            let inserted = sqlx::query(
                "INSERT INTO ena_deposits (accession, exported_version, export_id, sample_alias, assembly_name, \
                 exported_by, exported_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(acc)
            .bind(head.version)
            .bind(export_id)
            .bind(&e.sample_alias)
            .bind(&e.assembly_name)
            .bind(actor.0)
            .bind(now)
            .execute(&mut *tx)
            .await;
            if let Err(err) = inserted {
                return Err(crate::db::unique_as_exists(err, "ENA deposit", acc));
            }
            let entry = AuditEntry {
                user: Some(actor),
                action: "ena-export",
                group: Some(head.group),
                accession: Some(acc),
                version: Some(head.version),
                detail: serde_json::json!({ "export": export_id, "sampleAlias": e.sample_alias }).to_string(),
            };
            audit(&mut tx, now, entry).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// How many entries of `group` and `organism` were exported for deposition, and how many
    /// of them have their accessions recorded.
    pub async fn ena_counts(&self, organism: OrganismId, group: GroupId) -> Result<(i64, i64)> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS exported, COUNT(d.recorded_version) AS recorded FROM ena_deposits d \
             JOIN entries e ON e.accession = d.accession WHERE e.organism_id = $1 AND e.group_id = $2",
        )
        .bind(organism.0)
        .bind(group.0)
        .fetch_one(&self.pool)
        .await?;
        Ok((get(&row, "exported")?, get(&row, "recorded")?))
    }

    /// The deposition of the entry whose sample alias or assembly name is `alias`.
    pub async fn ena_deposit_by_alias(&self, alias: &str) -> Result<Option<EnaDeposit>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{DEPOSIT_SELECT} WHERE sample_alias = $1 OR assembly_name = $1"
        )))
        .bind(alias)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| deposit_from_row(&r)).transpose()
    }

    /// The deposition of an entry, if it was exported.
    pub async fn ena_deposit(&self, accession: &Accession) -> Result<Option<EnaDeposit>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!("{DEPOSIT_SELECT} WHERE accession = $1")))
            .bind(accession.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|r| deposit_from_row(&r)).transpose()
    }

    /// Records the accessions of deposited entries, each with the new version that carries
    /// them (comment `reason`), in one transaction: an alias that was never exported, or
    /// accessions that contradict ones already recorded, fail the whole import.
    pub async fn record_ena_accessions(
        &self,
        actor: UserId,
        records: Vec<EnaRecord>,
        reason: &str,
    ) -> Result<Vec<AccessionVersion>> {
        let now = self.now_ms();
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(records.len());
        for record in records {
            let deposit = deposit_in(&mut tx, &record.alias).await?.ok_or_else(|| StoreError::NotFound {
                what: "ENA deposit with sample alias or assembly name",
                key: record.alias.clone(),
            })?;
            if deposit.accession != record.revision.accession {
                return Err(StoreError::BadEntry {
                    row: out.len() as u64 + 1,
                    submission_key: record.alias,
                    reason: format!(
                        "was exported as {}, not {}",
                        deposit.accession, record.revision.accession
                    ),
                });
            }
            let merged =
                merge(&deposit.accessions, &record.accessions).map_err(|field| StoreError::BadEntry {
                    row: out.len() as u64 + 1,
                    submission_key: record.alias.clone(),
                    reason: format!("its {field} accession differs from the one recorded before"),
                })?;
            let av = self.revise_one(&mut tx, actor, record.revision, Some(reason), now).await?;
            sqlx::query(
                "UPDATE ena_deposits SET study_accession = $1, sample_accession = $2, biosample_accession = $3, \
                 analysis_accession = $4, recorded_version = $5, recorded_at = $6 WHERE accession = $7",
            )
            .bind(merged.study)
            .bind(merged.sample)
            .bind(merged.biosample)
            .bind(merged.analysis)
            .bind(av.version)
            .bind(now)
            .bind(av.accession.as_str())
            .execute(&mut *tx)
            .await?;
            out.push(av);
        }
        tx.commit().await?;
        Ok(out)
    }
}

const DEPOSIT_SELECT: &str = "SELECT accession, exported_version, export_id, sample_alias, assembly_name, exported_at, \
     study_accession, sample_accession, biosample_accession, analysis_accession, recorded_version FROM ena_deposits";

async fn deposit_in(tx: &mut Transaction<'static, Any>, alias: &str) -> Result<Option<EnaDeposit>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{DEPOSIT_SELECT} WHERE sample_alias = $1 OR assembly_name = $1"
    )))
    .bind(alias)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|r| deposit_from_row(&r)).transpose()
}

fn deposit_from_row(row: &sqlx::any::AnyRow) -> Result<EnaDeposit> {
    let acc: String = get(row, "accession")?;
    Ok(EnaDeposit {
        accession: Accession::from_stored(acc),
        exported_version: get(row, "exported_version")?,
        export_id: get(row, "export_id")?,
        sample_alias: get(row, "sample_alias")?,
        assembly_name: get(row, "assembly_name")?,
        exported_at: get(row, "exported_at")?,
        accessions: EnaAccessions {
            study: row.try_get("study_accession")?,
            sample: row.try_get("sample_accession")?,
            biosample: row.try_get("biosample_accession")?,
            analysis: row.try_get("analysis_accession")?,
        },
        recorded_version: row.try_get("recorded_version")?,
    })
}

/// The union of what was recorded and what a new receipt says; the name of the first
/// accession that differs otherwise (ENA never changes an accession once given).
fn merge(old: &EnaAccessions, new: &EnaAccessions) -> std::result::Result<EnaAccessions, &'static str> {
    fn one(
        field: &'static str,
        a: &Option<String>,
        b: &Option<String>,
    ) -> std::result::Result<Option<String>, &'static str> {
        match (a, b) {
            (Some(x), Some(y)) if x != y => Err(field),
            (Some(x), _) => Ok(Some(x.clone())),
            (None, y) => Ok(y.clone()),
        }
    }
    Ok(EnaAccessions {
        study: one("study", &old.study, &new.study)?,
        sample: one("sample", &old.sample, &new.sample)?,
        biosample: one("BioSample", &old.biosample, &new.biosample)?,
        analysis: one("analysis", &old.analysis, &new.analysis)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merging_keeps_recorded_accessions_and_refuses_changed_ones() {
        let old = EnaAccessions { study: Some("PRJEB1".into()), ..Default::default() };
        let new = EnaAccessions {
            study: Some("PRJEB1".into()),
            analysis: Some("ERZ9".into()),
            ..Default::default()
        };
        let merged = merge(&old, &new).unwrap();
        assert_eq!(merged.study.as_deref(), Some("PRJEB1"));
        assert_eq!(merged.analysis.as_deref(), Some("ERZ9"));
        let clash = EnaAccessions { study: Some("PRJEB2".into()), ..Default::default() };
        assert_eq!(merge(&old, &clash), Err("study"));
    }
}
