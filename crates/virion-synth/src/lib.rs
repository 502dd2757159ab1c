//! Realistic synthetic processed genomes of a Nextclade dataset, for benchmarks.
//!
//! # The model
//!
//! Each genome descends from one node of the dataset's reference tree (`tree.json`), leaf or
//! internal. Nodes are ranked in a seeded random order and drawn with Zipf weights
//! (rank⁻¹), so that — as in real surveillance — a few lineages make up most genomes and a long
//! tail is rare.
//!
//! - **Nucleotides.** The genome is the reference with every difference the prepared tree lists
//!   for the node (all substitutions and deletions on the path from the root, reversions
//!   resolved), so it carries its lineage's defining mutations; then 0–3 private substitutions at
//!   positions the node left unchanged. Every genome has ragged ends: the first 0–60 and last
//!   0–120 positions are `N`. About 4% of genomes also have 1–3 amplicon dropouts, runs of 200–400
//!   `N`. The sequence is aligned to the reference (same length, deletions as `-`), upper-case
//!   ASCII, without insertions.
//! - **Peptides.** For each CDS of the dataset: the reference peptide with the node's amino-acid
//!   differences applied (as the tree states them on its branches, `-` for deletions), and `X`
//!   for every codon that reads an `N` (ragged ends or dropouts). Private substitutions are
//!   treated as synonymous: peptides follow the tree, not a re-translation.
//! - **Metadata.** Accessions count up from `SYN0000001`. Countries come from a list of 30
//!   weighted like GISAID submissions (USA and the United Kingdom dominate). The collection date
//!   centres on a date implied by the node's depth (14 days per substitution since 2020-01-01,
//!   ~26 substitutions a year) ± 120 days, clamped to 2020–2024; 5% are partial (a year or a
//!   year-month only): `date` is then `None` and only `date_text` holds it. `lineage` is the
//!   node's `Nextclade_pango` attribute (its clade when it has none) and `clade` its
//!   `clade_membership`.
//!
//! Everything is drawn from one seeded [`rand::rngs::StdRng`], so a seed fixes the sequence of
//! genomes.

mod error;
mod genome;
mod metadata;
pub mod mix;
mod nodes;
mod peptide;
mod silo;

pub use error::SynthError;
pub use silo::{mutations_ndjson_line, silo_database_config, silo_ndjson_line, silo_reference_genomes};

use rand::SeedableRng;
use rand::rngs::StdRng;
use virion_analyze::Dataset;
use virion_tree::RefTree;

use crate::metadata::CountryPicker;
use crate::nodes::NodePicker;
use crate::peptide::CdsPlan;

/// Node attribute holding the Pango lineage in Nextclade's SARS-CoV-2 trees.
const LINEAGE_ATTR: &str = "Nextclade_pango";

/// One synthetic processed genome, as a pipeline would have produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SynthGenome {
    /// Counts up from `SYN0000001`.
    pub accession: String,
    /// Drawn from 30 countries weighted like GISAID submissions.
    pub country: String,
    /// The collection date when complete; `None` when only a year or year-month is known.
    pub date: Option<chrono::NaiveDate>,
    /// The collection date as submitted: `YYYY-MM-DD`, `YYYY-MM` or `YYYY`.
    pub date_text: String,
    /// The tree node's `Nextclade_pango` attribute, or its clade when it has none.
    pub lineage: Option<String>,
    /// The tree node's `clade_membership`.
    pub clade: Option<String>,
    /// Aligned, upper-case ASCII, reference length.
    pub genome: Vec<u8>,
    /// CDS name and aligned peptide, in gene-map order.
    pub peptides: Vec<(String, Vec<u8>)>,
}

/// Draws [`SynthGenome`]s from one dataset, deterministically for a seed.
#[derive(Debug, Clone)]
pub struct Generator {
    rng: StdRng,
    reference: Vec<u8>,
    tree: RefTree,
    cdses: Vec<CdsPlan>,
    nodes: NodePicker,
    countries: CountryPicker,
    issued: u64,
}

impl Generator {
    /// Prepares a generator for `dataset`, which needs a reference tree.
    pub fn new(dataset: &Dataset, seed: u64) -> Result<Generator, SynthError> {
        let name = || dataset.name();
        let tree = dataset.tree.clone().ok_or_else(|| SynthError::NoTree { dataset: name() })?;
        if tree.is_empty() {
            return Err(SynthError::EmptyTree { dataset: name() });
        }
        let reference: Vec<u8> = dataset.data.reference.iter().map(|n| n.to_byte()).collect();
        if reference.len() < genome::MIN_REFERENCE_LEN {
            return Err(SynthError::ReferenceTooShort { dataset: name(), len: reference.len() });
        }
        let mut rng = StdRng::seed_from_u64(seed);
        let nodes = NodePicker::new(&mut rng, tree.len());
        Ok(Generator {
            rng,
            reference,
            cdses: CdsPlan::all(dataset),
            tree,
            nodes,
            countries: CountryPicker::new(),
            issued: 0,
        })
    }

    /// Every lineage a genome can be given (one per tree node that has one), for lineage
    /// definitions written before the genomes.
    pub fn tree_lineages(&self) -> Vec<String> {
        let mut out: Vec<String> = (0..self.tree.len())
            .filter_map(|n| {
                let node = self.tree.node(n);
                node.attrs.get(LINEAGE_ATTR).cloned().or_else(|| node.clade().map(str::to_owned))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The next genome, from a node drawn with the model's weights.
    pub fn next_genome(&mut self) -> SynthGenome {
        let node = self.pick_node();
        self.next_genome_at(node)
    }

    /// A tree node drawn with the model's weights (an index into [`RefTree::nodes`]), as
    /// [`Generator::next_genome`] draws the node a genome descends from; for benchmarks that
    /// need only where genomes sit in the tree.
    pub fn pick_node(&mut self) -> usize {
        self.nodes.pick(&mut self.rng)
    }

    /// The next genome, descending from tree node `node` (an index into [`RefTree::nodes`]);
    /// lets tests and benchmarks pin the lineage.
    ///
    /// # Panics
    /// If `node` is not a node of the dataset's tree.
    pub fn next_genome_at(&mut self, node: usize) -> SynthGenome {
        self.issued += 1;
        let genome = self.nucleotides(node);
        let peptides = self.peptides(node, &genome);
        let date = metadata::pick_date(&mut self.rng, self.tree.node_nuc_substitutions(node).count());
        let tree_node = self.tree.node(node);
        let clade = tree_node.clade().map(str::to_owned);
        SynthGenome {
            accession: format!("SYN{:07}", self.issued),
            country: self.countries.pick(&mut self.rng).to_owned(),
            date: date.date,
            date_text: date.text,
            lineage: tree_node.attrs.get(LINEAGE_ATTR).cloned().or_else(|| clade.clone()),
            clade,
            genome,
            peptides,
        }
    }

    fn nucleotides(&mut self, node: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.reference.len());
        genome::apply_node_mutations(&mut out, &self.reference, self.tree.node_nuc_mutations(node));
        genome::add_private_substitutions(&mut self.rng, &mut out, &self.reference);
        let runs = genome::draw_n_runs(&mut self.rng, out.len());
        genome::mask(&mut out, &runs);
        out
    }

    fn peptides(&self, node: usize, genome: &[u8]) -> Vec<(String, Vec<u8>)> {
        self.cdses
            .iter()
            .map(|cds| (cds.name.clone(), cds.peptide(self.tree.node_aa_mutations(node, &cds.name), genome)))
            .collect()
    }
}
