//! Crash test: `kura` processes reading and writing are killed with SIGKILL at arbitrary moments. Afterwards
//! every read whose data reached the output has its log entry, every acknowledged update is logged, and the
//! log verifies.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{companies, csv_rows, s, Env, PASS};

#[test]
fn killed_processes_never_return_unlogged_data() {
    let env = Env::new();
    env.setup("corporate-mobile");
    let csv = env.path("people.csv");
    env.ok(&["generate", "corporate", "--companies", "2", "--employees", "40", "--seed", "8", "--out", s(&csv)]);
    env.ok(&["import", "corporate-mobile", s(&csv)]);
    let people = csv_rows(&csv);
    let desk = env.service("desk", "operator", &companies(&csv));
    env.use_token(Some(&desk));
    // How long one complete command takes here, so the kills spread over its whole run on any machine.
    let t = std::time::Instant::now();
    env.ok(&["get", "corporate-mobile", &people[0]["employee_id"], "--external-id", "--purpose", "CALIBRATE"]);
    let full_ms = t.elapsed().as_millis() as u64;
    let mut returned = Vec::new();
    let mut acknowledged = Vec::new();
    // Until both some completed and some were killed (at least 30 runs, at most 120): on a loaded machine the
    // commands slow down after calibration, so each further round of 30 stretches the delays.
    let mut i = 0usize;
    while i < 30 || (i < 120 && (returned.is_empty() || returned.len() + acknowledged.len() == i)) {
        let stretch = 1 + (i / 30) as u64;
        let purpose = format!("CRASH-{i}");
        let p = &people[i % people.len()];
        let args: Vec<String> = if i % 3 == 2 {
            [
                "update",
                "corporate-mobile",
                &p["employee_id"],
                "--external-id",
                "--set",
                "department=監査室",
                "--purpose",
                &purpose,
            ]
            .iter()
            .map(|x| x.to_string())
            .collect()
        } else {
            ["get", "corporate-mobile", &p["employee_id"], "--external-id", "--json", "--purpose", &purpose]
                .iter()
                .map(|x| x.to_string())
                .collect()
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_kura"))
            .args(&args)
            .env("KURA_VAULT", env.vault())
            .env("KURA_PASSPHRASE", PASS)
            .env("KURA_TOKEN", &desk)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at moments spread over the whole run of the command (key derivation, log, read, output), and
        // a little past its usual end so that some complete.
        std::thread::sleep(Duration::from_millis(full_ms * stretch * ((i as u64 * 37) % 100 + 5) * 13 / 1000));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        if stdout.contains("\"employee_id\"") {
            returned.push(purpose);
        } else if stdout.contains("updated record") {
            acknowledged.push(purpose);
        }
        i += 1;
    }
    // The sample is meaningful: some commands completed, some were killed.
    assert!(!returned.is_empty(), "no read completed; the kill delays are too short for this machine");
    assert!(returned.len() + acknowledged.len() < i, "no command was killed; the kill delays are too long");
    let verified = env.ok(&["audit", "verify"]);
    assert!(verified.contains("access log verified"), "{verified}");
    let auditor = env.person("rin", "auditor", &[]);
    env.use_token(Some(&auditor));
    let activity = env.ok(&["audit", "activity", "desk", "--purpose", "CRASH-CHECK"]);
    for purpose in &returned {
        let logged = activity.lines().any(|l| {
            l.contains(" read ") && l.contains(" allow ") && l.ends_with(&format!("purpose={purpose}"))
                || l.contains(&format!("purpose={purpose} fields=")) && l.contains(" read ")
        });
        assert!(logged, "data returned for {purpose} without a read entry:\n{activity}");
    }
    for purpose in &acknowledged {
        assert!(
            activity.lines().any(|l| l.contains(" update ") && l.contains(&format!("purpose={purpose} "))),
            "acknowledged update {purpose} without an entry:\n{activity}"
        );
    }
}

/// Several processes at once, killed at once: appends from different processes interleave in one log, and
/// after the kills every acknowledged update is logged and the log verifies.
#[test]
fn concurrent_processes_killed_together_leave_a_verifiable_log() {
    let env = Env::new();
    env.setup("corporate-mobile");
    let csv = env.path("people.csv");
    env.ok(&["generate", "corporate", "--companies", "2", "--employees", "30", "--seed", "9", "--out", s(&csv)]);
    env.ok(&["import", "corporate-mobile", s(&csv)]);
    let people = csv_rows(&csv);
    let desk = env.service("desk", "operator", &companies(&csv));
    env.use_token(Some(&desk));
    let t = std::time::Instant::now();
    env.ok(&["get", "corporate-mobile", &people[0]["employee_id"], "--external-id", "--purpose", "CALIBRATE"]);
    let full_ms = t.elapsed().as_millis() as u64;
    let mut acknowledged = Vec::new();
    for round in 0..8usize {
        let children: Vec<(String, std::process::Child)> = (0..4usize)
            .map(|k| {
                let purpose = format!("RACE-{round}-{k}");
                let p = &people[(round * 4 + k) % people.len()];
                let child = Command::new(env!("CARGO_BIN_EXE_kura"))
                    .args([
                        "update",
                        "corporate-mobile",
                        &p["employee_id"],
                        "--external-id",
                        "--set",
                        &format!("department=部署{round}{k}"),
                        "--purpose",
                        &purpose,
                    ])
                    .env("KURA_VAULT", env.vault())
                    .env("KURA_PASSPHRASE", PASS)
                    .env("KURA_TOKEN", &desk)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                (purpose, child)
            })
            .collect();
        std::thread::sleep(Duration::from_millis(full_ms * (round as u64 % 4 + 1) / 2));
        for (purpose, mut child) in children {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            if String::from_utf8_lossy(&out.stdout).contains("updated record") {
                acknowledged.push(purpose);
            }
        }
    }
    let verified = env.ok(&["audit", "verify"]);
    assert!(verified.contains("access log verified"), "{verified}");
    let auditor = env.person("rin", "auditor", &[]);
    env.use_token(Some(&auditor));
    let activity = env.ok(&["audit", "activity", "desk", "--purpose", "RACE-CHECK"]);
    for purpose in &acknowledged {
        assert!(
            activity
                .lines()
                .any(|l| l.contains(" update ") && l.contains(" allow ") && l.contains(&format!("purpose={purpose} "))),
            "acknowledged update {purpose} without an entry:\n{activity}"
        );
    }
}
