//! Which tree node a genome descends from.

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::seq::SliceRandom;

/// Zipf exponent of node popularity: with ~5,000 SARS-CoV-2 nodes, 1.0 gives the top node ~10%
/// of genomes and the top ten about a third, as a few lineages dominated each wave.
const ZIPF_EXPONENT: f64 = 1.0;

/// Draws node indices with Zipf-like weights over a seeded random ranking of all nodes, leaves
/// and internal nodes alike.
#[derive(Debug, Clone)]
pub(crate) struct NodePicker {
    ranked: Vec<usize>,
    index: WeightedIndex<f64>,
}

impl NodePicker {
    /// `node_count` must be positive.
    pub(crate) fn new(rng: &mut impl Rng, node_count: usize) -> Self {
        let mut ranked: Vec<usize> = (0..node_count).collect();
        ranked.shuffle(rng);
        let weights = (1..=node_count).map(|rank| (rank as f64).powf(-ZIPF_EXPONENT));
        let index = WeightedIndex::new(weights).expect("at least one node, positive weights");
        Self { ranked, index }
    }

    pub(crate) fn pick(&self, rng: &mut impl Rng) -> usize {
        self.ranked[self.index.sample(rng)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn few_nodes_dominate() {
        let mut rng = StdRng::seed_from_u64(3);
        let picker = NodePicker::new(&mut rng, 1000);
        let mut counts = vec![0usize; 1000];
        for _ in 0..20_000 {
            counts[picker.pick(&mut rng)] += 1;
        }
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let share = |part: &[usize]| part.iter().sum::<usize>() as f64 / 20_000.0;
        // Zipf over 1000 ranks: the top ten hold ~39%, the bottom half ~9%.
        assert!(share(&counts[..10]) > 0.3, "top ten {}", share(&counts[..10]));
        assert!(share(&counts[500..]) < 0.15, "bottom half {}", share(&counts[500..]));
    }
}
