//! Seed, band and banded pairwise alignment of a genome or peptide to its reference.
