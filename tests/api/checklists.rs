//! The checklists as shipped: counts, years, priority items, published
//! figures, and the validator's messages on broken files.

use std::path::Path;
use std::process::Command;

use tenken::checklists::{self, outline, Sources, Variant};
use tenken::domain::FiscalYear;

fn catalog() -> checklists::Catalog {
    checklists::load(&Sources::embedded()).expect("shipped checklists are valid")
}

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

#[test]
fn municipal_has_43_goals_and_126_items_in_2007() {
    let c = catalog();
    let m = c.checklist(Variant::Municipal);
    assert_eq!(m.goals_in(fy(2007)).count(), 43);
    assert_eq!(m.items_in(fy(2007)).count(), 126);
    let o = outline::build(&c, Variant::Municipal, fy(2007));
    assert_eq!((o.goal_count, o.item_count), (43, 126));
    assert_eq!(o.majors.len(), 5);
    let item = m.item("18-1").expect("18-1");
    assert_eq!(item.text, "操作履歴をチェックしている");
    assert_eq!(m.goal(18).map(|g| g.text.as_str()), Some("不正アクセスを分析するために、CSにおいてアプリケーションの操作履歴の記録を取得、保管している"));
}

#[test]
fn fy2003_leaves_out_43_x() {
    let c = catalog();
    let m = c.checklist(Variant::Municipal);
    let codes: Vec<&str> = m.items_in(fy(2003)).map(|i| i.code.as_str()).collect();
    assert_eq!(codes.len(), 123);
    assert!(!codes.iter().any(|c| c.starts_with("43-")));
    assert_eq!(m.goals_in(fy(2003)).count(), 42);
    assert_eq!(m.items_in(fy(2004)).count(), 126);
}

#[test]
fn national_agency_has_42_goals() {
    let c = catalog();
    let n = c.checklist(Variant::NationalAgency);
    assert_eq!(n.goals_in(fy(2007)).count(), 42);
    assert_eq!(n.items_in(fy(2007)).count(), 122);
    assert_eq!(
        n.item("26-5").map(|i| i.text.as_str()),
        Some("利用後、速やかに受領した本人確認情報を削除している")
    );
    assert_eq!(
        n.item("2-4").map(|i| i.code.as_str()),
        None,
        "agencies have no 委託管理規程 item"
    );
    assert_eq!(
        n.items_in(fy(2006)).count(),
        0,
        "the agency checklist starts in FY2007"
    );
}

#[test]
fn conditional_goals_follow_the_critical_room_answer() {
    let c = catalog();
    let m = c.checklist(Variant::Municipal);
    let with_room = [("has_critical_room".to_string(), true)]
        .into_iter()
        .collect();
    let without = [("has_critical_room".to_string(), false)]
        .into_iter()
        .collect();
    let codes = |conds| -> Vec<String> {
        m.applicable_items(fy(2007), conds)
            .iter()
            .map(|i| i.code.clone())
            .collect()
    };
    let a = codes(&with_room);
    let b = codes(&without);
    assert!(a.contains(&"7-1".to_string()) && !a.contains(&"8-1".to_string()));
    assert!(b.contains(&"8-1".to_string()) && !b.contains(&"7-1".to_string()));
    assert_eq!(a.len(), 126 - 3);
    assert_eq!(b.len(), 126 - 5);
}

#[test]
fn priority_items_of_every_year_as_published() {
    let c = catalog();
    let p = |y| c.priorities.of_year(Variant::Municipal, fy(y)).join(" ");
    assert_eq!(p(2007), "6-1 7-1 7-2 7-3 7-4 7-5 8-2 8-3 16-1 16-2 16-3 16-4 18-1 18-2 23-1 23-2 23-3 23-4 23-5 24-1");
    assert_eq!(c.priorities.of_year(Variant::Municipal, fy(2007)).len(), 20);
    assert_eq!(p(2003), "8-1 14-2 37-2 37-3 40-2 40-3 40-4");
    assert_eq!(
        p(2004),
        "11-1 11-2 11-3 11-4 11-5 12-2 17-1 17-2 17-3 17-4 17-5 22-1"
    );
    assert_eq!(
        p(2005),
        "1-1 1-2 1-4 1-5 1-6 2-1 2-2 2-3 2-4 3-1 4-1 5-1 5-2 5-3"
    );
    assert_eq!(p(2006), "25-1 25-2 25-3 25-4 26-1 26-2 26-3 26-4 26-5 26-6");
    assert_eq!(
        c.priorities
            .tag(Variant::Municipal, "8-1", fy(2007))
            .as_deref(),
        Some("【平成15年度重要点検項目】")
    );
    assert_eq!(c.priorities.tag(Variant::Municipal, "1-3", fy(2007)), None);
}

#[test]
fn published_figures_are_shipped() {
    let c = catalog();
    let f = |item: &str, y| c.published.figure(item, fy(y)).map(|f| f.average);
    assert_eq!(c.published.items.len(), 126 * 5 - 3);
    assert_eq!(f("18-1", 2003), Some(2.623));
    assert_eq!(f("18-1", 2007), Some(3.000));
    assert_eq!(f("36-1", 2005), Some(2.948));
    assert_eq!(f("43-1", 2003), None);
    let fig = c.published.figure("1-3", fy(2007)).expect("1-3");
    assert_eq!(fig.shares, Some([99.2, 0.8, 0.0]));
    assert_eq!(fig.improvement, Some(0.005));
    assert_eq!(
        c.published
            .overall
            .get(&fy(2007))
            .and_then(|o| o.organisations),
        Some(1824)
    );
}

fn copy_checklists(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("checklists");
    for rel in [
        "scale.toml",
        "variants/municipal.toml",
        "variants/national_agency.toml",
        "priority_items.toml",
        "published/municipal_national.csv",
        "published/municipal_overall.csv",
        "roster/local_governments_jisx0402.csv",
        "roster/municipality_types.csv",
    ] {
        let dest = to.join(rel);
        std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
        std::fs::copy(from.join(rel), &dest).expect("copy");
    }
}

fn tenken(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tenken"))
        .args(args)
        .output()
        .expect("run tenken");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn validate_names_file_line_and_id() {
    let dir = tempfile::tempdir().expect("tmp");
    copy_checklists(dir.path());
    let path = dir.path().join("variants/municipal.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    // Make 18-2 a second 18-1, and give goal 5 an empty text.
    let broken = text.replacen("id = \"18-2\"", "id = \"18-1\"", 1).replacen(
        "text = \"緊急時の事務処理体制を確立している\"",
        "text = \"\"",
        1,
    );
    assert_ne!(broken, text);
    std::fs::write(&path, &broken).expect("write");
    let dup_line = broken
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "id = \"18-1\"")
        .nth(1)
        .map(|(i, _)| i)
        .expect("dup");
    let dir_s = dir.path().to_str().expect("utf8");
    let (ok, _, err) = tenken(&["checklist", "validate", dir_s]);
    assert!(!ok, "validate must fail");
    // The [[item]] header is the line before the id.
    let expected = format!(
        "{dir_s}/variants/municipal.toml:{}: [18-1] sub-item defined twice",
        dup_line
    );
    assert!(err.contains(&expected), "missing «{expected}» in:\n{err}");
    assert!(err.contains("[goal 5] the text is empty"), "{err}");

    // Priority item that does not exist, and a published figure for 43-1 in 2003.
    copy_checklists(dir.path());
    let p = dir.path().join("priority_items.toml");
    let t = std::fs::read_to_string(&p)
        .expect("read")
        .replacen("\"8-1\"", "\"99-1\"", 1);
    std::fs::write(&p, t).expect("write");
    let csv = dir.path().join("published/municipal_national.csv");
    let mut t = std::fs::read_to_string(&csv).expect("read");
    t.push_str("43-1,2003,2.5,,,,\n");
    std::fs::write(&csv, t).expect("write");
    let (ok, _, err) = tenken(&["checklist", "validate", dir_s]);
    assert!(!ok);
    assert!(
        err.contains("priority_items.toml:3: [99-1] sub-item 99-1 does not exist in municipal"),
        "{err}"
    );
    assert!(
        err.contains(
            "municipal_national.csv:629: [43-1 2003] sub-item 43-1 does not apply in 2003"
        ),
        "{err}"
    );

    // A bad JIS code in the roster is refused with its line.
    copy_checklists(dir.path());
    let r = dir.path().join("roster/local_governments_jisx0402.csv");
    let t = std::fs::read_to_string(&r)
        .expect("read")
        .replacen("011002,", "011003,", 1);
    std::fs::write(&r, t).expect("write");
    let (ok, _, err) = tenken(&["checklist", "validate", dir_s]);
    assert!(!ok);
    assert!(err.contains("local_governments_jisx0402.csv:3: code: 団体コード「011003」の検査数字が合いません（2 のはずです）"), "{err}");
}

#[test]
fn shipped_files_validate_and_show_from_the_cli() {
    let (ok, out, err) = tenken(&[
        "checklist",
        "validate",
        concat!(env!("CARGO_MANIFEST_DIR"), "/checklists"),
    ]);
    assert!(ok, "{err}");
    assert!(
        out.contains("municipal: 43 goals, 126 sub-items — ok"),
        "{out}"
    );
    assert!(out.contains("roster: 1788 local governments — ok"), "{out}");
    let (ok, out, err) = tenken(&["checklist", "show", "municipal", "--year", "2007"]);
    assert!(ok, "{err}");
    assert!(out.contains("管理目標 43 / 小項目 126"), "{out}");
    assert_eq!(
        out.lines()
            .filter(|l| l.trim_start().starts_with('★'))
            .count(),
        20
    );
    let (ok, out, _) = tenken(&["checklist", "show", "municipal", "--year", "平成15年度"]);
    assert!(ok);
    assert!(
        out.contains("管理目標 42 / 小項目 123") && !out.contains("43-1"),
        "{out}"
    );
    let (ok, out, _) = tenken(&["checklist", "show", "national_agency", "--year", "H19"]);
    assert!(ok);
    assert!(out.contains("管理目標 42 / 小項目 122"), "{out}");
    let (ok, _, err) = tenken(&["checklist", "show", "municipal", "--year", "昭和60"]);
    assert!(!ok);
    assert!(err.contains("使える形"), "{err}");
}

#[test]
fn roster_rejects_a_bad_code_with_its_line() {
    let text = "code,prefecture,city,prefecture_kana,city_kana\n010006,北海道,,ﾎｯｶｲﾄﾞｳ,\n011003,北海道,札幌市,ﾎｯｶｲﾄﾞｳ,ｻｯﾎﾟﾛｼ\n";
    let errors = tenken::roster::parse("r.csv", text).expect_err("bad check digit");
    assert_eq!(
        errors,
        vec![
            "r.csv:3: code: 団体コード「011003」の検査数字が合いません（2 のはずです）".to_string()
        ]
    );
}
