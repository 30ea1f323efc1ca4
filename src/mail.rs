//! E-mail of the in-app notices through SMTP (`lettre`), off unless
//! configured (`config::MailSettings`). Each notice is mailed once to the
//! addresses of its organisation's accounts in use: `emailed_at` is set
//! after it was sent, so a re-run never sends it again, and a failure
//! leaves it for the next run. Every sent mail is in the operation log
//! (`notice_mail`).

use diesel::Connection;
use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Message, SmtpTransport, Transport};

use crate::auth::Actor;
use crate::config::{MailSettings, MailTls};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::store::{notices, oplog};

/// The subject's words for a kind of notice.
pub fn kind_subject(kind: &str) -> &'static str {
    match kind {
        "round_opened" => "点検が始まりました",
        "municipality_submitted" => "市区町村が回答を提出しました",
        "sheet_returned" => "調査票が差し戻されました",
        "sheet_accepted" => "調査票が確認されました",
        "deadline" => "点検の締切が近づいています",
        "missing_after_deadline" => "締切を過ぎて未提出の市区町村があります",
        "prefectures_missing" => "締切を過ぎて未提出の市区町村がある都道府県があります",
        "plan_target_passed" => "改善計画の目標期日を過ぎました",
        _ => "お知らせ",
    }
}

/// The subject of a notice's mail, e.g.
/// 「【tenken】調査票が差し戻されました（令和7年度）」: the fiscal year is the
/// last segment of the notice's link (every kind links to a year's page).
pub fn subject(kind: &str, link: &str) -> String {
    let year = link
        .rsplit('/')
        .next()
        .and_then(|y| y.parse::<i32>().ok())
        .and_then(|y| crate::domain::FiscalYear::new(y).ok())
        .map(|fy| format!("（{fy}）"))
        .unwrap_or_default();
    format!("【tenken】{}{year}", kind_subject(kind))
}

fn transport(m: &MailSettings) -> AppResult<SmtpTransport> {
    let fail = |e: lettre::transport::smtp::Error| {
        AppError::internal_from(format!("SMTP サーバー {}:{} の設定", m.host, m.port), e)
    };
    let builder = match m.tls {
        MailTls::None => SmtpTransport::builder_dangerous(&m.host),
        MailTls::Starttls => SmtpTransport::starttls_relay(&m.host).map_err(fail)?,
        MailTls::Tls => SmtpTransport::relay(&m.host).map_err(fail)?,
    };
    let mut builder = builder
        .port(m.port)
        .timeout(Some(std::time::Duration::from_secs(30)));
    if let (Some(user), Some(pw)) = (&m.user, &m.password) {
        builder = builder.credentials(Credentials::new(user.clone(), pw.clone()));
    }
    Ok(builder.build())
}

fn message(m: &MailSettings, p: &notices::PendingMail) -> AppResult<Message> {
    let from: Mailbox = m.from.parse().map_err(|e| {
        AppError::BadRequest(format!(
            "送信者アドレス「{}」が正しくありません: {e}",
            m.from
        ))
    })?;
    let mut builder = Message::builder()
        .from(from)
        .subject(subject(&p.notice.kind, &p.notice.link));
    for to in &p.recipients {
        let mbox: Mailbox = to.parse().map_err(|e| {
            AppError::BadRequest(format!("宛先アドレス「{to}」が正しくありません: {e}"))
        })?;
        builder = builder.to(mbox);
    }
    let body = format!(
        "{}\n\n{}{}\n\n-- \ntenken（住基ネット セキュリティ自己点検）からの自動送信です。\n",
        p.notice.text,
        m.base_url.trim_end_matches('/'),
        p.notice.link
    );
    builder
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| AppError::internal_from("メールの作成", e))
}

/// Who the operation log names for a sent mail.
fn mail_actor() -> Actor {
    Actor {
        user_id: None,
        login: "tenken-mail".into(),
        org_code: String::new(),
        address: "smtp".into(),
    }
}

/// Sends every notice not yet mailed; returns how many mails were sent.
/// A notice whose organisation has no account with an address is marked
/// done without a mail. A failed notice is logged and left for the next run.
pub fn send_pending(conn: &mut DbConnection, m: &MailSettings) -> AppResult<usize> {
    let pending = notices::pending_mail(conn)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let smtp = transport(m)?;
    let actor = mail_actor();
    let mut sent = 0;
    for p in pending {
        if p.recipients.is_empty() {
            notices::mark_emailed(conn, p.notice.id)?;
            continue;
        }
        let result = message(m, &p).and_then(|msg| {
            smtp.send(&msg)
                .map_err(|e| AppError::internal_from(format!("SMTP {}:{}", m.host, m.port), e))
        });
        if let Err(e) = result {
            tracing::warn!(notice = p.notice.id, "notice mail not sent: {e}");
            continue;
        }
        conn.transaction(|conn| {
            notices::mark_emailed(conn, p.notice.id)?;
            oplog::record(
                conn,
                &actor,
                "notice_mail",
                &p.org_code,
                None,
                &format!(
                    "{} → {}（お知らせ {}）",
                    p.notice.kind,
                    p.recipients.join(", "),
                    p.notice.id
                ),
            )
        })?;
        sent += 1;
    }
    Ok(sent)
}
