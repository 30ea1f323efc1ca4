//! Years without answers: the published table of seed 003, and a year with
//! nothing at all.

use super::*;

/// The published figures as transcribed from seed 003, by (item, year).
fn transcribed() -> BTreeMap<(String, i32), Vec<String>> {
    let text = include_str!("../../../checklists/published/municipal_national.csv");
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .map(|r| {
            let r = r.expect("row");
            let year: i32 = r[1].parse().expect("year");
            (
                (r[0].to_string(), year),
                r.iter().skip(2).map(str::to_string).collect(),
            )
        })
        .collect()
}

#[test]
fn without_answers_fy2007_shows_the_published_table_of_seed_003() {
    let catalog = catalog();
    let t = engine::build(&Input {
        catalog: &catalog,
        scope: info("national", "national", "全国（市区町村）"),
        fiscal_year: fy(2007),
        years: Vec::new(),
        use_published: true,
        rank_by: RankBy::Nothing,
    });
    assert_eq!(t.source, Some(Source::Published));
    assert_eq!(t.organisations, Some(1824));
    let years: Vec<(i32, &str)> = t
        .years
        .iter()
        .map(|y| (y.fiscal_year, y.short.as_str()))
        .collect();
    assert_eq!(
        years,
        vec![(2003, "H15"), (2004, "H16"), (2005, "H17"), (2006, "H18")]
    );
    let published = transcribed();
    let mut cells = 0;
    for item in t.items() {
        for h in &item.history {
            let want = published
                .get(&(item.code.clone(), h.fiscal_year))
                .map(|r| r[0].as_str());
            assert_eq!(printed(&h.average), want, "{} {}", item.code, h.fiscal_year);
            cells += 1;
        }
        let row = &published[&(item.code.clone(), 2007)];
        assert_eq!(
            printed(&item.average),
            Some(row[0].as_str()),
            "{}",
            item.code
        );
        let s = item.shares.as_ref().expect("published shares");
        assert_eq!(
            [
                s.three.printed.clone(),
                s.two.printed.clone(),
                s.one.printed.clone()
            ],
            [row[1].clone(), row[2].clone(), row[3].clone()],
            "{}",
            item.code
        );
        assert_eq!(
            printed(&item.improvement),
            Some(row[4].as_str()),
            "{}",
            item.code
        );
        assert_eq!(
            item.improvement_source,
            Some(Source::Published),
            "{}",
            item.code
        );
        assert_eq!(item.respondents, None);
    }
    assert_eq!(cells, 126 * 4);
    assert_eq!(
        t.items().filter(|i| i.history[0].average.is_none()).count(),
        3,
        "43-1〜43-3 are '-' in FY2003"
    );

    // A dozen values typed from seed 003.
    let typed: [Typed; 12] = [
        (
            "1-3",
            "2.992",
            ["99.2", "0.8", "0.0"],
            ["2.815", "2.852", "2.919", "2.986"],
            "0.005",
        ),
        (
            "1-6",
            "2.999",
            ["99.9", "0.1", "0.0"],
            ["2.542", "2.591", "3.000", "3.000"],
            "-0.001",
        ),
        (
            "7-5",
            "3.000",
            ["100.0", "0.0", "0.0"],
            ["2.799", "2.890", "2.943", "2.976"],
            "0.024",
        ),
        (
            "9-1",
            "2.955",
            ["95.7", "4.2", "0.2"],
            ["2.764", "2.776", "2.838", "2.919"],
            "0.036",
        ),
        (
            "11-1",
            "3.000",
            ["100.0", "0.0", "0.0"],
            ["2.584", "2.994", "3.000", "3.000"],
            "0.000",
        ),
        (
            "13-2",
            "2.938",
            ["94.1", "5.7", "0.2"],
            ["2.615", "2.733", "2.840", "2.906"],
            "0.033",
        ),
        (
            "18-1",
            "3.000",
            ["100.0", "0.0", "0.0"],
            ["2.623", "2.712", "2.806", "2.897"],
            "0.103",
        ),
        (
            "30-1",
            "2.994",
            ["99.5", "0.5", "0.1"],
            ["2.937", "2.943", "2.976", "2.989"],
            "0.005",
        ),
        (
            "36-1",
            "2.949",
            ["95.1", "4.7", "0.2"],
            ["2.818", "2.858", "2.948", "2.928"],
            "0.021",
        ),
        (
            "37-4",
            "2.903",
            ["90.6", "9.1", "0.3"],
            ["2.658", "2.697", "2.778", "2.865"],
            "0.038",
        ),
        (
            "42-2",
            "2.941",
            ["94.2", "5.7", "0.1"],
            ["2.719", "2.771", "2.847", "2.917"],
            "0.024",
        ),
        (
            "43-1",
            "2.987",
            ["98.9", "0.9", "0.2"],
            ["-", "2.893", "2.948", "2.984"],
            "0.004",
        ),
    ];
    for (code, avg, shares, hist, imp) in typed {
        let i = t.item(code).expect(code);
        assert_eq!(printed(&i.average), Some(avg), "{code}");
        let s = i.shares.as_ref().expect("shares");
        assert_eq!(
            [
                s.three.printed.as_str(),
                s.two.printed.as_str(),
                s.one.printed.as_str()
            ],
            shares,
            "{code}"
        );
        let h: Vec<&str> = i
            .history
            .iter()
            .map(|h| printed(&h.average).unwrap_or("-"))
            .collect();
        assert_eq!(h, hist.to_vec(), "{code}");
        assert_eq!(printed(&i.improvement), Some(imp), "{code}");
    }
    assert_eq!(
        t.item("1-1")
            .and_then(|i| i.priority_tag.clone())
            .as_deref(),
        Some("【平成17年度重要点検項目】")
    );
    assert_eq!(
        t.item("8-1")
            .and_then(|i| i.priority_tag.clone())
            .as_deref(),
        Some("【平成15年度重要点検項目】")
    );
    assert_eq!(
        t.item("7-1").and_then(|i| i.remark.clone()).as_deref(),
        Some("「重要機能室がありますか」がはいの場合に回答")
    );
    assert_eq!(
        t.item("8-1").and_then(|i| i.remark.clone()).as_deref(),
        Some("「重要機能室がありますか」がいいえの場合に回答")
    );
    assert_eq!(t.item("7-2").and_then(|i| i.remark.clone()), None);
    // 総平均点 2.99 (平成18年度 2.97, +0.02).
    assert_eq!(printed(&t.overall.average), Some("2.99"));
    assert_eq!(printed(&t.overall.previous), Some("2.97"));
    assert_eq!(printed(&t.overall.change), Some("0.02"));
    assert_eq!(t.overall.source, Some(Source::Published));
    assert!(t.priority.is_none() && t.ranking.is_none() && t.non_compliance.is_none());
}

#[test]
fn a_year_with_nothing_shows_nothing() {
    let catalog = catalog();
    let t = engine::build(&Input {
        catalog: &catalog,
        scope: info("pref:130001", "prefecture", "東京都"),
        fiscal_year: fy(2008),
        years: Vec::new(),
        use_published: false,
        rank_by: RankBy::Organisations("municipalities"),
    });
    assert_eq!(t.source, None);
    assert_eq!(t.organisations, None);
    assert!(t.years.is_empty());
    assert!(t.items().all(|i| i.average.is_none() && i.counts.is_none()));
    assert_eq!(t.overall.average, None);
    assert_eq!(t.items().count(), 126);
}
