//! Translates each CDS of an aligned genome and finds its amino-acid changes.
