//! Building a tree in code, in any order, e.g. a reference tree with released genomes attached
//! as leaves under the nodes placement chose; [`PhyloTreeBuilder::build`] lays it out in
//! pre-order.

use crate::error::BuildError;
use crate::names::{NameTable, PushNameError};
use crate::tree::{NO_NODE, NodeId, PhyloTree};

/// A node of a [`PhyloTreeBuilder`], numbered in order of addition (the root is 0). Not a
/// [`NodeId`]: [`PhyloTreeBuilder::build`] renumbers nodes in pre-order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BuilderNodeId(u32);

impl BuilderNodeId {
    /// The order of addition (0 for the root).
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// Builds a [`PhyloTree`] node by node. Names must be unique (checked as they are added);
/// children keep the order in which they were added.
#[derive(Debug, Clone)]
pub struct PhyloTreeBuilder {
    parent: Vec<u32>,
    first_child: Vec<u32>,
    last_child: Vec<u32>,
    next_sibling: Vec<u32>,
    branch_length: Vec<f64>,
    names: NameTable,
}

impl PhyloTreeBuilder {
    /// A builder holding only a root with this name (`None` or `""` for unnamed).
    pub fn new(root_name: Option<&str>) -> Self {
        let mut builder = Self {
            parent: Vec::new(),
            first_child: Vec::new(),
            last_child: Vec::new(),
            next_sibling: Vec::new(),
            branch_length: Vec::new(),
            names: NameTable::default(),
        };
        builder.push(NO_NODE, root_name, None).expect("a lone root fits and has no rival name");
        builder
    }

    /// A builder holding a copy of `tree`; its nodes keep their pre-order indices as ids (node
    /// `NodeId::new(i)` is `BuilderNodeId` `i`), and [`node`](Self::node) finds them by name.
    pub fn from_tree(tree: &PhyloTree) -> Self {
        let n = tree.node_count();
        let mut builder = Self {
            parent: tree.parent.clone(),
            first_child: vec![NO_NODE; n],
            last_child: vec![NO_NODE; n],
            next_sibling: vec![NO_NODE; n],
            branch_length: tree.branch_length.clone(),
            // Ids are unchanged, so the name index carries over without rehashing.
            names: tree.names.clone(),
        };
        for v in 1..n as u32 {
            builder.link(tree.parent[v as usize], v);
        }
        builder
    }

    /// Makes room for `additional` more nodes, e.g. before attaching many leaves.
    pub fn reserve(&mut self, additional: usize) {
        self.parent.reserve(additional);
        self.first_child.reserve(additional);
        self.last_child.reserve(additional);
        self.next_sibling.reserve(additional);
        self.branch_length.reserve(additional);
        self.names.reserve(additional);
    }

    /// The root.
    pub fn root(&self) -> BuilderNodeId {
        BuilderNodeId(0)
    }

    /// Number of nodes so far.
    pub fn node_count(&self) -> usize {
        self.parent.len()
    }

    /// The node with this name.
    pub fn node(&self, name: &str) -> Option<BuilderNodeId> {
        self.names.find(name).map(BuilderNodeId)
    }

    /// Sets the root's branch length (Newick allows one; SILO's subtrees never print it).
    pub fn set_root_branch_length(&mut self, length: Option<f64>) -> Result<(), BuildError> {
        self.branch_length[0] = checked_length(length)?;
        Ok(())
    }

    /// Adds a child after `parent`'s existing children.
    pub fn add_child(
        &mut self,
        parent: BuilderNodeId,
        name: Option<&str>,
        branch_length: Option<f64>,
    ) -> Result<BuilderNodeId, BuildError> {
        if parent.0 as usize >= self.node_count() {
            return Err(BuildError::NoSuchNode(parent.0));
        }
        self.push(parent.0, name, branch_length)
    }

    /// Adds named leaves without branch lengths under `parent`, after its existing children.
    /// Stops at the first refused name; the leaves before it stay added.
    pub fn attach_leaves<I>(&mut self, parent: BuilderNodeId, names: I) -> Result<(), BuildError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        for name in names {
            self.add_child(parent, Some(name.as_ref()), None)?;
        }
        Ok(())
    }

    /// Lays the nodes out in pre-order.
    pub fn build(self) -> PhyloTree {
        let n = self.node_count();
        // Pre-order walk with an explicit stack of "next node to visit".
        let mut new_of_old = vec![0u32; n];
        let mut old_of_new = Vec::with_capacity(n);
        let mut stack = vec![0u32];
        while let Some(v) = stack.pop() {
            new_of_old[v as usize] = old_of_new.len() as u32;
            old_of_new.push(v);
            let sibling = self.next_sibling[v as usize];
            if sibling != NO_NODE {
                stack.push(sibling);
            }
            let child = self.first_child[v as usize];
            if child != NO_NODE {
                stack.push(child);
            }
        }
        debug_assert_eq!(old_of_new.len(), n);
        let parent: Vec<u32> = old_of_new
            .iter()
            .map(|&old| match self.parent[old as usize] {
                NO_NODE => NO_NODE,
                p => new_of_old[p as usize],
            })
            .collect();
        let mut size = vec![1u32; n];
        for v in (1..n).rev() {
            size[parent[v] as usize] += size[v];
        }
        let end = (0..n).map(|v| v as u32 + size[v]).collect();
        let branch_length = old_of_new.iter().map(|&old| self.branch_length[old as usize]).collect();
        let mut names = self.names;
        names.renumber(&new_of_old);
        PhyloTree::assemble(parent, end, branch_length, names)
    }

    fn push(
        &mut self,
        parent: u32,
        name: Option<&str>,
        branch_length: Option<f64>,
    ) -> Result<BuilderNodeId, BuildError> {
        let length = checked_length(branch_length)?;
        if self.node_count() >= (NO_NODE - 1) as usize {
            return Err(BuildError::TooLarge);
        }
        let id = self.names.push_unnamed();
        if let Err(e) = self.names.set(id, name.unwrap_or("")) {
            self.names.pop_unnamed();
            return Err(match e {
                PushNameError::Duplicate(_) => BuildError::DuplicateName(name.unwrap_or("").to_owned()),
                PushNameError::BufferFull => BuildError::TooLarge,
            });
        }
        self.parent.push(parent);
        self.first_child.push(NO_NODE);
        self.last_child.push(NO_NODE);
        self.next_sibling.push(NO_NODE);
        self.branch_length.push(length);
        if parent != NO_NODE {
            self.link(parent, id);
        }
        Ok(BuilderNodeId(id))
    }

    /// Appends `child` to `parent`'s children.
    fn link(&mut self, parent: u32, child: u32) {
        let p = parent as usize;
        match self.last_child[p] {
            NO_NODE => self.first_child[p] = child,
            prev => self.next_sibling[prev as usize] = child,
        }
        self.last_child[p] = child;
    }
}

fn checked_length(length: Option<f64>) -> Result<f64, BuildError> {
    match length {
        None => Ok(f64::NAN),
        Some(len) if len.is_finite() => Ok(len),
        Some(len) => Err(BuildError::InvalidBranchLength(len)),
    }
}

impl From<NodeId> for BuilderNodeId {
    /// The builder node of a tree node, valid for a builder made by
    /// [`PhyloTreeBuilder::from_tree`] of that tree.
    fn from(node: NodeId) -> Self {
        Self(node.get())
    }
}
