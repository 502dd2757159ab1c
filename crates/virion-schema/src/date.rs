//! Calendar dates as submitters write them: complete (`2021-03-05`), partial (`2021-03`, `2021`)
//! or an interval (`2021-03/2021-05`), each understood as the range of days it may mean.

use std::fmt;

use serde::{Serialize, Serializer};

/// One day of the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year (proleptic Gregorian, may be before 1 CE).
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u8,
    /// The day of the month, from 1.
    pub day: u8,
}

impl Date {
    /// Checks that the day exists (months have their lengths, 29 February only in leap years).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month)).then_some(Self {
            year,
            month,
            day,
        })
    }

    /// The day `days` after 1970-01-01 (negative: before it).
    pub fn from_days_since_epoch(days: i64) -> Self {
        // Howard Hinnant's civil-from-days: shift the year to start in March so the leap day is last.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let shifted_month = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u8;
        let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u8;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Self { year, month, day }
    }

    /// Today in UTC, from the system clock.
    pub fn today_utc() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Self::from_days_since_epoch(secs.div_euclid(86_400))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A date as written, with the first and last day it can mean. `2021-03` covers 1–31 March.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DateRange {
    /// The normalised text: `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or two of these joined by `/`.
    pub value: String,
    /// The first day the text can mean.
    pub earliest: Date,
    /// The last day the text can mean.
    pub latest: Date,
}

/// Why a date could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or an interval of those; holds the text.
    #[error("'{0}' is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")]
    Format(String),
    /// Well-formed but not a real day (month 13, 30 February); holds the text.
    #[error("'{0}' does not exist in the calendar")]
    Impossible(String),
    /// An interval whose end is before its start; holds the text.
    #[error("the interval '{0}' ends before it starts")]
    Reversed(String),
}

/// Reads `YYYY`, `YYYY-MM`, `YYYY-MM-DD`, optionally followed by an ISO time that is ignored, or an
/// interval `A/B` of two such dates (the form ENA's checklist allows).
pub fn parse_date(text: &str) -> Result<DateRange, DateError> {
    let text = text.trim();
    if let Some((start, end)) = text.split_once('/') {
        let a = parse_single(start, text)?;
        let b = parse_single(end, text)?;
        if b.latest < a.earliest {
            return Err(DateError::Reversed(text.to_owned()));
        }
        return Ok(DateRange {
            value: format!("{}/{}", a.value, b.value),
            earliest: a.earliest,
            latest: b.latest,
        });
    }
    parse_single(text, text)
}

fn parse_single(part: &str, whole: &str) -> Result<DateRange, DateError> {
    let format_error = || DateError::Format(whole.to_owned());
    let date_part = part.split_once('T').map_or(part, |(d, _time)| d);
    let pieces: Vec<&str> = date_part.split('-').collect();
    let widths_ok = match pieces.as_slice() {
        [y] => y.len() == 4,
        [y, m] => y.len() == 4 && m.len() == 2,
        [y, m, d] => y.len() == 4 && m.len() == 2 && d.len() == 2,
        _ => false,
    };
    if !widths_ok || !pieces.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
        return Err(format_error());
    }
    let year: i32 = pieces[0].parse().map_err(|_| format_error())?;
    let impossible = || DateError::Impossible(whole.to_owned());
    let (earliest, latest) = match pieces.len() {
        1 => (Date::new(year, 1, 1), Date::new(year, 12, 31)),
        2 => {
            let month: u8 = pieces[1].parse().map_err(|_| format_error())?;
            let first = Date::new(year, month, 1).ok_or_else(impossible)?;
            (Some(first), Date::new(year, month, days_in_month(year, month)))
        }
        _ => {
            let day = Date::new(
                year,
                pieces[1].parse().map_err(|_| format_error())?,
                pieces[2].parse().map_err(|_| format_error())?,
            );
            (day, day)
        }
    };
    match (earliest, latest) {
        (Some(earliest), Some(latest)) => Ok(DateRange { value: date_part.to_owned(), earliest, latest }),
        _ => Err(impossible()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u8, day: u8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn partial_dates_are_ranges() {
        let year = parse_date("2021").unwrap();
        assert_eq!((year.earliest, year.latest), (d(2021, 1, 1), d(2021, 12, 31)));
        let month = parse_date("2020-02").unwrap();
        assert_eq!((month.earliest, month.latest), (d(2020, 2, 1), d(2020, 2, 29)));
        let feb = parse_date("2021-02").unwrap();
        assert_eq!(feb.latest, d(2021, 2, 28));
        let day = parse_date(" 2021-03-05 ").unwrap();
        assert_eq!(
            (day.value.as_str(), day.earliest, day.latest),
            ("2021-03-05", d(2021, 3, 5), d(2021, 3, 5))
        );
        let with_time = parse_date("2021-03-05T10:00Z").unwrap();
        assert_eq!(with_time.value, "2021-03-05");
    }

    #[test]
    fn intervals() {
        let r = parse_date("2021-03/2021-05-02").unwrap();
        assert_eq!((r.earliest, r.latest), (d(2021, 3, 1), d(2021, 5, 2)));
        assert_eq!(parse_date("2021-05/2021-03"), Err(DateError::Reversed("2021-05/2021-03".into())));
    }

    #[test]
    fn impossible_and_malformed() {
        assert_eq!(parse_date("2021-02-29"), Err(DateError::Impossible("2021-02-29".into())));
        assert!(parse_date("2024-02-29").is_ok());
        assert_eq!(parse_date("1900-02-29"), Err(DateError::Impossible("1900-02-29".into())));
        assert_eq!(parse_date("2021-13"), Err(DateError::Impossible("2021-13".into())));
        assert_eq!(parse_date("2021-04-31"), Err(DateError::Impossible("2021-04-31".into())));
        for bad in ["05/03/2021", "2021-3-5", "21-03-05", "March 2021", "", "2021-03-05-01", "2021-0a"] {
            assert_eq!(parse_date(bad), Err(DateError::Format(bad.trim().into())), "{bad}");
        }
    }

    #[test]
    fn civil_from_days_matches_a_day_by_day_walk() {
        // Oracle: step one day at a time from the epoch using days_in_month.
        let mut expected = d(1970, 1, 1);
        for days in 0..40_000 {
            assert_eq!(Date::from_days_since_epoch(days), expected, "day {days}");
            expected = if expected.day < days_in_month(expected.year, expected.month) {
                Date { day: expected.day + 1, ..expected }
            } else if expected.month < 12 {
                Date { month: expected.month + 1, day: 1, ..expected }
            } else {
                Date { year: expected.year + 1, month: 1, day: 1 }
            };
        }
        assert_eq!(Date::from_days_since_epoch(-1), d(1969, 12, 31));
        assert!(Date::today_utc() > d(2024, 1, 1));
    }
}
