//! Controlled vocabularies: the INSDC country and sea names, ENA's missing-value terms, and
//! matching a submitted value against a list (exact, then ignoring case, then known synonyms),
//! with a "did you mean" suggestion when nothing matches.

use std::collections::HashMap;
use std::sync::OnceLock;

/// ENA's terms for a value that is absent for a stated reason (checklist ERC000033); accepted in
/// any field that is not truly required.
pub const ENA_MISSING_TERMS: &[&str] = &[
    "not applicable",
    "not collected",
    "not provided",
    "restricted access",
    "missing",
    "missing: control sample",
    "missing: sample group",
    "missing: synthetic construct",
    "missing: lab stock",
    "missing: third party data",
    "missing: data agreement established pre-2023",
    "missing: endangered species",
    "missing: human-identifiable",
];

/// The canonical spelling of an ENA missing-value term, matched ignoring case and surrounding space.
pub fn ena_missing_term(value: &str) -> Option<&'static str> {
    let value = value.trim();
    ENA_MISSING_TERMS.iter().copied().find(|t| t.eq_ignore_ascii_case(value))
}

const COUNTRY_FILE: &str = include_str!("../data/insdc_countries.txt");

/// Common spellings that are not INSDC names, mapped to the INSDC name. Keys are lower case.
const COUNTRY_SYNONYMS: &[(&str, &str)] = &[
    ("united states", "USA"),
    ("united states of america", "USA"),
    ("us", "USA"),
    ("u.s.", "USA"),
    ("u.s.a.", "USA"),
    ("uk", "United Kingdom"),
    ("great britain", "United Kingdom"),
    ("england", "United Kingdom"),
    ("scotland", "United Kingdom"),
    ("wales", "United Kingdom"),
    ("northern ireland", "United Kingdom"),
    ("vietnam", "Viet Nam"),
    ("russian federation", "Russia"),
    ("republic of korea", "South Korea"),
    ("korea, republic of", "South Korea"),
    ("korea", "South Korea"),
    ("democratic people's republic of korea", "North Korea"),
    ("drc", "Democratic Republic of the Congo"),
    ("dr congo", "Democratic Republic of the Congo"),
    ("congo", "Republic of the Congo"),
    ("ivory coast", "Cote d'Ivoire"),
    ("côte d'ivoire", "Cote d'Ivoire"),
    ("türkiye", "Turkey"),
    ("turkiye", "Turkey"),
    ("palestine", "State of Palestine"),
    ("macao", "Macau"),
    ("brunei darussalam", "Brunei"),
    ("lao pdr", "Laos"),
    ("iran, islamic republic of", "Iran"),
    ("syrian arab republic", "Syria"),
    ("cabo verde", "Cape Verde"),
    ("swaziland", "Eswatini"),
    ("macedonia", "North Macedonia"),
    ("burma", "Myanmar"),
    ("curaçao", "Curacao"),
    ("réunion", "Reunion"),
    ("east timor", "Timor-Leste"),
    ("the netherlands", "Netherlands"),
    ("holland", "Netherlands"),
    ("the gambia", "Gambia"),
    ("the bahamas", "Bahamas"),
];

/// The INSDC country and sea names, in file order.
pub fn insdc_countries() -> &'static [String] {
    static LIST: OnceLock<Vec<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        COUNTRY_FILE
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect()
    })
}

/// The country vocabulary with its synonyms, ready for matching.
pub fn country_vocabulary() -> &'static Vocabulary {
    static VOCAB: OnceLock<Vocabulary> = OnceLock::new();
    VOCAB.get_or_init(|| {
        let mut vocab = Vocabulary::new(insdc_countries().iter().cloned());
        for (alias, canonical) in COUNTRY_SYNONYMS {
            vocab.add_synonym(alias, canonical);
        }
        vocab
    })
}

/// How a value matched a vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VocabMatch<'a> {
    /// Spelled exactly as a term.
    Exact(&'a str),
    /// Same term, other case or spacing, or a known synonym; the canonical term is given.
    Normalised(&'a str),
    /// No term; the nearest term by edit distance, if any is close.
    Unknown {
        /// The nearest term by edit distance, when one is close enough.
        suggestion: Option<&'a str>,
    },
}

/// A list of allowed terms matched leniently.
#[derive(Debug, Clone)]
pub struct Vocabulary {
    terms: Vec<String>,
    /// Folded spelling (lower case, single spaces) → index into `terms`.
    folded: HashMap<String, usize>,
}

fn fold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

impl Vocabulary {
    /// A vocabulary of `terms`, in the order given.
    pub fn new(terms: impl IntoIterator<Item = String>) -> Self {
        let terms: Vec<String> = terms.into_iter().collect();
        let folded = terms.iter().enumerate().map(|(i, t)| (fold(t), i)).collect();
        Self { terms, folded }
    }

    /// Makes `alias` (any case) an accepted spelling of `canonical`, which must be a term.
    pub fn add_synonym(&mut self, alias: &str, canonical: &str) {
        if let Some(&i) = self.folded.get(&fold(canonical)) {
            self.folded.entry(fold(alias)).or_insert(i);
        }
    }

    /// The terms, in the order given.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// Matches `value` exactly, then case- and space-insensitively (or as a synonym), then suggests the
    /// nearest term.
    pub fn lookup(&self, value: &str) -> VocabMatch<'_> {
        if let Some(term) = self.terms.iter().find(|t| t.as_str() == value) {
            return VocabMatch::Exact(term);
        }
        if let Some(&i) = self.folded.get(&fold(value)) {
            return VocabMatch::Normalised(&self.terms[i]);
        }
        VocabMatch::Unknown { suggestion: self.suggest(value) }
    }

    /// The term nearest to `value` (case-insensitive Damerau–Levenshtein), if it is within a third
    /// of the longer length: a typo, not a different word.
    fn suggest(&self, value: &str) -> Option<&str> {
        let folded = fold(value);
        let (best, distance) = self
            .terms
            .iter()
            .map(|t| (t, strsim::damerau_levenshtein(&folded, &t.to_lowercase())))
            .min_by_key(|&(_, distance)| distance)?;
        let limit = folded.chars().count().max(best.chars().count()).div_ceil(3);
        (distance <= limit).then_some(best.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_exact_case_synonym_and_typo() {
        let v = country_vocabulary();
        assert_eq!(v.lookup("USA"), VocabMatch::Exact("USA"));
        assert_eq!(v.lookup("usa"), VocabMatch::Normalised("USA"));
        assert_eq!(v.lookup("United  States"), VocabMatch::Normalised("USA"));
        assert_eq!(v.lookup("Vietnam"), VocabMatch::Normalised("Viet Nam"));
        assert_eq!(v.lookup("Swtizerland"), VocabMatch::Unknown { suggestion: Some("Switzerland") });
        assert_eq!(v.lookup("Germny"), VocabMatch::Unknown { suggestion: Some("Germany") });
        assert_eq!(v.lookup("Atlantis Prime"), VocabMatch::Unknown { suggestion: None });
        assert!(insdc_countries().len() > 250);
        assert!(!insdc_countries().iter().any(|c| ena_missing_term(c).is_some()));
    }

    #[test]
    fn missing_terms_are_canonicalised() {
        assert_eq!(ena_missing_term(" Not Provided "), Some("not provided"));
        assert_eq!(ena_missing_term("missing: lab stock"), Some("missing: lab stock"));
        assert_eq!(ena_missing_term("unknown"), None);
    }

    #[test]
    fn synonyms_for_absent_terms_are_ignored() {
        let mut v = Vocabulary::new(["a".to_owned()]);
        v.add_synonym("b", "c");
        assert_eq!(v.lookup("b"), VocabMatch::Unknown { suggestion: Some("a") });
    }
}
