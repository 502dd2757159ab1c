//! Webin-CLI files for a genome assembly (`-context genome`): the manifest, the gzipped FASTA and
//! the gzipped chromosome list, checked against the rules Webin-CLI and ENA apply.
//!
//! Every assembly is written at chromosome level (FASTA + CHROMOSOME_LIST): ENA refuses a
//! contig-level assembly of a single sequence, which is what a complete viral genome is.
//! Leading and trailing `N`s are trimmed from each sequence, as submitters do by hand, because
//! ENA refuses them; the FASTA header is kept, so the chromosome list still names every sequence,
//! and [`GenomeFiles::trimmed`] reports what was cut.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;

use crate::EnaError;

/// ENA's assembly types (`ASSEMBLY_TYPE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssemblyType {
    /// `COVID-19 outbreak`: SARS-CoV-2 genomes (ERZ accession, no GCA).
    CovidOutbreak,
    /// `clone or isolate`.
    CloneOrIsolate,
    /// `primary metagenome` (FASTA only).
    PrimaryMetagenome,
    /// `binned metagenome` (FASTA only).
    BinnedMetagenome,
    /// `Metagenome-Assembled Genome (MAG)`.
    Mag,
    /// `Environmental Single-Cell Amplified Genome (SAG)`.
    Sag,
    /// `clinical isolate assembly` (FASTA only).
    ClinicalIsolate,
}

impl AssemblyType {
    const ALL: [AssemblyType; 7] = [
        AssemblyType::CovidOutbreak,
        AssemblyType::CloneOrIsolate,
        AssemblyType::PrimaryMetagenome,
        AssemblyType::BinnedMetagenome,
        AssemblyType::Mag,
        AssemblyType::Sag,
        AssemblyType::ClinicalIsolate,
    ];

    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AssemblyType::CovidOutbreak => "COVID-19 outbreak",
            AssemblyType::CloneOrIsolate => "clone or isolate",
            AssemblyType::PrimaryMetagenome => "primary metagenome",
            AssemblyType::BinnedMetagenome => "binned metagenome",
            AssemblyType::Mag => "Metagenome-Assembled Genome (MAG)",
            AssemblyType::Sag => "Environmental Single-Cell Amplified Genome (SAG)",
            AssemblyType::ClinicalIsolate => "clinical isolate assembly",
        }
    }

    /// Reads a manifest value, ignoring case; `clone` and `isolate` mean `clone or isolate`, as
    /// in Webin-CLI.
    pub fn parse(value: &str) -> Option<AssemblyType> {
        if value.eq_ignore_ascii_case("clone") || value.eq_ignore_ascii_case("isolate") {
            return Some(AssemblyType::CloneOrIsolate);
        }
        AssemblyType::ALL.into_iter().find(|t| t.as_str().eq_ignore_ascii_case(value))
    }

    /// ENA allows only a FASTA file (no chromosome list) for these.
    fn fasta_only(self) -> bool {
        matches!(
            self,
            AssemblyType::PrimaryMetagenome | AssemblyType::BinnedMetagenome | AssemblyType::ClinicalIsolate
        )
    }
}

/// `MOLECULETYPE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoleculeType {
    /// `genomic DNA` (ENA's default).
    GenomicDna,
    /// `genomic RNA` (SARS-CoV-2, RSV, influenza).
    GenomicRna,
    /// `viral cRNA`.
    ViralCrna,
}

impl MoleculeType {
    /// The manifest spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MoleculeType::GenomicDna => "genomic DNA",
            MoleculeType::GenomicRna => "genomic RNA",
            MoleculeType::ViralCrna => "viral cRNA",
        }
    }

    /// Reads a manifest value, ignoring case.
    pub fn parse(value: &str) -> Option<MoleculeType> {
        [MoleculeType::GenomicDna, MoleculeType::GenomicRna, MoleculeType::ViralCrna]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(value))
    }
}

/// The replicon kind in the chromosome list's third column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChromosomeType {
    /// A genome in one molecule (SARS-CoV-2, RSV, mpox).
    Monopartite,
    /// One segment of a segmented genome (influenza).
    Segmented,
    /// One part of a multipartite genome.
    Multipartite,
    /// A chromosome.
    Chromosome,
    /// A plasmid.
    Plasmid,
    /// A linkage group.
    LinkageGroup,
}

impl ChromosomeType {
    fn as_str(self) -> &'static str {
        match self {
            ChromosomeType::Monopartite => "Monopartite",
            ChromosomeType::Segmented => "Segmented",
            ChromosomeType::Multipartite => "Multipartite",
            ChromosomeType::Chromosome => "Chromosome",
            ChromosomeType::Plasmid => "Plasmid",
            ChromosomeType::LinkageGroup => "Linkage_Group",
        }
    }
}

/// Where the replicon lives (optional fourth column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)] // The names are ENA's terms.
pub enum ChromosomeLocation {
    Virion,
    Phage,
    Proviral,
    Prophage,
    Viroid,
    Mitochondrion,
    Chloroplast,
    Plastid,
    Macronuclear,
    Nucleomorph,
    Kinetoplast,
}

/// One sequence of the assembly and its chromosome-list entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replicon<'a> {
    /// FASTA header (the whole header: it must hold no whitespace) and chromosome-list
    /// OBJECT_NAME.
    pub object_name: String,
    /// CHROMOSOME_NAME: `1` for a monopartite genome, the segment name (e.g. `HA`) otherwise.
    pub chromosome_name: String,
    /// CHROMOSOME_TYPE.
    pub chromosome_type: ChromosomeType,
    /// Written as a `Circular-` modifier when true; linear is ENA's default.
    pub circular: bool,
    /// CHROMOSOME_LOCATION.
    pub location: Option<ChromosomeLocation>,
    /// The nucleotides (IUPAC letters, either case).
    pub sequence: &'a [u8],
}

impl<'a> Replicon<'a> {
    /// A complete single-molecule viral genome: chromosome `1`, monopartite, in the virion.
    pub fn monopartite(object_name: &str, sequence: &'a [u8]) -> Replicon<'a> {
        Replicon {
            object_name: object_name.to_owned(),
            chromosome_name: "1".to_owned(),
            chromosome_type: ChromosomeType::Monopartite,
            circular: false,
            location: Some(ChromosomeLocation::Virion),
            sequence,
        }
    }
}

/// The metadata fields of a Webin-CLI genome manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct GenomeManifest {
    /// STUDY: accession (PRJEB…/ERP…) or alias.
    pub study: String,
    /// SAMPLE: accession (ERS…/SAMEA…) or alias.
    pub sample: String,
    /// ASSEMBLYNAME: unique in the Webin account; also the stem of the file names.
    pub assembly_name: String,
    /// ASSEMBLY_TYPE.
    pub assembly_type: AssemblyType,
    /// COVERAGE: mean sequencing depth, > 0.
    pub coverage: f64,
    /// PROGRAM: assembler and version.
    pub program: String,
    /// PLATFORM: sequencing platform(s).
    pub platform: String,
    /// MOLECULETYPE.
    pub molecule_type: Option<MoleculeType>,
    /// DESCRIPTION.
    pub description: Option<String>,
    /// RUN_REF: run accessions of the reads assembled.
    pub run_ref: Vec<String>,
    /// MINGAPLENGTH: runs of N at least this long become gaps.
    pub min_gap_length: Option<u32>,
    /// SUBMISSION_TOOL.
    pub submission_tool: Option<String>,
    /// SUBMISSION_TOOL_VERSION.
    pub submission_tool_version: Option<String>,
}

/// What [`write_genome`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct GenomeFiles {
    /// `<stem>.manifest.txt`.
    pub manifest: PathBuf,
    /// `<stem>.fasta.gz`.
    pub fasta: PathBuf,
    /// `<stem>.chromosome_list.gz`.
    pub chromosome_list: PathBuf,
    /// Sequences whose leading or trailing `N`s were cut.
    pub trimmed: Vec<TrimmedEnds>,
}

/// How many `N`s were cut from one sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrimmedEnds {
    /// FASTA header.
    pub object_name: String,
    /// `N`s cut at the start.
    pub leading: usize,
    /// `N`s cut at the end.
    pub trailing: usize,
}

/// A manifest read back by [`parse_manifest`].
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedManifest {
    /// The metadata fields.
    pub manifest: GenomeManifest,
    /// FASTA: the file name.
    pub fasta: String,
    /// CHROMOSOME_LIST: the file name, if any.
    pub chromosome_list: Option<String>,
}

const MIN_SEQUENCE_LENGTH: usize = 20;
const MAX_ASSEMBLY_NAME: usize = 50;
/// "shorter than 33 characters".
const MAX_CHROMOSOME_NAME: usize = 32;
const CHROMOSOME_NAME_FORBIDDEN: &[&str] =
    &["chr", "chrm", "chrom", "chromosome", "linkage group", "plasmid"];

/// `^[A-Za-z0-9][A-Za-z0-9<extra>]*$`, the shape of ENA's assembly and chromosome name patterns.
fn name_pattern(value: &str, extra: &[u8]) -> bool {
    let mut bytes = value.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
}

fn is_iupac(base: u8) -> bool {
    b"acgtubdhkmnrsvwy".contains(&base.to_ascii_lowercase())
}

fn invalid(record: &str, field: &str, value: &str, reason: impl Into<String>) -> EnaError {
    EnaError::InvalidValue {
        record: record.to_owned(),
        field: field.to_owned(),
        value: value.to_owned(),
        reason: reason.into(),
    }
}

/// Manifest values are one line each; blank required values are refused.
fn line_value(record: &str, field: &str, value: &str, required: bool) -> Result<(), EnaError> {
    if required && value.trim().is_empty() {
        return Err(EnaError::Missing { record: record.to_owned(), field: field.to_owned() });
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(record, field, value, "must be one line without control characters"));
    }
    Ok(())
}

fn check_manifest(manifest: &GenomeManifest, organism: &str) -> Result<(), EnaError> {
    let name = manifest.assembly_name.as_str();
    let record = if name.is_empty() { "(assembly)" } else { name };
    if !name_pattern(name, b" _#-.") || name.len() > MAX_ASSEMBLY_NAME {
        let reason = "must match ^[A-Za-z0-9][A-Za-z0-9 _#\\-\\.]*$ and have at most 50 characters";
        return Err(invalid(record, "ASSEMBLYNAME", name, reason));
    }
    let organism = organism.trim();
    if !organism.is_empty() && name.to_lowercase().contains(&organism.to_lowercase()) {
        return Err(invalid(
            record,
            "ASSEMBLYNAME",
            name,
            format!("must not contain the organism name '{organism}'"),
        ));
    }
    if manifest.assembly_type.fasta_only() {
        let reason = "allows a FASTA file only; Virion submits chromosome-level assemblies";
        return Err(invalid(record, "ASSEMBLY_TYPE", manifest.assembly_type.as_str(), reason));
    }
    if !(manifest.coverage.is_finite() && manifest.coverage > 0.0) {
        return Err(invalid(record, "COVERAGE", &manifest.coverage.to_string(), "must be a positive number"));
    }
    if manifest.min_gap_length == Some(0) {
        return Err(invalid(record, "MINGAPLENGTH", "0", "must be a positive integer"));
    }
    line_value(record, "STUDY", &manifest.study, true)?;
    line_value(record, "SAMPLE", &manifest.sample, true)?;
    line_value(record, "PROGRAM", &manifest.program, true)?;
    line_value(record, "PLATFORM", &manifest.platform, true)?;
    for (field, value) in [
        ("DESCRIPTION", &manifest.description),
        ("SUBMISSION_TOOL", &manifest.submission_tool),
        ("SUBMISSION_TOOL_VERSION", &manifest.submission_tool_version),
    ] {
        if let Some(value) = value {
            line_value(record, field, value, false)?;
        }
    }
    for run in &manifest.run_ref {
        if !name_pattern(run, b"") {
            return Err(invalid(record, "RUN_REF", run, "must be a run accession such as ERR0000000"));
        }
    }
    Ok(())
}

/// Checks one sequence and returns the part to write (leading/trailing `N` cut).
fn check_replicon<'a>(record: &str, replicon: &Replicon<'a>) -> Result<(&'a [u8], TrimmedEnds), EnaError> {
    let object = replicon.object_name.as_str();
    let sequence_error =
        |reason: String| EnaError::Sequence { record: record.to_owned(), object: object.to_owned(), reason };
    if object.is_empty() || !object.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(record, "OBJECT_NAME", object, "must be printable ASCII without spaces"));
    }
    let chromosome = replicon.chromosome_name.as_str();
    if !name_pattern(chromosome, b"_#-.") || chromosome.len() > MAX_CHROMOSOME_NAME {
        let reason = "must match ^[A-Za-z0-9][A-Za-z0-9_#\\-\\.]*$ and be shorter than 33 characters";
        return Err(invalid(record, "CHROMOSOME_NAME", chromosome, reason));
    }
    let lower = chromosome.to_ascii_lowercase();
    if let Some(word) = CHROMOSOME_NAME_FORBIDDEN.iter().find(|w| lower.contains(*w)) {
        return Err(invalid(record, "CHROMOSOME_NAME", chromosome, format!("must not contain '{word}'")));
    }
    if let Some(position) = replicon.sequence.iter().position(|&b| !is_iupac(b)) {
        let byte = replicon.sequence[position];
        return Err(sequence_error(format!(
            "has {:?} at position {}; only acgtu and IUPAC codes bdhkmnrsvwy are allowed",
            char::from(byte),
            position + 1
        )));
    }
    let is_n = |b: &u8| b.eq_ignore_ascii_case(&b'n');
    let leading = replicon.sequence.iter().take_while(|b| is_n(b)).count();
    let trailing = replicon.sequence[leading..].iter().rev().take_while(|b| is_n(b)).count();
    let kept = &replicon.sequence[leading..replicon.sequence.len() - trailing];
    if kept.len() < MIN_SEQUENCE_LENGTH {
        return Err(sequence_error(format!(
            "has {} bases once leading and trailing N are removed; ENA requires at least {MIN_SEQUENCE_LENGTH}",
            kept.len()
        )));
    }
    Ok((kept, TrimmedEnds { object_name: object.to_owned(), leading, trailing }))
}

/// The file-name stem: the assembly name with characters other than `[A-Za-z0-9_.-]` replaced by
/// `_` (manifest file names must be ASCII, and spaces would need quoting).
fn file_stem(assembly_name: &str) -> String {
    assembly_name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' })
        .collect()
}

/// The manifest text, fields in Webin-CLI's documented order.
fn manifest_text(manifest: &GenomeManifest, fasta: &str, chromosome_list: &str) -> String {
    let mut lines: Vec<(&str, String)> = vec![
        ("STUDY", manifest.study.clone()),
        ("SAMPLE", manifest.sample.clone()),
        ("ASSEMBLYNAME", manifest.assembly_name.clone()),
        ("ASSEMBLY_TYPE", manifest.assembly_type.as_str().to_owned()),
        ("COVERAGE", manifest.coverage.to_string()),
        ("PROGRAM", manifest.program.clone()),
        ("PLATFORM", manifest.platform.clone()),
    ];
    if let Some(gap) = manifest.min_gap_length {
        lines.push(("MINGAPLENGTH", gap.to_string()));
    }
    if let Some(molecule) = manifest.molecule_type {
        lines.push(("MOLECULETYPE", molecule.as_str().to_owned()));
    }
    let optional = [
        ("DESCRIPTION", &manifest.description),
        ("SUBMISSION_TOOL", &manifest.submission_tool),
        ("SUBMISSION_TOOL_VERSION", &manifest.submission_tool_version),
    ];
    for (field, value) in optional {
        if let Some(value) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            lines.push((field, value.trim().to_owned()));
        }
    }
    if !manifest.run_ref.is_empty() {
        lines.push(("RUN_REF", manifest.run_ref.join(",")));
    }
    lines.push(("FASTA", fasta.to_owned()));
    lines.push(("CHROMOSOME_LIST", chromosome_list.to_owned()));
    lines.iter().map(|(field, value)| format!("{field}\t{}\n", value.trim())).collect()
}

fn write_file(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), EnaError> {
    let io_error = |e: io::Error| EnaError::Io { path: path.display().to_string(), message: e.to_string() };
    let mut out = BufWriter::new(File::create(path).map_err(io_error)?);
    write(&mut out).map_err(io_error)?;
    out.flush().map_err(io_error)
}

fn write_gz(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), EnaError> {
    write_file(path, |out| {
        let mut gz = GzEncoder::new(out, Compression::default());
        write(&mut gz)?;
        gz.finish()?;
        Ok(())
    })
}

/// Writes `<stem>.manifest.txt`, `<stem>.fasta.gz` and `<stem>.chromosome_list.gz` into `dir`
/// (the stem is the assembly name, see [`GenomeFiles`]); the manifest names the other two by file
/// name, so Webin-CLI runs with `-inputDir dir`.
///
/// `organism` is the organism's scientific name, which ENA forbids in the assembly name. Checked
/// before anything is written: the assembly name (pattern, ≤ 50 characters, no organism name),
/// coverage > 0, one-line texts, an assembly type that allows a chromosome list; per sequence: a
/// header without whitespace, unique headers and chromosome names, ENA's chromosome-name rules,
/// IUPAC letters only, and at least 20 bases after leading and trailing `N`s are cut.
pub fn write_genome(
    dir: &Path,
    manifest: &GenomeManifest,
    organism: &str,
    replicons: &[Replicon<'_>],
) -> Result<GenomeFiles, EnaError> {
    check_manifest(manifest, organism)?;
    let record = manifest.assembly_name.as_str();
    if replicons.is_empty() {
        return Err(EnaError::Empty("genome assembly"));
    }
    let mut kept = Vec::with_capacity(replicons.len());
    for (i, replicon) in replicons.iter().enumerate() {
        let earlier = &replicons[..i];
        if earlier.iter().any(|r| r.object_name == replicon.object_name) {
            return Err(EnaError::Duplicate {
                record: record.to_owned(),
                field: replicon.object_name.clone(),
            });
        }
        if earlier.iter().any(|r| r.chromosome_name == replicon.chromosome_name) {
            return Err(EnaError::Duplicate {
                record: record.to_owned(),
                field: replicon.chromosome_name.clone(),
            });
        }
        kept.push(check_replicon(record, replicon)?);
    }

    let stem = file_stem(record);
    let fasta_name = format!("{stem}.fasta.gz");
    let list_name = format!("{stem}.chromosome_list.gz");
    let files = GenomeFiles {
        manifest: dir.join(format!("{stem}.manifest.txt")),
        fasta: dir.join(&fasta_name),
        chromosome_list: dir.join(&list_name),
        trimmed: kept.iter().filter(|(_, t)| t.leading + t.trailing > 0).map(|(_, t)| t.clone()).collect(),
    };
    write_gz(&files.fasta, |out| {
        for (replicon, (sequence, _)) in replicons.iter().zip(&kept) {
            writeln!(out, ">{}", replicon.object_name)?;
            for line in sequence.chunks(60) {
                out.write_all(line)?;
                out.write_all(b"\n")?;
            }
        }
        Ok(())
    })?;
    write_gz(&files.chromosome_list, |out| {
        for replicon in replicons {
            let kind = replicon.chromosome_type.as_str();
            let topology = if replicon.circular { "Circular-" } else { "" };
            write!(out, "{}\t{}\t{topology}{kind}", replicon.object_name, replicon.chromosome_name)?;
            if let Some(location) = replicon.location {
                write!(out, "\t{location:?}")?;
            }
            writeln!(out)?;
        }
        Ok(())
    })?;
    let text = manifest_text(manifest, &fasta_name, &list_name);
    write_file(&files.manifest, |out| out.write_all(text.as_bytes()))?;
    Ok(files)
}

/// Reads a plain-text genome manifest as Webin-CLI does: one `FIELD value` per line (tab or
/// spaces between), field names ignoring case and a trailing `:`, blank lines and lines starting
/// with `#`, `;` or `//` skipped, `NAME` as a synonym of `ASSEMBLYNAME`.
///
/// Refuses (naming the line) unknown or repeated fields, fields this crate does not write
/// (`FLATFILE`, `INFO`, `TPA`, …), bad numbers or controlled values, and missing required fields.
pub fn parse_manifest(text: &str) -> Result<ParsedManifest, EnaError> {
    let mut fields: Vec<(String, String, usize)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') || line.starts_with("//") {
            continue;
        }
        let (name, value) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let mut name = name.trim_end_matches(':').to_ascii_uppercase();
        if name == "NAME" {
            name = "ASSEMBLYNAME".to_owned();
        }
        if fields.iter().any(|(n, _, _)| *n == name) {
            return Err(EnaError::Manifest { line: i + 1, reason: format!("{name} is given twice") });
        }
        fields.push((name, value.trim().to_owned(), i + 1));
    }
    const KNOWN: &[&str] = &[
        "STUDY",
        "SAMPLE",
        "ASSEMBLYNAME",
        "ASSEMBLY_TYPE",
        "COVERAGE",
        "PROGRAM",
        "PLATFORM",
        "MINGAPLENGTH",
        "MOLECULETYPE",
        "DESCRIPTION",
        "RUN_REF",
        "SUBMISSION_TOOL",
        "SUBMISSION_TOOL_VERSION",
        "FASTA",
        "CHROMOSOME_LIST",
    ];
    if let Some((name, _, line)) = fields.iter().find(|(n, _, _)| !KNOWN.contains(&n.as_str())) {
        return Err(EnaError::Manifest { line: *line, reason: format!("field {name} is not supported") });
    }
    let last_line = text.lines().count();
    let get = |name: &str| fields.iter().find(|(n, _, _)| n == name).map(|(_, v, l)| (v.as_str(), *l));
    let required = |name: &str| match get(name) {
        Some(("", line)) => Err(EnaError::Manifest { line, reason: format!("{name} has no value") }),
        Some(found) => Ok(found),
        None => Err(EnaError::Manifest { line: last_line, reason: format!("{name} is missing") }),
    };
    let optional = |name: &str| get(name).map(|(v, _)| v.to_owned()).filter(|v| !v.is_empty());
    let bad = |line: usize, name: &str, value: &str| EnaError::Manifest {
        line,
        reason: format!("{name} value '{value}' is not allowed"),
    };

    let (assembly_type, line) = required("ASSEMBLY_TYPE")?;
    let assembly_type =
        AssemblyType::parse(assembly_type).ok_or_else(|| bad(line, "ASSEMBLY_TYPE", assembly_type))?;
    let (coverage, line) = required("COVERAGE")?;
    let coverage = coverage
        .parse::<f64>()
        .ok()
        .filter(|c| c.is_finite() && *c > 0.0)
        .ok_or_else(|| bad(line, "COVERAGE", coverage))?;
    let molecule_type = match get("MOLECULETYPE") {
        Some((value, line)) => {
            Some(MoleculeType::parse(value).ok_or_else(|| bad(line, "MOLECULETYPE", value))?)
        }
        None => None,
    };
    let min_gap_length = match get("MINGAPLENGTH") {
        Some((value, line)) => Some(
            value.parse::<u32>().ok().filter(|&g| g > 0).ok_or_else(|| bad(line, "MINGAPLENGTH", value))?,
        ),
        None => None,
    };
    let manifest = GenomeManifest {
        study: required("STUDY")?.0.to_owned(),
        sample: required("SAMPLE")?.0.to_owned(),
        assembly_name: required("ASSEMBLYNAME")?.0.to_owned(),
        assembly_type,
        coverage,
        program: required("PROGRAM")?.0.to_owned(),
        platform: required("PLATFORM")?.0.to_owned(),
        molecule_type,
        description: optional("DESCRIPTION"),
        run_ref: optional("RUN_REF")
            .map(|v| v.split(',').map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()).collect())
            .unwrap_or_default(),
        min_gap_length,
        submission_tool: optional("SUBMISSION_TOOL"),
        submission_tool_version: optional("SUBMISSION_TOOL_VERSION"),
    };
    Ok(ParsedManifest {
        manifest,
        fasta: required("FASTA")?.0.to_owned(),
        chromosome_list: optional("CHROMOSOME_LIST"),
    })
}
