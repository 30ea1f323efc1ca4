//! The roster of local governments (JIS X 0402 codes), read from a CSV with
//! the header `code,prefecture,city,prefecture_kana,city_kana`: a row with an
//! empty `city` is a prefecture, any other row a municipality under it.

use serde::Deserialize;

use crate::domain::LgCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterEntry {
    pub code: LgCode,
    pub name: String,
    pub kana: String,
    pub is_prefecture: bool,
}

#[derive(Debug, Deserialize)]
struct Row {
    code: String,
    prefecture: String,
    city: String,
    prefecture_kana: String,
    city_kana: String,
}

/// Parses the whole file; every bad row is reported as `FILE:LINE: …`.
pub fn parse(file: &str, text: &str) -> Result<Vec<RosterEntry>, Vec<String>> {
    let mut errors = Vec::new();
    let mut out: Vec<RosterEntry> = Vec::new();
    let mut rdr = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    match rdr.headers() {
        Ok(h) if h.iter().collect::<Vec<_>>() == ["code", "prefecture", "city", "prefecture_kana", "city_kana"] => {}
        Ok(h) => {
            return Err(vec![format!(
                "{file}:1: 見出し行は code,prefecture,city,prefecture_kana,city_kana のはずですが「{}」でした",
                h.iter().collect::<Vec<_>>().join(",")
            )])
        }
        Err(e) => return Err(vec![format!("{file}:1: 読めません: {e}")]),
    }
    let mut seen = std::collections::HashSet::new();
    for (i, row) in rdr.deserialize::<Row>().enumerate() {
        let line = i + 2;
        let row = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{file}:{line}: 行が読めません: {e}"));
                continue;
            }
        };
        let code = match LgCode::parse(&row.code) {
            Ok(c) => c,
            Err(e) => {
                errors.push(format!("{file}:{line}: code: {e}"));
                continue;
            }
        };
        if !seen.insert(code.clone()) {
            errors.push(format!(
                "{file}:{line}: code: 団体コード {code} が二度出てきます"
            ));
            continue;
        }
        let is_prefecture = row.city.trim().is_empty();
        if is_prefecture != code.is_prefecture() {
            errors.push(format!(
                "{file}:{line}: city: 団体コード {code} は{}のコードですが、city 欄が{}",
                if code.is_prefecture() {
                    "都道府県"
                } else {
                    "市区町村"
                },
                if is_prefecture {
                    "空です"
                } else {
                    "埋まっています"
                }
            ));
            continue;
        }
        if row.prefecture.trim().is_empty() {
            errors.push(format!("{file}:{line}: prefecture: 都道府県名が空です"));
            continue;
        }
        let (name, kana) = if is_prefecture {
            (
                row.prefecture.trim().to_string(),
                row.prefecture_kana.trim().to_string(),
            )
        } else {
            (
                row.city.trim().to_string(),
                row.city_kana.trim().to_string(),
            )
        };
        out.push(RosterEntry {
            code,
            name,
            kana,
            is_prefecture,
        });
    }
    for e in out.iter().filter(|e| !e.is_prefecture) {
        let pref = e.code.prefecture_code();
        if !out.iter().any(|p| p.is_prefecture && p.code == pref) {
            errors.push(format!(
                "{file}: {}（{}）の都道府県 {pref} が名簿にありません",
                e.code, e.name
            ));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
