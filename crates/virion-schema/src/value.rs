//! Typed, normalised metadata values as they are stored and served.

use serde::Serialize;

use crate::date::DateRange;

/// A validated cell.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// Free text, or a vocabulary term in its canonical spelling.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A decimal number.
    Float(f64),
    /// A yes/no value.
    Bool(bool),
    /// A complete, partial or interval date, with the days it may mean.
    Date(DateRange),
    /// Author names, in order.
    Authors(Vec<String>),
    /// An ENA missing-value term ("not provided", "missing: lab stock", …).
    Missing(MissingTerm),
}

/// Serialised as `{"missing": "not provided"}` so it is never mistaken for real text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MissingTerm {
    /// The ENA term, e.g. "not provided".
    pub missing: &'static str,
}
