//! Why a collection could not answer. Each surface (LAPIS, the portal) maps these to its own
//! kind of answer once: an RFC 7807 problem, an HTML page.

use virion_query::QueryError;

/// A question the collections could not answer.
#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    /// No collection was named and this node serves several.
    #[error("this node serves several organisms; use /{{organism}}/sample/…: {}", served.join(", "))]
    NoDefault {
        /// The collections served.
        served: Vec<String>,
    },
    /// The named collection is not served here.
    #[error("no organism {name:?} here (served: {})", served.join(", "))]
    Unknown {
        /// The name asked for.
        name: String,
        /// The collections served.
        served: Vec<String>,
    },
    /// A hub organism whose index is still being built; the question can be asked again.
    #[error("the query index of {name:?} is being built; retry shortly")]
    Building {
        /// The organism.
        name: String,
    },
    /// A member's unreleased data could not be read from the store.
    #[error("the member view could not be built")]
    MemberView(String),
    /// The question itself was refused (bad filter, unknown field, over budget).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The thread answering it failed.
    #[error("the query failed: {0}")]
    Failed(String),
}
