//! Start from last year: a new sheet prefilled with the previous year's
//! answers, each 未確認 until confirmed or changed; no submission before every
//! carried item is confirmed; an item whose text changed between the years
//! is never prefilled; changed items are highlighted for the clerk and the
//! prefecture's review.

use std::path::Path;

use tenken::auth::{Actor, Role};
use tenken::checklists::Variant;
use tenken::domain::Score;
use tenken::store::organisations;
use tenken::workflow::{ops, Entries, Entry};

use crate::helpers::{spawn_app_with, with_conn, TestApp};
use crate::wf_support::{
    add_user, answers_of, fy, open_round, pairs, sheet_form, sheet_state, Browser,
};
use crate::workflow_walk::row_of;

const SHEET: &str = "/answers/011002/2007";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// The shipped checklists with 43-3 reworded from 2007.
fn reworded(dir: &Path) {
    copy_dir(Path::new("checklists"), dir);
    let file = dir.join("variants/municipal.toml");
    let text = std::fs::read_to_string(&file).expect("read");
    let old = "text = \"住民から受領した顔写真について、適切に廃棄・管理している\"\nsince = 2004\n";
    assert!(text.contains(old));
    let new = format!(
        "{old}\n[[item.revision]]\nfrom = 2007\ntext = \"住民から受領した顔写真を、規程に従い適切に廃棄・管理している\"\n"
    );
    std::fs::write(&file, text.replace(old, &new)).expect("write");
}

/// 札幌's 2006 sheet, submitted: every item 3, except 1-1 answered 0 with
/// its reason; no 重要機能室.
pub(crate) fn last_year(app: &TestApp) {
    open_round(app, Variant::Municipal, 2006);
    with_conn(app, |c| {
        let org = organisations::find(c, "011002").expect("q").expect("org");
        let list = app.state.catalog.checklist(Variant::Municipal);
        let mut entries = Entries {
            has_critical_room: Some(false),
            ..Default::default()
        };
        for item in list.applicable_items(fy(2006), &entries.conditions()) {
            let (score, comment) = if item.code == "1-1" {
                (0, "窓口端末がない")
            } else {
                (3, "")
            };
            entries.items.insert(
                item.code.clone(),
                Entry {
                    score: Score::new(score).ok(),
                    comment: comment.into(),
                    ..Default::default()
                },
            );
        }
        let posting = ops::Posting {
            version: 0,
            entries: &entries,
            submit: true,
        };
        let saved = ops::save(c, &Actor::default(), &org, fy(2006), list, posting).expect("save");
        assert!(format!("{saved:?}").starts_with("Submitted"), "{saved:?}");
    });
}

#[tokio::test]
async fn a_sheet_started_from_last_year_cannot_be_submitted_until_every_item_is_confirmed() {
    let dir = tempfile::tempdir().expect("tempdir");
    reworded(dir.path());
    let checklists = dir.path().to_path_buf();
    let app = spawn_app_with(move |s| s.checklists_dir = Some(checklists)).await;
    last_year(&app);
    open_round(&app, Variant::Municipal, 2007);
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    let mut city = Browser::new(&app);
    city.login("sapporo1").await;

    let page = city.get(SHEET).await.body;
    assert!(page.contains("前年度の回答から始める"), "offered");
    // A stale form (the sheet started meanwhile) is a conflict.
    let stale = city
        .post(&format!("{SHEET}/carry"), &pairs(&[("version", "3")]))
        .await;
    assert_eq!(stale.status, 409);
    let r = city
        .post(&format!("{SHEET}/carry"), &pairs(&[("version", "0")]))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // 121 items apply without a 重要機能室; 43-3 was reworded: not carried.
    let stored = answers_of(&app, "011002", 2007);
    assert_eq!(stored.len(), 120);
    assert!(!stored.iter().any(|(c, _)| c == "43-3"));
    assert!(stored.contains(&("1-1".to_string(), 0)));
    let page = city.get(SHEET).await.body;
    assert!(
        page.contains("前年度から引き継いだ未確認の小項目: 120 件"),
        "{page}"
    );
    assert!(row_of(&page, "item-1-1").contains("未確認"));
    assert!(!row_of(&page, "item-43-3").contains("未確認"));
    assert!(!page.contains("前年度の回答から始める"), "only once");
    // Starting again is refused.
    let again = city
        .post(&format!("{SHEET}/carry"), &pairs(&[("version", "0")]))
        .await;
    assert_eq!(again.status, 409);

    // Submitting as is: refused, every carried item is named.
    let version = sheet_state(&app, "011002", 2007)
        .expect("sheet")
        .1
        .to_string();
    let mut form = sheet_form(&app, &version, "submit", &[("1-1", "0")], &[], &[]);
    form.retain(|(k, _)| k != "comment_1-1");
    form.push(("comment_1-1".into(), "窓口端末がない".into()));
    let r = city.post(SHEET, &form).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r
        .body
        .contains("前年度から引き継いだ回答のうち未確認の小項目が 120 件あります"));
    assert_eq!(sheet_state(&app, "011002", 2007).expect("sheet").0, "draft");

    // Every item confirmed but 1-2: still refused, naming 1-2 only.
    let version = sheet_state(&app, "011002", 2007)
        .expect("sheet")
        .1
        .to_string();
    let mut form = sheet_form(&app, &version, "submit", &[("1-1", "0")], &[], &[]);
    form.retain(|(k, _)| k != "comment_1-1");
    form.push(("comment_1-1".into(), "窓口端末がない".into()));
    let codes: Vec<String> = stored.iter().map(|(c, _)| c.clone()).collect();
    for c in codes.iter().filter(|c| *c != "1-2") {
        form.push((format!("confirm_{c}"), "1".into()));
    }
    let r = city.post(SHEET, &form).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r
        .body
        .contains("未確認の小項目が 1 件あります。確認するか回答を変更してください: 1-2"));
    assert!(row_of(&r.body, "item-1-2").contains("未確認"));
    assert!(!row_of(&r.body, "item-1-1").contains("未確認"));

    // Changing 1-2 confirms it: now the sheet is submitted.
    let version = sheet_state(&app, "011002", 2007)
        .expect("sheet")
        .1
        .to_string();
    let mut form = sheet_form(
        &app,
        &version,
        "submit",
        &[("1-1", "0"), ("1-2", "2")],
        &["1-2"],
        &[],
    );
    form.retain(|(k, _)| k != "comment_1-1");
    form.push(("comment_1-1".into(), "窓口端末がない".into()));
    let r = city.post(SHEET, &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        sheet_state(&app, "011002", 2007).expect("sheet").0,
        "submitted"
    );

    // The prefecture's review highlights the item changed against last year.
    add_user(&app, "hokkaido1", "010006", Role::Prefecture);
    let mut pref = Browser::new(&app);
    pref.login("hokkaido1").await;
    let review = pref.get("/review/011002/2007").await.body;
    assert!(row_of(&review, "item-1-2").contains("前年度から変更"));
    assert!(!row_of(&review, "item-1-3").contains("前年度から変更"));
    assert_eq!(review.matches("changed-badge").count(), 1);
}
