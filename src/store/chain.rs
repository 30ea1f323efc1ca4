//! The tamper-evident chain of the operation log.
//!
//! Every entry carries `hash`, the lowercase hex SHA-256 of
//!
//! ```text
//! "tenken-oplog-v1"                      15 ASCII bytes, the encoding's version
//! previous entry's hash                  32 raw bytes (32 zero bytes for the first entry)
//! at                                     text
//! user_id                                optional integer
//! login, actor_org, action, target_org   text, in this order
//! fiscal_year                            optional integer
//! detail, address                        text
//! ```
//!
//! where *text* is the UTF-8 byte length as a 4-byte big-endian unsigned
//! integer followed by the bytes, and an *optional integer* is the byte `0`
//! when absent or the byte `1` followed by the value as an 8-byte big-endian
//! signed integer. Entries are chained in `id` order. The row id itself is
//! not hashed: the chain fixes the order, so moving, inserting or deleting a
//! row breaks the next link.
//!
//! Appending takes the previous hash under a lock that lasts until the
//! writer's transaction ends, so concurrent writers never fork the chain:
//! PostgreSQL takes `pg_advisory_xact_lock` (no row is updated, so no lock
//! row becomes a hot spot; the lock is held from the log write to the commit,
//! which is why callers log as the last step of their transaction); SQLite
//! inserts first (which takes the database's single write lock), then reads
//! the previous entry and sets the new row's hash (the one UPDATE the
//! append-only trigger permits: a hash on a row without one).
//!
//! What it guarantees: a row edited, deleted, inserted or moved anywhere but
//! at the very end breaks the chain at that point (`tenken oplog verify`).
//! Entries cut from the end, or a chain recomputed from some point on by
//! someone who can write the database, are only seen against a head (count
//! and last hash) noted elsewhere, e.g. printed by `oplog verify` into a
//! report or kept with the backups.

use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::db::schema::operation_log as l;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};

/// Version tag at the start of every hashed message.
pub const ENCODING: &[u8] = b"tenken-oplog-v1";
/// Advisory lock key of the chain on PostgreSQL (the migration lock is 7342001).
pub const PG_LOCK_KEY: i64 = 7_342_002;
/// The "previous hash" of the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// The hashed fields of one entry.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = l)]
pub struct Fields {
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

fn put_text(out: &mut Vec<u8>, s: &str) {
    // A field longer than 4 GiB cannot be stored anyway; saturate rather than wrap.
    let len = u32::try_from(s.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_int(out: &mut Vec<u8>, v: Option<i32>) {
    match v {
        None => out.push(0),
        Some(v) => {
            out.push(1);
            out.extend_from_slice(&i64::from(v).to_be_bytes());
        }
    }
}

/// The canonical byte encoding of an entry after `prev` (see the module).
pub fn canonical(prev: &[u8; 32], f: &Fields) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENCODING.len() + 32 + 64 + f.detail.len());
    out.extend_from_slice(ENCODING);
    out.extend_from_slice(prev);
    put_text(&mut out, &f.at);
    put_int(&mut out, f.user_id);
    put_text(&mut out, &f.login);
    put_text(&mut out, &f.actor_org);
    put_text(&mut out, &f.action);
    put_text(&mut out, &f.target_org);
    put_int(&mut out, f.fiscal_year);
    put_text(&mut out, &f.detail);
    put_text(&mut out, &f.address);
    out
}

/// The hash of an entry after `prev`.
pub fn entry_hash(prev: &[u8; 32], f: &Fields) -> [u8; 32] {
    Sha256::digest(canonical(prev, f)).into()
}

pub fn to_hex(h: &[u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a stored hash; `None` unless 64 lowercase hex digits.
pub fn from_hex(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The stored hash of the entry before `id` (every entry when `None`), as
/// bytes; the genesis value when there is none. A previous entry whose hash
/// is unreadable chains from its text's digest, so the break stays visible
/// at that entry and is not copied forward silently.
fn previous_hash(conn: &mut DbConnection, before: Option<i32>) -> AppResult<[u8; 32]> {
    let mut q = l::table.select(l::hash).order(l::id.desc()).into_boxed();
    if let Some(id) = before {
        q = q.filter(l::id.lt(id));
    }
    let prev: Option<String> = q.first(conn).optional()?;
    Ok(prev.as_deref().map_or(GENESIS, link))
}

/// What the next entry chains from, given an entry's stored hash.
fn link(stored: &str) -> [u8; 32] {
    from_hex(stored).unwrap_or_else(|| Sha256::digest(stored.as_bytes()).into())
}

/// Appends an entry to the chain. Must run inside a transaction (the lock
/// lasts until that transaction ends); `store::oplog::record` opens one.
pub fn append(conn: &mut DbConnection, f: &Fields) -> AppResult<()> {
    let values = (
        l::at.eq(&f.at),
        l::user_id.eq(f.user_id),
        l::login.eq(&f.login),
        l::actor_org.eq(&f.actor_org),
        l::action.eq(&f.action),
        l::target_org.eq(&f.target_org),
        l::fiscal_year.eq(f.fiscal_year),
        l::detail.eq(&f.detail),
        l::address.eq(&f.address),
    );
    match conn {
        DbConnection::Postgresql(_) => {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
                .execute(conn)?;
            let prev = previous_hash(conn, None)?;
            let hash = to_hex(&entry_hash(&prev, f));
            diesel::insert_into(l::table)
                .values((values, l::hash.eq(hash)))
                .execute(conn)?;
        }
        DbConnection::Sqlite(_) => {
            // The insert takes SQLite's write lock: from here to the commit
            // no other connection writes, so the previous row is final.
            diesel::insert_into(l::table)
                .values((values, l::hash.eq("")))
                .execute(conn)?;
            let id: i32 = l::table.select(l::id).order(l::id.desc()).first(conn)?;
            let prev = previous_hash(conn, Some(id))?;
            let hash = to_hex(&entry_hash(&prev, f));
            diesel::update(l::table.find(id))
                .set(l::hash.eq(hash))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Where a chain stops matching.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Break {
    /// The id of the first entry whose hash does not match.
    pub id: i32,
    /// Its position in the chain (1 = the first entry).
    pub position: u64,
    /// The last entry that still matched, if any.
    pub verified_up_to: Option<i32>,
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainState {
    /// Entries read.
    pub entries: u64,
    /// The id of the last entry.
    pub last_id: Option<i32>,
    /// The last entry's stored hash (the head to note down elsewhere).
    pub head: String,
    /// The first entry that does not match, if any.
    pub broken: Option<Break>,
}

impl ChainState {
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }

    /// One line for people: the state of the chain.
    pub fn describe(&self) -> String {
        match &self.broken {
            None if self.entries == 0 => "操作履歴はまだありません".to_string(),
            None => format!(
                "操作履歴の連鎖は全 {} 件一致しています（最後の記録 ID {}、ハッシュ {}）",
                self.entries,
                self.last_id.unwrap_or_default(),
                self.head
            ),
            Some(b) => {
                let upto = match b.verified_up_to {
                    Some(id) => format!("記録 ID {id} までは一致しています"),
                    None => "最初の記録から一致しません".to_string(),
                };
                format!(
                    "操作履歴の連鎖が記録 ID {}（{} 件目）で切れています: その記録が書き換えられたか、その前の記録が削除・挿入されています。{upto}",
                    b.id, b.position
                )
            }
        }
    }
}

/// Rows read per query while walking the chain.
const PAGE: i64 = 5_000;

/// Walks the whole chain in id order and reports the first entry that does
/// not match.
pub fn verify(conn: &mut DbConnection) -> AppResult<ChainState> {
    let mut prev = GENESIS;
    let mut state = ChainState {
        entries: 0,
        last_id: None,
        head: String::new(),
        broken: None,
    };
    let mut after = i32::MIN;
    loop {
        let rows: Vec<(i32, String, Fields)> = l::table
            .filter(l::id.gt(after))
            .order(l::id)
            .limit(PAGE)
            .select((l::id, l::hash, Fields::as_select()))
            .load(conn)?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, stored, fields) in rows {
            state.entries += 1;
            let expected = entry_hash(&prev, &fields);
            if state.broken.is_none() && from_hex(&stored) != Some(expected) {
                state.broken = Some(Break {
                    id,
                    position: state.entries,
                    verified_up_to: state.last_id,
                });
            }
            // Go on from the stored value: entries after a break are counted,
            // and the head is what is stored.
            prev = link(&stored);
            state.last_id = Some(id);
            state.head = stored;
        }
    }
    Ok(state)
}

/// Gives hashes, in id order, to the entries written before the chain
/// existed: the rows without a hash that come before every hashed row. A
/// row without a hash after a hashed one is left alone (verify reports it).
/// Returns how many rows were sealed.
pub fn seal_unhashed(conn: &mut DbConnection) -> AppResult<usize> {
    conn.transaction(|conn| {
        if let DbConnection::Postgresql(_) = conn {
            diesel::sql_query(format!("SELECT pg_advisory_xact_lock({PG_LOCK_KEY})"))
                .execute(conn)?;
        }
        let first_hashed: Option<i32> = l::table
            .filter(l::hash.ne(""))
            .select(l::id)
            .order(l::id)
            .first(conn)
            .optional()?;
        let mut prev = GENESIS;
        let mut sealed = 0;
        let mut after = i32::MIN;
        loop {
            let mut q = l::table
                .filter(l::id.gt(after))
                .filter(l::hash.eq(""))
                .order(l::id)
                .limit(PAGE)
                .select((l::id, Fields::as_select()))
                .into_boxed();
            if let Some(limit) = first_hashed {
                q = q.filter(l::id.lt(limit));
            }
            let rows: Vec<(i32, Fields)> = q.load(conn)?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            for (id, fields) in rows {
                let h = entry_hash(&prev, &fields);
                diesel::update(l::table.find(id))
                    .set(l::hash.eq(to_hex(&h)))
                    .execute(conn)?;
                prev = h;
                sealed += 1;
            }
        }
        Ok::<_, AppError>(sealed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            at: "2026-12-03T11:00:00Z".into(),
            user_id: Some(7),
            login: "sapporo1".into(),
            actor_org: "011002".into(),
            action: "answers_save".into(),
            target_org: "011002".into(),
            fiscal_year: Some(2007),
            detail: "保存".into(),
            address: "127.0.0.1".into(),
        }
    }

    #[test]
    fn the_encoding_is_fixed() {
        let mut f = fields();
        f.detail = "é".into();
        f.user_id = None;
        let bytes = canonical(&GENESIS, &f);
        let mut expected = b"tenken-oplog-v1".to_vec();
        expected.extend_from_slice(&[0; 32]);
        expected.extend_from_slice(&[0, 0, 0, 20]);
        expected.extend_from_slice(b"2026-12-03T11:00:00Z");
        expected.push(0);
        for s in ["sapporo1", "011002", "answers_save", "011002"] {
            expected.extend_from_slice(&(s.len() as u32).to_be_bytes());
            expected.extend_from_slice(s.as_bytes());
        }
        expected.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0x07, 0xd7]);
        expected.extend_from_slice(&[0, 0, 0, 2, 0xc3, 0xa9]);
        expected.extend_from_slice(&[0, 0, 0, 9]);
        expected.extend_from_slice(b"127.0.0.1");
        assert_eq!(bytes, expected);
    }

    #[test]
    fn every_field_and_the_previous_hash_count() {
        let base = entry_hash(&GENESIS, &fields());
        let mut other_prev = GENESIS;
        other_prev[31] = 1;
        assert_ne!(base, entry_hash(&other_prev, &fields()));
        type Change = Box<dyn Fn(&mut Fields)>;
        let changes: Vec<Change> = vec![
            Box::new(|f| f.at.push('x')),
            Box::new(|f| f.user_id = None),
            Box::new(|f| f.login.push('x')),
            Box::new(|f| f.actor_org.push('x')),
            Box::new(|f| f.action.push('x')),
            Box::new(|f| f.target_org.push('x')),
            Box::new(|f| f.fiscal_year = Some(2008)),
            Box::new(|f| f.detail.push('x')),
            Box::new(|f| f.address.push('x')),
            // Moving bytes from one field to the next is seen too.
            Box::new(|f| {
                f.login = "sapporo".into();
                f.actor_org = "1011002".into();
            }),
        ];
        for change in changes {
            let mut f = fields();
            change(&mut f);
            assert_ne!(entry_hash(&GENESIS, &f), base, "{f:?}");
        }
        let h = to_hex(&base);
        assert_eq!(from_hex(&h), Some(base));
        assert_eq!(from_hex(&h.to_uppercase()), None);
        assert_eq!(from_hex(""), None);
    }
}
