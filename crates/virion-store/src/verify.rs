//! Checking the store's invariants — what a crash, a bug or a hand edit could break — so an
//! operator (`virion admin verify`) and the durability tests can tell a consistent store
//! from a damaged one.

use futures_util::TryStreamExt;
use sqlx::{AssertSqlSafe, Row};

use crate::db::{Store, get};
use crate::error::Result;
use crate::model::OrganismId;

/// At most this many examples are listed per broken rule.
const EXAMPLES: i64 = 10;

/// One broken rule, with how many rows break it and a few of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inconsistency {
    /// The rule, in words.
    pub rule: &'static str,
    /// How many rows break it.
    pub count: i64,
    /// Up to ten of them, identified by key.
    pub examples: Vec<String>,
}

impl std::fmt::Display for Inconsistency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({} rows, e.g. {})", self.rule, self.count, self.examples.join(", "))
    }
}

/// Each rule is a query for the rows that break it, yielding one text column naming the row.
const RULES: &[(&str, &str)] = &[
    (
        "a submission holds fewer or more entries than it acknowledged (less those discarded)",
        "SELECT CAST(s.id AS TEXT) FROM submissions s WHERE s.kind = 'submit' \
           AND s.entry_count <> s.discarded_count + (SELECT COUNT(*) FROM entries e WHERE e.submission_id = s.id)",
    ),
    (
        "an entry has no version 1",
        "SELECT e.accession FROM entries e \
         WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.accession = e.accession AND v.version = 1)",
    ),
    (
        "an entry has no data use terms",
        "SELECT e.accession FROM entries e \
         WHERE NOT EXISTS (SELECT 1 FROM data_use_terms d WHERE d.accession = e.accession)",
    ),
    (
        "a processed version has no processing result for its pipeline version",
        "SELECT v.accession || '.' || CAST(v.version AS TEXT) FROM versions v \
         WHERE v.is_revocation = 0 AND v.status IN ('PROCESSED', 'APPROVED', 'RELEASED') \
           AND NOT EXISTS (SELECT 1 FROM processing_results p WHERE p.accession = v.accession \
                           AND p.version = v.version AND p.pipeline_version = v.pipeline_version)",
    ),
    (
        "a version awaiting processing has no open job",
        "SELECT v.accession || '.' || CAST(v.version AS TEXT) FROM versions v \
         WHERE v.status IN ('RECEIVED', 'IN_PROCESSING') \
           AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.accession = v.accession AND j.version = v.version \
                           AND j.state IN ('QUEUED', 'CLAIMED'))",
    ),
    (
        "an approved or released version lacks its approver",
        "SELECT v.accession || '.' || CAST(v.version AS TEXT) FROM versions v \
         WHERE v.status IN ('APPROVED', 'RELEASED') AND (v.approved_by IS NULL OR v.approved_at IS NULL)",
    ),
    (
        "a released version lacks its release number or time",
        "SELECT v.accession || '.' || CAST(v.version AS TEXT) FROM versions v \
         WHERE v.status = 'RELEASED' AND (v.release_seq IS NULL OR v.released_at IS NULL)",
    ),
    (
        "an errored version was approved",
        "SELECT v.accession || '.' || CAST(v.version AS TEXT) FROM versions v JOIN processing_results p \
           ON p.accession = v.accession AND p.version = v.version AND p.pipeline_version = v.pipeline_version \
         WHERE v.status IN ('APPROVED', 'RELEASED') AND p.result = 'ERRORS'",
    ),
    (
        "a finished job has no result",
        "SELECT CAST(j.id AS TEXT) FROM jobs j WHERE j.state = 'DONE' \
           AND NOT EXISTS (SELECT 1 FROM processing_results p WHERE p.accession = j.accession \
                           AND p.version = j.version AND p.pipeline_version = j.pipeline_version)",
    ),
];

impl Store {
    /// Every broken invariant (empty: consistent). With `deep`, every stored sequence is also
    /// decompressed and its length checked (slow on a large store: it reads every blob).
    pub async fn verify(&self, deep: bool) -> Result<Vec<Inconsistency>> {
        let mut found = Vec::new();
        for (rule, sql) in RULES {
            let count: i64 = sqlx::query(AssertSqlSafe(format!("SELECT COUNT(*) FROM ({sql}) broken")))
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
            if count == 0 {
                continue;
            }
            let rows =
                sqlx::query(AssertSqlSafe(format!("{sql} LIMIT {EXAMPLES}"))).fetch_all(&self.pool).await?;
            let examples =
                rows.iter().map(|r| r.try_get::<String, _>(0)).collect::<std::result::Result<_, _>>()?;
            found.push(Inconsistency { rule, count, examples });
        }
        if deep && let Some(bad) = self.verify_blobs().await? {
            found.push(bad);
        }
        Ok(found)
    }

    async fn verify_blobs(&self) -> Result<Option<Inconsistency>> {
        let mut rows = sqlx::query("SELECT id, organism_id, raw_length, compressed FROM sequence_blobs")
            .fetch(&self.pool);
        let (mut count, mut examples) = (0i64, Vec::new());
        while let Some(row) = rows.try_next().await? {
            let id: String = get(&row, "id")?;
            let organism = OrganismId(get(&row, "organism_id")?);
            let raw_length: i64 = get(&row, "raw_length")?;
            let compressed: Vec<u8> = get(&row, "compressed")?;
            let ok = match self.codec(organism).await?.decompress(&compressed, raw_length as usize) {
                Ok(seq) => seq.len() as i64 == raw_length,
                Err(_) => false,
            };
            if !ok {
                count += 1;
                if examples.len() < EXAMPLES as usize {
                    examples.push(id);
                }
            }
        }
        Ok((count > 0).then_some(Inconsistency {
            rule: "a stored sequence does not decompress to its recorded length",
            count,
            examples,
        }))
    }
}
