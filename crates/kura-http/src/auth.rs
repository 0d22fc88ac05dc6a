//! Authentication plumbing: bearer tokens checked by the embedding application, remembered briefly, and the
//! purpose headers every access states.
//!
//! The server does not know how tokens are checked: the application supplies an [`Authenticator`] (kura's
//! vault checks the token's hash and logs the sign-in). Because that check is a logged, synchronous call, an
//! accepted token is cached for `auth_cache_ttl_secs` (default 30 s), keyed by the SHA-256 of the token and
//! the client address: the token itself is never kept, the lookup compares digests (so its timing says
//! nothing useful about the token), and a token presented from another address is checked (and logged) again.
//! A revoked token therefore stays usable for at most the TTL.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use http::request::Parts;
use http::{header, StatusCode};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::observe::note_principal;
use crate::rate::RateLimiter;

/// The header naming the purpose of an access: a ticket or order reference.
pub const PURPOSE_HEADER: &str = "kura-purpose";
/// The header naming the kind of purpose, e.g. `support` or `shipping`.
pub const PURPOSE_KIND_HEADER: &str = "kura-purpose-kind";

/// Longest bearer token accepted (kura's tokens are far shorter).
const MAX_TOKEN_LEN: usize = 512;
/// Most tokens remembered at once; beyond that, expired entries are dropped, then all.
const MAX_CACHED: usize = 4096;

/// Who a valid token belongs to, and what it may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The principal's name.
    pub name: String,
    /// The token's scopes, e.g. `records:read`.
    pub scopes: Vec<String>,
}

impl Identity {
    /// Whether the identity holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// `Ok` if the identity holds `scope`, else a 403 error naming the scope.
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("this token lacks the scope `{scope}`")))
        }
    }
}

/// A token was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthFailure {
    /// Unknown, expired, revoked or malformed: answered 401, and every refusal looks the same.
    #[error("token refused")]
    Refused,
    /// The check itself failed (e.g. the vault is unreachable): answered 503; the text is logged only.
    #[error("token check unavailable: {0}")]
    Unavailable(String),
}

/// Checks bearer tokens; supplied by the embedding application.
///
/// Called from a blocking thread, so it may do synchronous I/O. `origin` is the client's IP address (or
/// `unknown`), for the sign-in log.
pub trait Authenticator: Send + Sync + 'static {
    /// The identity `token` belongs to, or why it was not accepted.
    fn authenticate(&self, token: &str, origin: &str) -> Result<Identity, AuthFailure>;
}

/// Tokens recently accepted, by SHA-256 of (token, origin).
#[derive(Debug)]
struct Cache {
    ttl: Duration,
    entries: Mutex<HashMap<[u8; 32], (Identity, Instant)>>,
}

impl Cache {
    fn key(token: &str, origin: &str) -> [u8; 32] {
        let mut hash = Sha256::new();
        hash.update((token.len() as u64).to_be_bytes());
        hash.update(token.as_bytes());
        hash.update(origin.as_bytes());
        hash.finalize().into()
    }

    fn get(&self, key: &[u8; 32]) -> Option<Identity> {
        let entries = self.entries.lock().ok()?;
        entries.get(key).filter(|(_, at)| at.elapsed() < self.ttl).map(|(identity, _)| identity.clone())
    }

    fn put(&self, key: [u8; 32], identity: Identity) {
        if self.ttl.is_zero() {
            return;
        }
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_CACHED {
                let ttl = self.ttl;
                entries.retain(|_, (_, at)| at.elapsed() < ttl);
                if entries.len() >= MAX_CACHED {
                    entries.clear();
                }
            }
            entries.insert(key, (identity, Instant::now()));
        }
    }
}

/// The authenticator, its cache and the rate limit, shared by all requests (installed by [`crate::app`]).
pub(crate) struct Gate {
    authenticator: Arc<dyn Authenticator>,
    cache: Cache,
    limiter: RateLimiter,
}

impl std::fmt::Debug for Gate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gate").field("cache_ttl", &self.cache.ttl).finish_non_exhaustive()
    }
}

impl Gate {
    pub(crate) fn new(authenticator: Arc<dyn Authenticator>, ttl: Duration, limiter: RateLimiter) -> Gate {
        Gate { authenticator, cache: Cache { ttl, entries: Mutex::new(HashMap::new()) }, limiter }
    }

    async fn authenticate(&self, token: String, origin: String) -> Result<Identity, ApiError> {
        let key = Cache::key(&token, &origin);
        if let Some(identity) = self.cache.get(&key) {
            return Ok(identity);
        }
        let authenticator = Arc::clone(&self.authenticator);
        let outcome = tokio::task::spawn_blocking(move || authenticator.authenticate(&token, &origin))
            .await
            .map_err(|e| ApiError::internal(format!("token check did not finish: {e}")))?;
        match outcome {
            Ok(identity) => {
                self.cache.put(key, identity.clone());
                Ok(identity)
            }
            Err(AuthFailure::Refused) => Err(ApiError::unauthorized("the bearer token was not accepted")),
            Err(AuthFailure::Unavailable(detail)) => Err(ApiError::unavailable(detail)),
        }
    }
}

/// The authenticated caller of a request: extract it in a handler to require a valid bearer token.
///
/// Extraction reads `Authorization: Bearer <token>`, checks it through the [`Authenticator`] (or the cache),
/// notes the principal for the request log and charges the request to the principal's rate limit. Refusals:
/// 401 `unauthorized` with `WWW-Authenticate: Bearer`, 429 `rate_limited`, 503 `unavailable`.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Who, and with which scopes.
    pub identity: Identity,
    /// The client's IP address, or `unknown`.
    pub origin: String,
}

impl Caller {
    /// `Ok` if the caller holds `scope`, else 403 `forbidden`.
    pub fn require_scope(&self, scope: &str) -> Result<(), ApiError> {
        self.identity.require_scope(scope)
    }
}

/// The client's address as an origin for the access log: the IP address only, which fits the log's
/// character set (letters, digits, `.` and `:`).
pub fn origin(parts: &Parts) -> String {
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
}

pub(crate) fn bearer_token(parts: &Parts) -> Result<String, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized("an `Authorization: Bearer <token>` header is required"));
    };
    let malformed = || ApiError::unauthorized("the `Authorization` header must be `Bearer <token>`");
    let value = value.to_str().map_err(|_| malformed())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(malformed)?;
    let token = token.trim();
    // RFC 6750 token68 characters.
    let token68 = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if !scheme.eq_ignore_ascii_case("bearer")
        || token.is_empty()
        || token.len() > MAX_TOKEN_LEN
        || !token.chars().all(token68)
    {
        return Err(malformed());
    }
    Ok(token.to_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Caller, ApiError> {
        let gate = parts
            .extensions
            .get::<Arc<Gate>>()
            .cloned()
            .ok_or_else(|| ApiError::internal("no authenticator: the router was not built by kura_http::app"))?;
        let token = bearer_token(parts)?;
        let origin = origin(parts);
        let identity = gate.authenticate(token, origin.clone()).await?;
        note_principal(parts, &identity.name);
        gate.limiter.check(&identity.name)?;
        Ok(Caller { identity, origin })
    }
}

/// Why data is being accessed: the `Kura-Purpose` header (required) and `Kura-Purpose-Kind` (optional).
///
/// Only the header's form is checked here (visible ASCII, at most 200 characters); the vault checks the
/// reference itself when it logs the access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purpose {
    /// A ticket or order reference, e.g. `TICKET-42`.
    pub reference: String,
    /// The kind of purpose, e.g. `support`, `shipping`.
    pub kind: Option<String>,
}

/// The purpose rule of kura's access log (`kura::vault::Access`): 1 to 200 characters, ASCII letters, digits,
/// spaces and `- _ . : / # @ ( )`, not only spaces. Checked here too so a bad header is a clean 400 before any
/// work, and so the OpenAPI document can state it.
const PURPOSE_PATTERN: &str = r"^[A-Za-z0-9 _.:/#@()-]*[A-Za-z0-9_.:/#@()-][A-Za-z0-9 _.:/#@()-]*$";
const KIND_PATTERN: &str = r"^[a-z-]+$";

fn purpose_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || " -_.:/#@()".contains(c)
}

fn header_text(
    parts: &Parts,
    name: &'static str,
    max: usize,
    allowed: fn(char) -> bool,
    rule: &'static str,
) -> Result<Option<String>, ApiError> {
    let Some(value) = parts.headers.get(name) else { return Ok(None) };
    let text = value.to_str().unwrap_or_default();
    if text.trim().is_empty() || text.len() > max || !text.chars().all(allowed) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_purpose",
            format!("the `{name}` header must be {rule}"),
        ));
    }
    Ok(Some(text.trim().to_owned()))
}

impl<S: Send + Sync> FromRequestParts<S> for Purpose {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Purpose, ApiError> {
        let reference = header_text(
            parts,
            PURPOSE_HEADER,
            200,
            purpose_char,
            "1 to 200 characters: ASCII letters, digits, spaces and `- _ . : / # @ ( )` (a ticket or order reference)",
        )?;
        let Some(reference) = reference else {
            return Err(ApiError::bad_request(
                "missing_purpose",
                "every access must state its purpose in a `Kura-Purpose` header (a ticket or order reference)",
            ));
        };
        let kind = header_text(
            parts,
            PURPOSE_KIND_HEADER,
            32,
            |c| c.is_ascii_lowercase() || c == '-',
            "1 to 32 lower-case letters and `-` (e.g. `support`)",
        )?;
        Ok(Purpose { reference, kind })
    }
}

/// Documents the purpose headers: `params(Purpose)` in `#[utoipa::path]`.
impl utoipa::IntoParams for Purpose {
    fn into_params(
        _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
    ) -> Vec<utoipa::openapi::path::Parameter> {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::Required;
        let header = |name: &str, required: Required, max: usize, pattern: &str, description: &str, example: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(required)
                .description(Some(description))
                .schema(Some(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .min_length(Some(1))
                        .max_length(Some(max))
                        .pattern(Some(pattern))
                        .examples([serde_json::Value::from(example)]),
                ))
                .build()
        };
        vec![
            header(
                "Kura-Purpose",
                Required::True,
                200,
                PURPOSE_PATTERN,
                "Why: a ticket or order reference",
                "TICKET-42",
            ),
            header("Kura-Purpose-Kind", Required::False, 32, KIND_PATTERN, "The kind of purpose", "support"),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counting(AtomicUsize);

    impl Authenticator for Counting {
        fn authenticate(&self, token: &str, _origin: &str) -> Result<Identity, AuthFailure> {
            self.0.fetch_add(1, Ordering::SeqCst);
            match token {
                "good" => Ok(Identity { name: "svc".to_owned(), scopes: vec!["records:read".to_owned()] }),
                "down" => Err(AuthFailure::Unavailable("vault closed".to_owned())),
                _ => Err(AuthFailure::Refused),
            }
        }
    }

    fn gate(ttl: Duration) -> (Arc<Counting>, Gate) {
        let counting = Arc::new(Counting(AtomicUsize::new(0)));
        let limiter = RateLimiter::from_config(&crate::Config::default());
        (counting.clone(), Gate::new(counting, ttl, limiter))
    }

    #[tokio::test]
    async fn accepted_tokens_are_cached_per_origin_and_refusals_are_not() {
        let (count, gate) = gate(Duration::from_secs(30));
        for _ in 0..3 {
            assert!(gate.authenticate("good".into(), "10.0.0.1".into()).await.is_ok());
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        assert!(gate.authenticate("good".into(), "10.0.0.2".into()).await.is_ok());
        assert_eq!(count.0.load(Ordering::SeqCst), 2, "another origin is checked again");
        for _ in 0..2 {
            let e = gate.authenticate("bad".into(), "10.0.0.1".into()).await.err();
            assert_eq!(e.map(|e| e.status().as_u16()), Some(401));
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 4);
        let e = gate.authenticate("down".into(), "10.0.0.1".into()).await.err();
        assert_eq!(e.map(|e| e.status().as_u16()), Some(503));
    }

    #[tokio::test]
    async fn a_zero_ttl_turns_the_cache_off() {
        let (count, gate) = gate(Duration::ZERO);
        for _ in 0..2 {
            assert!(gate.authenticate("good".into(), "o".into()).await.is_ok());
        }
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn scopes_are_checked() {
        let id = Identity { name: "svc".into(), scopes: vec!["records:read".into()] };
        assert!(id.require_scope("records:read").is_ok());
        assert_eq!(id.require_scope("records:write").err().map(|e| e.status().as_u16()), Some(403));
    }

    #[test]
    fn bearer_header_forms() {
        let parts = |value: Option<&'static str>| {
            let mut request = http::Request::builder();
            if let Some(v) = value {
                request = request.header(header::AUTHORIZATION, v);
            }
            request.body(()).map(|r| r.into_parts().0)
        };
        for (value, ok) in [
            (Some("Bearer abc.DEF-123"), true),
            (Some("bearer abc"), true),
            (None, false),
            (Some("Basic YWxhZGRpbjpvcGVuc2VzYW1l"), false),
            (Some("Bearer "), false),
            (Some("Bearer a b"), false),
        ] {
            let Ok(parts) = parts(value) else { continue };
            assert_eq!(bearer_token(&parts).is_ok(), ok, "{value:?}");
        }
    }
}
