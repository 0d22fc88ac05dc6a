//! `kura serve` as a process: it listens, answers over HTTP/1.1 as documented, logs each read, and stops on
//! SIGTERM with a signed checkpoint and a log that verifies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{companies, csv_rows, s, Env, PASS};

/// A response: status, lower-cased header lines, body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One HTTP/1.1 request on its own connection (`Connection: close`: the body ends with the stream).
fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let raw = String::from_utf8(raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or_else(|| panic!("no header end: {raw}"));
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_owned() };
    Response { status, headers, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    loop {
        let (size, after) = rest.split_once("\r\n").unwrap();
        let size = usize::from_str_radix(size.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}

/// `kura serve` on a free loopback port; its standard error, line by line, arrives on the channel.
fn start(env: &Env) -> (Child, u16, mpsc::Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kura"))
        .args(["serve", "--checkpoint-every", "1"])
        .env("KURA_VAULT", env.vault())
        .env("KURA_PASSPHRASE", PASS)
        .env("KURA_HTTP_LISTEN", "127.0.0.1:0")
        .env_remove("KURA_TOKEN")
        .env_remove("KURA_PRINCIPAL")
        .env_remove("KURA_KEY_FILE")
        .env_remove("KURA_HTTP_CONFIG")
        .current_dir(env.path(""))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(addr) = line.strip_prefix("kura serve: listening on http://127.0.0.1:") {
                    return (child, addr.trim().parse().unwrap(), rx);
                }
                seen.push(line);
            }
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("kura serve did not say where it listens:\n{}", seen.join("\n"));
}

/// Sends SIGTERM and waits for the exit; returns the status and the rest of standard error.
fn stop(mut child: Child, rx: &mpsc::Receiver<String>) -> (std::process::ExitStatus, String) {
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kura serve did not stop within a minute of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(5)) {
        rest.push(line);
    }
    (status, rest.join("\n"))
}

#[test]
fn serve_answers_over_http_logs_reads_and_stops_cleanly_on_sigterm() {
    let env = Env::new();
    env.setup("corporate-mobile");
    let csv = env.path("people.csv");
    env.ok(&["generate", "corporate", "--companies", "3", "--employees", "20", "--seed", "5", "--out", s(&csv)]);
    env.ok(&["import", "corporate-mobile", s(&csv)]);
    let token = env.service("desk-api", "operator", &companies(&csv));
    let person = &csv_rows(&csv)[7];
    env.use_token(Some(&token));
    let json =
        env.ok(&["get", "corporate-mobile", &person["employee_id"], "--external-id", "--purpose", "T-0", "--json"]);
    env.use_token(None);
    let id = serde_json::from_str::<serde_json::Value>(&json).unwrap()[0]["id"].as_str().unwrap().to_owned();

    let (child, port, rx) = start(&env);

    let health = request(port, "GET", "/health", &[]);
    assert_eq!(health.status, 200, "{}", health.body);
    assert_eq!(health.json()["status"], "ok");

    let doc = request(port, "GET", "/openapi.json", &[]);
    assert_eq!(doc.status, 200);
    let doc = doc.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1."), "{}", doc["openapi"]);
    assert!(doc["paths"].get("/v1/collections/{collection}/records/{id}").is_some());

    let path = format!("/v1/collections/corporate-mobile/records/{id}");
    let bearer = format!("Bearer {token}");
    let read = request(port, "GET", &path, &[("Authorization", &bearer), ("Kura-Purpose", "T-1")]);
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.header("content-type"), Some("application/json"));
    let record = read.json();
    assert_eq!(record["id"], id.as_str());
    assert_eq!(record["fields"]["user_name"]["value"], person["user_name"].as_str(), "{record}");

    let anonymous = request(port, "GET", &path, &[("Kura-Purpose", "T-1")]);
    assert_eq!(anonymous.status, 401, "{}", anonymous.body);
    assert!(anonymous.header("www-authenticate").unwrap_or_default().starts_with("Bearer"));
    assert_eq!(anonymous.json()["error"]["code"], "unauthorized");
    assert!(!anonymous.body.contains(&person["user_name"]));

    let (status, stderr) = stop(child, &rx);
    assert!(status.success(), "kura serve exited with {status}:\n{stderr}");
    assert!(stderr.contains("checkpoint signed"), "{stderr}");
    assert!(!stderr.contains(&person["user_name"]), "no personal value in the server's log");

    let verified = env.ok(&["audit", "verify"]);
    assert!(verified.contains("access log verified"), "{verified}");
    let auditor = env.person("rin", "auditor", &[]);
    env.use_token(Some(&auditor));
    let activity = env.ok(&["audit", "activity", "desk-api", "--purpose", "AUDIT-1"]);
    assert!(
        activity.lines().any(|l| l.contains(" read ") && l.contains(" allow ") && l.contains("purpose=T-1")),
        "the HTTP read is not in the log:\n{activity}"
    );
}
