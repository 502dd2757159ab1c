//! Accessions: `PREFIX` + base-34 digits + one check character, written `ACCESSION.VERSION`.
//!
//! The digit alphabet is `0-9A-Z` without `I` and `O` (34 symbols, no look-alikes of 1 and 0).
//! The number is written with at least [`MIN_DIGITS`] digits, zero-padded. The check character
//! is Luhn mod 34 over the digits (not the prefix): from the rightmost digit leftwards, every
//! other code point (starting with the rightmost) is doubled and its base-34 digit sum taken
//! (`a / 34 + a % 34`); the check character is the code point that brings the total to a
//! multiple of 34. It detects every single-character substitution and most transpositions.
//! The prefix is upper-case ASCII letters; as digits may be letters too, parsing needs the
//! set of known prefixes.

use std::fmt;

/// The 34 digit symbols; a symbol's index is its code point.
pub const ALPHABET: &[u8; 34] = b"0123456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Numbers are zero-padded to this many digits so accessions sort in number order.
pub const MIN_DIGITS: usize = 6;
const BASE: u32 = ALPHABET.len() as u32;

/// Why an accession or `ACCESSION.VERSION` text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessionError {
    /// A prefix that is not 1 to 8 upper-case ASCII letters; holds the prefix.
    #[error("accession prefix {0:?} must be 1 to 8 upper-case ASCII letters")]
    BadPrefix(String),
    /// The text starts with none of the known prefixes.
    #[error("{text:?} does not start with a known accession prefix ({known})")]
    UnknownPrefix {
        /// The text as given.
        text: String,
        /// The known prefixes, comma-separated.
        known: String,
    },
    /// A character outside the digit alphabet after the prefix.
    #[error("accession {text:?} has character {ch:?} outside 0-9A-Z without I and O")]
    BadCharacter {
        /// The text as given.
        text: String,
        /// The first such character.
        ch: char,
    },
    /// No room for a digit and the check character after the prefix.
    #[error("accession {text:?} is too short: needs at least one digit and a check character")]
    TooShort {
        /// The text as given.
        text: String,
    },
    /// The check character does not match the digits: a typo.
    #[error("accession {text:?} fails its check character (expected {expected:?})")]
    CheckFailed {
        /// The text as given.
        text: String,
        /// The check character the digits call for.
        expected: char,
    },
    /// More than 12 digits: a number larger than 64 bits hold.
    #[error("accession {text:?} number is too large")]
    Overflow {
        /// The text as given.
        text: String,
    },
    /// Not `ACCESSION.VERSION` with a version of at least 1.
    #[error("{text:?} is not ACCESSION.VERSION: {reason}")]
    BadVersion {
        /// The text as given.
        text: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A validated accession, e.g. `VRN00001AK`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Accession(String);

/// One version of an accession, written `ACCESSION.VERSION` (versions start at 1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessionVersion {
    /// The accession.
    pub accession: Accession,
    /// The version number, from 1.
    pub version: i64,
}

fn code_point(ch: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == ch).map(|p| p as u32)
}

/// The Luhn mod 34 check symbol for `digits` (each a valid alphabet symbol).
fn check_symbol(digits: &[u8]) -> u8 {
    let mut sum = 0u32;
    let mut double = true;
    for &d in digits.iter().rev() {
        let mut addend = code_point(d).expect("digits validated by caller");
        if double {
            addend *= 2;
            addend = addend / BASE + addend % BASE;
        }
        sum += addend;
        double = !double;
    }
    ALPHABET[((BASE - sum % BASE) % BASE) as usize]
}

pub fn validate_prefix(prefix: &str) -> Result<(), AccessionError> {
    let ok = (1..=8).contains(&prefix.len()) && prefix.bytes().all(|b| b.is_ascii_uppercase());
    if ok { Ok(()) } else { Err(AccessionError::BadPrefix(prefix.to_string())) }
}

impl Accession {
    /// The accession for `number` under `prefix`.
    pub fn new(prefix: &str, number: u64) -> Result<Self, AccessionError> {
        validate_prefix(prefix)?;
        let mut digits = Vec::with_capacity(16);
        let mut n = number;
        loop {
            digits.push(ALPHABET[(n % BASE as u64) as usize]);
            n /= BASE as u64;
            if n == 0 {
                break;
            }
        }
        while digits.len() < MIN_DIGITS {
            digits.push(b'0');
        }
        digits.reverse();
        let check = check_symbol(&digits);
        let mut text = String::with_capacity(prefix.len() + digits.len() + 1);
        text.push_str(prefix);
        text.extend(digits.iter().map(|&b| b as char));
        text.push(check as char);
        Ok(Accession(text))
    }

    /// Parses `text` whose prefix is one of `prefixes`; the longest prefix whose remainder
    /// validates wins, so overlapping prefixes (`VR`, `VRN`) are fine.
    pub fn parse(text: &str, prefixes: &[&str]) -> Result<Self, AccessionError> {
        let mut candidates: Vec<&str> = prefixes.iter().copied().filter(|p| text.starts_with(p)).collect();
        candidates.sort_by_key(|p| std::cmp::Reverse(p.len()));
        let mut first_err = None;
        for prefix in candidates {
            match Self::parse_with_prefix(text, prefix) {
                Ok(acc) => return Ok(acc),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| AccessionError::UnknownPrefix {
            text: text.to_string(),
            known: prefixes.join(", "),
        }))
    }

    /// Parses `text` that must start with `prefix`.
    pub fn parse_with_prefix(text: &str, prefix: &str) -> Result<Self, AccessionError> {
        validate_prefix(prefix)?;
        let Some(rest) = text.strip_prefix(prefix) else {
            return Err(AccessionError::UnknownPrefix { text: text.to_string(), known: prefix.to_string() });
        };
        if rest.len() < 2 {
            return Err(AccessionError::TooShort { text: text.to_string() });
        }
        if let Some(ch) = rest.chars().find(|&c| !c.is_ascii() || code_point(c as u8).is_none()) {
            return Err(AccessionError::BadCharacter { text: text.to_string(), ch });
        }
        let (digits, check) = rest.as_bytes().split_at(rest.len() - 1);
        if digits.len() > 12 {
            return Err(AccessionError::Overflow { text: text.to_string() });
        }
        let expected = check_symbol(digits);
        if check[0] != expected {
            return Err(AccessionError::CheckFailed { text: text.to_string(), expected: expected as char });
        }
        Ok(Accession(text.to_string()))
    }

    /// Wraps text already validated (read back from the store).
    pub(crate) fn from_stored(text: String) -> Self {
        Accession(text)
    }

    /// The accession's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// This accession at `version`.
    pub fn at(&self, version: i64) -> AccessionVersion {
        AccessionVersion { accession: self.clone(), version }
    }
}

impl fmt::Display for Accession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AccessionVersion {
    /// Parses `ACCESSION.VERSION` with the accession under one of `prefixes`.
    pub fn parse(text: &str, prefixes: &[&str]) -> Result<Self, AccessionError> {
        let bad = |reason| AccessionError::BadVersion { text: text.to_string(), reason };
        let (acc, ver) = text.rsplit_once('.').ok_or_else(|| bad("no '.' before the version"))?;
        if ver.is_empty() || !ver.bytes().all(|b| b.is_ascii_digit()) || ver.starts_with('0') {
            return Err(bad("version must be a positive whole number without leading zeros"));
        }
        let version: i64 = ver.parse().map_err(|_| bad("version too large"))?;
        Ok(AccessionVersion { accession: Accession::parse(acc, prefixes)?, version })
    }
}

impl fmt::Display for AccessionVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.accession, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_and_parses() {
        let acc = Accession::new("VRN", 1).unwrap();
        assert_eq!(&acc.as_str()[..9], "VRN000001");
        assert_eq!(acc.as_str().len(), 10);
        assert_eq!(Accession::parse(acc.as_str(), &["VRN"]).unwrap(), acc);
        let av = AccessionVersion::parse(&format!("{acc}.3"), &["VRN"]).unwrap();
        assert_eq!(av.version, 3);
        assert_eq!(av.to_string(), format!("{acc}.3"));
    }

    #[test]
    fn clear_errors() {
        let acc = Accession::new("VRN", 77).unwrap().to_string();
        assert!(matches!(
            Accession::parse("XYZ0000011", &["VRN"]),
            Err(AccessionError::UnknownPrefix { .. })
        ));
        assert!(matches!(
            Accession::parse("VRN0000I1", &["VRN"]),
            Err(AccessionError::BadCharacter { ch: 'I', .. })
        ));
        assert!(matches!(Accession::parse("VRN1", &["VRN"]), Err(AccessionError::TooShort { .. })));
        assert!(matches!(Accession::new("vrn", 1), Err(AccessionError::BadPrefix(_))));
        for bad in [acc.to_string(), format!("{acc}.0"), format!("{acc}.01"), format!("{acc}.x")] {
            assert!(
                matches!(AccessionVersion::parse(&bad, &["VRN"]), Err(AccessionError::BadVersion { .. })),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn round_trip(n in 0u64..34u64.pow(9), prefix in "[A-Z]{1,8}") {
            let acc = Accession::new(&prefix, n).unwrap();
            prop_assert_eq!(Accession::parse(acc.as_str(), &[prefix.as_str()]).unwrap(), acc);
        }

        #[test]
        fn every_single_substitution_is_caught(n in 0u64..34u64.pow(8), pos in 0usize..7, sym in 0usize..34) {
            let acc = Accession::new("VRN", n).unwrap();
            let mut bytes = acc.as_str().as_bytes().to_vec();
            let at = 3 + pos % (bytes.len() - 3);
            prop_assume!(bytes[at] != ALPHABET[sym]);
            bytes[at] = ALPHABET[sym];
            let text = String::from_utf8(bytes).unwrap();
            let is_check_failure = matches!(Accession::parse(&text, &["VRN"]), Err(AccessionError::CheckFailed { .. }));
            prop_assert!(is_check_failure, "{} accepted", text);
        }
    }
}
