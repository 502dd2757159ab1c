//! Why a sequence could not be aligned.

/// The reasons Nextclade gives for not aligning a query, with the values involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlignError {
    #[error(
        "Unable to align: sequence is too short. Details: sequence length: {qry_len}, min length allowed: {min_length}. This is likely due to a low quality of the provided sequence, or due to using incorrect reference sequence."
    )]
    SequenceTooShort { qry_len: usize, min_length: usize },

    #[error(
        "Unable to align: seed alignment was unable to find any matches that are long enough. Only matches of at least {min_match_length} nucleotides long are considered (configurable using 'min match length' CLI flag or dataset property). This is likely due to low quality of the provided sequence, or due to using incorrect reference sequence."
    )]
    NoSeedMatches { min_match_length: usize },

    #[error(
        "Unable to align: seed alignment covers {cover_percent:.2}% of the query sequence, which is less than expected {min_cover_percent:.2}% (configurable using 'min seed cover' CLI flag or dataset property). This is likely due to low quality of the provided sequence, or due to using incorrect reference sequence."
    )]
    SeedCoverTooLow { cover_percent: f64, min_cover_percent: f64 },

    #[error(
        "Alignment matrix size {band_area} exceeds maximum value {max_band_area}. The threshold can be adjusted using CLI flag '--max-band-area' or using 'maxBandArea' field in the dataset's pathogen.json"
    )]
    BandTooLarge { band_area: u64, max_band_area: u64 },

    #[error("invalid alignment parameters: {message}")]
    InvalidParams { message: String },
}
