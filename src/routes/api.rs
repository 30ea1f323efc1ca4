//! The shapes the JSON API accepts, exactly the patterns its OpenAPI
//! document (`templates/openapi.json`) states. Pages accept the friendlier
//! forms people type (`H19`, `平成19年度`, spaces); the API takes one
//! canonical form, so a client that follows the document is never
//! surprised and one that does not is told so (400, problem details).

use crate::domain::fiscal_year::{MAX_YEAR, MIN_YEAR};
use crate::error::{AppError, AppResult};

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `^(latest|YYYY)$` with YYYY in 1989..=2200 (when `latest` is allowed).
pub fn year(s: &str, latest: bool) -> AppResult<()> {
    let ok = (latest && s == "latest")
        || (digits(s, 4)
            && s.parse::<i32>()
                .is_ok_and(|y| (MIN_YEAR..=MAX_YEAR).contains(&y)));
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "年度「{s}」は API では西暦4桁（{MIN_YEAR}〜{MAX_YEAR}）{}で指定してください（例 2007）",
            if latest { "か latest " } else { "" }
        )))
    }
}

/// `national`, `agencies`, `pref:` + 6 digits, `org:` + 6 digits, `G` + 4
/// digits, `MIC` or `JLIS`.
pub fn scope(s: &str) -> AppResult<()> {
    let ok = match s {
        "national" | "agencies" => true,
        _ => {
            if let Some(code) = s.strip_prefix("pref:") {
                digits(code, 6)
            } else if let Some(code) = s.strip_prefix("org:") {
                digits(code, 6)
                    || code.strip_prefix('G').is_some_and(|d| digits(d, 4))
                    || code == "MIC"
                    || code == "JLIS"
            } else {
                false
            }
        }
    };
    if ok {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "範囲「{s}」は national, agencies, pref:130001, org:131016 の形で指定してください"
        )))
    }
}

/// `provisional`: absent or `1`.
pub fn provisional(s: Option<&str>) -> AppResult<()> {
    match s {
        None | Some("1") => Ok(()),
        Some(other) => Err(AppError::BadRequest(format!(
            "provisional「{other}」は 1 だけを指定できます（速報）"
        ))),
    }
}

/// `buckets`: `^0(,[0-9]{1,3}){0,19}$`, lower bounds starting at 0. The
/// API sorts them and drops repeats (`0,6,3,3` is `0,3,6`), so every value
/// of that shape is a valid request.
pub fn buckets(s: Option<&str>) -> AppResult<Option<String>> {
    let Some(s) = s else { return Ok(None) };
    let parts: Vec<&str> = s.split(',').collect();
    let shaped = parts.first() == Some(&"0")
        && parts.len() <= 20
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && digits(p, p.len()));
    if !shaped {
        return Err(AppError::BadRequest(format!(
            "buckets「{s}」は 0,1,3,6 のように 0 から始まる整数（20 個まで）をカンマで区切って指定してください"
        )));
    }
    let mut bounds: Vec<u32> = parts.iter().filter_map(|p| p.parse().ok()).collect();
    bounds.sort_unstable();
    bounds.dedup();
    Ok(Some(
        bounds
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert!(year("2007", true).is_ok());
        assert!(year("latest", true).is_ok());
        assert!(year("latest", false).is_err());
        for bad in ["H19", " 2007", "0000", "2201", "２００７", "1988"] {
            assert!(year(bad, true).is_err(), "{bad}");
        }
        for good in [
            "national",
            "agencies",
            "pref:010006",
            "org:011002",
            "org:G0001",
            "org:MIC",
        ] {
            assert!(scope(good).is_ok(), "{good}");
        }
        for bad in ["0", "pref:01", "org: 011002", "National", "org:G001"] {
            assert!(scope(bad).is_err(), "{bad}");
        }
        assert_eq!(
            buckets(Some("0,6,3,3")).ok().flatten().as_deref(),
            Some("0,3,6")
        );
        assert!(buckets(Some("0,,1")).is_err());
        assert!(buckets(Some("1,3")).is_err());
        assert!(provisional(Some("true")).is_err());
    }
}
