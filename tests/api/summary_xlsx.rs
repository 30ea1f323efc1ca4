//! The 集計表 workbook (`export summary`, `/stats/{scope}/{year}.xlsx`) read
//! back with calamine: every figure is the engine's, in its cell, with its
//! number format; the print set-up, frozen panes, charts and PNG are there.

use std::collections::BTreeMap;
use std::io::Cursor;

use calamine::{Data, Range, Reader, StyleRange, Xlsx};
use tenken::excel::summary_export::{
    self, FMT_AVERAGE, FMT_OVERALL, FMT_SHARE, SHEET_CHARTS, SHEET_PRIORITY, SHEET_TABLE,
};
use tenken::stats::{self, Figure, Scope, Summary};

use crate::helpers::{spawn_app, with_conn, TestApp};
use crate::stats::{answer, fy};
use crate::xlsx::entries;

struct Book {
    bytes: Vec<u8>,
    xlsx: Xlsx<Cursor<Vec<u8>>>,
}

impl Book {
    fn new(bytes: Vec<u8>) -> Self {
        let xlsx = Xlsx::new(Cursor::new(bytes.clone())).expect("the workbook reads back");
        Self { bytes, xlsx }
    }

    fn sheet(&mut self, name: &str) -> Sheet {
        Sheet {
            cells: self.xlsx.worksheet_range(name).expect("sheet"),
            styles: self.xlsx.worksheet_style(name).expect("styles"),
        }
    }

    fn part(&self, name: &str) -> String {
        let (_, data) = entries(&self.bytes)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no part {name}"));
        String::from_utf8(data).expect("utf-8")
    }

    fn has_part(&self, name: &str) -> bool {
        entries(&self.bytes).iter().any(|(n, _)| n == name)
    }
}

struct Sheet {
    cells: Range<Data>,
    styles: StyleRange,
}

impl Sheet {
    fn at(&self, row: u32, col: u32) -> &Data {
        self.cells.get_value((row, col)).unwrap_or(&Data::Empty)
    }

    fn text(&self, row: u32, col: u32) -> String {
        match self.at(row, col) {
            Data::String(s) => s.clone(),
            other => panic!("({row}, {col}) is not text: {other:?}"),
        }
    }

    fn number(&self, row: u32, col: u32) -> f64 {
        match self.at(row, col) {
            Data::Float(v) => *v,
            other => panic!("({row}, {col}) is not a number: {other:?}"),
        }
    }

    fn format(&self, row: u32, col: u32) -> String {
        self.styles
            .get((row, col))
            .and_then(|s| s.number_format.as_ref())
            .map(|f| f.format_code.clone())
            .unwrap_or_default()
    }

    /// The row whose cell in `col` is exactly `text`.
    fn row_of(&self, col: u32, text: &str) -> u32 {
        let (r0, _) = self.cells.start().expect("cells");
        (r0..=self.cells.end().expect("cells").0)
            .find(|r| *self.at(*r, col) == Data::String(text.into()))
            .unwrap_or_else(|| panic!("no row with {text} in column {col}"))
    }

    /// The header row (the one with 調査項目) and its titles by column.
    fn header(&self, text_col: u32) -> (u32, BTreeMap<u32, String>) {
        let row = self.row_of(text_col, summary_export::TITLE_TEXT);
        let titles = (0..=self.cells.end().expect("cells").1)
            .filter_map(|c| match self.at(row, c) {
                Data::String(s) => Some((c, s.clone())),
                _ => None,
            })
            .collect();
        (row, titles)
    }
}

/// The column whose title starts with `prefix`.
fn col(titles: &BTreeMap<u32, String>, prefix: &str) -> u32 {
    titles
        .iter()
        .find(|(_, t)| t.starts_with(prefix))
        .map(|(c, _)| *c)
        .unwrap_or_else(|| panic!("no column {prefix} in {titles:?}"))
}

/// A figure's cell: the exact value times `scale` with `format`, or `-`.
fn check_figure(s: &Sheet, row: u32, col: u32, f: Option<&Figure>, scale: f64, format: &str) {
    match f {
        Some(f) => {
            assert_eq!(s.number(row, col), f.value * scale, "({row}, {col})");
            assert_eq!(s.format(row, col), format, "format of ({row}, {col})");
        }
        None => assert_eq!(s.text(row, col), "-", "({row}, {col})"),
    }
}

/// Every sub-item row of `集計表` against the engine's table.
fn check_every_item(book: &mut Book, t: &Summary) {
    let s = book.sheet(SHEET_TABLE);
    let (_, titles) = s.header(2);
    let avg = col(&titles, &format!("{}平均値", t.fiscal_year_short));
    let imp = titles
        .iter()
        .find(|(_, v)| v.contains("向上値"))
        .map(|(c, _)| *c)
        .expect("向上値 column");
    for i in t.items() {
        let row = s.row_of(1, &i.code);
        let text = s.text(row, 2);
        assert!(text.starts_with(&i.text), "{text}");
        if let Some(tag) = &i.priority_tag {
            assert!(text.ends_with(tag.as_str()), "{text}");
        }
        check_figure(&s, row, avg, i.average.as_ref(), 1.0, FMT_AVERAGE);
        let shares = i.shares.as_ref();
        for (k, share) in [
            shares.map(|x| &x.three),
            shares.map(|x| &x.two),
            shares.map(|x| &x.one),
        ]
        .into_iter()
        .enumerate()
        {
            check_figure(&s, row, avg + 1 + k as u32, share, 0.01, FMT_SHARE);
        }
        for (y, h) in t.years.iter().zip(&i.history) {
            let c = col(&titles, &format!("{}平均値", y.short));
            check_figure(&s, row, c, h.average.as_ref(), 1.0, FMT_AVERAGE);
        }
        check_figure(&s, row, imp, i.improvement.as_ref(), 1.0, FMT_AVERAGE);
    }
}

async fn download(app: &TestApp, path: &str) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let r = app.get(path).await;
    assert_eq!(r.status().as_u16(), 200, "{path}");
    let headers = r.headers().clone();
    (headers, r.bytes().await.expect("body").to_vec())
}

/// Three wards of Tokyo, FY2005–FY2007 (figures worked out in the test).
fn tokyo(app: &TestApp) {
    answer(app, "131016", 2005, &[("18-1", 1), ("1-1", 2)]);
    answer(app, "131016", 2006, &[("18-1", 2), ("1-1", 2)]);
    answer(app, "131024", 2006, &[("18-1", 3)]);
    answer(app, "131032", 2006, &[("18-1", 1)]);
    answer(app, "131016", 2007, &[("18-1", 3), ("1-1", 3), ("6-1", 0)]);
    answer(app, "131024", 2007, &[("18-1", 3), ("1-1", 3)]);
    answer(app, "131032", 2007, &[("18-1", 2), ("1-1", 3), ("6-1", 3)]);
}

#[tokio::test]
async fn the_summary_workbook_holds_the_engines_figures_in_place() {
    let app = spawn_app().await;
    tokyo(&app);
    let catalog = app.state.catalog.clone();
    let scope = Scope::parse("pref:130001").expect("scope");
    let (t, bytes) = with_conn(&app, |c| {
        summary_export::export_summary(
            c,
            &catalog,
            &scope,
            fy(2007),
            tenken::stats::Basis::Official,
        )
    })
    .expect("export");
    let mut book = Book::new(bytes);
    assert_eq!(
        book.xlsx.sheet_names(),
        vec![SHEET_TABLE, SHEET_PRIORITY, SHEET_CHARTS]
    );

    let s = book.sheet(SHEET_TABLE);
    assert_eq!(
        s.text(0, 0),
        "住民基本台帳ネットワークシステム及びそれに接続している既設ネットワークに関する調査票による点検結果集計表"
    );
    assert_eq!(
        s.text(1, 0),
        "東京都　平成19年度（2007年度）　集計団体数 3団体　集計対象：一括登録の確定値 3 団体"
    );
    // 総平均点: mean(8/3, 3, 3) = 26/9; FY2006 mean(2, 2) = 2; change 8/9.
    assert_eq!(s.text(2, 0), "3団体の点検結果の総平均点（3点満点）");
    assert_eq!(s.number(2, 3), 26.0 / 9.0);
    assert_eq!(s.format(2, 3), FMT_OVERALL);
    assert_eq!(s.text(2, 4), "H18総平均点");
    assert_eq!(s.number(2, 6), 2.0);
    assert!((s.number(2, 8) - 8.0 / 9.0).abs() < 1e-15);
    assert_eq!(s.text(4, 0), "回答3");
    assert!(
        s.text(4, 1).starts_with("運用している（"),
        "{}",
        s.text(4, 1)
    );

    let (header, titles) = s.header(2);
    assert_eq!(
        titles.values().cloned().collect::<Vec<_>>(),
        vec![
            "大分類",
            "小項目",
            "調査項目",
            "H19平均値",
            "回答3",
            "回答2",
            "回答1",
            "H17平均値",
            "H18平均値",
            "H18→H19\n向上値",
            "備考"
        ]
    );
    // 18-1: 3, 3, 2 → 8/3; shares 2/3, 1/3, 0; FY2005 1, FY2006 (2+3+1)/3 = 2;
    // 向上値 8/3 - 2 = 2/3.
    let r = s.row_of(1, "18-1");
    assert_eq!(
        s.text(r, 2),
        "操作履歴をチェックしている【平成19年度重要点検項目】"
    );
    assert_eq!(s.number(r, 3), 8.0 / 3.0);
    assert!((s.number(r, 4) - 2.0 / 3.0).abs() < 1e-15);
    assert!((s.number(r, 5) - 1.0 / 3.0).abs() < 1e-15);
    assert_eq!(s.number(r, 6), 0.0);
    assert_eq!((s.number(r, 7), s.number(r, 8)), (1.0, 2.0));
    assert!((s.number(r, 9) - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(
        [3, 4, 7, 9].map(|c| s.format(r, c)),
        [FMT_AVERAGE, FMT_SHARE, FMT_AVERAGE, FMT_AVERAGE]
    );
    assert_eq!(s.text(r, 10), "回答 3・該当なし 0（0.0%）");
    // 6-1: one answer 3 and one 0 (該当しない); nothing in FY2005/FY2006.
    let r = s.row_of(1, "6-1");
    assert_eq!((s.number(r, 3), s.number(r, 4)), (3.0, 1.0));
    assert_eq!(
        (s.text(r, 7), s.text(r, 8), s.text(r, 9)),
        ("-".into(), "-".into(), "-".into())
    );
    assert_eq!(s.text(r, 10), "回答 1・該当なし 1（50.0%）");
    // Unanswered items are '-' throughout.
    let r = s.row_of(1, "43-2");
    assert_eq!(s.text(r, 3), "-");
    assert_eq!(s.text(r, 4), "-");
    // The 大分類 rows and the 総平均点 over the years.
    let r = s.row_of(1, "体制・規程等の整備の平均");
    assert_eq!(s.number(r, 3), 3.0);
    let r = s.row_of(0, "総平均点");
    assert_eq!(
        (s.number(r, 3), s.number(r, 7), s.number(r, 8)),
        (26.0 / 9.0, 1.5, 2.0)
    );
    assert_eq!(s.format(r, 7), FMT_OVERALL);
    drop(s);

    check_every_item(&mut book, &t);

    // Frozen below the header and right of the text; A4 landscape, one page
    // wide, the header row on every page.
    let sheet1 = book.part("xl/worksheets/sheet1.xml");
    let pane = format!(
        "<pane xSplit=\"3\" ySplit=\"{}\" topLeftCell=\"D{}\" activePane=\"bottomRight\" state=\"frozen\"/>",
        header + 1,
        header + 2
    );
    assert!(sheet1.contains(&pane), "{pane}");
    assert!(
        sheet1.contains("<pageSetup paperSize=\"9\" fitToHeight=\"0\" orientation=\"landscape\"")
    );
    assert!(sheet1.contains("<pageSetUpPr fitToPage=\"1\"/>"));
    let workbook = book.part("xl/workbook.xml");
    assert!(
        workbook.contains(&format!(
            "<definedName name=\"_xlnm.Print_Titles\" localSheetId=\"0\">集計表!${}:${}</definedName>",
            header + 1,
            header + 1
        )),
        "{workbook}"
    );
    for n in 2..=3 {
        let xml = book.part(&format!("xl/worksheets/sheet{n}.xml"));
        assert!(xml.contains("orientation=\"landscape\""), "sheet{n}");
    }

    // 重要点検項目: 20 items of FY2007, nobody at 3 on all of them.
    let p = book.sheet(SHEET_PRIORITY);
    assert_eq!(
        p.text(0, 0),
        "平成19年度（2007年度）の重要点検項目の結果（東京都）"
    );
    assert_eq!(
        p.text(1, 0),
        "重要点検項目 20 項目について、3団体中 0団体が全項目で3点満点（回答0＝該当しないは満たしたものとします）。"
    );
    assert_eq!(
        (p.number(2, 2), p.number(3, 2), p.number(4, 2)),
        (3.0, 0.0, 3.0)
    );
    let (_, ptitles) = p.header(1);
    let r = p.row_of(0, "18-1");
    assert_eq!(p.number(r, col(&ptitles, "H19平均値")), 8.0 / 3.0);
    assert!((p.number(r, col(&ptitles, "回答3")) - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(p.number(r, col(&ptitles, "H17平均値")), 1.0);
    assert_eq!(p.number(r, col(&ptitles, summary_export::NOT_AT_3)), 1.0);
    assert_eq!(p.format(r, col(&ptitles, "回答3")), FMT_SHARE);
    let prio_rows = (0..200)
        .filter(|r| matches!(p.at(*r, 0), Data::String(c) if c.contains('-')))
        .count();
    assert_eq!(prio_rows, 20);
    let r = p.row_of(0, "131016");
    assert_eq!(p.text(r, 1), "千代田区");
    // 6-1 answered 0 (該当しない) counts as met, like 18-1 at 3.
    assert!(
        p.text(r, 2).starts_with("7-1（未回答）、7-2（未回答）"),
        "{}",
        p.text(r, 2)
    );
    assert!(!p.text(r, 2).contains("18-1"), "18-1 is 3");
    let r = p.row_of(0, "131032");
    assert!(
        p.text(r, 2).contains("、18-1（2）、18-2（未回答）、"),
        "{}",
        p.text(r, 2)
    );
    assert!(p.text(r, 2).starts_with("7-1（未回答）"), "6-1 is 3");
    drop(p);

    // グラフ: the data the native charts point at.
    let g = book.sheet(SHEET_CHARTS);
    assert_eq!(
        (g.text(2, 0), g.text(2, 1), g.text(2, 2)),
        ("年度".into(), "総平均点".into(), "6-1".into())
    );
    let years: Vec<String> = (3..6).map(|r| g.text(r, 0)).collect();
    assert_eq!(
        years,
        vec![
            "平成17年度（2005年度）",
            "平成18年度（2006年度）",
            "平成19年度（2007年度）"
        ]
    );
    assert_eq!(
        (g.number(3, 1), g.number(4, 1), g.number(5, 1)),
        (1.5, 2.0, 26.0 / 9.0)
    );
    assert_eq!(*g.at(3, 2), Data::Empty, "no 6-1 in FY2005: a gap");
    assert_eq!(g.number(5, 2), 3.0);
    let c181 = (2..30)
        .find(|c| *g.at(2, *c) == Data::String("18-1".into()))
        .expect("18-1 column");
    assert_eq!(
        (g.number(3, c181), g.number(4, c181), g.number(5, c181)),
        (1.0, 2.0, 8.0 / 3.0)
    );
    drop(g);
    let chart1 = book.part("xl/charts/chart1.xml");
    assert!(chart1.contains("<c:lineChart>"));
    assert!(chart1.contains("<c:f>グラフ!$B$4:$B$6</c:f>"), "{chart1}");
    assert!(chart1.contains("<c:f>グラフ!$A$4:$A$6</c:f>"));
    assert!(chart1.contains("総平均点の推移（東京都）"));
    let chart2 = book.part("xl/charts/chart2.xml");
    assert_eq!(chart2.matches("<c:ser>").count(), 20);
    assert!(chart2.contains("平成19年度（2007年度）の重要点検項目の平均値の推移"));
    // A viewer who may see the figures only gets no names (the web route
    // clears `not_achieved` then): the counts stay, the list goes.
    let mut aggregate = t.clone();
    if let Some(p) = aggregate.priority.as_mut() {
        p.not_achieved.clear();
    }
    let bytes = summary_export::write_summary(&aggregate, &catalog, None).expect("workbook");
    let mut other = Book::new(bytes);
    let p = other.sheet(SHEET_PRIORITY);
    assert_eq!(
        (p.number(2, 2), p.number(3, 2), p.number(4, 2)),
        (3.0, 0.0, 3.0)
    );
    assert!(
        (0..300).all(|r| *p.at(r, 0) != Data::String("131016".into())),
        "no organisation named"
    );
    drop(p);
    assert!(!other.has_part("xl/media/image1.png"), "no picture given");

    let png = book.part_bytes("xl/media/image1.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let drawing = book.part("xl/drawings/drawing1.xml");
    assert!(drawing.contains("descr=\"総平均点の推移（東京都）\""));
}

impl Book {
    fn part_bytes(&self, name: &str) -> Vec<u8> {
        entries(&self.bytes)
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d)
            .unwrap_or_else(|| panic!("no part {name}"))
    }
}

#[tokio::test]
async fn without_answers_the_workbook_holds_the_published_figures() {
    let app = spawn_app().await;
    let (headers, bytes) = download(&app, "/stats/national/2007.xlsx").await;
    assert_eq!(
        headers["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = headers["content-disposition"].to_str().expect("ascii");
    assert_eq!(
        disposition,
        "attachment; filename=\"tenken-summary-national-2007.xlsx\"; filename*=UTF-8''%E7%82%B9%E6%A4%9C%E7%B5%90%E6%9E%9C%E9%9B%86%E8%A8%88%E8%A1%A8_%E5%85%A8%E5%9B%BD%EF%BC%88%E5%B8%82%E5%8C%BA%E7%94%BA%E6%9D%91%EF%BC%89_H19.xlsx"
    );
    let mut book = Book::new(bytes);
    let s = book.sheet(SHEET_TABLE);
    assert_eq!(
        s.text(1, 0),
        "全国（市区町村）　平成19年度（2007年度）　集計団体数 1824団体（総務省の公表値）"
    );
    assert_eq!(s.number(2, 3), 2.99);
    assert_eq!(s.number(2, 6), 2.97);
    let (_, titles) = s.header(2);
    let titles: Vec<&str> = titles.values().map(String::as_str).collect();
    assert_eq!(
        titles[3..],
        [
            "H19平均値\n（公表値）",
            "回答3",
            "回答2",
            "回答1",
            "H15平均値\n（公表値）",
            "H16平均値\n（公表値）",
            "H17平均値\n（公表値）",
            "H18平均値\n（公表値）",
            "H18→H19\n向上値（公表値）",
            "備考"
        ]
    );
    // Seed 003's printed figures, FY2003–FY2007, shares and 向上値.
    for (code, figures, shares, improvement) in [
        (
            "1-3",
            [2.815, 2.852, 2.919, 2.986, 2.992],
            [0.992, 0.008, 0.0],
            0.005,
        ),
        (
            "18-1",
            [2.623, 2.712, 2.806, 2.897, 3.0],
            [1.0, 0.0, 0.0],
            0.103,
        ),
        (
            "9-1",
            [2.764, 2.776, 2.838, 2.919, 2.955],
            [0.957, 0.042, 0.002],
            0.036,
        ),
        (
            "12-2",
            [2.705, 2.996, 3.0, 3.0, 2.999],
            [0.999, 0.0, 0.001],
            -0.001,
        ),
        (
            "26-3",
            [2.939, 2.939, 2.96, 3.0, 2.999],
            [0.999, 0.001, 0.0],
            -0.001,
        ),
    ] {
        let r = s.row_of(1, code);
        let years: Vec<f64> = (7..=10).map(|c| s.number(r, c)).collect();
        assert_eq!(years, figures[..4], "{code}");
        assert_eq!(s.number(r, 3), figures[4], "{code}");
        for (k, share) in shares.iter().enumerate() {
            assert!((s.number(r, 4 + k as u32) - share).abs() < 1e-12, "{code}");
        }
        assert!((s.number(r, 11) - improvement).abs() < 1e-12, "{code}");
    }
    // 43-2 was not asked in FY2003: '-' as in the seed.
    let r = s.row_of(1, "43-2");
    assert_eq!(s.text(r, 7), "-");
    assert_eq!(s.number(r, 8), 2.864);
    drop(s);
    let t = with_conn(&app, |c| {
        stats::summary(c, &app.state.catalog, &Scope::National, fy(2007))
    })
    .expect("table");
    check_every_item(&mut book, &t);

    let p = book.sheet(SHEET_PRIORITY);
    assert_eq!(
        p.text(1, 0),
        "重要点検項目 20 項目。総務省の公表値のため、団体ごとの達成状況はありません。"
    );
    drop(p);
    let g = book.sheet(SHEET_CHARTS);
    let years: Vec<String> = (3..8).map(|r| g.text(r, 0)).collect();
    assert_eq!(years[0], "平成15年度（2003年度）");
    assert_eq!((g.number(6, 1), g.number(7, 1)), (2.97, 2.99));
    drop(g);
    assert!(book.has_part("xl/charts/chart1.xml") && book.has_part("xl/charts/chart2.xml"));
    assert!(book.has_part("xl/media/image1.png"));

    // The page links the download; a bad scope is refused like the page.
    let (_, html) = app.get_text("/stats/national/2007").await;
    assert!(
        html.contains("href=\"/stats/national/2007.xlsx\""),
        "{html}"
    );
    let (status, body) = app.get_text("/stats/pref:131016/2007.xlsx").await;
    assert_eq!(status, 400);
    assert!(
        body.contains("131016 は都道府県のコードではありません"),
        "{body}"
    );
    let (status, _) = app.get_text("/stats/national/latest.xlsx").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_year_without_figures_still_exports_an_empty_table() {
    let app = spawn_app().await;
    let catalog = app.state.catalog.clone();
    let (t, bytes) = with_conn(&app, |c| {
        summary_export::export_summary(
            c,
            &catalog,
            &Scope::Agencies,
            fy(2007),
            tenken::stats::Basis::Official,
        )
    })
    .expect("export");
    assert_eq!(t.source, None);
    let mut book = Book::new(bytes);
    let s = book.sheet(SHEET_TABLE);
    assert_eq!(
        s.text(1, 0),
        "国の行政機関等　平成19年度（2007年度）　集計団体数 -団体（この年度の回答はありません）"
    );
    assert_eq!(s.text(s.row_of(1, "1-1"), 3), "-");
    drop(s);
    assert!(!book.has_part("xl/charts/chart1.xml"), "nothing to draw");
    assert!(!book.has_part("xl/media/image1.png"));
}
