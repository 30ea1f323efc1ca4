//! The second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second
//! steps, one step of clock skew either way; `totp-rs`) and 10 single-use
//! recovery codes (only their SHA-256 is stored; shown once).
//!
//! After a right password an enrolled account gets no session but a login
//! challenge (a random token in its own cookie, the SHA-256 in
//! `login_challenges`, valid 5 minutes); the session starts only when the
//! code of the second page is right. A wrong code counts toward the lockout
//! like a wrong password (the count is not reset by the right password, only
//! by a completed login); a code is accepted once (the last accepted time
//! step is stored). Enrolment, challenges, failures, logins with a code or a
//! recovery code and an administrator's reset are logged.

use chrono::{DateTime, Utc};
use diesel::Connection;
use rand::seq::IndexedRandom;
use rand::Rng;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::login::NewSession;
use super::{parse_stamp, stamp, token, Actor};
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::second_factor as sf;
use crate::store::{self, oplog, users::User};

/// The cookie of a pending login challenge.
pub const CHALLENGE_COOKIE: &str = "tenken_login_2fa";
/// How long a challenge waits for its code.
pub const CHALLENGE_SECONDS: i64 = 5 * 60;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "tenken";
/// Letters of recovery codes: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";

/// A new random 160-bit secret, base32 (RFC 4648, no padding).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill(&mut bytes);
    Secret::from(bytes).to_base32()
}

/// The TOTP of an account's secret.
pub fn totp(secret_b32: &str, login: &str) -> AppResult<Totp> {
    let secret = Secret::try_from_base32(secret_b32.trim()).map_err(|_| {
        AppError::BadRequest("二要素認証の秘密鍵が読めません。ページを開き直してください".into())
    })?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(secret.as_bytes().to_vec())
        .with_account_name(login)
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| AppError::BadRequest(format!("二要素認証の設定が作れません: {e}")))
}

/// The `otpauth://` URL authenticator apps read from the QR code.
pub fn otpauth_url(secret_b32: &str, login: &str) -> AppResult<String> {
    totp(secret_b32, login)?
        .to_url()
        .map_err(|e| AppError::internal_from("otpauth URL", e))
}

/// The QR code of `text` as an SVG `data:` URL for an `<img>` (the CSP
/// allows `img-src data:`; no script, no external service).
pub fn qr_data_url(text: &str) -> AppResult<String> {
    use base64::Engine;
    let code =
        qrcode::QrCode::new(text.as_bytes()).map_err(|e| AppError::internal_from("QR code", e))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(220, 220)
        .build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// The secret in groups of four, easier to type.
pub fn grouped(secret_b32: &str) -> String {
    secret_b32
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The time step a 6-digit code matches at `now`, if any.
fn code_step(t: &Totp, code: &str, now: DateTime<Utc>) -> Option<i32> {
    let unix = u64::try_from(now.timestamp()).ok()?;
    let step = t.check(code, unix)?;
    i32::try_from(step).ok()
}

/// Digits only, spaces dropped: a TOTP code as typed.
fn as_totp_code(typed: &str) -> Option<String> {
    let digits: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// A recovery code as typed: letters and digits, upper case, without
/// spaces and hyphens.
fn normalise_recovery(typed: &str) -> String {
    typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Ten new recovery codes `XXXX-XXXX-XXXX` (about 59 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    let mut rng = rand::rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let chars: Vec<char> = (0..12)
                .filter_map(|_| CODE_ALPHABET.choose(&mut rng).copied().map(char::from))
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What is stored of a recovery code: a SHA-256 bound to the account.
pub fn recovery_hash(user_id: i32, code: &str) -> String {
    token::digest(&format!(
        "tenken-recovery:{user_id}:{}",
        normalise_recovery(code)
    ))
}

/// Whether the account has a second factor.
pub fn enrolled(conn: &mut DbConnection, user_id: i32) -> AppResult<bool> {
    Ok(sf::find(conn, user_id)?.is_some())
}

/// Called by `login::attempt` once the password is right: an enrolled
/// account gets a challenge instead of a session. Logged.
pub fn begin(conn: &mut DbConnection, actor: &Actor, user: &User) -> AppResult<Option<NewSession>> {
    if !enrolled(conn, user.id)? {
        return Ok(None);
    }
    let t = token::random_token();
    let now = Utc::now();
    sf::purge_challenges(
        conn,
        &stamp(now - chrono::Duration::seconds(CHALLENGE_SECONDS)),
    )?;
    sf::create_challenge(conn, user.id, &token::digest(&t), &actor.address)?;
    oplog::record(
        conn,
        actor,
        "login_second_step",
        "",
        None,
        "パスワード確認済み、確認コード待ち",
    )?;
    Ok(Some(NewSession {
        token: t,
        must_change_password: false,
        second_factor: true,
    }))
}

/// The outcome of the second step.
#[derive(Debug)]
pub enum Step {
    /// The code was right: the new session.
    Session(NewSession),
    /// A wrong code; the challenge stays (the message says what to do).
    Retry(String),
    /// The challenge is over (expired, unknown, account locked or
    /// disabled): start again from the password.
    Restart(String),
}

/// The login of a challenge's account, the organisation for the log.
fn actor_of(conn: &mut DbConnection, user: &User, address: &str) -> AppResult<Actor> {
    let org = store::organisations::find_by_id(conn, user.organisation_id)?;
    Ok(Actor {
        user_id: Some(user.id),
        login: user.login.clone(),
        org_code: org.map(|o| o.code).unwrap_or_default(),
        address: address.to_string(),
    })
}

/// Checks the code of a challenge (`POST /login/totp`).
pub async fn finish(
    state: &AppState,
    challenge_token: &str,
    typed: &str,
    address: &str,
    previous_session: Option<String>,
) -> AppResult<Step> {
    let digest = token::digest(challenge_token);
    let typed = typed.trim().chars().take(64).collect::<String>();
    let address = address.to_string();
    let settings = state.settings.clone();
    state
        .db(move |conn| {
            let now = Utc::now();
            let restart = "もう一度ログインIDとパスワードから入力してください。";
            let Some(challenge) = sf::find_challenge(conn, &digest)? else {
                return Ok(Step::Restart(format!("確認の期限が切れました。{restart}")));
            };
            let user = store::users::find(conn, challenge.user_id)?;
            let expired = now - parse_stamp(&challenge.created_at)
                > chrono::Duration::seconds(CHALLENGE_SECONDS);
            let Some(user) = user.filter(|_| !expired) else {
                sf::delete_challenges(conn, challenge.user_id)?;
                return Ok(Step::Restart(format!("確認の期限が切れました。{restart}")));
            };
            let actor = actor_of(conn, &user, &address)?;
            if let Some(until) = &user.locked_until {
                if parse_stamp(until) > now {
                    sf::delete_challenges(conn, user.id)?;
                    oplog::record(
                        conn,
                        &actor,
                        "login_locked",
                        "",
                        None,
                        &format!("{until} までロック中（確認コード）"),
                    )?;
                    return Ok(Step::Restart(
                        "アカウントがロックされています。しばらくしてからやり直してください。"
                            .into(),
                    ));
                }
            }
            if super::lifecycle::refuse_login(conn, &actor, &user, now)? {
                sf::delete_challenges(conn, user.id)?;
                return Ok(Step::Restart(format!("ログインできません。{restart}")));
            }
            let Some(factor) = sf::find(conn, user.id)? else {
                sf::delete_challenges(conn, user.id)?;
                return Ok(Step::Restart(format!(
                    "二要素認証の設定がありません。{restart}"
                )));
            };
            let t = totp(&factor.secret, &user.login)?;
            conn.transaction(|conn| {
                let how = match as_totp_code(&typed) {
                    Some(code) => match code_step(&t, &code, now) {
                        Some(step) if sf::take_step(conn, user.id, step)? => Some("確認コード"),
                        _ => None,
                    },
                    None if !typed.is_empty() => {
                        let h = recovery_hash(user.id, &typed);
                        sf::use_recovery_code(conn, user.id, &h)?.then_some("回復コード")
                    }
                    None => None,
                };
                let Some(how) = how else {
                    return failure(conn, &actor, &user, &settings, now);
                };
                sf::delete_challenges(conn, user.id)?;
                if how == "回復コード" {
                    let left = sf::recovery_codes_left(conn, user.id)?;
                    oplog::record(
                        conn,
                        &actor,
                        "totp_recovery",
                        "",
                        None,
                        &format!("回復コードを使用（残り {left} 個）"),
                    )?;
                }
                let idle = chrono::Duration::from_std(settings.session_idle).unwrap_or_default();
                let life =
                    chrono::Duration::from_std(settings.session_lifetime).unwrap_or_default();
                store::sessions::purge(conn, &stamp(now - idle), &stamp(now - life))?;
                if let Some(prev) = &previous_session {
                    store::sessions::delete_by_hash(conn, &token::digest(prev))?;
                }
                // A lock set by a wrong attempt meanwhile stands.
                if !store::users::record_login(conn, user.id)? {
                    return Ok(Step::Restart(
                        "アカウントがロックされています。しばらくしてからやり直してください。"
                            .into(),
                    ));
                }
                let new_token = token::random_token();
                store::sessions::create(
                    conn,
                    user.id,
                    &token::digest(&new_token),
                    &token::random_token(),
                    &address,
                )?;
                oplog::record(
                    conn,
                    &actor,
                    "login",
                    "",
                    None,
                    &format!("二要素認証（{how}）"),
                )?;
                Ok(Step::Session(NewSession {
                    token: new_token,
                    must_change_password: user.must_change_password
                        || super::password_expired(
                            &user.password_changed_at,
                            settings.password_max_age,
                            now,
                        ),
                    second_factor: false,
                }))
            })
        })
        .await
}

/// A wrong code: counted toward the lockout like a wrong password.
fn failure(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &User,
    settings: &crate::config::Settings,
    now: DateTime<Utc>,
) -> AppResult<Step> {
    let n = store::users::count_failure(conn, user.id)?;
    oplog::record(
        conn,
        actor,
        "totp_failed",
        "",
        None,
        &format!("確認コード誤り（連続{n}回目）"),
    )?;
    if n >= settings.lockout_threshold {
        let lock = chrono::Duration::from_std(settings.lockout_duration).unwrap_or_default();
        let until = stamp(now + lock);
        store::users::lock(conn, user.id, &until)?;
        sf::delete_challenges(conn, user.id)?;
        oplog::record(
            conn,
            actor,
            "account_locked",
            "",
            None,
            &format!("連続{n}回の失敗により {until} までロック"),
        )?;
        return Ok(Step::Restart(
            "確認コードを続けて間違えたため、アカウントがロックされました。".into(),
        ));
    }
    Ok(Step::Retry(
        "確認コードが違います。認証アプリの6桁の数字（または回復コード）を入力してください。"
            .into(),
    ))
}

/// Enrols the signed-in account: the code typed must match the secret shown
/// to it. Returns the recovery codes, to be shown once. Logged.
pub fn enrol(
    conn: &mut DbConnection,
    actor: &Actor,
    user: &User,
    secret_b32: &str,
    typed: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    if enrolled(conn, user.id)? {
        return Err(AppError::Conflict(
            "二要素認証は設定済みです。設定し直すときは管理者にリセットを依頼してください".into(),
        ));
    }
    let t = totp(secret_b32, &user.login)?;
    let step = as_totp_code(typed)
        .and_then(|c| code_step(&t, &c, now))
        .ok_or_else(|| {
            AppError::BadRequest(
                "確認コードが違います。認証アプリに表示されている6桁の数字を入力してください"
                    .into(),
            )
        })?;
    let codes = new_recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(user.id, c)).collect();
    conn.transaction(|conn| {
        sf::enrol(conn, user.id, secret_b32.trim(), step, &hashes)?;
        oplog::record(
            conn,
            actor,
            "totp_enrol",
            "",
            None,
            &format!(
                "{}: 二要素認証を設定（回復コード {} 個）",
                user.login,
                codes.len()
            ),
        )
    })?;
    Ok(codes)
}

/// An administrator removes an account's second factor (a lost phone); the
/// account enrols again at its next login when the factor is required.
/// Logged; the caller holds the transaction.
pub fn reset(conn: &mut DbConnection, actor: &Actor, target: &User) -> AppResult<()> {
    if !enrolled(conn, target.id)? {
        return Err(AppError::Conflict(format!(
            "アカウント「{}」には二要素認証が設定されていません",
            target.login
        )));
    }
    sf::reset(conn, target.id)?;
    oplog::record(
        conn,
        actor,
        "totp_reset",
        "",
        None,
        &format!("{}: 二要素認証をリセット", target.login),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890".
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        let t = totp(&secret, "demo").expect("totp");
        assert_eq!(t.generate(59).to_string(), "287082");
        assert_eq!(t.generate(1_111_111_109).to_string(), "081804");
        let at = DateTime::from_timestamp(1_111_111_109, 0).expect("time");
        assert_eq!(code_step(&t, "081804", at), Some(37_037_036));
        assert_eq!(code_step(&t, "081805", at), None);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_typed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert!(codes
            .iter()
            .all(|c| c.len() == 14 && c.matches('-').count() == 2));
        let c = &codes[0];
        assert_eq!(
            recovery_hash(3, c),
            recovery_hash(3, &c.to_lowercase().replace('-', " "))
        );
        assert_ne!(recovery_hash(3, c), recovery_hash(4, c));
        assert_eq!(as_totp_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(as_totp_code("12345"), None);
    }

    #[test]
    fn the_qr_code_is_an_svg_data_url() {
        let url = otpauth_url(&new_secret(), "admin1").expect("url");
        assert!(url.starts_with("otpauth://totp/tenken:admin1?"), "{url}");
        let data = qr_data_url(&url).expect("qr");
        assert!(data.starts_with("data:image/svg+xml;base64,"));
    }
}
