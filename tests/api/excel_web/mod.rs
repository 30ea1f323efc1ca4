//! Workbooks over HTTP: a municipality downloads its 調査票, fills it
//! programmatically and uploads it with the CSRF token; the answers, the
//! 重要機能室 answer and the plans are read back from the database. Every
//! refusal leaves the data as it was. The 改善計画書 export is read back with
//! calamine.
//!
//! This file holds the fixtures (multipart upload, download, filling a form,
//! reading plans and the log back); `upload.rs` the upload tests,
//! `plans_export.rs` the 改善計画書 export.

mod plans_export;
mod upload;

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use diesel::prelude::*;
use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::db::schema::{improvement_plans as ip, operation_log as l, submissions as s};
use tenken::store::organisations;
use tenken::store::submissions::{PlanFields, Progress};
use tenken::workflow::ops;

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::wf_support::{
    add_user, answers_of, fingerprint, fy, input_value, open_round, pairs, save_sheet_in,
    sheet_form, sheet_state, Browser, Response,
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
