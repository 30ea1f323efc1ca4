//! Rules of an answer sheet shared by the web forms (`workflow`) and the
//! workbooks (`excel`), so that neither needs the other.

use chrono::NaiveDate;

/// The one condition of both variants: 重要機能室がありますか.
pub const CRITICAL_ROOM: &str = "has_critical_room";

/// What an answer 0 (該当しない) without a reason is refused with.
pub fn na_reason_message(code: &str) -> String {
    format!("小項目 {code} は「0 該当しない」です。該当しない理由をコメント欄に短く書いてください")
}

/// A date as forms and workbooks write it: `2008-03-31` (also `2008/03/31`).
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d"))
        .ok()
}

/// Today's date in Japan, against which deadlines and target dates are read.
pub fn today_jst() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(9)).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_with_dashes_or_slashes() {
        let d = NaiveDate::from_ymd_opt(2008, 3, 31);
        assert_eq!(parse_date(" 2008-03-31 "), d);
        assert_eq!(parse_date("2008/03/31"), d);
        assert_eq!(parse_date("2008.03.31"), None);
    }
}
