//! Packs a download as an RO-Crate 1.2 zip that says what it holds, how it was made and how it
//! may be used.
//!
//! The server streams each data file through [`CrateWriter::start_file`], which hashes (SHA-256)
//! and counts the bytes on their way into the zip; the accession.versions of the records go to
//! one payload file, [`RECORDS_FILE`], through [`CrateWriter::add_records`]. [`CrateWriter::finish`]
//! then writes `ro-crate-metadata.json` last, once every size and digest is known: the root
//! dataset (name, description, datePublished, license, conditionsOfAccess, publisher, the
//! collection it is part of, `cite-as` and `creditText`), one `File` per data file, and a
//! `CreateAction` for the query (its LAPIS parameters as `PropertyValue`s, the endpoint as
//! `target`, the software as `instrument`, the user or node as `agent`, the files as `result`).
//!
//! Records are never described one entity each: a download may hold millions. The records file
//! is a `File` that is also an `ItemList` whose `numberOfItems` is the count, so the metadata
//! stays small and a reader knows how many lines to expect.

mod metadata;

use std::collections::HashSet;
use std::io::{Seek, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};
use sha2::{Digest, Sha256};
use zip::ZipWriter;
use zip::write::SimpleFileOptions;

/// Name of the payload file listing the records included, one identifier (`ACCESSION.VERSION` on
/// a hub) per line.
pub const RECORDS_FILE: &str = "accessions.txt";
/// Name of the RO-Crate metadata file, written last.
pub const METADATA_FILE: &str = "ro-crate-metadata.json";
/// The RO-Crate specification version the metadata conforms to.
pub const RO_CRATE_SPEC: &str = "https://w3id.org/ro/crate/1.2";
/// The JSON-LD context of that version.
pub const RO_CRATE_CONTEXT: &str = "https://w3id.org/ro/crate/1.2/context";

/// Names a crate reader treats specially, so no data file may take them.
const RESERVED_NAMES: &[&str] = &[METADATA_FILE, "ro-crate-preview.html", RECORDS_FILE];
const MAX_NAME_LEN: usize = 200;
/// Longest record identifier (accession.version, or an imported collection's primary key).
const MAX_RECORD_LEN: usize = 256;

/// What the download is: everything the metadata says besides the files themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct CrateInfo {
    /// Title of the download, e.g. "SARS-CoV-2 sequences from Switzerland, 2024".
    pub name: String,
    /// What it holds and why it matters.
    pub description: String,
    /// When the download was made; the crate's `datePublished`.
    pub date_published: DateTime<Utc>,
    /// The licence of the data.
    pub license: License,
    /// The data use terms as text (e.g. "restricted until 2027-01-01: ..."), if any.
    pub conditions_of_access: Option<String>,
    /// The software that made the download.
    pub software: Software,
    /// The node that served it; the crate's publisher.
    pub node: Node,
    /// The query whose answer the download is, if it was made by one.
    pub query: Option<QueryAction>,
    /// How to cite the download, if known.
    pub citation: Option<Citation>,
    /// The collection the download was taken from, if any.
    pub collection: Option<CollectionRef>,
}

/// A licence, identified by its URL (e.g. an SPDX or Creative Commons URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    /// The licence's URL; also its `@id`.
    pub uri: String,
    /// Its human-readable name, e.g. "CC BY 4.0".
    pub name: String,
}

/// The software that made the files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Software {
    /// E.g. "Virion".
    pub name: String,
    /// The exact version, e.g. "0.1.0".
    pub version: String,
    /// The software's home page; also its `@id`.
    pub url: String,
}

/// The node that served the download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// E.g. "Virion node of the Swiss Pathogen Surveillance Platform".
    pub name: String,
    /// The node's base URL; also its `@id`.
    pub url: String,
}

/// The query that made the files: the exact parameters sent to the endpoint, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryAction {
    /// What the query did, e.g. "Aligned nucleotide sequences and metadata".
    pub name: String,
    /// The endpoint's URL, e.g. `https://node.example/lapis/sample/details`.
    pub endpoint: String,
    /// Every LAPIS parameter as (name, value), in the order sent; repeated names are kept.
    pub parameters: Vec<(String, String)>,
    /// When the query started.
    pub start_time: DateTime<Utc>,
    /// When the last file was complete.
    pub end_time: DateTime<Utc>,
    /// The user who ran it, if signed in; otherwise the node is the agent.
    pub agent: Option<String>,
}

/// How to cite the download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The citation as text; the crate's `creditText`.
    pub text: String,
    /// A persistent URL (e.g. a DOI URL) whose landing page offers this download; the crate's
    /// `cite-as`. RO-Crate reserves `cite-as` for identifiers that lead to the crate itself.
    pub cite_as: Option<String>,
}

/// The collection the download was taken from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectionRef {
    /// The collection's identifier, e.g. its DOI or the node's collection id.
    pub id: String,
    /// The collection's page; also its `@id`.
    pub url: String,
    /// Its name.
    pub name: String,
    /// The version of the collection the download was taken from.
    pub version: String,
}

/// Why a crate could not be written. Each variant names the field or file at fault.
#[derive(Debug, thiserror::Error)]
pub enum CrateError {
    /// A required text is empty or only whitespace.
    #[error("{field} is empty")]
    Empty {
        /// The field, e.g. `license.name`.
        field: String,
    },
    /// A URL that is not an absolute http(s) URL.
    #[error("{field}: {value:?} is not an absolute http(s) URL ({reason})")]
    BadUrl {
        /// The field, e.g. `node.url`.
        field: String,
        /// The text given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The query ended before it started.
    #[error("query.end_time {end} is before query.start_time {start}")]
    QueryTimes {
        /// query.start_time.
        start: DateTime<Utc>,
        /// query.end_time.
        end: DateTime<Utc>,
    },
    /// Two entities would share one `@id` (e.g. the node's URL is also the software's).
    #[error("{second} has the same @id {id:?} as {first}")]
    DuplicateId {
        /// The shared identifier.
        id: String,
        /// The entity that took it first.
        first: String,
        /// The entity that wanted it too.
        second: String,
    },
    /// A data file name that is not a plain, safe file name.
    #[error("file name {name:?}: {reason}")]
    BadFileName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A data file name given twice (compared without case, as Windows and macOS unpack).
    #[error("file name {name:?} is already in the crate")]
    DuplicateFile {
        /// The name given.
        name: String,
    },
    /// A media type that is not `type/subtype` with optional `; name=value` parameters.
    #[error("file {file:?}: media type {media_type:?} is not type/subtype[; name=value]")]
    BadMediaType {
        /// The file it was given for.
        file: String,
        /// The text given.
        media_type: String,
    },
    /// A record identifier that cannot be one line of the records file.
    #[error("{RECORDS_FILE} record {number} {record:?}: {reason}")]
    BadRecord {
        /// 1-based position among the records.
        number: u64,
        /// The record as given (cut to 100 characters).
        record: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// [`CrateWriter::add_records`] was called a second time.
    #[error("the records were already written to {RECORDS_FILE}")]
    RecordsAlreadyWritten,
    /// An earlier write failed, so the zip is incomplete and no more can be added.
    #[error("an earlier write to the crate failed; the crate is incomplete")]
    Broken,
    /// The zip writer refused.
    #[error("zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    /// The underlying writer failed.
    #[error("writing the crate: {0}")]
    Io(#[from] std::io::Error),
}

/// A data file written into the crate, as it will be described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    /// Path in the zip; also the `@id`.
    pub name: String,
    /// IANA media type.
    pub media_type: String,
    /// What the file holds.
    pub description: String,
    /// Size in bytes (uncompressed).
    pub size: u64,
    /// SHA-256 of the bytes, lower-case hex.
    pub sha256: String,
    /// For the records file: how many records it lists.
    pub records: Option<u64>,
}

struct OpenFile {
    name: String,
    media_type: String,
    description: String,
    hasher: Sha256,
    size: u64,
    records: Option<u64>,
}

impl OpenFile {
    fn close(self) -> WrittenFile {
        let digest = self.hasher.finalize();
        let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        WrittenFile {
            name: self.name,
            media_type: self.media_type,
            description: self.description,
            size: self.size,
            sha256,
            records: self.records,
        }
    }
}

/// Writes an RO-Crate zip: data files one after another, then the metadata on
/// [`finish`](Self::finish).
pub struct CrateWriter<W: Write + Seek> {
    zip: ZipWriter<W>,
    info: CrateInfo,
    files: Vec<WrittenFile>,
    open: Option<OpenFile>,
    names_lower: HashSet<String>,
    records_written: bool,
    broken: bool,
    modified: zip::DateTime,
}

impl<W: Write + Seek> std::fmt::Debug for CrateWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrateWriter")
            .field("name", &self.info.name)
            .field("files", &self.files)
            .field("open", &self.open.as_ref().map(|o| &o.name))
            .finish_non_exhaustive()
    }
}

impl<W: Write + Seek> CrateWriter<W> {
    /// Checks `info` (required texts present, URLs absolute http(s), query times in order, no
    /// two entities with one `@id`) and starts a zip on `writer`.
    pub fn new(writer: W, info: CrateInfo) -> Result<Self, CrateError> {
        metadata::check(&info)?;
        Ok(CrateWriter {
            zip: ZipWriter::new(writer),
            modified: zip_time(info.date_published),
            info,
            files: Vec::new(),
            open: None,
            names_lower: HashSet::new(),
            records_written: false,
            broken: false,
        })
    }

    /// Starts the data file `name` (a plain file name such as `sequences.fasta`) of IANA
    /// `media_type`; write its bytes to the returned handle. The file ends when the next one
    /// starts or the crate is finished.
    pub fn start_file(
        &mut self,
        name: &str,
        media_type: &str,
        description: &str,
    ) -> Result<FileWriter<'_, W>, CrateError> {
        check_file_name(name)?;
        if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            return Err(CrateError::BadFileName {
                name: name.to_owned(),
                reason: "is reserved for the crate's own files",
            });
        }
        check_media_type(name, media_type)?;
        if description.trim().is_empty() {
            return Err(CrateError::Empty { field: format!("description of file {name:?}") });
        }
        self.open_entry(name, media_type, description, None)?;
        Ok(FileWriter { crate_writer: self })
    }

    /// Writes [`RECORDS_FILE`]: each record (`ACCESSION.VERSION`, e.g. `VRN00001AK.2`) on its
    /// own line, streamed, so millions cost no memory. Returns how many were written. Can be
    /// called once; records are not de-duplicated. A malformed record breaks the crate (part of
    /// the list is already written), so [`finish`](Self::finish) then fails too.
    pub fn add_records<I, S>(&mut self, records: I) -> Result<u64, CrateError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        if self.records_written {
            return Err(CrateError::RecordsAlreadyWritten);
        }
        self.records_written = true;
        self.open_entry(
            RECORDS_FILE,
            "text/plain",
            "The records included in this download: one identifier (accession.version) per line.",
            Some(0),
        )?;
        // Lines are gathered into blocks so the zip and the hasher see few, large writes.
        let mut block = Vec::with_capacity(64 * 1024);
        let mut count = 0u64;
        for record in records {
            count += 1;
            let record = record.as_ref();
            if let Err(e) = check_record(count, record) {
                // Part of the list is already in the zip: the crate can no longer be right.
                self.broken = true;
                return Err(e);
            }
            block.extend_from_slice(record.as_bytes());
            block.push(b'\n');
            if block.len() >= 60 * 1024 {
                self.write_open(&block)?;
                block.clear();
            }
        }
        self.write_open(&block)?;
        if let Some(open) = self.open.as_mut() {
            open.records = Some(count);
        }
        Ok(count)
    }

    /// The data files finished so far (the one still open is not listed).
    pub fn files(&self) -> &[WrittenFile] {
        &self.files
    }

    /// Ends the last file, writes `ro-crate-metadata.json` and the zip's central directory,
    /// and hands back the writer.
    pub fn finish(mut self) -> Result<W, CrateError> {
        if self.broken {
            return Err(CrateError::Broken);
        }
        if let Some(open) = self.open.take() {
            self.files.push(open.close());
        }
        let document = metadata::document(&self.info, &self.files)?;
        let mut json =
            serde_json::to_vec_pretty(&document).map_err(|e| CrateError::Io(std::io::Error::other(e)))?;
        json.push(b'\n');
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(self.modified)
            .large_file(json.len() as u64 >= u64::from(u32::MAX));
        self.zip.start_file(METADATA_FILE, options)?;
        self.zip.write_all(&json)?;
        Ok(self.zip.finish()?)
    }

    fn open_entry(
        &mut self,
        name: &str,
        media_type: &str,
        description: &str,
        records: Option<u64>,
    ) -> Result<(), CrateError> {
        if self.broken {
            return Err(CrateError::Broken);
        }
        if !self.names_lower.insert(name.to_ascii_lowercase()) {
            return Err(CrateError::DuplicateFile { name: name.to_owned() });
        }
        if let Some(open) = self.open.take() {
            self.files.push(open.close());
        }
        // ZIP64 headers up front: a download of a whole database may pass 4 GiB.
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(self.modified)
            .large_file(true);
        if let Err(e) = self.zip.start_file(name, options) {
            self.broken = true;
            return Err(e.into());
        }
        self.open = Some(OpenFile {
            name: name.to_owned(),
            media_type: media_type.to_owned(),
            description: description.to_owned(),
            hasher: Sha256::new(),
            size: 0,
            records,
        });
        Ok(())
    }

    fn write_open(&mut self, buf: &[u8]) -> std::io::Result<()> {
        let mut rest = buf;
        while !rest.is_empty() {
            let n = self.write_some(rest)?;
            if n == 0 {
                self.broken = true;
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            rest = &rest[n..];
        }
        Ok(())
    }

    fn write_some(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.broken {
            return Err(std::io::Error::other(CrateError::Broken));
        }
        let Some(open) = self.open.as_mut() else {
            return Err(std::io::Error::other("no file is open in the crate"));
        };
        match self.zip.write(buf) {
            Ok(n) => {
                // Only the bytes the zip took are counted, so size and digest match the entry.
                open.hasher.update(&buf[..n]);
                open.size += n as u64;
                Ok(n)
            }
            Err(e) => {
                self.broken = true;
                Err(e)
            }
        }
    }
}

/// The open data file of a [`CrateWriter`]: write its bytes here. Size and SHA-256 are taken
/// as they pass.
pub struct FileWriter<'a, W: Write + Seek> {
    crate_writer: &'a mut CrateWriter<W>,
}

impl<W: Write + Seek> std::fmt::Debug for FileWriter<'_, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let open = self.crate_writer.open.as_ref();
        f.debug_struct("FileWriter")
            .field("name", &open.map(|o| &o.name))
            .field("size", &open.map(|o| o.size))
            .finish()
    }
}

impl<W: Write + Seek> Write for FileWriter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.crate_writer.write_some(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.crate_writer.zip.flush()
    }
}

/// Zip entries carry the publication time, so the same download packs to the same bytes.
fn zip_time(t: DateTime<Utc>) -> zip::DateTime {
    let year = t.year();
    if !(1980..=2107).contains(&year) {
        return zip::DateTime::default();
    }
    let date = (((year - 1980) as u16) << 9) | ((t.month() as u16) << 5) | t.day() as u16;
    let time = ((t.hour() as u16) << 11) | ((t.minute() as u16) << 5) | (t.second() as u16 / 2);
    zip::DateTime::try_from_msdos(date, time).unwrap_or_default()
}

/// A flat, portable file name: it is both the zip path and the JSON-LD `@id`, so it must not
/// climb out of the crate, need percent-encoding, or mean something else on another system.
fn check_file_name(name: &str) -> Result<(), CrateError> {
    let bad = |reason| Err(CrateError::BadFileName { name: name.to_owned(), reason });
    if name.is_empty() {
        return bad("is empty");
    }
    if name.len() > MAX_NAME_LEN {
        return bad("is longer than 200 bytes");
    }
    if name.contains('/') || name.contains('\\') {
        return bad("must be a plain file name without folders");
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return bad("may hold only ASCII letters, digits, '.', '_' and '-'");
    }
    if name.starts_with('.') || name.starts_with('-') {
        return bad("must not start with '.' or '-'");
    }
    Ok(())
}

fn is_restricted_name(s: &str) -> bool {
    // RFC 6838 restricted-name: an alphanumeric, then up to 126 of these.
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphanumeric())
        && s.len() <= 127
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
}

fn check_media_type(file: &str, media_type: &str) -> Result<(), CrateError> {
    let mut parts = media_type.split(';');
    let essence = parts.next().unwrap_or_default();
    let ok_essence =
        essence.split_once('/').is_some_and(|(t, s)| is_restricted_name(t) && is_restricted_name(s));
    let ok_params = parts.all(|p| {
        p.trim().split_once('=').is_some_and(|(k, v)| is_restricted_name(k) && is_restricted_name(v))
    });
    if ok_essence && ok_params {
        Ok(())
    } else {
        Err(CrateError::BadMediaType { file: file.to_owned(), media_type: media_type.to_owned() })
    }
}

/// A record is the identifier its collection gives a genome: `ACCESSION.VERSION` on a hub,
/// the primary key of an imported LAPIS/SILO collection otherwise. One per line, so it holds no
/// whitespace or control character; bounded in length.
fn check_record(number: u64, record: &str) -> Result<(), CrateError> {
    let bad =
        |reason| Err(CrateError::BadRecord { number, record: record.chars().take(100).collect(), reason });
    if record.is_empty() || record.len() > MAX_RECORD_LEN {
        return bad("a record identifier must be 1 to 256 bytes");
    }
    if record.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("a record identifier may hold no whitespace or control character");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names() {
        for good in ["sequences.fasta", "metadata.tsv", "a", "nextclade_2024-01.ndjson"] {
            assert!(check_file_name(good).is_ok(), "{good}");
        }
        for bad in ["", "../x", "/etc/passwd", "a/b", "a\\b", ".hidden", "-rf", "a b", "é.txt", "x:y"] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_file_name(&"a".repeat(201)).is_err());
    }

    #[test]
    fn media_types() {
        for good in [
            "text/x-fasta",
            "text/tab-separated-values",
            "application/vnd.apache.parquet",
            "text/plain; charset=utf-8",
        ] {
            assert!(check_media_type("f", good).is_ok(), "{good}");
        }
        for bad in ["", "text", "text/", "/plain", "text/plain;", "text/pla in", "text/plain; charset"] {
            assert!(check_media_type("f", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn records() {
        // Accession.versions, and an imported collection's own keys.
        for good in
            ["VRN00001AK.1", "MN908947.3", "EPI_ISL_402124.12", "SYN0004095", "hCoV-19/Denmark/1/2021"]
        {
            assert!(check_record(1, good).is_ok(), "{good}");
        }
        for bad in ["", "A B.1", "A.1\n", "a\tb", "\u{0}", &"x".repeat(257)] {
            assert!(check_record(1, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn zip_times() {
        let t = DateTime::parse_from_rfc3339("2026-07-01T12:34:56Z").unwrap().with_timezone(&Utc);
        let z = zip_time(t);
        assert_eq!(
            (z.year(), z.month(), z.day(), z.hour(), z.minute(), z.second()),
            (2026, 7, 1, 12, 34, 56)
        );
        let old = DateTime::parse_from_rfc3339("1970-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(zip_time(old), zip::DateTime::default());
    }
}
