//! Every refusal names the request parameter and value, so the API can answer 400 with an
//! RFC 7807 problem a user can act on.

/// Why a LAPIS request was refused (400) or stopped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A mutation or insertion filter that does not parse.
    #[error("{parameter}={value:?}: {reason}")]
    Mutation {
        /// The request parameter (`nucleotideMutations`, ...).
        parameter: String,
        /// The offending entry.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A segment or gene name the organism does not have.
    #[error("{parameter}: unknown {kind} {name:?} (this organism has: {known})")]
    UnknownSequence {
        /// The request parameter.
        parameter: String,
        /// What was looked for: `segment`, `gene` or `segment or gene`.
        kind: &'static str,
        /// The name given.
        name: String,
        /// The organism's names of that kind, comma-separated.
        known: String,
    },
    /// A parameter that is neither a metadata field nor a LAPIS filter.
    #[error(
        "unknown parameter {parameter:?}; filters are the metadata fields ({known}) and nucleotideMutations, aminoAcidMutations, nucleotideInsertions, aminoAcidInsertions, advancedQuery"
    )]
    UnknownParameter {
        /// The parameter.
        parameter: String,
        /// The metadata fields, comma-separated.
        known: String,
    },
    /// A value that does not fit its parameter (a bad date, number, regex, lineage, query).
    #[error("{parameter}={value:?}: {reason}")]
    BadValue {
        /// The parameter.
        parameter: String,
        /// The value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `fields` entry that is not a metadata field or a sequence position.
    #[error("fields: unknown field {field:?} (known: {known})")]
    UnknownField {
        /// The entry.
        field: String,
        /// The metadata fields, comma-separated.
        known: String,
    },
    /// The request would exceed its time or memory budget; it was stopped, not answered in part.
    #[error("{reason}")]
    OverBudget {
        /// Which limit was exceeded, and what to do about it.
        reason: String,
    },
}

impl From<virion_index::Interrupted> for QueryError {
    fn from(why: virion_index::Interrupted) -> Self {
        QueryError::OverBudget {
            reason: match why {
                virion_index::Interrupted::Deadline => {
                    "the request ran past its time limit; narrow the filters or page with limit/offset".into()
                }
                virion_index::Interrupted::Cancelled => {
                    "the request was cancelled: its client went away".into()
                }
            },
        }
    }
}
