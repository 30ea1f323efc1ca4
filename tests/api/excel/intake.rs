//! The command line's bulk intake, the export's refusals, and the
//! workflow's intake following the rounds.

use super::*;

#[test]
fn bulk_import_of_a_folder_reports_each_file_and_sums_up() {
    let mut env = env();
    let dir = tempfile::tempdir().expect("tempdir");
    let sapporo = export(&mut env, SAPPORO, 2007);
    let hakodate = export(&mut env, "012025", 2007);
    std::fs::write(
        dir.path().join("01_sapporo.xlsx"),
        filled(&env, &sapporo, true),
    )
    .expect("w");
    std::fs::write(
        dir.path().join("02_hakodate.xlsx"),
        filled(&env, &hakodate, false),
    )
    .expect("w");
    let bad = put(
        &filled(&env, &sapporo, true),
        &[("F37".into(), Put::Num(4.0))],
    );
    std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
    std::fs::write(dir.path().join("sub/03_bad.xlsx"), bad).expect("w");
    std::fs::write(dir.path().join("sub/04_text.xlsx"), "not a workbook").expect("w");
    std::fs::write(dir.path().join("sub/~$01_sapporo.xlsx"), "lock file").expect("w");
    std::fs::write(dir.path().join("notes.txt"), "ignored").expect("w");

    let mut out = Vec::new();
    let catalog = env.catalog.clone();
    let summary = bulk::run(
        &mut env.conn,
        &[dir.path().to_path_buf()],
        &Limits::DEFAULT,
        &mut |conn, bytes| import_for_year(conn, &catalog, bytes, fy(2007)),
        &mut out,
    )
    .expect("run");
    assert_eq!(summary.imported.len(), 2);
    assert_eq!(summary.refused.len(), 2);
    let out = String::from_utf8(out).expect("utf-8");
    let d = dir.path().display();
    assert!(out.starts_with(&format!(
        "取り込み: {d}/01_sapporo.xlsx\n  札幌市 (011002) 平成19年度（2007年度）: 回答 123 件（新規 123、変更 0、変更なし 0）\n  警告: "
    )), "{out}");
    assert!(out.ends_with(&format!(
        "\n取り込み 2 件、拒否 2 件\n拒否したファイル:\n  {d}/sub/03_bad.xlsx: 調査票!F37: 「4」は 0〜3 のいずれでもありません\n  {d}/sub/04_text.xlsx: xlsx 形式のファイルではありません（Excel ブック (*.xlsx) を選んでください）\n"
    )), "{out}");
    assert_eq!(stored(&mut env, SAPPORO, 2007).len(), 123);
    assert_eq!(stored(&mut env, "012025", 2007).len(), 121);
}

#[test]
fn bulk_import_refuses_another_year() {
    let mut env = env();
    let dir = tempfile::tempdir().expect("tempdir");
    let form = export(&mut env, SAPPORO, 2007);
    let path = dir.path().join("sapporo.xlsx");
    std::fs::write(&path, filled(&env, &form, true)).expect("w");
    let mut out = Vec::new();
    let catalog = env.catalog.clone();
    let summary = bulk::run(
        &mut env.conn,
        &[path],
        &Limits::DEFAULT,
        &mut |conn, bytes| import_for_year(conn, &catalog, bytes, fy(2008)),
        &mut out,
    )
    .expect("run");
    assert_eq!(summary.refused.len(), 1);
    assert_eq!(
        summary.refused[0].1,
        vec!["調査票!F3: この調査票は 平成19年度（2007年度） のものです。平成20年度（2008年度） の調査票を使ってください"]
    );
    assert!(stored(&mut env, SAPPORO, 2007).is_empty());
}

#[test]
fn export_refuses_unknown_and_non_answering_organisations() {
    let mut env = env();
    let err = form_data(&mut env.conn, &env.catalog, "999999", fy(2007)).expect_err("unknown");
    assert_eq!(err.to_string(), "団体コード「999999」は登録されていません");
    let err = form_data(&mut env.conn, &env.catalog, "MIC", fy(2007)).expect_err("ministry");
    assert_eq!(
        err.to_string(),
        "MIC 総務省 は調査票に回答する団体ではありません"
    );
}

/// `tenken import forms` goes through the workflow: a round must be open,
/// the sheet becomes 入力中 with the workbook's 重要機能室 answer, and the
/// intake is logged; a closed round refuses the workbook and stores nothing.
#[test]
fn workflow_intake_follows_the_rounds_and_the_sheet() {
    use tenken::store::{rounds, submissions};
    use tenken::workflow::upload::import_for_intake;
    let mut env = env();
    let form = export(&mut env, SAPPORO, 2007);
    let bytes = filled(&env, &form, true);
    let actor = tenken::auth::Actor::cli();
    let catalog = env.catalog.clone();

    let refused = import_for_intake(&mut env.conn, &catalog, &actor, fy(2007), &bytes)
        .expect_err("no round is open");
    assert!(matches!(refused, ImportRefusal::Closed(_)), "{refused:?}");
    assert!(stored(&mut env, SAPPORO, 2007).is_empty());

    let version = catalog.checklist(Variant::Municipal).version_label();
    rounds::open(
        &mut env.conn,
        Variant::Municipal,
        fy(2007),
        None,
        &version,
        &[],
    )
    .expect("open round");
    let report =
        import_for_intake(&mut env.conn, &catalog, &actor, fy(2007), &bytes).expect("imported");
    assert_eq!(report.answers, 123);
    assert_eq!(stored(&mut env, SAPPORO, 2007).len(), 123);
    let org = organisations::find(&mut env.conn, SAPPORO)
        .expect("q")
        .expect("札幌市");
    let sheet = submissions::find(&mut env.conn, org.id, fy(2007))
        .expect("q")
        .expect("sheet created");
    assert_eq!(sheet.status, "draft");
    assert_eq!(sheet.has_critical_room, Some(true));

    rounds::close(&mut env.conn, Variant::Municipal, fy(2007)).expect("close");
    let other = filled(&env, &form, false);
    let refused = import_for_intake(&mut env.conn, &catalog, &actor, fy(2007), &other)
        .expect_err("closed round");
    assert!(matches!(refused, ImportRefusal::Closed(_)), "{refused:?}");
    let after = submissions::find(&mut env.conn, org.id, fy(2007))
        .expect("q")
        .expect("sheet");
    assert_eq!(after.has_critical_room, Some(true), "nothing changed");
    assert_eq!(after.version, sheet.version);
}
