//! Writers for `virion process`'s outputs: nextclade.tsv-compatible table, NDJSON, aligned FASTA
//! and one peptide FASTA per CDS. Each writes rows as results arrive (already in input order).
//! [`NextcladeResult`] reads an NDJSON record back, Nextclade's own or ours.

pub mod format;
mod ndjson;
mod nextclade_result;
mod tsv;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use virion_tree::GraftedQuery;

use crate::analysis::{Analysis, AnalyzeError};
use crate::dataset::Dataset;

pub use ndjson::{NdjsonRecord, Record};
pub use nextclade_result::{
    AaInsertionRecord, NextcladeResult, NextcladeResultError, PrivateAaDel, PrivateAaRecord, PrivateNucDel,
    PrivateNucRecord, UnknownAaRanges,
};
pub use tsv::TsvWriter;

/// Which outputs to write, and where.
#[derive(Debug, Clone, Default)]
pub struct OutputPaths {
    /// nextclade.tsv-compatible table (`--output-tsv`).
    pub tsv: Option<PathBuf>,
    /// One Nextclade NDJSON record per line (`--output-ndjson`).
    pub ndjson: Option<PathBuf>,
    /// Aligned genomes, insertions removed (`--output-fasta`).
    pub fasta: Option<PathBuf>,
    /// A path template containing `{cds}`.
    pub translations: Option<String>,
    /// The reference tree with the queries grafted, Auspice v2 JSON (`--output-tree`).
    pub tree: Option<PathBuf>,
}

impl OutputPaths {
    /// Whether no output is requested.
    pub fn is_empty(&self) -> bool {
        self.tsv.is_none()
            && self.ndjson.is_none()
            && self.fasta.is_none()
            && self.translations.is_none()
            && self.tree.is_none()
    }
}

/// An output that could not be created or written, with its path.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// A file or directory could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// `--output-tree` with a dataset that has no reference tree.
    #[error("--output-tree needs a dataset with a reference tree (tree.json); {dataset} has none")]
    NoTree {
        /// The dataset directory.
        dataset: PathBuf,
    },
    /// The tree could not be read back for grafting.
    #[error("cannot graft the queries onto the tree of {dataset}: {source}")]
    Graft {
        /// The dataset directory.
        dataset: PathBuf,
        /// Why.
        #[source]
        source: virion_tree::TreeError,
    },
    /// The translations template has no `{cds}` placeholder, so every CDS would write the same file.
    #[error("--output-translations must contain {{cds}} (one file is written per CDS), got '{template}'")]
    TranslationsTemplate {
        /// The template as given.
        template: String,
    },
}

type Sink = BufWriter<File>;

struct Named<W> {
    path: PathBuf,
    w: W,
}

/// All requested outputs.
pub struct Outputs<'d> {
    tsv: Option<Named<TsvWriter<Sink>>>,
    ndjson: Option<Named<Sink>>,
    /// The dataset, for the NDJSON's change context.
    dataset: &'d Dataset,
    fasta: Option<Named<Sink>>,
    translations: Vec<(String, Named<Sink>)>,
    /// The tree output and the queries placed so far (written at the end, in one piece).
    tree: Option<Named<Vec<GraftedQuery>>>,
}

impl std::fmt::Debug for Outputs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outputs").finish_non_exhaustive()
    }
}

fn create(path: &Path) -> Result<Sink, OutputError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| OutputError::Io { path: dir.to_owned(), source })?;
    }
    File::create(path)
        .map(|f| BufWriter::with_capacity(1 << 16, f))
        .map_err(|source| OutputError::Io { path: path.to_owned(), source })
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_owned(), source }
}

impl<'d> Outputs<'d> {
    /// Creates every requested file (and missing parent directories) and writes the TSV header.
    pub fn create(paths: &OutputPaths, ds: &'d Dataset) -> Result<Outputs<'d>, OutputError> {
        let tsv = match &paths.tsv {
            Some(p) => Some(Named { path: p.clone(), w: TsvWriter::new(create(p)?, ds).map_err(io_err(p))? }),
            None => None,
        };
        let ndjson =
            paths.ndjson.as_ref().map(|p| Ok::<_, OutputError>(Named { path: p.clone(), w: create(p)? }));
        let fasta =
            paths.fasta.as_ref().map(|p| Ok::<_, OutputError>(Named { path: p.clone(), w: create(p)? }));
        let mut translations = Vec::new();
        if let Some(template) = &paths.translations {
            if !template.contains("{cds}") {
                return Err(OutputError::TranslationsTemplate { template: template.clone() });
            }
            for cds in &ds.ref_translation.cdses {
                let path = PathBuf::from(template.replace("{cds}", &cds.layout.name));
                translations.push((cds.layout.name.clone(), Named { w: create(&path)?, path }));
            }
        }
        let tree = match &paths.tree {
            Some(_) if ds.tree.is_none() || ds.data.tree_json_raw.is_none() => {
                return Err(OutputError::NoTree { dataset: ds.data.path.clone() });
            }
            // Created now, so that an unwritable path fails before the run, not after it.
            Some(path) => {
                create(path)?;
                Some(Named { path: path.clone(), w: Vec::new() })
            }
            None => None,
        };
        Ok(Outputs {
            tsv,
            ndjson: ndjson.transpose()?,
            dataset: ds,
            fasta: fasta.transpose()?,
            translations,
            tree,
        })
    }

    /// Writes one sequence's result to every output. Failed sequences appear in the TSV and
    /// NDJSON with their error, and are left out of the FASTA outputs, as Nextclade does.
    pub fn write(
        &mut self,
        index: usize,
        name: &str,
        result: &Result<Analysis, AnalyzeError>,
    ) -> Result<(), OutputError> {
        if let Some(t) = &mut self.tsv {
            t.w.write(index, name, result).map_err(io_err(&t.path))?;
        }
        if let Some(n) = &mut self.ndjson {
            let context = result.as_ref().ok().map(|a| crate::ndjson_context(self.dataset, a));
            let rec = NdjsonRecord::new(index, name, result, context.as_ref());
            serde_json::to_writer(&mut n.w, &rec)
                .map_err(|e| OutputError::Io { path: n.path.clone(), source: e.into() })?;
            n.w.write_all(b"\n").map_err(io_err(&n.path))?;
        }
        let Ok(a) = result else { return Ok(()) };
        if let (Some(t), Some(p), Some(tree)) = (&mut self.tree, &a.placement, &self.dataset.tree) {
            t.w.push(grafted_query(name, a, p, tree, self.dataset.data.reference.len()));
        }
        if let Some(f) = &mut self.fasta {
            write_fasta_record(&mut f.w, name, a.aligned_query.iter().map(|n| n.to_byte()))
                .map_err(io_err(&f.path))?;
        }
        for (cds, out) in &mut self.translations {
            if let Some(tr) = a.translation.get(cds) {
                write_fasta_record(&mut out.w, name, tr.seq.iter().map(|aa| aa.to_byte()))
                    .map_err(io_err(&out.path))?;
            }
        }
        Ok(())
    }

    /// Flushes everything; an error here means an output is incomplete.
    pub fn finish(&mut self) -> Result<(), OutputError> {
        if let Some(t) = &mut self.tsv {
            t.w.flush().map_err(io_err(&t.path))?;
        }
        for n in [&mut self.ndjson, &mut self.fasta].into_iter().flatten() {
            n.w.flush().map_err(io_err(&n.path))?;
        }
        for (_, out) in &mut self.translations {
            out.w.flush().map_err(io_err(&out.path))?;
        }
        if let Some(t) = &mut self.tree {
            let ds = self.dataset;
            let raw = ds.data.tree_json_raw.as_deref().unwrap_or_default();
            let tree =
                ds.tree.as_ref().ok_or_else(|| OutputError::NoTree { dataset: ds.data.path.clone() })?;
            let doc = tree
                .graft_queries(raw, &t.w, ds.data.reference.len())
                .map_err(|source| OutputError::Graft { dataset: ds.data.path.clone(), source })?;
            let mut w = create(&t.path)?;
            serde_json::to_writer(&mut w, &doc)
                .map_err(|e| OutputError::Io { path: t.path.clone(), source: e.into() })?;
            w.flush().map_err(io_err(&t.path))?;
        }
        Ok(())
    }
}

/// A placed genome as its tip in the output tree: its private mutations on its branch.
fn grafted_query(
    name: &str,
    a: &Analysis,
    p: &crate::placement::Placement,
    tree: &virion_tree::RefTree,
    ref_len: usize,
) -> GraftedQuery {
    let nuc = p.private_nuc.private_substitutions.iter().chain(&p.private_nuc.private_deletions).cloned();
    let aa = p.private_aa.iter().map(|(cds, m)| {
        (cds.clone(), m.private_substitutions.iter().chain(&m.private_deletions).cloned().collect())
    });
    let attrs = p.clade.iter().map(|c| (virion_tree::CLADE_ATTR.to_owned(), c.clone()));
    let attrs = attrs.chain(p.clade_attrs.iter().map(|(k, v)| (k.clone(), v.clone())));
    tip(name, p.nearest_node, nuc.collect(), aa.collect(), attrs, a.qc.overall_status, (tree, ref_len))
}

impl NextcladeResult {
    /// This genome as its tip on its reference tree `tree` (of a reference `ref_len` long), from
    /// a stored record, for [`virion_tree::RefTree::graft_queries`]; `None` for a record
    /// without placement.
    pub fn grafted_query(
        &self,
        name: &str,
        tree: &virion_tree::RefTree,
        ref_len: usize,
    ) -> Option<GraftedQuery> {
        // A record placed on another tree (its dataset since replaced) has no place on this one.
        let node = self.nearest_node_id.filter(|&n| n < tree.len())?;
        let private = self.private_nuc_mutations.as_ref()?;
        let gap = |d: &nextclade_result::PrivateNucDel| virion_core::NucSub {
            pos: d.pos,
            ref_nuc: d.ref_nuc,
            qry_nuc: virion_core::Nuc::Gap,
        };
        let nuc =
            private.private_substitutions.iter().cloned().chain(private.private_deletions.iter().map(gap));
        let aa = self.private_aa_mutations.iter().map(|(cds, m)| {
            let dels = m.private_deletions.iter().map(|d| virion_core::AaSub {
                cds: cds.clone(),
                pos: d.pos,
                ref_aa: d.ref_aa,
                qry_aa: virion_core::Aa::Gap,
            });
            (cds.clone(), m.private_substitutions.iter().cloned().chain(dels).collect())
        });
        let attrs = self.clade.iter().map(|c| (virion_tree::CLADE_ATTR.to_owned(), c.clone()));
        let attrs = attrs.chain(self.custom_node_attributes.iter().map(|(k, v)| (k.clone(), v.clone())));
        let status = self.qc.as_ref().map_or(crate::qc::QcStatus::Good, |q| q.overall_status);
        Some(tip(name, node, nuc.collect(), aa.collect(), attrs, status, (tree, ref_len)))
    }
}

/// A tip from its parts: mutations sorted by position and written as Auspice writes them, and
/// its `div` as the tree counts a branch (deletions too: a branch of deletions alone is not 0).
fn tip(
    name: &str,
    node: usize,
    mut nuc: Vec<virion_core::NucSub>,
    aa: Vec<(String, Vec<virion_core::AaSub>)>,
    attrs: impl Iterator<Item = (String, String)>,
    qc: crate::qc::QcStatus,
    (tree, ref_len): (&virion_tree::RefTree, usize),
) -> GraftedQuery {
    nuc.sort_by_key(|m| m.pos);
    let divergence = tree.query_divergence(node, &nuc, ref_len);
    let aa = aa
        .into_iter()
        .map(|(cds, mut muts)| {
            muts.sort_by_key(|m| m.pos);
            (cds, muts.iter().map(|m| format!("{}{}{}", m.ref_aa, m.pos, m.qry_aa)).collect())
        })
        .collect();
    GraftedQuery {
        name: name.to_owned(),
        node,
        nuc_mutations: nuc.iter().map(ToString::to_string).collect(),
        aa_mutations: aa,
        divergence,
        attrs: attrs.chain(std::iter::once(("QC Status".to_owned(), qc.as_str().to_owned()))).collect(),
    }
}

fn write_fasta_record(w: &mut impl Write, name: &str, seq: impl Iterator<Item = u8>) -> std::io::Result<()> {
    writeln!(w, ">{name}")?;
    let bytes: Vec<u8> = seq.collect();
    w.write_all(&bytes)?;
    w.write_all(b"\n")
}
