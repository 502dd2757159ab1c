//! Country and collection date of a synthetic genome.

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;

/// Submitting countries with relative weights, shaped like GISAID's: a few countries sequenced
/// most genomes, a long tail sequenced a few.
const COUNTRIES: &[(&str, f64)] = &[
    ("USA", 300.0),
    ("United Kingdom", 250.0),
    ("Germany", 80.0),
    ("Canada", 50.0),
    ("Denmark", 45.0),
    ("France", 40.0),
    ("Japan", 35.0),
    ("India", 25.0),
    ("Switzerland", 20.0),
    ("Sweden", 18.0),
    ("Brazil", 16.0),
    ("Spain", 15.0),
    ("Netherlands", 14.0),
    ("Australia", 12.0),
    ("Italy", 11.0),
    ("Belgium", 10.0),
    ("Israel", 9.0),
    ("Austria", 8.0),
    ("South Africa", 7.0),
    ("Mexico", 6.0),
    ("Turkey", 5.0),
    ("Ireland", 5.0),
    ("Norway", 4.0),
    ("Peru", 4.0),
    ("Singapore", 3.0),
    ("Poland", 3.0),
    ("Kenya", 2.0),
    ("Nigeria", 2.0),
    ("Viet Nam", 1.5),
    ("Chile", 1.5),
];

/// First and last collection date any genome may carry.
const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2020, 1, 1).expect("valid date");
const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2024, 12, 31).expect("valid date");
/// Days between Wuhan-Hu-1 and a node per substitution on its path: SARS-CoV-2 gained roughly
/// 25–30 substitutions a year, so a node's depth dates its lineage.
const DAYS_PER_SUBSTITUTION: u64 = 14;
/// Half-width of the window around a node's date in which its genomes are collected.
const SPREAD_DAYS: u64 = 120;
/// Share of genomes whose date is only a year or a year-month, as in real submissions.
const PARTIAL_DATE_SHARE: f64 = 0.05;

/// Draws countries with the skew of [`COUNTRIES`].
#[derive(Debug, Clone)]
pub(crate) struct CountryPicker {
    index: WeightedIndex<f64>,
}

impl CountryPicker {
    pub(crate) fn new() -> Self {
        let index = WeightedIndex::new(COUNTRIES.iter().map(|(_, w)| *w)).expect("positive weights");
        Self { index }
    }

    pub(crate) fn pick(&self, rng: &mut impl Rng) -> &'static str {
        COUNTRIES[self.index.sample(rng)].0
    }
}

/// A collection date: the full date, or `None` when only `text` (a year or year-month) is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CollectionDate {
    pub date: Option<NaiveDate>,
    pub text: String,
}

/// Draws a date around the node's expected date (from its substitution count), clamped to
/// [`FIRST_DATE`]..=[`LAST_DATE`]; a few come out partial.
pub(crate) fn pick_date(rng: &mut impl Rng, path_substitutions: usize) -> CollectionDate {
    let date = clamp(around(node_date(path_substitutions), rng));
    if !rng.random_bool(PARTIAL_DATE_SHARE) {
        return CollectionDate { date: Some(date), text: date.format("%Y-%m-%d").to_string() };
    }
    let text = if rng.random_bool(0.5) {
        format!("{}", date.year())
    } else {
        format!("{}-{:02}", date.year(), date.month())
    };
    CollectionDate { date: None, text }
}

fn node_date(path_substitutions: usize) -> NaiveDate {
    let days = (path_substitutions as u64).saturating_mul(DAYS_PER_SUBSTITUTION);
    clamp(FIRST_DATE.checked_add_days(Days::new(days)).unwrap_or(LAST_DATE))
}

fn around(center: NaiveDate, rng: &mut impl Rng) -> NaiveDate {
    let offset = rng.random_range(0..=2 * SPREAD_DAYS);
    let shifted = center.checked_add_days(Days::new(offset)).unwrap_or(LAST_DATE);
    shifted.checked_sub_days(Days::new(SPREAD_DAYS)).unwrap_or(FIRST_DATE)
}

fn clamp(date: NaiveDate) -> NaiveDate {
    date.clamp(FIRST_DATE, LAST_DATE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn dates_stay_in_span_and_partial_ones_have_no_date() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut partial = 0;
        for subs in [0, 10, 60, 120, 10_000] {
            for _ in 0..2000 {
                let d = pick_date(&mut rng, subs);
                match d.date {
                    Some(date) => {
                        assert!((FIRST_DATE..=LAST_DATE).contains(&date));
                        assert_eq!(d.text, date.format("%Y-%m-%d").to_string());
                    }
                    None => {
                        partial += 1;
                        assert!(d.text.len() == 4 || d.text.len() == 7, "{}", d.text);
                    }
                }
            }
        }
        let share = partial as f64 / 10_000.0;
        assert!((0.03..0.07).contains(&share), "partial share {share}");
    }

    #[test]
    fn deeper_nodes_are_collected_later() {
        assert!(node_date(0) < node_date(40));
        assert_eq!(node_date(1_000_000), LAST_DATE);
    }
}
