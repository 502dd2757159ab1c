//! Any text through every query-language parser a LAPIS request reaches: advancedQuery,
//! variantQuery, nucleotide and amino-acid mutations, insertions. Each must answer a value or
//! an error, never panic, whatever the text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = virion_query::parse_advanced(text);
    let _ = virion_query::parse_variant_query(text);
    let _ = virion_query::mutation::parse(text, false, "nucleotideMutations");
    let _ = virion_query::mutation::parse(text, true, "aminoAcidMutations");
    let _ = virion_query::parse_insertion(text, "nucleotideInsertions");
});
