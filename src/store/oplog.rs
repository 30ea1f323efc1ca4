//! The operation log (checklist item 18): who, from which organisation and
//! address, did what to which organisation, and when. Append-only: this
//! module only inserts and reads, and the database refuses UPDATE and DELETE
//! on the table (triggers in the migrations; the one exception sets the hash
//! of a row that has none). Every entry is chained to the previous one by a
//! SHA-256 (`store::chain`), so a change made behind the triggers' back is
//! seen by `tenken oplog verify`.

use diesel::prelude::*;
use serde::Serialize;

use super::chain;
use crate::auth::Actor;
use crate::db::schema::operation_log as l;
use crate::db::{now, DbConnection};
use crate::error::AppResult;

/// The actions written to the log, with their labels.
pub const ACTIONS: &[(&str, &str)] = &[
    ("login", "ログイン"),
    ("login_failed", "ログイン失敗"),
    ("login_locked", "ロック中のログイン拒否"),
    ("account_locked", "アカウントのロック"),
    ("logout", "ログアウト"),
    ("password_change", "パスワード変更"),
    ("answers_view", "回答の閲覧"),
    ("answers_print", "回答の印刷用表示"),
    ("answers_save", "回答の保存"),
    ("answers_submit", "回答の提出"),
    ("review_view", "審査画面の閲覧"),
    ("review_advice", "助言の保存"),
    ("review_return", "差戻し"),
    ("review_accept", "確認"),
    ("plans_view", "改善計画の閲覧"),
    ("plan_progress", "改善計画の進捗記録"),
    ("status_view", "状況一覧の閲覧"),
    ("round_open", "点検の開始"),
    ("round_close", "点検の締切"),
    ("agency_add", "国の行政機関等の追加"),
    ("user_add", "アカウントの追加"),
    ("user_unlock", "アカウントのロック解除"),
    ("user_reset", "パスワードの再発行"),
    ("oplog_view", "操作履歴の検索"),
    ("export", "データの出力"),
    ("stats_view", "集計表の閲覧"),
    ("backup", "バックアップ"),
    ("restore", "リストア"),
    ("form_import", "調査票ブックの取り込み"),
    ("login_disabled", "無効なアカウントのログイン拒否"),
    ("user_disable", "アカウントの無効化"),
    ("user_enable", "アカウントの有効化"),
    ("user_expired", "利用期限によるアカウントの無効化"),
    ("user_valid_until", "利用期限の設定"),
    ("login_second_step", "二要素認証の確認コード待ち"),
    ("totp_failed", "確認コードの誤り"),
    ("totp_enrol", "二要素認証の設定"),
    ("totp_recovery", "回復コードの使用"),
    ("totp_reset", "二要素認証のリセット"),
    ("notice_mail", "お知らせのメール送信"),
    ("user_email", "メールアドレスの設定"),
];

pub fn action_label(action: &str) -> &str {
    ACTIONS
        .iter()
        .find(|(a, _)| *a == action)
        .map_or(action, |(_, l)| l)
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = l)]
pub struct LogEntry {
    pub id: i32,
    pub at: String,
    pub user_id: Option<i32>,
    pub login: String,
    pub actor_org: String,
    pub action: String,
    pub target_org: String,
    pub fiscal_year: Option<i32>,
    pub detail: String,
    pub address: String,
}

/// Appends one entry to the hash chain (`store::chain`). Log as the last
/// step of a transaction: the chain stays locked from here to the commit.
/// `target_org` is the code of the organisation whose
/// data was read or changed ("" when none).
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target_org: &str,
    fiscal_year: Option<i32>,
    detail: &str,
) -> AppResult<()> {
    let fields = chain::Fields {
        at: now(),
        user_id: actor.user_id,
        login: actor.login.clone(),
        actor_org: actor.org_code.clone(),
        action: action.to_string(),
        target_org: target_org.to_string(),
        fiscal_year,
        detail: detail.to_string(),
        address: actor.address.clone(),
    };
    // Inside the caller's transaction this is a savepoint; the chain's lock
    // lasts until the outermost transaction ends.
    conn.transaction(|conn| chain::append(conn, &fields))
}

/// A search of the log; empty fields match everything.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
pub struct Filter {
    #[serde(default)]
    pub login: String,
    /// Matches the acting or the target organisation.
    #[serde(default)]
    pub org: String,
    #[serde(default)]
    pub action: String,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

/// The newest `limit` entries matching `f`, newest first.
pub fn search(conn: &mut DbConnection, f: &Filter, limit: i64) -> AppResult<Vec<LogEntry>> {
    let mut q = l::table.into_boxed();
    if !f.login.trim().is_empty() {
        q = q.filter(l::login.eq(f.login.trim().to_string()));
    }
    if !f.org.trim().is_empty() {
        let org = f.org.trim().to_string();
        q = q.filter(l::actor_org.eq(org.clone()).or(l::target_org.eq(org)));
    }
    if !f.action.trim().is_empty() {
        q = q.filter(l::action.eq(f.action.trim().to_string()));
    }
    if !f.from.trim().is_empty() {
        q = q.filter(l::at.ge(f.from.trim().to_string()));
    }
    if !f.to.trim().is_empty() {
        // Every stamp of that day sorts before the next character after 'T'.
        q = q.filter(l::at.le(format!("{}U", f.to.trim())));
    }
    Ok(q.order(l::id.desc())
        .limit(limit)
        .select(LogEntry::as_select())
        .load(conn)?)
}
