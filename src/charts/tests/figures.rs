//! The figures of a chart taken from the engine's tables and the published
//! figures; charts that cannot be drawn; scopes as typed.

use super::*;

#[test]
fn published_figures_feed_the_national_charts() {
    let ChartSpec::Overall(t) = published(ChartKind::Overall, None) else {
        panic!("overall")
    };
    let points = &t.series[0].points;
    assert_eq!(points.len(), 5);
    assert_eq!((points[0].0, points[4].0), (fy(2003), fy(2007)));
    // The engine's 総平均点: FY2003 the mean of its 123 published item
    // averages; FY2006 and FY2007 as published (2.97, 2.99).
    assert!((points[0].1 - 2.826_350).abs() < 1e-5, "{}", points[0].1);
    assert_eq!((points[3].1, points[4].1), (2.97, 2.99));
    assert_eq!(
        t.note,
        "出典: 総務省 点検結果集計表（公表値）。総平均点は小項目の平均点の単純平均（H18〜H19 は公表された総平均点）"
    );

    let ChartSpec::Item(i) = published(ChartKind::Item, Some("18-1")) else {
        panic!("item")
    };
    assert_eq!(i.text, "操作履歴をチェックしている");
    let values: Vec<f64> = i.series[0].points.iter().map(|(_, v)| *v).collect();
    assert_eq!(values, [2.623, 2.712, 2.806, 2.897, 3.0]);
    assert_eq!(i.priority.years, [fy(2007)]);
    assert_eq!(i.note, "出典: 総務省 点検結果集計表（公表値）");

    let ChartSpec::Shares(s) = published(ChartKind::Shares, None) else {
        panic!("shares")
    };
    assert_eq!(
        s.levels,
        ["3 運用している", "2 整備している", "1 整備していない"]
    );
    let names: Vec<&str> = s.majors.iter().map(|(m, _)| m.as_str()).collect();
    assert_eq!(
        names,
        [
            "1 体制・規程等の整備",
            "2 環境及び設備",
            "3 システムの管理",
            "4 既設ネットワークとの接続",
            "5 住民基本台帳カードの管理"
        ]
    );
    // 大分類 4: the 20 items' published shares averaged (the published
    // tables give no counts to pool).
    let four = s.majors[3].1;
    for (got, want) in four.iter().zip([97.41, 2.525, 0.055]) {
        assert!((got - want).abs() < 1e-9, "{four:?}");
    }
    assert!(
        s.note.ends_with("大分類ごとに小項目の回答割合を単純平均"),
        "{}",
        s.note
    );
}

#[test]
fn shares_of_a_year_with_answers_pool_the_answers_of_each_major() {
    // 千代田区 1-1: 3, 1-2: 3, 2-1: 1; 中央区 1-1: 2, 1-2: 0 (N/A).
    // 大分類 1 pools four answers 1–3: two 3s, one 2, one 1 → 50 / 25 / 25 %
    // (the mean of the item shares would give 50 / 16.7 / 33.3).
    let answers = Year::new(
        catalog(),
        2007,
        &[
            ("131016", "千代田区", &[("1-1", 3), ("1-2", 3), ("2-1", 1)]),
            ("131024", "中央区", &[("1-1", 2), ("1-2", 0)]),
        ],
    );
    let spec = source::spec_from(
        catalog(),
        &request(ChartKind::Shares, Scope::National, None, 2007),
        |scope, year| Ok(table(scope, year, vec![answers.view()])),
    )
    .expect("shares");
    let ChartSpec::Shares(s) = &spec else {
        panic!("shares")
    };
    assert_eq!(
        s.majors,
        vec![("1 体制・規程等の整備".to_string(), [50.0, 25.0, 25.0])]
    );
    assert_eq!(
        s.note,
        "出典: 登録された回答の集計（2団体）。大分類ごとに全小項目の回答数を合算した割合"
    );
    let png = decode(&render(&spec, Format::Png).expect("png"));
    for c in colors::SHARE {
        assert!(pixels_of(&png, c).0 > 1000, "{c:?}");
    }

    // The trend: FY2003–FY2006 published, FY2007 from the answers: the
    // mean of 1-1 (5/2), 1-2 (3) and 2-1 (1) = 13/6.
    let spec = source::spec_from(
        catalog(),
        &request(ChartKind::Overall, Scope::National, None, 2007),
        |scope, year| Ok(table(scope, year, vec![answers.view()])),
    )
    .expect("overall");
    let ChartSpec::Overall(t) = spec else {
        panic!("overall")
    };
    let (year, v) = t.series[0].points[4];
    assert_eq!(year, fy(2007));
    assert!((v - 13.0 / 6.0).abs() < 1e-12, "{v}");
    assert_eq!(
        t.note,
        "出典: 登録された回答の集計（H19）、総務省 点検結果集計表の公表値（H15〜H18）。総平均点は小項目の平均点の単純平均（H18 は公表された総平均点）"
    );
}

#[test]
fn charts_that_cannot_be_drawn_say_why() {
    let err = |req: ChartRequest| ask(&req).expect_err("refused").to_string();
    let tokyo = source::parse_scope(Some("130001")).expect("scope");
    assert!(matches!(tokyo, Scope::Prefecture(_)));
    assert_eq!(
        err(request(ChartKind::Ranking, Scope::National, None, 2007)),
        "全国（市区町村）の平成19年度（2007年度）の回答が登録されていません"
    );
    assert_eq!(
        err(request(ChartKind::Overall, tokyo.clone(), None, 2007)),
        "東京都の平成19年度（2007年度）までの回答が登録されていません"
    );
    assert_eq!(
        err(request(ChartKind::Shares, tokyo.clone(), None, 2007)),
        "東京都の平成19年度（2007年度）の回答が登録されていません"
    );
    assert!(err(request(ChartKind::Goals, Scope::National, None, 2007))
        .starts_with("管理目標別の比較には団体か都道府県の scope が要ります"));
    assert!(err(request(
        ChartKind::Ranking,
        source::parse_scope(Some("org:131016")).expect("scope"),
        None,
        2007
    ))
    .starts_with("順位のグラフは national（都道府県の順位）"));
    assert_eq!(
        err(request(ChartKind::Shares, Scope::National, None, 2006)),
        "平成18年度（2006年度）の回答割合は公表値にありません（公表値があるのは 平成19年度（2007年度））"
    );
    assert_eq!(
        err(request(
            ChartKind::Item,
            Scope::National,
            Some("99-9"),
            2007
        )),
        "小項目「99-9」は市区町村版の調査票にありません（例 18-1）"
    );
    assert_eq!(
        err(request(ChartKind::Item, Scope::National, None, 2007)),
        "小項目のグラフには --item / item（例 18-1）が要ります"
    );
    assert_eq!(
        err(request(ChartKind::Overall, Scope::National, None, 2002)),
        "平成14年度（2002年度）までの平均点の公表値も登録された回答もありません"
    );
}

#[test]
fn scopes_parse_as_typed_or_as_in_the_tables() {
    let parse = |s: Option<&str>| source::parse_scope(s).map(|s| s.key());
    assert_eq!(parse(None).ok().as_deref(), Some("national"));
    assert_eq!(parse(Some("全国")).ok().as_deref(), Some("national"));
    assert_eq!(parse(Some(" agencies ")).ok().as_deref(), Some("agencies"));
    assert_eq!(parse(Some("130001")).ok().as_deref(), Some("pref:130001"));
    assert_eq!(
        parse(Some("pref:130001")).ok().as_deref(),
        Some("pref:130001")
    );
    assert_eq!(parse(Some("131016")).ok().as_deref(), Some("org:131016"));
    assert_eq!(parse(Some("G0001")).ok().as_deref(), Some("org:G0001"));
    assert!(parse(Some("tokyo"))
        .expect_err("bad")
        .to_string()
        .starts_with("--scope / scope は national、agencies、"));
    assert!(parse(Some("pref:131016"))
        .expect_err("a city")
        .to_string()
        .contains("131016 は都道府県のコードではありません"));
}
