//! The checks before drawing, and what is served besides the picture: the
//! figures as printed, the etag, kinds and formats parsed, the data table.

use super::*;

#[test]
fn untruthful_data_is_refused_with_what_is_wrong() {
    let mut r = synthetic_ranking();
    r.entries[0].average = 3.5;
    let err = validate(&ChartSpec::Ranking(r)).expect_err("refused");
    assert_eq!(
        err.to_string(),
        "入力に 1 件の問題があります:\n北海道 の平均点 3.5 は 1〜3 の範囲にありません"
    );
    let mut r = synthetic_ranking();
    r.entries[1].rank = 3;
    let err = validate(&ChartSpec::Ranking(r)).expect_err("refused");
    assert!(
        err.to_string()
            .contains("順位が 1 から始まる上位順になっていません"),
        "{err}"
    );
    let mut s = synthetic_shares();
    s.majors[1].1 = [40.0, 30.0, 20.0];
    let err = validate(&ChartSpec::Shares(s)).expect_err("refused");
    assert!(err.to_string().contains("2 環境及び設備 の割合"), "{err}");
    let empty = ChartSpec::Overall(OverallTrend {
        scope: "全国".into(),
        series: vec![],
        note: String::new(),
    });
    assert_eq!(
        render(&empty, Format::Png).expect_err("empty").to_string(),
        "入力に 1 件の問題があります:\n「総平均点の推移（全国）」に描くデータがありません"
    );
}

#[test]
fn figures_are_printed_as_the_tables_print_them() {
    // Half away from zero, where `{:.3}` would round 2.0625 to even.
    assert_eq!(format!("{:.3}", 2.0625), "2.062");
    assert_eq!(fixed(2.0625, 3), "2.063");
    assert_eq!(fixed(33.25, 1), "33.3");
    assert_eq!(fixed(2.0005, 3), "2.001");
    assert_eq!(fixed(8.0 / 3.0, 3), "2.667");
    assert_eq!(fixed(2.9949, 2), "2.99");
    assert_eq!(fixed(50.0, 1), "50.0");
    assert_eq!(prefectures().len(), 47);
}

#[test]
fn etag_follows_the_data_and_the_format() {
    let a = published(ChartKind::Overall, None);
    let mut b = a.clone();
    if let ChartSpec::Overall(t) = &mut b {
        t.series[0].points[4].1 = 2.98;
    }
    let tag = |s: &ChartSpec, f| etag(s, f).expect("etag");
    assert_eq!(tag(&a, Format::Png), tag(&a.clone(), Format::Png));
    assert_ne!(tag(&a, Format::Png), tag(&b, Format::Png));
    assert_ne!(tag(&a, Format::Png), tag(&a, Format::Svg));
    assert_eq!(tag(&a, Format::Png).len(), 34);
    assert!(tag(&a, Format::Png).starts_with('"'));
    // overall_png is render() of chart (a).
    let ChartSpec::Overall(t) = &a else {
        panic!("overall")
    };
    assert_eq!(
        overall_png(t).expect("png"),
        render(&a, Format::Png).expect("png")
    );
}

#[test]
fn kinds_and_formats_parse_from_what_people_type() {
    assert_eq!(ChartKind::parse("shares").ok(), Some(ChartKind::Shares));
    assert!(ChartKind::parse("pie")
        .expect_err("unknown")
        .to_string()
        .starts_with("グラフの種類「pie」はありません"));
    assert_eq!(Format::from_extension("PNG").ok(), Some(Format::Png));
    assert_eq!(
        Format::from_extension("gif").expect_err("gif").to_string(),
        "グラフの形式「gif」には対応していません（png か svg）"
    );
}

#[test]
fn the_data_table_holds_the_figures_the_chart_prints() {
    let spec = ChartSpec::Overall(OverallTrend {
        scope: "東京都".into(),
        series: vec![
            TrendSeries {
                label: "東京都".into(),
                points: vec![(fy(2006), 2.0625), (fy(2007), 2.5)],
            },
            TrendSeries {
                label: "全国".into(),
                points: vec![(fy(2007), 2.841)],
            },
        ],
        note: String::new(),
    });
    let t = spec.data_table();
    assert_eq!(t.head, ["年度", "東京都", "全国"]);
    assert_eq!(
        t.rows,
        [
            vec![
                "平成18年度（2006年度）".to_string(),
                "2.06".into(),
                "—".into()
            ],
            vec![
                "平成19年度（2007年度）".to_string(),
                "2.50".into(),
                "2.84".into()
            ],
        ]
    );
    let shares = ChartSpec::Shares(ShareBars {
        year: fy(2007),
        scope: "全国".into(),
        levels: ["3".into(), "2".into(), "1".into()],
        majors: vec![("1 組織".into(), [62.25, 30.0, 7.75])],
        note: String::new(),
    });
    assert_eq!(
        shares.data_table().rows,
        [vec![
            "1 組織".to_string(),
            "62.3".into(),
            "30.0".into(),
            "7.8".into()
        ]]
    );
}
