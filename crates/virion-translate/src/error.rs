//! Why a CDS could not be translated. Nextclade reports these as warnings and carries on.

/// A CDS that could not be translated for one query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TranslateError {
    /// The query has no nucleotides inside the CDS.
    #[error(
        "When processing gene \"{cds}\": The extracted gene sequence is empty or consists entirely from gaps"
    )]
    EmptyCds {
        /// The CDS name.
        cds: String,
    },
}
