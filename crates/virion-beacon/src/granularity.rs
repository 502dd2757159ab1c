//! How much detail an asker gets: Beacon's `boolean` < `count` < `record`, capped by who asks.
//! On this node a visitor gets counts and a logged-in user records; a peer's part is capped by
//! what that peer shares with this node (`records`, `aggregates`: counts with its minimum cell,
//! `none`: nothing).

use serde::{Deserialize, Serialize};
use virion_federation::Level;

/// A Beacon granularity, ordered from least to most detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// Whether anything matches.
    Boolean,
    /// How many entries match.
    Count,
    /// The matching entries.
    Record,
}

impl Granularity {
    /// The name Beacon uses.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Boolean => "boolean",
            Granularity::Count => "count",
            Granularity::Record => "record",
        }
    }

    /// Reads Beacon's name of a granularity.
    pub fn parse(text: &str) -> Option<Granularity> {
        match text.to_ascii_lowercase().as_str() {
            "boolean" => Some(Granularity::Boolean),
            "count" => Some(Granularity::Count),
            "record" => Some(Granularity::Record),
            _ => None,
        }
    }
}

/// The most this node's own collections show an asker: records to a logged-in user, counts to
/// a visitor.
pub fn own_ceiling(logged_in: bool) -> Granularity {
    if logged_in { Granularity::Record } else { Granularity::Count }
}

/// The most a peer's part can show, by what it shares with this node; `None`: nothing.
pub fn peer_ceiling(level: Level) -> Option<Granularity> {
    match level {
        Level::Records => Some(Granularity::Record),
        Level::Aggregates => Some(Granularity::Count),
        Level::None => None,
    }
}

/// What is returned: what was asked (unasked: as much as allowed), never above the ceiling.
pub fn granted(requested: Option<Granularity>, ceiling: Granularity) -> Granularity {
    requested.map_or(ceiling, |r| r.min(ceiling))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_asker_caps_the_granularity() {
        assert_eq!(granted(None, own_ceiling(false)), Granularity::Count);
        assert_eq!(granted(Some(Granularity::Record), own_ceiling(false)), Granularity::Count);
        assert_eq!(granted(Some(Granularity::Boolean), own_ceiling(false)), Granularity::Boolean);
        assert_eq!(granted(None, own_ceiling(true)), Granularity::Record);
        assert_eq!(peer_ceiling(Level::Aggregates), Some(Granularity::Count));
        assert_eq!(peer_ceiling(Level::Records), Some(Granularity::Record));
        assert_eq!(peer_ceiling(Level::None), None);
        assert_eq!(Granularity::parse("COUNT"), Some(Granularity::Count));
        assert_eq!(Granularity::parse("aggregated"), None);
    }
}
