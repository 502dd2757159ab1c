//! Who is calling: bearer API tokens, and local accounts that log in for a token.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use virion_store::{TokenId, User};

use crate::error::{ApiError, ApiJson, ProblemResponse};
use crate::state::AppState;

/// The caller, if a valid token was sent (`None`: the public).
#[derive(Debug)]
pub struct MaybeUser(pub Option<User>);

/// The client's IP address, when the server knows it (`virion serve` records each
/// connection's peer; a router driven directly in tests has none). A loopback peer counts as
/// unknown: it is this machine, usually a reverse proxy speaking for many clients, which must
/// not share one budget (limit per client in the proxy then).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(peer.map(|c| c.0.ip()).filter(|ip| !ip.is_loopback())))
    }
}

/// A caller that must be logged in.
#[derive(Debug)]
pub struct AuthUser(pub User);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else { return Ok(MaybeUser(None)) };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or(ApiError::Unauthenticated)?;
        // A token that was sent but is wrong is an error, not an anonymous call.
        match state.store().authenticate_token(token.trim()).await? {
            Some(user) => Ok(MaybeUser(Some(user))),
            None => Err(ApiError::Unauthenticated),
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        MaybeUser::from_request_parts(parts, state).await?.0.map(AuthUser).ok_or(ApiError::Unauthenticated)
    }
}

/// A local account's credentials.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The account's user name.
    name: String,
    /// The account's password.
    password: String,
}

/// A logged-in account's new token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginResponse {
    /// The bearer token; shown only now.
    token: String,
    /// The token's id, to revoke it with `DELETE /api/tokens/{id}`.
    token_id: i64,
    /// The account's user name.
    user: String,
    /// Whether the account is a hub administrator.
    is_admin: bool,
}

/// Checks a local account's name and password and creates a bearer token for it (named
/// `login`).
#[utoipa::path(post, path = "/api/login", summary = "Log in with a local account; returns a bearer token",
    request_body = LoginRequest, security(()),
    responses((status = 200, description = "A new token", body = LoginResponse),
        (status = 401, response = ProblemResponse), (status = 429, response = ProblemResponse),
        (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let throttle = state.login_throttle();
    if let Some(wait) = throttle.wait(&req.name, address) {
        return Err(ApiError::TooManyRequests { retry_after: wait });
    }
    let Some(user) = state.store().verify_password(&req.name, &req.password).await? else {
        throttle.failed(&req.name, address);
        return Err(ApiError::Unauthenticated);
    };
    throttle.succeeded(&req.name);
    let (id, token) = state.store().create_token(user.id, "login").await?;
    Ok(Json(LoginResponse { token, token_id: id.0, user: user.name, is_admin: user.is_admin }))
}

/// A new API token's name.
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// What the token is for, to recognise it later.
    name: String,
}

/// A new API token.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewToken {
    /// The token's id, to revoke it with `DELETE /api/tokens/{id}`.
    token_id: i64,
    /// The bearer token; shown only now.
    token: String,
}

/// Creates an API token for the caller, e.g. for scripts and `virion submit`.
#[utoipa::path(post, path = "/api/tokens", summary = "Create an API token for the caller",
    request_body = TokenRequest, security(("bearer" = [])),
    responses((status = 201, description = "The new token", body = NewToken),
        (status = 401, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn create_token(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let (id, token) = state.store().create_token(user.id, &req.name).await?;
    Ok((StatusCode::CREATED, Json(NewToken { token_id: id.0, token })))
}

/// Revokes one of the caller's tokens; it is refused from then on.
#[utoipa::path(delete, path = "/api/tokens/{id}", summary = "Revoke one of the caller's tokens",
    params(("id" = i64, Path, description = "The token's id (tokenId)")), security(("bearer" = [])),
    responses((status = 204, description = "revoked"), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store().revoke_token(user.id, TokenId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
