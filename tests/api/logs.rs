//! Log lines as operators read them: no colour escape codes when stderr is
//! a file or the journal, and one JSON object per line with `--log-format
//! json`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The log lines of `tenken serve` up to the one saying it serves.
fn log_lines(args: &[&str]) -> Vec<String> {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("logs.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_tenken"))
        .args(["--database-url", &url])
        .args(args)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tenken serve");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = Vec::new();
    for line in BufReader::new(stderr).lines().take(50) {
        let line = line.expect("readable");
        let done = line.contains("serving");
        lines.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines.last().is_some_and(|l| l.contains("serving")),
        "{lines:?}"
    );
    lines
}

#[test]
fn text_logs_to_a_pipe_carry_no_escape_codes() {
    for line in log_lines(&[]) {
        assert!(!line.contains('\u{1b}'), "no ANSI escapes: {line:?}");
        // A fresh SQLite file: pooled connections wait for the switch to
        // WAL instead of logging "database is locked".
        assert!(!line.contains("ERROR"), "{line}");
    }
}

#[test]
fn json_logs_are_one_object_per_line() {
    let lines = log_lines(&["--log-format", "json"]);
    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        assert!(v["level"].is_string(), "{line}");
    }
    let last: serde_json::Value =
        serde_json::from_str(lines.last().expect("a line")).expect("JSON line");
    assert_eq!(last["level"], "INFO");
    assert_eq!(last["fields"]["message"], "serving");
}
