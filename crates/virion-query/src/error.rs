//! Every refusal names the request parameter and value, so the API can answer 400 with an
//! RFC 7807 problem a user can act on.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("{parameter}={value:?}: {reason}")]
    Mutation { parameter: String, value: String, reason: String },
    #[error("{parameter}: unknown {kind} {name:?} (this organism has: {known})")]
    UnknownSequence { parameter: String, kind: &'static str, name: String, known: String },
    #[error(
        "unknown parameter {parameter:?}; filters are the metadata fields ({known}) and nucleotideMutations, aminoAcidMutations, nucleotideInsertions, aminoAcidInsertions, advancedQuery"
    )]
    UnknownParameter { parameter: String, known: String },
    #[error("{parameter}={value:?}: {reason}")]
    BadValue { parameter: String, value: String, reason: String },
    #[error("fields: unknown field {field:?} (known: {known})")]
    UnknownField { field: String, known: String },
    /// The request would exceed its time or memory budget; it was stopped, not answered in part.
    #[error("{reason}")]
    OverBudget { reason: String },
}
