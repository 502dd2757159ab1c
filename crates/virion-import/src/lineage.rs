//! SILO's lineage-definition files: `{label: {parents: [..], aliases: [..]}}`, a DAG of lineage
//! labels (several parents make a recombinant), each with alternative names.
//!
//! Read as SILO reads them (`lineage_definition_file.cpp`): a label with no value is a root with
//! no aliases; `parents` and `aliases` are the only keys a definition may have; `parents: null`
//! or a missing `parents` means a root. Checked as SILO checks them: labels unique, every alias
//! unique and no label, every parent defined, no cycle.
//!
//! Which file a column uses is found as SILO finds it, see [`LineageDefinitions::locate`].

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

use crate::error::LineageFileError;

/// One lineage: its label, direct parents and aliases, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineageDefinition {
    /// The lineage's name.
    pub label: String,
    /// Its direct parents, as written.
    pub parents: Vec<String>,
    /// Other names that mean this lineage.
    pub aliases: Vec<String>,
}

/// All lineages of one file, in file order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LineageDefinitions {
    /// Every lineage, in file order.
    pub lineages: Vec<LineageDefinition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefinition {
    #[serde(default)]
    parents: Option<Vec<String>>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
}

/// The file's top-level mapping, in order and with repeated labels kept (a map type would
/// silently keep only the last).
struct Entries(Vec<(String, Option<RawDefinition>)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Entries, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from lineage labels to {parents, aliases}")
            }
            fn visit_unit<E>(self) -> Result<Entries, E> {
                Ok(Entries(Vec::new())) // an empty file
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(label) = map.next_key::<String>()? {
                    out.push((label, map.next_value()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl LineageDefinitions {
    /// The file that `generateLineageIndex: name` means, among the files of `dir`.
    ///
    /// SILO (`Initializer::findLineageTreeForName`, `src/silo/initialize/initializer.cpp`)
    /// walks its `lineageDefinitionFilenames` in path order and takes the first whose file
    /// name is `name` or `name + ".yaml"`, compared exactly (case and all). Its files sit in one
    /// input directory, where `name` sorts before `name.yaml`; so here the file `name` wins,
    /// then `name.yaml`, and nothing else (no `.yml`, no other case). Names are compared as
    /// strings, not looked up, so that a case-insensitive file system finds what SILO finds.
    pub fn locate(dir: &Path, name: &str) -> Result<PathBuf, LineageFileError> {
        if Path::new(name).file_name() != Some(OsStr::new(name)) {
            return Err(LineageFileError::NotAFileName { name: name.to_owned() });
        }
        let io = |source| LineageFileError::Io { path: dir.to_owned(), source };
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io)? {
            let path = entry.map_err(io)?.path();
            if path.is_file() {
                files.push(path);
            }
        }
        let with_yaml = format!("{name}.yaml");
        [name, with_yaml.as_str()]
            .into_iter()
            .find_map(|wanted| files.iter().find(|p| p.file_name() == Some(OsStr::new(wanted))))
            .cloned()
            .ok_or_else(|| LineageFileError::NotFound { name: name.to_owned(), dir: dir.to_owned() })
    }

    /// Reads and checks the lineage-definitions file at `path`.
    pub fn from_path(path: &Path) -> Result<LineageDefinitions, LineageFileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| LineageFileError::Io { path: path.to_owned(), source })?;
        LineageDefinitions::from_yaml(&text)
    }

    /// Reads and checks lineage definitions from YAML text: unique labels and aliases, defined
    /// parents, no cycles.
    pub fn from_yaml(text: &str) -> Result<LineageDefinitions, LineageFileError> {
        let entries: Entries = if text.trim().is_empty() {
            Entries(Vec::new())
        } else {
            yaml_serde::from_str(text).map_err(LineageFileError::Yaml)?
        };
        let lineages = entries
            .0
            .into_iter()
            .map(|(label, def)| {
                let def = def.unwrap_or(RawDefinition { parents: None, aliases: None });
                LineageDefinition {
                    label,
                    parents: def.parents.unwrap_or_default(),
                    aliases: def.aliases.unwrap_or_default(),
                }
            })
            .collect();
        let defs = LineageDefinitions { lineages };
        defs.check()?;
        Ok(defs)
    }

    /// The index of the lineage a label or alias names.
    pub fn resolve(&self, name: &str) -> Option<usize> {
        self.lineages.iter().position(|l| l.label == name || l.aliases.iter().any(|a| a == name))
    }

    fn check(&self) -> Result<(), LineageFileError> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (i, l) in self.lineages.iter().enumerate() {
            if index.insert(&l.label, i).is_some() {
                return Err(LineageFileError::DuplicateLabel { label: l.label.clone() });
            }
        }
        let mut names: std::collections::HashSet<&str> = index.keys().copied().collect();
        for l in &self.lineages {
            for a in &l.aliases {
                if !names.insert(a) {
                    return Err(LineageFileError::AliasClash { name: a.clone() });
                }
            }
        }
        let mut parents: Vec<Vec<usize>> = Vec::with_capacity(self.lineages.len());
        for l in &self.lineages {
            let mut ps = Vec::with_capacity(l.parents.len());
            for p in &l.parents {
                let &i = index.get(p.as_str()).ok_or_else(|| LineageFileError::UnknownParent {
                    label: l.label.clone(),
                    parent: p.clone(),
                })?;
                ps.push(i);
            }
            parents.push(ps);
        }
        // Depth-first search over parent edges; meeting a lineage still on the stack is a cycle.
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            OnStack,
            Done,
        }
        let mut mark = vec![Mark::New; parents.len()];
        for start in 0..parents.len() {
            if mark[start] != Mark::New {
                continue;
            }
            let mut stack = vec![(start, 0usize)];
            mark[start] = Mark::OnStack;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                if let Some(&p) = parents[node].get(*next) {
                    *next += 1;
                    match mark[p] {
                        Mark::OnStack => {
                            return Err(LineageFileError::Cycle { label: self.lineages[p].label.clone() });
                        }
                        Mark::New => {
                            mark[p] = Mark::OnStack;
                            stack.push((p, 0));
                        }
                        Mark::Done => {}
                    }
                } else {
                    mark[node] = Mark::Done;
                    stack.pop();
                }
            }
        }
        Ok(())
    }
}
