//! Errors of Newick parsing and of building trees.

use std::fmt;

/// A position in the Newick text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// 0-based byte offset.
    pub offset: usize,
}

impl Location {
    /// The location of byte `offset` in `text`.
    pub(crate) fn of(text: &str, offset: usize) -> Self {
        let before = &text.as_bytes()[..offset];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        Self {
            line: before.iter().filter(|&&b| b == b'\n').count() + 1,
            column: text[line_start..offset].chars().count() + 1,
            offset,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What the parser found where it expected something else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A character.
    Char(char),
    /// The end of the text.
    EndOfInput,
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Char(c) => write!(f, "{c:?}"),
            Self::EndOfInput => f.write_str("the end of the text"),
        }
    }
}

/// Why a Newick text was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NewickError {
    /// The text holds nothing but whitespace and comments.
    #[error("the Newick text is empty")]
    Empty,
    /// A token the grammar does not allow here.
    #[error("{at}: expected {expected}, found {found}")]
    Unexpected {
        /// Where.
        at: Location,
        /// What the grammar allows here.
        expected: &'static str,
        /// What is there.
        found: Found,
    },
    /// A `(` without its `)`.
    #[error("{at}: this '(' is never closed")]
    UnclosedParen {
        /// The `(`.
        at: Location,
    },
    /// A `)` without its `(`.
    #[error("{at}: this ')' has no matching '('")]
    UnmatchedCloseParen {
        /// The `)`.
        at: Location,
    },
    /// A `'` label without its closing quote.
    #[error("{at}: this quoted label is never closed")]
    UnclosedQuote {
        /// The opening `'`.
        at: Location,
    },
    /// A `[` comment without its `]`.
    #[error("{at}: this '[' comment is never closed")]
    UnclosedComment {
        /// The `[`.
        at: Location,
    },
    /// A `]` outside a comment.
    #[error("{at}: this ']' has no matching '['")]
    UnmatchedCloseBracket {
        /// The `]`.
        at: Location,
    },
    /// A branch length that is not a finite number.
    #[error("{at}: branch length {text:?} is not a finite number")]
    InvalidBranchLength {
        /// Its first character.
        at: Location,
        /// The length as written.
        text: String,
    },
    /// Two nodes with the same name (SILO requires unique names).
    #[error("{at}: node name {name:?} occurs twice")]
    DuplicateName {
        /// The second occurrence.
        at: Location,
        /// The name.
        name: String,
    },
    /// The tree is not terminated by `;`.
    #[error("{at}: expected ';' at the end of the tree")]
    MissingSemicolon {
        /// The end of the text.
        at: Location,
    },
    /// Something other than whitespace or comments after the `;`.
    #[error("{at}: text after the ';' that ends the tree")]
    TrailingInput {
        /// The first such character.
        at: Location,
    },
    /// More than `u32::MAX - 1` nodes, or more than 4 GiB of names.
    #[error("{at}: the tree is too large (at most {} nodes and 4 GiB of names)", u32::MAX - 1)]
    TooLarge {
        /// Where the limit was reached.
        at: Location,
    },
}

/// Why [`PhyloTreeBuilder`](crate::PhyloTreeBuilder) refused a node.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    /// Another node already has this name.
    #[error("node name {0:?} occurs twice")]
    DuplicateName(String),
    /// A branch length that is not a finite number.
    #[error("branch length {0} is not a finite number")]
    InvalidBranchLength(f64),
    /// The parent id does not belong to this builder.
    #[error("node {0} does not exist in this builder")]
    NoSuchNode(u32),
    /// More than `u32::MAX - 1` nodes, or more than 4 GiB of names.
    #[error("the tree is too large (at most {} nodes and 4 GiB of names)", u32::MAX - 1)]
    TooLarge,
}
