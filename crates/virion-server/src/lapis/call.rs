//! What every LAPIS route reads from a request, extracted once, so that one handler serves a
//! route under the default organism's root and under `/{organism}`, for GET and POST alike.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::RequestId;
use crate::auth::MaybeUser;
use crate::lapis::respond::{self, Info};
use crate::state::AppState;
use crate::throttle::Client;

/// One LAPIS request: the node, the caller, the path's names and the raw query and body.
pub(crate) struct LapisCall {
    /// The node's shared state.
    pub state: AppState,
    /// `None`: the default organism's root (`/sample/…`).
    pub organism: Option<String>,
    /// The route's other path parameter, if any: a segment, a gene or a lineage column.
    pub name: Option<String>,
    /// The caller, if it sent a valid token (a hub member also sees its unreleased data).
    pub user: MaybeUser,
    /// The request's id, echoed in the answer's `info`.
    pub request_id: RequestId,
    /// The request's path, e.g. `/sars-cov-2/sample/details`.
    pub path: String,
    /// The raw URL query string, if any.
    pub query: Option<String>,
    /// The request headers (content type, `Accept`, `Accept-Encoding`, `Host`).
    pub headers: HeaderMap,
    /// Empty for a GET.
    pub body: Bytes,
}

impl FromRequest<AppState> for LapisCall {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let params = RawPathParams::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (mut organism, mut name) = (None, None);
        for (key, value) in &params {
            if key == "organism" {
                organism = Some(value.to_owned());
            } else {
                name = Some(value.to_owned());
            }
        }
        let user =
            MaybeUser::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        // Always set by the app's middleware; a router without it (a unit test) gets no id.
        let request_id =
            parts.extensions.get::<RequestId>().cloned().unwrap_or_else(|| RequestId(String::new()));
        let crate::auth::ClientAddr(address) =
            crate::auth::ClientAddr::from_request_parts(&mut parts, state).await.map_err(|e| match e {})?;
        let client = match (&user.0, address) {
            (Some(u), _) => Some(Client::User(u.id.0)),
            (None, Some(a)) => Some(Client::Address(a)),
            (None, None) => None,
        };
        if let Some(Err(wait)) = client.map(|c| state.query_budgets().take(c)) {
            let info = Info { request_id: request_id.0.clone(), ..Info::default() };
            let seconds = wait.as_secs() + 1;
            let mut r = respond::problem(
                StatusCode::TOO_MANY_REQUESTS,
                format!("too many questions from this client; ask again in {seconds} s"),
                &info,
            );
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
            return Err(r);
        }
        let query = parts.uri.query().map(str::to_owned);
        let path = parts.uri.path().to_owned();
        let headers = parts.headers.clone();
        let body = Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(LapisCall { state: state.clone(), organism, name, user, request_id, path, query, headers, body })
    }
}
