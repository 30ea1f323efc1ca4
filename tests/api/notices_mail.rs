//! E-mail of notices: a tiny SMTP server started by the test captures what
//! `mail::send_pending` sends; each notice is mailed once, with a Japanese
//! subject, and each mail is in the operation log.

use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::NaiveDate;
use diesel::prelude::*;
use tenken::auth::Role;
use tenken::checklists::Variant;
use tenken::config::{MailSettings, MailTls};
use tenken::db::schema::operation_log as l;
use tenken::store::{notices, rounds, users};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{add_user, fy, pairs, sheet_form, sheet_state, Browser};

/// One captured mail: the RCPT TO addresses and the DATA text.
#[derive(Debug, Clone)]
struct Captured {
    rcpts: Vec<String>,
    data: String,
}

/// Starts an SMTP server speaking just enough of the protocol; returns its
/// port and the mails it received.
async fn smtp_capture() -> (u16, Arc<Mutex<Vec<Captured>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let mails = Arc::new(Mutex::new(Vec::new()));
    let store = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let store = store.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                let mut rcpts = Vec::new();
                w.write_all(b"220 capture ESMTP\r\n").await.ok();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250 capture\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        let addr = line[8..].trim().trim_matches(['<', '>']).to_string();
                        rcpts.push(addr);
                        b"250 OK\r\n"
                    } else if upper.starts_with("DATA") {
                        w.write_all(b"354 go ahead\r\n").await.ok();
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        store.lock().expect("lock").push(Captured {
                            rcpts: std::mem::take(&mut rcpts),
                            data,
                        });
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.ok();
                        return;
                    } else {
                        b"250 OK\r\n"
                    };
                    w.write_all(reply).await.ok();
                }
            });
        }
    });
    (port, mails)
}

/// The decoded `Subject:` of a mail (RFC 2047 `=?utf-8?b?…?=` words,
/// folded lines joined).
fn subject_of(data: &str) -> String {
    let mut header = String::new();
    let mut inside = false;
    for line in data.lines() {
        if line.is_empty() {
            break;
        }
        if let Some(rest) = line.strip_prefix("Subject:") {
            inside = true;
            header.push_str(rest);
        } else if inside && line.starts_with([' ', '\t']) {
            header.push_str(line);
        } else {
            inside = false;
        }
    }
    header
        .split_whitespace()
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            if lower.starts_with("=?utf-8?b?") && w.ends_with("?=") {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(&w[10..w.len() - 2])
                    .expect("base64 word");
                String::from_utf8(bytes).expect("utf-8 word")
            } else {
                w.to_string()
            }
        })
        .collect()
}

async fn send(app: &TestApp, mail: &MailSettings) -> usize {
    let pool = app.state.pool.clone();
    let mail = mail.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get().expect("conn");
        tenken::mail::send_pending(&mut conn, &mail)
    })
    .await
    .expect("join")
    .expect("send_pending")
}

fn mail_log(app: &TestApp) -> Vec<(String, String)> {
    with_conn(app, |c| {
        l::table
            .filter(l::action.eq("notice_mail"))
            .order(l::id)
            .select((l::target_org, l::detail))
            .load(c)
    })
    .expect("log")
}

#[tokio::test]
async fn notices_are_mailed_once_with_japanese_subjects_and_logged() {
    let (port, mails) = smtp_capture().await;
    let app = spawn_app().await;
    let version = app
        .state
        .catalog
        .checklist(Variant::Municipal)
        .version_label();
    with_conn(&app, |c| {
        rounds::open(
            c,
            Variant::Municipal,
            fy(2007),
            Some("2027-01-15"),
            &version,
            &[],
        )?;
        notices::on_round_open(c, Variant::Municipal, fy(2007), Some("2027-01-15"))
    })
    .expect("open");
    let sapporo = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let asahikawa = add_user(&app, "asahikawa1", "012041", Role::Municipality);
    let hokkaido = add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "hakodate1", "012025", Role::Municipality); // no address
    with_conn(&app, |c| {
        users::set_email(c, sapporo, Some("city@sapporo.example.jp"))?;
        users::set_email(c, asahikawa, Some("it@asahikawa.example.jp"))?;
        users::set_email(c, hokkaido, Some("pref@hokkaido.example.jp"))
    })
    .expect("emails");

    let mail = MailSettings {
        host: "127.0.0.1".into(),
        port,
        tls: MailTls::None,
        from: "tenken <tenken@example.lg.jp>".into(),
        user: None,
        password: None,
        base_url: "https://tenken.example.lg.jp".into(),
    };

    // Sapporo submits (with a plan whose target date will have passed);
    // the reminder 14 days before goes to the others.
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;
    let r = city
        .post(
            "/answers/011002/2007",
            &sheet_form(&app, "0", "submit", &[("5-1", "2")], &["5-1"], &[]),
        )
        .await;
    assert_eq!(r.status, 303);
    let day = NaiveDate::from_ymd_opt(2027, 1, 1).expect("day");
    with_conn(&app, |c| notices::daily(c, day)).expect("daily");
    // The prefecture returns the sheet.
    let (_, v) = sheet_state(&app, "011002", 2007).expect("sheet");
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let r = pref
        .post(
            "/review/011002/2007",
            &pairs(&[
                ("version", &v.to_string()),
                ("action", "return"),
                ("review_note", "見直してください"),
                ("advice_5-1", "規程を整備してください"),
            ]),
        )
        .await;
    assert_eq!(r.status, 303);

    let sent = send(&app, &mail).await;
    let got = mails.lock().expect("lock").clone();
    let mut seen: Vec<(String, String)> = got
        .iter()
        .map(|m| (m.rcpts.join(","), subject_of(&m.data)))
        .collect();
    seen.sort();
    let want = |to: &str, s: &str| {
        (
            to.to_string(),
            format!("【tenken】{s}（平成19年度（2007年度））"),
        )
    };
    let mut expected = vec![
        want("city@sapporo.example.jp", "点検が始まりました"),
        want("city@sapporo.example.jp", "調査票が差し戻されました"),
        want("city@sapporo.example.jp", "改善計画の目標期日を過ぎました"),
        want("it@asahikawa.example.jp", "点検が始まりました"),
        want("it@asahikawa.example.jp", "点検の締切が近づいています"),
        want("pref@hokkaido.example.jp", "市区町村が回答を提出しました"),
    ];
    expected.sort();
    assert_eq!(seen, expected);
    assert_eq!(sent, 6);
    let returned = got
        .iter()
        .find(|m| subject_of(&m.data).contains("差し戻されました"))
        .expect("returned mail");
    assert!(returned
        .data
        .contains("From: tenken <tenken@example.lg.jp>"));

    // Every notice had its step: a second run sends nothing.
    assert_eq!(send(&app, &mail).await, 0);
    assert_eq!(mails.lock().expect("lock").len(), 6);

    // One log entry per mail, naming the organisation.
    let log = mail_log(&app);
    assert_eq!(log.len(), 6);
    let mut orgs: Vec<_> = log.iter().map(|(o, _)| o.as_str()).collect();
    orgs.sort();
    assert_eq!(
        orgs,
        ["010006", "011002", "011002", "011002", "012041", "012041"]
    );
    assert!(log
        .iter()
        .any(|(_, d)| d.starts_with("sheet_returned → city@sapporo.example.jp")));
}

#[tokio::test]
async fn a_failed_send_is_retried_next_run() {
    let app = spawn_app().await;
    let id = add_user(&app, "sapporo1", "011002", Role::Municipality);
    with_conn(&app, |c| {
        users::set_email(c, id, Some("city@sapporo.example.jp"))
    })
    .expect("email");
    let org = with_conn(&app, |c| {
        tenken::db::schema::organisations::table
            .filter(tenken::db::schema::organisations::code.eq("011002"))
            .select(tenken::db::schema::organisations::id)
            .first::<i32>(c)
    })
    .expect("org");
    with_conn(&app, |c| {
        notices::create(
            c,
            org,
            "sheet_accepted",
            "確認されました",
            "/answers/011002/2025",
            "k1",
        )
    })
    .expect("notice");
    // Nothing listens on this port: the send fails, nothing is marked.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let dead_port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut mail = MailSettings {
        host: "127.0.0.1".into(),
        port: dead_port,
        tls: MailTls::None,
        from: "tenken@example.lg.jp".into(),
        user: None,
        password: None,
        base_url: String::new(),
    };
    assert_eq!(send(&app, &mail).await, 0);
    assert!(mail_log(&app).is_empty());
    let (port, mails) = smtp_capture().await;
    mail.port = port;
    assert_eq!(send(&app, &mail).await, 1);
    let got = mails.lock().expect("lock").clone();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].rcpts, ["city@sapporo.example.jp"]);
    assert_eq!(
        subject_of(&got[0].data),
        "【tenken】調査票が確認されました（令和7年度（2025年度））"
    );
    assert_eq!(mail_log(&app).len(), 1);
}

#[tokio::test]
async fn the_administrator_sets_and_clears_an_accounts_address() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "MIC", Role::Admin);
    let a = add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    let email_of = |app: &TestApp| {
        with_conn(app, |c| users::find(c, a))
            .expect("find")
            .expect("user")
            .email
    };
    let r = admin
        .post(
            &format!("/admin/users/{a}/email"),
            &pairs(&[("email", "sapporo.example.jp")]),
        )
        .await;
    assert_eq!(r.status, 400);
    assert!(
        r.body
            .contains("メールアドレス「sapporo.example.jp」が正しくありません"),
        "{}",
        r.body
    );
    assert_eq!(email_of(&app), None);
    let r = admin
        .post(
            &format!("/admin/users/{a}/email"),
            &pairs(&[("email", " city@sapporo.example.jp ")]),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(email_of(&app).as_deref(), Some("city@sapporo.example.jp"));
    let page = admin.get(&format!("/admin/users/{a}")).await;
    assert!(page.body.contains("city@sapporo.example.jp"));
    let r = admin
        .post(&format!("/admin/users/{a}/email"), &pairs(&[("email", "")]))
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(email_of(&app), None);
    let log = with_conn(&app, |c| {
        l::table
            .filter(l::action.eq("user_email"))
            .count()
            .get_result::<i64>(c)
    })
    .expect("log");
    assert_eq!(log, 2);
}
