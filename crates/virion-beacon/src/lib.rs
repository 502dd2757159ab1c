//! GA4GH Beacon v2 for Virion: a Beacon request read into typed parts, mapped to the typed
//! LAPIS requests a collection runs (`request`), the granularity an asker may have
//! (`granularity`), and the Beacon documents written from typed answers (`response`,
//! `framework`). The HTTP surface is `virion-server`'s `beacon` module.

pub mod framework;
pub mod granularity;
pub mod request;
pub mod response;

pub use granularity::Granularity;
pub use request::{
    BeaconRequest, DatasetModel, Field, FieldKind, Filter, Operator, SequenceQuery, VariantMatch,
};

/// The Beacon API version this implementation answers (the schemas it is checked against).
pub const API_VERSION: &str = "v2.1.1";

/// Why a Beacon request cannot be answered; each variant holds the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BeaconError {
    /// A query parameter or body member has a value that cannot be read.
    #[error("{parameter}={value:?}: {reason}")]
    BadValue {
        /// The parameter.
        parameter: String,
        /// Its value as given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A filter names a field that no dataset has.
    #[error("filter {0:?}: no dataset has this field (see filtering_terms)")]
    UnknownField(String),
    /// A filter's operator does not apply to its field's kind.
    #[error("filter {id:?}: operator {operator} does not apply to a {kind} field")]
    BadOperator {
        /// The filter's field.
        id: String,
        /// The operator as written.
        operator: String,
        /// The field's kind.
        kind: &'static str,
    },
    /// The dataset holds no sequence of that reference name.
    #[error("referenceName {0:?} is not a reference of this dataset")]
    OtherReference(String),
    /// A sequence query this node cannot express as mutations.
    #[error("sequence query not supported: {0}")]
    UnsupportedSequenceQuery(String),
    /// A node's answer did not have the columns a Beacon record is made of.
    #[error("unexpected answer: {0}")]
    Answer(String),
}

impl BeaconError {
    /// Whether the error only means that this dataset cannot match (another may).
    pub fn is_not_applicable(&self) -> bool {
        matches!(self, BeaconError::UnknownField(_) | BeaconError::OtherReference(_))
    }
}
