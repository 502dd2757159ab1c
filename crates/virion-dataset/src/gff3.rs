//! GFF3 genome annotation → [`GeneMap`], reproducing the gene and CDS names Nextclade derives.
//!
//! Rules, as Nextclade 3 applies them:
//! - Exactly one `##sequence-region` (or none: the whole file is one region); rows before the
//!   directive and after a `###` line are not read.
//! - Consecutive rows sharing an `ID` are one feature in several segments (ORF1ab's ribosomal
//!   slippage, nsp12 in the mature-protein annotation).
//! - Features nest through `Parent`; top-level features are ordered by start, then by *smaller*
//!   end last (Nextclade compares the minimum segment end, descending), then by type and name;
//!   children keep file order.
//! - Every `gene` feature, at any depth, is a gene; its CDSes are the `CDS` features below it, or
//!   the gene itself when it has none. Without any `gene` row, each CDS is its own gene.
//! - Each CDS must be a whole number of codons; gene names and CDS names must be unique.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use regex::Regex;
use virion_core::{NucRange, NucRefPos};

use crate::gene_map::{Cds, CdsSegment, Gene, GeneMap, Protein, WrappingPart};
use crate::gff3_record::{Feature, parse_row};

/// Why a genome annotation could not be used. `line` is 1-based; 0 means the whole file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GffError {
    /// A row that does not follow the GFF3 format (columns, coordinates, attributes).
    #[error("malformed GFF3 at {path}:{line}: {why}")]
    Malformed {
        /// The annotation file.
        path: PathBuf,
        /// 1-based line of the row; 0 for the whole file.
        line: usize,
        /// What is wrong, as a sentence fragment.
        why: String,
    },
    /// Well-formed rows that do not make a usable annotation (no genes, duplicate gene or CDS names).
    #[error("invalid genome annotation {path}: {why}")]
    Invalid {
        /// The annotation file.
        path: PathBuf,
        /// What is wrong, as a sentence fragment.
        why: String,
    },
}

static SEQ_REGION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^##sequence-region\s+(\S+?)\s+(\d{1,10})\s+(\d{1,10})$").expect("pattern compiles")
});

/// Rows of a group of consecutive same-`ID` features, plus its nested children.
#[derive(Debug, Clone)]
struct FeatureGroup {
    id: String,
    name: String,
    product: String,
    feature_type: String,
    features: Vec<Feature>,
    parent_ids: Vec<String>,
    children: Vec<FeatureGroup>,
}

fn join_unique<'a>(items: impl Iterator<Item = &'a String>) -> String {
    let mut seen: Vec<&String> = vec![];
    for it in items {
        if !seen.contains(&it) {
            seen.push(it);
        }
    }
    seen.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("+")
}

impl FeatureGroup {
    fn new(features: Vec<Feature>) -> Self {
        let mut parent_ids: Vec<String> = vec![];
        for p in features.iter().flat_map(|f| &f.parent_ids) {
            if !parent_ids.contains(p) {
                parent_ids.push(p.clone());
            }
        }
        Self {
            id: join_unique(features.iter().map(|f| &f.id)),
            name: join_unique(features.iter().map(|f| &f.name)),
            product: join_unique(features.iter().map(|f| &f.product)),
            feature_type: join_unique(features.iter().map(|f| &f.feature_type)),
            features,
            parent_ids,
            children: vec![],
        }
    }

    fn start(&self) -> NucRefPos {
        self.features.iter().map(|f| f.range.begin).min().unwrap_or_default()
    }

    /// The furthest segment end, as Nextclade's ordering uses it (flu NS: NEP, whose second
    /// exon ends at 864, comes before NS1, which ends at 719; both start at 27).
    fn end(&self) -> NucRefPos {
        self.features.iter().map(|f| f.range.end).max().unwrap_or_default()
    }

    fn name_and_type(&self) -> String {
        let short = match self.feature_type.as_str() {
            "mature_protein_region_of_CDS" => "mature protein",
            "signal_peptide_region_of_CDS" => "signal peptide",
            "five_prime_UTR" => "5' UTR",
            "three_prime_UTR" => "3' UTR",
            other => other,
        };
        format!("{short} '{}'", self.name)
    }

    fn first_line(&self) -> usize {
        self.features.first().map_or(0, |f| f.line)
    }
}

/// Where a circular landmark (the genome) begins and ends.
#[derive(Debug, Clone)]
struct Landmark {
    id: String,
    range: NucRange,
    is_circular: bool,
}

struct Parser<'a> {
    path: &'a Path,
}

impl Parser<'_> {
    fn malformed(&self, line: usize, why: impl Into<String>) -> GffError {
        GffError::Malformed { path: self.path.to_owned(), line, why: why.into() }
    }

    fn invalid(&self, why: impl Into<String>) -> GffError {
        GffError::Invalid { path: self.path.to_owned(), why: why.into() }
    }

    fn read_features(&self, content: &str) -> Result<Vec<Feature>, GffError> {
        let lines: Vec<&str> = content.lines().collect();
        let headers: Vec<usize> =
            (0..lines.len()).filter(|&i| lines[i].starts_with("##sequence-region")).collect();
        if headers.len() > 1 {
            return Err(self.malformed(
                headers[1] + 1,
                "only one ##sequence-region is supported; keep exactly one in the annotation",
            ));
        }
        let first_row = match headers.first() {
            Some(&h) => {
                if !SEQ_REGION_RE.is_match(lines[h]) {
                    return Err(self.malformed(
                        h + 1,
                        format!("cannot read '##sequence-region <id> <start> <end>' from '{}'", lines[h]),
                    ));
                }
                h + 1
            }
            None => 0,
        };

        let mut features = vec![];
        for (i, line) in lines.iter().enumerate().skip(first_row) {
            if headers.len() == 1 && line.starts_with("###") {
                break;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let feature = parse_row(line, features.len(), i + 1).map_err(|why| self.malformed(i + 1, why))?;
            features.push(feature);
        }
        if features.is_empty() {
            return Err(self.invalid("the annotation contains no features"));
        }
        Ok(features)
    }

    fn check_parents(&self, features: &[Feature]) -> Result<(), GffError> {
        for f in features {
            for parent in &f.parent_ids {
                if *parent == f.id {
                    return Err(self.malformed(f.line, format!("feature '{}' names itself as Parent", f.id)));
                }
                if !features.iter().any(|g| g.id == *parent) {
                    return Err(self.malformed(
                        f.line,
                        format!(
                            "feature '{}' refers to Parent '{parent}', which has no feature with that ID",
                            f.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The landmark of each feature: the first feature whose ID (before any `:`) is the row's seqid.
    fn landmarks(&self, features: &[Feature]) -> Result<Vec<Option<Landmark>>, GffError> {
        let has_circular = features.iter().any(|f| f.is_circular);
        features
            .iter()
            .map(|f| {
                let lm = features
                    .iter()
                    .find(|c| c.id.split(':').next() == Some(f.seqid.as_str()))
                    .map(|c| Landmark {
                        id: c.id.clone(),
                        range: c.range,
                        is_circular: c.is_circular,
                    });
                if has_circular && lm.is_none() {
                    return Err(self.malformed(
                        f.line,
                        format!(
                            "the genome has circular features, so seqid '{}' must be the ID of a landmark feature, but none has it",
                            f.seqid
                        ),
                    ));
                }
                Ok(lm)
            })
            .collect()
    }

    fn cds_from_group(&self, group: &FeatureGroup, landmarks: &[Option<Landmark>]) -> Result<Cds, GffError> {
        let mut segments = vec![];
        let mut local = 0usize;
        for f in &group.features {
            let len = f.range.len().max(0) as usize;
            let seg = CdsSegment {
                id: f.id.clone(),
                name: f.name.clone(),
                range: f.range,
                range_local: local..local + len,
                strand: f.strand,
                frame: f.range.begin.0.rem_euclid(3) as u8,
                phase: ((3 - local % 3) % 3) as u8,
                landmark: landmarks[f.index].as_ref().map(|l| l.id.clone()),
                wrapping: WrappingPart::NonWrapping,
            };
            local += len;
            segments.push((seg, landmarks[f.index].clone(), f.line));
        }
        let segments = self.split_circular(segments)?;
        if let Some(s) = segments.iter().find(|s| s.strand != segments[0].strand) {
            return Err(self.malformed(
                group.first_line(),
                format!("CDS '{}' has segments on both strands ('{}')", group.name, s.id),
            ));
        }

        let mut proteins = vec![];
        collect_proteins(&group.children, &mut proteins);
        let mut exceptions: Vec<String> = vec![];
        for e in group.features.iter().flat_map(|f| &f.exceptions) {
            if !exceptions.contains(e) {
                exceptions.push(e.clone());
            }
        }
        Ok(Cds {
            id: group.id.clone(),
            name: group.name.clone(),
            product: group.product.clone(),
            segments,
            proteins,
            exceptions,
            compat_is_gene: false,
        })
    }

    /// Cuts segments running past the end of a circular landmark into linear parts.
    fn split_circular(
        &self,
        segments: Vec<(CdsSegment, Option<Landmark>, usize)>,
    ) -> Result<Vec<CdsSegment>, GffError> {
        let mut out = vec![];
        for (seg, lm, line) in segments {
            if seg.range.begin > seg.range.end {
                return Err(self.malformed(line, format!("feature '{}' starts after it ends", seg.name)));
            }
            let Some(lm) = lm.filter(|l| l.is_circular && seg.range.end > l.range.end) else {
                out.push(seg);
                continue;
            };
            if seg.range.begin < lm.range.begin {
                return Err(self.malformed(
                    line,
                    format!("feature '{}' starts before its landmark '{}'", seg.name, lm.id),
                ));
            }
            let (lm_begin, lm_end) = (lm.range.begin, lm.range.end);
            let mut local = seg.range_local.start;
            let mut part = seg.clone();
            part.range.end = seg.range.end.min(lm_end);
            part.range_local = local..local + part.len();
            part.wrapping = WrappingPart::WrappingStart;
            local += part.len();
            out.push(part);
            let mut end = seg.range.end;
            let mut counter = 1;
            while end > lm_end {
                end = NucRefPos(end.0 % lm_end.0.max(1));
                let mut part = seg.clone();
                part.range = NucRange::new(lm_begin, end.min(lm_end));
                part.range_local = local..local + part.len();
                part.wrapping = WrappingPart::WrappingCentral(counter);
                local += part.len();
                out.push(part);
                counter += 1;
            }
            if let Some(last) = out.last_mut() {
                last.wrapping = WrappingPart::WrappingEnd(counter - 1);
            }
        }
        Ok(out)
    }

    fn cds_from_gene_feature(&self, f: &Feature, landmarks: &[Option<Landmark>]) -> Result<Cds, GffError> {
        let seg = CdsSegment {
            id: format!("cds-segment-from-gene-{}", f.id),
            name: f.name.clone(),
            range: f.range,
            range_local: 0..f.range.len().max(0) as usize,
            strand: f.strand,
            frame: f.range.begin.0.rem_euclid(3) as u8,
            phase: 0,
            landmark: landmarks[f.index].as_ref().map(|l| l.id.clone()),
            wrapping: WrappingPart::NonWrapping,
        };
        let segments = self.split_circular(vec![(seg, landmarks[f.index].clone(), f.line)])?;
        Ok(Cds {
            id: format!("cds-from-gene-{}", f.id),
            name: f.name.clone(),
            product: f.product.clone(),
            segments,
            proteins: vec![Protein {
                id: format!("protein-from-gene-{}", f.id),
                name: f.name.clone(),
                product: f.product.clone(),
                ranges: vec![f.range],
            }],
            exceptions: f.exceptions.clone(),
            compat_is_gene: true,
        })
    }

    fn gene_from_group(&self, g: &FeatureGroup, lms: &[Option<Landmark>]) -> Result<Gene, GffError> {
        let [feature] = g.features.as_slice() else {
            return Err(self.malformed(
                g.first_line(),
                format!("gene '{}' ({}) must be a single row, found {}", g.name, g.id, g.features.len()),
            ));
        };
        let mut cdses = vec![];
        collect_of_type(&g.children, "CDS", &|c| self.cds_from_group(c, lms), &mut cdses)?;
        if cdses.is_empty() {
            cdses.push(self.cds_from_gene_feature(feature, lms)?);
        }
        let mut range = feature.range;
        if range.is_empty() {
            let begin = cdses.iter().map(Cds::start).min().unwrap_or_default();
            let end = cdses.iter().map(Cds::end).max().unwrap_or_default();
            range = NucRange::new(begin, end);
        }
        let strand = cdses.first().map_or(feature.strand, Cds::strand);
        Ok(Gene {
            id: feature.id.clone(),
            name: feature.name.clone(),
            range,
            strand,
            cdses,
            compat_is_cds: false,
        })
    }

    fn validate(&self, map: &GeneMap) -> Result<(), GffError> {
        for cds in map.cdses() {
            if cds.len() % 3 != 0 {
                let lens: Vec<String> = cds.segments.iter().map(|s| s.len().to_string()).collect();
                return Err(self.invalid(format!(
                    "length of CDS '{}' is {} (segments {}), not a multiple of 3",
                    cds.name,
                    cds.len(),
                    lens.join("+")
                )));
            }
        }
        let dupes = |names: Vec<&str>| -> Vec<String> {
            let mut sorted = names.clone();
            sorted.sort_unstable();
            let mut d: Vec<String> =
                sorted.windows(2).filter(|w| w[0] == w[1]).map(|w| format!("'{}'", w[0])).collect();
            d.dedup();
            d
        };
        let gene_dupes = dupes(map.genes.iter().map(|g| g.name.as_str()).collect());
        if !gene_dupes.is_empty() {
            return Err(self.invalid(format!(
                "gene names must be unique, but found duplicates: {}",
                gene_dupes.join(", ")
            )));
        }
        let cds_dupes = dupes(map.cdses().map(|c| c.name.as_str()).collect());
        if !cds_dupes.is_empty() {
            return Err(self.invalid(format!(
                "CDS names must be unique, but found duplicates: {}",
                cds_dupes.join(", ")
            )));
        }
        Ok(())
    }
}

fn collect_proteins(groups: &[FeatureGroup], out: &mut Vec<Protein>) {
    for g in groups {
        if g.feature_type == "mature_protein_region_of_CDS" {
            out.push(Protein {
                id: g.id.clone(),
                name: g.name.clone(),
                product: g.product.clone(),
                ranges: g.features.iter().map(|f| f.range).collect(),
            });
        }
        collect_proteins(&g.children, out);
    }
}

fn attach_children(parents: Vec<FeatureGroup>, all: &[FeatureGroup], depth: usize) -> Vec<FeatureGroup> {
    parents
        .into_iter()
        .map(|mut parent| {
            // A Parent cycle would recurse forever; no real annotation nests this deep.
            if depth < 64 {
                let children: Vec<FeatureGroup> =
                    all.iter().filter(|c| c.parent_ids.contains(&parent.id)).cloned().collect();
                parent.children = attach_children(children, all, depth + 1);
            }
            parent
        })
        .collect()
}

/// Parses GFF3 text; `path` only labels errors.
pub fn parse_gff3(content: &str, path: &Path) -> Result<GeneMap, GffError> {
    let p = Parser { path };
    let features = p.read_features(content)?;
    p.check_parents(&features)?;
    let landmarks = p.landmarks(&features)?;

    let mut groups: Vec<FeatureGroup> = vec![];
    let mut run: Vec<Feature> = vec![];
    for f in features {
        if run.last().is_some_and(|last| last.id != f.id) {
            groups.push(FeatureGroup::new(std::mem::take(&mut run)));
        }
        run.push(f);
    }
    groups.push(FeatureGroup::new(run));

    let mut top: Vec<FeatureGroup> = groups.iter().filter(|g| g.parent_ids.is_empty()).cloned().collect();
    top.sort_by_cached_key(|g| (g.start(), -g.end().0, g.name_and_type()));
    let top = attach_children(top, &groups, 0);

    let mut genes = vec![];
    collect_of_type(&top, "gene", &|g| p.gene_from_group(g, &landmarks), &mut genes)?;
    if genes.is_empty() {
        let mut cdses = vec![];
        collect_of_type(&top, "CDS", &|g| p.cds_from_group(g, &landmarks), &mut cdses)?;
        genes = cdses.into_iter().map(gene_from_cds).collect();
    }
    if genes.is_empty() {
        return Err(p.invalid("no genes or CDSes found"));
    }
    let map = GeneMap { genes };
    p.validate(&map)?;
    Ok(map)
}

/// `build` of every group of `feature_type` in the forest, depth first (a group before its
/// descendants).
fn collect_of_type<T>(
    groups: &[FeatureGroup],
    feature_type: &str,
    build: &impl Fn(&FeatureGroup) -> Result<T, GffError>,
    out: &mut Vec<T>,
) -> Result<(), GffError> {
    for g in groups {
        if g.feature_type == feature_type {
            out.push(build(g)?);
        }
        collect_of_type(&g.children, feature_type, build, out)?;
    }
    Ok(())
}

/// A gene standing for one CDS, for annotations without `gene` rows.
fn gene_from_cds(cds: Cds) -> Gene {
    Gene {
        id: join_unique(cds.segments.iter().map(|s| &s.id)),
        name: join_unique(cds.segments.iter().map(|s| &s.name)),
        range: cds.range(),
        strand: cds.strand(),
        cdses: vec![cds],
        compat_is_cds: true,
    }
}

impl GeneMap {
    /// Reads a GFF3 file.
    pub fn from_gff3_file(path: &Path) -> Result<GeneMap, crate::DatasetError> {
        let content = std::fs::read_to_string(path)
            .map_err(|source| crate::DatasetError::Io { path: path.to_owned(), source })?;
        Ok(parse_gff3(&content, path)?)
    }

    /// Parses GFF3 text (errors name the file as `<string>`).
    pub fn from_gff3_str(content: &str) -> Result<GeneMap, GffError> {
        parse_gff3(content, Path::new("<string>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<GeneMap, GffError> {
        parse_gff3(text, Path::new("ann.gff3"))
    }

    fn names(map: &GeneMap) -> Vec<&str> {
        map.cdses().map(|c| c.name.as_str()).collect()
    }

    //          1         2         3
    // 123456789012345678901234567890123456
    // ..[gene g1: 3-35                   ]
    //   [c1 seg 3-14][c1 seg 14-28]         <- shared ID, overlapping by one (slippage)
    #[test]
    fn shared_id_rows_form_one_cds_and_genes_sort_by_start() {
        let map = parse(
            "##gff-version 3\n\
             ##sequence-region s 1 40\n\
             s\t.\tgene\t20\t28\t.\t-\t.\tID=g2;gene=late\n\
             s\t.\tgene\t3\t35\t.\t+\t.\tID=g1;Name=early\n\
             s\t.\tCDS\t3\t14\t.\t+\t0\tID=c1;Parent=g1;Name=pp\n\
             s\t.\tCDS\t14\t28\t.\t+\t0\tID=c1;Parent=g1;Name=pp;exception=ribosomal slippage\n",
        )
        .unwrap();
        let genes: Vec<&str> = map.genes.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(genes, ["early", "late"]);
        let pp = map.cds("pp").unwrap();
        assert_eq!(pp.segments.len(), 2);
        assert_eq!(pp.segments[1].range, NucRange::new(NucRefPos(13), NucRefPos(28)));
        assert_eq!(pp.segments[1].range_local, 12..27);
        assert_eq!(pp.len(), 27);
        assert_eq!(pp.exceptions, ["ribosomal slippage"]);
        // The gene without CDS rows is its own CDS, on its own strand.
        let late = map.cds("late").unwrap();
        assert!(late.compat_is_gene);
        assert_eq!(late.strand(), crate::Strand::Reverse);
        assert_eq!(names(&map), ["pp", "late"]);
    }

    #[test]
    fn at_equal_start_the_longer_feature_comes_first() {
        let map = parse(
            "s\t.\tgene\t1\t9\t.\t+\t.\tName=short\n\
             s\t.\tgene\t1\t30\t.\t+\t.\tName=long\n",
        )
        .unwrap();
        assert_eq!(names(&map), ["long", "short"]);
    }

    #[test]
    fn errors_name_file_line_and_reason() {
        let e = parse("s\t.\tgene\t1\t9\t.\t+\t.\tName=a\ns\t.\tCDS\t1\t9\t.\t+\t0\tParent=nope;Name=b\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("malformed GFF3 at ann.gff3:2:") && e.contains("'nope'"), "{e}");
        let e = parse("s\t.\tgene\t1\t10\t.\t+\t.\tName=a\n").unwrap_err().to_string();
        assert!(e.contains("length of CDS 'a' is 10"), "{e}");
        // Consecutive rows with one ID are one feature, and a gene must be a single row.
        let e = parse("s\t.\tgene\t1\t9\t.\t+\t.\tName=a\ns\t.\tgene\t10\t18\t.\t+\t.\tName=a\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("ann.gff3:1") && e.contains("single row"), "{e}");
        let e = parse(
            "s\t.\tgene\t1\t9\t.\t+\t.\tName=a\ns\t.\tgene\t4\t9\t.\t+\t.\tName=b\ns\t.\tgene\t10\t18\t.\t+\t.\tName=a\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("gene names must be unique") && e.contains("'a'"), "{e}");
        let e = parse("##sequence-region a 1 9\n##sequence-region b 1 9\n").unwrap_err().to_string();
        assert!(e.contains("ann.gff3:2") && e.contains("one ##sequence-region"), "{e}");
        assert!(parse("# nothing\n").unwrap_err().to_string().contains("no features"));
    }

    //  1234567890
    //  [landmark 1-10, circular]
    //         [cds 8-13 wraps: 8-10 then 1-3]
    #[test]
    fn circular_segments_wrap_into_linear_parts() {
        let map = parse(
            "s\t.\tregion\t1\t10\t.\t+\t.\tID=s;Is_circular=true\n\
             s\t.\tCDS\t8\t13\t.\t+\t0\tName=w\n",
        )
        .unwrap();
        let w = map.cds("w").unwrap();
        let ranges: Vec<(i64, i64)> = w.segments.iter().map(|s| (s.range.begin.0, s.range.end.0)).collect();
        assert_eq!(ranges, [(7, 10), (0, 3)]);
        assert_eq!(w.segments[1].range_local, 3..6);
        assert_eq!(w.segments[1].wrapping, WrappingPart::WrappingEnd(1));
    }
}
