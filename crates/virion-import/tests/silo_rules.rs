//! A record SILO would accept loads: Virion refuses only what SILO refuses. Each case is a
//! line SILO's inserter takes (`src/silo/storage/column_group.cpp`,
//! `src/silo/storage/column/sequence_column.cpp`) that an earlier, stricter Virion refused.

mod common;

use common::{MAIN, loculus_line, read_all, schema, silo_line};
use serde_json::{Value as Json, json};
use virion_import::{ImportRecord, Importer};

fn one(importer: &Importer, line: &Json) -> ImportRecord {
    let mut records = read_all(importer, line.to_string().into_bytes(), "input.ndjson")
        .unwrap_or_else(|e| panic!("SILO accepts this line, so must Virion: {e}"));
    assert_eq!(records.len(), 1);
    records.remove(0)
}

#[test]
fn an_unaligned_sequence_is_any_string_kept_as_it_is() {
    // SILO compresses the string of an unaligned column without looking at its letters, and
    // LAPIS hands it back unchanged: no check, no upper-casing, no U for T.
    for odd in ["ACGT.", "acgu", "NNNN-??-xyz 12", "Ω→é", "a\"b\\c\td"] {
        let mut silo = silo_line();
        silo["unaligned_main"] = json!(odd);
        let record = one(&Importer::silo(schema()), &silo);
        assert_eq!(record.unaligned_nucleotides, [Some(odd.as_bytes().to_vec())], "{odd:?}");

        let mut loculus = loculus_line();
        loculus["unalignedNucleotideSequences"]["main"] = json!(odd);
        let record = one(&Importer::loculus(schema()), &loculus);
        assert_eq!(record.unaligned_nucleotides, [Some(odd.as_bytes().to_vec())], "{odd:?}");
    }
    // Empty and null both stay no sequence.
    let mut silo = silo_line();
    silo["unaligned_main"] = json!("");
    assert_eq!(one(&Importer::silo(schema()), &silo).unaligned_nucleotides, [None]);
}

#[test]
fn an_aligned_sequence_shorter_than_the_reference_covers_its_start() {
    // SILO refuses only a sequence that runs past the reference's end; a shorter one, without
    // an offset, covers positions 1..=len and the rest is missing.
    let mut silo = silo_line();
    silo["main"]["sequence"] = json!(&MAIN[..10]);
    silo["S"]["sequence"] = json!("mfv");
    let record = one(&Importer::silo(schema()), &silo);
    assert_eq!(record.aligned_nucleotides, [Some(format!("{}{}", &MAIN[..10], "N".repeat(20)).into_bytes())]);
    assert_eq!(record.aligned_amino_acids[0], Some(b"MFVXXXXXXX".to_vec()));

    let mut loculus = loculus_line();
    loculus["alignedNucleotideSequences"]["main"] = json!(&MAIN[..29]);
    let record = one(&Importer::loculus(schema()), &loculus);
    assert_eq!(record.aligned_nucleotides, [Some(format!("{}N", &MAIN[..29]).into_bytes())]);
}

#[test]
fn other_keys_of_a_sequence_object_are_warnings() {
    // SILO looks up sequence, sequenceCompressed, offset and insertions by name and never sees
    // anything else in the object.
    let mut silo = silo_line();
    silo["main"]["note"] = json!("from run 7");
    silo["S"]["qc"] = json!({"score": 1});
    let importer = Importer::silo(schema());
    let mut reader = importer.read(std::io::Cursor::new(silo.to_string().into_bytes()), "in.ndjson").unwrap();
    let record = reader.next().unwrap().unwrap();
    assert!(reader.next().is_none());
    assert_eq!(record.aligned_nucleotides, [Some(MAIN.as_bytes().to_vec())]);
    let unknown: Vec<&str> = reader.unknown_keys().0.keys().map(String::as_str).collect();
    assert_eq!(unknown, ["S.qc", "main.note"]);
}

#[test]
fn sequence_compressed_wins_over_sequence_as_in_silo() {
    // SILO tries sequenceCompressed first and reads sequence only when it is absent.
    let schema = schema();
    let reference = schema.segments[0].1.as_slice();
    let other = MAIN.replace("ATTA", "GGGG");
    let packed =
        zstd::bulk::Compressor::with_dictionary(3, reference).unwrap().compress(other.as_bytes()).unwrap();
    use base64::Engine as _;
    let mut silo = silo_line();
    silo["main"] = json!({
        "sequence": MAIN,
        "sequenceCompressed": base64::engine::general_purpose::STANDARD.encode(packed),
        "insertions": [],
    });
    let record = one(&Importer::silo(schema), &silo);
    assert_eq!(record.aligned_nucleotides, [Some(other.into_bytes())]);
}
