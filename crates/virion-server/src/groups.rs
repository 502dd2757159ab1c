//! Groups and their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use virion_store::{Action, Membership, Role};

use crate::auth::AuthUser;
use crate::error::ApiError;
use crate::state::AppState;

fn membership_json(m: &Membership) -> Value {
    json!({ "group": m.group_name, "groupId": m.group.0, "user": m.user_name, "role": m.role.as_str() })
}

/// The caller's memberships.
pub async fn mine(State(state): State<AppState>, AuthUser(user): AuthUser) -> Result<Json<Value>, ApiError> {
    let list = state.store().memberships(Some(user.id), None).await?;
    Ok(Json(Value::Array(list.iter().map(membership_json).collect())))
}

#[derive(Debug, Deserialize)]
pub struct NewGroup {
    name: String,
}

/// Creates a group with the caller as its curator.
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Json(req): Json<NewGroup>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = state.store().create_group(&req.name, user.id).await?;
    Ok((StatusCode::CREATED, Json(json!({ "groupId": id.0, "name": req.name }))))
}

/// Members of a group; only its members (and admins) may list them.
pub async fn members(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(group): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = state.store().group_by_name(&group).await?;
    if !state.store().can(user.id, Action::ViewUnreleased, id).await? {
        return Err(ApiError::Forbidden(format!("{} is not a member of group {group:?}", user.name)));
    }
    let list = state.store().memberships(None, Some(id)).await?;
    Ok(Json(Value::Array(list.iter().map(membership_json).collect())))
}

#[derive(Debug, Deserialize)]
pub struct RoleRequest {
    role: String,
}

pub async fn set_role(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((group, member)): Path<(String, String)>,
    Json(req): Json<RoleRequest>,
) -> Result<StatusCode, ApiError> {
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::BadRequest(format!("role {:?} is not one of submitter, curator, consumer", req.role))
    })?;
    let group = state.store().group_by_name(&group).await?;
    let member = state.store().user_by_name(&member).await?;
    state.store().set_role(actor.id, group, member.id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn remove(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((group, member)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let group = state.store().group_by_name(&group).await?;
    let member = state.store().user_by_name(&member).await?;
    state.store().remove_member(actor.id, group, member.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
