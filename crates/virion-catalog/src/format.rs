//! The three RDF syntaxes the catalogue is served in, HTTP content negotiation between them, and
//! writing a graph in one of them.

use std::io::{self, Write};

use oxrdf::vocab::rdf;
use oxrdf::{Graph, NamedOrBlankNodeRef, TermRef};
use oxrdfio::RdfSerializer;

use crate::vocab::ns;

/// An RDF syntax the catalogue can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RdfFormat {
    /// Turtle, `text/turtle`: the default.
    Turtle,
    /// JSON-LD, `application/ld+json`.
    JsonLd,
    /// RDF/XML, `application/rdf+xml`.
    RdfXml,
}

/// Upper bound on the media ranges read from one Accept header, so a hostile header costs little.
const MAX_MEDIA_RANGES: usize = 64;

impl RdfFormat {
    /// All formats, in the server's order of preference (used to break ties in negotiation).
    pub const ALL: [RdfFormat; 3] = [RdfFormat::Turtle, RdfFormat::JsonLd, RdfFormat::RdfXml];

    /// The format's media type, for `Content-Type`.
    pub fn media_type(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "text/turtle",
            RdfFormat::JsonLd => "application/ld+json",
            RdfFormat::RdfXml => "application/rdf+xml",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            RdfFormat::Turtle => "ttl",
            RdfFormat::JsonLd => "jsonld",
            RdfFormat::RdfXml => "rdf",
        }
    }

    /// The format with this file extension (`ttl`, `jsonld`, `rdf`), case ignored.
    pub fn from_extension(extension: &str) -> Option<RdfFormat> {
        RdfFormat::ALL.into_iter().find(|f| f.extension().eq_ignore_ascii_case(extension))
    }

    /// Chooses a format for an HTTP `Accept` header (RFC 9110 §12.5.1).
    ///
    /// Each format takes the quality value of the most specific media range that matches it
    /// (`type/subtype` over `type/*` over `*/*`); the highest non-zero quality wins, ties going to
    /// [`RdfFormat::ALL`]'s order. No header, or an empty one, means Turtle. `None` when no format is
    /// acceptable, for a 406 answer. Media-range parameters other than `q` are ignored; a range with
    /// a malformed `q` is skipped.
    pub fn negotiate(accept_header: Option<&str>) -> Option<RdfFormat> {
        let Some(header) = accept_header.filter(|h| !h.trim().is_empty()) else {
            return Some(RdfFormat::Turtle);
        };
        let ranges: Vec<MediaRange<'_>> =
            header.split(',').take(MAX_MEDIA_RANGES).filter_map(MediaRange::parse).collect();
        let mut best: Option<(RdfFormat, u16)> = None;
        for format in RdfFormat::ALL {
            let (main, sub) = format.media_type().split_once('/').unwrap_or_default();
            let quality = ranges
                .iter()
                .filter_map(|range| range.specificity(main, sub).map(|s| (s, range.quality)))
                .max_by_key(|(specificity, _)| *specificity)
                .map(|(_, quality)| quality);
            if let Some(quality) = quality.filter(|q| *q > 0)
                && best.is_none_or(|(_, q)| quality > q)
            {
                best = Some((format, quality));
            }
        }
        best.map(|(format, _)| format)
    }

    fn oxrdfio(self) -> oxrdfio::RdfFormat {
        match self {
            RdfFormat::Turtle => oxrdfio::RdfFormat::Turtle,
            RdfFormat::JsonLd => oxrdfio::RdfFormat::JsonLd { profile: Default::default() },
            RdfFormat::RdfXml => oxrdfio::RdfFormat::RdfXml,
        }
    }
}

/// One element of an Accept header; quality in thousandths.
#[derive(Debug)]
struct MediaRange<'a> {
    main: &'a str,
    sub: &'a str,
    quality: u16,
}

impl<'a> MediaRange<'a> {
    fn parse(element: &'a str) -> Option<Self> {
        let mut parts = element.split(';');
        let (main, sub) = parts.next()?.trim().split_once('/')?;
        let (main, sub) = (main.trim(), sub.trim());
        if main.is_empty() || sub.is_empty() || (main == "*" && sub != "*") {
            return None;
        }
        let mut quality = 1000;
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else { continue };
            if name.trim().eq_ignore_ascii_case("q") {
                quality = parse_quality(value.trim())?;
            }
        }
        Some(MediaRange { main, sub, quality })
    }

    /// How specifically this range matches `main/sub`: 2 exact, 1 `main/*`, 0 `*/*`.
    fn specificity(&self, main: &str, sub: &str) -> Option<u8> {
        if self.main == "*" {
            Some(0)
        } else if !self.main.eq_ignore_ascii_case(main) {
            None
        } else if self.sub == "*" {
            Some(1)
        } else if self.sub.eq_ignore_ascii_case(sub) {
            Some(2)
        } else {
            None
        }
    }
}

/// RFC 9110 `qvalue`: "0" to "1" with at most three decimals, as thousandths.
fn parse_quality(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Writes `graph` in `format` to `writer`, with the catalogue's prefixes where the syntax has them
/// (Turtle, RDF/XML), and returns the writer.
pub fn write_graph<W: Write>(graph: &Graph, format: RdfFormat, writer: W) -> io::Result<W> {
    let mut serializer = RdfSerializer::from_format(format.oxrdfio());
    for (prefix, iri) in ns::PREFIXES {
        serializer = serializer
            .with_prefix(*prefix, *iri)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    }
    // A graph's iteration order is not stable between runs; sorting makes the same catalogue
    // serialise to the same bytes (cacheable, diffable), groups each subject's triples (types
    // first), and puts the catalogue and its records before the vocabulary they reference.
    let mut triples: Vec<_> = graph.iter().collect();
    triples.sort_by_cached_key(|t| {
        (
            subject_rank(graph, t.subject),
            t.subject.to_string(),
            t.predicate != rdf::TYPE,
            t.predicate.as_str().to_owned(),
            t.object.to_string(),
        )
    });
    let mut serializer = serializer.for_writer(writer);
    for triple in triples {
        serializer.serialize_triple(triple)?;
    }
    serializer.finish()
}

/// Reading order of a subject: catalogue, datasets, services, distributions, agents, then blank
/// nodes (contact points, periods, tables), then vocabulary terms.
fn subject_rank(graph: &Graph, subject: NamedOrBlankNodeRef<'_>) -> u8 {
    const ORDER: [(&str, u8); 5] = [
        ("http://www.w3.org/ns/dcat#Catalog", 0),
        ("http://www.w3.org/ns/dcat#Dataset", 1),
        ("http://www.w3.org/ns/dcat#DataService", 2),
        ("http://www.w3.org/ns/dcat#Distribution", 3),
        ("http://xmlns.com/foaf/0.1/Agent", 4),
    ];
    if subject.is_blank_node() {
        return 5;
    }
    graph
        .objects_for_subject_predicate(subject, rdf::TYPE)
        .filter_map(|class| match class {
            TermRef::NamedNode(class) => {
                ORDER.iter().find(|(iri, _)| *iri == class.as_str()).map(|(_, r)| *r)
            }
            _ => None,
        })
        .min()
        .unwrap_or(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(header: &str) -> Option<RdfFormat> {
        RdfFormat::negotiate(Some(header))
    }

    #[test]
    fn defaults_to_turtle() {
        assert_eq!(RdfFormat::negotiate(None), Some(RdfFormat::Turtle));
        assert_eq!(pick(""), Some(RdfFormat::Turtle));
        assert_eq!(pick("*/*"), Some(RdfFormat::Turtle));
        assert_eq!(pick("text/html, */*;q=0.1"), Some(RdfFormat::Turtle));
    }

    #[test]
    fn picks_the_named_format() {
        assert_eq!(pick("application/ld+json"), Some(RdfFormat::JsonLd));
        assert_eq!(pick("application/rdf+xml"), Some(RdfFormat::RdfXml));
        assert_eq!(pick("TEXT/Turtle; charset=utf-8"), Some(RdfFormat::Turtle));
        assert_eq!(pick("application/*"), Some(RdfFormat::JsonLd));
    }

    #[test]
    fn honours_quality_values() {
        assert_eq!(pick("text/turtle;q=0.5, application/rdf+xml;q=0.9"), Some(RdfFormat::RdfXml));
        assert_eq!(pick("application/ld+json;q=0.8, text/turtle;q=0.8"), Some(RdfFormat::Turtle));
        assert_eq!(pick("*/*;q=0.2, application/ld+json"), Some(RdfFormat::JsonLd));
        // The most specific range decides: Turtle is refused even though */* is accepted.
        assert_eq!(pick("text/turtle;q=0, */*"), Some(RdfFormat::JsonLd));
        assert_eq!(pick("text/*;q=0, application/rdf+xml;q=0.001"), Some(RdfFormat::RdfXml));
    }

    #[test]
    fn none_when_nothing_is_acceptable() {
        assert_eq!(pick("text/html"), None);
        assert_eq!(pick("application/json, text/plain"), None);
        assert_eq!(pick("*/*;q=0"), None);
        assert_eq!(pick("text/turtle;q=0, application/*;q=0"), None);
    }

    #[test]
    fn skips_malformed_ranges() {
        assert_eq!(pick("text/turtle;q=2, application/ld+json;q=0.5"), Some(RdfFormat::JsonLd));
        assert_eq!(pick("text/turtle;q=0.1234"), None);
        assert_eq!(pick("garbage, ;;, /, */turtle"), None);
        assert_eq!(pick(&"x/y,".repeat(10_000)), None);
    }

    #[test]
    fn parses_qvalues() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("1.5"), None);
        assert_eq!(parse_quality("-0.5"), None);
        assert_eq!(parse_quality("0.x"), None);
    }

    #[test]
    fn media_types_and_extensions() {
        for format in RdfFormat::ALL {
            assert_eq!(RdfFormat::from_extension(format.extension()), Some(format));
            assert_eq!(RdfFormat::negotiate(Some(format.media_type())), Some(format));
        }
        assert_eq!(RdfFormat::from_extension("TTL"), Some(RdfFormat::Turtle));
        assert_eq!(RdfFormat::from_extension("xml"), None);
    }
}
