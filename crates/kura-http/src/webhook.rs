//! The alert webhook: every alert the vault raises is POSTed as JSON to the URL in `alert_webhook`.
//!
//! - **Never in the way.** The vault hands an alert to the sink while it serves the request that raised it; the
//!   sink only puts the serialised alert on a bounded queue ([`QUEUE`]). A full queue drops the alert with a
//!   warning: it is stored and logged in the vault anyway (`GET /v1/alerts`), so the webhook is a notification,
//!   not the record.
//! - **Delivered by one thread** with its own small runtime, one alert at a time, so it works whether or not
//!   the caller runs inside tokio. A delivery that fails (no connection, a timeout, a status other than 2xx) is
//!   tried again after 0.5, 1 and 2 seconds, then given up with a warning. Logs name the alert's id and rule,
//!   never its body.
//! - **Plain HTTP only.** The build has rustls but no set of trusted root certificates (neither
//!   `webpki-roots` nor `rustls-native-certs` is in the dependency tree), and a TLS client that trusts nothing
//!   or everything would be worse than an honest `http://`. Point the webhook at a relay on the same host or a
//!   trusted network. An alert holds no personal values (counts, rule names, principals, export ids).
//! - The thread ends when the vault holding the sink is dropped.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use kura::vault::alerts::{Alert, Sink};
use kura::Vault;
use tokio::sync::mpsc;

/// Alerts waiting for delivery; more are dropped (with a warning).
pub const QUEUE: usize = 256;
/// Waits before the second, third and fourth attempt.
const BACKOFF: [Duration; 3] = [Duration::from_millis(500), Duration::from_secs(1), Duration::from_secs(2)];
/// Time one attempt may take (connect, send, answer).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where alerts go: an `http://` URL, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    uri: Uri,
    host: String,
    port: u16,
}

impl Target {
    /// Checks a webhook URL. The reason never repeats the URL (it may hold a secret path).
    pub fn parse(url: &str) -> Result<Target, String> {
        let uri: Uri = url.trim().parse().map_err(|_| "not a URL".to_owned())?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => {
                return Err("`https://` is not supported (no trusted root certificates in the build): use an \
                            `http://` relay on the same host or a trusted network"
                    .to_owned())
            }
            _ => return Err("must be an `http://` URL".to_owned()),
        }
        let authority = uri.authority().ok_or_else(|| "the URL has no host".to_owned())?;
        if authority.as_str().contains('@') {
            return Err("credentials in the URL are not supported".to_owned());
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        if host.is_empty() {
            return Err("the URL has no host".to_owned());
        }
        let port = authority.port_u16().unwrap_or(80);
        Ok(Target { uri, host, port })
    }
}

/// Registers the webhook of `url` as an alert sink of `vault` (see the module documentation).
///
/// # Errors
/// The URL is not an `http://` URL with a host, or the delivery thread could not be started.
pub fn register(vault: &Vault, url: &str) -> Result<(), String> {
    let target = Target::parse(url)?;
    vault.on_alert(sink(target)?);
    Ok(())
}

/// Registers the webhook of `config.alert_webhook`, if set; says whether one was registered.
///
/// # Errors
/// As [`register`].
pub fn register_configured(vault: &Vault, config: &crate::Config) -> Result<bool, String> {
    match &config.alert_webhook {
        Some(url) => register(vault, url).map(|()| true),
        None => Ok(false),
    }
}

/// What a queued alert carries: its body and, for logs, its id and rule.
struct Queued {
    id: String,
    rule: String,
    body: Bytes,
}

fn sink(target: Target) -> Result<Sink, String> {
    let (tx, rx) = mpsc::channel::<Queued>(QUEUE);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the webhook's runtime: {e}"))?;
    std::thread::Builder::new()
        .name("kura-alert-webhook".to_owned())
        .spawn(move || runtime.block_on(deliver_all(target, rx)))
        .map_err(|e| format!("cannot start the webhook's thread: {e}"))?;
    Ok(Arc::new(move |alert: &Alert| {
        let rule =
            serde_json::to_value(alert.rule).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let body = match serde_json::to_vec(alert) {
            Ok(b) => Bytes::from(b),
            Err(e) => {
                tracing::warn!(alert = %alert.id, rule, error = %e, "alert not serialised for the webhook");
                return;
            }
        };
        match tx.try_send(Queued { id: alert.id.clone(), rule: rule.clone(), body }) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(alert = %alert.id, rule, "the alert webhook's queue is full; alert not sent");
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::warn!(alert = %alert.id, rule, "the alert webhook has stopped; alert not sent");
            }
        }
    }))
}

async fn deliver_all(target: Target, mut rx: mpsc::Receiver<Queued>) {
    while let Some(q) = rx.recv().await {
        let mut attempt = 0;
        loop {
            let result = match tokio::time::timeout(ATTEMPT_TIMEOUT, post(&target, q.body.clone())).await {
                Ok(r) => r,
                Err(_) => Err("timed out".to_owned()),
            };
            match result {
                Ok(()) => break,
                Err(reason) => match BACKOFF.get(attempt) {
                    Some(wait) => {
                        tracing::debug!(alert = %q.id, rule = %q.rule, attempt, reason, "alert webhook failed; retrying");
                        tokio::time::sleep(*wait).await;
                        attempt += 1;
                    }
                    None => {
                        tracing::warn!(alert = %q.id, rule = %q.rule, reason, "alert webhook failed; alert not sent");
                        break;
                    }
                },
            }
        }
    }
}

/// One attempt: a new connection, one POST, the answer's status.
async fn post(target: &Target, body: Bytes) -> Result<(), String> {
    let stream = tokio::net::TcpStream::connect((target.host.as_str(), target.port))
        .await
        .map_err(|e| format!("cannot connect: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let driver = tokio::spawn(connection);
    let path = target.uri.path_and_query().map_or("/", |p| p.as_str());
    let host = match target.uri.port_u16() {
        Some(port) => format!("{}:{port}", target.uri.host().unwrap_or_default()),
        None => target.uri.host().unwrap_or_default().to_owned(),
    };
    let request = Request::builder()
        .method(Method::POST)
        .uri(path)
        .header(header::HOST, HeaderValue::from_str(&host).map_err(|_| "bad host".to_owned())?)
        .header(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .header(header::USER_AGENT, HeaderValue::from_static("kura-alert-webhook"))
        .body(Full::new(body))
        .map_err(|e| format!("cannot build the request: {e}"))?;
    let response = sender.send_request(request).await.map_err(|e| format!("request failed: {e}"));
    let result = match response {
        Ok(r) if r.status().is_success() => {
            // Read the (ignored) answer so the connection ends cleanly.
            let _ = r.into_body().collect().await;
            Ok(())
        }
        Ok(r) => Err(format!("answered {}", r.status().as_u16())),
        Err(e) => Err(e),
    };
    drop(sender);
    driver.abort();
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_plain_http_with_a_host() {
        let t = Target::parse("http://127.0.0.1:9000/alerts?k=v");
        assert_eq!(t.as_ref().map(|t| (t.host.as_str(), t.port)), Ok(("127.0.0.1", 9000)));
        assert_eq!(Target::parse("http://[::1]/a").map(|t| (t.host, t.port)), Ok(("::1".to_owned(), 80)));
        for bad in ["https://a.example/", "ftp://a.example/", "a.example/hook", "http://u:secret@a.example/"] {
            let e = Target::parse(bad).err().unwrap_or_default();
            assert!(!e.is_empty() && !e.contains("secret") && !e.contains("a.example"), "{bad}: {e}");
        }
    }
}
