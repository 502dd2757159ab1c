//! Groups and their members.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use virion_store::{Action, Membership, Role};

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiJson, ProblemResponse};
use crate::state::AppState;

/// One user's role in one group.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Membership)]
pub struct MembershipView {
    /// The group's name.
    group: String,
    /// The group's id.
    group_id: i64,
    /// The member's user name.
    user: String,
    /// submitter, curator or consumer.
    role: &'static str,
}

impl From<&Membership> for MembershipView {
    fn from(m: &Membership) -> Self {
        MembershipView {
            group: m.group_name.clone(),
            group_id: m.group.0,
            user: m.user_name.clone(),
            role: m.role.as_str(),
        }
    }
}

/// The caller's memberships.
#[utoipa::path(get, path = "/api/groups", summary = "The caller's group memberships", security(("bearer" = [])),
    responses((status = 200, description = "The memberships", body = Vec<MembershipView>),
        (status = 401, response = ProblemResponse), (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn mine(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
) -> Result<Json<Vec<MembershipView>>, ApiError> {
    let list = state.store().memberships(Some(user.id), None).await?;
    Ok(Json(list.iter().map(MembershipView::from).collect()))
}

/// A group to create.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewGroup {
    /// The group's name, unique on the hub: 1 to 100 characters, no control characters, not
    /// starting or ending with white space.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\s\x00-\x1f\x7f-\x9f](?:[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f])?$"
    )]
    name: String,
}

/// A created group.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct GroupCreated {
    /// The new group's id.
    group_id: i64,
    /// Its name, as sent.
    name: String,
}

/// Creates a group with the caller as its curator.
#[utoipa::path(post, path = "/api/groups", summary = "Create a group (the caller becomes its curator)",
    request_body = NewGroup, security(("bearer" = [])),
    responses((status = 201, description = "The new group", body = GroupCreated),
        (status = 401, response = ProblemResponse), (status = 409, response = ProblemResponse),
        (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn create(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    ApiJson(req): ApiJson<NewGroup>,
) -> Result<(StatusCode, Json<GroupCreated>), ApiError> {
    let id = state.store().create_group(&req.name, user.id).await?;
    Ok((StatusCode::CREATED, Json(GroupCreated { group_id: id.0, name: req.name })))
}

/// A group.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct GroupPath {
    /// The group's name.
    group: String,
}

/// A member of a group.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberPath {
    /// The group's name.
    group: String,
    /// The member's user name.
    user: String,
}

/// Members of a group; only its members (and admins) may list them.
#[utoipa::path(get, path = "/api/groups/{group}/members", summary = "Members of a group (members only)",
    params(GroupPath), security(("bearer" = [])),
    responses((status = 200, description = "The memberships", body = Vec<MembershipView>),
        (status = 401, response = ProblemResponse), (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse), (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn members(
    State(state): State<AppState>,
    AuthUser(user): AuthUser,
    Path(GroupPath { group }): Path<GroupPath>,
) -> Result<Json<Vec<MembershipView>>, ApiError> {
    let id = state.store().group_by_name(&group).await?;
    if !state.store().can(user.id, Action::ViewUnreleased, id).await? {
        return Err(ApiError::Forbidden(format!("{} is not a member of group {group:?}", user.name)));
    }
    let list = state.store().memberships(None, Some(id)).await?;
    Ok(Json(list.iter().map(MembershipView::from).collect()))
}

/// The roles a member may have (the schema of [`RoleRequest`]'s `role`).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // only its schema is used: the handler reads the role as text
enum RoleName {
    Submitter,
    Curator,
    Consumer,
}

/// The role a member gets.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// submitter, curator or consumer.
    #[schema(example = "submitter", value_type = RoleName)]
    role: String,
}

/// Gives a user a role in a group, replacing any role it had; only the group's curators (and
/// admins) may.
#[utoipa::path(put, path = "/api/groups/{group}/members/{user}", summary = "Add a member or change a member's role",
    params(MemberPath), request_body = RoleRequest, security(("bearer" = [])),
    responses((status = 204, description = "done"), (status = 400, response = ProblemResponse),
        (status = 401, response = ProblemResponse), (status = 403, response = ProblemResponse),
        (status = 404, response = ProblemResponse), (status = 415, response = ProblemResponse), (status = 422, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn set_role(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(MemberPath { group, user: member }): Path<MemberPath>,
    ApiJson(req): ApiJson<RoleRequest>,
) -> Result<StatusCode, ApiError> {
    let role = Role::parse(&req.role).ok_or_else(|| {
        ApiError::BadRequest(format!("role {:?} is not one of submitter, curator, consumer", req.role))
    })?;
    let group = state.store().group_by_name(&group).await?;
    let member = state.store().user_by_name(&member).await?;
    state.store().set_role(actor.id, group, member.id, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a user from a group; only the group's curators (and admins) may.
#[utoipa::path(delete, path = "/api/groups/{group}/members/{user}", summary = "Remove a member",
    params(MemberPath), security(("bearer" = [])),
    responses((status = 204, description = "done"), (status = 401, response = ProblemResponse),
        (status = 403, response = ProblemResponse), (status = 404, response = ProblemResponse),
        (status = 409, response = ProblemResponse), (status = 400, response = ProblemResponse),
        (status = 500, response = ProblemResponse)))]
pub async fn remove(
    State(state): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(MemberPath { group, user: member }): Path<MemberPath>,
) -> Result<StatusCode, ApiError> {
    let group = state.store().group_by_name(&group).await?;
    let member = state.store().user_by_name(&member).await?;
    state.store().remove_member(actor.id, group, member.id).await?;
    Ok(StatusCode::NO_CONTENT)
}
