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

use crate::analysis::{Analysis, AnalyzeError};
use crate::dataset::Dataset;

pub use ndjson::{NdjsonRecord, Record};
pub use nextclade_result::{AaInsertionRecord, NextcladeResult, NextcladeResultError, UnknownAaRanges};
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
}

impl OutputPaths {
    /// Whether no output is requested.
    pub fn is_empty(&self) -> bool {
        self.tsv.is_none() && self.ndjson.is_none() && self.fasta.is_none() && self.translations.is_none()
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
        Ok(Outputs { tsv, ndjson: ndjson.transpose()?, dataset: ds, fasta: fasta.transpose()?, translations })
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
        Ok(())
    }
}

fn write_fasta_record(w: &mut impl Write, name: &str, seq: impl Iterator<Item = u8>) -> std::io::Result<()> {
    writeln!(w, ">{name}")?;
    let bytes: Vec<u8> = seq.collect();
    w.write_all(&bytes)?;
    w.write_all(b"\n")
}
