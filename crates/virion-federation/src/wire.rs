//! What nodes send each other: a node's question about one organism and its part of the
//! answer, as typed JSON (never a query string or a LAPIS answer to re-read).

use serde::{Deserialize, Serialize};
use virion_query::execute::Endpoint;
use virion_query::{LapisRequest, Table};

use crate::peers::Level;

/// The path every node answers its peers at (POST, signed).
pub const PART_PATH: &str = "/federation/node/part";

/// A peer's question about one organism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartRequest {
    /// The organism (a hub organism or an imported collection).
    pub organism: String,
    /// What is asked.
    pub question: Question,
}

/// What a node can be asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Question {
    /// A table endpoint's part (see [`crate::part`] for what a part holds).
    Table {
        /// Which endpoint.
        endpoint: Endpoint,
        /// The request as the node should run it (the `node` field taken out).
        request: LapisRequest,
    },
    /// The count and coverage of these mutations among the rows `request` selects (the second
    /// round of the mutation endpoints: candidates another node reported and this one did not).
    Mutations {
        /// Amino acids (genes) rather than nucleotides (segments).
        amino_acid: bool,
        /// The filters.
        request: LapisRequest,
        /// The mutations as LAPIS writes them, with their sites and mutated letters.
        mutations: Vec<(String, Site, char)>,
    },
    /// A time series (the `component/…OverTime` routes): per item and date range, count and
    /// coverage.
    Series {
        /// The filters.
        request: LapisRequest,
        /// The date field the ranges apply to.
        date_field: String,
        /// The date ranges, `YYYY-MM-DD` bounds, either open.
        ranges: Vec<(Option<String>, Option<String>)>,
        /// What is counted.
        items: SeriesItems,
    },
    /// The node's facts about the organism (for `info` and the network page).
    About,
    /// The sequences of the genomes named by their primary key (the sequence routes' second
    /// round: the first chose and ordered the rows as `/details` does). Only a node sharing
    /// records answers it.
    Sequences {
        /// Which sequences.
        kind: SequenceKind,
        /// The segments or genes (empty: every one, in the reference's order).
        names: Vec<String>,
        /// Primary keys of the genomes.
        keys: Vec<String>,
    },
}

/// Which sequences a sequence route returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SequenceKind {
    /// Aligned nucleotide sequences of segments.
    AlignedNucleotide,
    /// Unaligned (submitted) nucleotide sequences of segments.
    UnalignedNucleotide,
    /// Aligned amino-acid sequences of genes.
    AlignedAminoAcid,
}

/// A node's sequences of the asked genomes: the segment or gene names, and per asked key (in
/// the asked order) each name's sequence, `None` where absent; a key the node does not show
/// has no sequences at all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequencesPart {
    /// The segments or genes, in the order of each row's sequences.
    pub names: Vec<String>,
    /// Per asked key: `None` when the node does not show that genome.
    pub rows: Vec<Option<Vec<Option<String>>>>,
}

/// The rows of a time series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SeriesItems {
    /// One row per mutation.
    Mutations {
        /// Amino-acid mutations rather than nucleotide ones.
        amino_acid: bool,
        /// The mutations as LAPIS writes them.
        mutations: Vec<String>,
    },
    /// One row per query: (display label, countQuery, coverageQuery).
    Queries(Vec<(String, String, String)>),
}

/// A position of a segment or gene (the empty name: the one segment of a single-segment
/// organism, which LAPIS leaves unnamed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Site {
    /// The segment or gene.
    pub sequence: String,
    /// 1-based.
    pub position: u32,
}

/// A node's part of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartAnswer {
    /// The answering node.
    pub node: String,
    /// Its data version of the organism (Unix seconds).
    pub data_version: i64,
    /// What it shares with the asker.
    pub level: Level,
    /// The part itself.
    pub body: PartBody,
}

/// The body of a node's part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PartBody {
    /// A table part, with how many of its groups were withheld (below the share's minimum cell).
    Table {
        /// The rows the node shares.
        table: Table,
        /// Groups (rows) withheld.
        withheld: u64,
    },
    /// (count, coverage) of the asked mutations, in their order; `None`: withheld (below the
    /// minimum cell).
    Counts(Vec<Option<(u64, u64)>>),
    /// The node shares nothing of this kind with the asker (details at `aggregates`, anything
    /// at `none`): not an error, the answer is complete without it.
    Withheld,
    /// Facts about the organism.
    About(About),
    /// A time series part.
    Series(SeriesPart),
    /// Sequences of genomes.
    Sequences(SequencesPart),
}

/// A node's part of a time series: `cells[item][range]` is (count, coverage), `None` where
/// withheld (below the share's minimum cell); `totals` the rows per range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPart {
    /// One label per item.
    pub labels: Vec<String>,
    /// Per item and range.
    pub cells: Vec<Vec<Option<(u64, u64)>>>,
    /// Per range; `None` where withheld.
    pub totals: Vec<Option<u64>>,
}

/// A node's facts about one organism.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct About {
    /// Genomes it holds (released, visible to the public), or `None` when withheld.
    pub genomes: Option<u64>,
    /// Metadata fields and their LAPIS types.
    pub fields: Vec<(String, String)>,
    /// The processing pipeline or dataset version its data comes from, if known.
    pub pipeline: Option<String>,
}

/// A node's refusal or failure, as it answers it (with an HTTP status).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartProblem {
    /// The HTTP status.
    pub status: u16,
    /// What went wrong, in a sentence.
    pub detail: String,
}
