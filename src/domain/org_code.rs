//! Organisation codes.
//!
//! Local governments carry their 6-digit 全国地方公共団体コード (JIS X 0402):
//! two digits of prefecture, three of the body, one check digit computed as
//! `(11 - Σ(d_i·w_i) mod 11) mod 10` with weights 6,5,4,3,2. A prefecture's own
//! code has `000` as its body (`010006` 北海道).
//!
//! Organisations outside that list get codes of their own:
//! national agencies (国の行政機関等) `G` and four digits (`G0001`), the
//! ministry (総務省) `MIC`, the designated information processing body
//! (指定情報処理機関) `JLIS`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LgCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgCodeError {
    #[error(
        "団体コード「{0}」は6桁の数字ではありません（全国地方公共団体コード、検査数字を含む6桁）"
    )]
    Shape(String),
    #[error("団体コード「{code}」の検査数字が合いません（{expected} のはずです）")]
    CheckDigit { code: String, expected: u32 },
    #[error("団体コード「{0}」の都道府県番号は 01〜47 ではありません")]
    Prefecture(String),
    #[error("組織コード「{0}」は読めません（地方公共団体は6桁のコード、国の行政機関等は G と4桁の数字、総務省は MIC、指定情報処理機関は JLIS）")]
    Unknown(String),
}

impl LgCode {
    pub fn parse(input: &str) -> Result<Self, OrgCodeError> {
        let s = input.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OrgCodeError::Shape(s.to_string()));
        }
        let digits: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
        let Ok([d0, d1, d2, d3, d4, d5]) = <[u32; 6]>::try_from(digits) else {
            return Err(OrgCodeError::Shape(s.to_string()));
        };
        let expected = check_digit(&[d0, d1, d2, d3, d4]);
        if d5 != expected {
            return Err(OrgCodeError::CheckDigit {
                code: s.to_string(),
                expected,
            });
        }
        let pref = d0 * 10 + d1;
        if !(1..=47).contains(&pref) {
            return Err(OrgCodeError::Prefecture(s.to_string()));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-digit prefecture number, `01`..`47`.
    pub fn prefecture_number(&self) -> &str {
        &self.0[..2]
    }

    pub fn is_prefecture(&self) -> bool {
        &self.0[2..5] == "000"
    }

    /// The code of the prefecture this body belongs to (itself for a prefecture).
    pub fn prefecture_code(&self) -> LgCode {
        let body = format!("{}000", self.prefecture_number());
        let digits: Vec<u32> = body.bytes().map(|b| u32::from(b - b'0')).collect();
        LgCode(format!("{body}{}", check_digit(&digits)))
    }
}

fn check_digit(first_five: &[u32]) -> u32 {
    let sum: u32 = first_five
        .iter()
        .zip([6, 5, 4, 3, 2])
        .map(|(d, w)| d * w)
        .sum();
    (11 - sum % 11) % 10
}

impl fmt::Display for LgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Any organisation's code, parsed once at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OrgCode {
    LocalGovernment(LgCode),
    Agency(String),
    Ministry,
    DesignatedBody,
}

impl OrgCode {
    pub fn parse(input: &str) -> Result<Self, OrgCodeError> {
        let s = input.trim();
        match s {
            "MIC" => return Ok(Self::Ministry),
            "JLIS" => return Ok(Self::DesignatedBody),
            _ => {}
        }
        if let Some(rest) = s.strip_prefix('G') {
            if rest.len() == 4 && rest.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(Self::Agency(s.to_string()));
            }
            return Err(OrgCodeError::Unknown(s.to_string()));
        }
        if s.bytes().all(|b| b.is_ascii_digit()) {
            return LgCode::parse(s).map(Self::LocalGovernment);
        }
        Err(OrgCodeError::Unknown(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Self::LocalGovernment(c) => c.as_str(),
            Self::Agency(c) => c,
            Self::Ministry => "MIC",
            Self::DesignatedBody => "JLIS",
        }
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_codes_pass() {
        for code in ["010006", "011002", "131016", "312029", "472085", "130001"] {
            assert!(LgCode::parse(code).is_ok(), "{code}");
        }
        let sapporo = LgCode::parse("011002").expect("valid");
        assert!(!sapporo.is_prefecture());
        assert_eq!(sapporo.prefecture_code().as_str(), "010006");
        assert!(LgCode::parse("310001").is_err(), "bad check digit");
    }

    #[test]
    fn bad_codes_are_refused_with_reason() {
        assert_eq!(
            LgCode::parse("011003"),
            Err(OrgCodeError::CheckDigit {
                code: "011003".into(),
                expected: 2
            })
        );
        assert!(matches!(
            LgCode::parse("01100"),
            Err(OrgCodeError::Shape(_))
        ));
        assert!(matches!(
            LgCode::parse("0110a2"),
            Err(OrgCodeError::Shape(_))
        ));
        // 48 is no prefecture; 480002 has a correct check digit.
        assert!(matches!(
            LgCode::parse("480002"),
            Err(OrgCodeError::Prefecture(_))
        ));
        let msg = LgCode::parse("011003").map(|_| ()).unwrap_err().to_string();
        assert!(msg.contains("011003") && msg.contains('2'), "{msg}");
    }

    #[test]
    fn other_organisations() {
        assert_eq!(OrgCode::parse("MIC"), Ok(OrgCode::Ministry));
        assert_eq!(OrgCode::parse("JLIS"), Ok(OrgCode::DesignatedBody));
        assert_eq!(OrgCode::parse("G0001"), Ok(OrgCode::Agency("G0001".into())));
        assert!(OrgCode::parse("G01").is_err());
        assert!(OrgCode::parse("XYZ").is_err());
    }
}
