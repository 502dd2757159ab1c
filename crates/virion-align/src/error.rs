//! Why a sequence could not be aligned.

/// The reasons Nextclade gives for not aligning a query, with the values involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AlignError {
    /// The query is shorter than `minLength`.
    #[error(
        "Unable to align: sequence is too short. Details: sequence length: {qry_len}, min length allowed: {min_length}. This is likely due to a low quality of the provided sequence, or due to using incorrect reference sequence."
    )]
    SequenceTooShort {
        /// The query's length.
        qry_len: usize,
        /// `minLength` of the alignment parameters.
        min_length: usize,
    },

    /// No seed match is `minMatchLength` long: the query does not resemble the reference.
    #[error(
        "Unable to align: seed alignment was unable to find any matches that are long enough. Only matches of at least {min_match_length} nucleotides long are considered (configurable using 'min match length' CLI flag or dataset property). This is likely due to low quality of the provided sequence, or due to using incorrect reference sequence."
    )]
    NoSeedMatches {
        /// `minMatchLength` of the alignment parameters.
        min_match_length: usize,
    },

    /// The seed chain covers too little of the query (`minSeedCover`).
    #[error(
        "Unable to align: seed alignment covers {cover_percent:.2}% of the query sequence, which is less than expected {min_cover_percent:.2}% (configurable using 'min seed cover' CLI flag or dataset property). This is likely due to low quality of the provided sequence, or due to using incorrect reference sequence."
    )]
    SeedCoverTooLow {
        /// Percentage of the query the seed chain covers.
        cover_percent: f64,
        /// `minSeedCover` as a percentage.
        min_cover_percent: f64,
    },

    /// The band the seeds imply has more cells than `maxBandArea` allows on the first attempt.
    #[error(
        "Alignment matrix size {band_area} exceeds maximum value {max_band_area}. The threshold can be adjusted using CLI flag '--max-band-area' or using 'maxBandArea' field in the dataset's pathogen.json"
    )]
    BandTooLarge {
        /// Cells in the band.
        band_area: u64,
        /// `maxBandArea` of the alignment parameters.
        max_band_area: u64,
    },

    /// The dataset's `alignmentParams` do not parse into the parameters.
    #[error("invalid alignment parameters: {message}")]
    InvalidParams {
        /// What is wrong with them.
        message: String,
    },
}
