//! Bounded memory (issue 10, item 5): request bodies limited per route before
//! they are read, and password hashing through a bounded pool.

use std::io::{Read, Write};
use std::time::Duration;

use tenken::auth::hashing::BUSY;
use tenken::auth::session::{SHEET_FORM_LIMIT, SMALL_FORM_LIMIT};
use tenken::auth::Role;
use tenken::checklists::Variant;

use crate::helpers::{spawn_app, spawn_app_with, TestApp};
use crate::wf_support::{add_user, fingerprint, open_round, sheet_form, Browser, PASSWORD};

/// Sends raw bytes of one HTTP/1.1 request and returns the status line of
/// the answer (empty when none came within 20 s).
fn raw_request(app: &TestApp, head: &str, body: &[u8]) -> String {
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(head.as_bytes()).expect("head");
    // The server may answer and close before the whole body is sent.
    let _ = s.write_all(body);
    let mut buf = [0u8; 512];
    let n = s.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_routes_limit_gets_413_and_nothing_is_stored() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);

    // Anonymous: a 31 MiB login declared up front is refused before it is
    // read: the server answers while only 1 KiB of it has been sent.
    let app2 = &app;
    let status = tokio::task::block_in_place(|| {
        raw_request(
            app2,
            &format!(
                "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
                31 * 1024 * 1024
            ),
            &[b'a'; 1024],
        )
    });
    assert!(status.contains(" 413 "), "{status}");
    let r = app
        .client
        .post(format!("{}/login", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; SMALL_FORM_LIMIT + 1])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(r.status().as_u16(), 413);
    let body = r.text().await.expect("body");
    assert!(body.contains("上限は 8 KiB"), "{body}");
    // A chunked body declares no length: cut off at the limit while read.
    let status = tokio::task::block_in_place(|| {
        let chunk = vec![b'a'; 4096];
        let mut body = Vec::new();
        for _ in 0..(SMALL_FORM_LIMIT / 4096 + 2) {
            body.extend_from_slice(b"1000\r\n");
            body.extend_from_slice(&chunk);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0\r\n\r\n");
        raw_request(
            app2,
            "POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n",
            &body,
        )
    });
    assert!(status.contains(" 413 "), "{status}");

    // Signed in: a whole sheet with a comment that takes it over 1 MiB.
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let before = fingerprint(&app);
    let mut form = sheet_form(&app, "0", "save", &[("1-1", "2")], &[], &[]);
    form.push(("pad".into(), "x".repeat(SHEET_FORM_LIMIT)));
    let r = city.post("/answers/011002/2007", &form).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert!(r.body.contains("上限は 1 MiB"), "{}", r.body);
    assert_eq!(fingerprint(&app), before, "nothing stored");

    // The same sheet within the limit is stored.
    let form = sheet_form(&app, "0", "save", &[("1-1", "2")], &[], &[]);
    let r = city.post("/answers/011002/2007", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_ne!(fingerprint(&app), before);

    // A small form of a signed-in account over 8 KiB: refused, not stored.
    let before = fingerprint(&app);
    let r = city
        .post(
            "/notices/read",
            &[("pad".into(), "x".repeat(SMALL_FORM_LIMIT))],
        )
        .await;
    assert_eq!(r.status, 413);
    assert_eq!(fingerprint(&app), before);
}

/// 64 browsers that open the login page, then all log in at once.
async fn concurrent_logins(app: &TestApp, n: usize) -> Vec<(u16, String)> {
    let mut browsers = Vec::new();
    for _ in 0..n {
        let mut b = Browser::new(app);
        b.visit_login().await;
        browsers.push(b);
    }
    let mut tasks = Vec::new();
    for b in browsers {
        tasks.push(tokio::spawn(async move {
            let r = b
                .post(
                    "/login",
                    &crate::wf_support::pairs(&[
                        ("login", "sapporo1"),
                        ("password", PASSWORD),
                        ("next", ""),
                    ]),
                )
                .await;
            (r.status, r.body)
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("login task"));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_beyond_the_hashing_pool_wait_their_turn() {
    let app = spawn_app_with(|s| {
        s.hash_pool_size = 2;
        s.hash_wait = Duration::from_secs(120);
        s.pool_size = 8;
    })
    .await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let answers = concurrent_logins(&app, 64).await;
    let ok = answers.iter().filter(|(s, _)| *s == 303).count();
    assert_eq!(ok, 64, "{:?}", answers.iter().find(|(s, _)| *s != 303));
    assert_eq!(app.state.hashing.size(), 2);
    assert_eq!(
        app.state.hashing.peak(),
        2,
        "never more than 2 hashes at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn logins_beyond_the_hashing_pools_patience_get_503() {
    let app = spawn_app_with(|s| {
        s.hash_pool_size = 1;
        s.hash_wait = Duration::ZERO;
        s.pool_size = 8;
    })
    .await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let answers = concurrent_logins(&app, 64).await;
    let ok = answers.iter().filter(|(s, _)| *s == 303).count();
    let busy: Vec<&String> = answers
        .iter()
        .filter(|(s, _)| *s == 503)
        .map(|(_, b)| b)
        .collect();
    assert_eq!(ok + busy.len(), 64, "every login answered 303 or 503");
    assert!(ok >= 1, "the first login gets its turn");
    assert!(!busy.is_empty(), "64 logins at once overrun one turn");
    assert!(busy.iter().all(|b| b.contains(BUSY)), "{}", busy[0]);
    assert_eq!(app.state.hashing.peak(), 1);
}
