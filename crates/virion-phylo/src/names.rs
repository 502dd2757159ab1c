//! Node names without a heap string per node: one text buffer, a span per node, and a hash
//! table of node indices keyed by the text their span points at.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable, hash_table::Entry};

/// Span length marking a node without a name.
const UNNAMED: u32 = u32::MAX;

/// Why a name could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushNameError {
    /// Another node (this index) already has the name.
    Duplicate(u32),
    /// The names buffer would exceed `u32::MAX` bytes.
    BufferFull,
}

/// The names of an arena's nodes, indexed by node index.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameTable {
    /// Every name, back to back.
    text: String,
    /// Per node: start in `text` and length (`UNNAMED` for none).
    spans: Vec<(u32, u32)>,
    /// Node indices of named nodes, hashed by name.
    index: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl NameTable {
    pub(crate) fn with_capacity(nodes: usize, text_bytes: usize) -> Self {
        Self {
            text: String::with_capacity(text_bytes),
            spans: Vec::with_capacity(nodes),
            index: HashTable::with_capacity(nodes),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// Number of nodes (named or not) recorded.
    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    /// Appends a node without a name; returns its index.
    pub(crate) fn push_unnamed(&mut self) -> u32 {
        let id = self.spans.len() as u32;
        self.spans.push((0, UNNAMED));
        id
    }

    /// Removes the last node, which must be unnamed.
    pub(crate) fn pop_unnamed(&mut self) {
        let popped = self.spans.pop();
        debug_assert_eq!(popped.map(|(_, len)| len), Some(UNNAMED));
    }

    /// Names node `id`, which must still be unnamed. An empty name leaves it unnamed.
    pub(crate) fn set(&mut self, id: u32, name: &str) -> Result<(), PushNameError> {
        debug_assert_eq!(self.spans[id as usize].1, UNNAMED);
        if name.is_empty() {
            return Ok(());
        }
        let start = self.text.len();
        let end = start + name.len();
        if end >= UNNAMED as usize {
            return Err(PushNameError::BufferFull);
        }
        let hash = self.hasher.hash_one(name);
        let Self { text, spans, index, hasher } = self;
        let entry = index.entry(
            hash,
            |&other| span_text(text, spans[other as usize]) == Some(name),
            |&other| hasher.hash_one(span_text(text, spans[other as usize]).unwrap_or("")),
        );
        match entry {
            Entry::Occupied(found) => Err(PushNameError::Duplicate(*found.get())),
            Entry::Vacant(vacant) => {
                text.push_str(name);
                spans[id as usize] = (start as u32, name.len() as u32);
                vacant.insert(id);
                Ok(())
            }
        }
    }

    /// The name of node `id`.
    pub(crate) fn get(&self, id: u32) -> Option<&str> {
        span_text(&self.text, self.spans[id as usize])
    }

    /// The node named `name`.
    pub(crate) fn find(&self, name: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(name);
        self.index.find(hash, |&id| self.get(id) == Some(name)).copied()
    }

    /// Renumbers the nodes: node `old` becomes `new_of_old[old]`.
    pub(crate) fn renumber(&mut self, new_of_old: &[u32]) {
        let mut spans = vec![(0, UNNAMED); self.spans.len()];
        for (old, &span) in self.spans.iter().enumerate() {
            spans[new_of_old[old] as usize] = span;
        }
        self.spans = spans;
        for id in self.index.iter_mut() {
            *id = new_of_old[*id as usize];
        }
    }

    /// Makes room for `additional` more nodes (sparing the hash table rehashes as it grows).
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.spans.reserve(additional);
        let Self { text, spans, index, hasher } = self;
        index.reserve(additional, |&id| hasher.hash_one(span_text(text, spans[id as usize]).unwrap_or("")));
    }

    /// Releases the spare capacity of the buffers once the arena is complete. The hash table
    /// keeps its capacity: shrinking it would rehash every name, reading the text at random.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.spans.shrink_to_fit();
    }
}

fn span_text(text: &str, (start, len): (u32, u32)) -> Option<&str> {
    if len == UNNAMED {
        return None;
    }
    Some(&text[start as usize..(start + len) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_renumbered_and_duplicates_refused() {
        let mut names = NameTable::default();
        let a = names.push_unnamed();
        let b = names.push_unnamed();
        let c = names.push_unnamed();
        names.set(a, "alpha").unwrap();
        names.set(c, "").unwrap();
        assert_eq!(names.set(b, "alpha"), Err(PushNameError::Duplicate(a)));
        names.set(b, "beta").unwrap();
        assert_eq!(names.find("alpha"), Some(a));
        assert_eq!(names.get(c), None);
        names.renumber(&[2, 0, 1]);
        assert_eq!(names.find("alpha"), Some(2));
        assert_eq!(names.find("beta"), Some(0));
        assert_eq!(names.get(2), Some("alpha"));
        assert_eq!(names.get(1), None);
        names.shrink_to_fit();
        assert_eq!(names.find("beta"), Some(0));
    }
}
