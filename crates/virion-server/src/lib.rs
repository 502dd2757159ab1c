//! The Virion hub's HTTP surfaces — the hub API (submit, review, release, accounts) over a
//! `virion_store::Store`, the LAPIS routes and the portal's pages over
//! `virion_collections::Collections` — and the `serve`/`worker` process runners.
//!
//! [`app`] builds the axum router (tests drive it with `tower::ServiceExt::oneshot`).

mod auth;
pub mod backup;
pub mod beacon;
pub mod catalog;
mod citable;
mod ena;
mod entries;
mod error;
pub mod federation;
mod groups;
pub mod lapis;
mod layers;
mod metrics;
mod mirror;
mod openapi;
mod portal;
mod released;
pub mod run;
mod state;
mod submit;
mod throttle;
mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post, put};

pub use error::{ApiError, Problem};
pub use openapi::spec as openapi_spec;
pub use state::{AppState, QueryOptions, SetupError, UploadLimits, resolve_datasets};
pub use throttle::ClientRate;

/// Header carrying the id that ties a response to its log lines.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The request id assigned by [`app`]'s middleware, kept in the request's extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The whole HTTP API.
pub fn app(state: AppState) -> Router {
    // A receipt of ten thousand samples is a few MiB: more than axum's default body limit.
    let receipt_limit = DefaultBodyLimit::max(ena::MAX_RECEIPT_BYTES);
    let api = Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .route("/metrics", get(metrics::metrics))
        .route("/healthz", get(metrics::healthz))
        .route("/readyz", get(metrics::readyz))
        .route("/api/login", post(auth::login))
        .route("/api/tokens", post(auth::create_token))
        .route("/api/tokens/{id}", delete(auth::revoke_token))
        .route("/api/organisms", get(entries::organisms))
        .route("/api/groups", get(groups::mine).post(groups::create))
        .route("/api/groups/{group}/members", get(groups::members))
        .route("/api/groups/{group}/members/{user}", put(groups::set_role).delete(groups::remove))
        .route("/api/{organism}/submit", post(submit::submit).layer(DefaultBodyLimit::disable()))
        .route("/api/{organism}/entries", get(entries::list))
        .route("/api/{organism}/entries/{accession_version}", get(entries::get_one))
        .route("/api/{organism}/approve", post(entries::approve))
        .route("/api/{organism}/discard", post(entries::discard))
        .route("/api/{organism}/revise", post(entries::revise))
        .route("/api/{organism}/edit", post(entries::edit))
        .route("/api/{organism}/revoke", post(entries::revoke))
        .route("/api/{organism}/data-use-terms", post(entries::change_terms))
        .route("/api/{organism}/collections", post(citable::create))
        .route("/api/collections/{idVersion}", get(citable::get_one))
        .route("/catalog", get(catalog::catalog))
        .route("/catalog.{extension}", get(catalog::catalog_file))
        .route("/api/{organism}/ena/export", post(ena::export))
        .route("/api/{organism}/ena/receipt", post(ena::receipt).layer(receipt_limit))
        .route("/api/{organism}/released", get(released::released))
        .merge(lapis::routes())
        .merge(federation::routes())
        .merge(beacon::routes())
        .merge(portal::routes())
        // After every route is added: it times each matched route under its template.
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), metrics::record));
    layers::harden(api.with_state(state))
}
