//! Server configuration: a TOML file, then `KURA_HTTP_*` environment variables over it, then validation.
//!
//! Every key is flat and has one environment variable, its name in upper case after `KURA_HTTP_`
//! (`body_limit_bytes` → `KURA_HTTP_BODY_LIMIT_BYTES`); an empty variable counts as unset. Unknown keys in the
//! file are refused, and every error names the key (or variable) and the reason.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// The listen address with TLS, unless `listen` says otherwise.
pub const DEFAULT_TLS_PORT: u16 = 8443;
/// The listen address without TLS (loopback only), unless `listen` says otherwise.
pub const DEFAULT_PLAIN_PORT: u16 = 8080;

/// How the server listens and what it tolerates. See `docs/HTTP.md` for every key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port to listen on; default `127.0.0.1:8443` with TLS, `127.0.0.1:8080` without.
    pub listen: Option<SocketAddr>,
    /// PEM file with the certificate chain (leaf first). With `tls_key`, turns TLS on.
    pub tls_cert: Option<PathBuf>,
    /// PEM file with the private key (PKCS#8, PKCS#1 or SEC1).
    pub tls_key: Option<PathBuf>,
    /// Allows plain HTTP on a non-loopback address (e.g. behind a TLS-terminating proxy on the same host).
    pub dangerous_plaintext: bool,
    /// Largest request body accepted, in bytes (default 64 KiB).
    pub body_limit_bytes: usize,
    /// Sustained requests per second allowed to one principal (default 20).
    pub rate_limit_per_second: u32,
    /// Requests one principal may make at once above the sustained rate (default 40).
    pub rate_limit_burst: u32,
    /// Time a request may take before it is answered with 503 `timeout` (default 30 s).
    pub request_timeout_secs: u64,
    /// Time in-flight requests get to finish after a shutdown signal (default 10 s).
    pub shutdown_grace_secs: u64,
    /// How long an accepted bearer token is remembered before the token check runs again (default 30 s; 0
    /// turns the cache off).
    pub auth_cache_ttl_secs: u64,
    /// Where every alert the vault raises is POSTed as JSON (`http://` only; see [`crate::webhook`]).
    pub alert_webhook: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: None,
            tls_cert: None,
            tls_key: None,
            dangerous_plaintext: false,
            body_limit_bytes: 64 * 1024,
            rate_limit_per_second: 20,
            rate_limit_burst: 40,
            request_timeout_secs: 30,
            shutdown_grace_secs: 10,
            auth_cache_ttl_secs: 30,
            alert_webhook: None,
        }
    }
}

/// The configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read `{path}`: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has an unknown key or a value of the wrong type.
    #[error("`{path}`: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's explanation, naming the key.
        message: String,
    },
    /// A key or environment variable has a value that is not allowed.
    #[error("`{key}`: {reason}")]
    Invalid {
        /// The key (e.g. `body_limit_bytes`) or variable (e.g. `KURA_HTTP_BODY_LIMIT_BYTES`).
        key: String,
        /// Why.
        reason: String,
    },
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.to_owned(), reason: reason.into() }
}

/// The prefix of every environment variable read by [`Config::load`].
pub const ENV_PREFIX: &str = "KURA_HTTP_";

impl Config {
    /// Reads `path` (if given; a missing file is an error), applies the `KURA_HTTP_*` environment variables
    /// and validates the result.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let config = match path {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                Config::from_toml(&text).map_err(|e| match e {
                    ConfigError::Parse { message, .. } => ConfigError::Parse { path: path.to_owned(), message },
                    other => other,
                })?
            }
            None => Config::default(),
        };
        let config = config.apply_env(|name| std::env::var(name).ok())?;
        config.validate()?;
        Ok(config)
    }

    /// Parses TOML text (not yet validated).
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: PathBuf::from("(config)"),
            message: e.to_string().trim().to_owned(),
        })
    }

    /// Overrides keys with environment variables, looked up by full name through `lookup`.
    pub fn apply_env(mut self, lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let var = |key: &str| -> Option<(String, String)> {
            let name = format!("{ENV_PREFIX}{}", key.to_ascii_uppercase());
            lookup(&name).filter(|v| !v.is_empty()).map(|v| (name, v))
        };
        fn parse<T: std::str::FromStr>((name, value): (String, String), what: &str) -> Result<T, ConfigError> {
            value.trim().parse().map_err(|_| invalid(&name, format!("expected {what}")))
        }
        if let Some(v) = var("listen") {
            self.listen = Some(parse(v, "a socket address such as `127.0.0.1:8443` or `[::1]:8443`")?);
        }
        if let Some((_, v)) = var("tls_cert") {
            self.tls_cert = Some(PathBuf::from(v));
        }
        if let Some((_, v)) = var("tls_key") {
            self.tls_key = Some(PathBuf::from(v));
        }
        if let Some(v) = var("dangerous_plaintext") {
            self.dangerous_plaintext = parse(v, "`true` or `false`")?;
        }
        if let Some(v) = var("body_limit_bytes") {
            self.body_limit_bytes = parse(v, "a number of bytes")?;
        }
        if let Some(v) = var("rate_limit_per_second") {
            self.rate_limit_per_second = parse(v, "a whole number of requests")?;
        }
        if let Some(v) = var("rate_limit_burst") {
            self.rate_limit_burst = parse(v, "a whole number of requests")?;
        }
        if let Some(v) = var("request_timeout_secs") {
            self.request_timeout_secs = parse(v, "a whole number of seconds")?;
        }
        if let Some(v) = var("shutdown_grace_secs") {
            self.shutdown_grace_secs = parse(v, "a whole number of seconds")?;
        }
        if let Some(v) = var("auth_cache_ttl_secs") {
            self.auth_cache_ttl_secs = parse(v, "a whole number of seconds")?;
        }
        if let Some((_, v)) = var("alert_webhook") {
            self.alert_webhook = Some(v.trim().to_owned());
        }
        Ok(self)
    }

    /// Checks every value; the error names the first bad key and why.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => return Err(invalid("tls_key", "required when `tls_cert` is set")),
            (None, Some(_)) => return Err(invalid("tls_cert", "required when `tls_key` is set")),
            _ => {}
        }
        let addr = self.listen_addr();
        if !self.tls() && !addr.ip().is_loopback() && !self.dangerous_plaintext {
            return Err(invalid(
                "listen",
                format!(
                    "`{addr}` is not a loopback address and TLS is off: set `tls_cert` and `tls_key`, or \
                     `dangerous_plaintext = true` behind a TLS-terminating proxy"
                ),
            ));
        }
        if !(1..=16 * 1024 * 1024).contains(&self.body_limit_bytes) {
            return Err(invalid("body_limit_bytes", "must be between 1 and 16777216 (16 MiB)"));
        }
        if self.rate_limit_per_second == 0 {
            return Err(invalid("rate_limit_per_second", "must be at least 1"));
        }
        if self.rate_limit_burst == 0 {
            return Err(invalid("rate_limit_burst", "must be at least 1"));
        }
        if !(1..=3600).contains(&self.request_timeout_secs) {
            return Err(invalid("request_timeout_secs", "must be between 1 and 3600"));
        }
        if self.shutdown_grace_secs > 3600 {
            return Err(invalid("shutdown_grace_secs", "must be at most 3600"));
        }
        if self.auth_cache_ttl_secs > 300 {
            return Err(invalid("auth_cache_ttl_secs", "must be at most 300 (a revoked token stays usable this long)"));
        }
        if let Some(url) = &self.alert_webhook {
            crate::webhook::Target::parse(url).map_err(|reason| invalid("alert_webhook", reason))?;
        }
        Ok(())
    }

    /// Whether TLS is on (both `tls_cert` and `tls_key` set).
    pub fn tls(&self) -> bool {
        self.tls_cert.is_some() && self.tls_key.is_some()
    }

    /// The address to listen on, with the default for the TLS setting filled in.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen.unwrap_or_else(|| {
            let port = if self.tls() { DEFAULT_TLS_PORT } else { DEFAULT_PLAIN_PORT };
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
        })
    }

    /// `request_timeout_secs` as a duration.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// `shutdown_grace_secs` as a duration.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// `auth_cache_ttl_secs` as a duration.
    pub fn auth_cache_ttl(&self) -> Duration {
        Duration::from_secs(self.auth_cache_ttl_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| map.get(name).cloned()
    }

    fn key_of(e: ConfigError) -> String {
        match e {
            ConfigError::Invalid { key, .. } => key,
            other => format!("{other}"),
        }
    }

    #[test]
    fn defaults_are_valid_and_listen_on_loopback() {
        let c = Config::default();
        assert!(c.validate().is_ok());
        assert_eq!(c.listen_addr().to_string(), "127.0.0.1:8080");
        let tls = Config { tls_cert: Some("c.pem".into()), tls_key: Some("k.pem".into()), ..Config::default() };
        assert_eq!(tls.listen_addr().to_string(), "127.0.0.1:8443");
    }

    #[test]
    fn file_values_are_read_and_environment_overrides_them() {
        let c = Config::from_toml("listen = \"127.0.0.1:9000\"\nbody_limit_bytes = 1024\nrate_limit_burst = 5\n");
        let c = c.and_then(|c| c.apply_env(env(&[("KURA_HTTP_BODY_LIMIT_BYTES", "2048"), ("KURA_HTTP_LISTEN", "")])));
        let c = c.unwrap_or_default();
        assert_eq!(c.listen_addr().to_string(), "127.0.0.1:9000", "an empty variable counts as unset");
        assert_eq!(c.body_limit_bytes, 2048);
        assert_eq!(c.rate_limit_burst, 5);
    }

    #[test]
    fn unknown_keys_and_wrong_types_name_the_key() {
        let e = Config::from_toml("body_limit = 5\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("body_limit"), "{e}");
        let e = Config::from_toml("rate_limit_burst = \"many\"\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("rate_limit_burst") || e.contains("integer"), "{e}");
    }

    #[test]
    fn bad_environment_values_name_the_variable() {
        let e = Config::default().apply_env(env(&[("KURA_HTTP_REQUEST_TIMEOUT_SECS", "soon")])).err();
        assert_eq!(e.map(key_of).as_deref(), Some("KURA_HTTP_REQUEST_TIMEOUT_SECS"));
    }

    #[test]
    fn validation_names_the_key_and_reason() {
        let cases: [(Config, &str); 6] = [
            (Config { tls_cert: Some("c.pem".into()), ..Config::default() }, "tls_key"),
            (Config { body_limit_bytes: 0, ..Config::default() }, "body_limit_bytes"),
            (Config { rate_limit_per_second: 0, ..Config::default() }, "rate_limit_per_second"),
            (Config { rate_limit_burst: 0, ..Config::default() }, "rate_limit_burst"),
            (Config { request_timeout_secs: 0, ..Config::default() }, "request_timeout_secs"),
            (
                Config {
                    listen: Some("0.0.0.0:80".parse().unwrap_or(SocketAddr::from(([0; 4], 80)))),
                    ..Config::default()
                },
                "listen",
            ),
        ];
        for (config, key) in cases {
            assert_eq!(config.validate().err().map(key_of).as_deref(), Some(key));
        }
        for (url, ok) in [
            ("http://127.0.0.1:9000/alerts", true),
            ("http://alerts.internal/hook?x=1", true),
            ("https://alerts.example/hook", false),
            ("alerts.example/hook", false),
            ("http:///hook", false),
        ] {
            let c = Config { alert_webhook: Some(url.to_owned()), ..Config::default() };
            assert_eq!(c.validate().is_ok(), ok, "{url}");
        }
        let proxied =
            Config { listen: Some(SocketAddr::from(([0; 4], 80))), dangerous_plaintext: true, ..Config::default() };
        assert!(proxied.validate().is_ok());
    }
}
