//! Operations: Prometheus `/metrics` (request latency per route, query slots, job states and
//! lease expiries, index rows and memory, upload bytes) and the liveness and readiness probes
//! (`/healthz`, `/readyz`). Metrics are kept with `prometheus-client` (the Prometheus
//! project's own Rust client, OpenMetrics text out); the gauges that describe state are read
//! when scraped.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::error::{ApiError, ProblemResponse};
use crate::state::AppState;

/// One route's requests: method, route template (not the path: bounded cardinality), status.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
    status: u16,
}

/// A label with one value (slot class, job state, collection).
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Named {
    name: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms … ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// How long job counts are reused: counting a million jobs on every scrape is not free.
const JOB_COUNT_TTL: Duration = Duration::from_secs(5);

/// The node's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: LatencyFamily,
    upload_bytes: Counter,
    slots_busy: Family<Named, Gauge>,
    slots_total: Gauge,
    jobs: Family<Named, Gauge>,
    index_rows: Family<Named, Gauge>,
    index_bytes: Family<Named, Gauge>,
    job_counts: Mutex<Option<(Instant, virion_store::JobStates)>>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("virion");
        let requests = LatencyFamily::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request (until its head is sent), by method, route template and status",
            requests.clone(),
        );
        let upload_bytes = Counter::default();
        registry.register("upload_bytes", "Bytes of submitted files received", upload_bytes.clone());
        let slots_busy = Family::<Named, Gauge>::default();
        registry.register(
            "query_slots_busy",
            "Query slots in use, by class (cheap, heavy)",
            slots_busy.clone(),
        );
        let slots_total = Gauge::default();
        registry.register("query_slots", "Query slots of all classes", slots_total.clone());
        let jobs = Family::<Named, Gauge>::default();
        registry.register(
            "jobs",
            "Processing jobs by state (queued, claimed, done) and claimed jobs whose lease ran out (expired_lease)",
            jobs.clone(),
        );
        let index_rows = Family::<Named, Gauge>::default();
        registry.register("index_rows", "Rows visible in each served collection", index_rows.clone());
        let index_bytes = Family::<Named, Gauge>::default();
        registry.register(
            "index_metadata_bytes",
            "Heap bytes of each collection's metadata columns",
            index_bytes.clone(),
        );
        Metrics {
            registry,
            requests,
            upload_bytes,
            slots_busy,
            slots_total,
            jobs,
            index_rows,
            index_bytes,
            job_counts: Mutex::new(None),
        }
    }
}

impl Metrics {
    /// Counts bytes of an upload as they arrive.
    pub(crate) fn uploaded(&self, bytes: u64) {
        self.upload_bytes.inc_by(bytes);
    }
}

/// Times every matched route (a `route_layer`, so the route template is known).
pub(crate) async fn record(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(String::new, |m| m.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(req).await;
    let labels = RouteLabels { method, route, status: response.status().as_u16() };
    state.metrics().requests.get_or_create(&labels).observe(started.elapsed().as_secs_f64());
    response
}

/// The node's metrics in the Prometheus text format.
#[utoipa::path(get, path = "/metrics", summary = "Prometheus metrics of this node", security(()),
    responses((status = 200, description = "OpenMetrics text", content_type = "application/openmetrics-text", body = String),
        (status = 500, response = ProblemResponse)))]
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let m = state.metrics();
    let slots = state.collections().query_slots();
    let (cheap, heavy) = slots.busy();
    m.slots_busy.get_or_create(&Named { name: "cheap".into() }).set(cheap as i64);
    m.slots_busy.get_or_create(&Named { name: "heavy".into() }).set(heavy as i64);
    m.slots_total.set(slots.total() as i64);
    let cached = m.job_counts.lock().expect("metrics lock").filter(|(at, _)| at.elapsed() < JOB_COUNT_TTL);
    let counts = match cached {
        Some((_, c)) => c,
        None => {
            let c = state.store().job_states().await?;
            *m.job_counts.lock().expect("metrics lock") = Some((Instant::now(), c));
            c
        }
    };
    for (name, n) in [
        ("queued", counts.queued),
        ("claimed", counts.claimed),
        ("done", counts.done),
        ("expired_lease", counts.expired_leases),
    ] {
        m.jobs.get_or_create(&Named { name: name.into() }).set(n);
    }
    for name in state.collections().names() {
        if let Some(slot) = state.collections().get(&name) {
            let ix = slot.read().expect("index lock");
            m.index_rows.get_or_create(&Named { name: name.clone() }).set(ix.visible.len() as i64);
            m.index_bytes.get_or_create(&Named { name }).set(ix.query.index.heap_bytes() as i64);
        }
    }
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &m.registry).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
        .into_response())
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", summary = "Liveness: the process answers", security(()),
    responses((status = 200, description = "Alive", content_type = "text/plain", body = String)))]
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness: the store answers and every hub organism's query index is built.
#[utoipa::path(get, path = "/readyz", summary = "Readiness: the store answers and every query index is built", security(()),
    responses((status = 200, description = "Ready", content_type = "text/plain", body = String),
        (status = 503, response = ProblemResponse)))]
pub async fn readyz(State(state): State<AppState>) -> Result<&'static str, ApiError> {
    state
        .store()
        .job_states()
        .await
        .map_err(|e| ApiError::Unavailable(format!("the store does not answer: {e}")))?;
    let building: Vec<String> = state
        .organisms()
        .map(|o| o.config.name.clone())
        .filter(|name| state.collections().get(name).is_none())
        .collect();
    if !building.is_empty() {
        return Err(ApiError::Unavailable(format!(
            "query indexes still being built: {}",
            building.join(", ")
        )));
    }
    Ok("ready\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_encodes_every_family() {
        let m = Metrics::default();
        m.uploaded(42);
        m.requests
            .get_or_create(&RouteLabels {
                method: "GET".into(),
                route: "/{organism}/sample/aggregated".into(),
                status: 200,
            })
            .observe(0.003);
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &m.registry).unwrap();
        assert!(text.contains("virion_upload_bytes_total 42"), "{text}");
        assert!(text.contains("virion_http_request_duration_seconds_bucket{le=\"0.004\",method=\"GET\",route=\"/{organism}/sample/aggregated\",status=\"200\"} 1"), "{text}");
    }
}
