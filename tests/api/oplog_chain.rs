//! The operation log's hash chain (issue 11, item 8), on SQLite and (with
//! TEST_DATABASE_URL) PostgreSQL: with the append-only triggers switched off
//! by hand, an edited, deleted or inserted row is found at the right entry
//! by `store::chain::verify`, by `tenken oplog verify` and on `/oplog`;
//! concurrent writers keep one chain; rows older than the chain are sealed
//! in order by the migration.

use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use tenken::auth::{Actor, Role};
use tenken::db::schema::operation_log as l;
use tenken::db::{self, DatabaseUrl, DbConnection};
use tenken::store::chain::{self, Fields};
use tenken::store::oplog;

use crate::backup::tenken;
use crate::helpers::{is_postgres, spawn_app, with_conn, TestDatabase};
use crate::wf_support::{add_user, Browser};

fn actor(n: usize) -> Actor {
    Actor {
        user_id: Some(1),
        login: format!("writer{n}"),
        org_code: "MIC".into(),
        address: "192.0.2.1".into(),
    }
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

/// What someone with the database's rights could do: switch the
/// append-only triggers off.
fn drop_triggers(conn: &mut DbConnection) {
    match conn {
        DbConnection::Postgresql(c) => c
            .batch_execute("ALTER TABLE operation_log DISABLE TRIGGER USER")
            .expect("disable triggers"),
        DbConnection::Sqlite(c) => {
            let names: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'operation_log'",
            )
            .load(c)
            .expect("triggers");
            assert!(!names.is_empty(), "the table has triggers to drop");
            for n in names {
                c.batch_execute(&format!("DROP TRIGGER {}", n.name))
                    .expect("drop trigger");
            }
        }
    }
}

fn ids(conn: &mut DbConnection) -> Vec<i32> {
    l::table.select(l::id).order(l::id).load(conn).expect("ids")
}

fn row(conn: &mut DbConnection, id: i32) -> (Fields, String) {
    l::table
        .find(id)
        .select((Fields::as_select(), l::hash))
        .first(conn)
        .expect("row")
}

fn insert_row(conn: &mut DbConnection, id: i32, f: &Fields, hash: &str) {
    diesel::insert_into(l::table)
        .values((
            l::id.eq(id),
            l::at.eq(&f.at),
            l::user_id.eq(f.user_id),
            l::login.eq(&f.login),
            l::actor_org.eq(&f.actor_org),
            l::action.eq(&f.action),
            l::target_org.eq(&f.target_org),
            l::fiscal_year.eq(f.fiscal_year),
            l::detail.eq(&f.detail),
            l::address.eq(&f.address),
            l::hash.eq(hash),
        ))
        .execute(conn)
        .expect("insert row");
}

fn broken_at(conn: &mut DbConnection) -> Option<i32> {
    chain::verify(conn).expect("verify").broken.map(|b| b.id)
}

#[tokio::test]
async fn editing_deleting_or_inserting_a_row_behind_the_triggers_is_found() {
    let app = spawn_app().await;
    add_user(&app, "admin1", "MIC", Role::Admin);
    let mut admin = Browser::new(&app);
    admin.login("admin1").await;
    with_conn(&app, |c| {
        for n in 0..6 {
            oplog::record(c, &actor(n), "export", "011002", Some(2007), "テスト").expect("record");
        }
    });
    let page = admin.get("/oplog").await;
    assert!(page.body.contains("data-intact=\"true\""), "{}", page.body);
    // As the owner: what someone with the database's rights could do (the
    // application role may not switch triggers off).
    let mut conn =
        tenken::db::establish(&tenken::db::DatabaseUrl::parse(&app.owner_url).expect("owner url"))
            .expect("owner connection");
    let c: &mut DbConnection = &mut conn;
    let state = chain::verify(c).expect("verify");
    let all = ids(c);
    assert_eq!(state.entries as usize, all.len());
    assert!(state.is_intact(), "{state:?}");
    assert_eq!(state.last_id, all.last().copied());
    assert!(all.len() >= 8, "{all:?}");

    // With the triggers in place nothing can be changed at all.
    let victim = all[3];
    let refused = diesel::update(l::table.find(victim))
        .set(l::detail.eq("書き換え"))
        .execute(c);
    assert!(refused.is_err(), "the trigger refuses an UPDATE");
    assert!(diesel::delete(l::table.find(victim)).execute(c).is_err());

    drop_triggers(c);
    // Spread the ids apart (the id is not hashed: the chain still holds),
    // leaving room to insert rows between them.
    diesel::update(l::table)
        .set(l::id.eq(l::id * 10 + 100_000))
        .execute(c)
        .expect("renumber");
    if let DbConnection::Postgresql(pg) = &mut *c {
        // New entries (the page views below) go after the moved ones.
        pg.batch_execute(
            "SELECT setval(pg_get_serial_sequence('operation_log', 'id'), \
             (SELECT max(id) FROM operation_log))",
        )
        .expect("sequence");
    }
    assert_eq!(broken_at(c), None);
    let all = ids(c);
    let (before, victim, after) = (all[2], all[3], all[4]);
    let (original, original_hash) = row(c, victim);

    // 1. An edited row is the first that does not match.
    diesel::update(l::table.find(victim))
        .set(l::detail.eq("書き換え"))
        .execute(c)
        .expect("edit");
    assert_eq!(broken_at(c), Some(victim));
    // The CLI says so and fails; the administrator's page shows it.
    let (ok, out) = tenken(&app.database_url, &["oplog", "verify"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!("記録 ID {victim}（4 件目）で切れています"))
            && out.contains(&format!("記録 ID {before} までは一致")),
        "{out}"
    );
    let page = admin.get("/oplog").await;
    assert!(
        page.body.contains("data-intact=\"false\"")
            && page.body.contains(&format!("記録 ID {victim}（4 件目）")),
        "{}",
        page.body
    );
    // Putting the text back mends it.
    diesel::update(l::table.find(victim))
        .set(l::detail.eq(&original.detail))
        .execute(c)
        .expect("undo");
    assert_eq!(broken_at(c), None);

    // 2. A deleted row: the next one no longer matches.
    diesel::delete(l::table.find(victim))
        .execute(c)
        .expect("delete");
    assert_eq!(broken_at(c), Some(after));
    insert_row(c, victim, &original, &original_hash);
    assert_eq!(broken_at(c), None);

    // 3. A row inserted in the middle. With a made-up hash it is itself the
    // break; with a hash properly chained from the row before, the row after
    // it breaks.
    let mut forged = original.clone();
    forged.detail = "挿入された記録".into();
    insert_row(c, victim + 5, &forged, &"0".repeat(64));
    assert_eq!(broken_at(c), Some(victim + 5));
    diesel::delete(l::table.find(victim + 5))
        .execute(c)
        .expect("remove forged row");
    let prev = chain::from_hex(&original_hash).expect("hex");
    let chained = chain::to_hex(&chain::entry_hash(&prev, &forged));
    insert_row(c, victim + 5, &forged, &chained);
    assert_eq!(broken_at(c), Some(after));
    let (ok, out) = tenken(&app.database_url, &["oplog", "verify"]);
    assert!(!ok && out.contains(&format!("記録 ID {after}")), "{out}");
    diesel::delete(l::table.find(victim + 5))
        .execute(c)
        .expect("remove forged row");

    // 4. Swapping two rows' contents.
    let (a, a_hash) = row(c, before);
    diesel::delete(l::table.filter(l::id.eq_any([before, victim])))
        .execute(c)
        .expect("delete pair");
    insert_row(c, before, &original, &original_hash);
    insert_row(c, victim, &a, &a_hash);
    assert_eq!(broken_at(c), Some(before));

    let (ok, out) = tenken(&app.database_url, &["oplog", "verify"]);
    assert!(!ok && out.contains(&format!("記録 ID {before}")), "{out}");
    drop(conn);

    // A backup keeps the chain as it is, and the restore says it is broken.
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("tampered.backup");
    let file_s = file.to_str().expect("utf8");
    let (ok, out) = tenken(&app.database_url, &["backup", "--out", file_s]);
    assert!(ok, "{out}");
    let (ok, out) = tenken(&app.database_url, &["restore", file_s, "--force"]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("リストアしましたが")
            && out.contains(&format!("記録 ID {before}（3 件目）で切れています")),
        "{out}"
    );
}

#[tokio::test]
async fn the_cli_reports_an_intact_chain_with_its_head() {
    let app = spawn_app().await;
    with_conn(&app, |c| {
        oplog::record(c, &actor(1), "export", "", None, "a").expect("record");
        oplog::record(c, &actor(2), "export", "", None, "b").expect("record");
    });
    let (ok, out) = tenken(&app.database_url, &["oplog", "verify"]);
    assert!(ok, "{out}");
    let head = with_conn(&app, |c| chain::verify(c).expect("verify"));
    assert!(head.is_intact() && head.entries >= 2);
    assert!(
        out.contains(&format!("全 {} 件一致しています", head.entries)) && out.contains(&head.head),
        "{out}"
    );
}

#[tokio::test]
async fn concurrent_writers_keep_one_chain() {
    let app = spawn_app().await;
    let start_entries = with_conn(&app, |c| chain::verify(c).expect("verify").entries);
    const WRITERS: usize = 8;
    const EACH: usize = 40;
    // As the owner: the unchained comparison table is created here, which
    // the application role may not do.
    let url = app.owner_url.clone();

    // One writer alone: the cost of one chained entry in its own transaction.
    let mut solo = db::establish(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
    let t = Instant::now();
    for _ in 0..EACH {
        oplog::record(&mut solo, &actor(99), "export", "", None, "solo").expect("record");
    }
    let solo_ms = t.elapsed().as_secs_f64() * 1000.0 / EACH as f64;

    // The baseline: the same transactions writing two plain rows into a
    // table without a chain (no lock, no hash).
    solo.batch_execute(match solo {
        DbConnection::Postgresql(_) => {
            "CREATE TABLE plain_log (id INTEGER PRIMARY KEY GENERATED BY DEFAULT AS IDENTITY, detail TEXT NOT NULL)"
        }
        DbConnection::Sqlite(_) => {
            "CREATE TABLE plain_log (id INTEGER PRIMARY KEY AUTOINCREMENT, detail TEXT NOT NULL)"
        }
    })
    .expect("plain table");
    let t = Instant::now();
    let plain: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn =
                    db::establish(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
                for i in 0..EACH {
                    conn.transaction::<_, diesel::result::Error, _>(|c| {
                        for half in ["a", "b"] {
                            diesel::sql_query(format!(
                                "INSERT INTO plain_log (detail) VALUES ('{w}/{i}{half}')"
                            ))
                            .execute(c)?;
                        }
                        Ok(())
                    })
                    .expect("plain transaction");
                }
            })
        })
        .collect();
    for h in plain {
        h.join().expect("plain writer");
    }
    let plain_rate = (WRITERS * EACH * 2) as f64 / t.elapsed().as_secs_f64();

    let t = Instant::now();
    let handles: Vec<_> = (0..WRITERS)
        .map(|w| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn =
                    db::establish(&DatabaseUrl::parse(&url).expect("url")).expect("connect");
                let mut worst = 0.0f64;
                for i in 0..EACH {
                    let t = Instant::now();
                    // Two entries in one transaction: the lock is held from
                    // the first to the commit. (The transaction starts with a
                    // write: on SQLite a transaction that reads first and
                    // writes later can be refused with "database is locked"
                    // when another writer committed in between.)
                    conn.transaction::<_, tenken::error::AppError, _>(|c| {
                        oplog::record(c, &actor(w), "export", "", None, &format!("{w}/{i}a"))?;
                        oplog::record(c, &actor(w), "export", "", None, &format!("{w}/{i}b"))
                    })
                    .expect("transaction");
                    worst = worst.max(t.elapsed().as_secs_f64() * 1000.0);
                }
                worst
            })
        })
        .collect();
    let worst = handles
        .into_iter()
        .map(|h| h.join().expect("writer"))
        .fold(0.0f64, f64::max);
    let total = t.elapsed().as_secs_f64();
    let n = WRITERS * EACH * 2;
    let t = Instant::now();
    let state = with_conn(&app, |c| chain::verify(c).expect("verify"));
    let verify_rate = state.entries as f64 / t.elapsed().as_secs_f64();
    eprintln!(
        "oplog chain ({}): one writer {solo_ms:.2} ms/entry; {WRITERS} writers × {EACH} transactions of 2 entries: {:.0} entries/s chained against {plain_rate:.0} rows/s unchained, slowest chained transaction {worst:.1} ms; verify {verify_rate:.0} entries/s",
        if is_postgres() { "PostgreSQL" } else { "SQLite" },
        n as f64 / total,
    );

    assert!(state.is_intact(), "{}", state.describe());
    assert_eq!(state.entries, start_entries + (n + EACH) as u64);
    // Every writer's entries are all there.
    let per_writer: Vec<i64> = with_conn(&app, |c| {
        (0..WRITERS)
            .map(|w| {
                l::table
                    .filter(l::login.eq(format!("writer{w}")))
                    .count()
                    .get_result(c)
                    .expect("count")
            })
            .collect()
    });
    assert_eq!(per_writer, vec![2 * EACH as i64; WRITERS]);
}

#[tokio::test]
async fn rows_older_than_the_chain_are_sealed_in_order_by_the_migration() {
    use diesel_migrations::MigrationHarness;
    let dir = tempfile::tempdir().expect("tmp");
    // Empty: the migrations run one by one below.
    let database = TestDatabase::empty(&dir);
    let mut conn =
        db::establish(&DatabaseUrl::parse(&database.url).expect("url")).expect("connect");
    // The schema as it was before the chain: the first three migrations.
    for _ in 0..3 {
        match &mut conn {
            DbConnection::Sqlite(c) => c
                .run_next_migration(db::SQLITE_MIGRATIONS)
                .map(|_| ())
                .expect("migrate"),
            DbConnection::Postgresql(c) => c
                .run_next_migration(db::POSTGRES_MIGRATIONS)
                .map(|_| ())
                .expect("migrate"),
        }
    }
    conn.batch_execute(
        "INSERT INTO operation_log (at, login, action, detail) VALUES \
         ('2026-11-30T09:00:00Z', 'old1', 'login', ''), \
         ('2026-11-30T09:01:00Z', 'old2', 'export', '古い記録'), \
         ('2026-11-30T09:02:00Z', 'old3', 'logout', '')",
    )
    .expect("old rows");
    db::run_migrations(&mut conn).expect("migrate the rest");
    let hashes: Vec<String> = l::table
        .order(l::id)
        .select(l::hash)
        .load(&mut conn)
        .expect("hashes");
    assert_eq!(hashes.len(), 3);
    // Chained in id order from the genesis value.
    let rows: Vec<Fields> = l::table
        .order(l::id)
        .select(Fields::as_select())
        .load(&mut conn)
        .expect("rows");
    let mut prev = chain::GENESIS;
    for (f, h) in rows.iter().zip(&hashes) {
        let expected = chain::entry_hash(&prev, f);
        assert_eq!(h, &chain::to_hex(&expected), "{f:?}");
        prev = expected;
    }
    oplog::record(&mut conn, &actor(1), "export", "", None, "new").expect("record");
    let state = chain::verify(&mut conn).expect("verify");
    assert!(state.is_intact() && state.entries == 4, "{state:?}");
    // The sealing UPDATE is the only one the trigger lets through: a hash,
    // once set, cannot be changed.
    let again = diesel::update(l::table.filter(l::login.eq("old1")))
        .set(l::hash.eq("f".repeat(64)))
        .execute(&mut conn);
    assert!(again.is_err(), "a set hash stays");
    let other = diesel::update(l::table.filter(l::login.eq("old2")))
        .set(l::detail.eq("x"))
        .execute(&mut conn);
    assert!(other.is_err(), "other columns stay");
}
