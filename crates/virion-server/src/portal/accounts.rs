//! Browser accounts: sign up, log in and out, the account page (groups, members, roles, API
//! tokens).
//!
//! A browser session is an API token of the account (so logging out revokes it like any
//! token) kept in an HttpOnly, SameSite=Lax cookie as `{token id}:{token}`. Pages read it;
//! the JSON API does not (it takes bearer tokens only), so a cookie can never make a
//! cross-site request act on the API. Every portal form carries a CSRF token: for a session,
//! a digest of its secret token (unguessable without the cookie); before logging in, a random
//! value also set as a cookie (double submit).

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use virion_portal::account::{AccountView, FieldError, GroupView};
use virion_store::{Role, StoreError, TokenId, User};

use super::{chrome, html_page};
use crate::state::AppState;

const SESSION_COOKIE: &str = "virion_session";
const CSRF_COOKIE: &str = "virion_csrf";
/// The `state` of a single sign-on login this browser started (only it may finish that login).
const SSO_COOKIE: &str = "virion_sso";
/// How long a browser keeps a session (the token itself lasts until logout or revocation).
const SESSION_SECONDS: u64 = 14 * 24 * 3600;
/// A browser session ends after this long without a request (the cookie may live on; the
/// token behind it no longer opens anything).
const SESSION_IDLE: std::time::Duration = std::time::Duration::from_secs(8 * 3600);

/// A logged-in browser.
pub(crate) struct Session {
    pub user: User,
    token_id: TokenId,
    /// The CSRF token its forms carry.
    pub csrf: String,
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('=').map(str::to_owned))
}

fn digest(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// Compares without an early exit (the time taken does not tell how much of a guess matched).
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session of the request's cookie, if it names a live token.
pub(crate) async fn session(state: &AppState, headers: &HeaderMap) -> Option<Session> {
    let value = cookie(headers, SESSION_COOKIE)?;
    let (id, token) = value.split_once(':')?;
    let user = state.store().authenticate_token(token).await.ok()??;
    Some(Session { user, token_id: TokenId(id.parse().ok()?), csrf: digest(&format!("virion-csrf:{token}")) })
}

/// The account name to show in the navigation.
pub(crate) async fn user_name(state: &AppState, headers: &HeaderMap) -> Option<String> {
    session(state, headers).await.map(|s| s.user.name)
}

fn secure(headers: &HeaderMap) -> &'static str {
    let https = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()) == Some("https");
    if https { "; Secure" } else { "" }
}

fn set_cookie(response: &mut Response, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// A form page for visitors, with the double-submit CSRF cookie set when missing.
fn visitor_page(headers: &HeaderMap, status: StatusCode, render: impl FnOnce(&str) -> String) -> Response {
    let existing = cookie(headers, CSRF_COOKIE).filter(|c| c.len() == 32);
    let csrf = existing.clone().unwrap_or_else(|| format!("{:032x}", rand::random::<u128>()));
    let mut response = html_page(status, render(&csrf));
    if existing.is_none() {
        set_cookie(
            &mut response,
            format!("{CSRF_COOKIE}={csrf}; HttpOnly; SameSite=Lax; Path=/{}", secure(headers)),
        );
    }
    response
}

fn visitor_csrf_ok(headers: &HeaderMap, sent: &str) -> bool {
    cookie(headers, CSRF_COOKIE).is_some_and(|c| same(&c, sent))
}

/// Where a `next` parameter may send the browser: a place on this site only. It is read as
/// browsers read it (the WHATWG URL parser, against this site as the base), so `/\\evil`,
/// `//evil`, `https:evil` or a tab inside a scheme cannot leave the site; the answer is the
/// path, query and fragment it resolves to.
pub(crate) fn same_site_target(next: &str) -> Option<String> {
    // A name no real site has (RFC 6761 `.invalid`): only a target that stays on it is ours.
    let base = url::Url::parse("http://virion.invalid/").expect("a valid base URL");
    let target = base.join(next).ok()?;
    let same_origin = target.scheme() == base.scheme()
        && target.host_str() == base.host_str()
        && target.port() == base.port()
        && target.username().is_empty()
        && target.password().is_none();
    if !same_origin {
        return None;
    }
    let mut out = target.path().to_owned();
    if let Some(q) = target.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = target.fragment() {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// Logs `user` in: a new token, its cookie, and a redirect to `next`.
async fn start_session(state: &AppState, headers: &HeaderMap, user: &User, next: &str) -> Response {
    match state.store().create_token_with_idle_limit(user.id, "browser session", Some(SESSION_IDLE)).await {
        Ok((id, token)) => {
            let next = same_site_target(next).unwrap_or_else(|| "/account".to_owned());
            let mut r = Redirect::to(&next).into_response();
            set_cookie(
                &mut r,
                format!(
                    "{SESSION_COOKIE}={}:{token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={SESSION_SECONDS}{}",
                    id.0,
                    secure(headers)
                ),
            );
            r
        }
        Err(e) => {
            super::problem_page(state, StatusCode::INTERNAL_SERVER_ERROR, "Could not log in", &e.to_string())
        }
    }
}

fn sso_name(state: &AppState) -> Option<&str> {
    state.sso().map(virion_oidc::Sso::name)
}

/// `GET /login/sso`: sends the browser to the identity provider, remembering the login's
/// `state` in a cookie.
pub(crate) async fn sso_begin(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    let Some(sso) = state.sso() else {
        return super::problem_page(
            &state,
            StatusCode::NOT_FOUND,
            "No single sign-on",
            "This node has no identity provider configured: log in with a local account.",
        );
    };
    let next = q.next.as_deref().and_then(same_site_target).unwrap_or_else(|| "/account".to_owned());
    match sso.begin(next).await {
        Ok(started) => {
            let mut r = Redirect::to(&started.authorize_url).into_response();
            let max_age = virion_oidc::LOGIN_TIMEOUT.as_secs();
            set_cookie(
                &mut r,
                format!(
                    "{SSO_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/login/sso; Max-Age={max_age}{}",
                    started.state,
                    secure(&headers)
                ),
            );
            r
        }
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on could not start");
            super::problem_page(
                &state,
                StatusCode::BAD_GATEWAY,
                "The identity provider cannot be reached",
                &format!("{e}. Try again later, or log in with a local account."),
            )
        }
    }
}

/// What the identity provider sends back.
#[derive(Debug, Deserialize)]
pub(crate) struct SsoCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /login/sso/callback`: finishes a login the provider answered, signs the user in as
/// the local user of that identity and sets the memberships its claims grant.
pub(crate) async fn sso_callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(c): axum::extract::Query<SsoCallback>,
) -> Response {
    let refuse =
        |status, heading: &str, detail: String| super::problem_page(&state, status, heading, &detail);
    let Some(sso) = state.sso() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "No single sign-on",
            "This node has no identity provider configured.".into(),
        );
    };
    if let Some(error) = &c.error {
        let why = c.error_description.as_deref().unwrap_or("");
        return refuse(
            StatusCode::UNAUTHORIZED,
            "Login refused",
            format!("The identity provider answered {error}: {why}. Log in again to retry."),
        );
    }
    let (Some(code), Some(login)) = (&c.code, &c.state) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Login incomplete",
            "The identity provider's answer lacks its code or state: log in again.".into(),
        );
    };
    // A login finishes only in the browser that started it: otherwise a page could sign a
    // visitor in as someone else (login CSRF).
    if !cookie(&headers, SSO_COOKIE).is_some_and(|c| same(&c, login)) {
        return refuse(
            StatusCode::BAD_REQUEST,
            "Login not started here",
            "This login was started in another browser, or its cookie expired: log in again.".into(),
        );
    }
    let signed = match sso.finish(login, code).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "single sign-on failed");
            return refuse(StatusCode::UNAUTHORIZED, "Login failed", e.to_string());
        }
    };
    let store = state.store();
    let user = match store.user_for_identity(&signed.issuer, &signed.subject, &signed.name).await {
        Ok(u) => u,
        Err(e) => {
            return refuse(
                StatusCode::CONFLICT,
                "Login failed",
                format!("No local user for this account: {e}"),
            );
        }
    };
    let mut grants = Vec::new();
    for (group, role) in &signed.grants {
        match store.group_by_name(group).await {
            Ok(id) => grants.push((id, *role)),
            Err(e) => {
                tracing::warn!(group = %group, error = %e, "a single sign-on grant names no group of this node; create it with `virion admin create-group`")
            }
        }
    }
    if let Err(e) = store.sync_granted_memberships(user.id, &signed.issuer, &grants).await {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "Login failed", e.to_string());
    }
    tracing::info!(user = %user.name, issuer = %signed.issuer, groups = grants.len(), "signed in with single sign-on");
    let mut r = start_session(&state, &headers, &user, &signed.next).await;
    set_cookie(
        &mut r,
        format!("{SSO_COOKIE}=; HttpOnly; SameSite=Lax; Path=/login/sso; Max-Age=0{}", secure(&headers)),
    );
    r
}

#[derive(Debug, Deserialize)]
pub(crate) struct NextQuery {
    next: Option<String>,
}

pub(crate) async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<NextQuery>,
) -> Response {
    if session(&state, &headers).await.is_some() {
        return Redirect::to("/account").into_response();
    }
    let next = q.next.unwrap_or_else(|| "/account".into());
    visitor_page(&headers, StatusCode::OK, |csrf| {
        virion_portal::account::login(
            &chrome(&state, "Log in", None),
            csrf,
            "",
            &next,
            None,
            sso_name(&state),
        )
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginForm {
    name: String,
    password: String,
    csrf: String,
    next: Option<String>,
}

pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::auth::ClientAddr(address): crate::auth::ClientAddr,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = f.next.clone().unwrap_or_else(|| "/account".into());
    let again = |status, error: &str| {
        visitor_page(&headers, status, |csrf| {
            virion_portal::account::login(
                &chrome(&state, "Log in", None),
                csrf,
                &f.name,
                &next,
                Some(error),
                sso_name(&state),
            )
        })
    };
    if !visitor_csrf_ok(&headers, &f.csrf) {
        return again(StatusCode::FORBIDDEN, "The form expired (or cookies are blocked). Please try again.");
    }
    let throttle = state.login_throttle();
    if let Some(wait) = throttle.wait(&f.name, address) {
        let message =
            format!("Too many failed logins: please wait {} seconds and try again.", wait.as_secs() + 1);
        let mut r = again(StatusCode::TOO_MANY_REQUESTS, &message);
        r.headers_mut().insert(header::RETRY_AFTER, (wait.as_secs() + 1).into());
        return r;
    }
    match state.store().verify_password(f.name.trim(), &f.password).await {
        Ok(Some(user)) => {
            throttle.succeeded(&f.name);
            start_session(&state, &headers, &user, &next).await
        }
        Ok(None) => {
            throttle.failed(&f.name, address);
            again(StatusCode::UNAUTHORIZED, "Unknown user name or wrong password.")
        }
        Err(e) => again(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

pub(crate) async fn signup_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    visitor_page(&headers, StatusCode::OK, |csrf| {
        virion_portal::account::signup(&chrome(&state, "Sign up", None), csrf, "", &[])
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignupForm {
    name: String,
    password: String,
    confirm: String,
    csrf: String,
}

/// What is wrong with a sign-up, field by field.
fn signup_errors(f: &SignupForm) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name = f.name.trim();
    let name_ok = (3..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !name_ok {
        errors.push(("name", "Use 3–40 letters, digits, dots, dashes or underscores.".to_owned()));
    }
    if f.password.chars().count() < 10 {
        errors.push(("password", "The password needs at least 10 characters.".to_owned()));
    }
    if f.password != f.confirm {
        errors.push(("confirm", "The two passwords differ.".to_owned()));
    }
    errors
}

pub(crate) async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SignupForm>,
) -> Response {
    let again = |status, errors: Vec<FieldError>| {
        visitor_page(&headers, status, |csrf| {
            virion_portal::account::signup(&chrome(&state, "Sign up", None), csrf, &f.name, &errors)
        })
    };
    if !visitor_csrf_ok(&headers, &f.csrf) {
        return again(
            StatusCode::FORBIDDEN,
            vec![("name", "The form expired (or cookies are blocked). Please try again.".into())],
        );
    }
    let errors = signup_errors(&f);
    if !errors.is_empty() {
        return again(StatusCode::UNPROCESSABLE_ENTITY, errors);
    }
    let name = f.name.trim();
    match state.store().create_user(name, Some(&f.password), false).await {
        Ok(_) => match state.store().user_by_name(name).await {
            Ok(user) => start_session(&state, &headers, &user, "/account").await,
            Err(e) => again(StatusCode::INTERNAL_SERVER_ERROR, vec![("name", e.to_string())]),
        },
        Err(StoreError::AlreadyExists { .. }) => again(
            StatusCode::CONFLICT,
            vec![("name", format!("The name {name:?} is taken; choose another."))],
        ),
        Err(e) => again(StatusCode::INTERNAL_SERVER_ERROR, vec![("name", e.to_string())]),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct CsrfForm {
    csrf: String,
}

pub(crate) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CsrfForm>,
) -> Response {
    let mut r = Redirect::to("/").into_response();
    if let Some(s) = session(&state, &headers).await
        && same(&s.csrf, &f.csrf)
    {
        if let Err(e) = state.store().revoke_token(s.user.id, s.token_id).await {
            tracing::warn!(error = %e, "revoking a browser session failed");
        }
        set_cookie(
            &mut r,
            format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{}", secure(&headers)),
        );
    }
    r
}

/// The account page, with what the last action did.
async fn account_view(
    state: &AppState,
    s: &Session,
    message: Option<String>,
    error: Option<String>,
    new_token: Option<String>,
) -> Response {
    let store = state.store();
    let mine = store.memberships(Some(s.user.id), None).await.unwrap_or_default();
    let mut groups = Vec::new();
    for m in mine {
        let members = store
            .memberships(None, Some(m.group))
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|x| (x.user_name, role_name(x.role).to_owned()))
            .collect();
        groups.push(GroupView {
            name: m.group_name,
            role: role_name(m.role).to_owned(),
            manages: m.role == Role::Curator,
            members,
        });
    }
    let view =
        AccountView { name: s.user.name.clone(), csrf: s.csrf.clone(), groups, new_token, message, error };
    let mut c = chrome(state, "Account", None);
    c.user = Some(s.user.name.clone());
    html_page(
        if view.error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK },
        virion_portal::account::account(&c, &view),
    )
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Submitter => "submitter",
        Role::Curator => "curator",
        Role::Consumer => "consumer",
    }
}

fn to_login() -> Response {
    Redirect::to("/login?next=/account").into_response()
}

pub(crate) async fn account(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session(&state, &headers).await {
        Some(s) => account_view(&state, &s, None, None, None).await,
        None => to_login(),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct NameForm {
    name: String,
    csrf: String,
}

/// A logged-in form post with a valid CSRF token, or the response to send instead.
async fn checked(state: &AppState, headers: &HeaderMap, csrf: &str) -> Result<Session, Response> {
    match session(state, headers).await {
        None => Err(to_login()),
        Some(s) if !same(&s.csrf, csrf) => {
            Err(account_view(state, &s, None, Some("The form expired; please try again.".into()), None).await)
        }
        Some(s) => Ok(s),
    }
}

pub(crate) async fn create_group(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<NameForm>,
) -> Response {
    let s = match checked(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let name = f.name.trim();
    let valid = (2..=60).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !valid {
        let e = "A group name has 2–60 letters, digits, dots, dashes or underscores.".to_owned();
        return account_view(&state, &s, None, Some(e), None).await;
    }
    match state.store().create_group(name, s.user.id).await {
        Ok(_) => {
            account_view(&state, &s, Some(format!("Group {name} created; you are its curator.")), None, None)
                .await
        }
        Err(StoreError::AlreadyExists { .. }) => {
            account_view(&state, &s, None, Some(format!("A group named {name} exists already.")), None).await
        }
        Err(e) => account_view(&state, &s, None, Some(e.to_string()), None).await,
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct MemberForm {
    group: String,
    user: String,
    role: String,
    csrf: String,
}

pub(crate) async fn add_member(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<MemberForm>,
) -> Response {
    let s = match checked(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let role = match f.role.as_str() {
        "submitter" => Role::Submitter,
        "curator" => Role::Curator,
        "consumer" => Role::Consumer,
        other => return account_view(&state, &s, None, Some(format!("Unknown role {other:?}.")), None).await,
    };
    let store = state.store();
    let result = async {
        let group = store.group_by_name(&f.group).await?;
        let member = store.user_by_name(f.user.trim()).await?;
        store.set_role(s.user.id, group, member.id, role).await
    }
    .await;
    match result {
        Ok(()) => {
            let m = format!("{} is now {} of {}.", f.user.trim(), role_name(role), f.group);
            account_view(&state, &s, Some(m), None, None).await
        }
        Err(StoreError::NotFound { what, key }) => {
            account_view(&state, &s, None, Some(format!("No {what} named {key:?}.")), None).await
        }
        Err(e) => account_view(&state, &s, None, Some(e.to_string()), None).await,
    }
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<NameForm>,
) -> Response {
    let s = match checked(&state, &headers, &f.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match state.store().create_token(s.user.id, f.name.trim()).await {
        Ok((_, token)) => {
            account_view(&state, &s, Some(format!("Token {} created.", f.name.trim())), None, Some(token))
                .await
        }
        Err(e) => account_view(&state, &s, None, Some(e.to_string()), None).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("virion_session_x=1; virion_session=7:vrn_abc; a=b"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("7:vrn_abc"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn sign_up_errors_name_their_field() {
        let f = SignupForm {
            name: "a b".into(),
            password: "short".into(),
            confirm: "other".into(),
            csrf: String::new(),
        };
        let fields: Vec<&str> = signup_errors(&f).iter().map(|e| e.0).collect();
        assert_eq!(fields, ["name", "password", "confirm"]);
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }

    #[test]
    fn next_targets_stay_on_this_site_as_browsers_read_them() {
        // Each of these leaves the site in a browser (WHATWG URL parsing).
        for hostile in [
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "https://evil.example/account",
            "https:evil.example",
            "HTTPS:evil.example",
            "javascript:alert(1)",
            " javascript:alert(1)",
            "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "http://user@virion.invalid@evil.example/",
            "//virion.invalid:8080/",
            "ftp://evil.example",
            "http://evil.example",
        ] {
            assert_eq!(same_site_target(hostile), None, "{hostile:?} must not be followed");
        }
        // These stay here; the answer is the normalised path.
        assert_eq!(same_site_target("/account").as_deref(), Some("/account"));
        assert_eq!(
            same_site_target("/submit?organism=sars-cov-2#x").as_deref(),
            Some("/submit?organism=sars-cov-2#x")
        );
        assert_eq!(same_site_target("/a/../network").as_deref(), Some("/network"));
        assert_eq!(same_site_target("account").as_deref(), Some("/account"));
        assert_eq!(same_site_target("http:account").as_deref(), Some("/account"));
        assert_eq!(same_site_target("/seq/ÄB?x=é").as_deref(), Some("/seq/%C3%84B?x=%C3%A9"));
    }
}
