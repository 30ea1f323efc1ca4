//! Download, fill, upload and read back; an upload into a sheet started from
//! last year; refused uploads store nothing.

use super::*;

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
