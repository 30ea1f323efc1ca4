//! Tables computed from answers built by hand: every figure of a
//! prefecture's table, ties and ranks.

use super::*;

#[test]
fn hand_computed_prefecture_table() {
    let catalog = catalog();
    let t = tokyo_table(&catalog);
    assert_eq!(t.fiscal_year, 2006);
    assert_eq!(t.fiscal_year_label, "平成18年度（2006年度）");
    assert_eq!(t.source, Some(Source::Answers));
    assert_eq!(t.organisations, Some(3));
    // FY2004 has no answers: no column.
    let years: Vec<i32> = t.years.iter().map(|y| y.fiscal_year).collect();
    assert_eq!(years, vec![2003, 2005]);
    assert_eq!(t.previous_year, Some(2005));

    // (code, counts 3/2/1/0, sum, average exact & printed, shares, history, 向上値)
    struct Want {
        code: &'static str,
        counts: [u64; 4],
        avg: (f64, &'static str),
        shares: [&'static str; 3],
        history: [Option<&'static str>; 2],
        improvement: Option<(f64, &'static str)>,
    }
    let wants = [
        // 3,2,3 → 8/3; shares 2/3, 1/3, 0; 2003: (1+3)/2 = 2; 2005: (2+1)/2 = 1.5; 8/3 − 3/2 = 7/6.
        Want {
            code: "1-1",
            counts: [2, 1, 0, 0],
            avg: (8.0 / 3.0, "2.667"),
            shares: ["66.7", "33.3", "0.0"],
            history: [Some("2.000"), Some("1.500")],
            improvement: Some((7.0 / 6.0, "1.167")),
        },
        // 2,1,3 → 6/3 = 2; 2003 none; 2005: 2; change 0.
        Want {
            code: "1-2",
            counts: [1, 1, 1, 0],
            avg: (2.0, "2.000"),
            shares: ["33.3", "33.3", "33.3"],
            history: [None, Some("2.000")],
            improvement: Some((0.0, "0.000")),
        },
        // 0,3,3 → N/A left out: 6/2 = 3; 2003: 2; 2005: 3 (中央区 N/A); change 0.
        Want {
            code: "6-1",
            counts: [2, 0, 0, 1],
            avg: (3.0, "3.000"),
            shares: ["100.0", "0.0", "0.0"],
            history: [Some("2.000"), Some("3.000")],
            improvement: Some((0.0, "0.000")),
        },
        // 3,2,3 → 8/3; no earlier answers: no 向上値.
        Want {
            code: "26-1",
            counts: [2, 1, 0, 0],
            avg: (8.0 / 3.0, "2.667"),
            shares: ["66.7", "33.3", "0.0"],
            history: [None, None],
            improvement: None,
        },
        // 3,0,2 → 5/2; absent in FY2003 ('-'); 2005: 3; 2.5 − 3 = −0.5.
        Want {
            code: "43-1",
            counts: [1, 1, 0, 1],
            avg: (2.5, "2.500"),
            shares: ["50.0", "50.0", "0.0"],
            history: [None, Some("3.000")],
            improvement: Some((-0.5, "-0.500")),
        },
    ];
    let mut rows = 0;
    for item in t.items() {
        rows += 1;
        assert_eq!(item.history.len(), 2, "{}", item.code);
        match wants.iter().find(|w| w.code == item.code) {
            Some(w) => {
                let c = item.counts.expect("counts");
                assert_eq!([c.three, c.two, c.one, c.zero], w.counts, "{}", w.code);
                assert_eq!(
                    item.respondents,
                    Some(w.counts[0] + w.counts[1] + w.counts[2])
                );
                assert_eq!(item.not_applicable, Some(w.counts[3]));
                assert_eq!(
                    item.score_sum,
                    Some(3 * w.counts[0] + 2 * w.counts[1] + w.counts[2])
                );
                assert_eq!(printed(&item.average), Some(w.avg.1), "{}", w.code);
                assert!(close(value(&item.average), w.avg.0), "{}", w.code);
                let s = item.shares.as_ref().expect("shares");
                assert_eq!(
                    [
                        s.three.printed.as_str(),
                        s.two.printed.as_str(),
                        s.one.printed.as_str()
                    ],
                    w.shares,
                    "{}",
                    w.code
                );
                let hist: Vec<Option<&str>> =
                    item.history.iter().map(|h| printed(&h.average)).collect();
                assert_eq!(hist, w.history.to_vec(), "{}", w.code);
                assert_eq!(
                    printed(&item.improvement),
                    w.improvement.map(|i| i.1),
                    "{}",
                    w.code
                );
                if let Some((v, _)) = w.improvement {
                    assert!(close(value(&item.improvement), v), "{}", w.code);
                    assert_eq!(item.improvement_source, Some(Source::Answers));
                }
                assert_eq!(item.source, Some(Source::Answers));
            }
            None => {
                // Every other item: asked, unanswered.
                assert_eq!(item.average, None, "{}", item.code);
                assert_eq!(item.respondents, Some(0), "{}", item.code);
                assert_eq!(item.not_applicable, Some(0), "{}", item.code);
                assert!(item.shares.is_none(), "{}", item.code);
                assert!(item.improvement.is_none(), "{}", item.code);
                assert!(
                    item.history.iter().all(|h| h.average.is_none()),
                    "{}",
                    item.code
                );
            }
        }
    }
    assert_eq!(rows, 126);
    let item = t.item("26-1").expect("26-1");
    assert_eq!(
        item.priority_tag.as_deref(),
        Some("【平成18年度重要点検項目】")
    );
    assert!(item.priority_now);
    // 1-1 was a priority item of FY2005: tagged so in FY2006, not of this year.
    let item = t.item("1-1").expect("1-1");
    assert_eq!(
        item.priority_tag.as_deref(),
        Some("【平成17年度重要点検項目】")
    );
    assert!(!item.priority_now);
    assert_eq!(t.item("1-3").and_then(|i| i.priority_tag.clone()), None);

    // Goals and 大分類: means of their sub-item averages.
    let goal = |no: u32| {
        t.majors
            .iter()
            .flat_map(|m| &m.goals)
            .find(|g| g.no == no)
            .expect("goal")
    };
    assert_eq!(printed(&goal(1).average), Some("2.333")); // (8/3 + 2)/2 = 7/3
    assert!(close(value(&goal(1).average), 7.0 / 3.0));
    assert_eq!(printed(&goal(6).average), Some("3.000"));
    assert_eq!(printed(&goal(26).average), Some("2.667"));
    assert_eq!(printed(&goal(43).average), Some("2.500"));
    assert_eq!(printed(&goal(2).average), None);
    let majors: Vec<(&str, Option<&str>)> = t
        .majors
        .iter()
        .map(|m| (m.no.as_str(), printed(&m.average)))
        .collect();
    assert_eq!(
        majors,
        vec![
            ("1", Some("2.333")),
            ("2", Some("3.000")),
            ("3", Some("2.667")),
            ("4", None),
            ("5", Some("2.500"))
        ]
    );

    // 総平均点: (8/3 + 2 + 3 + 8/3 + 5/2)/5 = 77/30 = 2.5666… → 2.57;
    // FY2005: (3/2 + 2 + 3 + 3)/4 = 19/8 = 2.375 → 2.38 (a half, away from zero);
    // change 77/30 − 19/8 = 23/120 = 0.19166… → 0.19; FY2003: (2 + 2)/2 = 2.
    assert_eq!(printed(&t.overall.average), Some("2.57"));
    assert!(close(value(&t.overall.average), 77.0 / 30.0));
    assert_eq!(printed(&t.overall.previous), Some("2.38"));
    assert!(close(value(&t.overall.previous), 2.375));
    assert_eq!(printed(&t.overall.change), Some("0.19"));
    assert!(close(value(&t.overall.change), 23.0 / 120.0));
    let hist: Vec<Option<&str>> = t
        .overall
        .history
        .iter()
        .map(|h| printed(&h.average))
        .collect();
    assert_eq!(hist, vec![Some("2.00"), Some("2.38")]);

    // Priority items of FY2006 (25-1〜25-4, 26-1〜26-6): nobody answered 25-x.
    let p = t.priority.as_ref().expect("priority");
    assert_eq!(p.items.len(), 10);
    assert_eq!((p.organisations, p.achieved), (3, 0));
    let chuo = p
        .not_achieved
        .iter()
        .find(|s| s.code == "131024")
        .expect("中央区");
    assert_eq!(chuo.items.len(), 10);
    assert_eq!(
        chuo.items
            .iter()
            .find(|i| i.item == "26-1")
            .and_then(|i| i.score),
        Some(2)
    );
    let chiyoda = p
        .not_achieved
        .iter()
        .find(|s| s.code == "131016")
        .expect("千代田区");
    assert_eq!(chiyoda.items.len(), 9);
    assert!(chiyoda.items.iter().all(|i| i.score.is_none()));

    // Ranking: 港区 (3+3+3+3+2)/5 = 2.8, 千代田区 (3+2+3+3)/4 = 2.75, 中央区 (2+1+3+2)/4 = 2.
    let r = t.ranking.as_ref().expect("ranking");
    assert_eq!(r.kind, "municipalities");
    let got: Vec<(usize, &str, &str)> = r
        .rows
        .iter()
        .map(|r| (r.rank, r.code.as_str(), r.average.printed.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, "131032", "2.800"),
            (2, "131016", "2.750"),
            (3, "131024", "2.000")
        ]
    );

    // Seed 004's view: not at 3 — 1-1: 1, 1-2: 2, 26-1: 1, 43-1: 1, others 0.
    let nc = t.non_compliance.as_ref().expect("non-compliance");
    assert_eq!(nc.items_total, 126);
    let b: Vec<(&str, u64, &str)> = nc
        .buckets
        .iter()
        .map(|b| (b.label.as_str(), b.items, b.share.printed.as_str()))
        .collect();
    assert_eq!(
        b,
        vec![
            ("0", 122, "96.8"),
            ("1〜2", 4, "3.2"),
            ("3〜5", 0, "0.0"),
            ("6〜", 0, "0.0")
        ]
    );
    assert_eq!(nc.buckets[1].item_codes, vec!["1-1", "1-2", "26-1", "43-1"]);
    let custom = engine::non_compliance(&t, &[0, 2]);
    let b: Vec<(&str, u64)> = custom
        .buckets
        .iter()
        .map(|b| (b.label.as_str(), b.items))
        .collect();
    assert_eq!(b, vec![("0〜1", 125), ("2〜", 1)]);
}

#[test]
fn ties_share_a_rank_and_groups_rank_prefectures() {
    let catalog = catalog();
    let mut y = Year::new(
        &catalog,
        2007,
        &[
            ("011002", "札幌市", &[("1-1", 3), ("1-2", 2)]),
            ("131016", "千代田区", &[("1-1", 2), ("1-2", 3)]),
            ("131024", "中央区", &[("1-1", 3), ("1-2", 3)]),
        ],
    );
    y.orgs[0].2 = "010006";
    let names: BTreeMap<String, String> = [("010006", "北海道"), ("130001", "東京都")]
        .iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
    let t = engine::build(&Input {
        catalog: &catalog,
        scope: info("national", "national", "全国"),
        fiscal_year: fy(2007),
        years: vec![y.view()],
        use_published: true,
        rank_by: RankBy::Groups {
            kind: "prefectures",
            names: &names,
        },
    });
    // Tokyo: 1-1 (2+3)/2 = 2.5, 1-2 (3+3)/2 = 3 → 2.75; Hokkaido: (3 + 2)/2 = 2.5.
    let r = t.ranking.as_ref().expect("ranking");
    let got: Vec<(usize, &str, u64, &str)> = r
        .rows
        .iter()
        .map(|r| {
            (
                r.rank,
                r.name.as_str(),
                r.organisations,
                r.average.printed.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![(1, "東京都", 2, "2.750"), (2, "北海道", 1, "2.500")]
    );
    // Earlier years come from the published figures; 向上値 is computed
    // against the published FY2006 average: 1-1 (3+2+3)/3 − 3.000.
    let i = t.item("1-1").expect("1-1");
    assert_eq!(printed(&i.average), Some("2.667"));
    assert_eq!(printed(&i.improvement), Some("-0.333"));
    assert_eq!(
        i.history.iter().map(|h| h.source).collect::<Vec<_>>(),
        vec![Some(Source::Published); 4]
    );

    let t = engine::build(&Input {
        catalog: &catalog,
        scope: info("pref:130001", "prefecture", "東京都"),
        fiscal_year: fy(2007),
        years: vec![Year::new(
            &catalog,
            2007,
            &[
                ("131016", "千代田区", &[("1-1", 3), ("1-2", 2)]),
                ("131024", "中央区", &[("1-1", 2), ("1-2", 3)]),
                ("131032", "港区", &[("1-1", 1)]),
            ],
        )
        .view()],
        use_published: false,
        rank_by: RankBy::Organisations("municipalities"),
    });
    let got: Vec<(usize, &str)> = t
        .ranking
        .as_ref()
        .expect("r")
        .rows
        .iter()
        .map(|r| (r.rank, r.code.as_str()))
        .collect();
    assert_eq!(got, vec![(1, "131016"), (1, "131024"), (3, "131032")]);
}
