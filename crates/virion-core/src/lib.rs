//! Alphabets, typed coordinates and mutation types shared by every Virion crate.
//!
//! Coordinates are 0-based and half-open everywhere inside Virion; they become 1-based only when
//! printed (`C241T` is 0-based position 240). Each coordinate space has its own type so that a
//! reference position can never be used where an alignment column or a codon index is meant.

pub mod alphabet;
pub mod coord;
pub mod letter;
pub mod mutation;

pub use alphabet::{Aa, Nuc};
pub use coord::{AaPos, AaRange, AlnPos, NucRange, NucRefPos};
pub use letter::Letter;
pub use mutation::{AaDel, AaSub, CdsRange, Insertion, NucDelRange, NucSub, SymbolRange};
