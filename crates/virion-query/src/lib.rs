//! From LAPIS requests to answers over the index: the sequence-filter parameters and the
//! mutation syntax become an index [`virion_index::Filter`]; grouped counts and mutation
//! proportions are computed over the matching rows. Counts and coverages are returned side by
//! side (proportions derive from them), so answers from several nodes add up.

pub mod advanced;
mod aggregate;
mod error;
mod filters;
pub mod mutation;
mod proportions;
mod request;

pub use advanced::{Expr, advanced_filter, parse_advanced};
pub use aggregate::{GroupField, GroupKey, aggregate, parse_group_field};
pub use error::QueryError;
pub use filters::sequence_filter;
pub use proportions::{MutationProportion, mutation_proportions};
pub use request::{LapisRequest, QueryIndex};
