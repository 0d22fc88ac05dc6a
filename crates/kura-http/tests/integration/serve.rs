//! Real servers on 127.0.0.1:0: plain HTTP, HTTPS with a certificate made for the test, graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use http::Request;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use kura_http::Config;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// Sends one request over a new connection (TLS if `root` is given) and returns status and body.
async fn fetch(addr: SocketAddr, root: Option<&CertificateDer<'static>>, path: &str) -> (u16, String) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let request = Request::get(path).header("host", "localhost").body(Body::empty()).unwrap();
    let response = match root {
        Some(root) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(root.clone()).unwrap();
            let config =
                rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                    .with_safe_default_protocol_versions()
                    .unwrap()
                    .with_root_certificates(roots)
                    .with_no_client_auth();
            let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
            let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
            tokio::spawn(conn);
            sender.send_request(request).await.unwrap()
        }
        None => {
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp)).await.unwrap();
            tokio::spawn(conn);
            sender.send_request(request).await.unwrap()
        }
    };
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// Starts the test app; returns its address, the trigger that shuts it down and the server task.
async fn start(config: Config) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = kura_http::bind(&config).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let router = crate::support::app(&config);
    let task = tokio::spawn(listener.serve(router, async {
        let _ = stopped.await;
    }));
    (addr, stop, task)
}

fn loopback() -> Option<SocketAddr> {
    Some("127.0.0.1:0".parse().unwrap())
}

#[tokio::test]
async fn plain_http() {
    let (addr, stop, task) = start(Config { listen: loopback(), ..Config::default() }).await;
    assert_eq!(fetch(addr, None, "/health").await, (200, r#"{"status":"ok"}"#.to_owned()));
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn https_with_a_generated_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let config = Config { listen: loopback(), tls_cert: Some(cert_path), tls_key: Some(key_path), ..Config::default() };
    config.validate().unwrap();
    let (addr, stop, task) = start(config).await;
    let root = cert.cert.der().clone();
    assert_eq!(fetch(addr, Some(&root), "/health").await, (200, r#"{"status":"ok"}"#.to_owned()));
    // A plain-HTTP request to the TLS port gets no HTTP answer.
    let plain = tokio::time::timeout(Duration::from_secs(5), async {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(tcp)).await else {
            return false;
        };
        tokio::spawn(conn);
        sender.send_request(Request::get("/health").body(Body::empty()).unwrap()).await.is_ok()
    });
    assert!(!plain.await.unwrap());
    stop.send(()).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn tls_files_that_do_not_fit_name_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let a = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let b = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, a.cert.pem()).unwrap();
    std::fs::write(&key_path, b.key_pair.serialize_pem()).unwrap();
    let config =
        Config { listen: loopback(), tls_cert: Some(cert_path.clone()), tls_key: Some(key_path), ..Config::default() };
    let e = kura_http::bind(&config).await.unwrap_err().to_string();
    assert!(e.starts_with("`tls_key`"), "{e}");
    let missing = Config { tls_key: Some(dir.path().join("absent.pem")), tls_cert: Some(cert_path), ..config };
    let e = kura_http::bind(&missing).await.unwrap_err().to_string();
    assert!(e.starts_with("`tls_key`") && e.contains("absent.pem"), "{e}");
}

#[tokio::test]
async fn shutdown_lets_a_request_in_flight_finish_and_refuses_new_connections() {
    let (addr, stop, task) = start(Config { listen: loopback(), shutdown_grace_secs: 5, ..Config::default() }).await;
    let in_flight = tokio::spawn(fetch(addr, None, "/test/slow"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).unwrap();
    assert_eq!(in_flight.await.unwrap(), (200, r#""done""#.to_owned()));
    task.await.unwrap();
    assert!(TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

#[tokio::test]
async fn shutdown_cuts_requests_still_running_after_the_grace_period() {
    let config = Config { listen: loopback(), shutdown_grace_secs: 0, ..Config::default() };
    let (addr, stop, task) = start(config).await;
    let in_flight = tokio::spawn(async move {
        let tcp = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake::<_, Body>(TokioIo::new(tcp)).await.unwrap();
        tokio::spawn(conn);
        sender.send_request(Request::get("/test/slow").header("host", "x").body(Body::empty()).unwrap()).await.is_ok()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    stop.send(()).unwrap();
    task.await.unwrap();
    assert!(start.elapsed() < Duration::from_millis(400), "the server did not wait for the slow request");
    assert!(!in_flight.await.unwrap(), "the slow request was cut");
}
