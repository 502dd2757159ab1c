//! Reads released, already-processed genome data as existing LAPIS/SILO instances hold it into
//! typed records.
//!
//! Three layouts, one JSON object per line, plain or compressed (gzip, zstd, xz, bzip2, told
//! from the content):
//! - [`Layout::Loculus`]: Loculus's released data (`{"metadata": {…},
//!   "alignedNucleotideSequences": {…}, …}`), see [`loculus`];
//! - [`Layout::Silo`]: SILO's flat input (`{"primaryKey": …, "main": {"sequence": …}, …}`),
//!   see [`silo`];
//! - [`Layout::Nextclade`]: `nextclade run --output-ndjson`, the aligned sequences rebuilt
//!   from each result, see [`nextclade`].
//!
//! The columns come from SILO's `database_config.yaml` and `reference_genomes.json`
//! ([`ImportSchema::from_silo_files`]) or, for Nextclade, from the dataset
//! ([`ImportSchema::nextclade`]). An [`Importer`] prepares one layout and schema once; each
//! [`ImportReader`] it opens yields [`ImportRecord`]s in input order, parsed in parallel in
//! batches with a bounded number in flight. A record is refused only where SILO would refuse
//! it; the first one refused ends the input with an error that names the file, the line and
//! the field, or, with [`ReadOptions::skip_invalid`], is handed out as that error while reading
//! goes on. Lineage-definition files (the hierarchy behind a `generateLineageIndex` column) are
//! found and read by [`LineageDefinitions`], as SILO finds and reads them.

mod alphabet;
mod error;
mod json;
mod lineage;
pub mod loculus;
pub mod nextclade;
mod reader;
mod record;
mod schema;
mod sequence;
pub mod silo;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

pub use alphabet::{Alphabet, Insertion};
pub use error::{
    CompressedProblem, FieldProblem, ImportError, InsertionProblem, LineProblem, LineageFileError,
    ReferenceProblem, SchemaError,
};
pub use lineage::{LineageDefinition, LineageDefinitions};
pub use reader::{ImportReader, ReadOptions};
pub use record::{ImportRecord, UnknownKey, UnknownKeys};
pub use schema::{ImportSchema, LineageSource, MetadataField, MetadataKind};
pub use virion_index::Value;

use record::UnknownCounter;
use virion_ingest::SequenceLayout;

/// Which of the three input layouts a file has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Loculus's released data: metadata and sequences nested by kind.
    Loculus,
    /// SILO's flat input lines.
    Silo,
    /// `nextclade run --output-ndjson` results, sequences rebuilt from each record.
    Nextclade,
}

enum Parser {
    Loculus(loculus::LoculusLayout),
    Silo(silo::SiloLayout),
    Nextclade(Box<SequenceLayout>),
}

/// What every parsing thread shares: the schema and the layout's prepared lookups.
pub(crate) struct Inner {
    schema: ImportSchema,
    parser: Parser,
}

impl Inner {
    /// One line (without its line break) to a record.
    fn parse_bytes(
        &self,
        bytes: &[u8],
        line: u64,
        unknown: &mut UnknownCounter,
    ) -> Result<ImportRecord, LineProblem> {
        let text = std::str::from_utf8(bytes).map_err(|e| LineProblem::Utf8 { offset: e.valid_up_to() })?;
        match &self.parser {
            Parser::Loculus(p) => p.parse(&self.schema, text, line, unknown),
            Parser::Silo(p) => p.parse(&self.schema, text, line, unknown),
            Parser::Nextclade(layout) => nextclade::parse(&self.schema, layout, text, line, unknown),
        }
    }
}

/// A layout and schema prepared for reading any number of inputs.
#[derive(Clone)]
pub struct Importer {
    inner: Arc<Inner>,
    options: ReadOptions,
}

impl std::fmt::Debug for Importer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importer")
            .field("layout", &self.layout())
            .field("instance", &self.inner.schema.instance_name)
            .field("options", &self.options)
            .finish()
    }
}

impl Importer {
    /// Loculus released data with `schema`'s columns.
    pub fn loculus(schema: ImportSchema) -> Importer {
        Importer::with(Parser::Loculus(loculus::LoculusLayout::new(&schema)), schema)
    }

    /// SILO input lines with `schema`'s columns.
    pub fn silo(schema: ImportSchema) -> Importer {
        Importer::with(Parser::Silo(silo::SiloLayout::new(&schema)), schema)
    }

    /// Nextclade results for `layout`'s dataset; the schema is [`ImportSchema::nextclade`].
    pub fn nextclade(layout: SequenceLayout) -> Importer {
        let schema = ImportSchema::nextclade(&layout);
        Importer::with(Parser::Nextclade(Box::new(layout)), schema)
    }

    fn with(parser: Parser, schema: ImportSchema) -> Importer {
        Importer { inner: Arc::new(Inner { schema, parser }), options: ReadOptions::default() }
    }

    /// The same importer with `options` for the readers it opens.
    pub fn with_options(mut self, options: ReadOptions) -> Importer {
        self.options = options;
        self
    }

    /// The columns every record has.
    pub fn schema(&self) -> &ImportSchema {
        &self.inner.schema
    }

    /// Which layout the importer reads.
    pub fn layout(&self) -> Layout {
        match self.inner.parser {
            Parser::Loculus(_) => Layout::Loculus,
            Parser::Silo(_) => Layout::Silo,
            Parser::Nextclade(_) => Layout::Nextclade,
        }
    }

    /// Reads the file at `path` (`-` for stdin); errors name it by its file name.
    pub fn open(&self, path: &Path) -> Result<ImportReader, ImportError> {
        ImportReader::open(Arc::clone(&self.inner), &self.options, path)
    }

    /// Reads any stream, decompressing it if its first bytes say so; errors name it `name`.
    pub fn read(&self, input: impl Read + Send + 'static, name: &str) -> Result<ImportReader, ImportError> {
        let input = virion_io::decompress(Box::new(input), Path::new(name))?;
        let bytes_read = Arc::new(AtomicU64::new(0));
        Ok(ImportReader::start(Arc::clone(&self.inner), &self.options, input, name, bytes_read, None))
    }

    /// Parses one line on the calling thread, with no duplicate-key check: the plain path the
    /// parallel reader is checked against, and a way to take single records from elsewhere.
    pub fn parse_line(
        &self,
        line: &str,
        line_no: u64,
        unknown: &mut UnknownKeys,
    ) -> Result<ImportRecord, LineProblem> {
        let mut counter = UnknownCounter::default();
        let record = self.inner.parse_bytes(line.as_bytes(), line_no, &mut counter);
        unknown.merge(&counter.0);
        record
    }
}
