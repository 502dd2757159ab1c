//! Placement, clade attributes and private nucleotide mutations against Nextclade 3.21's own
//! results on the shared data sets (queries rebuilt from nextclade.tsv columns).

use std::collections::BTreeSet;
use std::path::Path;

use virion_core::{Aa, AaPos, AaRange, AaSub};
use virion_core::{Nuc, NucDelRange, NucRange, NucRefPos, NucSub, SymbolRange};
use virion_testdata::{
    OTHER_PATHOGEN_SETS, OutputSet, SARS_COV_2_SETS, Table, read_ndjson, read_reference, shared_data,
};
use virion_tree::{NucMutLabels, QueryAaMuts, QueryMuts, RefTree, parse_nuc_mutation};

fn read_labels(path: &Path) -> NucMutLabels {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let entries = v["mutLabels"]["nucMutLabelMap"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, l)| {
                    let labels =
                        l.as_array().unwrap().iter().map(|x| x.as_str().unwrap().to_owned()).collect();
                    (k.clone(), labels)
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    NucMutLabels::from_entries(entries).unwrap()
}

/// `1-7` or `673` (1-based inclusive) as a 0-based half-open range.
fn parse_range(s: &str) -> NucRange {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    NucRange::new(NucRefPos(a.parse::<i64>().unwrap() - 1), NucRefPos(b.parse().unwrap()))
}

fn list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(|x| !x.is_empty())
}

fn as_set(s: &str) -> BTreeSet<String> {
    list(s).map(str::to_owned).collect()
}

fn fmt_labeled(v: &[(NucSub, Vec<String>)]) -> BTreeSet<String> {
    v.iter().map(|(s, l)| format!("{s}|{}", l.join("&"))).collect()
}

/// Runs one data set; returns (column, agreeing, total) per compared column.
fn check_set(data: &Path, dataset: &str, out: &str) -> Vec<(String, usize, usize)> {
    let ds = data.join("nextclade").join(dataset);
    let mut tree = RefTree::from_json_str(&std::fs::read_to_string(ds.join("tree.json")).unwrap()).unwrap();
    let ref_seq = read_reference(&ds.join("reference.fasta"));
    tree.prepare(&ref_seq, None).unwrap();
    let labels = read_labels(&ds.join("pathogen.json"));
    let out_dir = data.join("nextclade-out").join(out);
    let table = Table::read(&out_dir.join("nextclade.tsv"));
    let ndjson = read_ndjson(&out_dir.join("nextclade.ndjson.zst"));

    let mut attr_cols: Vec<String> = vec!["clade".into()];
    attr_cols
        .extend(tree.clade_node_attr_descs().iter().map(|d| d.key.clone()).filter(|k| table.has_column(k)));
    let private_cols = [
        "privateNucMutations.reversionSubstitutions",
        "privateNucMutations.labeledSubstitutions",
        "privateNucMutations.unlabeledSubstitutions",
        "privateNucMutations.totalReversionSubstitutions",
        "privateNucMutations.totalLabeledSubstitutions",
        "privateNucMutations.totalUnlabeledSubstitutions",
        "privateNucMutations.totalPrivateSubstitutions",
    ];
    let aa_cols = [
        "privateAaMutations.reversionSubstitutions",
        "privateAaMutations.unlabeledSubstitutions",
        "privateAaMutations.totalReversionSubstitutions",
        "privateAaMutations.totalUnlabeledSubstitutions",
        "privateAaMutations.totalPrivateSubstitutions",
    ];
    let mut names: Vec<String> = vec!["nearestNodeName".into()];
    names.extend(attr_cols.iter().cloned());
    names.extend(private_cols.iter().map(|s| s.to_string()));
    names.extend(aa_cols.iter().map(|s| s.to_string()));
    let mut agree = vec![0usize; names.len()];
    let mut total = 0usize;

    let mut scratch = virion_tree::PlacementScratch::default();
    for (ri, row) in table.rows.iter().enumerate() {
        let f = |n: &str| {
            assert!(table.has_column(n), "column {n}");
            row.get(n).map_or("", String::as_str)
        };
        if f("alignmentStart").is_empty() {
            continue; // not aligned: Nextclade reports no clade
        }
        total += 1;
        let subs: Vec<NucSub> = list(f("substitutions")).map(|s| parse_nuc_mutation(s).unwrap()).collect();
        let dels: Vec<NucDelRange> =
            list(f("deletions")).map(|s| NucDelRange { range: parse_range(s) }).collect();
        let missing: Vec<NucRange> = list(f("missing")).map(parse_range).collect();
        let non_acgtns: Vec<SymbolRange<Nuc>> = list(f("nonACGTNs"))
            .map(|s| {
                let (l, r) = s.split_once(':').unwrap();
                SymbolRange { symbol: Nuc::from_byte(l.as_bytes()[0]).unwrap(), range: parse_range(r) }
            })
            .collect();
        let start: i64 = f("alignmentStart").parse().unwrap();
        let end: i64 = f("alignmentEnd").parse().unwrap();
        let q = QueryMuts {
            substitutions: &subs,
            deletions: &dels,
            missing: &missing,
            non_acgtns: &non_acgtns,
            alignment_range: NucRange::new(NucRefPos(start - 1), NucRefPos(end)),
        };
        let placement = tree.find_nearest_node_with(&q, &mut scratch);
        assert_eq!(
            placement,
            tree.find_nearest_node_brute_force(&q),
            "{out} row {ri}: fast path differs from oracle"
        );

        let mut k = 0;
        let expected_node = ndjson[ri]["nearestNodeName"].as_str().unwrap_or("");
        if tree.node(placement.node).name == expected_node {
            agree[k] += 1;
        } else if std::env::var("VIRION_TREE_VERBOSE").is_ok() {
            eprintln!(
                "{out} row {ri}: nearest {} (d={}) vs Nextclade {expected_node} (id {})",
                tree.node(placement.node).name,
                placement.distance,
                ndjson[ri]["nearestNodeId"]
            );
        }
        k += 1;
        let attrs = tree.clade_attributes(placement.node);
        for a in &attr_cols {
            if attrs.get(a).map_or("", String::as_str) == f(a) {
                agree[k] += 1;
            }
            k += 1;
        }

        let p = tree.find_private_nuc_mutations(placement.node, &q, &ref_seq, &labels);
        let mine: [BTreeSet<String>; 7] = [
            p.reversion_substitutions.iter().map(ToString::to_string).collect(),
            fmt_labeled(&p.labeled_substitutions),
            p.unlabeled_substitutions.iter().map(ToString::to_string).collect(),
            [p.total_reversion_substitutions().to_string()].into(),
            [p.total_labeled_substitutions().to_string()].into(),
            [p.total_unlabeled_substitutions().to_string()].into(),
            [p.total_private_substitutions().to_string()].into(),
        ];
        let aa = private_aa_columns(&tree, placement.node, &ndjson[ri]);
        for (col, mine) in private_cols.iter().zip(&mine).chain(aa_cols.iter().zip(&aa)) {
            let theirs = as_set(f(col));
            if *mine == theirs {
                agree[k] += 1;
            } else if std::env::var("VIRION_TREE_VERBOSE").is_ok() {
                eprintln!("{out} row {ri} {col}: mine {mine:?} theirs {theirs:?}");
            }
            k += 1;
        }
    }
    names.into_iter().zip(agree).map(|(n, a)| (n, a, total)).collect()
}

fn aa_sub(v: &serde_json::Value, gap: bool) -> AaSub {
    let letter = |k: &str| Aa::from_byte(v[k].as_str().unwrap().as_bytes()[0]).unwrap();
    AaSub {
        cds: v["cdsName"].as_str().unwrap().to_owned(),
        pos: AaPos(v["pos"].as_i64().unwrap()),
        ref_aa: letter("refAa"),
        qry_aa: if gap { Aa::Gap } else { letter("qryAa") },
    }
}

fn aa_range(v: &serde_json::Value) -> AaRange {
    AaRange::new(AaPos(v["begin"].as_i64().unwrap()), AaPos(v["end"].as_i64().unwrap()))
}

/// The privateAaMutations TSV columns, from the query's amino-acid changes in the NDJSON record
/// (the TSV lacks unsequenced codon ranges); CDSes are those Nextclade reported.
fn private_aa_columns(tree: &RefTree, node: usize, rec: &serde_json::Value) -> [BTreeSet<String>; 5] {
    let subs: Vec<AaSub> =
        rec["aaSubstitutions"].as_array().unwrap().iter().map(|v| aa_sub(v, false)).collect();
    let dels: Vec<AaSub> = rec["aaDeletions"].as_array().unwrap().iter().map(|v| aa_sub(v, true)).collect();
    let (mut rev, mut unl) = (BTreeSet::new(), BTreeSet::new());
    let (mut n_rev, mut n_unl, mut n_priv) = (0, 0, 0);
    let Some(cdses) = rec["privateAaMutations"].as_object() else {
        return Default::default();
    };
    for cds in cdses.keys() {
        let unknown: Vec<AaRange> = rec["unknownAaRanges"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|u| u["cdsName"] == cds.as_str())
            .flat_map(|u| u["ranges"].as_array().unwrap().iter().map(|r| aa_range(&r["range"])))
            .collect();
        let unsequenced: Vec<AaRange> = rec["aaUnsequencedRanges"][cds.as_str()]
            .as_array()
            .map(|a| a.iter().map(aa_range).collect())
            .unwrap_or_default();
        let p = tree.find_private_aa_mutations(
            node,
            &QueryAaMuts {
                cds,
                substitutions: &subs,
                deletions: &dels,
                unknown: &unknown,
                unsequenced: &unsequenced,
            },
            &virion_tree::AaMutLabels::default(),
        );
        rev.extend(p.reversion_substitutions.iter().map(ToString::to_string));
        unl.extend(p.unlabeled_substitutions.iter().map(ToString::to_string));
        n_rev += p.total_reversion_substitutions();
        n_unl += p.total_unlabeled_substitutions();
        n_priv += p.total_private_substitutions();
    }
    [rev, unl, [n_rev.to_string()].into(), [n_unl.to_string()].into(), [n_priv.to_string()].into()]
}

fn report(set: &str, results: &[(String, usize, usize)]) {
    for (col, a, t) in results {
        println!("{set:40} {col:55} {a:4}/{t:4} ({:.1}%)", 100.0 * *a as f64 / (*t).max(1) as f64);
    }
}

fn rate(results: &[(String, usize, usize)], col: &str) -> f64 {
    let (_, a, t) = results.iter().find(|r| r.0 == col).unwrap();
    *a as f64 / (*t).max(1) as f64
}

#[test]
fn sars_cov_2_sets_agree_with_nextclade() {
    let Some(data) = shared_data() else { return };
    for &OutputSet { out_dir: set, dataset, .. } in SARS_COV_2_SETS {
        let r = check_set(&data, dataset, set);
        report(set, &r);
        assert!(rate(&r, "clade") >= 0.995, "{set}: clade agreement below 99.5%");
        assert!(rate(&r, "Nextclade_pango") >= 0.995, "{set}: Nextclade_pango agreement below 99.5%");
    }
}

#[test]
fn other_pathogens_agree_with_nextclade() {
    let Some(data) = shared_data() else { return };
    for &OutputSet { out_dir: set, dataset, .. } in OTHER_PATHOGEN_SETS {
        let r = check_set(&data, dataset, set);
        report(set, &r);
        assert!(rate(&r, "clade") >= 0.995, "{set}: clade agreement below 99.5%");
    }
}
