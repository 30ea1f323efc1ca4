//! `tenken report summary`: the table as CSV or plain text (JSON is the
//! serialised [`Summary`]).

use std::fmt::Write;

use super::exact::Figure;
use super::model::Summary;
use crate::error::{AppError, AppResult};

fn cell(f: &Option<Figure>) -> &str {
    f.as_ref().map_or("-", |f| f.printed.as_str())
}

/// One line per sub-item. Columns: `scope, fiscal_year, major, goal, item,
/// text, priority_tag, average, share_3, share_2, share_1, avg_<year>…,
/// improvement, remark, respondents, not_applicable`; `-` where there is
/// no figure.
pub fn to_csv(s: &Summary) -> AppResult<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "scope",
        "fiscal_year",
        "major",
        "goal",
        "item",
        "text",
        "priority_tag",
        "average",
        "share_3",
        "share_2",
        "share_1",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.extend(s.years.iter().map(|y| format!("avg_{}", y.fiscal_year)));
    header.extend(
        [
            "improvement",
            "remark",
            "respondents",
            "not_applicable",
            "basis",
            "counted",
        ]
        .iter()
        .map(|h| h.to_string()),
    );
    let err = |e: csv::Error| AppError::internal_from("CSV", e);
    w.write_record(&header).map_err(err)?;
    for m in &s.majors {
        for g in &m.goals {
            for i in &g.items {
                let share = |f: fn(&super::model::Shares) -> &Figure| {
                    i.shares
                        .as_ref()
                        .map_or("-".to_string(), |s| f(s).printed.clone())
                };
                let mut row = vec![
                    s.scope.key.clone(),
                    s.fiscal_year.to_string(),
                    m.no.clone(),
                    g.no.to_string(),
                    i.code.clone(),
                    i.text.clone(),
                    i.priority_tag.clone().unwrap_or_default(),
                    cell(&i.average).to_string(),
                    share(|s| &s.three),
                    share(|s| &s.two),
                    share(|s| &s.one),
                ];
                row.extend(i.history.iter().map(|h| cell(&h.average).to_string()));
                row.push(cell(&i.improvement).to_string());
                row.push(i.remark.clone().unwrap_or_default());
                row.push(i.respondents.map_or("-".into(), |n| n.to_string()));
                row.push(i.not_applicable.map_or("-".into(), |n| n.to_string()));
                row.push(s.basis.as_str().to_string());
                row.push(
                    s.counting
                        .as_ref()
                        .map_or_else(String::new, |c| c.label.clone()),
                );
                w.write_record(&row).map_err(err)?;
            }
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal_from("CSV", e))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal_from("CSV", e))
}

/// A plain-text table for the terminal, laid out like seed 003.
pub fn to_text(s: &Summary) -> String {
    let mut out = String::new();
    let source = match s.source {
        Some(super::Source::Answers) => "各団体の回答から集計",
        Some(super::Source::Published) => "公表値",
        None => "データなし",
    };
    let _ = writeln!(
        out,
        "{}点検結果集計表 {} {}",
        if s.basis.is_provisional() {
            "【速報】"
        } else {
            ""
        },
        s.scope.name,
        s.fiscal_year_label
    );
    if let Some(c) = &s.counting {
        let _ = writeln!(out, "{}", c.label);
    }
    let _ = writeln!(
        out,
        "集計団体数 {}団体（{source}）",
        s.organisations.map_or("-".into(), |n| n.to_string())
    );
    let prev = s
        .previous_year
        .and_then(|y| s.years.iter().find(|c| c.fiscal_year == y))
        .map_or("前年度".to_string(), |c| c.short.clone());
    let mut head = format!(
        "{:<6} {:>8} {:>6} {:>6} {:>6}",
        "小項目",
        format!("{}平均", s.fiscal_year_short),
        "回答3",
        "回答2",
        "回答1"
    );
    for y in &s.years {
        let _ = write!(head, " {:>8}", format!("{}平均", y.short));
    }
    let _ = write!(head, " {:>9}", format!("{prev}→{}", s.fiscal_year_short));
    for m in &s.majors {
        let _ = writeln!(out, "\n{} {}  平均 {}", m.no, m.name, cell(&m.average));
        let _ = writeln!(out, "{head}");
        for g in &m.goals {
            let _ = writeln!(out, "{:>2} {}  平均 {}", g.no, g.text, cell(&g.average));
            for i in &g.items {
                let sh = |k: usize| {
                    i.shares.as_ref().map_or("-".to_string(), |s| {
                        let f = match k {
                            0 => &s.three,
                            1 => &s.two,
                            _ => &s.one,
                        };
                        format!("{}%", f.printed)
                    })
                };
                let mut line = format!(
                    "{:<6} {:>8} {:>6} {:>6} {:>6}",
                    i.code,
                    cell(&i.average),
                    sh(0),
                    sh(1),
                    sh(2)
                );
                for h in &i.history {
                    let _ = write!(line, " {:>8}", cell(&h.average));
                }
                let _ = write!(line, " {:>9}", cell(&i.improvement));
                let _ = writeln!(
                    out,
                    "{line}  {}{}{}",
                    i.text,
                    i.priority_tag.as_deref().unwrap_or(""),
                    i.remark
                        .as_deref()
                        .map(|r| format!(" 〔{r}〕"))
                        .unwrap_or_default()
                );
            }
        }
    }
    let _ = writeln!(
        out,
        "\n総平均点 {} (3点満点)  {}総平均点 {}  {}点",
        cell(&s.overall.average),
        prev,
        cell(&s.overall.previous),
        s.overall
            .change
            .as_ref()
            .map_or("-".to_string(), |c| signed(&c.printed))
    );
    if let Some(p) = &s.priority {
        let _ = writeln!(
            out,
            "重要点検項目 {} 項目: {} 団体中 {} 団体が全項目3点満点",
            p.items.len(),
            p.organisations,
            p.achieved
        );
        for f in &p.not_achieved {
            let items: Vec<String> = f
                .items
                .iter()
                .map(|i| {
                    format!(
                        "{}={}",
                        i.item,
                        i.score.map_or("未回答".to_string(), |s| s.to_string())
                    )
                })
                .collect();
            let _ = writeln!(out, "  {} {}: {}", f.code, f.name, items.join(" "));
        }
    }
    if let Some(r) = &s.ranking {
        let _ = writeln!(out, "\n順位（総平均点）");
        for row in &r.rows {
            let _ = writeln!(
                out,
                "{:>4} {} {} {} ({}団体)",
                row.rank, row.code, row.name, row.average.printed, row.organisations
            );
        }
    }
    if let Some(nc) = &s.non_compliance {
        let _ = writeln!(
            out,
            "\n3点でない団体の数ごとの項目数（全 {} 項目中）",
            nc.items_total
        );
        for b in &nc.buckets {
            let _ = writeln!(out, "{:>8}  {} ({}%)", b.label, b.items, b.share.printed);
        }
    }
    out
}

/// `0.02` → `+0.02`; `-0.01` and `0.00` as they are.
pub fn signed(printed: &str) -> String {
    if printed.starts_with('-') || printed.trim_start_matches(['0', '.']).is_empty() {
        printed.to_string()
    } else {
        format!("+{printed}")
    }
}
