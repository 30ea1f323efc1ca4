//! The engine on answers built by hand, and on the published figures alone.

use std::collections::BTreeMap;

use super::engine::{self, Input, OrgAnswers, RankBy, YearAnswers, MISSING};
use super::exact::Figure;
use super::model::*;
use crate::checklists::{load_catalog, Catalog, Variant};
use crate::domain::FiscalYear;

fn catalog() -> Catalog {
    load_catalog(None).expect("built-in catalog")
}

fn fy(y: i32) -> FiscalYear {
    FiscalYear::new(y).expect("year")
}

fn info(key: &str, kind: &'static str, name: &str) -> ScopeInfo {
    ScopeInfo {
        key: key.into(),
        kind,
        code: None,
        name: name.into(),
        variant: Variant::Municipal,
    }
}

/// (code, name, [(item, score)]) of one organisation.
pub(crate) type Answers<'a> = (&'static str, &'static str, &'a [(&'a str, u8)]);
/// (item, average, shares 3/2/1, FY2003–FY2006, 向上値) as printed in seed 003.
type Typed = (
    &'static str,
    &'static str,
    [&'static str; 3],
    [&'static str; 4],
    &'static str,
);

/// One year's columns and organisations' scores, owned.
pub(crate) struct Year {
    fy: FiscalYear,
    items: Vec<String>,
    orgs: Vec<(&'static str, &'static str, &'static str, Vec<u8>)>,
}

impl Year {
    pub(crate) fn new(catalog: &Catalog, y: i32, answers: &[Answers]) -> Self {
        let items: Vec<String> = catalog
            .municipal
            .items_in(fy(y))
            .map(|i| i.code.clone())
            .collect();
        let orgs = answers
            .iter()
            .map(|(code, name, scores)| {
                let mut row = vec![MISSING; items.len()];
                for (item, s) in scores.iter() {
                    let col = items
                        .iter()
                        .position(|c| c == item)
                        .expect("item of the year");
                    row[col] = *s;
                }
                (*code, *name, "130001", row)
            })
            .collect();
        Self {
            fy: fy(y),
            items,
            orgs,
        }
    }

    pub(crate) fn view(&self) -> YearAnswers<'_> {
        YearAnswers {
            fiscal_year: self.fy,
            items: &self.items,
            orgs: self
                .orgs
                .iter()
                .map(|(code, name, group, scores)| OrgAnswers {
                    code,
                    name,
                    group: Some(group),
                    scores,
                    conditions: &engine::NO_CONDITIONS,
                })
                .collect(),
        }
    }
}

fn printed(f: &Option<Figure>) -> Option<&str> {
    f.as_ref().map(|f| f.printed.as_str())
}

fn value(f: &Option<Figure>) -> f64 {
    f.as_ref().map_or(f64::NAN, |f| f.value)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

/// Three wards of Tokyo; FY2004 has no answers; 43-1 does not exist in
/// FY2003. Every figure below is worked out by hand in the comments.
fn tokyo_table(catalog: &Catalog) -> Summary {
    let y2003 = Year::new(
        catalog,
        2003,
        &[
            ("131016", "千代田区", &[("1-1", 1), ("6-1", 2)]),
            ("131032", "港区", &[("1-1", 3)]),
        ],
    );
    let y2005 = Year::new(
        catalog,
        2005,
        &[
            (
                "131016",
                "千代田区",
                &[("1-1", 2), ("1-2", 2), ("6-1", 3), ("43-1", 3)],
            ),
            ("131024", "中央区", &[("1-1", 1), ("6-1", 0)]),
        ],
    );
    let y2006 = Year::new(
        catalog,
        2006,
        &[
            (
                "131016",
                "千代田区",
                &[("1-1", 3), ("1-2", 2), ("6-1", 0), ("26-1", 3), ("43-1", 3)],
            ),
            (
                "131024",
                "中央区",
                &[("1-1", 2), ("1-2", 1), ("6-1", 3), ("26-1", 2), ("43-1", 0)],
            ),
            (
                "131032",
                "港区",
                &[("1-1", 3), ("1-2", 3), ("6-1", 3), ("26-1", 3), ("43-1", 2)],
            ),
        ],
    );
    engine::build(&Input {
        catalog,
        scope: info("pref:130001", "prefecture", "東京都"),
        fiscal_year: fy(2006),
        years: vec![y2003.view(), y2005.view(), y2006.view()],
        use_published: false,
        rank_by: RankBy::Organisations("municipalities"),
    })
}

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

/// The published figures as transcribed from seed 003, by (item, year).
fn transcribed() -> BTreeMap<(String, i32), Vec<String>> {
    let text = include_str!("../../checklists/published/municipal_national.csv");
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
