//! Turns one genome into its Analysis: calls, translation, placement and QC.
