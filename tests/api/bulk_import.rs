//! `tenken import answers` through the streamed bulk path (PostgreSQL COPY,
//! SQLite prepared INSERT): the table holds exactly the file; problems are
//! listed with their lines (capped, with the count) and nothing is stored.

use std::collections::BTreeMap;
use std::io::Write;

use diesel::prelude::*;
use serde_json::Value;
use tenken::checklists::Variant;
use tenken::db::schema::{answers as a, organisations as o};
use tenken::db::DbConnection;
use tenken::error::AppError;
use tenken::stats::import::{self, FileSource, MAX_LISTED};
use tenken::store::checklists;

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::stats::fy;

type Stored = BTreeMap<(String, i32, String), (i32, i32, String)>;

/// Every stored answer: (org code, year, item) → (item id, score, comment).
fn stored(c: &mut DbConnection) -> Stored {
    a::table
        .inner_join(o::table)
        .select((
            o::code,
            a::fiscal_year,
            a::item_code,
            a::item_id,
            a::score,
            a::comment,
        ))
        .load::<(String, i32, String, i32, i32, String)>(c)
        .expect("answers")
        .into_iter()
        .map(|(org, y, item, id, score, comment)| ((org, y, item), (id, score, comment)))
        .collect()
}

fn write_file(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    let mut f = std::fs::File::create(&path).expect("create");
    f.write_all(text.as_bytes()).expect("write");
    path
}

fn load(app: &TestApp, path: &std::path::Path) -> Result<import::ImportReport, AppError> {
    let catalog = app.state.catalog.clone();
    let source = FileSource::new(path, None);
    with_conn(app, |c| {
        import::import(c, &catalog, &source, false, &mut |_, _| {})
    })
}

fn problems(r: Result<import::ImportReport, AppError>) -> Vec<String> {
    match r {
        Err(AppError::Invalid(p)) => p,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// Comments COPY's text format and CSV quoting must carry unchanged.
const COMMENTS: [&str; 6] = [
    "",
    "規程あり",
    "tab\there",
    "two\nlines",
    "back\\slash, \"quoted\"",
    "\\N",
];

#[tokio::test]
async fn the_streamed_load_stores_exactly_the_file() {
    let app = spawn_app().await;
    let (orgs, items) = with_conn(&app, |c| {
        let orgs: Vec<String> = o::table
            .filter(o::kind.eq("municipality"))
            .order(o::code)
            .limit(40)
            .select(o::code)
            .load(c)
            .expect("municipalities");
        let items = checklists::item_ids(c, Variant::Municipal, fy(2007)).expect("items");
        (orgs, items)
    });
    let mut codes: Vec<(&String, &i32)> = items.iter().collect();
    codes.sort();
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([
        "org_code",
        "fiscal_year",
        "item",
        "score",
        "comment",
        "reason",
    ])
    .expect("header");
    let mut expected = Stored::new();
    for (i, org) in orgs.iter().enumerate() {
        for (j, (item, id)) in codes.iter().enumerate() {
            let score = ((i * 7 + j) % 4) as i32;
            let comment = COMMENTS[(i + j) % COMMENTS.len()];
            let reason = if score == 0 && j % 2 == 0 {
                "端末なし"
            } else {
                ""
            };
            let year = if (i + j) % 3 == 0 {
                "平成19年度"
            } else {
                "2007"
            };
            csv.write_record([org, year, item, &score.to_string(), comment, reason])
                .expect("row");
            let kept = match (reason.is_empty(), comment.trim().is_empty()) {
                (true, _) => comment.trim().to_string(),
                (false, true) => reason.to_string(),
                (false, false) => format!("{reason}\n{}", comment.trim()),
            };
            expected.insert((org.clone(), 2007, item.to_string()), (**id, score, kept));
        }
    }
    let text = String::from_utf8(csv.into_inner().expect("csv")).expect("utf-8");
    let dir = tempfile::tempdir().expect("dir");
    let path = write_file(&dir, "national.csv", &text);
    let report = load(&app, &path).expect("import");
    assert_eq!(
        (
            report.rows,
            report.inserted,
            report.organisations,
            report.years.clone()
        ),
        (expected.len(), expected.len(), 40, vec![2007])
    );
    assert_eq!(with_conn(&app, stored), expected);
    let t: Value = app
        .get("/api/v1/stats/national/2007")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(t["organisations"], 40, "the table sees the loaded year");
}

#[tokio::test]
async fn problems_are_capped_with_their_count_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut text = String::from("org_code,fiscal_year,item,score\n011002,2007,1-1,3\n");
    for _ in 0..MAX_LISTED + 500 {
        text.push_str("011002,2007,1-2,9\n");
    }
    text.push_str("011002,2007,1-1,2\n");
    let dir = tempfile::tempdir().expect("dir");
    let path = write_file(&dir, "many.csv", &text);
    let shown = path.display().to_string();
    let p = problems(load(&app, &path));
    assert_eq!(p.len(), MAX_LISTED + 2);
    assert_eq!(
        p[0],
        format!("{shown}:3行目 score: 「9」は 0〜3 のいずれでもありません")
    );
    assert_eq!(
        p[MAX_LISTED],
        format!("…ほか 501 件（問題は全部で 1501 件、最初の {MAX_LISTED} 件だけを示しています）")
    );
    assert_eq!(
        p[MAX_LISTED + 1],
        "問題のある行があるため、何も取り込んでいません"
    );
    assert!(with_conn(&app, stored).is_empty(), "nothing stored");
}

#[tokio::test]
async fn answers_already_stored_are_named_by_line_and_nothing_is_stored() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().expect("dir");
    let first = write_file(
        &dir,
        "first.csv",
        "org_code,fiscal_year,item,score\n011002,2007,1-1,3\n011002,2007,1-2,2\n",
    );
    assert_eq!(load(&app, &first).expect("first").inserted, 2);
    let before = with_conn(&app, stored);

    // A duplicate in the file comes first; stored answers are named once
    // the file is otherwise good (as on both backends).
    let both = write_file(
        &dir,
        "both.csv",
        "org_code,fiscal_year,item,score\n012025,2007,1-1,1\n011002,2007,1-2,1\n012025,2007,1-1,0\n",
    );
    let shown = both.display().to_string();
    assert_eq!(
        problems(load(&app, &both)),
        vec![
            format!("{shown}:4行目 org_code: 団体 012025・平成19年度（2007年度）・小項目 1-1 の回答は 2行目にもあります（同じ団体・年度・小項目は1行だけ）"),
            "問題のある行があるため、何も取り込んでいません".to_string(),
        ]
    );
    let stored_only = write_file(
        &dir,
        "again.csv",
        "org_code,fiscal_year,item,score\n012025,2007,1-1,1\n011002,2007,1-2,1\n011002,2007,1-1,0\n",
    );
    let shown = stored_only.display().to_string();
    assert_eq!(
        problems(load(&app, &stored_only)),
        vec![
            format!("{shown}:3行目 org_code: 団体 011002・平成19年度（2007年度）・小項目 1-2 には既に回答があります（置き換えるには --replace）"),
            format!("{shown}:4行目 org_code: 団体 011002・平成19年度（2007年度）・小項目 1-1 には既に回答があります（置き換えるには --replace）"),
            "問題のある行があるため、何も取り込んでいません".to_string(),
        ]
    );
    assert_eq!(with_conn(&app, stored), before, "nothing stored");
}
