//! `tenken bench load` cannot rot: a short run with tiny numbers against
//! the real binary started on a test database saves every sheet, reports
//! every figure, and its final check finds a change made behind its back.

use std::time::Duration;

use diesel::prelude::*;
use tenken::bench::load::{run, LoadOptions, Server};
use tenken::bench::sheet::verify;
use tenken::checklists::Variant;
use tenken::config::Settings;
use tenken::db::schema::answers as a;
use tenken::store::{organisations, users};

use crate::helpers::{spawn_app, with_conn};
use crate::wf_support::fy;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_run_holds_each_sheets_last_save_and_reports_every_figure() {
    let app = spawn_app().await;
    let mut settings = Settings::new(app.database_url.clone());
    settings.migrate_database_url =
        (app.owner_url != app.database_url).then(|| app.owner_url.clone());
    let opts = LoadOptions {
        year: fy(2007),
        accounts: 3,
        clients: 2,
        readers: 1,
        duration: Duration::from_secs(3),
        changed: 5,
        official: false,
        data: None,
        probes: 4,
        seed: 3,
        server: Server::Spawn {
            exe: env!("CARGO_BIN_EXE_tenken").into(),
            args: vec!["--hash-workers".into(), "2".into()],
        },
    };
    let report = run(&settings, &opts).await.expect("load run");
    let text = report.to_text();
    println!("{text}");
    assert!(report.passed(), "{text}");
    assert_eq!(report.check.sheets, 3, "{text}");
    // FY2007: 126 sub-items, 121 or 122 applicable depending on 重要機能室.
    assert!(report.check.items >= 3 * 121, "{text}");
    assert!(report.saves.len() >= 3, "{text}");
    assert!(!report.page.is_empty() && !report.json.is_empty(), "{text}");
    assert_eq!(report.after_save_json.len(), 2, "{text}");
    assert_eq!(report.after_save_page.len(), 2, "{text}");
    assert!(report.peak_rss_kb.is_some_and(|kb| kb > 1024), "{text}");
    assert_eq!(report.basis, "速報");
    for label in [
        "saves/s; save (POST + redirect GET) p50 ",
        ", p95 ",
        ", p99 ",
        "readers: page ",
        "; JSON ",
        "first table after a one-sheet save (nothing else running): JSON 2 runs, p50 ",
        "server peak RSS (VmHWM): ",
        "errors: none",
        "final state: 3 sheets, ",
    ] {
        assert!(text.contains(label), "{label:?} missing from:\n{text}");
    }
    // The accounts it made cannot be used after the run.
    let (code, posted) = report.expected[0].clone();
    let login = format!("bench-load-{code}");
    let account = with_conn(&app, |c| users::find_by_login(c, &login))
        .unwrap()
        .expect("bench account");
    assert!(account.disabled_at.is_some());

    // A score changed behind the benchmark's back is found.
    let list = app.state.catalog.checklist(Variant::Municipal);
    let item = list.applicable_items(fy(2007), &posted.conditions())[0]
        .code
        .clone();
    let was = posted.get(&item).score.expect("scored").value();
    let other = if was == 3 { 2 } else { 3 };
    let check = with_conn(&app, |c| {
        let org = organisations::find(c, &code).unwrap().expect("org");
        let n = diesel::update(
            a::table
                .filter(a::organisation_id.eq(org.id))
                .filter(a::fiscal_year.eq(2007))
                .filter(a::item_code.eq(&item)),
        )
        .set(a::score.eq(other))
        .execute(c)
        .unwrap();
        assert_eq!(n, 1);
        verify(c, list, fy(2007), &report.expected).unwrap()
    });
    assert_eq!(check.mismatch_count, 1, "{:?}", check.mismatches);
    assert_eq!(
        check.mismatches[0],
        format!("{code} 小項目 {item}: 最後の保存は評価 {was}、データベースは {other}")
    );
}
