//! Serving a router over TCP, plain or TLS (rustls with the `ring` provider, TLS 1.2 and 1.3, HTTP/1.1 and
//! HTTP/2 by ALPN), with graceful shutdown.
//!
//! On shutdown the listener is closed at once (new connections are refused), idle connections are closed,
//! and requests in flight get `shutdown_grace_secs` to finish; connections still busy after that are cut.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::Config;

/// Time a client gets to complete the TLS handshake, and to send a request's headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The server could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address could not be bound.
    #[error("cannot listen on `{addr}`: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A certificate or key file could not be read or used.
    #[error("`{key}`: {reason}")]
    Tls {
        /// `tls_cert` or `tls_key`.
        key: &'static str,
        /// Why.
        reason: String,
    },
}

/// A bound listener, ready to serve (bind first to learn the port when listening on port 0).
pub struct Listener {
    tcp: TcpListener,
    tls: Option<TlsAcceptor>,
    grace: Duration,
}

impl std::fmt::Debug for Listener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Listener").field("tcp", &self.tcp).field("tls", &self.tls.is_some()).finish()
    }
}

/// Binds the configured address, loading the TLS certificate and key if configured.
pub async fn bind(config: &Config) -> Result<Listener, ServeError> {
    let tls = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(TlsAcceptor::from(tls_config(cert, key)?)),
        _ => None,
    };
    let addr = config.listen_addr();
    let tcp = TcpListener::bind(addr).await.map_err(|source| ServeError::Bind { addr, source })?;
    Ok(Listener { tcp, tls, grace: config.shutdown_grace() })
}

/// Binds the configured address and serves `router` until `shutdown` completes, then drains (see the module
/// documentation). Pass [`shutdown_signal`] to stop on SIGINT or SIGTERM.
pub async fn serve(
    router: Router,
    config: &Config,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    bind(config).await?.serve(router, shutdown).await;
    Ok(())
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, ServeError> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServeError::Tls { key: "tls_cert", reason: format!("cannot read `{}`: {e}", cert.display()) })?;
    if certs.is_empty() {
        return Err(ServeError::Tls { key: "tls_cert", reason: format!("no certificate in `{}`", cert.display()) });
    }
    let private_key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ServeError::Tls { key: "tls_key", reason: format!("cannot read `{}`: {e}", key.display()) })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ServeError::Tls { key: "tls_cert", reason: e.to_string() })?
        .with_no_client_auth()
        .with_single_cert(certs, private_key)
        .map_err(|e| ServeError::Tls { key: "tls_key", reason: format!("does not match the certificate: {e}") })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

impl Listener {
    /// The bound address (with the actual port when the configuration said 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Serves `router` until `shutdown` completes, then drains in-flight requests for the grace period.
    pub async fn serve(self, router: Router, shutdown: impl Future<Output = ()> + Send) {
        let Listener { tcp, tls, grace } = self;
        let scheme = if tls.is_some() { "https" } else { "http" };
        if let Ok(addr) = tcp.local_addr() {
            tracing::info!(%addr, scheme, "listening");
        }
        let graceful = GracefulShutdown::new();
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder.http1().timer(TokioTimer::new()).header_read_timeout(HANDSHAKE_TIMEOUT);
        let mut shutdown = std::pin::pin!(shutdown);
        let mut connections = tokio::task::JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let (stream, peer) = tokio::select! {
                accepted = tcp.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // E.g. too many open files: wait instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = router.clone().map_request(move |mut request: http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
            let service = TowerToHyperService::new(service);
            let watcher = graceful.watcher();
            let builder = builder.clone();
            let tls = tls.clone();
            connections.spawn(async move {
                let result = match tls {
                    Some(acceptor) => match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service)).await
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    },
                    None => watcher.watch(builder.serve_connection_with_upgrades(TokioIo::new(stream), service)).await,
                };
                if let Err(e) = result {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
        drop(tcp);
        tracing::info!(grace_secs = grace.as_secs(), "no longer accepting connections; draining");
        match tokio::time::timeout(grace, graceful.shutdown()).await {
            Ok(()) => tracing::info!("all connections closed"),
            Err(_) => {
                tracing::warn!(connections = connections.len(), "grace period over; cutting the remaining connections");
                connections.abort_all();
            }
        }
        while connections.join_next().await.is_some() {}
    }
}
