//! Turns a saved, versioned collection of sequence versions into everything needed to cite it.
//!
//! A [`CitableCollection`] (typed, no I/O) is checked and normalised once by [`Citation::new`];
//! the [`Citation`] then writes a human citation ([`Citation::text`]), BibTeX
//! ([`Citation::bibtex`]), RIS ([`Citation::ris`]), a DataCite Metadata Schema 4.6 record as XML
//! ([`Citation::datacite_xml`]) or as a DataCite REST API body ([`Citation::datacite_json`]), and
//! schema.org/Bioschemas `Dataset` JSON-LD ([`Citation::bioschemas_jsonld`]). Every format says
//! the same things: creators in order, title, version, publisher, year, the identifier (the DOI
//! once minted, else the version's landing page), member count and data use terms.

mod bioschemas;
mod datacite;
mod text;

use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub use bioschemas::BIOSCHEMAS_DATASET_PROFILE;
pub use datacite::{DATACITE_SCHEMA_LOCATION, DATACITE_XMLNS, DoiEvent, DoiRequest};

/// Upper bounds on the input, so that a hostile or broken collection cannot make a record of
/// unbounded size (DataCite also refuses very large records).
pub const MAX_AUTHORS: usize = 1_000;
/// At most this many keywords, countries, organisms or downloads each.
pub const MAX_LIST: usize = 500;
/// At most this many characters in any single text field.
pub const MAX_FIELD_CHARS: usize = 20_000;

/// A collection version as the node stores it: what a user saved from a search, frozen.
#[derive(Debug, Clone, PartialEq)]
pub struct CitableCollection {
    /// The collection's id (letters, digits, `-`, `_`), the same for all its versions.
    pub id: String,
    /// The version, from 1; any change to a collection makes version n+1.
    pub version: u32,
    /// The name the user gave it; becomes the title.
    pub title: String,
    /// Free text; becomes the abstract.
    pub description: String,
    /// Creators in citation order.
    pub authors: Vec<Author>,
    /// The exact frozen members with their data use terms as at the version's creation.
    pub members: Vec<Member>,
    /// When this version was created (its publication date).
    pub created: DateTime<Utc>,
    /// When this version's metadata last changed (e.g. a DOI was minted), if ever.
    pub updated: Option<DateTime<Utc>>,
    /// The node that serves it.
    pub node: Node,
    /// This version's DOI once minted (`10.xxxx/suffix`; a `https://doi.org/` prefix is accepted).
    pub doi: Option<String>,
    /// The previous version's DOI, if it has one (version ≥ 2).
    pub previous_version_doi: Option<String>,
    /// Organisms of the members.
    pub organisms: Vec<Organism>,
    /// Sample collection dates of the members, first to last.
    pub collection_dates: Option<DateRange>,
    /// Countries the members were sampled in, as names.
    pub countries: Vec<String>,
    /// Free keywords.
    pub keywords: Vec<String>,
    /// Where the members can be downloaded (FASTA, metadata TSV, the accession list, …).
    pub downloads: Vec<Download>,
}

/// One creator: a person's name as `Family, Given`, or free text, and maybe an ORCID iD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    /// `Family, Given` (split into family and given names) or free text (kept whole).
    pub name: String,
    /// `0000-0002-1825-0097` or `https://orcid.org/0000-0002-1825-0097`.
    pub orcid: Option<String>,
}

/// One member sequence version and its data use terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// `ACCESSION.VERSION`.
    pub accession_version: String,
    /// Its terms when the collection version was made.
    pub terms: MemberTerms,
}

/// Data use terms of a member (the node's OPEN / RESTRICTED).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberTerms {
    /// Under the node's open licence.
    Open,
    /// Under the node's restricted-use terms until the day `until`, open after it.
    Restricted {
        /// First day the member is open.
        until: NaiveDate,
    },
}

/// The node that publishes the collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Short name, also the data catalogue's name (e.g. "Virion Europe").
    pub name: String,
    /// Base URL, e.g. `https://virion.example.org`; landing pages are `{url}/collections/{id}.{version}`.
    pub url: String,
    /// Publisher of record (the organisation running the node).
    pub publisher: String,
    /// The publisher's ROR id URL, if it has one.
    pub publisher_ror: Option<String>,
    /// The licence OPEN members are under (the node's choice, e.g. [`Licence::cc_by_4`]).
    pub open_licence: Licence,
    /// The node's restricted-use terms, which RESTRICTED members are under until their date.
    pub restricted_terms: Licence,
}

/// A licence or terms-of-use document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licence {
    /// Human name.
    pub name: String,
    /// Where its text is.
    pub url: String,
    /// SPDX identifier when it has one (`CC-BY-4.0`).
    pub spdx: Option<String>,
}

impl Licence {
    /// Creative Commons Attribution 4.0 International.
    pub fn cc_by_4() -> Self {
        Licence {
            name: "Creative Commons Attribution 4.0 International".into(),
            url: "https://creativecommons.org/licenses/by/4.0/legalcode".into(),
            spdx: Some("CC-BY-4.0".into()),
        }
    }

    /// Creative Commons Zero 1.0 Universal (public domain dedication).
    pub fn cc0() -> Self {
        Licence {
            name: "Creative Commons Zero v1.0 Universal".into(),
            url: "https://creativecommons.org/publicdomain/zero/1.0/legalcode".into(),
            spdx: Some("CC0-1.0".into()),
        }
    }
}

/// An organism and its NCBI Taxonomy id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organism {
    /// Scientific name.
    pub name: String,
    /// NCBI Taxonomy id.
    pub taxon_id: u32,
}

/// An inclusive range of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First day.
    pub start: NaiveDate,
    /// Last day (not before `start`).
    pub end: NaiveDate,
}

impl DateRange {
    /// ISO 8601 interval `start/end`, as DataCite and schema.org write ranges.
    pub fn iso_interval(&self) -> String {
        format!("{}/{}", self.start, self.end)
    }
}

/// One download of the collection's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Download {
    /// What it is ("Sequences (FASTA)").
    pub name: String,
    /// Where to get it.
    pub url: String,
    /// Its media type (`text/x-fasta`, `text/tab-separated-values`).
    pub media_type: String,
}

/// Why a collection cannot be cited as given. Each names the collection and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CiteError {
    /// The collection id is empty, too long or has characters other than letters, digits, `-`, `_`.
    #[error("collection id {0:?} must be 1-64 letters, digits, '-' or '_'")]
    BadId(String),
    /// Version 0.
    #[error("collection {collection}: version must be at least 1")]
    VersionZero {
        /// The collection id.
        collection: String,
    },
    /// A required text field is empty after trimming.
    #[error("collection {collection}: {field} is empty")]
    Empty {
        /// The collection id.
        collection: String,
        /// Which field.
        field: &'static str,
    },
    /// A field or list is larger than the limits above.
    #[error("collection {collection}: {field} has {size} (at most {max})")]
    TooLarge {
        /// The collection id.
        collection: String,
        /// Which field.
        field: &'static str,
        /// Its size (characters or entries).
        size: usize,
        /// The limit.
        max: usize,
    },
    /// An ORCID iD that is malformed or fails its check digit.
    #[error("collection {collection}: author {author} has invalid ORCID iD {value:?}")]
    BadOrcid {
        /// The collection id.
        collection: String,
        /// The author's position, from 0.
        author: usize,
        /// The value given.
        value: String,
    },
    /// A DOI that is not `10.<registrant>/<suffix>`.
    #[error("collection {collection}: {field} {value:?} is not a DOI (10.<prefix>/<suffix>)")]
    BadDoi {
        /// The collection id.
        collection: String,
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A URL that is not absolute http(s) or holds whitespace or quotes.
    #[error("collection {collection}: {field} {value:?} is not an absolute http(s) URL")]
    BadUrl {
        /// The collection id.
        collection: String,
        /// Which field.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// A member that is not `ACCESSION.VERSION`.
    #[error("collection {collection}: member {index} {value:?} is not ACCESSION.VERSION")]
    BadMember {
        /// The collection id.
        collection: String,
        /// Position in the list, from 0.
        index: usize,
        /// The value given.
        value: String,
    },
    /// The same member twice.
    #[error("collection {collection}: member {value:?} is listed twice")]
    DuplicateMember {
        /// The collection id.
        collection: String,
        /// The repeated member.
        value: String,
    },
    /// A date range that ends before it starts.
    #[error("collection {collection}: collection dates end {end} before they start {start}")]
    ReversedRange {
        /// The collection id.
        collection: String,
        /// Start given.
        start: NaiveDate,
        /// End given.
        end: NaiveDate,
    },
    /// A previous-version DOI on version 1.
    #[error("collection {collection}: version 1 cannot have a previous version DOI")]
    NoPreviousVersion {
        /// The collection id.
        collection: String,
    },
    /// A DataCite body was asked for a collection with no DOI and no prefix to mint one under.
    #[error("collection {collection}: no DOI yet, so a DataCite request needs a DOI prefix")]
    NeedsPrefix {
        /// The collection id.
        collection: String,
    },
    /// A DOI prefix that is not `10.<digits>[.<digits>…]`.
    #[error("collection {collection}: DOI prefix {value:?} is not 10.<digits>")]
    BadPrefix {
        /// The collection id.
        collection: String,
        /// The value given.
        value: String,
    },
}

/// A creator's name once parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Name {
    /// `Family, Given`.
    Split { family: String, given: String },
    /// Anything else, kept whole.
    Whole(String),
}

/// A checked, normalised author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Creator {
    pub(crate) name: Name,
    /// The bare ORCID iD, `0000-0002-1825-0097`.
    pub(crate) orcid: Option<String>,
}

impl Creator {
    /// `Family, Given` or the whole name: the display form every format uses.
    pub(crate) fn display(&self) -> String {
        match &self.name {
            Name::Split { family, given } => format!("{family}, {given}"),
            Name::Whole(name) => name.clone(),
        }
    }
}

/// A collection version checked and normalised, ready to be written in any format.
#[derive(Debug, Clone, PartialEq)]
pub struct Citation {
    pub(crate) c: CitableCollection,
    pub(crate) creators: Vec<Creator>,
    pub(crate) doi: Option<String>,
    pub(crate) previous_doi: Option<String>,
    pub(crate) node_url: String,
    pub(crate) open_count: usize,
    pub(crate) restricted_count: usize,
    pub(crate) restricted_until: Option<NaiveDate>,
}

impl Citation {
    /// Checks the collection (ids, DOIs, ORCID check digits, URLs, members, limits) and
    /// normalises its text: control characters dropped and one-line fields' whitespace collapsed,
    /// so that no output format can be broken by a stray newline or NUL.
    pub fn new(collection: CitableCollection) -> Result<Citation, CiteError> {
        let mut c = collection;
        let id_ok = !c.id.is_empty()
            && c.id.len() <= 64
            && c.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(CiteError::BadId(c.id));
        }
        let col = c.id.clone();
        if c.version == 0 {
            return Err(CiteError::VersionZero { collection: col });
        }
        let too_large = |field, size, max| CiteError::TooLarge { collection: col.clone(), field, size, max };
        for (field, size, max) in [
            ("authors", c.authors.len(), MAX_AUTHORS),
            ("keywords", c.keywords.len(), MAX_LIST),
            ("countries", c.countries.len(), MAX_LIST),
            ("organisms", c.organisms.len(), MAX_LIST),
            ("downloads", c.downloads.len(), MAX_LIST),
            ("title", c.title.chars().count(), MAX_FIELD_CHARS),
            ("description", c.description.chars().count(), MAX_FIELD_CHARS),
        ] {
            if size > max {
                return Err(too_large(field, size, max));
            }
        }
        c.title = one_line(&c.title);
        c.description = multi_line(&c.description);
        c.node.name = one_line(&c.node.name);
        c.node.publisher = one_line(&c.node.publisher);
        for (field, value) in [
            ("title", &c.title),
            ("description", &c.description),
            ("node name", &c.node.name),
            ("publisher", &c.node.publisher),
        ] {
            if value.is_empty() {
                return Err(CiteError::Empty { collection: col, field });
            }
        }
        if c.authors.is_empty() {
            return Err(CiteError::Empty { collection: col, field: "authors" });
        }
        let mut creators = Vec::with_capacity(c.authors.len());
        for (i, author) in c.authors.iter().enumerate() {
            let name = one_line(&author.name);
            if name.is_empty() || name.chars().count() > MAX_FIELD_CHARS {
                return Err(CiteError::Empty { collection: col, field: "author name" });
            }
            let orcid = match &author.orcid {
                None => None,
                Some(value) => Some(parse_orcid(value).ok_or_else(|| CiteError::BadOrcid {
                    collection: col.clone(),
                    author: i,
                    value: value.clone(),
                })?),
            };
            creators.push(Creator { name: parse_name(&name), orcid });
        }
        let check_doi = |field, value: &Option<String>| match value {
            None => Ok(None),
            Some(v) => parse_doi(v).map(Some).ok_or_else(|| CiteError::BadDoi {
                collection: col.clone(),
                field,
                value: v.clone(),
            }),
        };
        let doi = check_doi("doi", &c.doi)?;
        let previous_doi = check_doi("previous version doi", &c.previous_version_doi)?;
        if previous_doi.is_some() && c.version == 1 {
            return Err(CiteError::NoPreviousVersion { collection: col });
        }
        let check_url = |field, value: &str| {
            if is_http_url(value) {
                Ok(())
            } else {
                Err(CiteError::BadUrl { collection: col.clone(), field, value: value.to_owned() })
            }
        };
        check_url("node url", &c.node.url)?;
        check_url("open licence url", &c.node.open_licence.url)?;
        check_url("restricted terms url", &c.node.restricted_terms.url)?;
        if let Some(ror) = &c.node.publisher_ror {
            check_url("publisher ROR", ror)?;
        }
        for d in &mut c.downloads {
            check_url("download url", &d.url)?;
            d.name = one_line(&d.name);
            d.media_type = one_line(&d.media_type);
        }
        let node_url = c.node.url.trim_end_matches('/').to_owned();

        if c.members.is_empty() {
            return Err(CiteError::Empty { collection: col, field: "members" });
        }
        let mut seen = std::collections::HashSet::with_capacity(c.members.len());
        let (mut open_count, mut restricted_count, mut restricted_until) = (0, 0, None);
        for (index, m) in c.members.iter().enumerate() {
            if !is_accession_version(&m.accession_version) {
                return Err(CiteError::BadMember {
                    collection: col,
                    index,
                    value: m.accession_version.clone(),
                });
            }
            if !seen.insert(m.accession_version.as_str()) {
                return Err(CiteError::DuplicateMember {
                    collection: col,
                    value: m.accession_version.clone(),
                });
            }
            match m.terms {
                MemberTerms::Open => open_count += 1,
                MemberTerms::Restricted { until } => {
                    restricted_count += 1;
                    restricted_until = restricted_until.max(Some(until));
                }
            }
        }
        if let Some(r) = c.collection_dates
            && r.end < r.start
        {
            return Err(CiteError::ReversedRange { collection: col, start: r.start, end: r.end });
        }
        for list in [&mut c.keywords, &mut c.countries] {
            *list = list.iter().map(|s| one_line(s)).filter(|s| !s.is_empty()).collect();
            dedup_keep_order(list);
        }
        for o in &mut c.organisms {
            o.name = one_line(&o.name);
        }
        Ok(Citation {
            c,
            creators,
            doi,
            previous_doi,
            node_url,
            open_count,
            restricted_count,
            restricted_until,
        })
    }

    /// The collection as given (after normalisation).
    pub fn collection(&self) -> &CitableCollection {
        &self.c
    }

    /// This version's landing page, `{node}/collections/{id}.{version}`.
    pub fn landing_url(&self) -> String {
        format!("{}/collections/{}.{}", self.node_url, self.c.id, self.c.version)
    }

    /// The previous version's landing page, for version 2 onwards.
    pub fn previous_landing_url(&self) -> Option<String> {
        (self.c.version > 1)
            .then(|| format!("{}/collections/{}.{}", self.node_url, self.c.id, self.c.version - 1))
    }

    /// The DOI once minted, bare (`10.xxxx/suffix`).
    pub fn doi(&self) -> Option<&str> {
        self.doi.as_deref()
    }

    /// The identifier a citation should end with: the DOI as `https://doi.org/…` (DataCite's
    /// recommended display) once minted, else the landing page.
    pub fn identifier_url(&self) -> String {
        match &self.doi {
            Some(doi) => format!("https://doi.org/{doi}"),
            None => self.landing_url(),
        }
    }

    /// Year of this version's creation: a collection is public from the moment it is saved.
    pub fn publication_year(&self) -> i32 {
        self.c.created.year()
    }

    /// Number of members.
    pub fn member_count(&self) -> usize {
        self.c.members.len()
    }

    /// "1234 sequences" (or "1 sequence").
    pub(crate) fn size_text(&self) -> String {
        let n = self.member_count();
        format!("{n} sequence{}", if n == 1 { "" } else { "s" })
    }

    /// One sentence on the members' data use terms.
    pub(crate) fn terms_text(&self) -> String {
        let open = &self.c.node.open_licence.name;
        let restricted = &self.c.node.restricted_terms.name;
        match self.restricted_until {
            None => format!("All {} under {open}.", self.size_text()),
            Some(until) if self.open_count == 0 => {
                format!("All {} under {restricted} until at most {until}, then {open}.", self.size_text())
            }
            Some(until) => format!(
                "{} of {} under {open}; {} under {restricted} until at most {until}, then {open}.",
                self.open_count,
                self.size_text(),
                self.restricted_count
            ),
        }
    }
}

/// Drops control characters (and the XML non-characters U+FFFE/U+FFFF) and collapses runs of
/// whitespace to one space.
fn one_line(s: &str) -> String {
    s.split(|ch: char| ch.is_whitespace() || ch.is_control() || ch == '\u{FFFE}' || ch == '\u{FFFF}')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Like [`one_line`] per line, keeping paragraph breaks as `\n`.
fn multi_line(s: &str) -> String {
    let s = s.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<String> = s.split('\n').map(one_line).collect();
    let mut out = lines.join("\n");
    // At most one blank line in a row.
    while out.contains("\n\n\n") {
        out = out.replace("\n\n\n", "\n\n");
    }
    out.trim().to_owned()
}

fn dedup_keep_order(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|s| seen.insert(s.to_lowercase()));
}

/// `Family, Given` with exactly one comma and both sides non-empty splits; anything else is
/// kept whole, since guessing at free text ("Ana María López Ruiz") would get it wrong.
fn parse_name(name: &str) -> Name {
    match name.split_once(',') {
        Some((family, given))
            if !given.contains(',') && !family.trim().is_empty() && !given.trim().is_empty() =>
        {
            Name::Split { family: family.trim().to_owned(), given: given.trim().to_owned() }
        }
        _ => Name::Whole(name.to_owned()),
    }
}

/// The bare iD if `value` is an ORCID iD (optionally as an orcid.org URL) with a valid
/// ISO 7064 MOD 11-2 check character.
pub(crate) fn parse_orcid(value: &str) -> Option<String> {
    let v = value.trim();
    let v = ["https://orcid.org/", "http://orcid.org/", "orcid.org/"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v);
    let b = v.as_bytes();
    if b.len() != 19 || [4, 9, 14].iter().any(|&i| b[i] != b'-') {
        return None;
    }
    let chars: Vec<u8> = b.iter().copied().filter(|&c| c != b'-').collect();
    let (body, check) = chars.split_at(15);
    if !body.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let total = body.iter().fold(0u32, |t, d| (t + u32::from(d - b'0')) * 2);
    let result = (12 - total % 11) % 11;
    let expected = if result == 10 { b'X' } else { b'0' + result as u8 };
    (check[0].to_ascii_uppercase() == expected).then(|| v.to_ascii_uppercase())
}

/// The bare DOI if `value` is `10.<digits>[.<digits>]/<suffix>` (a doi.org URL or `doi:` accepted).
fn parse_doi(value: &str) -> Option<String> {
    let v = value.trim();
    let v = ["https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"]
        .iter()
        .find_map(|p| v.strip_prefix(p))
        .unwrap_or(v);
    let (prefix, suffix) = v.split_once('/')?;
    let ok = is_doi_prefix(prefix)
        && !suffix.is_empty()
        && suffix.chars().all(|ch| !ch.is_whitespace() && !ch.is_control() && ch != '"' && ch != '<');
    ok.then(|| v.to_owned())
}

/// `10.` followed by dot-separated runs of digits.
pub(crate) fn is_doi_prefix(prefix: &str) -> bool {
    prefix
        .strip_prefix("10.")
        .is_some_and(|rest| rest.split('.').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())))
}

fn is_http_url(value: &str) -> bool {
    let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
    rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && r.chars().all(|ch| !ch.is_whitespace() && !ch.is_control() && !"\"<>\\{}^`|".contains(ch))
    })
}

/// `ACCESSION.VERSION`: an accession of letters, digits, `_` and `-`, then a numeric version.
fn is_accession_version(value: &str) -> bool {
    value.rsplit_once('.').is_some_and(|(acc, ver)| {
        !acc.is_empty()
            && acc.len() <= 64
            && acc.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && !ver.is_empty()
            && ver.len() <= 9
            && ver.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orcid_check_digit() {
        assert_eq!(parse_orcid("0000-0002-1825-0097").as_deref(), Some("0000-0002-1825-0097"));
        assert_eq!(
            parse_orcid("https://orcid.org/0000-0002-9079-593x").as_deref(),
            Some("0000-0002-9079-593X")
        );
        assert_eq!(parse_orcid("0000-0002-1825-0098"), None);
        assert_eq!(parse_orcid("0000-0002-1825-009"), None);
        assert_eq!(parse_orcid("0000+0002-1825-0097"), None);
    }

    #[test]
    fn doi_and_names() {
        assert_eq!(
            parse_doi("https://doi.org/10.5072/virion.abc-1").as_deref(),
            Some("10.5072/virion.abc-1")
        );
        assert_eq!(parse_doi("10.5072"), None);
        assert_eq!(parse_doi("11.5072/x"), None);
        assert_eq!(parse_doi("10.50a2/x"), None);
        assert_eq!(
            parse_name("Müller ,  Anna"),
            Name::Split { family: "Müller".into(), given: "Anna".into() }
        );
        assert_eq!(parse_name("Ana María López"), Name::Whole("Ana María López".into()));
        assert_eq!(parse_name("A, B, C"), Name::Whole("A, B, C".into()));
        assert!(is_accession_version("PP_000A1B.3"));
        assert!(!is_accession_version("PP_000A1B"));
        assert!(!is_accession_version("PP 1.2"));
        assert_eq!(multi_line(" a\r\n\r\n\r\nb\u{0}c \t d\n"), "a\n\nb c d");
    }
}
