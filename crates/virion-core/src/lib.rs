//! Alphabets, typed coordinates and mutation types shared by every Virion crate.
//!
//! Coordinates are 0-based and half-open everywhere inside Virion; they become 1-based only when
//! printed (`C241T` is 0-based position 240). Each coordinate space has its own type so that a
//! reference position can never be used where an alignment column or a codon index is meant.

mod alphabet;
mod coord;
mod letter;
mod mutation;
mod segments;

pub use alphabet::{Aa, InvalidLetter, Nuc, aa_to_string, aas_from_str, nuc_to_string, nucs_from_str};
pub use coord::{AaPos, AaRange, AlnPos, NucRange, NucRefPos, Range};
pub use letter::Letter;
pub use mutation::{AaDel, AaSub, CdsRange, Insertion, NucDelRange, NucSub, SymbolRange};
pub use segments::{SegmentedSequence, SegmentsError};
