//! Pango lineage queries over a lineage column: `BA.2.86` (exact), `BA.2.86*` or `BA.2.86.*`
//! (with sublineages), with Pango aliases resolved, and the lineage definition LAPIS serves.
//!
//! # Rule for recombinants
//! We follow SILO's default `recombinantFollowingMode` `doNotFollow`, which is what LAPIS asks
//! for (its `LineageEquals` sends no mode). `Q*` follows only the parent-to-child edges of Pango
//! naming (`BA.2` → `BA.2.86`), never the edge from a recombinant's parents to the recombinant.
//! So `XBB*` is XBB and every name under it, aliases of its sublineages included (`EG.5` is
//! `XBB.1.9.2.5`), but not `XCQ`, a recombinant of `XBB.2.3` and `XBB.1.5`; and `BA.2*` does not
//! include `XBB` although both of XBB's parents lie under BA.2.
//!
//! Under that rule a lineage descends from `Q` exactly when its unaliased name extends `Q`'s
//! unaliased name by whole components (`B.1.617.2.4` under `B.1.617.2`). The index therefore
//! keeps the unaliased names of the dictionary sorted, and a query is one or two binary searches.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use crate::lineage_dag::LineageDef;

/// More alias steps than this means the alias key is cyclic (real keys need one step, since
/// their expansions are already full).
const MAX_ALIAS_STEPS: usize = 32;

/// What is wrong with a text that should be a Pango lineage name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameProblem {
    /// The text is empty.
    #[error("it is empty")]
    Empty,
    /// The text does not start with letters.
    #[error("it must start with letters, as in BA.2")]
    NoLetters,
    /// A `.` with nothing on one side.
    #[error("it has an empty component (a leading, doubled or trailing '.')")]
    EmptyComponent,
    /// Something other than digits after the letters.
    #[error("only numbers may follow the letters, separated by '.'")]
    NotANumber,
}

/// Why a Pango alias key or a lineage query was refused.
#[derive(Debug, thiserror::Error)]
pub enum LineageError {
    /// The alias key is not JSON.
    #[error("alias key is not valid JSON")]
    Json(#[from] serde_json::Error),
    /// The alias key is JSON but not an object.
    #[error("alias key must be a JSON object mapping aliases to expansions")]
    NotAnObject,
    /// An alias whose value is neither a string nor a list of strings.
    #[error("alias key entry {alias:?}: the value must be a string or a list of strings")]
    ValueType {
        /// The alias.
        alias: String,
    },
    /// An alias whose expansion is not a Pango name.
    #[error("alias key entry {alias:?}: {value:?} is not a Pango lineage name: {problem}")]
    BadEntry {
        /// The alias.
        alias: String,
        /// The expansion.
        value: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
    /// A lineage query that is not a Pango name (with an optional `*` or `.*`).
    #[error("{value:?} is not a Pango lineage query: {problem}")]
    Malformed {
        /// The query.
        value: String,
        /// What is wrong with it.
        problem: NameProblem,
    },
}

/// Checks that `name` has the shape of a Pango name: letters, then `.`-separated numbers.
fn check_name(name: &str) -> Result<(), NameProblem> {
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    let mut parts = name.split('.');
    let head = parts.next().unwrap_or_default();
    if head.is_empty() {
        return Err(NameProblem::EmptyComponent);
    }
    if !head.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(NameProblem::NoLetters);
    }
    for part in parts {
        if part.is_empty() {
            return Err(NameProblem::EmptyComponent);
        }
        if !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NameProblem::NotANumber);
        }
    }
    Ok(())
}

/// The Pango alias key (`alias_key.json`): which prefix each alias stands for, and the parents
/// of each recombinant. Names are compared upper-cased, as LAPIS does.
#[derive(Debug, Clone, Default)]
pub struct PangoAliases {
    /// Alias → expansion (`"BA"` → `"B.1.1.529"`); `""` for the roots A and B.
    expansions: HashMap<String, String>,
    /// Expansion → alias, to write a name in its designated (shortest) form.
    by_expansion: HashMap<String, String>,
    /// Recombinant root → its parents as written, `*` stripped, duplicates removed.
    recombinants: HashMap<String, Vec<String>>,
}

impl PangoAliases {
    /// Reads `alias_key.json`: string values are aliases, list values recombinant parents.
    pub fn from_json(text: &str) -> Result<PangoAliases, LineageError> {
        let json: serde_json::Value = serde_json::from_str(text)?;
        let object = json.as_object().ok_or(LineageError::NotAnObject)?;
        let mut aliases = PangoAliases::default();
        for (key, value) in object {
            let alias = key.to_ascii_uppercase();
            let bad = |value: &str, problem| LineageError::BadEntry {
                alias: key.clone(),
                value: value.to_owned(),
                problem,
            };
            if alias.is_empty() || !alias.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(bad(key, NameProblem::NoLetters));
            }
            match value {
                serde_json::Value::String(expansion) => {
                    if !expansion.is_empty() {
                        check_name(expansion).map_err(|p| bad(expansion, p))?;
                        // Should two aliases share an expansion, the first in the file names it.
                        aliases
                            .by_expansion
                            .entry(expansion.to_ascii_uppercase())
                            .or_insert_with(|| alias.clone());
                    }
                    aliases.expansions.insert(alias, expansion.to_ascii_uppercase());
                }
                serde_json::Value::Array(list) => {
                    let mut parents: Vec<String> = Vec::with_capacity(list.len());
                    for item in list {
                        let text =
                            item.as_str().ok_or_else(|| LineageError::ValueType { alias: key.clone() })?;
                        // `BA.2*` means "some descendant of BA.2"; a DAG can only name BA.2.
                        let parent = text.strip_suffix('*').unwrap_or(text);
                        check_name(parent).map_err(|p| bad(text, p))?;
                        let parent = parent.to_ascii_uppercase();
                        // Repeats stand for further breakpoints, not further parents.
                        if !parents.contains(&parent) {
                            parents.push(parent);
                        }
                    }
                    aliases.recombinants.insert(alias, parents);
                }
                _ => return Err(LineageError::ValueType { alias: key.clone() }),
            }
        }
        Ok(aliases)
    }

    /// The full name of `name`, upper-cased: its alias prefix replaced by what it stands for
    /// (`JN.1` → `B.1.1.529.2.86.1.1`). Names under a recombinant end at the recombinant root
    /// (`EG.5` → `XBB.1.9.2.5`, `XBB.1.5` stays), since a recombinant has no single prefix.
    pub fn unalias(&self, name: &str) -> String {
        let mut full = name.to_ascii_uppercase();
        for _ in 0..MAX_ALIAS_STEPS {
            let (head, rest) = full.split_once('.').unwrap_or((&full, ""));
            let next = match self.expansions.get(head) {
                Some(expansion) if expansion.is_empty() => break,
                Some(expansion) if rest.is_empty() => expansion.clone(),
                Some(expansion) => format!("{expansion}.{rest}"),
                None => break,
            };
            full = next;
        }
        full
    }

    /// A byte string whose order is the Pango tree's depth-first order: the unaliased name,
    /// letters first, then each number as four big-endian bytes behind a marker, then an end
    /// marker, so that `B.1` < `B.1.1` < `B.1.2` < `B.10` and anything appended after the key
    /// (a date) only orders rows of the same lineage. Values that are not Pango names sort
    /// after every name, by their text.
    pub fn sort_key(&self, name: &str) -> Vec<u8> {
        if check_name(name).is_err() {
            let mut key = vec![0xff];
            key.extend_from_slice(name.as_bytes());
            key.push(0);
            return key;
        }
        let full = self.unalias(name);
        let mut parts = full.split('.');
        let mut key: Vec<u8> = parts.next().unwrap_or_default().bytes().collect();
        key.push(0);
        for part in parts {
            key.push(1);
            key.extend_from_slice(&part.parse::<u32>().unwrap_or(u32::MAX).to_be_bytes());
        }
        key.push(0);
        key
    }

    /// The parents of recombinant `root` (`XBB` → `BJ.1`, `BM.1.1.1`), written as in the alias
    /// key without the `*` of "some descendant of" and without repeats; empty when `root` is not
    /// a known recombinant.
    pub fn parents_of_recombinant(&self, root: &str) -> &[String] {
        self.recombinants.get(&root.to_ascii_uppercase()).map_or(&[], Vec::as_slice)
    }

    /// The designated form of a full name: the longest aliased prefix replaced by its alias,
    /// leaving at least one component (`B.1.617.2.4` → `AY.4`; `B.1.1.529` stays).
    fn compress(&self, full: &str) -> String {
        let mut end = full.len();
        while let Some(dot) = full[..end].rfind('.') {
            if let Some(alias) = self.by_expansion.get(&full[..dot]) {
                return format!("{alias}{}", &full[dot..]);
            }
            end = dot;
        }
        full.to_owned()
    }

    /// Every way to write a full name: itself and each aliased prefix replaced by its alias.
    fn spellings(&self, full: &str) -> Vec<String> {
        let mut out = vec![full.to_owned()];
        for (dot, _) in full.match_indices('.') {
            if let Some(alias) = self.by_expansion.get(&full[..dot]) {
                out.push(format!("{alias}{}", &full[dot..]));
            }
        }
        out
    }

    /// The direct parents of a full name: drop the last component, or for a bare recombinant
    /// root its parents from the alias key (both in full form).
    fn parents_of_full(&self, full: &str) -> Vec<String> {
        match full.rsplit_once('.') {
            Some((parent, _)) => vec![parent.to_owned()],
            None => {
                let mut parents: Vec<String> = Vec::new();
                for parent in self.parents_of_recombinant(full) {
                    let parent = self.unalias(parent);
                    if !parents.contains(&parent) {
                        parents.push(parent);
                    }
                }
                parents
            }
        }
    }
}

/// The lineages of one lineage column's dictionary (code = position), ready for queries.
#[derive(Debug, Clone)]
pub struct LineageIndex {
    /// A lineage system given as a DAG (an imported collection's own definition) instead of
    /// Pango names: queries walk it, and the dictionary codes of each node are kept.
    dag: Option<(crate::lineage_dag::LineageDag, Vec<Vec<u32>>)>,
    aliases: PangoAliases,
    /// (full upper-case name, dictionary code) of each value that is a Pango name, sorted, so
    /// that one lineage and its descendants are each a contiguous run.
    by_full: Vec<(String, u32)>,
    /// The dictionary values, kept as further spellings for the lineage definition.
    values: Vec<String>,
}

impl LineageIndex {
    /// Values that are not Pango names (`"Unassigned lineage"`, `""`) match no query.
    pub fn build<S: AsRef<str>>(aliases: &PangoAliases, lineages: &[S]) -> LineageIndex {
        let mut by_full: Vec<(String, u32)> = lineages
            .iter()
            .enumerate()
            .filter(|(_, value)| check_name(value.as_ref()).is_ok())
            .map(|(code, value)| (aliases.unalias(value.as_ref()), code as u32))
            .collect();
        by_full.sort_unstable();
        let values = lineages.iter().map(|v| v.as_ref().to_owned()).collect();
        LineageIndex { dag: None, aliases: aliases.clone(), by_full, values }
    }

    /// The index of a column whose lineages a DAG defines (SILO's lineage definitions).
    /// Dictionary values that the definition lacks match no query.
    pub fn from_dag<S: AsRef<str>>(dag: crate::lineage_dag::LineageDag, lineages: &[S]) -> LineageIndex {
        let mut codes = vec![Vec::new(); dag.defs().len()];
        for (code, value) in lineages.iter().enumerate() {
            if let Some(n) = dag.node(value.as_ref()) {
                codes[n].push(code as u32);
            }
        }
        LineageIndex {
            dag: Some((dag, codes)),
            aliases: PangoAliases::default(),
            by_full: Vec::new(),
            values: lineages.iter().map(|v| v.as_ref().to_owned()).collect(),
        }
    }

    /// The alias table the index resolves names with.
    pub fn aliases(&self) -> &PangoAliases {
        &self.aliases
    }

    /// The dictionary codes (ascending) of the values matching `query`: a lineage, or with a
    /// trailing `*` / `.*` the lineage and its descendants (see the module doc for recombinants).
    /// A well-formed but unknown lineage matches nothing, as in LAPIS (count 0).
    pub fn matching(&self, query: &str) -> Result<Vec<u32>, LineageError> {
        let (name, with_sublineages) = match query.strip_suffix(".*") {
            Some(name) => (name, true),
            None => query.strip_suffix('*').map_or((query, false), |name| (name, true)),
        };
        if let Some((dag, codes_of)) = &self.dag {
            let Some(node) = dag.node(name) else { return Ok(Vec::new()) };
            let nodes = if with_sublineages { dag.with_descendants(node) } else { vec![node] };
            let mut codes: Vec<u32> = nodes.into_iter().flat_map(|n| codes_of[n].iter().copied()).collect();
            codes.sort_unstable();
            return Ok(codes);
        }
        check_name(name).map_err(|problem| LineageError::Malformed { value: query.to_owned(), problem })?;
        let full = self.aliases.unalias(name);
        let mut codes = self.codes_from(&full, |n| n == full);
        if with_sublineages {
            let prefix = format!("{full}.");
            codes.extend(self.codes_from(&prefix, |n| n.starts_with(&prefix)));
        }
        codes.sort_unstable();
        Ok(codes)
    }

    /// The codes of the run of names that starts at the first name ≥ `start` and satisfies `keep`.
    fn codes_from(&self, start: &str, keep: impl Fn(&str) -> bool) -> Vec<u32> {
        let from = self.by_full.partition_point(|(n, _)| n.as_str() < start);
        self.by_full[from..].iter().take_while(|(n, _)| keep(n)).map(|&(_, code)| code).collect()
    }

    /// SILO's lineage definition (`/sample/lineageDefinition/{column}`) for the lineages present:
    /// YAML `label: {parents: [...], aliases: [...]}`. Labels are designated names (`AY.4`); the
    /// ancestors they imply (`B.1.617.2`, a recombinant's parents) are listed too, so every parent
    /// is itself a label. Aliases are the other spellings (`B.1.617.2.4`, and the dictionary's own
    /// when it differs). Entries run in Pango order of full names, so each follows its Pango parent.
    pub fn lineage_definition_yaml(&self) -> String {
        let mut yaml = String::new();
        for def in self.lineage_definition() {
            let _ = writeln!(yaml, "{}:", yaml_scalar(&def.label));
            write_list(&mut yaml, "parents", def.parents.iter());
            write_list(&mut yaml, "aliases", def.aliases.iter());
        }
        yaml
    }

    /// The lineage definition as data: a given DAG's entries as given, else one entry per
    /// Pango lineage as [`Self::lineage_definition_yaml`] describes.
    pub fn lineage_definition(&self) -> Vec<LineageDef> {
        if let Some((dag, _)) = &self.dag {
            return dag.definitions().to_vec();
        }
        // Full name present → the dictionary's spellings of it.
        let mut spelled: HashMap<&str, BTreeSet<&str>> = HashMap::new();
        for (full, code) in &self.by_full {
            spelled.entry(full).or_default().insert(&self.values[*code as usize]);
        }
        // Close over ancestors: every full name reached → its parents.
        let mut parents_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut pending: Vec<String> = spelled.keys().map(|s| (*s).to_owned()).collect();
        while let Some(full) = pending.pop() {
            if parents_of.contains_key(&full) {
                continue;
            }
            let parents = self.aliases.parents_of_full(&full);
            pending.extend(parents.iter().filter(|p| !parents_of.contains_key(*p)).cloned());
            parents_of.insert(full, parents);
        }
        let mut order: Vec<&String> = parents_of.keys().collect();
        order.sort_by(|a, b| pango_order(a, b));
        order
            .into_iter()
            .map(|full| {
                let label = self.aliases.compress(full);
                let parents = parents_of[full].iter().map(|p| self.aliases.compress(p)).collect();
                let mut aliases: BTreeSet<String> = self.aliases.spellings(full).into_iter().collect();
                aliases.extend(spelled.get(full.as_str()).into_iter().flatten().map(|s| (*s).to_owned()));
                aliases.remove(&label);
                LineageDef { label, parents, aliases: aliases.into_iter().collect() }
            })
            .collect()
    }
}

/// Orders full names as Pango does: letters alphabetically, then numbers numerically
/// (`B.1.2` before `B.1.10`), a lineage before its sublineages.
fn pango_order(a: &str, b: &str) -> Ordering {
    let (mut a_parts, mut b_parts) = (a.split('.'), b.split('.'));
    let heads = a_parts.next().cmp(&b_parts.next());
    heads.then_with(|| {
        let numeric = |s: &str| (s.trim_start_matches('0').len(), s.trim_start_matches('0').to_owned());
        a_parts.map(numeric).cmp(b_parts.map(numeric))
    })
}

fn write_list<'a>(yaml: &mut String, key: &str, items: impl ExactSizeIterator<Item = &'a String>) {
    if items.len() == 0 {
        let _ = writeln!(yaml, "  {key}: []");
        return;
    }
    let _ = writeln!(yaml, "  {key}:");
    for item in items {
        let _ = writeln!(yaml, "  - {}", yaml_scalar(item));
    }
}

/// Pango names are letters, digits and dots, so they are plain YAML scalars; anything else (a
/// given DAG's label), and the bare words a YAML 1.1 reader would take for a boolean or null (a
/// dictionary value `Y` or `NO`), is quoted.
fn yaml_scalar(name: &str) -> String {
    const RESERVED: [&str; 9] = ["Y", "YES", "N", "NO", "TRUE", "FALSE", "ON", "OFF", "NULL"];
    let plain = name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !plain || RESERVED.iter().any(|r| r.eq_ignore_ascii_case(name)) {
        serde_json::to_string(name).unwrap_or_default()
    } else {
        name.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = r#"{"A": "", "B": "", "BA": "B.1.1.529", "JN": "B.1.1.529.2.86.1",
        "KP": "B.1.1.529.2.86.1.1.11.1", "EG": "XBB.1.9.2", "XBB": ["BA.2.10.1*", "BA.2.75", "BA.2.75*"]}"#;

    #[test]
    fn compress_takes_the_longest_alias_and_leaves_a_component() {
        let a = PangoAliases::from_json(KEY).unwrap();
        assert_eq!(a.compress("B.1.1.529.2.86.1.1.11.1.3"), "KP.3");
        assert_eq!(a.compress("B.1.1.529.2.86.1.1"), "JN.1");
        assert_eq!(a.compress("B.1.1.529"), "B.1.1.529");
        assert_eq!(a.compress("XBB.1.9.2.5"), "EG.5");
        assert_eq!(a.spellings("B.1.1.529.2.86.1.1"), ["B.1.1.529.2.86.1.1", "BA.2.86.1.1", "JN.1"]);
    }

    #[test]
    fn recombinant_parents_lose_stars_and_repeats() {
        let a = PangoAliases::from_json(KEY).unwrap();
        assert_eq!(a.parents_of_recombinant("xbb"), ["BA.2.10.1", "BA.2.75"]);
        assert_eq!(a.parents_of_full("XBB"), ["B.1.1.529.2.10.1", "B.1.1.529.2.75"]);
    }

    #[test]
    fn pango_order_is_numeric_per_component() {
        let mut names = vec!["B.1.10", "B.1.2", "B.1", "A.1", "B", "BA.1"];
        names.sort_by(|a, b| pango_order(a, b));
        assert_eq!(names, ["A.1", "B", "B.1", "B.1.2", "B.1.10", "BA.1"]);
    }

    #[test]
    fn sort_keys_follow_the_pango_tree() {
        let a = PangoAliases::from_json(KEY).unwrap();
        let mut names = vec![
            "B.10",
            "JN.1",
            "B.1.1.529.2",
            "B.1",
            "KP.3",
            "XBB.1",
            "BA.2.86.1.1.5",
            "not assigned",
            "B.1.1",
        ];
        names.sort_by_key(|n| a.sort_key(n));
        assert_eq!(
            names,
            ["B.1", "B.1.1", "B.1.1.529.2", "JN.1", "BA.2.86.1.1.5", "KP.3", "B.10", "XBB.1", "not assigned"]
        );
    }

    #[test]
    fn reserved_words_are_quoted() {
        assert_eq!(yaml_scalar("Y"), "\"Y\"");
        assert_eq!(yaml_scalar("no"), "\"no\"");
        assert_eq!(yaml_scalar("Y.1"), "Y.1");
    }
}
