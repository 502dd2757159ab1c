//! Typed, normalised metadata values as they are stored and served.

use serde::Serialize;

use crate::date::DateRange;

/// A validated cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Date(DateRange),
    Authors(Vec<String>),
    /// An ENA missing-value term ("not provided", "missing: lab stock", …).
    Missing(MissingTerm),
}

/// Serialised as `{"missing": "not provided"}` so it is never mistaken for real text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingTerm {
    pub missing: &'static str,
}
