//! `--output-tree`: the reference tree with the queries grafted where placement put them, checked
//! against Nextclade 3.21's own placement of the same genomes (its NDJSON records).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use virion_analyze::output::{OutputPaths, Outputs};
use virion_analyze::{Dataset, analyze};
use virion_io::{FastaReader, FastaRecord};
use virion_testdata::{read_ndjson, shared_data};

/// Every node's name, and each node's parent's name.
fn walk<'a>(node: &'a Value, parent: Option<&'a str>, out: &mut Vec<(&'a str, Option<&'a str>, &'a Value)>) {
    let name = node["name"].as_str().expect("every node has a name");
    out.push((name, parent, node));
    for child in node["children"].as_array().into_iter().flatten() {
        walk(child, Some(name), out);
    }
}

#[test]
fn queries_hang_below_nextclades_nearest_nodes_with_their_private_mutations() {
    let Some(data) = shared_data() else { return };
    let ds = Dataset::load(&data.join("nextclade/sars-cov-2")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tree.json");
    let paths = OutputPaths { tree: Some(path.clone()), ..OutputPaths::default() };
    let mut outputs = Outputs::create(&paths, &ds).unwrap();
    let mut reader = FastaReader::from_path(&data.join("nextclade/sars-cov-2/sequences.fasta")).unwrap();
    let mut rec = FastaRecord::default();
    while reader.read(&mut rec).unwrap() {
        let result = analyze(&ds, &rec.name, &rec.seq);
        outputs.write(rec.index, &rec.name, &result).unwrap();
    }
    outputs.finish().unwrap();

    let ours: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let original: Value = serde_json::from_str(ds.data.tree_json_raw.as_deref().unwrap()).unwrap();
    let (mut before, mut after) = (Vec::new(), Vec::new());
    walk(&original["tree"], None, &mut before);
    walk(&ours["tree"], None, &mut after);
    let by_name: HashMap<&str, (Option<&str>, &Value)> = after.iter().map(|&(n, p, v)| (n, (p, v))).collect();
    assert_eq!(by_name.len(), after.len(), "node names are unique");
    for (name, _, node) in &before {
        let is_tip = node["children"].as_array().is_none_or(|c| c.is_empty());
        let (_, grafted) = by_name[name];
        assert_eq!(
            is_tip,
            grafted["children"].as_array().is_none_or(|c| c.is_empty()),
            "{name}: still a tip"
        );
    }

    let theirs = read_ndjson(&data.join("nextclade-out/sars-cov-2-dataset-examples/nextclade.ndjson.zst"));
    let mut inserted = BTreeMap::new();
    for t in &theirs {
        let name = t["seqName"].as_str().unwrap();
        let (parent, tip) = by_name[name];
        assert_eq!(tip["node_attrs"]["Node type"]["value"], "New", "{name}");
        assert_eq!(tip["node_attrs"]["clade_membership"]["value"], t["clade"], "{name}");
        assert_eq!(tip["node_attrs"]["QC Status"]["value"], t["qc"]["overallStatus"], "{name}");
        let nearest = t["nearestNodeName"].as_str().unwrap();
        let parent = parent.unwrap();
        if parent != nearest {
            assert_eq!(
                parent,
                format!("{nearest}__with_placed_queries"),
                "{name}: placed below its nearest node"
            );
            inserted.insert(parent, ());
        }
        // The branch carries Nextclade's private mutations: substitutions and deletions.
        let private = &t["privateNucMutations"];
        let mut expected: Vec<(i64, String)> = private["privateSubstitutions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                let pos = s["pos"].as_i64().unwrap();
                (
                    pos,
                    format!("{}{}{}", s["refNuc"].as_str().unwrap(), pos + 1, s["qryNuc"].as_str().unwrap()),
                )
            })
            .chain(private["privateDeletions"].as_array().unwrap().iter().map(|d| {
                let pos = d["pos"].as_i64().unwrap();
                (pos, format!("{}{}-", d["refNuc"].as_str().unwrap(), pos + 1))
            }))
            .collect();
        expected.sort();
        let expected: Vec<String> = expected.into_iter().map(|(_, m)| m).collect();
        let branch: Vec<String> =
            serde_json::from_value(tip["branch_attrs"]["mutations"]["nuc"].clone()).unwrap();
        assert_eq!(branch, expected, "{name}: branch mutations");
        // Its branch is as long as Nextclade's divergence says (that of its nearest node plus
        // its own), or 0.06 longer where its private mutations are deletions only (a tree
        // branch counts them so, the divergence does not).
        let div = |v: &Value| v["node_attrs"]["div"].as_f64().unwrap();
        let branch = div(tip) - div(by_name[parent].1);
        let own = t["divergence"].as_f64().unwrap() - div(before.iter().find(|b| b.0 == nearest).unwrap().2);
        assert!(
            (branch - own).abs() < 1e-9 || (branch - own - 0.06).abs() < 1e-9,
            "{name}: branch {branch} vs {own}"
        );
    }
    assert_eq!(after.len(), before.len() + theirs.len() + inserted.len(), "nothing else added");
}

#[test]
fn a_dataset_without_a_tree_cannot_write_one() {
    let Some(data) = shared_data() else { return };
    let mut ds = Dataset::load(&data.join("nextclade/sars-cov-2")).unwrap();
    ds.tree = None;
    let dir = tempfile::tempdir().unwrap();
    let paths = OutputPaths { tree: Some(dir.path().join("tree.json")), ..OutputPaths::default() };
    let err = Outputs::create(&paths, &ds).unwrap_err().to_string();
    assert!(err.contains("--output-tree needs a dataset with a reference tree"), "{err}");
}
