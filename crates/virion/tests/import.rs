//! `virion import` end to end: generated SILO input and Nextclade's own NDJSON output are
//! imported, then the real `virion serve` on the same data directory answers LAPIS queries
//! that agree with counts taken straight from the input files.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;
use virion_testdata::shared_data;

const BIN: &str = env!("CARGO_BIN_EXE_virion");

fn virion(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("virion runs")
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ndjson_zst(path: &Path) -> Vec<Value> {
    let mut text = String::new();
    zstd::Decoder::new(std::fs::File::open(path).unwrap()).unwrap().read_to_string(&mut text).unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// `virion serve` on `data_dir`, killed on drop.
struct Serve(Child, String);

impl Serve {
    fn start(data_dir: &Path, datasets: &Path) -> Serve {
        let log = std::fs::File::create(data_dir.join("serve.log")).unwrap();
        let mut child = Command::new(BIN)
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1", "--data-dir", s(data_dir)])
            .args(["--dataset-dir", s(datasets)])
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let address = line.trim().rsplit("http://").next().unwrap().to_owned();
        assert!(!address.is_empty(), "virion serve did not start: {}", data_dir.join("serve.log").display());
        Serve(child, format!("http://{address}"))
    }

    fn get(&self, path: &str) -> Value {
        let mut r = ureq::get(format!("{}{path}", self.1)).call().unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
    }

    fn count(&self, path: &str) -> u64 {
        let v = self.get(path);
        v["data"][0]["count"].as_u64().unwrap_or_else(|| panic!("{path}: {v}"))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn imported_collections_answer_like_their_input() {
    let Some(shared) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let generated = tmp.path().join("generated");
    let data_dir = tmp.path().join("data");
    let o = virion(&[
        "bench",
        "generate",
        "--organism",
        "sars-cov-2",
        "--dataset-dir",
        s(&shared.join("nextclade")),
        "--pango-aliases",
        s(&shared.join("pango/alias_key.json")),
        "--sequences",
        "400",
        "--seed",
        "3",
        "--output",
        s(&generated),
        "--no-mutations",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // SILO's flat layout with its schema files, as an existing LAPIS instance holds it; the
    // accession is the tree field of a hand-drawn Newick tree over four of the genomes.
    let config = generated.join("database_config.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    let tree_field = "  - name: accession\n    type: string\n";
    assert!(text.contains(tree_field), "{text}");
    std::fs::write(&config, text.replace(tree_field, &format!("{tree_field}    isPhyloTreeField: true\n")))
        .unwrap();
    let tree = generated.join("tree.nwk");
    std::fs::write(&tree, "((SYN0000001,SYN0000002)X,(SYN0000003,SYN0000004)Y)root;").unwrap();
    let o = virion(&[
        "import",
        "--organism",
        "synth",
        "--input",
        s(&generated.join("silo.ndjson.zst")),
        "--silo-config",
        s(&config),
        "--reference-genomes",
        s(&generated.join("reference_genomes.json")),
        "--phylo-tree",
        s(&tree),
        "--data-dir",
        s(&data_dir),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Nextclade's own output for real genomes.
    let nextclade_out = shared.join("nextclade-out/ncov-open-example/nextclade.ndjson.zst");
    let o = virion(&[
        "import",
        "--organism",
        "open-example",
        "--input",
        s(&nextclade_out),
        "--dataset",
        s(&shared.join("nextclade/sars-cov-2")),
        "--data-dir",
        s(&data_dir),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let silo = ndjson_zst(&generated.join("silo.ndjson.zst"));
    let nextclade = ndjson_zst(&nextclade_out);
    let references: Value =
        serde_json::from_str(&std::fs::read_to_string(generated.join("reference_genomes.json")).unwrap())
            .unwrap();
    let reference = references["nucleotideSequences"][0]["sequence"].as_str().unwrap().as_bytes();

    let serve = Serve::start(&data_dir, &shared.join("nextclade"));
    // SILO layout: totals, grouped counts, a substitution, a lineage with its sublineages.
    assert_eq!(serve.count("/synth/sample/aggregated"), silo.len() as u64);
    let mut by_country: BTreeMap<String, u64> = BTreeMap::new();
    for r in &silo {
        *by_country.entry(r["country"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let grouped = serve.get("/synth/sample/aggregated?fields=country");
    let got: BTreeMap<String, u64> = grouped["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["country"].as_str().unwrap().to_owned(), r["count"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, by_country);
    let first = silo[0]["main"]["sequence"].as_str().unwrap().as_bytes();
    let pos = (0..reference.len()).find(|&i| first[i] != reference[i] && first[i] != b'N').unwrap();
    let carriers =
        silo.iter().filter(|r| r["main"]["sequence"].as_str().unwrap().as_bytes()[pos] == first[pos]).count();
    let mutation = format!("{}{}{}", reference[pos] as char, pos + 1, first[pos] as char);
    assert_eq!(
        serve.count(&format!("/synth/sample/aggregated?nucleotideMutations={mutation}")),
        carriers as u64
    );
    let lineage = silo[0]["pangoLineage"].as_str().unwrap();
    let exact = silo.iter().filter(|r| r["pangoLineage"] == lineage).count() as u64;
    assert_eq!(serve.count(&format!("/synth/sample/aggregated?pangoLineage={lineage}")), exact);
    assert!(serve.count(&format!("/synth/sample/aggregated?pangoLineage={lineage}*")) >= exact);
    // Phylogenetic queries over the imported tree.
    assert_eq!(serve.count("/synth/sample/aggregated?accession.phyloDescendantOf=Y"), 2);
    let mrca = serve
        .get("/synth/sample/mostRecentCommonAncestor?phyloTreeField=accession&accession.phyloDescendantOf=X");
    assert_eq!(mrca["data"][0]["mrcaNode"], "X", "{mrca}");
    let all = serve.get("/synth/sample/mostRecentCommonAncestor?phyloTreeField=accession");
    assert_eq!(
        (all["data"][0]["mrcaNode"].as_str(), all["data"][0]["missingNodeCount"].as_u64()),
        (Some("root"), Some(396)),
        "{all}"
    );

    // An imported collection's download packs as an RO-Crate too: its records are the
    // collection's own keys.
    let url =
        format!("{}/synth/sample/details?dataFormat=tsv&pangoLineage={lineage}&package=ro-crate", serve.1);
    let mut response = ureq::get(url).call().unwrap();
    let mut zip_bytes = Vec::new();
    std::io::Read::read_to_end(&mut response.body_mut().as_reader(), &mut zip_bytes).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).unwrap();
    let mut listed = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("accessions.txt").unwrap(), &mut listed).unwrap();
    let expected: Vec<&str> = silo
        .iter()
        .filter(|r| r["pangoLineage"] == lineage)
        .map(|r| r["accession"].as_str().unwrap())
        .collect();
    let mut got: Vec<&str> = listed.lines().collect();
    got.sort_unstable();
    let mut expected = expected;
    expected.sort_unstable();
    assert_eq!(got, expected);

    // The config as the instance wrote it, every key kept.
    let info = serve.get("/synth/sample/databaseConfig");
    let written: serde_json::Value =
        yaml_serde::from_str(&std::fs::read_to_string(generated.join("database_config.yaml")).unwrap())
            .unwrap();
    assert_eq!(info, written);

    // Nextclade layout: every record, clades, and a substitution's carriers.
    assert_eq!(serve.count("/open-example/sample/aggregated"), nextclade.len() as u64);
    let mut by_clade: BTreeMap<String, u64> = BTreeMap::new();
    for r in &nextclade {
        if let Some(c) = r["clade"].as_str() {
            *by_clade.entry(c.to_owned()).or_default() += 1;
        }
    }
    let (clade, n) = by_clade.iter().next().unwrap();
    assert_eq!(serve.count(&format!("/open-example/sample/aggregated?nextcladeClade={clade}")), *n);
    let sub = nextclade
        .iter()
        .find_map(|r| r["substitutions"].as_array().and_then(|s| s.first().cloned()))
        .unwrap();
    let carriers = nextclade
        .iter()
        .filter(|r| {
            r["substitutions"]
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x["pos"] == sub["pos"] && x["qryNuc"] == sub["qryNuc"]))
        })
        .count() as u64;
    let mutation = format!(
        "{}{}{}",
        sub["refNuc"].as_str().unwrap(),
        sub["pos"].as_u64().unwrap() + 1,
        sub["qryNuc"].as_str().unwrap()
    );
    assert_eq!(
        serve.count(&format!("/open-example/sample/aggregated?nucleotideMutations={mutation}")),
        carriers
    );
    drop(serve);

    // Importing over a hub organism is refused, and says what to do instead.
    let o = virion(&[
        "import",
        "--organism",
        "sars-cov-2",
        "--input",
        s(&nextclade_out),
        "--dataset",
        s(&shared.join("nextclade/sars-cov-2")),
        "--data-dir",
        s(&data_dir),
    ]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("sars-cov-2-imported"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn broken_input_names_file_and_line_and_keeps_what_was_imported() {
    let Some(shared) = shared_data() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("data");
    let dataset = shared.join("nextclade/sars-cov-2");
    let good = tmp.path().join("good.ndjson");
    let mut text = String::new();
    zstd::Decoder::new(
        std::fs::File::open(shared.join("nextclade-out/ncov-open-example/nextclade.ndjson.zst")).unwrap(),
    )
    .unwrap()
    .read_to_string(&mut text)
    .unwrap();
    let lines: Vec<&str> = text.lines().take(5).collect();
    std::fs::write(&good, lines.join("\n") + "\n").unwrap();
    let import = |input: &Path| {
        virion(&[
            "import",
            "--organism",
            "lab",
            "--input",
            s(input),
            "--dataset",
            s(&dataset),
            "--data-dir",
            s(&data_dir),
        ])
    };
    let o = import(&good);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let vix = data_dir.join("index/lab.vix");
    let before = std::fs::read(&vix).unwrap();

    // A truncated record on line 3.
    let bad = tmp.path().join("bad.ndjson");
    std::fs::write(&bad, format!("{}\n{}\n{}\n", lines[0], lines[1], &lines[2][..lines[2].len() / 2]))
        .unwrap();
    let o = import(&bad);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.ndjson") && err.contains("line 3"), "{err}");
    assert_eq!(std::fs::read(&vix).unwrap(), before, "a failed import must leave the collection as it was");
    assert!(
        std::fs::read_dir(data_dir.join("index")).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(".import")),
        "no work files left behind"
    );
}
