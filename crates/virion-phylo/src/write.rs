//! [`PhyloTree`] to Newick text: the whole tree exactly, or the subtree spanning some nodes as
//! SILO's `phyloSubtree` writes it. Both walk with an explicit stack.

use std::fmt::Write as _;

use crate::tree::{NO_NODE, NodeId, PhyloTree};

/// What [`PhyloTree::subtree_newick`] does with internal nodes left with one child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UnaryNodes {
    /// Replace each by its child, adding their branch lengths (SILO's default,
    /// `contractUnaryNodes: true`).
    #[default]
    Contract,
    /// Keep them, as `(child)name` (`contractUnaryNodes: false`).
    Keep,
}

impl PhyloTree {
    /// The whole tree as Newick, ending in `;` without a newline: every node in input order,
    /// names quoted only where Newick needs it, branch lengths (the root's too) in the shortest
    /// form that reads back to the same `f64`. [`from_newick`](Self::from_newick) reads it back
    /// to an identical tree.
    pub fn to_newick(&self) -> String {
        let mut out = String::with_capacity(self.node_count() * 8);
        let shape = WholeTree { tree: self };
        emit(self, &shape, 0, Style::Exact, &mut out);
        out.push(';');
        out
    }

    /// The subtree spanning `nodes`, as SILO's `toNewickString` writes it for `phyloSubtree`:
    ///
    /// - no nodes: the empty string; one distinct node: its name and `;` (even if internal);
    /// - otherwise the tree below the MRCA of `nodes`, keeping only the given *leaves*, with
    ///   internal nodes on their paths (given internal nodes only move the MRCA); no leaf among
    ///   `nodes` gives the empty string (SILO fails on an internal assertion there);
    /// - unary nodes contracted or kept per `unary`; children in input order; no branch length
    ///   on the root; lengths as SILO prints its `float`s (`%g`, 6 significant digits).
    pub fn subtree_newick(&self, nodes: &[NodeId], unary: UnaryNodes) -> String {
        let mut selected = nodes.to_vec();
        selected.sort_unstable();
        selected.dedup();
        match selected.as_slice() {
            [] => return String::new(),
            [only] => {
                let mut out = String::new();
                write_name(&mut out, self.name(*only));
                out.push(';');
                return out;
            }
            _ => {}
        }
        let Some(root) = self.mrca(&selected) else {
            return String::new();
        };
        selected.retain(|&v| self.is_leaf(v));
        if selected.is_empty() {
            return String::new();
        }
        let shape = Spanning::new(self, root, &selected);
        let mut out = String::new();
        emit(self, &shape, 0, Style::Silo(unary), &mut out);
        out.push(';');
        out
    }
}

/// How a writer prints names and lengths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Round-trip: root length printed, lengths as shortest exact `f64`.
    Exact,
    /// SILO's `phyloSubtree`: no root length, `float` lengths in `%g`.
    Silo(UnaryNodes),
}

/// A tree to write, with nodes numbered by the shape (0 is its root).
trait Shape {
    fn first_child(&self, v: u32) -> Option<u32>;
    fn next_sibling(&self, v: u32) -> Option<u32>;
    fn node(&self, v: u32) -> NodeId;
}

/// The whole tree: shape numbers are pre-order indices.
struct WholeTree<'t> {
    tree: &'t PhyloTree,
}

impl Shape for WholeTree<'_> {
    fn first_child(&self, v: u32) -> Option<u32> {
        (self.tree.end[v as usize] > v + 1).then_some(v + 1)
    }

    fn next_sibling(&self, v: u32) -> Option<u32> {
        let parent = self.tree.parent[v as usize];
        let next = self.tree.end[v as usize];
        (parent != NO_NODE && next < self.tree.end[parent as usize]).then_some(next)
    }

    fn node(&self, v: u32) -> NodeId {
        NodeId::new(v)
    }
}

/// The union of the paths from some leaves up to their MRCA, as local child/sibling lists.
struct Spanning {
    /// Tree nodes, in pre-order; index 0 is the MRCA.
    nodes: Vec<NodeId>,
    first_child: Vec<u32>,
    next_sibling: Vec<u32>,
}

impl Spanning {
    /// `leaves` must lie below `root`.
    fn new(tree: &PhyloTree, root: NodeId, leaves: &[NodeId]) -> Self {
        let mut seen = hashbrown::HashSet::with_capacity(leaves.len() * 2);
        for &leaf in leaves {
            let mut v = leaf;
            while seen.insert(v) && v != root {
                v = tree.parent(v).expect("leaves lie below the root");
            }
        }
        let mut nodes: Vec<NodeId> = seen.into_iter().collect();
        nodes.sort_unstable();
        debug_assert_eq!(nodes[0], root);
        let n = nodes.len();
        let mut first_child = vec![NO_NODE; n];
        let mut last_child = vec![NO_NODE; n];
        let mut next_sibling = vec![NO_NODE; n];
        // Pre-order visits siblings left to right, so appending keeps input order.
        for local in 1..n {
            let parent = tree.parent(nodes[local]).expect("only the root has no parent");
            let p = nodes.binary_search(&parent).expect("paths are closed upwards");
            let local = local as u32;
            match last_child[p] {
                NO_NODE => first_child[p] = local,
                prev => next_sibling[prev as usize] = local,
            }
            last_child[p] = local;
        }
        Self { nodes, first_child, next_sibling }
    }
}

impl Shape for Spanning {
    fn first_child(&self, v: u32) -> Option<u32> {
        let c = self.first_child[v as usize];
        (c != NO_NODE).then_some(c)
    }

    fn next_sibling(&self, v: u32) -> Option<u32> {
        let s = self.next_sibling[v as usize];
        (s != NO_NODE).then_some(s)
    }

    fn node(&self, v: u32) -> NodeId {
        self.nodes[v as usize]
    }
}

/// A branch length on its way out: exact, or SILO's `float` (maybe a sum over contracted nodes).
#[derive(Debug, Clone, Copy)]
enum Length {
    None,
    Exact(f64),
    Float(f32),
}

/// An internal node whose children are being written.
struct Frame {
    v: u32,
    length: Length,
    next: Option<u32>,
    first: bool,
}

/// Writes the shape from `root` (without the final `;`).
fn emit(tree: &PhyloTree, shape: &impl Shape, root: u32, style: Style, out: &mut String) {
    let mut stack: Vec<Frame> = Vec::new();
    let mut chain: Vec<f64> = Vec::new();
    let mut visit = |v: u32, is_root: bool, stack: &mut Vec<Frame>, out: &mut String| {
        let (v, length) = resolve(tree, shape, v, style, &mut chain);
        let length = if is_root && style != Style::Exact { Length::None } else { length };
        match shape.first_child(v) {
            None => {
                write_name(out, tree.name(shape.node(v)));
                write_length(out, length);
            }
            Some(child) => {
                out.push('(');
                stack.push(Frame { v, length, next: Some(child), first: true });
            }
        }
    };
    visit(root, true, &mut stack, out);
    while let Some(top) = stack.last_mut() {
        match top.next {
            Some(child) => {
                if !top.first {
                    out.push(',');
                }
                top.first = false;
                top.next = shape.next_sibling(child);
                visit(child, false, &mut stack, out);
            }
            None => {
                out.push(')');
                write_name(out, tree.name(shape.node(top.v)));
                write_length(out, top.length);
                stack.pop();
            }
        }
    }
}

/// The node to print for shape node `v` and the length on its branch: under SILO's contraction a
/// unary node gives way to its child, and the lengths along the chain are added bottom-up as
/// `float`s (a missing length counts as absent, not as 0).
fn resolve(
    tree: &PhyloTree,
    shape: &impl Shape,
    mut v: u32,
    style: Style,
    chain: &mut Vec<f64>,
) -> (u32, Length) {
    let own = |v: u32| tree.branch_length(shape.node(v));
    match style {
        Style::Exact => (v, own(v).map_or(Length::None, Length::Exact)),
        Style::Silo(UnaryNodes::Keep) => (v, own(v).map_or(Length::None, |l| Length::Float(l as f32))),
        Style::Silo(UnaryNodes::Contract) => {
            chain.clear();
            loop {
                chain.push(own(v).unwrap_or(f64::NAN));
                match shape.first_child(v) {
                    Some(only) if shape.next_sibling(only).is_none() => v = only,
                    _ => break,
                }
            }
            let total = chain.iter().rev().fold(None, |sum: Option<f32>, &len| {
                match (sum, (!len.is_nan()).then_some(len as f32)) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                }
            });
            (v, total.map_or(Length::None, Length::Float))
        }
    }
}

/// Writes a name, quoted if Newick needs it (never for names SILO itself accepts).
fn write_name(out: &mut String, name: Option<&str>) {
    let Some(name) = name else { return };
    let plain = name.bytes().all(|b| !(b.is_ascii_whitespace() || b"()[]':;,".contains(&b)));
    if plain {
        out.push_str(name);
        return;
    }
    out.push('\'');
    for c in name.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

fn write_length(out: &mut String, length: Length) {
    match length {
        Length::None => {}
        Length::Exact(len) => {
            out.push(':');
            let magnitude = len.abs();
            if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) {
                let _ = write!(out, "{len}");
            } else {
                let _ = write!(out, "{len:e}");
            }
        }
        Length::Float(len) => {
            out.push(':');
            write_c_general(out, len);
        }
    }
}

/// Writes `x` as C++'s `ostream << float` does by default: `printf("%g")`, 6 significant
/// digits, trailing zeros dropped, exponent form below 1e-4 and from 1e6 (`1e-05`, `1.5e+06`).
pub(crate) fn write_c_general(out: &mut String, x: f32) {
    let x = f64::from(x);
    if x.is_nan() {
        out.push_str("nan");
        return;
    }
    if x.is_infinite() {
        out.push_str(if x < 0.0 { "-inf" } else { "inf" });
        return;
    }
    if x == 0.0 {
        out.push_str(if x.is_sign_negative() { "-0" } else { "0" });
        return;
    }
    // The exponent after rounding to 6 significant digits decides the form.
    let scientific = format!("{x:.5e}");
    let (mantissa, exponent) = scientific.split_once('e').expect("`{:e}` always writes an exponent");
    let exponent: i32 = exponent.parse().expect("`{:e}` writes an integer exponent");
    if (-4..6).contains(&exponent) {
        let fixed = format!("{x:.*}", (5 - exponent) as usize);
        out.push_str(trim_fraction(&fixed));
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "{}e{sign}{:02}", trim_fraction(mantissa), exponent.unsigned_abs());
    }
}

/// Drops trailing zeros of a fraction, and its point if nothing is left after it.
fn trim_fraction(number: &str) -> &str {
    if !number.contains('.') {
        return number;
    }
    number.trim_end_matches('0').trim_end_matches('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(x: f32) -> String {
        let mut out = String::new();
        write_c_general(&mut out, x);
        out
    }

    #[test]
    fn floats_print_like_printf_g() {
        // Expected strings are what glibc's printf("%g", (double)x) prints.
        let cases: &[(f32, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (0.1, "0.1"),
            (0.35, "0.35"),
            (0.3 + 0.05, "0.35"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000_012_345_67, "1.23457e-05"),
            (123_456.0, "123456"),
            (999_999.0, "999999"),
            (999_999.5, "1e+06"),
            (1_234_567.0, "1.23457e+06"),
            (100_000.0, "100000"),
            (1e6, "1e+06"),
            (-2.5e-7, "-2.5e-07"),
            (3.0e38, "3e+38"),
            (0.000_099_999_99, "0.0001"),
            (12.345_678, "12.3457"),
        ];
        for &(x, want) in cases {
            assert_eq!(g(x), want, "{x:e}");
        }
    }
}
