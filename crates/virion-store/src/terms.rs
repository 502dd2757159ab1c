//! Data use terms: OPEN, or RESTRICTED until a date at most a year ahead, after which the
//! entry is open without anyone touching it (the effective terms are computed at read time).

use chrono::{Days, NaiveDate};

/// The furthest a restriction may reach, counted from the day it is set.
pub const MAX_RESTRICTION_DAYS: u64 = 365;

/// Who may use an entry's released data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataUseTerms {
    /// Anyone, for anything (OPEN).
    Open,
    /// Restricted use until a date, then open (RESTRICTED).
    Restricted {
        /// The day the entry becomes open (the restriction covers the days before it).
        until: NaiveDate,
    },
}

/// Why data-use terms were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    /// A restriction that would already have ended.
    #[error("restricted-until date {until} is not after today ({today})")]
    NotInFuture {
        /// The requested end date.
        until: NaiveDate,
        /// The day the terms were set.
        today: NaiveDate,
    },
    /// A restriction longer than `MAX_RESTRICTION_DAYS`.
    #[error("restricted-until date {until} is more than {MAX_RESTRICTION_DAYS} days after {today}")]
    TooFar {
        /// The requested end date.
        until: NaiveDate,
        /// The day the terms were set.
        today: NaiveDate,
    },
    /// A change to less open terms (only opening up is allowed).
    #[error("terms may only become more open: {from} cannot change to {to}")]
    LessOpen {
        /// The terms in force.
        from: String,
        /// The terms asked for.
        to: String,
    },
    /// Stored terms the code cannot read.
    #[error("stored terms {terms:?} / {until:?} are not readable")]
    Unreadable {
        /// The stored terms text.
        terms: String,
        /// The stored end date, if any.
        until: Option<String>,
    },
}

impl DataUseTerms {
    /// Checks terms chosen on `today` for a new submission.
    pub fn validate_new(self, today: NaiveDate) -> Result<Self, TermsError> {
        if let DataUseTerms::Restricted { until } = self {
            if until <= today {
                return Err(TermsError::NotInFuture { until, today });
            }
            if until > today + Days::new(MAX_RESTRICTION_DAYS) {
                return Err(TermsError::TooFar { until, today });
            }
        }
        Ok(self)
    }

    /// Checks a change from `self` (currently effective) to `next` made on `today`: terms may
    /// open up or the restriction shorten, never lengthen.
    pub fn validate_change(self, next: Self, today: NaiveDate) -> Result<Self, TermsError> {
        let next = next.validate_new(today)?;
        let ok = match (self, next) {
            (_, DataUseTerms::Open) => true,
            (DataUseTerms::Open, DataUseTerms::Restricted { .. }) => false,
            (DataUseTerms::Restricted { until: a }, DataUseTerms::Restricted { until: b }) => b <= a,
        };
        if ok { Ok(next) } else { Err(TermsError::LessOpen { from: self.to_string(), to: next.to_string() }) }
    }

    /// The terms in force on `today`: a restriction whose date has come is open.
    pub fn effective(self, today: NaiveDate) -> Self {
        match self {
            DataUseTerms::Restricted { until } if until <= today => DataUseTerms::Open,
            other => other,
        }
    }

    pub(crate) fn to_columns(self) -> (&'static str, Option<String>) {
        match self {
            DataUseTerms::Open => ("OPEN", None),
            DataUseTerms::Restricted { until } => ("RESTRICTED", Some(until.to_string())),
        }
    }

    pub(crate) fn from_columns(terms: &str, until: Option<String>) -> Result<Self, TermsError> {
        let unreadable = || TermsError::Unreadable { terms: terms.to_string(), until: until.clone() };
        match (terms, until.as_deref()) {
            ("OPEN", None) => Ok(DataUseTerms::Open),
            ("RESTRICTED", Some(d)) => {
                d.parse().map(|until| DataUseTerms::Restricted { until }).map_err(|_| unreadable())
            }
            _ => Err(unreadable()),
        }
    }
}

impl std::fmt::Display for DataUseTerms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DataUseTerms::Open => f.write_str("OPEN"),
            DataUseTerms::Restricted { until } => write!(f, "RESTRICTED until {until}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn restriction_limits_and_opening() {
        let today = d("2025-03-01");
        let r = |s| DataUseTerms::Restricted { until: d(s) };
        assert!(r("2026-03-01").validate_new(today).is_ok());
        assert!(matches!(r("2026-03-02").validate_new(today), Err(TermsError::TooFar { .. })));
        assert!(matches!(r("2025-03-01").validate_new(today), Err(TermsError::NotInFuture { .. })));
        assert_eq!(r("2025-06-01").effective(d("2025-05-31")), r("2025-06-01"));
        assert_eq!(r("2025-06-01").effective(d("2025-06-01")), DataUseTerms::Open);
        assert!(r("2025-06-01").validate_change(r("2025-05-01"), today).is_ok());
        assert!(matches!(
            r("2025-06-01").validate_change(r("2025-07-01"), today),
            Err(TermsError::LessOpen { .. })
        ));
        assert!(matches!(
            DataUseTerms::Open.validate_change(r("2025-07-01"), today),
            Err(TermsError::LessOpen { .. })
        ));
    }
}
