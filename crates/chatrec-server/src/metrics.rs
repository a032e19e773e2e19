//! Prometheus metrics at `/metrics`: request latency per route, chat turn latency,
//! feedback ingested, LLM fallbacks, the served model version.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    pub route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskLabels {
    pub task: String,
}

/// Tasks an LLM may take over from the built-in language layer; a fallback to the built-in
/// path is counted per task.
pub const LLM_TASKS: [&str; 3] = ["understand", "rerank", "phrase"];

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Family<RouteLabels, Histogram>,
    pub turn_seconds: Histogram,
    pub feedback_ingested: Counter,
    pub llm_fallbacks: Family<TaskLabels, Counter>,
    pub model_version: Gauge,
    pub sessions_in_memory: Gauge,
}

fn latency_buckets() -> impl Iterator<Item = f64> {
    // 50 µs to about 1.6 s.
    exponential_buckets(0.000_05, 2.0, 16)
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("chatrec");
        let requests = Family::<RequestLabels, Counter>::default();
        let request_seconds = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(latency_buckets())
        });
        let turn_seconds = Histogram::new(latency_buckets());
        let feedback_ingested = Counter::default();
        let llm_fallbacks = Family::<TaskLabels, Counter>::default();
        let model_version = Gauge::default();
        let sessions_in_memory = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route",
            request_seconds.clone(),
        );
        registry.register(
            "turn_duration_seconds",
            "Time to answer one conversation turn (understand to respond)",
            turn_seconds.clone(),
        );
        registry.register(
            "feedback_events_ingested",
            "Feedback events stored through this server",
            feedback_ingested.clone(),
        );
        registry.register(
            "llm_fallbacks",
            "Times an LLM task fell back to the built-in language layer",
            llm_fallbacks.clone(),
        );
        registry.register(
            "model_version",
            "The model version this server answers with",
            model_version.clone(),
        );
        registry.register(
            "sessions_in_memory",
            "Conversations held in memory",
            sessions_in_memory.clone(),
        );
        for task in LLM_TASKS {
            let _ = llm_fallbacks.get_or_create(&TaskLabels { task: task.into() });
        }
        Metrics {
            registry,
            requests,
            request_seconds,
            turn_seconds,
            feedback_ingested,
            llm_fallbacks,
            model_version,
            sessions_in_memory,
        }
    }
}

impl Metrics {
    /// Brings the fallback counters up to the assistant's own counts (the assistant counts
    /// as it answers; the counters only ever move forward).
    pub fn sync_llm(&self, counts: &chatrec_dialogue::AssistantCounts) {
        for (task, fallbacks) in [
            ("understand", counts.understand.fallbacks),
            ("rerank", counts.rerank.fallbacks),
            ("phrase", counts.phrase.fallbacks),
        ] {
            let counter = self
                .llm_fallbacks
                .get_or_create(&TaskLabels { task: task.into() });
            let seen = counter.get();
            if fallbacks > seen {
                counter.inc_by(fallbacks - seen);
            }
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if encode(&mut text, &self.registry).is_err() {
            text.clear();
        }
        text
    }
}

/// Middleware: counts every request and times it, labelled by its route pattern (not the
/// raw path, so ids do not explode the label space).
pub async fn record(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    metrics
        .request_seconds
        .get_or_create(&RouteLabels {
            method: method.clone(),
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status,
        })
        .inc();
    response
}
