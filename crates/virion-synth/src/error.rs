//! Why a generator cannot be built from a dataset.

/// The dataset lacks what the model draws genomes from.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Genomes are drawn from tree nodes, so a dataset without `tree.json` cannot be used.
    #[error("dataset {dataset} has no reference tree to draw genomes from")]
    NoTree {
        /// The dataset's name.
        dataset: String,
    },
    /// A tree with no nodes leaves nothing to pick.
    #[error("the reference tree of dataset {dataset} has no nodes")]
    EmptyTree {
        /// The dataset's name.
        dataset: String,
    },
    /// Ragged ends and dropouts need room; a reference this short is not a genome.
    #[error("reference of dataset {dataset} is {len} bases, too short for synthetic genomes")]
    ReferenceTooShort {
        /// The dataset's name.
        dataset: String,
        /// The reference's length.
        len: usize,
    },
}
