//! A dataset made ready for analysis: what every genome reuses is computed once at load.

use std::path::Path;

use virion_align::{AlignError, AlignParams, SeedIndex, gap_open_close_nuc};
use virion_dataset::DatasetError;
use virion_translate::{
    AaMotif, AaMotifFinder, InvalidMotif, RefTranslation, coding_segments, translate_reference,
};
use virion_tree::{AaMutLabels, NucMutLabels, RefTree};

/// Why a dataset cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The dataset directory itself cannot be read (missing file, bad JSON, bad annotation).
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    /// `tree.json` cannot be read or prepared against the reference.
    #[error("{path}: {source}")]
    Tree {
        /// The tree file's path.
        path: std::path::PathBuf,
        /// What is wrong with the tree.
        #[source]
        source: virion_tree::TreeError,
    },
    /// A pattern in pathogen.json's `aaMotifs` is invalid.
    #[error("{path}: {source}")]
    AaMotifs {
        /// The path of pathogen.json.
        path: std::path::PathBuf,
        /// Which pattern is invalid, and why.
        #[source]
        source: InvalidMotif,
    },
    /// pathogen.json's `alignmentParams` are not usable.
    #[error("{path}: alignmentParams: {source}")]
    AlignParams {
        /// The path of pathogen.json.
        path: std::path::PathBuf,
        /// Which parameter is wrong.
        #[source]
        source: AlignError,
    },
}

/// A loaded dataset plus the reference's seed index, gap-open costs, peptides and prepared tree.
#[derive(Debug)]
pub struct Dataset {
    /// The dataset as read from its directory: reference, annotation, pathogen.json, tree text.
    pub data: virion_dataset::Dataset,
    /// Alignment parameters, pathogen.json's `alignmentParams` over Nextclade's defaults.
    pub align_params: AlignParams,
    /// Gap-open cost at each reference position (cheaper between codons inside CDSs).
    pub gap_open_close: Vec<i32>,
    /// The reference's k-mer index, for finding seed matches.
    pub seed_index: SeedIndex,
    /// The reference peptides of every CDS.
    pub ref_translation: RefTranslation,
    /// The reference tree (`tree.json`), prepared for placement; `None` if the dataset has none.
    pub tree: Option<RefTree>,
    /// pathogen.json's nucleotide mutation labels, for labeled private mutations.
    pub nuc_labels: NucMutLabels,
    /// pathogen.json's amino-acid mutation labels (`aaMutLabelMap`).
    pub aa_labels: AaMutLabels,
    /// pathogen.json's `aaMotifs`, patterns compiled.
    pub aa_motifs: AaMotifFinder,
    /// The motifs of the reference peptides, which queries' motifs are compared with.
    pub aa_motifs_ref: Vec<(String, Vec<AaMotif>)>,
}

impl Dataset {
    /// Loads a Nextclade v3 dataset directory and prepares it.
    pub fn load(dir: &Path) -> Result<Dataset, LoadError> {
        Self::prepare(virion_dataset::Dataset::load(dir)?)
    }

    /// Prepares an already loaded dataset: compiles motifs and alignment parameters, indexes the
    /// reference, translates it and prepares the tree.
    pub fn prepare(data: virion_dataset::Dataset) -> Result<Dataset, LoadError> {
        let pathogen_path = data.path.join("pathogen.json");
        let align_params = AlignParams::from_json(&data.pathogen.alignment_params)
            .map_err(|source| LoadError::AlignParams { path: pathogen_path.clone(), source })?;
        let aa_motifs = AaMotifFinder::new(&data.pathogen.aa_motifs)
            .map_err(|source| LoadError::AaMotifs { path: pathogen_path, source })?;
        let gap_open_close =
            gap_open_close_nuc(data.reference.len(), &coding_segments(&data.gene_map), &align_params);
        let seed_index = SeedIndex::new(&data.reference, align_params.kmer_length);
        let ref_translation = translate_reference(&data.reference, &data.gene_map, &align_params);
        let tree = match &data.tree_json_raw {
            Some(text) => {
                let tree_path =
                    data.path.join(data.pathogen.files.tree_json.as_deref().unwrap_or("tree.json"));
                let tree_err = |source| LoadError::Tree { path: tree_path.clone(), source };
                let mut tree = RefTree::from_json_str(text).map_err(tree_err)?;
                let peptides: Vec<(&str, &[virion_core::Aa])> = ref_translation
                    .cdses
                    .iter()
                    .map(|c| (c.layout.name.as_str(), c.peptide.as_slice()))
                    .collect();
                tree.prepare(&data.reference, Some(&peptides)).map_err(tree_err)?;
                Some(tree)
            }
            None => None,
        };
        let nuc_labels = NucMutLabels::from_genotypes(
            data.pathogen
                .mut_labels
                .nuc_mut_label_map
                .iter()
                .map(|(g, labels)| (g.pos, g.qry, labels.clone())),
        );
        let aa_labels = AaMutLabels::from_genotypes(
            data.pathogen
                .mut_labels
                .aa_mut_label_map
                .iter()
                .map(|(g, labels)| (g.cds.clone(), g.pos, g.qry, labels.clone())),
        );
        let aa_motifs_ref = aa_motifs.find_in_reference(&ref_translation);
        Ok(Dataset {
            aa_motifs_ref,
            aa_labels,
            data,
            align_params,
            gap_open_close,
            seed_index,
            ref_translation,
            tree,
            nuc_labels,
            aa_motifs,
        })
    }

    /// The dataset's display name: pathogen.json's `attributes.name`, or its directory.
    pub fn name(&self) -> String {
        self.data.pathogen.name().map_or_else(|| self.data.path.display().to_string(), str::to_owned)
    }
}
