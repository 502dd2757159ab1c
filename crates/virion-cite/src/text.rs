//! The human citation, BibTeX and RIS.

use std::fmt::Write as _;

use crate::{Citation, Name};

impl Citation {
    /// A human citation in DataCite's recommended form, "Creator (PublicationYear). Title.
    /// Version. Publisher. ResourceType. Identifier", with the member count in the resource type:
    ///
    /// `Müller, Anna; Rivera Lab (2025). SARS-CoV-2 in Europe. Version 2. Example Institute.
    /// Dataset of 1234 sequences. https://doi.org/10.5072/abc`
    ///
    /// Creators are separated by `; ` because each personal name already has a comma in it.
    pub fn text(&self) -> String {
        let authors: Vec<String> = self.creators.iter().map(|c| c.display()).collect();
        format!(
            "{} ({}). {} Version {}. {}. Dataset of {}. {}",
            authors.join("; "),
            self.publication_year(),
            sentence(&self.c.title),
            self.c.version,
            self.c.node.publisher.trim_end_matches('.'),
            self.size_text(),
            self.identifier_url()
        )
    }

    /// A stable BibTeX key: `{node}_{id}_v{version}`, ASCII letters, digits and `_`/`-` only,
    /// so the same collection version always gets the same key on a given node.
    pub fn bibtex_key(&self) -> String {
        let node: String = self
            .c
            .node
            .name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|ch| ch.to_ascii_lowercase())
            .collect();
        let node = if node.is_empty() { "collection".to_owned() } else { node };
        format!("{node}_{}_v{}", self.c.id, self.c.version)
    }

    /// A BibTeX `@misc` entry. `@misc` rather than biblatex's `@dataset` because classic BibTeX
    /// styles know no `@dataset` (they fall back to misc with a warning) while biblatex reads
    /// `@misc` with `version`, `publisher`, `doi` and `url` fully; DataCite's own BibTeX export
    /// makes the same choice.
    ///
    /// Text fields are LaTeX-escaped; braces become `\textbraceleft{}`/`\textbraceright{}`
    /// because BibTeX counts `\{` as a brace and an unpaired one would break the whole entry.
    /// `doi` and `url` are verbatim fields in biblatex and are left unescaped (they cannot hold
    /// braces or backslashes: [`Citation::new`] refuses such URLs). The title is wrapped in a
    /// second pair of braces so styles keep its capitals (SARS-CoV-2, H5N1).
    pub fn bibtex(&self) -> String {
        let mut fields: Vec<(&str, String)> = Vec::new();
        let authors: Vec<String> = self
            .creators
            .iter()
            .map(|c| match &c.name {
                Name::Split { family, given } => format!("{}, {}", latex_escape(family), latex_escape(given)),
                // Braced so BibTeX takes it as one last name rather than splitting it at spaces
                // or at a literal "and".
                Name::Whole(name) => format!("{{{}}}", latex_escape(name)),
            })
            .collect();
        fields.push(("author", authors.join(" and ")));
        fields.push(("title", format!("{{{}}}", latex_escape(&self.c.title))));
        fields.push(("year", self.publication_year().to_string()));
        fields.push(("date", self.c.created.date_naive().to_string()));
        fields.push(("version", self.c.version.to_string()));
        fields.push(("publisher", latex_escape(&self.c.node.publisher)));
        if let Some(doi) = &self.doi {
            fields.push(("doi", doi.clone()));
        }
        fields.push(("url", self.landing_url()));
        let keywords = self.all_keywords();
        if !keywords.is_empty() {
            fields.push(("keywords", latex_escape(&keywords.join(", "))));
        }
        fields.push(("abstract", latex_escape(&one_paragraph(&self.c.description))));
        fields
            .push(("note", latex_escape(&format!("Dataset of {}. {}", self.size_text(), self.terms_text()))));

        let mut out = format!("@misc{{{},\n", self.bibtex_key());
        for (name, value) in fields {
            let _ = writeln!(out, "  {name} = {{{value}}},");
        }
        out.push_str("}\n");
        out
    }

    /// RIS (`TY  - DATA`), one `XX  - value` line per tag, lines ended by CRLF as the RIS
    /// specification has them, `ER  - ` last. Authors are `AU` in order; `ET` (edition) carries
    /// the version as reference managers read it for datasets; `DA` is `YYYY/MM/DD/`.
    pub fn ris(&self) -> String {
        let mut lines: Vec<(&str, String)> = vec![("TY", "DATA".to_owned())];
        for c in &self.creators {
            lines.push(("AU", c.display()));
        }
        lines.push(("TI", self.c.title.clone()));
        lines.push(("PY", self.publication_year().to_string()));
        lines.push(("DA", self.c.created.format("%Y/%m/%d/").to_string()));
        lines.push(("PB", self.c.node.publisher.clone()));
        lines.push(("DB", self.c.node.name.clone()));
        lines.push(("ET", self.c.version.to_string()));
        lines.push(("UR", self.landing_url()));
        if let Some(doi) = &self.doi {
            lines.push(("DO", doi.clone()));
        }
        lines.push(("AB", one_paragraph(&self.c.description)));
        for k in self.all_keywords() {
            lines.push(("KW", k));
        }
        lines.push(("N1", format!("Dataset of {}. {}", self.size_text(), self.terms_text())));
        let mut out = String::new();
        for (tag, value) in lines {
            let _ = write!(out, "{tag}  - {value}\r\n");
        }
        out.push_str("ER  - \r\n");
        out
    }

    /// Keywords then organism names, without repeats.
    pub(crate) fn all_keywords(&self) -> Vec<String> {
        let mut all = self.c.keywords.clone();
        for o in &self.c.organisms {
            if !all.iter().any(|k| k.eq_ignore_ascii_case(&o.name)) {
                all.push(o.name.clone());
            }
        }
        all
    }
}

/// The title as a sentence: a full stop added unless it already ends in punctuation.
fn sentence(s: &str) -> String {
    if s.ends_with(['.', '?', '!']) { s.to_owned() } else { format!("{s}.") }
}

/// Paragraph breaks become spaces, for formats with one-line fields.
fn one_paragraph(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Escapes the ten LaTeX special characters. Other characters (UTF-8) are kept: biber and
/// LaTeX with UTF-8 input read them as they are.
pub(crate) fn latex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\textbackslash{}"),
            '{' => out.push_str("\\textbraceleft{}"),
            '}' => out.push_str("\\textbraceright{}"),
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '%' | '&' | '#' | '_' | '$' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            latex_escape(r"a{b}c%d&e#f_g$h~i^j\k"),
            r"a\textbraceleft{}b\textbraceright{}c\%d\&e\#f\_g\$h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"
        );
        assert_eq!(latex_escape("Zürich"), "Zürich");
        assert_eq!(sentence("Why?"), "Why?");
        assert_eq!(sentence("Set"), "Set.");
    }
}
