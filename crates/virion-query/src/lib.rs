//! From LAPIS requests to answers over the index: the sequence-filter parameters, the
//! mutation and insertion syntax, `advancedQuery` and `variantQuery` become an index
//! [`virion_index::Filter`]; grouped counts, details, mutation proportions and insertion counts
//! are computed over the matching rows of one or several parts ([`execute`]), and so are the
//! phylogenetic answers (most recent common ancestor, subtree; `f.phyloDescendantOf` filters).
//! Counts and coverages are returned side by side (proportions derive from them), so answers
//! from several nodes add up. [`silo_filter`] translates an advancedQuery into the SILO filter expression
//! LAPIS's `/query/parse` answers.

mod advanced;
mod aggregate;
mod error;
pub mod execute;
mod filters;
pub mod mutation;
mod phylo;
mod proportions;
mod request;
mod select;
pub mod silo_filter;
mod table;

pub use advanced::{
    Context, Expr, advanced_filter, insertion_filter, parse_advanced, parse_insertion, parse_variant_query,
};
pub use aggregate::{
    GroupField, GroupKey, PositionField, aggregate, parse_group_field, parse_group_field_named,
    parse_position_field,
};
pub use error::QueryError;
pub use filters::sequence_filter;
pub use proportions::{
    MutationProportion, coverage_at, mutation_proportions, mutation_proportions_of, silo_order,
};
pub use request::{Compression, LapisRequest, MAX_LIMIT, OrderBy, Values};
pub use select::QueryIndex;
pub use table::{Cell, Table, mix, seed_of};
