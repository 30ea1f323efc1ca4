//! The two migration trees stay one schema: the same version names, and
//! after migrating, each backend holds exactly the tables and columns that
//! `src/db/schema.rs` describes (name, type family, nullability). A column
//! added to one tree only, or to the migrations but not to `schema.rs`,
//! fails here on the backend the suite runs on (CI runs both).

use std::collections::BTreeMap;
use std::path::Path;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use tenken::db::DbConnection;

use crate::helpers::{is_postgres, spawn_app, with_conn};

/// `schema.rs` as diesel's CLI would write it: `table_name (pk) { col -> Type, }`.
const SCHEMA: &str = include_str!("../../src/db/schema.rs");

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    /// `int`, `bigint`, `text`, `bool`, `double` or `binary`.
    family: String,
    nullable: bool,
}

type Tables = BTreeMap<String, BTreeMap<String, Column>>;

fn family_of_diesel(ty: &str) -> String {
    match ty {
        "Integer" | "Int4" | "SmallInt" => "int",
        "BigInt" | "Int8" => "bigint",
        "Text" | "VarChar" | "Timestamp" | "Date" => "text",
        "Bool" => "bool",
        "Double" | "Float" => "double",
        "Binary" => "binary",
        other => panic!("schema.rs uses a type this test does not know: {other}"),
    }
    .to_string()
}

/// Tables and columns declared in `schema.rs`.
fn declared() -> Tables {
    let mut tables = Tables::new();
    let mut current: Option<String> = None;
    for line in SCHEMA.lines().map(str::trim) {
        if line.starts_with("diesel::table!") {
            continue;
        }
        if current.is_none() {
            // `name (pk) {`
            if let Some((name, rest)) = line.split_once(" (") {
                if rest.ends_with('{') && !name.contains(' ') && !name.is_empty() {
                    current = Some(name.to_string());
                    tables.insert(name.to_string(), BTreeMap::new());
                }
            }
            continue;
        }
        if line == "}" {
            current = None;
            continue;
        }
        let Some((col, ty)) = line.trim_end_matches(',').split_once(" -> ") else {
            continue;
        };
        let (nullable, inner) = match ty.strip_prefix("Nullable<") {
            Some(t) => (true, t.trim_end_matches('>')),
            None => (false, ty),
        };
        let table = current.clone().expect("inside a table");
        tables.entry(table).or_default().insert(
            col.trim().trim_start_matches("r#").to_string(),
            Column {
                family: family_of_diesel(inner.trim()),
                nullable,
            },
        );
    }
    tables
}

#[derive(QueryableByName, Debug)]
struct Row {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
    #[diesel(sql_type = Integer)]
    primary_key: i32,
}

fn family_of_sql(ty: &str) -> String {
    let t = ty.to_ascii_lowercase();
    let f = if t == "bigint" || t == "int8" {
        "bigint"
    } else if t.contains("int") || t == "serial" {
        "int"
    } else if t.contains("char") || t.contains("text") || t.starts_with("timestamp") || t == "date"
    {
        "text"
    } else if t.starts_with("bool") {
        "bool"
    } else if t.contains("double") || t == "real" || t.contains("float") {
        "double"
    } else if t == "blob" || t == "bytea" {
        "binary"
    } else {
        panic!("a column type this test does not know: {ty}")
    };
    f.to_string()
}

/// Tables and columns the migrated database holds.
fn introspected(conn: &mut DbConnection) -> Tables {
    let rows: Vec<Row> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type, \
                    p.\"notnull\" AS not_null, p.pk AS primary_key \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
               AND m.name NOT LIKE '\\_\\_diesel%' ESCAPE '\\'",
        )
        .load(c)
        .expect("sqlite columns"),
        DbConnection::Postgresql(c) => diesel::sql_query(
            "SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, \
                    c.data_type::text AS data_type, \
                    CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null, \
                    0 AS primary_key \
             FROM information_schema.columns c \
             JOIN information_schema.tables t \
               ON t.table_schema = c.table_schema AND t.table_name = c.table_name \
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' \
               AND c.table_name NOT LIKE '\\_\\_diesel%'",
        )
        .load(c)
        .expect("postgres columns"),
    };
    let mut tables = Tables::new();
    for r in rows {
        tables.entry(r.table_name).or_default().insert(
            r.column_name,
            Column {
                family: family_of_sql(&r.data_type),
                // SQLite lets an INTEGER PRIMARY KEY column be declared
                // without NOT NULL; it can never hold NULL.
                nullable: r.not_null == 0 && r.primary_key == 0,
            },
        );
    }
    tables
}

#[tokio::test]
async fn both_migration_trees_have_the_same_version_names() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |backend: &str| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(root.join(backend))
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let (sqlite, postgres) = (names("sqlite"), names("postgres"));
    assert!(sqlite.len() >= 8, "migrations found: {sqlite:?}");
    assert_eq!(sqlite, postgres, "the two trees name the same migrations");
    for dir in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    root.join(backend).join(dir).join(file).is_file(),
                    "{backend}/{dir}/{file} exists"
                );
            }
        }
    }
}

#[tokio::test]
async fn the_migrated_database_is_the_schema_that_schema_rs_describes() {
    let declared = declared();
    assert!(
        declared.contains_key("users") && declared.contains_key("operation_log"),
        "schema.rs parsed: {:?}",
        declared.keys().collect::<Vec<_>>()
    );
    let app = spawn_app().await;
    let actual = with_conn(&app, introspected);
    let declared_names: Vec<&String> = declared.keys().collect();
    let actual_names: Vec<&String> = actual.keys().collect();
    assert_eq!(
        declared_names, actual_names,
        "tables in schema.rs and in the database"
    );
    for (table, columns) in &declared {
        let got = &actual[table];
        assert_eq!(
            columns.keys().collect::<Vec<_>>(),
            got.keys().collect::<Vec<_>>(),
            "columns of {table}"
        );
        for (name, col) in columns {
            let (mut want, mut have) = (col.clone(), got[name].clone());
            // Every SQLite integer holds 64 bits: INTEGER and BIGINT are one
            // storage class there, so only PostgreSQL tells them apart.
            if !is_postgres() {
                for c in [&mut want, &mut have] {
                    if c.family == "bigint" {
                        c.family = "int".to_string();
                    }
                }
            }
            assert_eq!(have, want, "{table}.{name}: schema.rs vs database");
        }
    }
}
