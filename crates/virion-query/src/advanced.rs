//! LAPIS `advancedQuery`: a boolean language over mutations and metadata, e.g.
//! `[2-of: S:L455S, S:F456L, S:R346T] & !ins_S:214:EPE & country='United Kingdom'`.
//!
//! Grammar (LAPIS's AdvancedQuery.g4, case-insensitive): `!`/`NOT` binds tightest, then
//! `&`/`AND`, then `|`/`OR`; parentheses; `MAYBE(…)` around mutation expressions only (it
//! lets ambiguity codes match); `[n-of: a, b, …]` and `[exactly-n-of: …]`; mutations
//! `[from]pos[to]` and `name:[from]pos[to]` (a name is looked up as a gene first, then a
//! segment); insertions `ins_[name:]pos:SEQ` with `?` wildcards; metadata `f=v`, `f='quoted'`,
//! `f>=v`, `f<=v`, `f.regex='re'`, `f.phyloDescendantOf='node'` (any case), `IsNull(f)`.

use virion_index::{Filter, Index, LineageIndex};

use crate::error::QueryError;
use crate::filters::field_filter;
use crate::mutation::{MutationQuery, Target};
use virion_core::{Aa, Nuc};

/// Nesting deeper than this is refused (a hostile query cannot exhaust the stack).
const MAX_DEPTH: usize = 64;
/// Longer queries are refused before parsing.
const MAX_LENGTH: usize = 100_000;

/// The parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// Every child matches (`&`).
    And(Vec<Expr>),
    /// Any child matches (`|`).
    Or(Vec<Expr>),
    /// The child does not match (`!`).
    Not(Box<Expr>),
    /// `MAYBE(...)`: ambiguity codes that may stand for the asked letter count as matches.
    Maybe(Box<Expr>),
    /// `[exactly-]n-of: ...`: at least (or exactly) `n` children match.
    NOf {
        /// The count to reach.
        n: usize,
        /// Whether exactly `n` must match rather than at least `n`.
        exactly: bool,
        /// The expressions counted.
        children: Vec<Expr>,
    },
    /// `name` is a gene or segment (`None`: the only segment).
    Mutation {
        /// Gene or segment name.
        name: Option<String>,
        /// 1-based position.
        position: u32,
        /// The letter asked for.
        target: Target,
    },
    /// An insertion, `ins_[name:]position:pattern`.
    Insertion {
        /// Gene or segment name (`None`: the only segment).
        name: Option<String>,
        /// 1-based position the insertion follows.
        position: u32,
        /// The inserted letters; `?` stands for any run of letters.
        pattern: String,
    },
    /// `op` is `=`, `>=` or `<=`; `field` may end in `.regex`.
    Metadata {
        /// The metadata field's name.
        field: String,
        /// The comparison.
        op: &'static str,
        /// The value compared with, as written.
        value: String,
    },
    /// `isNull(field)`: the field has no value; holds the field's name.
    IsNull(String),
    /// A bare Pango lineage of a variantQuery (`BA.5*`), on the lineage column.
    Lineage(String),
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
    /// The older `variantQuery` language: bare lineages and `column:value` terms, no
    /// metadata comparisons.
    variant_query: bool,
    parameter: &'static str,
}

/// `variantQuery`'s `column:value` terms (SARS-CoV-2 instances of LAPIS).
const VARIANT_QUERY_COLUMNS: [&str; 4] =
    ["nextcladePangoLineage", "pangoLineage", "nextstrainClade", "nextcladeClade"];

/// variantQuery's phylogenetic filter (`usherTree.DescendantOf:NODE`) and the column it names.
const USHER_TREE_DESCENDANT_OF: &str = "usherTree.DescendantOf";
const USHER_TREE_COLUMN: &str = "usherTree";

/// Whether a word has the shape of a Pango lineage query (`BA.5`, `XBB.1.5*`, `B.1.1.7.*`).
fn looks_like_lineage(word: &str) -> bool {
    let name = word.strip_suffix(".*").or_else(|| word.strip_suffix('*')).unwrap_or(word);
    let mut parts = name.split('.');
    parts.next().is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_alphabetic()))
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || "_.*-:?".contains(c)
}

/// The prefix of a parse error's reason: where in the text it was found (1-based byte offset).
const AT_CHARACTER: &str = "at character ";

/// A parse error's byte offset in the text (0-based) and its message, from the reason
/// [`parse_advanced`] gives.
pub(crate) fn parse_error_position(reason: &str) -> Option<(usize, &str)> {
    let (at, message) = reason.strip_prefix(AT_CHARACTER)?.split_once(": ")?;
    Some((at.parse::<usize>().ok()?.checked_sub(1)?, message))
}

impl<'a> Parser<'a> {
    fn error(&self, message: impl Into<String>) -> QueryError {
        QueryError::BadValue {
            parameter: self.parameter.into(),
            value: self.text.to_owned(),
            reason: format!("{AT_CHARACTER}{}: {}", self.at + 1, message.into()),
        }
    }

    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        if self.rest().starts_with(token) {
            self.at += token.len();
            true
        } else {
            false
        }
    }

    /// A keyword (`AND`, `OR`, `NOT`, `MAYBE`, `IsNull`) as a whole word, case-insensitive.
    fn eat_keyword(&mut self, word: &str) -> bool {
        self.skip_space();
        let rest = self.rest();
        let matches = starts_with_ignore_case(rest, word)
            && !rest[word.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_');
        if matches {
            self.at += word.len();
        }
        matches
    }

    fn enter(&mut self) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, QueryError> {
        self.enter()?;
        let mut parts = vec![self.and()?];
        while self.eat("|") || self.eat_keyword("OR") {
            parts.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if parts.len() == 1 { parts.pop().expect("one") } else { Expr::Or(flatten(parts, true)) })
    }

    fn and(&mut self) -> Result<Expr, QueryError> {
        let mut parts = vec![self.unary()?];
        while self.eat("&") || self.eat_keyword("AND") {
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 { parts.pop().expect("one") } else { Expr::And(flatten(parts, false)) })
    }

    fn unary(&mut self) -> Result<Expr, QueryError> {
        if self.eat("!") || self.eat_keyword("NOT") {
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, QueryError> {
        if self.eat("(") {
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error("expected ')'"));
            }
            return Ok(inner);
        }
        if self.eat_keyword("MAYBE") {
            if !self.eat("(") {
                return Err(self.error("expected '(' after MAYBE"));
            }
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error("expected ')'"));
            }
            if has_metadata(&inner) {
                return Err(self.error("MAYBE(…) may only hold mutations, insertions and n-of"));
            }
            return Ok(Expr::Maybe(Box::new(inner)));
        }
        if self.eat_keyword("IsNull") {
            if !self.eat("(") {
                return Err(self.error("expected '(' after IsNull"));
            }
            let field = self.word();
            if field.is_empty() || !self.eat(")") {
                return Err(self.error("expected IsNull(field)"));
            }
            return Ok(Expr::IsNull(field.to_owned()));
        }
        if self.eat("[") {
            return self.n_of();
        }
        let start = self.at;
        let word = self.word();
        if word.is_empty() {
            return Err(self.error(if self.rest().is_empty() {
                "the query ends where a term was expected".to_owned()
            } else {
                format!("unexpected {:?}", self.rest().chars().next().unwrap_or(' '))
            }));
        }
        if self.variant_query {
            if let Some((column, value)) = word.split_once(':')
                && VARIANT_QUERY_COLUMNS.iter().any(|c| c.eq_ignore_ascii_case(column))
            {
                return Ok(Expr::Metadata { field: column.to_owned(), op: "=", value: value.to_owned() });
            }
            // `usherTree.DescendantOf:NODE`: LAPIS's SARS-CoV-2 phylogenetic filter, on the
            // `usherTree` column.
            if let Some((column, value)) = word.split_once(':')
                && column.eq_ignore_ascii_case(USHER_TREE_DESCENDANT_OF)
            {
                return Ok(Expr::Metadata {
                    field: format!("{USHER_TREE_COLUMN}.phyloDescendantOf"),
                    op: "=",
                    value: value.to_owned(),
                });
            }
            if !word.contains(':')
                && looks_like_lineage(word)
                && crate::mutation::parse(word, false, "").is_err()
            {
                return Ok(Expr::Lineage(word.to_owned()));
            }
        } else {
            for op in [">=", "<=", "="] {
                if self.eat(op) {
                    let value = self.value()?;
                    return Ok(Expr::Metadata { field: word.to_owned(), op, value });
                }
            }
        }
        self.variant(word).map_err(|reason| {
            self.at = start;
            self.error(reason)
        })
    }

    fn word(&mut self) -> &'a str {
        self.skip_space();
        let rest = self.rest();
        let len = rest.find(|c: char| !is_word_char(c)).unwrap_or(rest.len());
        self.at += len;
        &rest[..len]
    }

    fn value(&mut self) -> Result<String, QueryError> {
        self.skip_space();
        if !self.rest().starts_with('\'') {
            let word = self.word();
            if word.is_empty() {
                return Err(self.error("expected a value"));
            }
            return Ok(word.to_owned());
        }
        self.at += 1;
        let mut out = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, e)) => out.push(e),
                    None => break,
                },
                '\'' => {
                    self.at += i + 1;
                    return Ok(out);
                }
                c => out.push(c),
            }
        }
        Err(self.error("unterminated quoted value"))
    }

    fn n_of(&mut self) -> Result<Expr, QueryError> {
        self.skip_space();
        let exactly = starts_with_ignore_case(self.rest(), "exactly-");
        if exactly {
            self.at += "exactly-".len();
        }
        let digits: String = self.rest().chars().take_while(char::is_ascii_digit).collect();
        let n: usize = digits.parse().map_err(|_| self.error("expected [N-of: …] with a number N"))?;
        self.at += digits.len();
        if !starts_with_ignore_case(self.rest(), "-of:") {
            return Err(self.error("expected '-of:'"));
        }
        self.at += "-of:".len();
        self.enter()?;
        let mut children = vec![self.or()?];
        while self.eat(",") {
            children.push(self.or()?);
        }
        self.depth -= 1;
        if !self.eat("]") {
            return Err(self.error("expected ']' closing the n-of"));
        }
        Ok(Expr::NOf { n, exactly, children })
    }

    /// A mutation or insertion term.
    fn variant(&self, word: &str) -> Result<Expr, String> {
        if word.len() > 4 && starts_with_ignore_case(word, "ins_") {
            let (name, position, pattern) =
                parse_insertion(word, self.parameter).map_err(|e| e.to_string())?;
            return Ok(Expr::Insertion { name, position, pattern });
        }
        // Amino-acid letters are a superset of nucleotide ones: parse leniently here, and
        // check the letter against the named sequence's alphabet when resolving.
        let q = crate::mutation::parse(word, false, "advancedQuery")
            .or_else(|_| crate::mutation::parse(word, true, "advancedQuery"))
            .map_err(|e| format!("{word:?} is not a mutation, insertion or field comparison ({e})"))?;
        let MutationQuery { sequence, position, target } = q;
        Ok(Expr::Mutation { name: sequence, position, target })
    }
}

/// Whether `text` begins with the ASCII `prefix`, ignoring ASCII case. Never slices inside a
/// character: queries are user text and may hold any Unicode.
fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

fn flatten(parts: Vec<Expr>, or: bool) -> Vec<Expr> {
    let mut out = Vec::with_capacity(parts.len());
    for p in parts {
        match p {
            Expr::Or(inner) if or => out.extend(inner),
            Expr::And(inner) if !or => out.extend(inner),
            other => out.push(other),
        }
    }
    out
}

fn has_metadata(e: &Expr) -> bool {
    match e {
        Expr::Metadata { .. } | Expr::IsNull(_) | Expr::Lineage(_) => true,
        Expr::And(c) | Expr::Or(c) | Expr::NOf { children: c, .. } => c.iter().any(has_metadata),
        Expr::Not(i) | Expr::Maybe(i) => has_metadata(i),
        Expr::Mutation { .. } | Expr::Insertion { .. } => false,
    }
}

/// Parses an advancedQuery string.
pub fn parse_advanced(text: &str) -> Result<Expr, QueryError> {
    parse(text, false)
}

/// Parses a `variantQuery` string (LAPIS's older SARS-CoV-2 language: mutations, bare Pango
/// lineages such as `BA.5*`, `nextstrainClade:22B`, the same boolean operators).
pub fn parse_variant_query(text: &str) -> Result<Expr, QueryError> {
    parse(text, true)
}

fn parse(text: &str, variant_query: bool) -> Result<Expr, QueryError> {
    let parameter = if variant_query { "variantQuery" } else { "advancedQuery" };
    let mut p = Parser { text, at: 0, depth: 0, variant_query, parameter };
    if text.len() > MAX_LENGTH {
        return Err(p.error(format!("longer than {MAX_LENGTH} characters")));
    }
    let e = p.or()?;
    p.skip_space();
    if !p.rest().is_empty() {
        return Err(p.error("unexpected text after the query"));
    }
    Ok(e)
}

/// The index filter for a parsed advancedQuery (lineage fields compared as plain strings).
pub fn advanced_filter(index: &Index, expr: &Expr) -> Result<Filter, QueryError> {
    Context { index, lineage: None }.convert(expr, false)
}

/// What converting a query needs: the index and, if it has one, its lineage column with the
/// lineage index (so `pangoLineage=JN.1*` includes sublineages).
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The index queried.
    pub index: &'a Index,
    /// The lineage column's index and its lineage index, when the index has a lineage column.
    pub lineage: Option<(usize, &'a LineageIndex)>,
}

impl Context<'_> {
    /// The filter for `field` = `value`: through the lineage index on the lineage column.
    pub fn equals(&self, field: &str, values: &[Option<String>]) -> Result<Filter, QueryError> {
        if let Some((column, lineage)) = self.lineage
            && self.index.columns[column].name.eq_ignore_ascii_case(field)
        {
            let mut codes = Vec::new();
            let mut null = false;
            for v in values {
                let Some(v) = v else {
                    null = true;
                    continue;
                };
                codes.extend(lineage.matching(v).map_err(|e| QueryError::BadValue {
                    parameter: field.to_owned(),
                    value: v.clone(),
                    reason: e.to_string(),
                })?);
            }
            codes.sort_unstable();
            codes.dedup();
            let lineages = Filter::StringCodes { column, codes };
            return Ok(if null {
                Filter::Or(vec![lineages, Filter::IsNull { column, null: true }])
            } else {
                lineages
            });
        }
        field_filter(self.index, field, values)
    }

    /// The index filter for `expr`; with `maybe`, letters match where an ambiguity code may stand for them.
    pub fn convert(&self, expr: &Expr, maybe: bool) -> Result<Filter, QueryError> {
        let index = self.index;
        let bad = |reason: String| QueryError::BadValue {
            parameter: "advancedQuery".into(),
            value: format!("{expr:?}"),
            reason,
        };
        let all = |c: &[Expr]| c.iter().map(|e| self.convert(e, maybe)).collect::<Result<Vec<_>, _>>();
        Ok(match expr {
            Expr::And(c) => Filter::And(all(c)?),
            Expr::Or(c) => Filter::Or(all(c)?),
            Expr::Not(i) => Filter::Not(Box::new(self.convert(i, maybe)?)),
            Expr::Maybe(i) => self.convert(i, true)?,
            Expr::NOf { n, exactly, children } => {
                Filter::NOf { n: *n, exactly: *exactly, children: all(children)? }
            }
            Expr::Lineage(name) => match self.lineage {
                Some((column, _)) => {
                    self.equals(&index.columns[column].name.clone(), &[Some(name.clone())])?
                }
                None => return Err(bad(format!("{name}: this organism has no lineage field"))),
            },
            Expr::Metadata { field, op: "=", value } => {
                let column = VARIANT_QUERY_COLUMNS
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(field))
                    .then(|| resolve_clade_alias(index, field))
                    .flatten()
                    .unwrap_or_else(|| field.clone());
                self.equals(&column, &[Some(value.clone())]).map_err(|e| bad(e.to_string()))?
            }
            Expr::Mutation { name, position, target } => {
                // A name is a gene first, then a segment (as LAPIS resolves it).
                let amino_acid = match name {
                    Some(n) => {
                        if index.genes.iter().any(|g| g.name.eq_ignore_ascii_case(n)) {
                            true
                        } else if index.segments.iter().any(|s| s.name.eq_ignore_ascii_case(n)) {
                            false
                        } else {
                            let known: Vec<&str> =
                                index.segments.iter().chain(&index.genes).map(|c| c.name.as_str()).collect();
                            return Err(bad(format!(
                                "{n} is not a known segment or gene (known: {})",
                                known.join(", ")
                            )));
                        }
                    }
                    None => false,
                };
                // The word was read with whichever alphabet took it; the named sequence decides.
                let target = match (*target, amino_acid) {
                    (Target::Aa(a), false) => Target::Nuc(
                        Nuc::from_byte(a.to_byte())
                            .ok_or_else(|| bad(format!("{a} is not a nucleotide symbol")))?,
                    ),
                    (Target::Nuc(n), true) => Target::Aa(
                        Aa::from_byte(n.to_byte()).expect("nucleotide letters are amino-acid letters"),
                    ),
                    (t, _) => t,
                };
                let q = MutationQuery { sequence: name.clone(), position: *position, target };
                crate::mutation::to_filter(index, &q, amino_acid, maybe, "advancedQuery")?
            }
            Expr::Insertion { name, position, pattern } => {
                insertion_filter(index, name.as_deref(), *position, pattern, None, "advancedQuery")?
            }
            Expr::Metadata { field, op, value } => {
                let parameter = match *op {
                    ">=" => format!("{field}From"),
                    _ => format!("{field}To"),
                };
                field_filter(index, &parameter, &[Some(value.clone())]).map_err(|e| bad(e.to_string()))?
            }
            Expr::IsNull(field) => {
                field_filter(index, &format!("{field}.isNull"), &[Some("true".to_owned())])
                    .map_err(|e| bad(e.to_string()))?
            }
        })
    }
}

/// `variantQuery`'s clade and lineage column names as this index has them: the column itself,
/// or the index's column of the same kind (`nextstrainClade` → `nextcladeClade`).
fn resolve_clade_alias(index: &Index, field: &str) -> Option<String> {
    if index.column(field).is_some() {
        return Some(field.to_owned());
    }
    let suffix = if field.to_ascii_lowercase().ends_with("clade") { "Clade" } else { "Lineage" };
    index.columns.iter().find(|c| c.name.ends_with(suffix)).map(|c| c.name.clone())
}

/// The filter of an insertion: `name` a gene or segment (gene first when `amino_acid` is not
/// fixed; `None`: the only segment).
pub fn insertion_filter(
    index: &Index,
    name: Option<&str>,
    position: u32,
    pattern: &str,
    amino_acid: Option<bool>,
    parameter: &str,
) -> Result<Filter, QueryError> {
    let find = |list: &[virion_index::SequenceColumn], n: &str| {
        list.iter().position(|c| c.name.eq_ignore_ascii_case(n))
    };
    let (gene, sequence) = match (name, amino_acid) {
        (None, Some(true)) => {
            return Err(QueryError::Mutation {
                parameter: parameter.to_owned(),
                value: format!("ins_{position}:{pattern}"),
                reason: "an amino-acid insertion names its gene: ins_GENE:POSITION:SYMBOLS".into(),
            });
        }
        (None, _) if index.segments.len() == 1 => (false, 0),
        (None, _) => {
            return Err(QueryError::Mutation {
                parameter: parameter.to_owned(),
                value: format!("ins_{position}:{pattern}"),
                reason: "this organism has several segments; name one (ins_SEGMENT:POSITION:SYMBOLS)".into(),
            });
        }
        (Some(n), fixed) => {
            let gene = if fixed != Some(false) { find(&index.genes, n).map(|i| (true, i)) } else { None };
            let segment =
                if fixed != Some(true) { find(&index.segments, n).map(|i| (false, i)) } else { None };
            gene.or(segment).ok_or_else(|| QueryError::UnknownSequence {
                parameter: parameter.to_owned(),
                kind: if fixed == Some(true) { "gene" } else { "segment or gene" },
                name: n.to_owned(),
                known: index
                    .segments
                    .iter()
                    .chain(&index.genes)
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?
        }
    };
    let len = if gene {
        index.genes[sequence].reference().len()
    } else {
        index.segments[sequence].reference().len()
    };
    if position as usize > len {
        return Err(QueryError::Mutation {
            parameter: parameter.to_owned(),
            value: format!("ins_{position}:{pattern}"),
            reason: format!("position beyond the sequence's {len} positions"),
        });
    }
    Ok(Filter::Insertion { gene, sequence, position, pattern: pattern.to_ascii_uppercase() })
}

/// Parses `ins_[NAME:]POSITION:SYMBOLS` (the `nucleotideInsertions`/`aminoAcidInsertions`
/// parameters and advancedQuery terms).
pub fn parse_insertion(text: &str, parameter: &str) -> Result<(Option<String>, u32, String), QueryError> {
    let bad = |reason: &str| QueryError::Mutation {
        parameter: parameter.to_owned(),
        value: text.to_owned(),
        reason: reason.to_owned(),
    };
    let body = text
        .trim()
        .get(..4)
        .filter(|p| p.eq_ignore_ascii_case("ins_"))
        .map(|_| &text.trim()[4..])
        .ok_or_else(|| bad("an insertion is written ins_[NAME:]POSITION:SYMBOLS"))?;
    let parts: Vec<&str> = body.split(':').collect();
    let (name, position, pattern) = match parts.as_slice() {
        [pos, seq] => (None, *pos, *seq),
        [name, pos, seq] => (Some((*name).to_owned()), *pos, *seq),
        _ => return Err(bad("an insertion is written ins_[NAME:]POSITION:SYMBOLS")),
    };
    let position = position.parse().map_err(|_| bad("the position is not a number"))?;
    if pattern.is_empty()
        || !pattern.chars().all(|c| c.is_ascii_alphabetic() || c == '?' || c == '*' || c == '-')
    {
        return Err(bad("inserted symbols must be letters or '?'"));
    }
    Ok((name, position, pattern.to_ascii_uppercase()))
}
