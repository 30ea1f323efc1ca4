//! Accounts, sessions and rights.
//!
//! - `session`: the middleware that resolves the session cookie into a
//!   [`CurrentUser`] and checks the CSRF token of every state-changing
//!   request, so that no handler can forget either.
//! - [`CurrentUser`]: the extractor every protected handler takes.
//! - `policy`: who may read, answer, review or administer what. Every handler
//!   asks it; nothing else decides.
//! - `password`, `token`: argon2id hashes, the password policy, random tokens.
//! - `login`: checking a password with the lockout of checklist item 12-2.

pub mod csrf;
pub mod hashing;
pub mod lifecycle;
pub mod login;
pub mod password;
pub mod policy;
pub mod second_factor;
pub mod session;
pub mod token;

use std::fmt;
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::{header, Method, StatusCode};
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use chrono::{DateTime, Utc};
use serde::Serialize;

pub use policy::*;

/// Name of the session cookie; it holds a random 256-bit token whose SHA-256
/// alone is stored.
pub const SESSION_COOKIE: &str = "tenken_session";
/// Name of the cookie that carries the CSRF token of the login form, before
/// there is a session (double-submit).
pub const PRE_SESSION_COOKIE: &str = "tenken_login_csrf";
/// Name of the hidden form field (or `X-CSRF-Token` header) with the token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The one role of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 市区町村職員: answers for its own municipality.
    Municipality,
    /// 都道府県職員: reads and reviews the municipalities of its prefecture.
    Prefecture,
    /// 総務省職員: reads everything, opens and closes rounds, adds agencies.
    Ministry,
    /// 国の行政機関等職員: answers the national-agency variant for its agency.
    Agency,
    /// 管理者: accounts only.
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Municipality,
        Role::Prefecture,
        Role::Ministry,
        Role::Agency,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Municipality => "municipality",
            Role::Prefecture => "prefecture",
            Role::Ministry => "ministry",
            Role::Agency => "agency",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Municipality => "市区町村職員",
            Role::Prefecture => "都道府県職員",
            Role::Ministry => "総務省職員",
            Role::Agency => "国の行政機関等職員",
            Role::Admin => "管理者",
        }
    }

    /// The kind of organisation an account of this role must belong to;
    /// `None` for administrators, who may sit in any organisation.
    pub fn org_kind(self) -> Option<&'static str> {
        match self {
            Role::Municipality => Some("municipality"),
            Role::Prefecture => Some("prefecture"),
            Role::Ministry => Some("ministry"),
            Role::Agency => Some("agency"),
            Role::Admin => None,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The signed-in account of a request, put into the request by the session
/// middleware. Taking it as a handler argument makes the route protected.
#[derive(Debug, Clone, Serialize)]
pub struct CurrentUser {
    pub user_id: i32,
    pub login: String,
    pub role: Role,
    pub org_id: i32,
    pub org_code: String,
    pub org_kind: String,
    pub org_name: String,
    /// The prefecture the organisation belongs to (a prefecture's own code
    /// for prefecture staff); `None` for the ministry and agencies.
    pub prefecture_code: Option<String>,
    pub must_change_password: bool,
    /// A second factor is required of the account and not yet enrolled:
    /// everything but enrolment, the password page and logout sends it to
    /// `/account/totp`.
    pub must_enrol_totp: bool,
    pub session_id: i32,
    pub csrf_token: String,
    /// The client's address, for the operation log.
    pub address: String,
}

/// Who did something, as written into the operation log.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub login: String,
    pub org_code: String,
    pub address: String,
}

impl Actor {
    /// The command line, for entries of the operation log written by
    /// `tenken` commands run on the server.
    pub fn cli() -> Self {
        Self {
            user_id: None,
            login: "tenken-cli".into(),
            org_code: String::new(),
            address: "cli".into(),
        }
    }
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user_id),
            login: self.login.clone(),
            org_code: self.org_code.clone(),
            address: self.address.clone(),
        }
    }

    /// What the shared layout shows: the account and the logout form's token.
    pub fn view(&self) -> SessionView {
        SessionView {
            login: self.login.clone(),
            role: self.role.as_str(),
            role_label: self.role.label(),
            org_code: self.org_code.clone(),
            org_name: self.org_name.clone(),
            prefecture_code: self.prefecture_code.clone(),
            csrf_token: self.csrf_token.clone(),
        }
    }
}

/// The `session` value every page of a signed-in account passes to the layout.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub login: String,
    pub role: &'static str,
    pub role_label: &'static str,
    pub org_code: String,
    pub org_name: String,
    pub prefecture_code: Option<String>,
    pub csrf_token: String,
}

/// Why a request cannot go on as it is.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No valid session: the browser is sent to the login page.
    #[error("ログインが必要です")]
    Login { next: Option<String> },
    /// The account's password was generated and must be changed first.
    #[error("パスワードを変更してください")]
    ChangePassword,
    /// A second factor is required and not yet set up.
    #[error("二要素認証を設定してください")]
    EnrolTotp,
    /// A state-changing request without the session's CSRF token.
    #[error("送信されたフォームを確認できませんでした（確認用の符号が無いか古くなっています）。ページを開き直してから、もう一度送信してください。")]
    Csrf,
    /// A body over its route's limit, refused before it is read.
    #[error("送信された内容が大きすぎます（この送信先の上限は {} です）。内容を減らしてから送信してください。", size_label(*.limit))]
    TooLarge { limit: usize },
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            AuthError::Login { .. } | AuthError::ChangePassword | AuthError::EnrolTotp => {
                StatusCode::SEE_OTHER
            }
            AuthError::Csrf => StatusCode::FORBIDDEN,
            AuthError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AuthError::Login { next } => {
                let location = match next {
                    Some(n) => format!("/login?next={}", percent_encode(n)),
                    None => "/login".to_string(),
                };
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, location))
                    .finish()
            }
            AuthError::ChangePassword => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/password"))
                .finish(),
            AuthError::EnrolTotp => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/account/totp"))
                .finish(),
            other => HttpResponse::build(other.status_code())
                .content_type("text/plain; charset=utf-8")
                .body(other.to_string()),
        }
    }
}

impl FromRequest for CurrentUser {
    type Error = AuthError;
    type Future = Ready<Result<Self, AuthError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = req.extensions().get::<CurrentUser>().cloned();
        ready(match user {
            None => Err(AuthError::Login {
                next: (req.method() == Method::GET).then(|| {
                    req.uri()
                        .path_and_query()
                        .map_or("/", |p| p.as_str())
                        .to_string()
                }),
            }),
            Some(u) if u.must_change_password && !matches!(req.path(), "/password" | "/logout") => {
                Err(AuthError::ChangePassword)
            }
            Some(u)
                if u.must_enrol_totp
                    && !matches!(req.path(), "/account/totp" | "/password" | "/logout") =>
            {
                Err(AuthError::EnrolTotp)
            }
            Some(u) => Ok(u),
        })
    }
}

/// A byte count as shown to users, in whole units: `8 KiB`, `1 MiB`,
/// `10496 KiB`.
fn size_label(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{} KiB", bytes.div_ceil(KIB))
    }
}

/// Where to go after login: only a same-origin path, never another site.
/// The one validator of `next` (login page, login form, second step): the
/// value must be printable ASCII without spaces (so it fits a `Location`
/// header as it is), and once percent-decoded (repeatedly, so `%2509` is a
/// tab too) start with exactly one `/` followed by neither `/` nor `\`, and
/// hold no control character, whitespace or backslash anywhere. Browsers
/// drop tabs and newlines from URLs and read `\` as `/`, so `/\t/evil`
/// or `/\\evil` would leave the site. Anything else goes to `/home`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/home".to_string(),
    }
}

fn is_local_path(raw: &str) -> bool {
    if raw.is_empty() || raw.len() > 2048 || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let mut bytes = raw.as_bytes().to_vec();
    // Decoding stops when nothing changes; a value still changing after a
    // few rounds is no honest path.
    for _ in 0..4 {
        if !decoded_is_local(&bytes) {
            return false;
        }
        let decoded = percent_decode(&bytes);
        if decoded == bytes {
            return true;
        }
        bytes = decoded;
    }
    false
}

fn decoded_is_local(b: &[u8]) -> bool {
    b.first() == Some(&b'/')
        && !matches!(b.get(1), Some(b'/' | b'\\'))
        && !b
            .iter()
            .any(|&c| c.is_ascii_control() || c.is_ascii_whitespace() || c == b'\\')
}

fn percent_decode(b: &[u8]) -> Vec<u8> {
    let hex = |c: u8| char::from(c).to_digit(16);
    let mut out = Vec::with_capacity(b.len());
    let mut rest = b;
    while let Some((&first, tail)) = rest.split_first() {
        if first == b'%' {
            if let [h, l, after @ ..] = tail {
                if let (Some(h), Some(l)) = (hex(*h), hex(*l)) {
                    out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                    rest = after;
                    continue;
                }
            }
        }
        out.push(first);
        rest = tail;
    }
    out
}

pub fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A timestamp as stored (`2026-11-23T10:00:00Z`).
pub fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Reads a stored timestamp; an unreadable one counts as long past.
pub fn parse_stamp(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Whether a password set at `changed_at` is past `max_age` at `now`.
pub fn password_expired(
    changed_at: &str,
    max_age: std::time::Duration,
    now: DateTime<Utc>,
) -> bool {
    let max = chrono::Duration::from_std(max_age).unwrap_or(chrono::Duration::MAX);
    now - parse_stamp(changed_at) > max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_expire_after_the_max_age() {
        let now = parse_stamp("2026-11-23T00:00:00Z");
        let day = std::time::Duration::from_secs(86_400);
        assert!(!password_expired("2026-05-27T00:00:00Z", day * 180, now));
        assert!(password_expired("2026-05-26T23:59:59Z", day * 180, now));
        assert!(password_expired("garbage", day * 180, now));
    }

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn next_stays_local() {
        assert_eq!(
            safe_next(Some("/answers/011002/2007")),
            "/answers/011002/2007"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/home");
        assert_eq!(safe_next(Some("https://evil.example/")), "/home");
        assert_eq!(safe_next(None), "/home");
        for bad in [
            "/\t/evil.example",
            "/%09/evil.example",
            "/%2509/evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/\\evil.example",
            "/a\nb",
            "/a%0d%0aSet-Cookie:x=1",
            "/a%00",
            "/a b",
            "/\u{e9}",
            "",
            "evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), "/home", "{bad:?}");
        }
        assert_eq!(safe_next(Some("/oplog?q=%E3%81%82")), "/oplog?q=%E3%81%82");
        assert_eq!(percent_encode("/a?b=1&c"), "/a%3Fb%3D1%26c");
    }

    #[test]
    fn stamps() {
        let t = parse_stamp("2026-11-23T10:00:00Z");
        assert_eq!(stamp(t), "2026-11-23T10:00:00Z");
        assert_eq!(parse_stamp("garbage"), DateTime::<Utc>::MIN_UTC);
    }
}
