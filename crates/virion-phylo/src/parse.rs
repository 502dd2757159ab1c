//! Newick text to [`PhyloTree`], in one forward pass with an explicit stack: nesting depth is
//! bounded by the input's length, never by the call stack.
//!
//! Grammar: `tree = subtree ';'`, `subtree = ( '(' subtree (',' subtree)* ')' )? label? (':'
//! length)?`. Whitespace and `[...]` comments (nested) may stand between any two tokens. Labels
//! are unquoted (any run of characters other than whitespace and `()[]':;,`) or quoted
//! (`'...'`, `''` for a quote). An empty label leaves the node unnamed.

use std::borrow::Cow;

use crate::error::{Found, Location, NewickError};
use crate::names::{NameTable, PushNameError};
use crate::tree::{NO_NODE, PhyloTree};

impl PhyloTree {
    /// Parses one Newick tree terminated by `;` (surrounding whitespace and comments allowed).
    ///
    /// Node names must be unique; branch lengths, if given, finite numbers.
    pub fn from_newick(text: &str) -> Result<PhyloTree, NewickError> {
        Parser::new(text).parse()
    }
}

/// Characters that end an unquoted label or a branch length.
fn is_delimiter(b: u8) -> bool {
    DELIMITERS[b as usize]
}

const DELIMITERS: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] =
            c.is_ascii_whitespace() || matches!(c, b'(' | b')' | b'[' | b']' | b'\'' | b':' | b';' | b',');
        b += 1;
    }
    table
};

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    parent: Vec<u32>,
    end: Vec<u32>,
    branch_length: Vec<f64>,
    names: NameTable,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        // Every node but the root follows a '(' or a ',': exact unless quotes or comments hold
        // some, and never more than the input's length.
        let nodes = 1 + text.bytes().filter(|&b| b == b'(' || b == b',').count();
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            parent: Vec::with_capacity(nodes),
            end: Vec::with_capacity(nodes),
            branch_length: Vec::with_capacity(nodes),
            names: NameTable::with_capacity(nodes, 0),
        }
    }

    fn parse(mut self) -> Result<PhyloTree, NewickError> {
        self.skip_ignorable()?;
        if self.pos == self.bytes.len() {
            return Err(NewickError::Empty);
        }
        // Open internal nodes with the offset of their '('.
        let mut open: Vec<(u32, usize)> = Vec::new();
        let mut want_subtree = true;
        loop {
            self.skip_ignorable()?;
            let parent = open.last().map_or(NO_NODE, |&(node, _)| node);
            if want_subtree {
                if self.peek() == Some(b'(') {
                    let node = self.push_node(parent)?;
                    open.push((node, self.pos));
                    self.pos += 1;
                    continue;
                }
                if parent == NO_NODE && self.peek().is_none_or(|b| b != b'\'' && is_delimiter(b)) {
                    // A whole tree without parentheses is one leaf, which needs a name.
                    return Err(self.unexpected("'(' or a node name"));
                }
                let node = self.push_node(parent)?;
                self.label_and_length(node)?;
                self.end[node as usize] = node + 1;
                want_subtree = false;
                continue;
            }
            match self.peek() {
                Some(b',') if parent != NO_NODE => {
                    self.pos += 1;
                    want_subtree = true;
                }
                Some(b')') => {
                    let Some((node, _)) = open.pop() else {
                        return Err(NewickError::UnmatchedCloseParen { at: self.here() });
                    };
                    self.pos += 1;
                    self.end[node as usize] = self.parent.len() as u32;
                    self.label_and_length(node)?;
                }
                Some(b';') => {
                    if let Some(&(_, at)) = open.last() {
                        return Err(NewickError::UnclosedParen { at: self.at(at) });
                    }
                    self.pos += 1;
                    self.skip_ignorable()?;
                    if self.pos < self.bytes.len() {
                        return Err(NewickError::TrailingInput { at: self.here() });
                    }
                    break;
                }
                None => {
                    if let Some(&(_, at)) = open.last() {
                        return Err(NewickError::UnclosedParen { at: self.at(at) });
                    }
                    return Err(NewickError::MissingSemicolon { at: self.here() });
                }
                Some(_) if parent == NO_NODE => return Err(self.unexpected("';'")),
                Some(_) => return Err(self.unexpected("',', ')' or ';'")),
            }
        }
        Ok(PhyloTree::assemble(self.parent, self.end, self.branch_length, self.names))
    }

    fn push_node(&mut self, parent: u32) -> Result<u32, NewickError> {
        if self.parent.len() >= (NO_NODE - 1) as usize {
            return Err(NewickError::TooLarge { at: self.here() });
        }
        self.parent.push(parent);
        self.end.push(0);
        self.branch_length.push(f64::NAN);
        Ok(self.names.push_unnamed())
    }

    /// Reads the optional label and branch length of `node`.
    fn label_and_length(&mut self, node: u32) -> Result<(), NewickError> {
        self.skip_ignorable()?;
        let start = self.pos;
        let label = self.label()?;
        match self.names.set(node, &label) {
            Ok(()) => {}
            Err(PushNameError::Duplicate(_)) => {
                return Err(NewickError::DuplicateName { at: self.at(start), name: label.into_owned() });
            }
            Err(PushNameError::BufferFull) => {
                return Err(NewickError::TooLarge { at: self.at(start) });
            }
        }
        self.skip_ignorable()?;
        if self.peek() == Some(b':') {
            self.pos += 1;
            self.skip_ignorable()?;
            self.branch_length[node as usize] = self.length()?;
        }
        Ok(())
    }

    /// A quoted or unquoted label, possibly empty.
    fn label(&mut self) -> Result<Cow<'a, str>, NewickError> {
        let start = self.pos;
        if self.peek() != Some(b'\'') {
            while self.peek().is_some_and(|b| !is_delimiter(b)) {
                self.pos += 1;
            }
            return Ok(Cow::Borrowed(&self.text[start..self.pos]));
        }
        self.pos += 1;
        let mut owned: Option<String> = None;
        let mut run_start = self.pos;
        loop {
            let Some(quote) = self.bytes[self.pos..].iter().position(|&b| b == b'\'') else {
                return Err(NewickError::UnclosedQuote { at: self.at(start) });
            };
            let quote = self.pos + quote;
            if self.bytes.get(quote + 1) == Some(&b'\'') {
                // '' is a literal quote: keep the first, skip the second.
                owned.get_or_insert_with(String::new).push_str(&self.text[run_start..=quote]);
                self.pos = quote + 2;
                run_start = self.pos;
                continue;
            }
            self.pos = quote + 1;
            return Ok(match owned {
                None => Cow::Borrowed(&self.text[run_start..quote]),
                Some(mut text) => {
                    text.push_str(&self.text[run_start..quote]);
                    Cow::Owned(text)
                }
            });
        }
    }

    /// A branch length after its ':'.
    fn length(&mut self) -> Result<f64, NewickError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| !is_delimiter(b)) {
            self.pos += 1;
        }
        let text = &self.text[start..self.pos];
        if text.is_empty() {
            return Err(self.unexpected("a branch length"));
        }
        match text.parse::<f64>() {
            Ok(len) if len.is_finite() => Ok(len),
            _ => Err(NewickError::InvalidBranchLength { at: self.at(start), text: text.to_owned() }),
        }
    }

    /// Skips whitespace and (nested) `[...]` comments.
    fn skip_ignorable(&mut self) -> Result<(), NewickError> {
        while let Some(b) = self.peek() {
            match b {
                b'[' => {
                    let start = self.pos;
                    let mut nesting = 0usize;
                    loop {
                        match self.peek() {
                            None => return Err(NewickError::UnclosedComment { at: self.at(start) }),
                            Some(b'[') => nesting += 1,
                            Some(b']') => nesting -= 1,
                            Some(_) => {}
                        }
                        self.pos += 1;
                        if nesting == 0 {
                            break;
                        }
                    }
                }
                b']' => return Err(NewickError::UnmatchedCloseBracket { at: self.here() }),
                b if b.is_ascii_whitespace() => self.pos += 1,
                _ => break,
            }
        }
        Ok(())
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn at(&self, offset: usize) -> Location {
        Location::of(self.text, offset)
    }

    fn here(&self) -> Location {
        self.at(self.pos)
    }

    fn unexpected(&self, expected: &'static str) -> NewickError {
        let found = self.text[self.pos..].chars().next().map_or(Found::EndOfInput, Found::Char);
        NewickError::Unexpected { at: self.here(), expected, found }
    }
}
