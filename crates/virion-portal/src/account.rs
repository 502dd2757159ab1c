//! Account pages: sign up, log in, and the account page (groups with their members and
//! roles, new groups, API tokens, log out). Every form carries a CSRF token the server checks.

use maud::{Markup, html};

use crate::layout::{Chrome, page};

/// A form field's error, shown next to it.
pub type FieldError = (&'static str, String);

fn csrf_input(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

fn field(
    name: &'static str,
    label: &str,
    kind: &str,
    value: &str,
    errors: &[FieldError],
    extra: Markup,
) -> Markup {
    let error = errors.iter().find(|(f, _)| *f == name).map(|(_, e)| e.as_str());
    let id = format!("f-{name}");
    html! {
        div.field {
            label for=(id) { (label) }
            input #(id) type=(kind) name=(name) value=(value) required
                aria-invalid=[error.map(|_| "true")] aria-describedby=[error.map(|_| format!("{id}-error"))];
            (extra)
            @if let Some(e) = error { p.field-error #{ (id) "-error" } role="alert" { (e) } }
        }
    }
}

/// The log-in page; `next` is where to go afterwards.
/// The login page; `sso` names the node's identity provider, whose login is offered first.
pub fn login(
    chrome: &Chrome,
    csrf: &str,
    name: &str,
    next: &str,
    error: Option<&str>,
    sso: Option<&str>,
) -> String {
    let sso_href =
        format!("/login/sso?{}", serde_urlencoded::to_string([("next", next)]).unwrap_or_default());
    page(
        chrome,
        html! {
            h1 { "Log in" }
            @if let Some(e) = error { p.problem role="alert" { (e) } }
            @if let Some(provider) = sso {
                p { a.button #sso-login href=(sso_href) { "Log in with " (provider) } }
                p { "Or with a local account of this node:" }
            }
            form.account method="post" action="/login" {
                (csrf_input(csrf))
                input type="hidden" name="next" value=(next);
                (field("name", "User name", "text", name, &[], html! {}))
                (field("password", "Password", "password", "", &[], html! {}))
                button type="submit" { "Log in" }
            }
            p { "No account yet? " a href="/signup" { "Sign up" } }
        },
    )
}

/// The sign-up page.
pub fn signup(chrome: &Chrome, csrf: &str, name: &str, errors: &[FieldError]) -> String {
    page(
        chrome,
        html! {
            h1 { "Sign up" }
            p { "An account lets you create a group, submit genomes for it and review them before release." }
            form.account method="post" action="/signup" {
                (csrf_input(csrf))
                (field("name", "User name", "text", name, errors, html! { small { "3–40 letters, digits, dots, dashes or underscores." } }))
                (field("password", "Password", "password", "", errors, html! { small { "At least 10 characters." } }))
                (field("confirm", "Password again", "password", "", errors, html! {}))
                button type="submit" { "Create account" }
            }
            p { "Already registered? " a href="/login" { "Log in" } }
        },
    )
}

/// One group of the account page.
#[derive(Debug, Clone, Default)]
pub struct GroupView {
    /// The group's name.
    pub name: String,
    /// The account's own role in it.
    pub role: String,
    /// Whether the account may add members (curators).
    pub manages: bool,
    /// The group's members: (name, role).
    pub members: Vec<(String, String)>,
}

/// What the account page shows.
#[derive(Debug, Clone, Default)]
pub struct AccountView {
    /// The account's name.
    pub name: String,
    /// The CSRF token the page's forms carry.
    pub csrf: String,
    /// The account's groups.
    pub groups: Vec<GroupView>,
    /// A token just created (shown once).
    pub new_token: Option<String>,
    /// What the last action did, or why it failed.
    pub message: Option<String>,
    /// Why the last action failed, shown as an alert.
    pub error: Option<String>,
}

/// The account page: the account's groups with their members, API tokens, and forms to manage them.
pub fn account(chrome: &Chrome, a: &AccountView) -> String {
    page(
        chrome,
        html! {
            h1 { "Account: " (a.name) }
            @if let Some(m) = &a.message { p.note role="status" { (m) } }
            @if let Some(e) = &a.error { p.problem role="alert" { (e) } }
            @if let Some(t) = &a.new_token {
                section.note aria-labelledby="token" {
                    h2 #token { "Your new API token" }
                    p { "Copy it now: it is shown only once. Send it as " code { "Authorization: Bearer …" } "." }
                    p { code data-testid="new-token" { (t) } }
                }
            }
            section aria-labelledby="groups" {
                h2 #groups { "Groups" }
                @if a.groups.is_empty() { p { "You are not in a group yet. Create one to submit genomes." } }
                @for g in &a.groups {
                    section.group aria-label={ "Group " (g.name) } {
                        h3 { (g.name) " " span.n { "(" (g.role) ")" } }
                        ul { @for (m, r) in &g.members { li { (m) " — " (r) } } }
                        @if g.manages {
                            form.inline method="post" action="/account/members" {
                                (csrf_input(&a.csrf))
                                input type="hidden" name="group" value=(g.name);
                                label { "Add member " input type="text" name="user" required placeholder="user name"; }
                                label { " as " select name="role" {
                                    option value="submitter" { "submitter" }
                                    option value="curator" { "curator" }
                                    option value="consumer" { "consumer (reads unreleased data)" }
                                } }
                                " " button type="submit" { "Add" }
                            }
                        }
                    }
                }
                form.inline method="post" action="/account/groups" {
                    (csrf_input(&a.csrf))
                    label { "New group " input type="text" name="name" required placeholder="e.g. lab-zurich"; }
                    " " button type="submit" { "Create group" }
                }
            }
            section aria-labelledby="tokens" {
                h2 #tokens { "API tokens" }
                p { "For scripts and " code { "virion submit" } ": the API accepts the same account through a token." }
                form.inline method="post" action="/account/tokens" {
                    (csrf_input(&a.csrf))
                    label { "Token name " input type="text" name="name" required placeholder="e.g. laptop"; }
                    " " button type="submit" { "Create token" }
                }
            }
            form method="post" action="/logout" {
                (csrf_input(&a.csrf))
                button type="submit" { "Log out" }
            }
        },
    )
}
