//! LAPIS's `POST /query/parse`: each advancedQuery becomes the SILO filter expression LAPIS
//! would send (its Kotlin `SiloFilterExpression` classes, serialised as LAPIS does: the
//! class's fields in declaration order, then `"type"`), or the error LAPIS would report.
//!
//! The translation follows LAPIS's `AdvancedQueryCustomListener`:
//! - `a & b & c` is `And` of the children in reverse order (`[c, b, a]`), nested `&` (also in
//!   parentheses) flattened; the same for `|` and `Or`. `[n-of: …]` keeps its order.
//! - a metadata comparison takes its filter from the column's type: a string `StringEquals`
//!   (the lineage column `Lineage`, `*`/`.*` meaning with sublineages), a date `DateBetween`
//!   (`=`: from and to the same day), ints and floats `IntEquals`/`FloatEquals` or
//!   `…Between` (`>=`, `<=`, one side null), a boolean `BooleanEquals`; `f.regex=` is
//!   `StringSearch`; `IsNull(f)` is the type's equality with a null value (a date's `IsNull`).
//! - a named mutation names a gene first, then a segment; mutations and insertions of a
//!   single-segment organism name its segment; symbols are upper case, `.` stays `.`, an
//!   insertion's `?` becomes `.*` and `*` becomes `\*`.
//!
//! `doFullValidation` makes LAPIS send each filter to SILO; what SILO refuses comes back as
//! `Error from SILO: …` with SILO's message. [`validate`] makes the same checks against the
//! index: positions within the sequence (SILO: `SymbolEquals<Nucleotide> position is out of
//! bounds 999999 > 29903`), insertion positions, regular expressions, lineage names, nodes of
//! the phylogenetic tree.

use chrono::NaiveDate;
use serde::ser::{Serialize, SerializeMap, Serializer};
use virion_core::{Aa, Nuc};
use virion_index::ColumnType;

use crate::advanced::Expr;
use crate::error::QueryError;
use crate::mutation::Target;
use crate::select::QueryIndex;

/// A SILO filter expression as LAPIS writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum SiloFilter {
    /// Every row.
    True,
    /// Every child matches.
    And(Vec<SiloFilter>),
    /// Any child matches.
    Or(Vec<SiloFilter>),
    /// The child does not match.
    Not(Box<SiloFilter>),
    /// Ambiguity codes count as matches inside the child.
    Maybe(Box<SiloFilter>),
    /// At least (or exactly) `number_of_matchers` children match.
    NOf {
        /// The count to reach.
        number_of_matchers: usize,
        /// Whether exactly that many must match.
        match_exactly: bool,
        /// The filters counted.
        children: Vec<SiloFilter>,
    },
    /// `value: None` is "is null".
    StringEquals {
        /// The string column.
        column: String,
        /// The value to equal.
        value: Option<String>,
    },
    /// A boolean column equals the value (`None`: is null).
    BooleanEquals {
        /// The boolean column.
        column: String,
        /// The value to equal.
        value: Option<bool>,
    },
    /// The lineage column holds the lineage (or one of its sublineages).
    Lineage {
        /// The lineage column.
        column: String,
        /// The lineage (`None`: is null).
        value: Option<String>,
        /// Whether sublineages match too (`*` or `.*` in the query).
        include_sublineages: bool,
    },
    /// `symbol` is a letter, `-` or `.` (the reference's letter); positions are 1-based.
    NucleotideEquals {
        /// The segment.
        sequence_name: String,
        /// 1-based position.
        position: u32,
        /// The letter asked for.
        symbol: String,
    },
    /// Any letter but the reference's and `N` at the position.
    HasNucleotideMutation {
        /// The segment.
        sequence_name: String,
        /// 1-based position.
        position: u32,
    },
    /// The gene's amino acid at the position (`symbol`: a letter, `-` or `.`).
    AminoAcidEquals {
        /// The gene.
        sequence_name: String,
        /// 1-based codon.
        position: u32,
        /// The letter asked for.
        symbol: String,
    },
    /// Any amino acid but the reference's and `X` at the codon.
    HasAminoAcidMutation {
        /// The gene.
        sequence_name: String,
        /// 1-based codon.
        position: u32,
    },
    /// A date column in `[from, to]` (`None`: unbounded).
    DateBetween {
        /// The date column.
        column: String,
        /// First day, inclusive.
        from: Option<NaiveDate>,
        /// Last day, inclusive.
        to: Option<NaiveDate>,
    },
    /// An integer column equals the value (`None`: is null).
    IntEquals {
        /// The integer column.
        column: String,
        /// The value to equal.
        value: Option<i64>,
    },
    /// An integer column in `[from, to]` (`None`: unbounded).
    IntBetween {
        /// The integer column.
        column: String,
        /// Lower bound, inclusive.
        from: Option<i64>,
        /// Upper bound, inclusive.
        to: Option<i64>,
    },
    /// A float column equals the value (`None`: is null).
    FloatEquals {
        /// The float column.
        column: String,
        /// The value to equal.
        value: Option<f64>,
    },
    /// A float column in `[from, to]` (`None`: unbounded).
    FloatBetween {
        /// The float column.
        column: String,
        /// Lower bound, inclusive.
        from: Option<f64>,
        /// Upper bound, inclusive.
        to: Option<f64>,
    },
    /// `value` is SILO's pattern: `.*` for LAPIS's `?`.
    InsertionContains {
        /// 1-based position the insertion follows.
        position: u32,
        /// The pattern.
        value: String,
        /// The segment.
        sequence_name: String,
    },
    /// An amino-acid insertion matching `value` after `position`.
    AminoAcidInsertionContains {
        /// 1-based codon the insertion follows.
        position: u32,
        /// The pattern (`.*` for LAPIS's `?`).
        value: String,
        /// The gene.
        sequence_name: String,
    },
    /// A string column matches a regular expression (`field.regex=`).
    StringSearch {
        /// The string column.
        column: String,
        /// The regular expression.
        search_expression: String,
    },
    /// The column's value names a leaf below a node of the phylogenetic tree.
    PhyloDescendantOf {
        /// The tree column.
        column: String,
        /// The node's name.
        internal_node: String,
    },
    /// The column has no value.
    IsNull {
        /// The column.
        column: String,
    },
    /// The column has a value.
    IsNotNull {
        /// The column.
        column: String,
    },
}

impl SiloFilter {
    /// SILO's name of the expression (the JSON `"type"`).
    pub fn type_name(&self) -> &'static str {
        match self {
            SiloFilter::True => "True",
            SiloFilter::And(_) => "And",
            SiloFilter::Or(_) => "Or",
            SiloFilter::Not(_) => "Not",
            SiloFilter::Maybe(_) => "Maybe",
            SiloFilter::NOf { .. } => "N-Of",
            SiloFilter::StringEquals { .. } => "StringEquals",
            SiloFilter::BooleanEquals { .. } => "BooleanEquals",
            SiloFilter::Lineage { .. } => "Lineage",
            SiloFilter::NucleotideEquals { .. } => "NucleotideEquals",
            SiloFilter::HasNucleotideMutation { .. } => "HasNucleotideMutation",
            SiloFilter::AminoAcidEquals { .. } => "AminoAcidEquals",
            SiloFilter::HasAminoAcidMutation { .. } => "HasAminoAcidMutation",
            SiloFilter::DateBetween { .. } => "DateBetween",
            SiloFilter::IntEquals { .. } => "IntEquals",
            SiloFilter::IntBetween { .. } => "IntBetween",
            SiloFilter::FloatEquals { .. } => "FloatEquals",
            SiloFilter::FloatBetween { .. } => "FloatBetween",
            SiloFilter::InsertionContains { .. } => "InsertionContains",
            SiloFilter::AminoAcidInsertionContains { .. } => "AminoAcidInsertionContains",
            SiloFilter::StringSearch { .. } => "StringSearch",
            SiloFilter::PhyloDescendantOf { .. } => "PhyloDescendantOf",
            SiloFilter::IsNull { .. } => "IsNull",
            SiloFilter::IsNotNull { .. } => "IsNotNull",
        }
    }

    /// The JSON LAPIS answers (fields in LAPIS's order, `"type"` last).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

fn date_text(d: &Option<NaiveDate>) -> Option<String> {
    d.map(|d| d.format("%Y-%m-%d").to_string())
}

impl Serialize for SiloFilter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(None)?;
        match self {
            SiloFilter::True => {}
            SiloFilter::And(children) | SiloFilter::Or(children) => {
                m.serialize_entry("children", children)?
            }
            SiloFilter::Not(child) | SiloFilter::Maybe(child) => m.serialize_entry("child", child)?,
            SiloFilter::NOf { number_of_matchers, match_exactly, children } => {
                m.serialize_entry("numberOfMatchers", number_of_matchers)?;
                m.serialize_entry("matchExactly", match_exactly)?;
                m.serialize_entry("children", children)?;
            }
            SiloFilter::StringEquals { column, value } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("value", value)?;
            }
            SiloFilter::BooleanEquals { column, value } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("value", value)?;
            }
            SiloFilter::Lineage { column, value, include_sublineages } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("value", value)?;
                m.serialize_entry("includeSublineages", include_sublineages)?;
            }
            SiloFilter::NucleotideEquals { sequence_name, position, symbol }
            | SiloFilter::AminoAcidEquals { sequence_name, position, symbol } => {
                m.serialize_entry("sequenceName", sequence_name)?;
                m.serialize_entry("position", position)?;
                m.serialize_entry("symbol", symbol)?;
            }
            SiloFilter::HasNucleotideMutation { sequence_name, position }
            | SiloFilter::HasAminoAcidMutation { sequence_name, position } => {
                m.serialize_entry("sequenceName", sequence_name)?;
                m.serialize_entry("position", position)?;
            }
            SiloFilter::DateBetween { column, from, to } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("from", &date_text(from))?;
                m.serialize_entry("to", &date_text(to))?;
            }
            SiloFilter::IntEquals { column, value } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("value", value)?;
            }
            SiloFilter::IntBetween { column, from, to } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("from", from)?;
                m.serialize_entry("to", to)?;
            }
            SiloFilter::FloatEquals { column, value } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("value", value)?;
            }
            SiloFilter::FloatBetween { column, from, to } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("from", from)?;
                m.serialize_entry("to", to)?;
            }
            SiloFilter::InsertionContains { position, value, sequence_name }
            | SiloFilter::AminoAcidInsertionContains { position, value, sequence_name } => {
                m.serialize_entry("position", position)?;
                m.serialize_entry("value", value)?;
                m.serialize_entry("sequenceName", sequence_name)?;
            }
            SiloFilter::StringSearch { column, search_expression } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("searchExpression", search_expression)?;
            }
            SiloFilter::PhyloDescendantOf { column, internal_node } => {
                m.serialize_entry("column", column)?;
                m.serialize_entry("internalNode", internal_node)?;
            }
            SiloFilter::IsNull { column } | SiloFilter::IsNotNull { column } => {
                m.serialize_entry("column", column)?;
            }
        }
        m.serialize_entry("type", self.type_name())?;
        m.end()
    }
}

/// One entry of `/query/parse`'s `data`: `{"filter": …, "type": "success"}` or
/// `{"error": "…", "type": "failure"}`.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsedQuery {
    /// The filter LAPIS would send to SILO.
    Success(SiloFilter),
    /// The error LAPIS would report, as its message.
    Failure(String),
}

impl Serialize for ParsedQuery {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut m = serializer.serialize_map(Some(2))?;
        match self {
            ParsedQuery::Success(filter) => {
                m.serialize_entry("filter", filter)?;
                m.serialize_entry("type", "success")?;
            }
            ParsedQuery::Failure(error) => {
                m.serialize_entry("error", error)?;
                m.serialize_entry("type", "failure")?;
            }
        }
        m.end()
    }
}

impl ParsedQuery {
    /// The entry as a JSON value.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// `/query/parse`: each query's SILO filter, or why LAPIS would refuse it; with
/// `do_full_validation` also what SILO would refuse (positions beyond a sequence, …).
pub fn parse_queries(index: &QueryIndex, queries: &[String], do_full_validation: bool) -> Vec<ParsedQuery> {
    queries
        .iter()
        .map(|q| {
            let parsed = parse_expr(q).and_then(|expr| {
                let filter = to_silo_filter(index, &expr)?;
                if do_full_validation {
                    validate(index, &filter)?;
                    // What else Virion itself would refuse when running the query.
                    index.context().convert(&expr, false).map_err(|e| e.to_string())?;
                }
                Ok(filter)
            });
            match parsed {
                Ok(filter) => ParsedQuery::Success(filter),
                Err(error) => ParsedQuery::Failure(error),
            }
        })
        .collect()
}

/// Parses an advancedQuery into the SILO filter LAPIS would build (no full validation).
pub fn parse_silo_filter(index: &QueryIndex, query: &str) -> Result<SiloFilter, String> {
    to_silo_filter(index, &parse_expr(query)?)
}

/// Parses an advancedQuery; a syntax error is worded as LAPIS words its parser's errors:
/// `Failed to parse advanced query (line 1:36): ….`
fn parse_expr(query: &str) -> Result<Expr, String> {
    crate::advanced::parse_advanced(query).map_err(|e| {
        let QueryError::BadValue { reason, .. } = &e else { return e.to_string() };
        match crate::advanced::parse_error_position(reason) {
            Some((at, message)) => {
                let before = query.get(..at.min(query.len())).unwrap_or(query);
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count();
                format!("Failed to parse advanced query (line {line}:{column}): {message}.")
            }
            None => format!("Failed to parse advanced query: {reason}."),
        }
    })
}

/// The metadata type's name as LAPIS prints it (`MetadataType`).
pub(crate) fn type_name(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::String { .. } => "STRING",
        ColumnType::Date => "DATE",
        ColumnType::Int => "INT",
        ColumnType::Float => "FLOAT",
        ColumnType::Boolean => "BOOLEAN",
    }
}

/// Whether LAPIS accepts `symbol` (upper case) in mutations and insertions
/// (`MutationValidator.kt`): `virion-core`'s letters less those LAPIS does not know (`U` among
/// nucleotides; `O`, `U` and `J` among amino acids), and `.`/`?` (reference, wildcard).
fn lapis_query_symbol(symbol: u8, nucleotide: bool) -> bool {
    matches!(symbol, b'.' | b'?')
        || if nucleotide {
            symbol != b'U' && Nuc::from_byte(symbol).is_some()
        } else {
            !matches!(symbol, b'O' | b'U' | b'J') && Aa::from_byte(symbol).is_some()
        }
}

struct Translator<'a> {
    index: &'a QueryIndex,
}

impl Translator<'_> {
    /// A metadata column by name in any case (`Metadata field … does not exist`).
    fn field(&self, name: &str) -> Result<(usize, &str, ColumnType), String> {
        let columns = &self.index.index.columns;
        let lower = name.to_lowercase();
        columns
            .iter()
            .position(|c| c.name.to_lowercase() == lower)
            .map(|i| (i, columns[i].name.as_str(), columns[i].kind))
            .ok_or_else(|| {
                let known: Vec<String> = columns.iter().map(|c| c.name.to_lowercase()).collect();
                format!("Metadata field {name} does not exist. Known fields: {}.", known.join(", "))
            })
    }

    fn is_lineage(&self, column: usize) -> bool {
        self.index.lineage.as_ref().is_some_and(|(c, _)| *c == column)
    }

    /// The only segment, for mutations and insertions without a name.
    fn only_segment(&self) -> Result<String, String> {
        match self.index.index.segments.as_slice() {
            [one] => Ok(one.name.clone()),
            _ => {
                Err("Reference genome is multi-segmented, you must specify segment as part of mutation query"
                    .to_owned())
            }
        }
    }

    fn gene(&self, name: &str) -> Option<String> {
        let lower = name.to_lowercase();
        self.index.index.genes.iter().find(|g| g.name.to_lowercase() == lower).map(|g| g.name.clone())
    }

    fn segment(&self, name: &str) -> Option<String> {
        let lower = name.to_lowercase();
        self.index.index.segments.iter().find(|s| s.name.to_lowercase() == lower).map(|s| s.name.clone())
    }

    fn convert(&self, expr: &Expr) -> Result<SiloFilter, String> {
        let each =
            |children: &[Expr]| children.iter().map(|c| self.convert(c)).collect::<Result<Vec<_>, _>>();
        Ok(match expr {
            // LAPIS builds `a & b` as And(b, a) and merges nested Ands: the reverse order.
            Expr::And(children) => SiloFilter::And(each(children)?.into_iter().rev().collect()),
            Expr::Or(children) => SiloFilter::Or(each(children)?.into_iter().rev().collect()),
            Expr::Not(child) => SiloFilter::Not(Box::new(self.convert(child)?)),
            Expr::Maybe(child) => SiloFilter::Maybe(Box::new(self.convert(child)?)),
            Expr::NOf { n, exactly, children } => {
                SiloFilter::NOf { number_of_matchers: *n, match_exactly: *exactly, children: each(children)? }
            }
            Expr::Metadata { field, op: "=", value } => self.equals(field, value)?,
            Expr::Metadata { field, op, value } => self.bound(field, op, value)?,
            Expr::IsNull(field) => {
                let (c, column, kind) = self.field(field)?;
                let column = column.to_owned();
                match kind {
                    ColumnType::String { .. } if self.is_lineage(c) => {
                        SiloFilter::Lineage { column, value: None, include_sublineages: false }
                    }
                    ColumnType::String { .. } => SiloFilter::StringEquals { column, value: None },
                    ColumnType::Boolean => SiloFilter::BooleanEquals { column, value: None },
                    ColumnType::Date => SiloFilter::IsNull { column },
                    ColumnType::Float => SiloFilter::FloatEquals { column, value: None },
                    ColumnType::Int => SiloFilter::IntEquals { column, value: None },
                }
            }
            // A variantQuery's bare lineage (`BA.5*`), on the lineage column.
            Expr::Lineage(value) => {
                let Some((c, _)) = &self.index.lineage else {
                    return Err(format!("{value}: this organism has no lineage field"));
                };
                lineage_filter(&self.index.index.columns[*c].name, value)?
            }
            Expr::Mutation { name, position, target } => {
                self.mutation(name.as_deref(), *position, *target)?
            }
            Expr::Insertion { name, position, pattern } => {
                self.insertion(name.as_deref(), *position, pattern)?
            }
        })
    }

    fn equals(&self, field: &str, value: &str) -> Result<SiloFilter, String> {
        let suffix = |s: &str| {
            field.len() > s.len()
                && field.is_char_boundary(field.len() - s.len())
                && field[field.len() - s.len()..].eq_ignore_ascii_case(s)
        };
        if suffix(".regex") || suffix(".PhyloDescendantOf") {
            let base = &field[..field.rfind('.').unwrap_or(field.len())];
            let (c, column, kind) = self.field(base)?;
            if suffix(".regex") {
                if !matches!(kind, ColumnType::String { .. }) {
                    return Err(format!(
                        "Metadata field '{column}' of type {} does not support regex search. Only string fields do.",
                        type_name(kind)
                    ));
                }
                return Ok(SiloFilter::StringSearch {
                    column: column.to_owned(),
                    search_expression: value.to_owned(),
                });
            }
            // Only the phylogenetic tree field (a string column with a tree).
            if self.index.index.phylo().is_none_or(|p| p.column() != c) {
                return Err(format!(
                    "Metadata field '{column}' of type {} does not support PhyloDescendantOf queries. ",
                    type_name(kind)
                ));
            }
            return Ok(SiloFilter::PhyloDescendantOf {
                column: column.to_owned(),
                internal_node: value.to_owned(),
            });
        }
        let (c, column, kind) = self.field(field)?;
        let column = column.to_owned();
        Ok(match kind {
            ColumnType::String { .. } if self.is_lineage(c) => lineage_filter(&column, value)?,
            ColumnType::String { .. } => SiloFilter::StringEquals { column, value: Some(value.to_owned()) },
            ColumnType::Boolean => match value.to_lowercase().as_str() {
                "true" => SiloFilter::BooleanEquals { column, value: Some(true) },
                "false" => SiloFilter::BooleanEquals { column, value: Some(false) },
                _ => return Err(format!("'{value}' is not a valid boolean")),
            },
            ColumnType::Date => {
                let d = parse_date(value)?;
                SiloFilter::DateBetween { column, from: Some(d), to: Some(d) }
            }
            ColumnType::Float => SiloFilter::FloatEquals { column, value: Some(parse_float(value)?) },
            ColumnType::Int => SiloFilter::IntEquals { column, value: Some(parse_int(value)?) },
        })
    }

    fn bound(&self, field: &str, op: &str, value: &str) -> Result<SiloFilter, String> {
        let (_, column, kind) = self.field(field)?;
        let column = column.to_owned();
        let from = op == ">=";
        Ok(match kind {
            ColumnType::Date => {
                let d = Some(parse_date(value)?);
                if from {
                    SiloFilter::DateBetween { column, from: d, to: None }
                } else {
                    SiloFilter::DateBetween { column, from: None, to: d }
                }
            }
            ColumnType::Float => {
                let v = Some(parse_float(value)?);
                if from {
                    SiloFilter::FloatBetween { column, from: v, to: None }
                } else {
                    SiloFilter::FloatBetween { column, from: None, to: v }
                }
            }
            ColumnType::Int => {
                let v = Some(parse_int(value)?);
                if from {
                    SiloFilter::IntBetween { column, from: v, to: None }
                } else {
                    SiloFilter::IntBetween { column, from: None, to: v }
                }
            }
            _ => {
                return Err(format!(
                    "expression {op} cannot be used for field {column} of type {}",
                    type_name(kind)
                ));
            }
        })
    }

    fn mutation(&self, name: Option<&str>, position: u32, target: Target) -> Result<SiloFilter, String> {
        let symbol = match target {
            Target::AnyMutation => None,
            Target::Reference => Some(b'.'),
            Target::Nuc(_) | Target::Aa(_) => target.letter(),
        };
        let Some(name) = name else {
            let sequence_name = self.only_segment()?;
            return Ok(match symbol {
                None => SiloFilter::HasNucleotideMutation { sequence_name, position },
                Some(s) => {
                    SiloFilter::NucleotideEquals { sequence_name, position, symbol: (s as char).to_string() }
                }
            });
        };
        if let Some(gene) = self.gene(name) {
            if let Some(s) = symbol {
                check_symbol(s, false)?;
            }
            return Ok(match symbol {
                None => SiloFilter::HasAminoAcidMutation { sequence_name: gene, position },
                Some(s) => SiloFilter::AminoAcidEquals {
                    sequence_name: gene,
                    position,
                    symbol: (s as char).to_string(),
                },
            });
        }
        if let Some(segment) = self.segment(name) {
            if let Some(s) = symbol {
                check_symbol(s, true)?;
            }
            return Ok(match symbol {
                None => SiloFilter::HasNucleotideMutation { sequence_name: segment, position },
                Some(s) => SiloFilter::NucleotideEquals {
                    sequence_name: segment,
                    position,
                    symbol: (s as char).to_string(),
                },
            });
        }
        let names = |list: &[virion_index::SequenceColumn]| {
            list.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
        };
        Err(format!(
            "{name} is not a known segment or gene, known segments are [{}], known genes are [{}]",
            names(&self.index.index.segments),
            names(&self.index.index.genes)
        ))
    }

    fn insertion(&self, name: Option<&str>, position: u32, pattern: &str) -> Result<SiloFilter, String> {
        // LAPIS's insertion symbols: letters and `?`, never `-` or `.`.
        let check = |nucleotide: bool| -> Result<(), String> {
            for c in pattern.bytes() {
                if c == b'-' || c == b'.' {
                    return Err(format!(
                        "Invalid {} symbol in an insertion: {}",
                        if nucleotide { "nucleotide" } else { "amino acid" },
                        c as char
                    ));
                }
                check_symbol(c, nucleotide)?;
            }
            Ok(())
        };
        // SILO's pattern: `?` is any run of symbols, a stop codon is escaped.
        let value: String = pattern
            .chars()
            .map(|c| match c {
                '?' => ".*".to_owned(),
                '*' => "\\*".to_owned(),
                c => c.to_ascii_uppercase().to_string(),
            })
            .collect();
        let Some(name) = name else {
            let sequence_name = self.only_segment()?;
            check(true)?;
            return Ok(SiloFilter::InsertionContains { position, value, sequence_name });
        };
        if let Some(gene) = self.gene(name) {
            check(false)?;
            return Ok(SiloFilter::AminoAcidInsertionContains { position, value, sequence_name: gene });
        }
        if let Some(segment) = self.segment(name) {
            check(true)?;
            return Ok(SiloFilter::InsertionContains { position, value, sequence_name: segment });
        }
        Err(format!("{name} is not a known segment or gene"))
    }
}

/// LAPIS's `validateNucleotideSymbol` / `validateAminoAcidSymbol`.
fn check_symbol(symbol: u8, nucleotide: bool) -> Result<(), String> {
    let upper = symbol.to_ascii_uppercase();
    if !lapis_query_symbol(upper, nucleotide) {
        let what = if nucleotide { "nucleotide" } else { "amino acid" };
        return Err(format!("Invalid {what} symbol: {}", symbol as char));
    }
    Ok(())
}

/// LAPIS's `mapToLineageFilter`: `X*` and `X.*` with sublineages, `X.` refused.
fn lineage_filter(column: &str, value: &str) -> Result<SiloFilter, String> {
    let column = column.to_owned();
    if value.trim().is_empty() {
        return Err(format!(
            "Invalid lineage: {value} is NULL - to search for NULL values use `IsNull({column})`?"
        ));
    }
    if let Some(v) = value.strip_suffix(".*").or_else(|| value.strip_suffix('*')) {
        return Ok(SiloFilter::Lineage { column, value: Some(v.to_owned()), include_sublineages: true });
    }
    if value.ends_with('.') {
        return Err(format!("Invalid lineage: {value} must not end with a dot. Did you mean '{value}*'?"));
    }
    Ok(SiloFilter::Lineage { column, value: Some(value.to_owned()), include_sublineages: false })
}

/// Kotlin's `String.toInt()` (32 bits, optional sign).
fn parse_int(value: &str) -> Result<i64, String> {
    value.parse::<i32>().map(i64::from).map_err(|_| format!("'{value}' is not a valid integer"))
}

/// Kotlin's `String.toDouble()` for finite numbers (`1`, `0.5`, `10e-1`).
fn parse_float(value: &str) -> Result<f64, String> {
    let digits = value.strip_suffix(['d', 'D', 'f', 'F']).unwrap_or(value);
    digits
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("'{value}' is not a valid float"))
}

const MONTHS: [&str; 12] = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
];

/// Java's `LocalDate.parse` (ISO `yyyy-MM-dd`), its errors worded as Java words them:
/// `'2021.01.01' is not a valid date: Text '2021.01.01' could not be parsed at index 4`.
fn parse_date(value: &str) -> Result<NaiveDate, String> {
    let fail =
        |detail: String| format!("'{value}' is not a valid date: Text '{value}' could not be parsed{detail}");
    let at = |i: usize| fail(format!(" at index {i}"));
    let b = value.as_bytes();
    let digits = |from: usize, n: usize| -> Option<u32> {
        let s = b.get(from..from + n)?;
        if s.iter().all(u8::is_ascii_digit) { std::str::from_utf8(s).ok()?.parse().ok() } else { None }
    };
    // Four-digit years (longer ones need a sign in ISO; not accepted here).
    let year = digits(0, 4).filter(|_| b.get(4).is_none_or(|c| !c.is_ascii_digit())).ok_or_else(|| at(0))?;
    if b.get(4) != Some(&b'-') {
        return Err(at(4));
    }
    let month = digits(5, 2).ok_or_else(|| at(5))?;
    if b.get(7) != Some(&b'-') {
        return Err(at(7));
    }
    let day = digits(8, 2).ok_or_else(|| at(8))?;
    if b.len() > 10 {
        return Err(fail(", unparsed text found at index 10".into()));
    }
    if !(1..=12).contains(&month) {
        return Err(fail(format!(": Invalid value for MonthOfYear (valid values 1 - 12): {month}")));
    }
    if !(1..=31).contains(&day) {
        return Err(fail(format!(": Invalid value for DayOfMonth (valid values 1 - 28/31): {day}")));
    }
    NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| {
        if month == 2 && day == 29 {
            fail(format!(": Invalid date 'February 29' as '{year}' is not a leap year"))
        } else {
            fail(format!(": Invalid date '{} {day}'", MONTHS[month as usize - 1]))
        }
    })
}

/// The SILO filter LAPIS builds for a parsed advancedQuery over this index's schema.
pub fn to_silo_filter(index: &QueryIndex, expr: &Expr) -> Result<SiloFilter, String> {
    Translator { index }.convert(expr)
}

/// What SILO checks when LAPIS sends it a filter (`doFullValidation`), with SILO's messages
/// behind LAPIS's `Error from SILO: `.
pub fn validate(index: &QueryIndex, filter: &SiloFilter) -> Result<(), String> {
    check(index, filter).map_err(|e| format!("Error from SILO: {e}"))
}

fn check(index: &QueryIndex, filter: &SiloFilter) -> Result<(), String> {
    let ix = &index.index;
    let length = |gene: bool, name: &str| {
        let list = if gene { &ix.genes } else { &ix.segments };
        list.iter().find(|c| c.name == name).map(|c| c.reference().len())
    };
    let unknown = |gene: bool, name: &str| {
        format!(
            "Database does not contain the {} Sequence with name: '{name}'",
            if gene { "AminoAcid" } else { "Nucleotide" }
        )
    };
    let symbol_position = |what: &str, gene: bool, name: &str, position: u32| -> Result<(), String> {
        let len = length(gene, name).ok_or_else(|| unknown(gene, name))?;
        if position == 0 {
            return Err("The field 'position' is 1-indexed. Value of 0 not allowed.".into());
        }
        if position as usize > len {
            return Err(format!("{what} position is out of bounds {position} > {len}"));
        }
        Ok(())
    };
    match filter {
        SiloFilter::And(children) | SiloFilter::Or(children) | SiloFilter::NOf { children, .. } => {
            children.iter().try_for_each(|c| check(index, c))
        }
        SiloFilter::Not(child) | SiloFilter::Maybe(child) => check(index, child),
        SiloFilter::NucleotideEquals { sequence_name, position, .. } => {
            symbol_position("SymbolEquals<Nucleotide>", false, sequence_name, *position)
        }
        SiloFilter::HasNucleotideMutation { sequence_name, position } => {
            symbol_position("HasNucleotideMutation", false, sequence_name, *position)
        }
        SiloFilter::AminoAcidEquals { sequence_name, position, .. } => {
            symbol_position("SymbolEquals<AminoAcid>", true, sequence_name, *position)
        }
        SiloFilter::HasAminoAcidMutation { sequence_name, position } => {
            symbol_position("HasAminoAcidMutation", true, sequence_name, *position)
        }
        SiloFilter::InsertionContains { position, sequence_name, .. }
        | SiloFilter::AminoAcidInsertionContains { position, sequence_name, .. } => {
            let gene = matches!(filter, SiloFilter::AminoAcidInsertionContains { .. });
            let len = length(gene, sequence_name).ok_or_else(|| unknown(gene, sequence_name))?;
            if *position as usize > len {
                return Err(format!(
                    "the requested insertion position ({position}) is larger than the length of the reference sequence ({len}) for sequence '{sequence_name}'"
                ));
            }
            Ok(())
        }
        SiloFilter::StringSearch { search_expression, .. } => regex::RegexBuilder::new(search_expression)
            .size_limit(crate::filters::REGEX_SIZE_LIMIT)
            .build()
            .map(|_| ())
            .map_err(|e| {
                format!(
                    "Invalid Regular Expression. The parsing of the regular expression failed with the error '{e}'. See https://github.com/google/re2/wiki/Syntax for a Syntax specification."
                )
            }),
        SiloFilter::Lineage { column, value: Some(value), include_sublineages } => {
            let Some((_, lineages)) = &index.lineage else { return Ok(()) };
            let query = if *include_sublineages { format!("{value}*") } else { value.clone() };
            lineages
                .matching(&query)
                .map(|_| ())
                .map_err(|_| format!("The lineage '{value}' is not a valid lineage for column '{column}'."))
        }
        SiloFilter::PhyloDescendantOf { column, internal_node } => {
            let tree = ix.phylo().filter(|p| ix.columns[p.column()].name == *column).ok_or_else(|| {
                format!(
                    "Phylotree filter cannot be called on Column '{column}' as it does not have a phylogenetic tree associated with it"
                )
            })?;
            match tree.tree().node(internal_node) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "The node '{internal_node}' does not exist in the phylogenetic tree of column '{column}'"
                )),
            }
        }
        _ => Ok(()),
    }
}
