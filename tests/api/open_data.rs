//! Open data (`/stats/{scope}/{year}/open-data.*`, `tenken export
//! open-data`): read back and checked against the engine's table.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde_json::Value;
use tenken::excel::open_data::{CODE_COLUMNS, COLUMNS, OVERALL_ITEM};

use crate::helpers::spawn_app;
use crate::stats::answer;
use crate::xlsx::entries;

#[tokio::test]
async fn open_data_reads_back_as_the_engines_table_without_merged_cells() {
    let app = spawn_app().await;
    answer(&app, "131016", 2006, &[("1-1", 2)]);
    answer(&app, "131016", 2007, &[("1-1", 3), ("1-2", 2), ("2-1", 3)]);
    answer(&app, "131024", 2007, &[("1-1", 1), ("1-2", 2), ("2-1", 0)]);
    let t: Value = app
        .get("/api/v1/stats/national/2007")
        .await
        .json()
        .await
        .expect("json");

    // CSV: UTF-8 with a BOM, the stable header, one row per item × figure.
    let r = app.get("/stats/national/2007/open-data.csv").await;
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("body").to_vec();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let mut rdr = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = rdr
        .headers()
        .expect("header")
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(header, COLUMNS);
    let rows: Vec<Vec<String>> = rdr
        .records()
        .map(|r| r.expect("row").iter().map(String::from).collect())
        .collect();
    let items: Vec<&Value> = t["majors"]
        .as_array()
        .expect("majors")
        .iter()
        .flat_map(|m| m["goals"].as_array().into_iter().flatten())
        .flat_map(|g| g["items"].as_array().into_iter().flatten())
        .collect();
    assert_eq!(rows.len(), 1 + 7 * items.len());
    let cell = |item: &str, figure: &str| -> String {
        rows.iter()
            .find(|r| r[4] == item && r[5] == figure)
            .map(|r| r[6].clone())
            .unwrap_or_else(|| panic!("{item} {figure}"))
    };
    let printed = |v: &Value| v["printed"].as_str().unwrap_or("").to_string();
    assert_eq!(
        cell(OVERALL_ITEM, "overall_average"),
        printed(&t["overall"]["average"])
    );
    for i in &items {
        let code = i["code"].as_str().expect("code");
        assert_eq!(cell(code, "average"), printed(&i["average"]), "{code}");
        assert_eq!(
            cell(code, "share_3"),
            printed(&i["shares"]["three"]),
            "{code}"
        );
        assert_eq!(
            cell(code, "improvement"),
            printed(&i["improvement"]),
            "{code}"
        );
        let n = |v: &Value| v.as_u64().map(|n| n.to_string()).unwrap_or_default();
        assert_eq!(cell(code, "respondents"), n(&i["respondents"]), "{code}");
        assert_eq!(
            cell(code, "not_applicable"),
            n(&i["not_applicable"]),
            "{code}"
        );
    }
    // Hand-checked: 1-1 is (3 + 1) / 2 = 2.000, up 0.000 from FY2006's 2;
    // 2-1 has one answer 0: respondents 1, not applicable 1.
    assert_eq!(cell("1-1", "average"), "2.000");
    assert_eq!(cell("1-1", "improvement"), "0.000");
    assert_eq!(cell("2-1", "not_applicable"), "1");
    assert_eq!(cell("1-2", "not_applicable"), "0");
    // A blank is not a zero: 1-2 has no FY2006 answer, so no 向上値.
    assert_eq!(cell("1-2", "improvement"), "");
    // An item nobody answered: blank average, zero respondents.
    assert_eq!(cell("3-1", "average"), "");
    assert_eq!(cell("3-1", "respondents"), "0");

    // xlsx: the same rows as numbers, blanks as empty cells, a code table,
    // no merged cell anywhere.
    let r = app.get("/stats/national/2007/open-data.xlsx").await;
    assert_eq!(r.status().as_u16(), 200);
    let xbytes = r.bytes().await.expect("body").to_vec();
    for (name, data) in entries(&xbytes) {
        let text = String::from_utf8_lossy(&data);
        assert!(!text.contains("<mergeCell"), "{name} has merged cells");
    }
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xbytes)).expect("xlsx");
    assert_eq!(book.sheet_names(), ["data", "codes"]);
    let data = book.worksheet_range("data").expect("data");
    assert_eq!(data.height(), rows.len() + 1);
    for (row, want) in data.rows().skip(1).zip(&rows) {
        assert_eq!(row[0], Data::Float(2007.0));
        assert_eq!(row[2], Data::Empty, "the nation has no 団体コード");
        match (&row[6], want[6].as_str()) {
            (Data::Empty, "") => {}
            (Data::Float(v), w) => {
                let w: f64 = w.parse().expect("number");
                assert!((v - w).abs() < 1e-12, "{want:?}");
            }
            (got, w) => panic!("{got:?} for {w:?} in {want:?}"),
        }
    }
    let codes = book.worksheet_range("codes").expect("codes");
    let head: Vec<String> = codes
        .rows()
        .next()
        .expect("head")
        .iter()
        .map(|c| c.to_string())
        .collect();
    assert_eq!(head, CODE_COLUMNS);
    let listed: Vec<String> = codes.rows().skip(1).map(|r| r[1].to_string()).collect();
    for i in &items {
        assert!(listed
            .iter()
            .any(|c| c == i["code"].as_str().unwrap_or("?")));
    }
    for code in ["average", "improvement", "3", "0"] {
        assert!(listed.iter().any(|c| c == code), "{code}");
    }
    let r = app.get("/stats/national/2007/open-data.codes.csv").await;
    assert_eq!(r.status().as_u16(), 200);

    let (status, page) = app.get_text("/stats/national/2007").await;
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/stats/national/2007/open-data.xlsx\""));

    // One organisation's figures only for whoever may read it.
    // (an anonymous visitor is sent to the login page).
    let r = app.get("/stats/org:131016/2007/open-data.csv").await;
    assert_eq!(r.status().as_u16(), 303);
    let r = app.get("/stats/national/2007/open-data.pdf").await;
    assert_eq!(r.status().as_u16(), 404);
}
