//! The `virion` binary end to end: real datasets, real files, bad input.

use std::path::Path;
use std::process::{Command, Output};

use virion_testdata::shared_data;

fn virion(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_virion")).args(args).output().expect("virion runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn process_writes_every_output_in_input_order() {
    let Some(data) = shared_data() else { return };
    let dataset = data.join("nextclade/flu-h3n2-ha");
    let tmp = tempfile::tempdir().unwrap();
    let (tsv, ndjson, fasta) =
        (tmp.path().join("o.tsv"), tmp.path().join("o.ndjson"), tmp.path().join("o.fasta"));
    let template = format!("{}/tr/{{cds}}.fasta", tmp.path().display());
    let o = virion(&[
        "process",
        "--dataset",
        s(&dataset),
        "--input",
        s(&dataset.join("sequences.fasta")),
        "--output-tsv",
        s(&tsv),
        "--output-ndjson",
        s(&ndjson),
        "--output-fasta",
        s(&fasta),
        "--output-translations",
        &template,
        "--jobs",
        "2",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let expected: Vec<String> = std::fs::read_to_string(dataset.join("sequences.fasta"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix('>').map(|n| n.trim().to_owned()))
        .collect();
    let table = std::fs::read_to_string(&tsv).unwrap();
    let names: Vec<&str> = table.lines().skip(1).map(|l| l.split('\t').nth(1).unwrap()).collect();
    assert_eq!(names, expected);
    assert!(table.lines().next().unwrap().starts_with("index\tseqName\tclade\t"));
    assert_eq!(std::fs::read_to_string(&ndjson).unwrap().lines().count(), expected.len());
    for line in std::fs::read_to_string(&ndjson).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["qc"]["overallStatus"].is_string());
        // The change context is written where NDJSON is asked for (the hub does not keep it).
        assert!(v["aaChangesGroups"].is_array() && v["nucToAaMuts"].is_object(), "{line:.300}");
    }
    let aligned = std::fs::read_to_string(&fasta).unwrap();
    let ref_len = std::fs::read_to_string(dataset.join("reference.fasta"))
        .unwrap()
        .lines()
        .skip(1)
        .map(str::len)
        .sum::<usize>();
    assert!(aligned.lines().filter(|l| !l.starts_with('>')).all(|l| l.len() == ref_len));
    for cds in ["SigPep", "HA1", "HA2"] {
        let peptides = std::fs::read_to_string(tmp.path().join(format!("tr/{cds}.fasta"))).unwrap();
        assert_eq!(peptides.lines().filter(|l| l.starts_with('>')).count(), expected.len(), "{cds}");
    }
}

#[test]
fn compressed_input_and_failed_sequences_keep_the_batch_going() {
    let Some(data) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let tsv = tmp.path().join("o.tsv");
    // The pangolin test set holds an empty record and records Nextclade cannot align.
    let o = virion(&[
        "process",
        "--dataset",
        s(&data.join("nextclade/sars-cov-2")),
        "--input",
        s(&data.join("sequences/pangolin-test-seqs/test_seqs.fasta")),
        "--output-tsv",
        s(&tsv),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(&tsv).unwrap();
    assert_eq!(table.lines().count(), 13);
    let errors = table.lines().filter(|l| l.ends_with("due to using incorrect reference sequence.")).count();
    assert!(errors >= 3, "{table}");

    let o = virion(&[
        "process",
        "--dataset",
        s(&data.join("nextclade/sars-cov-2")),
        "--input",
        s(&data.join("sequences/nextclade-test-sequences/clades_subsampled.fasta.gz")),
        "--output-tsv",
        s(&tsv),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&tsv).unwrap().lines().count(), 55);
}

#[test]
fn file_level_errors_name_the_file_and_what_to_do() {
    let Some(data) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let csv = tmp.path().join("metadata.csv");
    std::fs::write(&csv, "strain,date\nA,2021-01-01\n").unwrap();
    let dataset = data.join("nextclade/flu-h3n2-ha");
    let out = tmp.path().join("o.tsv");
    let o = virion(&["process", "--dataset", s(&dataset), "--input", s(&csv), "--output-tsv", s(&out)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("metadata.csv:1: not FASTA"), "{}", stderr(&o));

    let o = virion(&["process", "--dataset", s(&dataset), "--input", s(&csv)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("add --output-tsv"), "{}", stderr(&o));

    let o = virion(&["process", "--dataset", s(tmp.path()), "--input", s(&csv), "--output-tsv", s(&out)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("pathogen.json"), "{}", stderr(&o));
}

#[test]
fn dataset_get_from_a_local_server_then_process_with_it() {
    let Some(data) = shared_data() else { return };
    let src = data.join("nextclade/rsv-a");
    let server = tempfile::tempdir().unwrap();
    let (path, tag) = ("nextstrain/rsv/a/EPI_ISL_412866", "2026-04-14--11-55-23Z");
    let version_dir = server.path().join(path).join(tag);
    std::fs::create_dir_all(&version_dir).unwrap();
    let files =
        ["pathogen.json", "reference.fasta", "genome_annotation.gff3", "tree.json", "sequences.fasta"];
    for f in files {
        std::fs::copy(src.join(f), version_dir.join(f)).unwrap();
    }
    let index = serde_json::json!({"schemaVersion": "3.0.0", "collections": [{"meta": {"id": "t"}, "datasets": [{
        "path": path, "shortcuts": ["rsv_a"],
        "files": {"pathogenJson": "pathogen.json", "reference": "reference.fasta",
                  "genomeAnnotation": "genome_annotation.gff3", "treeJson": "tree.json", "examples": "sequences.fasta"},
        "versions": [{"tag": tag}], "version": {"tag": tag}}]}]});
    std::fs::write(server.path().join("index.json"), index.to_string()).unwrap();

    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("rsv");
    let o =
        virion(&["dataset", "get", "--server", s(server.path()), "--name", "rsv_a", "--output-dir", s(&dir)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = virion(&["dataset", "list", "--server", s(server.path())]);
    assert!(String::from_utf8_lossy(&o.stdout).contains(path));

    let tsv = out.path().join("o.tsv");
    let input = dir.join("sequences.fasta");
    let o = virion(&["process", "--dataset", s(&dir), "--input", s(&input), "--output-tsv", s(&tsv)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&tsv).unwrap().lines().count(), 33);

    let o =
        virion(&["dataset", "get", "--server", s(server.path()), "--name", "rsv-b", "--output-dir", s(&dir)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
}

#[test]
fn duplicate_names_are_flagged_and_still_processed() {
    let Some(data) = shared_data() else { return };
    let dataset = data.join("nextclade/flu-h3n2-ha");
    let text = std::fs::read_to_string(dataset.join("sequences.fasta")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().to_owned();
    let body: Vec<&str> = lines.take_while(|l| !l.starts_with('>')).collect();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("dup.fasta");
    // Twice the same record, the second time with CRLF line ends and lowercase letters.
    let again = format!("{header}\r\n{}\r\n", body.join("\r\n").to_lowercase());
    std::fs::write(&input, format!("{header}\n{}\n{again}", body.join("\n"))).unwrap();
    let tsv = tmp.path().join("o.tsv");
    let o = virion(&["process", "--dataset", s(&dataset), "--input", s(&input), "--output-tsv", s(&tsv)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(&tsv).unwrap();
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 2);
    assert!(!rows[0].contains("duplicate sequence name"));
    assert!(rows[1].contains("duplicate sequence name: record #1 (line"), "{}", rows[1]);
    // Same genome, same calls, whatever the case and line ends.
    let subs = |row: &str| row.split('\t').nth(21).unwrap().to_owned();
    assert_eq!(subs(rows[0]), subs(rows[1]));
}

#[test]
fn reverse_complemented_input_is_recovered_on_request() {
    let Some(data) = shared_data() else { return };
    let dataset = data.join("nextclade/flu-h3n2-ha");
    let text = std::fs::read_to_string(dataset.join("sequences.fasta")).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let seq: String = lines.take_while(|l| !l.starts_with('>')).collect();
    let rc: String = seq
        .chars()
        .rev()
        .map(|c| match c.to_ascii_uppercase() {
            'A' => 'T',
            'C' => 'G',
            'G' => 'C',
            'T' => 'A',
            other => other,
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("rc.fasta");
    std::fs::write(&input, format!("{header}\n{seq}\n{header} rc\n{rc}\n")).unwrap();
    let tsv = tmp.path().join("o.tsv");
    let args = ["process", "--dataset", s(&dataset), "--input", s(&input), "--output-tsv", s(&tsv)];
    let o = virion(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(&tsv).unwrap();
    assert!(table.lines().nth(2).unwrap().contains("Unable to align"), "without the flag the copy fails");

    let mut with_flag = args.to_vec();
    with_flag.push("--retry-reverse-complement");
    let o = virion(&with_flag);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(&tsv).unwrap();
    let header_row: Vec<&str> = table.lines().next().unwrap().split('\t').collect();
    let col = |row: &str, name: &str| {
        row.split('\t').nth(header_row.iter().position(|h| *h == name).unwrap()).unwrap().to_owned()
    };
    let (fwd, rev) = (table.lines().nth(1).unwrap(), table.lines().nth(2).unwrap());
    assert_eq!(col(rev, "isReverseComplement"), "true");
    assert_eq!(col(fwd, "substitutions"), col(rev, "substitutions"));
    assert_eq!(col(fwd, "aaSubstitutions"), col(rev, "aaSubstitutions"));
}

#[test]
fn sort_and_dataset_auto_find_each_sequences_dataset() {
    let Some(data) = shared_data() else { return };
    let datasets = data.join("nextclade");
    let tmp = tempfile::tempdir().unwrap();
    // RSV-A examples, then mpox ones: `virion sort` names each one's dataset.
    let mixed = tmp.path().join("mixed.fasta");
    let rsv = std::fs::read_to_string(datasets.join("rsv-a/sequences.fasta")).unwrap();
    let mpox = std::fs::read_to_string(datasets.join("mpox-clade-iib/sequences.fasta")).unwrap();
    std::fs::write(&mixed, format!("{rsv}\n{mpox}\n>not-a-virus\nACGTACGTACGTACGTACGTACGTACGTACGT\n"))
        .unwrap();
    let out = tmp.path().join("sort.tsv");
    let o = virion(&["sort", "--input", s(&mixed), "--datasets-dir", s(&datasets), "--output-tsv", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = std::fs::read_to_string(&out).unwrap();
    let mut lines = table.lines();
    assert_eq!(lines.next(), Some("index\tseqName\tdataset\tscore\tnumHits"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    let n_rsv = rsv.matches('>').count();
    let n_mpox = mpox.matches('>').count();
    assert_eq!(rows.iter().filter(|r| r[2] == "rsv-a").count(), n_rsv, "{table}");
    assert_eq!(rows.iter().filter(|r| r[2] == "mpox-clade-iib").count(), n_mpox, "{table}");
    let last = rows.last().unwrap();
    assert_eq!((last[1], last[2]), ("not-a-virus", ""), "an unmatched record gets an empty row");
    assert!(stderr(&o).contains("1 matched none"), "{}", stderr(&o));

    // --dataset auto picks mpox for mpox genomes and processes them with it.
    let tsv = tmp.path().join("auto.tsv");
    let process_auto = |input: &Path| {
        virion(&[
            "process",
            "--dataset",
            "auto",
            "--datasets-dir",
            s(&datasets),
            "--input",
            s(input),
            "--output-tsv",
            s(&tsv),
        ])
    };
    let o = process_auto(&datasets.join("mpox-clade-iib/sequences.fasta"));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("--dataset auto: mpox-clade-iib"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&tsv).unwrap().lines().count(), n_mpox + 1);

    // Nothing to match: a clear error saying what to do.
    let junk = tmp.path().join("junk.fasta");
    std::fs::write(&junk, ">x\nACGTACGTACGTACGTACGTACGTACGTACGTACGT\n").unwrap();
    let o = process_auto(&junk);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("matches a dataset in") && stderr(&o).contains("virion dataset get"),
        "{}",
        stderr(&o)
    );
}
