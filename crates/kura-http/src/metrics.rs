//! Prometheus metrics, served at `GET /metrics` in the OpenMetrics text format.
//!
//! Labels are route templates (`/records/{id}`), never raw paths, and never principals: raw paths may carry
//! record ids, and one label value per principal or id would grow without bound.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The route label of a request that matched no route.
pub const UNMATCHED: &str = "(unmatched)";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

type HistogramFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The server's metrics, in a registry the embedding application may have filled with its own.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: HistogramFamily,
    rate_limited: Family<RouteLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new(Registry::default())
    }
}

impl Metrics {
    /// Adds the HTTP metrics (prefixed `kura_http_`) to `registry`.
    pub fn new(mut registry: Registry) -> Metrics {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = HistogramFamily::new_with_constructor(latency_histogram);
        let rate_limited = Family::<RouteLabels, Counter>::default();
        let http = registry.sub_registry_with_prefix("kura_http");
        http.register("requests", "HTTP requests answered, by route template, method and status", requests.clone());
        http.register("request_duration_seconds", "Time to answer a request, by route template", latency.clone());
        http.register("rate_limited", "Requests refused by the per-principal rate limit", rate_limited.clone());
        Metrics { registry, requests, latency, rate_limited }
    }

    /// Records one answered request.
    pub(crate) fn record(&self, route: &str, method: &str, status: u16, elapsed: Duration) {
        let (route, method) = (route.to_owned(), method.to_owned());
        self.latency
            .get_or_create(&RouteLabels { route: route.clone(), method: method.clone() })
            .observe(elapsed.as_secs_f64());
        if status == 429 {
            self.rate_limited.get_or_create(&RouteLabels { route: route.clone(), method: method.clone() }).inc();
        }
        self.requests.get_or_create(&RequestLabels { route, method, status }).inc();
    }

    /// The registry in the OpenMetrics text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// A method as a label: the standard ones by name, anything else as `OTHER` (a client choosing arbitrary
/// method names must not create arbitrary label values).
pub(crate) fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::TRACE => "TRACE",
        Method::CONNECT => "CONNECT",
        _ => "OTHER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_requests_latency_and_rate_limits_by_route_template() {
        let m = Metrics::default();
        m.record("/records/{id}", "GET", 200, Duration::from_millis(3));
        m.record("/records/{id}", "GET", 429, Duration::from_millis(1));
        let text = m.encode().unwrap_or_default();
        assert!(
            text.contains("kura_http_requests_total{route=\"/records/{id}\",method=\"GET\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("kura_http_request_duration_seconds_bucket"), "{text}");
        assert!(text.contains("kura_http_rate_limited_total{route=\"/records/{id}\",method=\"GET\"} 1"), "{text}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let odd = http::Method::from_bytes(b"BREW").unwrap_or_default();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
