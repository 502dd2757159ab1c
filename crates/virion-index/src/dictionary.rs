//! The distinct strings of a column, each with a code: one byte arena with offsets, and a hash
//! table of codes for lookups. Ten million accessions cost their bytes plus ~13 bytes each,
//! where a `HashMap<String, u32>` would cost ~60.

use std::hash::{BuildHasher, RandomState};

use hashbrown::HashTable;

/// The distinct strings of a column, each with a dense `u32` code in insertion order.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    bytes: Vec<u8>,
    /// `ends[c]` is where string `c` ends in `bytes` (it starts where `c - 1` ends).
    ends: Vec<u64>,
    lookup: HashTable<u32>,
    hasher: RandomState,
}

impl Dictionary {
    /// An empty dictionary.
    pub fn new() -> Dictionary {
        Dictionary::default()
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the dictionary holds no string.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The string of `code`.
    pub fn get(&self, code: u32) -> &str {
        let c = code as usize;
        let start = if c == 0 { 0 } else { self.ends[c - 1] as usize };
        let bytes = &self.bytes[start..self.ends[c] as usize];
        // Only whole `&str`s are ever appended.
        std::str::from_utf8(bytes).expect("the arena holds whole UTF-8 strings")
    }

    fn hash(&self, s: &str) -> u64 {
        self.hasher.hash_one(s)
    }

    /// The code of `s`, if it is in the dictionary.
    pub fn code(&self, s: &str) -> Option<u32> {
        let h = self.hash(s);
        self.lookup.find(h, |&c| self.get(c) == s).copied()
    }

    /// The code of `s`, adding it when new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if let Some(c) = self.code(s) {
            return c;
        }
        let code = self.ends.len() as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        self.ends.push(self.bytes.len() as u64);
        let h = self.hash(s);
        let Dictionary { lookup, hasher, bytes, ends } = self;
        let string_of = |c: u32| -> &[u8] {
            let c = c as usize;
            let start = if c == 0 { 0 } else { ends[c - 1] as usize };
            &bytes[start..ends[c] as usize]
        };
        lookup.insert_unique(h, code, |&c| hasher.hash_one(std::str::from_utf8(string_of(c)).unwrap_or("")));
        code
    }

    /// Every string, in code order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        (0..self.len() as u32).map(|c| self.get(c))
    }

    /// The arena and offsets (for snapshots).
    pub fn parts(&self) -> (&[u8], &[u64]) {
        (&self.bytes, &self.ends)
    }

    /// Rebuilds a dictionary (and its lookup table) from stored parts; `None` if they are
    /// inconsistent.
    pub fn from_parts(bytes: Vec<u8>, ends: Vec<u64>) -> Option<Dictionary> {
        let mut last = 0;
        for &e in &ends {
            if e < last || e as usize > bytes.len() {
                return None;
            }
            std::str::from_utf8(&bytes[last as usize..e as usize]).ok()?;
            last = e;
        }
        let mut d = Dictionary { bytes, ends, lookup: HashTable::new(), hasher: RandomState::new() };
        d.lookup.reserve(d.ends.len(), |_| 0);
        for code in 0..d.ends.len() as u32 {
            let h = d.hash(d.get(code));
            let Dictionary { lookup, hasher, bytes, ends } = &mut d;
            let string_of = |c: u32| -> &[u8] {
                let c = c as usize;
                let start = if c == 0 { 0 } else { ends[c - 1] as usize };
                &bytes[start..ends[c] as usize]
            };
            lookup.insert_unique(h, code, |&c| {
                hasher.hash_one(std::str::from_utf8(string_of(c)).unwrap_or(""))
            });
        }
        Some(d)
    }

    /// Heap bytes held (arena, offsets and lookup table), for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.bytes.capacity() + self.ends.capacity() * 8 + self.lookup.capacity() * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_and_finds() {
        let mut d = Dictionary::new();
        let words = ["USA", "", "Côte d'Ivoire", "USA", "B.1.1.7"];
        let codes: Vec<u32> = words.iter().map(|w| d.intern(w)).collect();
        assert_eq!(codes, vec![0, 1, 2, 0, 3]);
        assert_eq!(d.len(), 4);
        assert_eq!(d.get(2), "Côte d'Ivoire");
        assert_eq!(d.code("B.1.1.7"), Some(3));
        assert_eq!(d.code("B.1.1"), None);
        let (bytes, ends) = d.parts();
        let again = Dictionary::from_parts(bytes.to_vec(), ends.to_vec()).unwrap();
        assert_eq!(again.iter().collect::<Vec<_>>(), d.iter().collect::<Vec<_>>());
        assert_eq!(again.code("Côte d'Ivoire"), Some(2));
        assert!(Dictionary::from_parts(vec![0xff], vec![1]).is_none(), "not UTF-8");
        for i in 0..10_000 {
            d.intern(&format!("SYN{i:07}"));
        }
        assert_eq!(d.code("SYN0004321"), Some(4 + 4321));
    }
}
