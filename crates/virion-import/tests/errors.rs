//! Bad inputs: each gives one clear error naming the file, the line and the field, never a
//! panic; the records before it are still handed out.

mod common;

use base64::Engine as _;
use common::{MAIN, compress, data, first_error, loculus_line, read_all, schema, silo_line};
use serde_json::{Value as Json, json};
use virion_import::{ImportError, Importer};

/// The error for a SILO line changed by `edit`, the line preceded by one good line.
fn silo_error(edit: impl FnOnce(&mut Json)) -> String {
    let mut bad = silo_line();
    bad["accession"] = json!("s2");
    edit(&mut bad);
    first_error(&Importer::silo(schema()), &format!("{}\n{bad}\n", silo_line()))
}

fn loculus_error(edit: impl FnOnce(&mut Json)) -> String {
    let mut bad = loculus_line();
    bad["metadata"]["accession"] = json!("s2");
    edit(&mut bad);
    first_error(&Importer::loculus(schema()), &format!("{}\n{bad}\n", loculus_line()))
}

fn expect(message: String, want: &str) {
    assert_eq!(message, format!("input.ndjson line 2: {want}"));
}

#[test]
fn the_good_lines_are_good() {
    let records = read_all(&Importer::silo(schema()), silo_line().to_string().into_bytes(), "x").unwrap();
    assert_eq!(records.len(), 1);
    let records =
        read_all(&Importer::loculus(schema()), loculus_line().to_string().into_bytes(), "x").unwrap();
    assert_eq!(records.len(), 1);
}

#[test]
fn metadata_values_of_the_wrong_type() {
    expect(
        silo_error(|l| l["date"] = json!("2021-13-45")),
        r#"field "date": "2021-13-45" is not a date YYYY-MM-DD"#,
    );
    expect(
        silo_error(|l| l["date"] = json!(20210318)),
        r#"field "date": 20210318 is not a date string YYYY-MM-DD"#,
    );
    expect(silo_error(|l| l["age"] = json!("5")), r#"field "age": "5" is not a whole number"#);
    expect(silo_error(|l| l["age"] = json!(1.5)), r#"field "age": 1.5 is not a whole number"#);
    expect(
        silo_error(|l| l["age"] = json!(2_147_483_648i64)),
        r#"field "age": 2147483648 does not fit a 32-bit integer"#,
    );
    expect(
        silo_error(|l| l["reads"] = json!(u64::MAX)),
        r#"field "reads": 18446744073709551615 does not fit a 64-bit integer"#,
    );
    expect(silo_error(|l| l["qcScore"] = json!("high")), r#"field "qcScore": "high" is not a number"#);
    expect(
        silo_error(|l| l["isComplete"] = json!("yes")),
        r#"field "isComplete": "yes" is not true or false"#,
    );
    expect(silo_error(|l| l["country"] = json!(["CH"])), r#"field "country": ["CH"] is not a string"#);
    expect(
        silo_error(|l| l["accession"] = json!(null)),
        r#"field "accession" is null, but it is the primary key and every record needs one"#,
    );
    expect(
        loculus_error(|l| l["metadata"]["accession"] = json!(null)),
        r#"field "metadata.accession" is null, but it is the primary key and every record needs one"#,
    );
    expect(
        loculus_error(|l| l["metadata"]["date"] = json!("2021-02-29")),
        r#"field "metadata.date": "2021-02-29" is not a date YYYY-MM-DD"#,
    );
}

#[test]
fn missing_and_repeated_columns() {
    expect(silo_error(|l| _ = l.as_object_mut().unwrap().remove("country")), r#"field "country" is missing"#);
    expect(silo_error(|l| _ = l.as_object_mut().unwrap().remove("S")), r#"field "S" is missing"#);
    let repeated =
        silo_line().to_string().replacen("\"country\":\"CH\"", "\"country\":\"CH\",\"country\":\"DE\"", 1);
    assert_eq!(
        first_error(&Importer::silo(schema()), &repeated),
        r#"input.ndjson line 1: field "country": appears twice in the line"#
    );
    expect(
        loculus_error(|l| _ = l["metadata"].as_object_mut().unwrap().remove("age")),
        r#"field "metadata.age" is missing"#,
    );
    expect(
        loculus_error(|l| _ = l.as_object_mut().unwrap().remove("alignedAminoAcidSequences")),
        r#"field "alignedAminoAcidSequences.S" is missing"#,
    );
    expect(
        loculus_error(|l| l["alignedNucleotideSequences"] = json!("ACGT")),
        r#"field "alignedNucleotideSequences": "ACGT" is not an object"#,
    );
}

#[test]
fn duplicate_primary_keys() {
    let line = silo_line().to_string();
    let mut other = silo_line();
    other["accession"] = json!("s9");
    let text = format!("{line}\n{other}\n\n{line}\n");
    assert_eq!(
        first_error(&Importer::silo(schema()), &text),
        r#"input.ndjson line 4: primary key "s1" already appeared on line 1"#
    );
}

#[test]
fn sequences_of_the_wrong_length_or_letters() {
    expect(
        silo_error(|l| l["main"]["sequence"] = json!(format!("{MAIN}A"))),
        r#"field "main": segment "main" has 31 letters, the reference has 30"#,
    );
    expect(
        silo_error(|l| l["main"] = json!({"sequence": "ACGTACGTAC", "offset": 21, "insertions": []})),
        r#"field "main": segment "main" has 10 letters from offset 21, the reference has 30"#,
    );
    expect(
        silo_error(|l| l["S"]["sequence"] = json!("MFVFLVLLPLQ")),
        r#"field "S": gene "S" has 11 letters, the reference has 10"#,
    );
    expect(
        silo_error(|l| l["main"]["sequence"] = json!(format!("AJ{}", &MAIN[2..]))),
        r#"field "main": letter 'J' at position 2 is not a nucleotide symbol"#,
    );
    expect(
        silo_error(|l| l["S"]["sequence"] = json!("MFVFLVL1PL")),
        r#"field "S": letter '1' at position 8 is not an amino-acid symbol"#,
    );
    expect(
        silo_error(|l| l["main"]["offset"] = json!(-1)),
        r#"field "main": -1 is not a whole number from 0"#,
    );
    expect(
        loculus_error(|l| l["alignedNucleotideSequences"]["main"] = json!(format!("{MAIN}AC"))),
        r#"field "alignedNucleotideSequences.main": segment "main" has 32 letters, the reference has 30"#,
    );
    expect(
        loculus_error(|l| l["alignedAminoAcidSequences"]["S"] = json!("MFVFLVLLPé")),
        r#"field "alignedAminoAcidSequences.S": letter 'é' at position 10 is not an amino-acid symbol"#,
    );
}

#[test]
fn bad_sequence_objects() {
    expect(
        silo_error(|l| l["main"] = json!({"seq": MAIN, "insertions": []})),
        r#"field "main": has neither sequence nor sequenceCompressed"#,
    );
    expect(
        silo_error(|l| l["main"] = json!(MAIN)),
        &format!(r#"field "main": "{MAIN}" is not a sequence object or null"#),
    );
    expect(
        silo_error(|l| l["main"] = json!({"insertions": []})),
        r#"field "main": has neither sequence nor sequenceCompressed"#,
    );
    expect(
        silo_error(|l| l["main"]["insertions"] = json!("10:A")),
        r#"field "main": "10:A" is not a list of "position:symbols" strings"#,
    );
}

#[test]
fn bad_insertions() {
    let with = |ins: &str| silo_error(|l| l["main"]["insertions"] = json!([ins]));
    expect(
        with("31:A"),
        r#"field "main": insertion "31:A": position 31 lies beyond the reference's end (30)"#,
    );
    expect(with("x:A"), r#"field "main": insertion "x:A": "x" is not a position (a whole number from 0)"#);
    expect(with("-1:A"), r#"field "main": insertion "-1:A": "-1" is not a position (a whole number from 0)"#);
    expect(with("5:"), r#"field "main": insertion "5:": no inserted symbols"#);
    expect(with("5"), r#"field "main": insertion "5": expected position:symbols"#);
    expect(with("5:AJ"), r#"field "main": insertion "5:AJ": 'J' is not a nucleotide symbol"#);
    expect(
        loculus_error(|l| l["aminoAcidInsertions"]["S"] = json!(["214:EPE"])),
        r#"field "aminoAcidInsertions.S": insertion "214:EPE": position 214 lies beyond the reference's end (10)"#,
    );
}

#[test]
fn bad_compressed_sequences() {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let with = |value: String| {
        silo_error(move |l| l["main"] = json!({"sequenceCompressed": value, "insertions": []}))
    };
    assert!(
        with("not base64!".into())
            .ends_with(r#"field "main": sequenceCompressed: not valid base64: Invalid symbol 32, offset 3."#)
    );
    let e = with(b64(b"plain text, not zstd"));
    assert!(e.contains("not a zstd frame compressed with the reference as dictionary"), "{e}");
    let too_long = zstd::bulk::compress(format!("{MAIN}A").as_bytes(), 3).unwrap();
    expect(
        with(b64(&too_long)),
        r#"field "main": sequenceCompressed: decompresses to more letters than the reference has (30)"#,
    );
    let binary = zstd::bulk::compress(&[0xff, 0xfe], 3).unwrap();
    expect(
        with(b64(&binary)),
        r#"field "main": sequenceCompressed: decompresses to bytes that are not text"#,
    );
}

#[test]
fn lines_that_are_not_json_objects() {
    let importer = Importer::silo(schema());
    let good = silo_line().to_string();
    for (line, want) in [
        ("[1, 2]", "expected a JSON object, found an array"),
        ("\"text\"", "expected a JSON object, found a string"),
        ("42", "expected a JSON object, found a number"),
        ("null", "expected a JSON object, found null"),
        ("hello", "expected a JSON object, found something else"),
    ] {
        assert_eq!(
            first_error(&importer, &format!("{good}\n{line}\n")),
            format!("input.ndjson line 2: {want}")
        );
    }
    let e = first_error(&importer, &format!("{good}\n{}\n", &good[..good.len() / 2]));
    assert!(e.starts_with("input.ndjson line 2: not valid JSON: EOF while parsing"), "{e}");
    let e = first_error(&Importer::loculus(schema()), "{\"metadata\": 5}");
    assert_eq!(e, r#"input.ndjson line 1: field "metadata": 5 is not an object"#);
}

#[test]
fn invalid_utf8_is_named_with_its_byte() {
    let importer = Importer::silo(schema());
    let mut input = silo_line().to_string().into_bytes();
    input.push(b'\n');
    let mut bad = silo_line().to_string().replace("\"CH\"", "\"C?\"").into_bytes();
    let at = bad.iter().position(|&b| b == b'?').unwrap();
    bad[at] = 0xff;
    input.extend(&bad);
    let e = read_all(&importer, input, "input.ndjson").unwrap_err();
    assert_eq!(e.to_string(), format!("input.ndjson line 2: not valid UTF-8 (byte {at} of the line)"));
}

#[test]
fn the_records_before_an_error_are_handed_out() {
    let importer = Importer::silo(schema()).with_options(common::small_batches());
    let mut text = String::new();
    for i in 0..20 {
        let mut line = silo_line();
        line["accession"] = json!(format!("s{i}"));
        if i == 13 {
            line["age"] = json!("old");
        }
        text.push_str(&format!("{line}\n"));
    }
    let results: Vec<_> =
        importer.read(std::io::Cursor::new(text.into_bytes()), "input.ndjson").unwrap().collect();
    assert_eq!(results.len(), 14, "13 records, then the error, then nothing");
    assert!(results[..13].iter().all(Result::is_ok));
    let e = results[13].as_ref().unwrap_err();
    assert_eq!(e.line(), Some(14));
    assert!(matches!(e, ImportError::Line { .. }));
}

#[test]
fn truncated_compressed_input_is_an_error() {
    let importer = Importer::silo(schema());
    let plain = std::fs::read(data("silo.ndjson")).unwrap();
    // Enough lines that the cut lands well inside the data, wherever the format puts its end.
    let mut big = Vec::new();
    for i in 0..200 {
        let mut line = silo_line();
        line["accession"] = json!(format!("t{i}"));
        big.extend(format!("{line}\n").into_bytes());
    }
    big.extend(&plain);
    for format in [niffler::Format::Gzip, niffler::Format::Zstd, niffler::Format::Lzma, niffler::Format::Bzip]
    {
        let mut packed = compress(&big, format);
        packed.truncate(packed.len() * 2 / 3);
        let e = read_all(&importer, packed, "cut.ndjson.gz").expect_err(&format!("{format:?}"));
        let message = e.to_string();
        assert!(message.starts_with("cut.ndjson.gz"), "{format:?}: {message}");
        assert!(matches!(e, ImportError::Read { .. } | ImportError::Line { .. }), "{format:?}: {message}");
    }
}

#[test]
fn a_missing_file_or_an_unknown_compression() {
    let importer = Importer::silo(schema());
    let e = importer.open(&data("no-such-file.ndjson")).unwrap_err();
    assert!(
        e.to_string().starts_with("cannot open ") && e.to_string().contains("no-such-file.ndjson"),
        "{e}"
    );
    assert_eq!(e.line(), None);
}

/// A Nextclade result is read as one typed record: a field of the wrong shape is named by its
/// path in the record, a change outside the reference by the record's name.
#[test]
fn nextclade_results_of_the_wrong_shape() {
    let layout = virion_ingest::SequenceLayout {
        segment_name: "main".into(),
        reference: b"ACGTACGTAC".to_vec(),
        genes: vec![],
    };
    let importer = Importer::nextclade(layout);
    let good = json!({"seqName": "a", "alignmentRange": {"begin": 0, "end": 10},
        "substitutions": [{"pos": 1, "refNuc": "C", "qryNuc": "T"}], "insertions": [{"pos": 4, "ins": "GG"}]});
    let error = |edit: fn(&mut Json)| {
        let mut bad = good.clone();
        bad["seqName"] = json!("b");
        edit(&mut bad);
        first_error(&importer, &format!("{good}\n{bad}\n"))
    };
    expect(
        error(|l| l["insertions"][0]["pos"] = json!("4")),
        r#"field "insertions[0].pos": invalid type: string "4", expected i64"#,
    );
    expect(
        error(|l| l["substitutions"][0]["qryNuc"] = json!("J")),
        r#"field "substitutions[0].qryNuc": unknown variant `J`, expected one of `A`, `C`, `G`, `T`, `R`, `Y`, `S`, `W`, `K`, `M`, `B`, `D`, `H`, `V`, `N`, `-`"#,
    );
    expect(
        error(|l| l["seqName"] = json!(null)),
        r#"field "seqName" is null, but it is the primary key and every record needs one"#,
    );
    expect(
        error(|l| l["substitutions"][0]["pos"] = json!(10)),
        "record b: field substitutions: range outside the reference",
    );
    expect(
        error(|l| l["insertions"][0]["pos"] = json!(10)),
        r#"field "insertions": insertion "10:GG": position 11 lies beyond the reference's end (10)"#,
    );
}
