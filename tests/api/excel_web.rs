//! Workbooks over HTTP: a municipality downloads its 調査票, fills it
//! programmatically and uploads it with the CSRF token; the answers, the
//! 重要機能室 answer and the plans are read back from the database. Every
//! refusal leaves the data as it was. The 改善計画書 export is read back with
//! calamine.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::db::schema::{improvement_plans as ip, operation_log as l, submissions as s};
use tenken::domain::Score;
use tenken::store::organisations;
use tenken::store::submissions::{PlanFields, Progress};
use tenken::workflow::{ops, Entries, Entry};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{
    add_user, answers_of, fingerprint, fy, input_value, open_round, pairs, sheet_form, sheet_state,
    Browser, Response,
};
use crate::xlsx::{entries, put, Form, Put, SHEET_XML};

const SAPPORO: &str = "011002";
const HAKODATE: &str = "012025";
const AOMORI: &str = "022012";
const FORM: &str = "/answers/011002/2007/form.xlsx";
const UPLOAD: &str = "/answers/011002/2007/upload";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A multipart body as a browser sends the upload form: the token first.
fn multipart(csrf: Option<&str>, file: &[u8], file_name: &str) -> (String, Vec<u8>) {
    let boundary = "----tenkenTestBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    if let Some(token) = csrf {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: {XLSX}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload_as(
    b: &Browser,
    path: &str,
    csrf: Option<&str>,
    file: &[u8],
    file_name: &str,
) -> Response {
    let (content_type, body) = multipart(csrf, file, file_name);
    let r = b
        .client
        .post(format!("{}{path}", b.base))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("upload");
    let status = r.status().as_u16();
    Response {
        status,
        location: String::new(),
        body: r.text().await.expect("body"),
    }
}

async fn upload(b: &Browser, file: &[u8]) -> Response {
    upload_as(b, UPLOAD, Some(&b.csrf), file, "sapporo.xlsx").await
}

async fn download(b: &Browser, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = b
        .client
        .get(format!("{}{path}", b.base))
        .send()
        .await
        .expect("download");
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let headers = r.headers().clone();
    (headers, r.bytes().await.expect("bytes").to_vec())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// The `<li>` texts of a list with this id.
fn list_items(html: &str, id: &str) -> Vec<String> {
    let Some(at) = html.find(&format!("id=\"{id}\"")) else {
        return Vec::new();
    };
    let end = at + html[at..].find("</ul>").expect("</ul>");
    html[at..end]
        .split("<li>")
        .skip(1)
        .map(|li| li.trim_end_matches("</li>").to_string())
        .collect()
}

async fn sapporo(app: &TestApp) -> Browser {
    add_user(app, "sapporo1", SAPPORO, Role::Municipality);
    let mut b = Browser::new(app);
    b.login("sapporo1").await;
    b
}

/// Applicable items without a 重要機能室 (121), in checklist order.
fn items(app: &TestApp) -> Vec<String> {
    let conds = BTreeMap::from([("has_critical_room".to_string(), false)]);
    app.state
        .catalog
        .checklist(Variant::Municipal)
        .applicable_items(fy(2007), &conds)
        .iter()
        .map(|i| i.code.clone())
        .collect()
}

/// Every applicable item 3 (いいえ to the 重要機能室), except `scores`; the
/// plan texts of `plans` (H–K) as given.
fn fill(
    app: &TestApp,
    form: &Form,
    scores: &[(&str, Put<'static>)],
    plans: &[(&str, [&'static str; 4])],
) -> Vec<u8> {
    let mut cells = vec![(form.answer("cond:has_critical_room"), Put::Text("いいえ"))];
    for code in items(app) {
        let key = format!("item:{code}");
        let value = scores
            .iter()
            .find(|(c, _)| *c == code)
            .map_or(Put::Num(3.0), |(_, p)| *p);
        if matches!(value, Put::Num(v) if v == 0.0) {
            // An answer 0 needs its reason in the comment (G).
            let row = form.row(&key);
            cells.push((format!("G{row}"), Put::Text("該当する業務がない")));
        }
        cells.push((form.answer(&key), value));
    }
    for (code, texts) in plans {
        let row = form.row(&format!("item:{code}"));
        for (col, text) in ['H', 'I', 'J', 'K'].into_iter().zip(texts) {
            cells.push((format!("{col}{row}"), Put::Text(text)));
        }
    }
    put(&form.bytes, &cells)
}

const PLAN_12: [&str; 4] = ["規程が古い", "規程を改訂する", "情報政策課長", "2008/3/31"];
const PLAN_13: [&str; 4] = [
    "訓練をしていない",
    "年2回訓練する",
    "危機管理課",
    "2008-06-30",
];

/// Stored plans of a sheet: (item, 現状, 改善策, 担当者, 目標期日).
fn plans_of(app: &TestApp, code: &str) -> Vec<(String, String, String, String, String)> {
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        ip::table
            .inner_join(s::table)
            .filter(s::organisation_id.eq(org.id))
            .filter(s::fiscal_year.eq(2007))
            .order(ip::item_code)
            .select((
                ip::item_code,
                ip::present_state,
                ip::measure,
                ip::person_in_charge,
                ip::target_date,
            ))
            .load(c)
            .expect("plans")
    })
}

fn room_of(app: &TestApp, code: &str) -> Option<bool> {
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        s::table
            .filter(s::organisation_id.eq(org.id))
            .select(s::has_critical_room)
            .first::<Option<bool>>(c)
            .expect("sheet")
    })
}

/// The operation log entries of one action: (login, target, detail).
fn logged(app: &TestApp, action: &str) -> Vec<(String, String, String)> {
    with_conn(app, |c| {
        l::table
            .filter(l::action.eq(action))
            .order(l::id)
            .select((l::login, l::target_org, l::detail))
            .load(c)
            .expect("log")
    })
}

#[tokio::test]
async fn download_fill_upload_and_read_the_answers_back() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    let city = sapporo(&app).await;

    // The sheet page links the download and offers the upload form.
    let page = city.get("/answers/011002/2007").await.body;
    assert!(page.contains("href=\"/answers/011002/2007/form.xlsx\""));
    assert!(page.contains("action=\"/answers/011002/2007/upload\" enctype=\"multipart/form-data\""));
    let version_before = input_value(&page, "version").expect("version");
    assert_eq!(version_before, "0");

    let (headers, bytes) = download(&city, FORM).await;
    assert_eq!(header(&headers, "content-type"), XLSX);
    // 調査票_札幌市_平成19年度.xlsx, percent-encoded as UTF-8 (RFC 5987).
    assert_eq!(
        header(&headers, "content-disposition"),
        "attachment; filename=\"tenken-form-011002-2007.xlsx\"; filename*=UTF-8''%E8%AA%BF%E6%9F%BB%E7%A5%A8_%E6%9C%AD%E5%B9%8C%E5%B8%82_%E5%B9%B3%E6%88%9019%E5%B9%B4%E5%BA%A6.xlsx"
    );
    assert_eq!(
        logged(&app, "export"),
        vec![(
            "sapporo1".to_string(),
            SAPPORO.to_string(),
            "調査票のブック tenken-form-011002-2007.xlsx".to_string()
        )]
    );

    let form = Form::new(bytes);
    let filled = fill(
        &app,
        &form,
        &[
            ("1-2", Put::Num(2.0)),
            ("1-3", Put::Text("１")),
            ("5-1", Put::Num(0.0)),
        ],
        &[("1-2", PLAN_12), ("1-3", PLAN_13)],
    );
    let r = upload(&city, &filled).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains(
            "札幌市 (011002) 平成19年度（2007年度）: 回答 121 件（新規 121、変更 0、変更なし 0）"
        ),
        "{}",
        r.body
    );
    assert!(r.body.contains("<dd id=\"upload-room\">いいえ</dd>"));
    assert_eq!(
        list_items(&r.body, "upload-plans"),
        vec![
            "1-2: 規程を改訂する（目標期日 2008-03-31）",
            "1-3: 年2回訓練する（目標期日 2008-06-30）"
        ]
    );
    assert!(
        list_items(&r.body, "upload-warnings").is_empty(),
        "{}",
        r.body
    );

    // The same answers from the database.
    let stored = answers_of(&app, SAPPORO, 2007);
    assert_eq!(stored.len(), 121);
    let expected: Vec<(String, i32)> = {
        let mut v: Vec<(String, i32)> = items(&app)
            .into_iter()
            .map(|c| {
                let score = match c.as_str() {
                    "1-2" => 2,
                    "1-3" => 1,
                    "5-1" => 0,
                    _ => 3,
                };
                (c, score)
            })
            .collect();
        v.sort();
        v
    };
    assert_eq!(stored, expected);
    assert_eq!(sheet_state(&app, SAPPORO, 2007), Some(("draft".into(), 1)));
    assert_eq!(room_of(&app, SAPPORO), Some(false));
    assert_eq!(
        plans_of(&app, SAPPORO),
        vec![
            (
                "1-2".into(),
                "規程が古い".into(),
                "規程を改訂する".into(),
                "情報政策課長".into(),
                "2008-03-31".into()
            ),
            (
                "1-3".into(),
                "訓練をしていない".into(),
                "年2回訓練する".into(),
                "危機管理課".into(),
                "2008-06-30".into()
            ),
        ]
    );
    assert_eq!(
        logged(&app, "form_import"),
        vec![(
            "sapporo1".to_string(),
            SAPPORO.to_string(),
            "版 0 → 1、回答 121 件（新規 121、変更 0、変更なし 0）、改善計画 2 件".to_string()
        )]
    );

    // A save from the page loaded before the upload conflicts.
    let stale = sheet_form(&app, &version_before, "save", &[], &[], &[]);
    let r = city.post("/answers/011002/2007", &stale).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(
        answers_of(&app, SAPPORO, 2007),
        expected,
        "nothing overwritten"
    );

    // The page shows the uploaded sheet; downloading again prefills it all.
    let page = city.get("/answers/011002/2007").await.body;
    assert!(page.contains(">121 / 121</span> 項目回答済"), "{page}");
    let again = Form::new(download(&city, FORM).await.1);
    let row = again.row("item:1-2");
    assert_eq!(
        again.value(&format!("I{row}")),
        Some(&tenken::excel::form_import::Value::Text(
            "規程を改訂する".into()
        ))
    );
    assert_eq!(
        again.value(&again.answer("cond:has_critical_room")),
        Some(&tenken::excel::form_import::Value::Text("いいえ".into()))
    );

    // A second upload lists what changed against the answers on file.
    let changed = fill(
        &app,
        &again,
        &[
            ("1-1", Put::Num(2.0)),
            ("1-2", Put::Num(3.0)),
            ("1-3", Put::Num(1.0)),
            ("5-1", Put::Num(0.0)),
        ],
        &[("1-1", ["未整備", "整備する", "課長", "2008-09-30"])],
    );
    let r = upload(&city, &changed).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        list_items(&r.body, "upload-changes"),
        vec!["1-1: 3 → 2", "1-2: 2 → 3"]
    );
    assert!(r
        .body
        .contains("回答 121 件（新規 0、変更 2、変更なし 119）"));
    // The prefilled plan of 1-2 (now 3) is not taken: the importer says so.
    let warn = list_items(&r.body, "upload-warnings");
    assert_eq!(
        warn,
        vec![format!(
            "調査票!F{}: 1-2 は「3」なので改善計画は取り込みません",
            again.row("item:1-2")
        )]
    );
    assert_eq!(sheet_state(&app, SAPPORO, 2007), Some(("draft".into(), 2)));
    assert_eq!(
        plans_of(&app, SAPPORO)
            .iter()
            .map(|p| p.0.as_str())
            .collect::<Vec<_>>(),
        vec!["1-1", "1-2", "1-3"],
        "plans of the page are kept as they were"
    );

    // Submitted from the page: a further upload is refused, nothing changes.
    let page = city.get("/answers/011002/2007").await.body;
    let version = input_value(&page, "version").expect("version");
    let submit = sheet_form(
        &app,
        &version,
        "submit",
        &[("1-1", "2"), ("1-3", "1")],
        &["1-1", "1-3"],
        &[],
    );
    let r = city.post("/answers/011002/2007", &submit).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        sheet_state(&app, SAPPORO, 2007),
        Some(("submitted".into(), 3))
    );
    let before = fingerprint(&app);
    let r = upload(&city, &filled).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec!["平成19年度（2007年度） の回答は「提出済」のため、調査票のブックを取り込めません"]
    );
    assert_eq!(fingerprint(&app), before);
    // The submitted sheet offers no upload form any more.
    let page = city.get("/answers/011002/2007").await.body;
    assert!(!page.contains("/upload"));
}

#[tokio::test]
async fn an_upload_into_a_sheet_started_from_last_year_confirms_its_items() {
    let app = spawn_app().await;
    crate::carry::last_year(&app);
    open_round(&app, Variant::Municipal, 2007);
    let city = sapporo(&app).await;
    let r = city
        .post("/answers/011002/2007/carry", &pairs(&[("version", "0")]))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = city.get("/answers/011002/2007").await.body;
    assert!(
        page.contains("前年度から引き継いだ未確認の小項目: 121 件"),
        "{page}"
    );
    // The workbook states every answer, most of them as last year.
    let form = Form::new(download(&city, FORM).await.1);
    let file = fill(&app, &form, &[("1-1", Put::Num(0.0))], &[]);
    let r = upload(&city, &file).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let page = city.get("/answers/011002/2007").await.body;
    assert!(
        !page.contains("未確認の小項目"),
        "every carried item confirmed"
    );
    let version = sheet_state(&app, "011002", 2007)
        .expect("sheet")
        .1
        .to_string();
    let mut form = sheet_form(&app, &version, "submit", &[("1-1", "0")], &[], &[]);
    form.retain(|(k, _)| k != "comment_1-1");
    form.push(("comment_1-1".into(), "窓口端末がない".into()));
    form.push(("confirm".into(), "1".into()));
    let r = city.post("/answers/011002/2007", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        sheet_state(&app, "011002", 2007).expect("sheet").0,
        "submitted"
    );
}

#[tokio::test]
async fn refused_uploads_store_nothing() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    let city = sapporo(&app).await;
    let form = Form::new(download(&city, FORM).await.1);
    let good = fill(&app, &form, &[], &[]);

    // A bad cell: 400 with the cell and the reason, nothing stored.
    let f11 = form.answer("item:1-1");
    let bad = fill(&app, &form, &[("1-1", Put::Num(4.0))], &[]);
    let before = fingerprint(&app);
    let r = upload(&city, &bad).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec![format!("調査票!{f11}: 「4」は 0〜3 のいずれでもありません")]
    );

    // An answer 0 (該当しない) without its reason in the comment: refused,
    // naming the comment cell and the item.
    let g51 = format!("G{}", form.row("item:5-1"));
    let no_reason = put(
        &fill(&app, &form, &[("5-1", Put::Num(0.0))], &[]),
        &[(g51.clone(), Put::Blank)],
    );
    let r = upload(&city, &no_reason).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec![format!(
            "調査票!{g51}: 小項目 5-1 は「0 該当しない」です。該当しない理由をコメント欄に短く書いてください"
        )]
    );
    assert_eq!(fingerprint(&app), before);
    assert!(r
        .body
        .contains("取り込めませんでした（何も保存していません）"));
    assert_eq!(fingerprint(&app), before);
    assert_eq!(sheet_state(&app, SAPPORO, 2007), None, "no sheet created");

    // A plan whose 目標時期 is not a date (the answer page would refuse it).
    let k = format!("K{}", form.row("item:1-2"));
    let undated = fill(
        &app,
        &form,
        &[("1-2", Put::Num(2.0))],
        &[("1-2", ["古い", "改訂する", "課長", "来年度中"])],
    );
    let r = upload(&city, &undated).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec![format!(
            "調査票!{k}: 1-2 の改善計画の目標時期「来年度中」は日付として読めません（例: 2008-03-31）"
        )]
    );
    assert_eq!(fingerprint(&app), before);

    // Another organisation's workbook on one's own page.
    add_user(&app, "hakodate1", HAKODATE, Role::Municipality);
    let mut other = Browser::new(&app);
    other.login("hakodate1").await;
    let before = fingerprint(&app);
    let theirs = Form::new(download(&other, "/answers/012025/2007/form.xlsx").await.1);
    let r = upload(&city, &fill(&app, &theirs, &[], &[])).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec![format!(
            "調査票!{}: この調査票は団体コード 012025 のものです。団体コード 011002 の調査票を使ってください",
            theirs.answer("org")
        )]
    );

    // Another organisation's page: 403, whatever the workbook.
    let r = upload_as(&other, UPLOAD, Some(&other.csrf), &good, "a.xlsx").await;
    assert_eq!(r.status, 403);
    assert_eq!(
        crate::helpers::error_message(&r.body),
        "この操作の権限がありません"
    );

    // Without the CSRF token: refused before any handler runs.
    let r = upload_as(&city, UPLOAD, None, &good, "a.xlsx").await;
    assert_eq!(r.status, 403);
    assert!(
        r.body.contains("確認用の符号が無いか古くなっています"),
        "{}",
        r.body
    );
    let r = upload_as(&city, UPLOAD, Some(&"0".repeat(64)), &good, "a.xlsx").await;
    assert_eq!(r.status, 403);

    // No file chosen, an empty file, and a file over the importer's limit.
    let r = upload_as(&city, UPLOAD, Some(&city.csrf), &[], "").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec!["取り込む調査票のブック（.xlsx）を選んでから「取り込む」を押してください"]
    );
    let r = upload(&city, b"").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec!["ファイルが空です"]
    );
    let r = upload(&city, &vec![b'x'; 10 * 1024 * 1024 + 1]).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec!["ファイルが大きすぎます（上限 10.0 MiB）"]
    );
    assert_eq!(fingerprint(&app), before);

    // A closed round: 409, nothing stored.
    with_conn(&app, |c| {
        tenken::store::rounds::close(c, Variant::Municipal, fy(2007))
    })
    .expect("close");
    let before = fingerprint(&app);
    let r = upload(&city, &good).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        list_items(&r.body, "upload-problems"),
        vec!["平成19年度（2007年度） の点検は受付を締め切ったため、変更できません"]
    );
    assert_eq!(fingerprint(&app), before);
    assert!(answers_of(&app, SAPPORO, 2007).is_empty());
    assert!(
        logged(&app, "form_import").is_empty(),
        "refusals log no import"
    );
}

/// Saves (and submits) a sheet: every applicable item 3 except `scores`,
/// with the given plans.
fn save_sheet(
    app: &TestApp,
    code: &str,
    scores: &[(&str, u8)],
    plans: &[(&str, PlanFields)],
    submit: bool,
) {
    save_sheet_in(app, code, 2007, scores, plans, submit);
}

/// [`save_sheet`] in the fiscal year `year`.
fn save_sheet_in(
    app: &TestApp,
    code: &str,
    year: i32,
    scores: &[(&str, u8)],
    plans: &[(&str, PlanFields)],
    submit: bool,
) {
    with_conn(app, |c| {
        let org = organisations::find(c, code).expect("q").expect("org");
        let list = app.state.catalog.checklist(Variant::Municipal);
        let mut entries = Entries {
            has_critical_room: Some(false),
            items: Default::default(),
            confirmed: Default::default(),
        };
        for item in list.applicable_items(fy(year), &entries.conditions()) {
            let score = scores
                .iter()
                .find(|(c, _)| *c == item.code)
                .map_or(3, |(_, s)| *s);
            let plan = plans
                .iter()
                .find(|(c, _)| *c == item.code)
                .map(|(_, p)| p.clone())
                .unwrap_or_default();
            entries.items.insert(
                item.code.clone(),
                Entry {
                    score: Score::new(score.into()).ok(),
                    comment: String::new(),
                    plan,
                },
            );
        }
        let posting = ops::Posting {
            version: 0,
            entries: &entries,
            submit,
        };
        let saved = ops::save(c, &Actor::default(), &org, fy(year), list, posting).expect("save");
        let expected = if submit { "Submitted" } else { "Draft" };
        assert!(format!("{saved:?}").starts_with(expected), "{saved:?}");
    });
}

fn plan(present: &str, measure: &str, person: &str, target: &str) -> PlanFields {
    PlanFields {
        present_state: present.into(),
        measure: measure.into(),
        person_in_charge: person.into(),
        target_date: target.into(),
    }
}

/// Every cell of the export's sheet as text, row by row.
fn cells(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("xlsx");
    let range = book.worksheet_range("改善計画書").expect("sheet");
    assert_eq!(range.start(), Some((0, 0)));
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn plans_export_holds_the_items_below_three() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2007);
    save_sheet(
        &app,
        SAPPORO,
        &[("1-2", 2), ("1-3", 1)],
        &[
            (
                "1-2",
                plan("規程が古い", "規程を改訂する", "情報政策課長", "2008-03-31"),
            ),
            (
                "1-3",
                plan(
                    "訓練をしていない",
                    "年2回訓練する",
                    "危機管理課",
                    "2008-06-30",
                ),
            ),
        ],
        true,
    );
    save_sheet(&app, HAKODATE, &[("5-1", 2)], &[], false);
    save_sheet(&app, AOMORI, &[("2-1", 1)], &[], false);
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    add_user(&app, "mic1", "MIC", Role::Ministry);
    with_conn(&app, |c| {
        let org = organisations::find(c, SAPPORO).expect("q").expect("org");
        let reviewer = Actor {
            login: "hokkaido1".into(),
            ..Actor::default()
        };
        let input = ops::ReviewInput {
            version: 1,
            action: ops::ReviewAction::SaveAdvice,
            advice: vec![("1-2".into(), "改訂案を年内に示してください".into())],
            note: String::new(),
        };
        ops::review(c, &reviewer, &org, fy(2007), &input).expect("advice");
        let progress = [
            Progress {
                item_code: "1-2".into(),
                progress: "in_progress".into(),
                started_on: Some("2008-01-15".into()),
                completed_on: None,
                note: "案を作成中".into(),
            },
            Progress {
                item_code: "1-3".into(),
                progress: "done".into(),
                started_on: Some("2007-12-01".into()),
                completed_on: Some("2008-02-01".into()),
                note: String::new(),
            },
        ];
        ops::record_progress(c, &reviewer, &org, fy(2007), &progress).expect("progress");
    });

    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let page = pref.get("/prefectures/010006/2007").await.body;
    assert!(page.contains("href=\"/exports/plans/pref:010006/2007\""));
    let (headers, bytes) = download(&pref, "/exports/plans/pref:010006/2007").await;
    assert_eq!(
        header(&headers, "content-disposition"),
        "attachment; filename=\"tenken-plans-pref-010006-2007.xlsx\"; filename*=UTF-8''%E6%94%B9%E5%96%84%E8%A8%88%E7%94%BB%E6%9B%B8_%E5%8C%97%E6%B5%B7%E9%81%93_%E5%B9%B3%E6%88%9019%E5%B9%B4%E5%BA%A6.xlsx"
    );
    let list = app.state.catalog.checklist(Variant::Municipal);
    let text = |code: &str| list.item(code).expect("item").text_in(fy(2007)).to_string();
    let rows = cells(&bytes);
    assert_eq!(
        rows[0][0],
        "改善計画書　北海道（010006）管内の市区町村　平成19年度（2007年度）"
    );
    assert_eq!(
        rows[1][0],
        "評価が 1（整備していない）または 2（整備している）の小項目: 3 件・2 団体"
    );
    assert_eq!(
        rows[2],
        [
            "都道府県",
            "団体コード",
            "団体名",
            "状況",
            "小項目",
            "小項目の内容",
            "回答",
            "現状",
            "改善策",
            "担当者",
            "目標期日",
            "進捗",
            "着手日",
            "完了日",
            "進捗メモ",
            "都道府県の助言",
            "前年度評価",
            "今年度評価",
            "達成状況"
        ]
    );
    let row = |v: Vec<String>| v;
    assert_eq!(
        rows[3..].to_vec(),
        vec![
            row(vec![
                "北海道".into(),
                SAPPORO.into(),
                "札幌市".into(),
                "提出済".into(),
                "1-2".into(),
                text("1-2"),
                "2".into(),
                "規程が古い".into(),
                "規程を改訂する".into(),
                "情報政策課長".into(),
                "2008-03-31".into(),
                "実施中".into(),
                "2008-01-15".into(),
                String::new(),
                "案を作成中".into(),
                "改訂案を年内に示してください".into(),
                String::new(),
                "2".into(),
                String::new(),
            ]),
            row(vec![
                "北海道".into(),
                SAPPORO.into(),
                "札幌市".into(),
                "提出済".into(),
                "1-3".into(),
                text("1-3"),
                "1".into(),
                "訓練をしていない".into(),
                "年2回訓練する".into(),
                "危機管理課".into(),
                "2008-06-30".into(),
                "完了".into(),
                "2007-12-01".into(),
                "2008-02-01".into(),
                String::new(),
                String::new(),
                String::new(),
                "1".into(),
                String::new(),
            ]),
            row(vec![
                "北海道".into(),
                HAKODATE.into(),
                "函館市".into(),
                "入力中".into(),
                "5-1".into(),
                text("5-1"),
                "2".into(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                "2".into(),
                String::new(),
            ]),
        ]
    );
    // Autofilter over the header and the rows, frozen header, A4 landscape.
    let sheet = entries(&bytes)
        .into_iter()
        .find(|(n, _)| n == SHEET_XML)
        .map(|(_, d)| String::from_utf8(d).expect("utf-8"))
        .expect("sheet part");
    assert!(sheet.contains("<autoFilter ref=\"A3:S6\"/>"), "{sheet}");
    assert!(
        sheet.contains("<pane ySplit=\"3\" topLeftCell=\"A4\""),
        "{sheet}"
    );
    assert!(sheet.contains("paperSize=\"9\""), "{sheet}");
    assert!(sheet.contains("orientation=\"landscape\""), "{sheet}");

    // One organisation, as the municipality itself.
    let city = sapporo(&app).await;
    let page = city.get("/plans/011002/2007").await.body;
    assert!(page.contains("href=\"/exports/plans/org:011002/2007\""));
    let rows = cells(&download(&city, "/exports/plans/org:011002/2007").await.1);
    assert_eq!(
        rows[0][0],
        "改善計画書　札幌市（011002）　平成19年度（2007年度）"
    );
    assert_eq!(rows.len(), 5, "title, count, header, 1-2, 1-3");
    // Beyond its rights: another organisation, the prefecture, the nation.
    for path in [
        "/exports/plans/org:012025/2007",
        "/exports/plans/pref:010006/2007",
        "/exports/plans/national/2007",
    ] {
        assert_eq!(city.get(path).await.status, 403, "{path}");
    }
    assert_eq!(pref.get("/exports/plans/national/2007").await.status, 403);
    assert_eq!(
        pref.get("/exports/plans/pref:020001/2007").await.status,
        403
    );

    // The nation, as the ministry: 青森市 too.
    let mut mic = Browser::new(&app);
    mic.login("mic1").await;
    let rows = cells(&download(&mic, "/exports/plans/national/2007").await.1);
    assert_eq!(
        rows[0][0],
        "改善計画書　全国の市区町村　平成19年度（2007年度）"
    );
    let orgs: Vec<(&str, &str, &str)> = rows[3..]
        .iter()
        .map(|r| (r[0].as_str(), r[1].as_str(), r[4].as_str()))
        .collect();
    assert_eq!(
        orgs,
        vec![
            ("北海道", SAPPORO, "1-2"),
            ("北海道", SAPPORO, "1-3"),
            ("北海道", HAKODATE, "5-1"),
            ("青森県", AOMORI, "2-1"),
        ]
    );
    let agencies = cells(&download(&mic, "/exports/plans/agencies/2007").await.1);
    assert_eq!(
        agencies.len(),
        3,
        "no agency answered: title, count, header"
    );
    assert_eq!(agencies[2][15], "総務省の助言");

    assert_eq!(
        logged(&app, "export")
            .into_iter()
            .map(|(login, target, detail)| format!("{login} {target} {detail}"))
            .collect::<Vec<_>>(),
        vec![
            "hokkaido1 010006 改善計画書 pref:010006 3 行",
            "sapporo1 011002 改善計画書 org:011002 2 行",
            "mic1  改善計画書 national 4 行",
            "mic1  改善計画書 agencies 0 行",
        ]
    );
}

/// Two fiscal years through the workflow: Sapporo's FY2006 plans followed
/// into FY2007, one item per outcome.
#[tokio::test]
async fn plans_export_follows_last_years_plans_into_this_year() {
    let app = spawn_app().await;
    open_round(&app, Variant::Municipal, 2006);
    save_sheet_in(
        &app,
        SAPPORO,
        2006,
        &[("1-2", 2), ("1-3", 1), ("2-1", 2), ("5-1", 1)],
        &[
            ("1-2", plan("a", "b", "c", "2007-03-31")),
            ("1-3", plan("a", "b", "c", "2007-03-31")),
            ("2-1", plan("a", "b", "c", "2007-03-31")),
            ("5-1", plan("a", "b", "c", "2999-03-31")),
        ],
        true,
    );
    open_round(&app, Variant::Municipal, 2007);
    save_sheet_in(
        &app,
        SAPPORO,
        2007,
        &[("1-3", 2), ("2-1", 2), ("5-1", 1)],
        &[
            ("1-3", plan("a", "b", "c", "2008-03-31")),
            ("2-1", plan("a", "b", "c", "2008-03-31")),
            ("5-1", plan("a", "b", "c", "2008-03-31")),
        ],
        true,
    );
    let bytes = with_conn(&app, |c| {
        let scope = tenken::stats::Scope::parse("org:011002").expect("scope");
        let orgs = tenken::excel::plans_export::scope_orgs(c, &scope).expect("orgs");
        let doc = tenken::excel::plans_export::fetch(c, &app.state.catalog, orgs, fy(2007))
            .expect("fetch");
        tenken::excel::plans_export::build_plans(&doc).expect("workbook")
    });
    let rows = cells(&bytes);
    assert_eq!(rows[2][16..], ["前年度評価", "今年度評価", "達成状況"]);
    let got: Vec<(String, String, String, String)> = rows[3..]
        .iter()
        .map(|r| (r[4].clone(), r[16].clone(), r[17].clone(), r[18].clone()))
        .collect();
    let want = [
        ("1-2", "2", "3", "達成"),
        ("1-3", "1", "2", "一部改善"),
        ("2-1", "2", "2", "未達"),
        ("5-1", "1", "1", "期限前"),
    ];
    assert_eq!(
        got,
        want.map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    );
}
