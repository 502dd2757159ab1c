//! The frame every page shares: head, navigation, footer; tables of text cells.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::CSS_PATH;

/// What the frame around a page needs.
#[derive(Debug, Clone, Default)]
pub struct Chrome {
    /// The page's own title (the site name is appended).
    pub title: String,
    /// Organisms served: (URL name, display name).
    pub organisms: Vec<(String, String)>,
    /// The organism the page belongs to (marked current in the navigation).
    pub organism: Option<String>,
    /// A JSON-LD document for the page's `<head>` (schema.org / Bioschemas).
    pub json_ld: Option<serde_json::Value>,
    /// The logged-in account's name (none: a visitor).
    pub user: Option<String>,
}

/// A table of display texts; `link` gives a cell's target (or none).
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Column headers.
    pub columns: Vec<String>,
    /// Rows of cell texts, one per column.
    pub rows: Vec<Vec<String>>,
}

/// A whole HTML document: the frame with `body` as its main content.
pub fn page(chrome: &Chrome, body: Markup) -> String {
    // Inside <script>, only "</" can end the element early; JSON allows "<\/" for it.
    let json_ld = chrome.json_ld.as_ref().map(|j| j.to_string().replace("</", "<\\/"));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (chrome.title) " · Virion" }
                link rel="stylesheet" href=(CSS_PATH);
                @if let Some(ld) = json_ld {
                    script type="application/ld+json" { (PreEscaped(ld)) }
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    nav aria-label="Main" {
                        a.brand href="/" { "Virion" }
                        ul {
                            @for (name, display) in &chrome.organisms {
                                @let current = chrome.organism.as_deref() == Some(name.as_str());
                                li {
                                    a href={ "/" (name) } aria-current=[current.then_some("page")] { (display) }
                                }
                                @if current {
                                    li { a href={ "/" (name) "/search" } { "Search" } }
                                    li { a href={ "/" (name) "/dashboard" } { "Dashboard" } }
                                    @if chrome.user.is_some() {
                                        li { a href={ "/" (name) "/submit" } { "Submit" } }
                                        li { a href={ "/" (name) "/review" } { "Review" } }
                                    }
                                }
                            }
                            li { a href="/network" { "Network" } }
                            li { a href="/api/docs" { "API" } }
                            @if let Some(u) = &chrome.user {
                                li.account { a href="/account" { "Account (" (u) ")" } }
                            } @else {
                                li.account { a href="/login" { "Log in" } }
                                li { a href="/signup" { "Sign up" } }
                            }
                        }
                    }
                }
                main #main { (body) }
                footer.bottom {
                    p {
                        "Virion — genomes processed with Nextclade-compatible results, queryable through "
                        a href="/api/docs" { "the API" }
                        " and LAPIS v2 ("
                        code { "/{organism}/sample/…" }
                        ")."
                    }
                }
            }
        }
    }
    .into_string()
}

/// A page that says what went wrong and what to do next.
pub fn error_page(chrome: &Chrome, heading: &str, detail: &str, next: Option<(&str, &str)>) -> String {
    page(
        chrome,
        html! {
            h1 { (heading) }
            p.problem role="alert" { (detail) }
            @if let Some((href, label)) = next {
                p { a href=(href) { (label) } }
            }
        },
    )
}

/// A table whose first column links each row to `href(row)`.
pub(crate) fn linked_table(
    table: &Table,
    caption: &str,
    href: impl Fn(&[String]) -> Option<String>,
) -> Markup {
    html! {
        div.scroll {
            table {
                caption.visually-hidden { (caption) }
                thead { tr { @for c in &table.columns { th scope="col" { (c) } } } }
                tbody {
                    @for row in &table.rows {
                        tr {
                            @for (i, cell) in row.iter().enumerate() {
                                @if i == 0 {
                                    @if let Some(h) = href(row) {
                                        td { a href=(h) { (cell) } }
                                    } @else {
                                        td { (cell) }
                                    }
                                } @else {
                                    td { (cell) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_json_ld_cannot_close_its_script() {
        let chrome = Chrome {
            title: "<b>x</b>".into(),
            organisms: vec![("sars-cov-2".into(), "SARS-CoV-2".into())],
            organism: Some("sars-cov-2".into()),
            json_ld: Some(serde_json::json!({ "name": "</script><script>alert(1)</script>" })),
            user: Some("alice".into()),
        };
        let html = page(&chrome, html! { p { "<i>" } });
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt; · Virion"));
        assert!(html.contains("<p>&lt;i&gt;</p>"));
        assert!(!html.contains("</script><script>alert"));
        assert!(html.contains(r#"aria-current="page""#));
        assert!(html.contains(r#"<a href="/account">Account (alice)</a>"#));
    }
}
