//! Loads and checks a pathogen dataset in the Nextclade v3 layout.
