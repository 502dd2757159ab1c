//! Single sign-on for a Virion node with OpenID Connect.
//!
//! ELIXIR's Life Science Login and most institutes' identity providers speak OpenID Connect.
//! A node configured with one ([`SsoConfig`], a TOML file) offers "Log in with …" beside its
//! local accounts:
//! 1. [`Sso::begin`] discovers the provider (once), and answers the provider's authorization
//!    URL for the authorization code flow with PKCE (S256), a fresh `state` and `nonce`. The
//!    pending login waits here, bounded in number and age.
//! 2. The provider sends the browser back with `code` and `state`. [`Sso::finish`] takes the
//!    pending login for that state (once), exchanges the code with its PKCE verifier, and checks
//!    the ID token (signature against the provider's keys, issuer, audience, expiry, nonce).
//! 3. The result, [`SignedIn`], names the account (issuer, subject, a user name) and the
//!    groups and roles its claims grant by the configuration's rules; the server signs the
//!    user in as the local user of that identity and sets those memberships.
//!
//! The `openidconnect` crate does the protocol checks; its requests go through `ureq` (as the
//! node's other outgoing requests do), never following redirects.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenClaims, CoreProviderMetadata,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    Scope, TokenResponse, UserInfoClaims,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use virion_store::Role;

/// How long a started login may take before its `state` is forgotten.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(600);

/// Most logins pending at once: past it the oldest is forgotten (a flood of started logins
/// cannot grow the node's memory).
pub const MAX_PENDING: usize = 10_000;

/// Most bytes of one answer from the provider.
const MAX_ANSWER_BYTES: u64 = 1 << 20;

/// The environment variable holding the client secret when the file does not (so that the
/// configuration file can be shared without it).
pub const SECRET_VARIABLE: &str = "VIRION_OIDC_CLIENT_SECRET";

/// A node's identity provider (the `--sso-config` TOML file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoConfig {
    /// Shown on the login page: "Log in with {name}".
    pub name: String,
    /// The provider's issuer URL (its discovery document is `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    /// The node's client id at the provider.
    pub client_id: String,
    /// The client secret (a confidential client); none: a public client, or read from
    /// `VIRION_OIDC_CLIENT_SECRET`.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Where the provider sends the browser back: this node's `/login/sso/callback`, as
    /// registered at the provider.
    pub redirect_url: String,
    /// Scopes asked for besides `openid`.
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The claim naming the local user (default `preferred_username`; falls back to `email`,
    /// then the subject).
    #[serde(default = "default_username_claim")]
    pub username_claim: String,
    /// The claim listing the account's groups or entitlements (a string or a list of them),
    /// read from the ID token, else from the userinfo endpoint.
    #[serde(default)]
    pub groups_claim: Option<String>,
    /// Which claim values grant which role in which group.
    #[serde(default, rename = "grant")]
    pub grants: Vec<GrantRule>,
}

/// One rule: an account whose groups claim holds `value` gets `role` in the node's `group`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRule {
    /// A value of the groups claim (e.g. `urn:geant:lifescience-ri.eu:group:lab-x#aai.lifescience-ri.eu`).
    pub value: String,
    /// The node's group (its name).
    pub group: String,
    /// `submitter`, `curator` or `consumer`.
    pub role: String,
}

fn default_scopes() -> Vec<String> {
    vec!["profile".into(), "email".into()]
}

fn default_username_claim() -> String {
    "preferred_username".into()
}

/// Why single sign-on could not be set up or could not sign someone in.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The configuration file cannot be read or holds a mistake.
    #[error("single sign-on config {path}: {reason}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong, and where.
        reason: String,
    },
    /// The provider's discovery document could not be fetched or read.
    #[error(
        "identity provider {issuer}: discovery failed: {reason}; check the issuer URL and that the provider is reachable"
    )]
    Discovery {
        /// The issuer.
        issuer: String,
        /// What failed.
        reason: String,
    },
    /// The login's `state` is unknown: never started here, already finished, or too old.
    #[error("this login is unknown or expired (logins must finish within 10 minutes): please log in again")]
    UnknownLogin,
    /// The provider answered the login with an error (the user declined, say).
    #[error("the identity provider refused the login: {0}")]
    Refused(String),
    /// Exchanging the code, or checking the ID token, failed.
    #[error("the identity provider's answer could not be verified: {0}")]
    Verification(String),
}

/// Who signed in, and what the provider's claims grant them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The provider's issuer URL (as its ID token says).
    pub issuer: String,
    /// The account's subject at the provider (stable, unique per issuer).
    pub subject: String,
    /// The user name to give a new local user.
    pub name: String,
    /// Each group (by name) and the role the claims grant in it (the strongest of the rules
    /// that match).
    pub grants: Vec<(String, Role)>,
    /// Where the user was going when the login started (a path of this node).
    pub next: String,
}

/// A started login: the URL to send the browser to, and its `state`, which the server also
/// keeps in a cookie so that only the browser that started a login can finish it.
#[derive(Debug, Clone)]
pub struct Started {
    /// The provider's authorization URL with this login's parameters.
    pub authorize_url: String,
    /// The login's `state`.
    pub state: String,
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

struct Pending {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    next: String,
    started: Instant,
}

/// A node's identity provider: configuration, discovered endpoints and pending logins.
pub struct Sso {
    config: SsoConfig,
    issuer: IssuerUrl,
    redirect: RedirectUrl,
    secret: Option<ClientSecret>,
    agent: ureq::Agent,
    client: tokio::sync::OnceCell<Client>,
    pending: Mutex<HashMap<String, Pending>>,
}

impl std::fmt::Debug for Sso {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sso").field("issuer", &self.config.issuer).field("name", &self.config.name).finish()
    }
}

impl SsoConfig {
    /// Reads and checks a configuration file.
    pub fn from_file(path: &Path) -> Result<SsoConfig, SsoError> {
        let bad = |reason: String| SsoError::Config { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| bad(e.to_string()))?;
        let config: SsoConfig = toml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        config.check().map_err(bad)?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        for (what, value) in [("issuer", &self.issuer), ("redirect_url", &self.redirect_url)] {
            url::Url::parse(value).map_err(|e| format!("{what} {value:?} is not a URL: {e}"))?;
        }
        if self.name.trim().is_empty() || self.client_id.trim().is_empty() {
            return Err("name and client_id must not be empty".into());
        }
        for (i, rule) in self.grants.iter().enumerate() {
            if Role::parse(&rule.role).is_none() {
                return Err(format!(
                    "grant {} (value {:?}): role {:?} is not one of submitter, curator, consumer",
                    i + 1,
                    rule.value,
                    rule.role
                ));
            }
        }
        if !self.grants.is_empty() && self.groups_claim.is_none() {
            return Err("grants need groups_claim: the claim whose values they match".into());
        }
        Ok(())
    }

    /// The groups and roles `values` (of the groups claim) grant: per group the strongest
    /// role of the matching rules, in the order the groups first appear among the rules.
    pub fn grants_for(&self, values: &[String]) -> Vec<(String, Role)> {
        let mut out: Vec<(String, Role)> = Vec::new();
        for rule in self.grants.iter().filter(|r| values.contains(&r.value)) {
            let Some(role) = Role::parse(&rule.role) else { continue };
            match out.iter_mut().find(|(g, _)| *g == rule.group) {
                Some((_, held)) if strength(role) > strength(*held) => *held = role,
                Some(_) => {}
                None => out.push((rule.group.clone(), role)),
            }
        }
        out
    }
}

fn strength(role: Role) -> u8 {
    match role {
        Role::Consumer => 0,
        Role::Submitter => 1,
        Role::Curator => 2,
    }
}

/// Claims the core types do not name (the groups claim, a custom user name claim).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: Map<String, Value>,
}

impl AdditionalClaims for OtherClaims {}

/// The failure of one request to the provider.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct HttpFailure(String);

impl Sso {
    /// Single sign-on with `config`; the provider is asked for its endpoints at the first login.
    pub fn new(config: SsoConfig) -> Result<Sso, SsoError> {
        let bad = |reason: String| SsoError::Config { path: "(single sign-on)".into(), reason };
        let issuer = IssuerUrl::new(config.issuer.clone()).map_err(|e| bad(format!("issuer: {e}")))?;
        let redirect =
            RedirectUrl::new(config.redirect_url.clone()).map_err(|e| bad(format!("redirect_url: {e}")))?;
        let secret = config
            .client_secret
            .clone()
            .or_else(|| std::env::var(SECRET_VARIABLE).ok().filter(|s| !s.is_empty()))
            .map(ClientSecret::new);
        // Following a redirect from a provider's endpoint would let it point the node anywhere.
        let agent = ureq::Agent::config_builder()
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .new_agent();
        Ok(Sso {
            config,
            issuer,
            redirect,
            secret,
            agent,
            client: tokio::sync::OnceCell::new(),
            pending: Mutex::new(HashMap::new()),
        })
    }

    /// The provider's name for the login page.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The configuration.
    pub fn config(&self) -> &SsoConfig {
        &self.config
    }

    /// Sends one request to the provider (on a blocking thread: ureq is synchronous).
    async fn send(
        agent: ureq::Agent,
        request: openidconnect::HttpRequest,
    ) -> Result<openidconnect::HttpResponse, HttpFailure> {
        tokio::task::spawn_blocking(move || {
            let uri = request.uri().to_string();
            let mut response = agent.run(request).map_err(|e| HttpFailure(format!("{uri}: {e}")))?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response
                .body_mut()
                .with_config()
                .limit(MAX_ANSWER_BYTES)
                .read_to_vec()
                .map_err(|e| HttpFailure(format!("{uri}: {e}")))?;
            let mut answer = openidconnect::HttpResponse::new(body);
            *answer.status_mut() = status;
            *answer.headers_mut() = headers;
            Ok(answer)
        })
        .await
        .map_err(|e| HttpFailure(e.to_string()))?
    }

    async fn client(&self) -> Result<&Client, SsoError> {
        self.client
            .get_or_try_init(|| async {
                let agent = self.agent.clone();
                let http = move |request| Self::send(agent.clone(), request);
                let metadata =
                    CoreProviderMetadata::discover_async(self.issuer.clone(), &http).await.map_err(|e| {
                        SsoError::Discovery { issuer: self.config.issuer.clone(), reason: chain(&e) }
                    })?;
                tracing::info!(issuer = %self.config.issuer, "identity provider discovered");
                Ok(CoreClient::from_provider_metadata(
                    metadata,
                    ClientId::new(self.config.client_id.clone()),
                    self.secret.clone(),
                )
                .set_redirect_uri(self.redirect.clone()))
            })
            .await
    }

    /// Starts a login that returns to `next` (a path of this node): the authorization URL to
    /// send the browser to.
    pub async fn begin(&self, next: String) -> Result<Started, SsoError> {
        let client = self.client().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in &self.config.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        let mut pending = self.pending.lock().expect("pending logins lock");
        pending.retain(|_, p| p.started.elapsed() < LOGIN_TIMEOUT);
        if pending.len() >= MAX_PENDING
            && let Some(oldest) = pending.iter().min_by_key(|(_, p)| p.started).map(|(k, _)| k.clone())
        {
            pending.remove(&oldest);
        }
        pending.insert(state.secret().clone(), Pending { verifier, nonce, next, started: Instant::now() });
        Ok(Started { authorize_url: url.to_string(), state: state.secret().clone() })
    }

    /// Finishes the login `state` with the provider's `code`: exchanges it, verifies the ID
    /// token and reads who signed in and what their claims grant.
    pub async fn finish(&self, state: &str, code: &str) -> Result<SignedIn, SsoError> {
        let pending = {
            let mut all = self.pending.lock().expect("pending logins lock");
            all.remove(state).filter(|p| p.started.elapsed() < LOGIN_TIMEOUT).ok_or(SsoError::UnknownLogin)?
        };
        let client = self.client().await?;
        let agent = self.agent.clone();
        let http = move |request| Self::send(agent.clone(), request);
        let verify = |e: String| SsoError::Verification(e);
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| verify(chain(&e)))?
            .set_pkce_verifier(pending.verifier)
            .request_async(&http)
            .await
            .map_err(|e| verify(format!("the token endpoint: {}", chain(&e))))?;
        let id_token = tokens.id_token().ok_or_else(|| verify("no ID token in the token answer".into()))?;
        let claims: &CoreIdTokenClaims =
            id_token.claims(&client.id_token_verifier(), &pending.nonce).map_err(|e| verify(chain(&e)))?;
        // The token's signature, issuer, audience, expiry and nonce were checked just above;
        // its other claims are read from its payload.
        let mut others = token_payload(&id_token.to_string()).unwrap_or_default();
        let wants = |name: &str| !others.contains_key(name);
        let groups_missing = self.config.groups_claim.as_deref().is_some_and(wants);
        if groups_missing || wants(&self.config.username_claim) {
            // Many providers (Life Science Login among them) release such claims at the userinfo
            // endpoint only.
            if let Ok(request) =
                client.user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
            {
                match request.request_async::<OtherClaims, _, CoreGenderClaim>(&http).await {
                    Ok(info) => {
                        let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = info;
                        for (k, v) in &info.additional_claims().claims {
                            others.entry(k.clone()).or_insert_with(|| v.clone());
                        }
                        if let Some(name) = info.preferred_username() {
                            others
                                .entry(String::from("preferred_username"))
                                .or_insert_with(|| Value::String(name.as_str().to_owned()));
                        }
                        if let Some(email) = info.email() {
                            others
                                .entry(String::from("email"))
                                .or_insert_with(|| Value::String(email.as_str().to_owned()));
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %chain(&e), "userinfo request failed; using the ID token's claims")
                    }
                }
            }
        }
        let subject = claims.subject().as_str().to_owned();
        let text = |name: &str| others.get(name).and_then(Value::as_str).map(str::to_owned);
        let name = text(&self.config.username_claim)
            .or_else(|| claims.preferred_username().map(|n| n.as_str().to_owned()))
            .or_else(|| text("email"))
            .unwrap_or_else(|| subject.clone());
        let values: Vec<String> = match self.config.groups_claim.as_deref().and_then(|c| others.get(c)) {
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(SignedIn {
            issuer: claims.issuer().as_str().to_owned(),
            subject,
            name,
            grants: self.config.grants_for(&values),
            next: pending.next,
        })
    }
}

/// The claims in a JWT's payload (its second part), or `None` when it is not one.
fn token_payload(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// An error with its causes, one sentence.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rules: &[(&str, &str, &str)]) -> SsoConfig {
        SsoConfig {
            name: "Test".into(),
            issuer: "https://login.example.org/oidc/".into(),
            client_id: "virion".into(),
            client_secret: None,
            redirect_url: "https://node.example.org/login/sso/callback".into(),
            scopes: default_scopes(),
            username_claim: default_username_claim(),
            groups_claim: Some("groups".into()),
            grants: rules
                .iter()
                .map(|(v, g, r)| GrantRule { value: (*v).into(), group: (*g).into(), role: (*r).into() })
                .collect(),
        }
    }

    #[test]
    fn the_strongest_matching_role_per_group_is_granted() {
        let c = config(&[
            ("lab-readers", "lab", "consumer"),
            ("lab-curators", "lab", "curator"),
            ("lab-submitters", "lab", "submitter"),
            ("other", "other", "submitter"),
        ]);
        let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            c.grants_for(&values(&["lab-readers", "lab-curators", "lab-submitters"])),
            vec![("lab".to_owned(), Role::Curator)]
        );
        assert_eq!(c.grants_for(&values(&["lab-readers"])), vec![("lab".to_owned(), Role::Consumer)]);
        assert_eq!(c.grants_for(&values(&["unrelated"])), vec![]);
        assert_eq!(c.grants_for(&values(&["other", "lab-submitters"])).len(), 2);
    }

    #[test]
    fn configs_name_their_mistakes() {
        let mut c = config(&[("x", "lab", "owner")]);
        assert!(c.check().unwrap_err().contains("owner"));
        c.grants.clear();
        c.issuer = "not a url".into();
        assert!(c.check().unwrap_err().contains("issuer"));
        let mut c = config(&[("x", "lab", "curator")]);
        c.groups_claim = None;
        assert!(c.check().unwrap_err().contains("groups_claim"));
    }

    #[test]
    fn token_payloads_are_read_and_garbage_is_not() {
        let payload =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"groups":["a","b"],"sub":"x"}"#);
        let token = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
        assert_eq!(token_payload(&token).unwrap()["groups"], serde_json::json!(["a", "b"]));
        assert!(token_payload("no-dots").is_none());
        assert!(token_payload("a.!!!.c").is_none());
    }

    #[tokio::test]
    async fn a_login_finishes_once_and_unknown_states_are_refused() {
        let sso = Sso::new(config(&[])).unwrap();
        assert!(matches!(sso.finish("never-started", "code").await, Err(SsoError::UnknownLogin)));
    }
}
