//! Insertions of one segment or gene: each distinct (position, inserted letters) with the rows
//! carrying it. Insertions are rare and few are distinct, so a bitmap per distinct insertion is
//! both the filter (`ins_S:214:EPE`, `?` standing for any letters) and the count.

use std::collections::HashMap;

use roaring::RoaringBitmap;

/// One insertion as LAPIS writes it: `ins_S:214:EPE` is `position` 214, `symbols` "EPE"
/// (inserted after reference position 214, 1-based).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Insertion {
    /// 1-based reference position the insertion follows (0: before the first).
    pub position: u32,
    /// The inserted letters, upper-case.
    pub symbols: String,
}

impl std::fmt::Display for Insertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.position, self.symbols)
    }
}

impl Insertion {
    /// Parses `214:EPE` (SILO's and Loculus's form inside a record).
    pub fn parse(text: &str) -> Option<Insertion> {
        let (pos, symbols) = text.split_once(':')?;
        let position = pos.trim().parse().ok()?;
        let symbols = symbols.trim().to_ascii_uppercase();
        (!symbols.is_empty() && symbols.bytes().all(|b| b.is_ascii_alphabetic() || b == b'*' || b == b'-'))
            .then_some(Insertion { position, symbols })
    }
}

/// A compiled `ins_…:POS:PATTERN` filter: letters match themselves, `?` any run of letters.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertionPattern {
    /// 1-based position the insertion must follow.
    pub position: u32,
    /// The pattern's literal pieces between `?`s, and whether it starts/ends with `?`.
    pieces: Vec<String>,
    open_start: bool,
    open_end: bool,
}

impl InsertionPattern {
    /// Compiles `pattern` (case-insensitive; `?` stands for any run of letters) at `position`.
    pub fn new(position: u32, pattern: &str) -> InsertionPattern {
        let upper = pattern.to_ascii_uppercase();
        let pieces: Vec<String> = upper.split('?').filter(|p| !p.is_empty()).map(str::to_owned).collect();
        InsertionPattern {
            position,
            pieces,
            open_start: upper.starts_with('?'),
            open_end: upper.ends_with('?'),
        }
    }

    /// Whether `symbols` matches the whole pattern.
    pub fn matches(&self, symbols: &str) -> bool {
        if self.pieces.is_empty() {
            // Only `?`s: any insertion.
            return self.open_start || self.open_end;
        }
        let mut rest = symbols;
        for (i, piece) in self.pieces.iter().enumerate() {
            let first = i == 0;
            let last = i + 1 == self.pieces.len();
            if first && !self.open_start {
                match rest.strip_prefix(piece.as_str()) {
                    Some(r) => rest = r,
                    None => return false,
                }
                if last && !self.open_end {
                    return rest.is_empty();
                }
                continue;
            }
            if last && !self.open_end {
                return rest.ends_with(piece.as_str());
            }
            match rest.find(piece.as_str()) {
                Some(at) => rest = &rest[at + piece.len()..],
                None => return false,
            }
        }
        true
    }
}

/// The insertions of one segment or gene over all rows.
#[derive(Debug, Clone, Default)]
pub struct InsertionColumn {
    /// The segment or gene's name.
    pub name: String,
    distinct: Vec<Insertion>,
    lookup: HashMap<Insertion, u32>,
    rows: Vec<RoaringBitmap>,
}

/// How often one insertion occurs among a set of rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InsertionCount {
    /// The insertion.
    pub insertion: Insertion,
    /// Rows among the set carrying it.
    pub count: u64,
}

impl InsertionColumn {
    /// An empty column for the segment or gene `name`.
    pub fn new(name: &str) -> InsertionColumn {
        InsertionColumn { name: name.to_owned(), ..InsertionColumn::default() }
    }

    /// Records `row`'s insertions (rows arrive in increasing order).
    pub fn push(&mut self, row: u32, insertions: &[Insertion]) {
        for ins in insertions {
            let code = match self.lookup.get(ins) {
                Some(&c) => c,
                None => {
                    let c = self.distinct.len() as u32;
                    self.distinct.push(ins.clone());
                    self.lookup.insert(ins.clone(), c);
                    self.rows.push(RoaringBitmap::new());
                    c
                }
            };
            self.rows[code as usize].insert(row);
        }
    }

    /// Rows with an insertion matching `pattern`.
    pub fn rows_matching(&self, pattern: &InsertionPattern) -> RoaringBitmap {
        use roaring::MultiOps;
        self.distinct
            .iter()
            .zip(&self.rows)
            .filter(|(ins, _)| ins.position == pattern.position && pattern.matches(&ins.symbols))
            .map(|(_, rows)| rows)
            .union()
    }

    /// Each insertion carried by rows of `among`, with its count, by position then letters.
    pub fn counts(&self, among: &RoaringBitmap) -> Vec<InsertionCount> {
        let mut out: Vec<InsertionCount> = self
            .distinct
            .iter()
            .zip(&self.rows)
            .filter_map(|(ins, rows)| {
                let count = rows.intersection_len(among);
                (count > 0).then(|| InsertionCount { insertion: ins.clone(), count })
            })
            .collect();
        out.sort_by(|a, b| a.insertion.cmp(&b.insertion));
        out
    }

    /// The insertions of one row.
    pub fn of_row(&self, row: u32) -> Vec<Insertion> {
        let mut out: Vec<Insertion> = self
            .distinct
            .iter()
            .zip(&self.rows)
            .filter(|(_, r)| r.contains(row))
            .map(|(i, _)| i.clone())
            .collect();
        out.sort();
        out
    }

    /// The distinct insertions and their rows (for snapshots).
    pub fn parts(&self) -> (&[Insertion], &[RoaringBitmap]) {
        (&self.distinct, &self.rows)
    }

    /// Rebuilds a column from [`InsertionColumn::parts`] (for snapshots).
    pub fn from_parts(name: &str, distinct: Vec<Insertion>, rows: Vec<RoaringBitmap>) -> InsertionColumn {
        let lookup = distinct.iter().cloned().enumerate().map(|(i, ins)| (ins, i as u32)).collect();
        InsertionColumn { name: name.to_owned(), distinct, lookup, rows }
    }

    /// Heap bytes held, approximately, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.distinct.iter().map(|i| i.symbols.len() + 48).sum::<usize>()
            + self.rows.iter().map(|r| r.serialized_size() + 32).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_lapis() {
        let p = |s: &str| InsertionPattern::new(214, s);
        assert!(p("EPE").matches("EPE"));
        assert!(!p("EPE").matches("EPEX"));
        assert!(p("?").matches("A"));
        assert!(p("?TA?").matches("GGTACC"));
        assert!(p("?TA?").matches("TA"));
        assert!(!p("?TA?").matches("TCA"));
        assert!(p("E?E").matches("EPPE") && p("E?E").matches("EE") && !p("E?E").matches("EPEX"));
        assert!(p("?PE").matches("EPE") && !p("?PE").matches("EPEE"));
        assert!(p("ep?").matches("EPEP"));
    }

    #[test]
    fn rows_and_counts() {
        let mut c = InsertionColumn::new("S");
        let ins = |s: &str| Insertion::parse(s).unwrap();
        c.push(0, &[ins("214:EPE")]);
        c.push(1, &[]);
        c.push(2, &[ins("214:EPE"), ins("5:A")]);
        c.push(3, &[ins("214:eP")]);
        assert_eq!(
            c.rows_matching(&InsertionPattern::new(214, "EP?")).iter().collect::<Vec<_>>(),
            vec![0, 2, 3]
        );
        assert_eq!(c.rows_matching(&InsertionPattern::new(215, "?")).len(), 0);
        let among: RoaringBitmap = [0, 1, 2].into_iter().collect();
        let counts = c.counts(&among);
        assert_eq!(counts.len(), 2);
        assert_eq!(counts[0], InsertionCount { insertion: ins("5:A"), count: 1 });
        assert_eq!(counts[1].count, 2);
        assert_eq!(c.of_row(2), vec![ins("5:A"), ins("214:EPE")]);
        assert!(Insertion::parse("x:EPE").is_none() && Insertion::parse("214:").is_none());
    }
}
