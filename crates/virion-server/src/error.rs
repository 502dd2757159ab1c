//! One error type for every handler, rendered as RFC 7807 `application/problem+json`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::{ToResponse, ToSchema};
use virion_schema::Issue;
use virion_store::StoreError;

/// The problem document (RFC 7807) with Virion's extension members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// The problem type: always `about:blank`, so `title` is the HTTP status's reason phrase.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: &'static str,
    /// The HTTP status's reason phrase (e.g. `Not Found`), or `Unprocessable Submission` when
    /// submitted files were rejected.
    pub title: &'static str,
    /// The HTTP status code, repeated from the response.
    pub status: u16,
    /// What went wrong with this request, in a sentence; for a server failure it asks to quote
    /// the `x-request-id` response header instead.
    pub detail: String,
    /// Every validation finding (file, line, column, value, message), for 422.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<IssueSchema>, required = false)]
    pub issues: Vec<Issue>,
}

/// Every hub route's error answer in the API document: an [`ApiError`] as a [`Problem`].
#[derive(ToResponse)]
#[response(description = "RFC 7807 problem", content_type = "application/problem+json")]
#[allow(dead_code)] // only its schema is used; handlers return `ApiError`
pub(crate) struct ProblemResponse(Problem);

/// One finding about the submitted files: its severity (`error` rejects the submission,
/// `warning` is reported and stored), kind, place and message. (The schema of
/// `virion_schema::Issue`, a crate without OpenAPI; a test below checks that an issue
/// serialises to exactly these fields.)
#[derive(ToSchema)]
#[schema(as = Issue)]
#[allow(dead_code)] // only its schema is used
pub(crate) struct IssueSchema {
    // No doc here: a described field would wrap the inlined enum in `allOf`. `error` rejects
    // the submission; `warning` is reported and stored (said in the struct's description).
    #[schema(inline)]
    severity: SeveritySchema,
    /// What kind of problem, e.g. `unknown_column`, `invalid_date`.
    kind: String,
    /// Name of the submitted file the issue is in.
    file: String,
    /// 1-based line of the row; null for whole-file findings.
    line: Option<u64>,
    /// The column's name as written in the header; null for whole-row findings.
    column: Option<String>,
    /// The offending cell's text, when there is one.
    value: Option<String>,
    /// The problem and the fix, in one or two sentences.
    message: String,
}

// The schema of `virion_schema::Severity`. Plain comments, not docs: utoipa would turn a
// described enum (or described variants) into `allOf`/`oneOf` wrappers instead of the plain
// `enum` clients expect; the field that holds it carries the description.
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // only its schema is used
enum SeveritySchema {
    Error,
    Warning,
}

/// Why a hub route failed; answered as a [`Problem`] with the matching HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The route needs a logged-in caller and the request carried no valid token (401).
    #[error("authentication required: send `Authorization: Bearer <token>`")]
    Unauthenticated,
    /// The caller is known but may not do this, e.g. act for a group it is not a member of
    /// (403); the text says what was refused.
    #[error("{0}")]
    Forbidden(String),
    /// Something the request names (an organism, entry, version, group, user) does not exist
    /// (404).
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the current state (409): the name is taken, the version's
    /// status does not allow the action, it is not the entry's newest, it has processing
    /// errors, or a worker's job lease has lapsed.
    #[error("{0}")]
    Conflict(String),
    /// None of the media types the request accepts can be served (406); the text lists those
    /// that can.
    #[error("{0}")]
    NotAcceptable(String),
    /// The request itself is wrong (400): a malformed accession, parameter, body or data-use
    /// term, or a submitted entry that breaks a rule.
    #[error("{0}")]
    BadRequest(String),
    /// The submission was rejected as a whole; each issue says where and why.
    #[error("{} problem(s) in the submitted files; nothing was stored", .0.len())]
    Validation(Vec<Issue>),
    /// An uploaded file cannot be read at all (format, encoding, damaged compression).
    #[error("{0}")]
    Unreadable(String),
    /// A JSON request body that could not be read: not JSON (400), JSON of the wrong shape
    /// (422) or not sent as `application/json` (415); the text is axum's, naming the field.
    #[error("the request body: {detail}")]
    Body {
        /// The status axum's JSON extractor chose for the failure.
        status: StatusCode,
        /// What was wrong, e.g. `missing field \`group\` at line 1 column 2`.
        detail: String,
    },
    /// An upload, file, record or field over one of the hub's limits (413); the text names the
    /// file, record or field and the limit.
    #[error("{0}")]
    TooLarge(String),
    /// The node cannot serve this yet or now (503): its store does not answer, an index is
    /// still being built.
    #[error("{0}")]
    Unavailable(String),
    /// An `Idempotency-Key` already used for a different request (409: it conflicts with the
    /// request stored under it).
    #[error("{0}")]
    KeyReused(String),
    /// Too many attempts (failed logins) or too much traffic from one client (429); the answer
    /// carries `Retry-After`.
    #[error("too many requests: try again in {} seconds", .retry_after.as_secs() + 1)]
    TooManyRequests {
        /// How long the client must wait.
        retry_after: std::time::Duration,
    },
    /// Logged with the request id, never shown to the client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    /// An [`ApiError::Internal`] from any failure the client cannot act on (its text is logged,
    /// not sent).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    pub(crate) fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Validation(_) | ApiError::Unreadable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Body { status, .. } => *status,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::KeyReused(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Forbidden { .. } | StoreError::NotCollectionOwner { .. } => {
                ApiError::Forbidden(e.to_string())
            }
            StoreError::NotFound { .. } => ApiError::NotFound(e.to_string()),
            StoreError::AlreadyExists { .. }
            | StoreError::InvalidTransition { .. }
            | StoreError::NotNewest { .. }
            | StoreError::HasErrors { .. }
            | StoreError::CannotRevise { .. }
            | StoreError::LeaseLost { .. } => ApiError::Conflict(e.to_string()),
            StoreError::BadCollection { .. } => ApiError::Unreadable(e.to_string()),
            StoreError::BadEntry { .. }
            | StoreError::Input { .. }
            | StoreError::Accession(_)
            | StoreError::BadName { .. }
            | StoreError::Terms(_) => ApiError::BadRequest(e.to_string()),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<axum::extract::multipart::MultipartError> for ApiError {
    fn from(e: axum::extract::multipart::MultipartError) -> Self {
        ApiError::BadRequest(format!("multipart body: {}", e.body_text()))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::Body { status: rejection.status(), detail: rejection.body_text() }
    }
}

/// A JSON request body, read as axum's `Json` reads it, whose failures are answered as a
/// problem document like every other hub error (axum's own answer is plain text).
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(req, state).await?;
        Ok(ApiJson(value))
    }
}

/// A problem document with `status` and `detail` (the title is the status's reason phrase).
pub(crate) fn problem_response(status: StatusCode, detail: String) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = Problem { kind: "about:blank", title, status: status.as_u16(), detail, issues: Vec::new() };
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after } => Some(retry_after.as_secs() + 1),
            _ => None,
        };
        let (title, detail, issues) = match self {
            ApiError::Internal(message) => {
                // The span carries the request id; the client gets it in x-request-id.
                tracing::error!(error = %message, "internal error");
                (
                    "Internal Server Error",
                    "the server failed; quote the x-request-id response header when reporting it".to_owned(),
                    Vec::new(),
                )
            }
            ApiError::Validation(issues) => {
                let detail =
                    format!("{} problem(s) in the submitted files; nothing was stored", issues.len());
                ("Unprocessable Submission", detail, issues)
            }
            other => (status.canonical_reason().unwrap_or("Error"), other.to_string(), Vec::new()),
        };
        let body = Problem { kind: "about:blank", title, status: status.as_u16(), detail, issues };
        let mut response = (status, Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/problem+json"));
        if let Some(seconds) = retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use virion_schema::{IssueKind, Severity};

    use super::*;

    #[test]
    fn an_issue_has_the_fields_of_its_schema() {
        let issue = Issue {
            severity: Severity::Error,
            kind: IssueKind::InvalidDate,
            file: "metadata.tsv".into(),
            line: Some(2),
            column: Some("date".into()),
            value: Some("2020-13-01".into()),
            message: "not a date".into(),
        };
        let json = serde_json::to_value(&issue).unwrap();
        let written: Vec<&String> = json.as_object().unwrap().keys().collect();
        let schema = serde_json::to_value(<IssueSchema as utoipa::PartialSchema>::schema()).unwrap();
        let documented: Vec<&String> = schema["properties"].as_object().unwrap().keys().collect();
        assert_eq!(written, documented);
        assert_eq!(
            schema["properties"]["severity"]["enum"],
            serde_json::json!(["error", "warning"]),
            "{schema}"
        );
    }
}
