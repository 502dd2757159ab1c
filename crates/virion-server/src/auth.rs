//! Who is calling: bearer API tokens, and local accounts that log in for a token.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use virion_store::{TokenId, User};

use crate::error::ApiError;
use crate::state::AppState;

/// The caller, if a valid token was sent (`None`: the public).
#[derive(Debug)]
pub struct MaybeUser(pub Option<User>);

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

#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    name: String,
    password: String,
}

pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<Value>, ApiError> {
    let user =
        state.store().verify_password(&req.name, &req.password).await?.ok_or(ApiError::Unauthenticated)?;
    let (id, token) = state.store().create_token(user.id, "login").await?;
    Ok(Json(json!({ "token": token, "tokenId": id.0, "user": user.name, "isAdmin": user.is_admin })))
}

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(req): Json<TokenRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (id, token) = state.store().create_token(user.id, &req.name).await?;
    Ok((StatusCode::CREATED, Json(json!({ "tokenId": id.0, "token": token }))))
}

pub async fn revoke_token(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.store().revoke_token(user.id, TokenId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
