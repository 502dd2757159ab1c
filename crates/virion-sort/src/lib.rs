//! Which dataset or genome segment a sequence belongs to, by Nextclade's minimizer search
//! (`nextclade sort`).
//!
//! Every 17-mer of a sequence is hashed with its codon wobble positions (every third letter)
//! left out, so that synonymous changes keep hits; only hashes below a cutoff (about 1 in 16)
//! are kept, the sequence's *minimizers*. A reference's score is the share of its minimizers
//! the query has, scaled up for a query shorter than the reference; references below
//! `min_score` or `min_hits` are dropped, and when the scores fall by more than `max_score_gap`
//! only those above the fall are kept. Hash, cutoff, score and thresholds are Nextclade's
//! (its `minimizer.py` and `minimizer_search.rs`), so an index built here from the datasets'
//! references ranks them as Nextclade's index of the same references would.
//!
//! The index is built from the references of the datasets at hand ([`MinimizerIndex::build`],
//! [`MinimizerIndex::from_dataset_dirs`]), never downloaded: it works offline, and a hub's
//! organism with segments is sorted against exactly the datasets it processes with.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use virion_core::Nuc;

/// Nextclade's k-mer length for minimizers.
pub const K: usize = 17;
/// Nextclade's cutoff: hashes are 32-bit, and those below 2²⁸ are kept.
pub const CUTOFF: u64 = 1 << 28;

/// When a reference counts as a match (Nextclade's `nextclade sort` defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SortParams {
    /// Least score of a match.
    pub min_score: f64,
    /// Least number of shared minimizers.
    pub min_hits: u64,
    /// A fall in score larger than this between two consecutive matches drops the lower ones.
    pub max_score_gap: f64,
}

impl Default for SortParams {
    fn default() -> Self {
        Self { min_score: 0.1, min_hits: 10, max_score_gap: 0.2 }
    }
}

impl SortParams {
    /// For telling apart the segments of one organism, whose records are known to be that
    /// organism: the score threshold stays, but 5 shared minimizers suffice. A short segment
    /// shares few with its reference: influenza NS (890 letters, about 55 minimizers) of a 2022
    /// strain shares 9 with the 2004 reference, under `nextclade sort`'s 10.
    pub fn for_segments() -> Self {
        Self { min_hits: 5, ..Self::default() }
    }
}

/// One indexed reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedReference {
    /// Its name: a dataset's or a segment's.
    pub name: String,
    /// Its length in letters.
    pub length: usize,
    /// How many distinct minimizers it has.
    pub n_minimizers: usize,
}

/// A reference a query matched.
#[derive(Debug, Clone, PartialEq)]
pub struct SortMatch {
    /// The reference's name.
    pub name: String,
    /// Minimizers shared with the query.
    pub n_hits: u64,
    /// Share of the reference's minimizers the query has (scaled up for a shorter query).
    pub score: f64,
}

/// The references a query matched, best first, and its figures against all of them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SortResult {
    /// Minimizers the query shares with any reference, summed over references.
    pub total_hits: u64,
    /// The best score over every reference, matched or not.
    pub max_score: f64,
    /// Matches, best first (empty: the query matches no reference).
    pub matches: Vec<SortMatch>,
}

impl SortResult {
    /// The best match, if any.
    pub fn best(&self) -> Option<&SortMatch> {
        self.matches.first()
    }
}

/// Why an index could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SortError {
    /// The directory of datasets could not be listed.
    #[error("cannot list datasets in {path}: {source}")]
    Io {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A dataset's files could not be read.
    #[error("dataset {path}: {source}")]
    Dataset {
        /// The dataset directory.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        source: Box<virion_dataset::DatasetError>,
    },
    /// No reference to sort against.
    #[error("no datasets to sort against in {0}: expected directories holding pathogen.json")]
    Empty(PathBuf),
    /// A reference has no minimizer (shorter than 17 letters, or all ambiguous).
    #[error(
        "reference '{0}' has no minimizer: it is shorter than {K} letters or has no run of 17 of A, C, G, T"
    )]
    NoMinimizers(String),
}

/// Minimizers of a set of references, each minimizer with the references that have it.
#[derive(Debug, Clone, Default)]
pub struct MinimizerIndex {
    references: Vec<IndexedReference>,
    minimizers: HashMap<u64, Vec<u32>>,
}

impl MinimizerIndex {
    /// Indexes `(name, sequence)` references; sequences are letters (`ACGT…`, any case).
    pub fn build<'a>(references: impl IntoIterator<Item = (String, &'a [u8])>) -> Result<Self, SortError> {
        let mut index = Self::default();
        for (name, seq) in references {
            let mins = minimizers(seq);
            if mins.is_empty() {
                return Err(SortError::NoMinimizers(name));
            }
            let ri = index.references.len() as u32;
            for m in &mins {
                index.minimizers.entry(*m).or_default().push(ri);
            }
            index.references.push(IndexedReference { name, length: seq.len(), n_minimizers: mins.len() });
        }
        Ok(index)
    }

    /// Indexes the reference of every dataset directly inside `dir` (a directory with
    /// `pathogen.json`), named by the directory's name, in name order.
    pub fn from_dataset_dirs(dir: &Path) -> Result<Self, SortError> {
        let entries =
            std::fs::read_dir(dir).map_err(|source| SortError::Io { path: dir.to_owned(), source })?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("pathogen.json").is_file())
            .collect();
        dirs.sort();
        if dirs.is_empty() {
            return Err(SortError::Empty(dir.to_owned()));
        }
        let mut refs = Vec::with_capacity(dirs.len());
        for d in &dirs {
            let name = d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            refs.push((name, dataset_reference(d)?));
        }
        Self::build(refs.iter().map(|(n, s)| (n.clone(), s.as_slice())))
    }

    /// Indexes the named datasets' references (e.g. one per segment of an organism).
    pub fn from_datasets(datasets: &[(String, PathBuf)]) -> Result<Self, SortError> {
        let mut refs = Vec::with_capacity(datasets.len());
        for (name, d) in datasets {
            refs.push((name.clone(), dataset_reference(d)?));
        }
        Self::build(refs.iter().map(|(n, s)| (n.clone(), s.as_slice())))
    }

    /// The indexed references, in index order.
    pub fn references(&self) -> &[IndexedReference] {
        &self.references
    }

    /// Which references `seq` matches, best first, under `params`.
    pub fn search(&self, seq: &[u8], params: &SortParams) -> SortResult {
        let mut hits = vec![0u64; self.references.len()];
        for m in minimizers(seq) {
            if let Some(refs) = self.minimizers.get(&m) {
                for &ri in refs {
                    hits[ri as usize] += 1;
                }
            }
        }
        // Letters other than gaps count towards the query's length, as Nextclade strips only `-`.
        let qry_len = seq.iter().filter(|&&b| b != b'-').count().max(1) as f64;
        let scores: Vec<f64> = self
            .references
            .iter()
            .zip(&hits)
            .map(|(r, &h)| (h as f64 / r.n_minimizers as f64) * (r.length as f64 / qry_len).max(1.0))
            .collect();
        let max_score = scores.iter().copied().fold(0.0, f64::max);
        let mut matches: Vec<SortMatch> = self
            .references
            .iter()
            .zip(hits.iter().zip(&scores))
            .filter(|(_, (h, s))| **h >= params.min_hits && **s >= params.min_score)
            .map(|(r, (h, s))| SortMatch { name: r.name.clone(), n_hits: *h, score: *s })
            .collect();
        // Stable: equal scores keep index order, as Nextclade's sort by key does.
        matches.sort_by(|a, b| b.score.total_cmp(&a.score));
        if let Some(chop) =
            (1..matches.len()).find(|&i| matches[i - 1].score > matches[i].score + params.max_score_gap)
        {
            matches.truncate(chop);
        }
        SortResult { total_hits: hits.iter().sum(), max_score, matches }
    }
}

/// A dataset's reference sequence as letters.
fn dataset_reference(dir: &Path) -> Result<Vec<u8>, SortError> {
    let dataset = virion_dataset::Dataset::load(dir)
        .map_err(|source| SortError::Dataset { path: dir.to_owned(), source: Box::new(source) })?;
    Ok(dataset.reference.iter().map(|n: &Nuc| n.to_byte()).collect())
}

/// The distinct minimizers of a sequence (gaps removed first, letters upper-cased).
pub fn minimizers(seq: &[u8]) -> Vec<u64> {
    let letters: Vec<u8> = seq.iter().filter(|&&b| b != b'-').map(u8::to_ascii_uppercase).collect();
    // Nextclade takes the k-mers starting at 0..len-k: the last possible one is left out.
    let n = letters.len().saturating_sub(K);
    let mut out: Vec<u64> = (0..n).map(|i| kmer_hash(&letters[i..i + K])).filter(|&h| h < CUTOFF).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Nextclade's k-mer hash: 2 bits per letter at non-wobble positions (A=3, C=2, G=0, T=1), then
/// an invertible 32-bit mix; a k-mer with another letter hashes above the cutoff.
fn kmer_hash(kmer: &[u8]) -> u64 {
    let mut x: u64 = 0;
    let mut j = 0;
    for (i, &b) in kmer.iter().enumerate() {
        if i % 3 == 2 {
            continue;
        }
        let code = match b {
            b'A' => 3,
            b'C' => 2,
            b'G' => 0,
            b'T' => 1,
            _ => return CUTOFF + 1,
        };
        x += code << j;
        j += 2;
    }
    invertible_hash(x)
}

/// Heng Li's invertible integer hash on 32 bits, as Nextclade uses it.
const fn invertible_hash(x: u64) -> u64 {
    let m: u64 = (1 << 32) - 1;
    let mut x: u64 = (!x).wrapping_add(x << 21) & m;
    x ^= x >> 24;
    x = (x + (x << 3) + (x << 8)) & m;
    x ^= x >> 14;
    x = (x + (x << 2) + (x << 4)) & m;
    x ^= x >> 28;
    x = (x + (x << 31)) & m;
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_follows_nextclades_encoding() {
        // AAG: A=3 at bits 0-1, A=3 at bits 2-3, G skipped (wobble) -> 0b1111 = 15.
        let mut x = 0u64;
        x += 3;
        x += 3 << 2;
        assert_eq!(kmer_hash(b"AAG"), invertible_hash(x));
        // The wobble letter does not change the hash; a non-wobble one does.
        assert_eq!(kmer_hash(b"AAGCTA"), kmer_hash(b"AATCTC"));
        assert_ne!(kmer_hash(b"AAGCTA"), kmer_hash(b"ACGCTA"));
        // Ambiguous letters at counted positions put the k-mer above the cutoff.
        assert_eq!(kmer_hash(b"ANG"), CUTOFF + 1);
        assert_eq!(invertible_hash(0) & !((1u64 << 32) - 1), 0, "32-bit");
    }

    #[test]
    fn scores_rank_and_gap_cuts() {
        // Two unrelated pseudo-random references; a query that is half of the first.
        let a = pseudo_random(1, 6000);
        let b = pseudo_random(2, 6000);
        let index =
            MinimizerIndex::build([("a".to_owned(), a.as_slice()), ("b".to_owned(), b.as_slice())]).unwrap();
        let result = index.search(&a[..3000], &SortParams::default());
        let best = result.best().unwrap();
        assert_eq!(best.name, "a");
        // Half the minimizers, scaled by ref/query length 2: about 1.
        assert!((0.8..=1.2).contains(&best.score), "{}", best.score);
        assert_eq!(result.matches.len(), 1, "b shares nothing");
        // Lower-case and gaps are read as Nextclade reads them.
        let lower: Vec<u8> = a[..3000].iter().map(u8::to_ascii_lowercase).collect();
        assert_eq!(index.search(&lower, &SortParams::default()).best().unwrap().n_hits, best.n_hits);
        // Nothing like either: no match.
        let c = pseudo_random(3, 3000);
        assert!(index.search(&c, &SortParams::default()).matches.is_empty());
        // A reference too short for one 17-mer cannot be indexed.
        assert!(matches!(
            MinimizerIndex::build([("x".to_owned(), b"ACGT".as_slice())]),
            Err(SortError::NoMinimizers(n)) if n == "x"
        ));
    }

    fn pseudo_random(seed: u64, len: usize) -> Vec<u8> {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (0..len)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                b"ACGT"[(s >> 33) as usize % 4]
            })
            .collect()
    }
}
