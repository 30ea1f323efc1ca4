//! The scope of a table: which organisations' answers are aggregated.
//! Parsed once, at the edge, from `national`, `pref:130001`, `agencies` or
//! `org:131016`.

use std::fmt;

use crate::domain::{LgCode, OrgCode};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Every municipality (市区町村) of the nation.
    National,
    /// The municipalities of one prefecture, by the prefecture's own code.
    Prefecture(LgCode),
    /// The national agencies (国の行政機関等).
    Agencies,
    /// One organisation.
    Organisation(OrgCode),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("集計範囲「{input}」は読めません。{reason}。使える形: national（全国の市区町村）, pref:130001（都道府県の団体コード）, agencies（国の行政機関等）, org:131016（1団体）")]
pub struct ScopeError {
    pub input: String,
    pub reason: String,
}

impl Scope {
    pub fn parse(input: &str) -> Result<Self, ScopeError> {
        let s = input.trim();
        let err = |reason: String| ScopeError {
            input: s.to_string(),
            reason,
        };
        match s {
            "national" => return Ok(Self::National),
            "agencies" => return Ok(Self::Agencies),
            _ => {}
        }
        if let Some(code) = s.strip_prefix("pref:") {
            let code = LgCode::parse(code).map_err(|e| err(e.to_string()))?;
            if !code.is_prefecture() {
                return Err(err(format!(
                    "{code} は都道府県のコードではありません（都道府県は {} のように 3〜5桁目が 000 です）",
                    code.prefecture_code()
                )));
            }
            return Ok(Self::Prefecture(code));
        }
        if let Some(code) = s.strip_prefix("org:") {
            return OrgCode::parse(code)
                .map(Self::Organisation)
                .map_err(|e| err(e.to_string()));
        }
        Err(err("種類が分かりません".into()))
    }

    /// The organisation code an operation-log entry names for this scope:
    /// the prefecture's or the organisation's; empty for the nation and the
    /// agencies as a whole.
    pub fn log_target(&self) -> String {
        match self {
            Self::Prefecture(code) => code.to_string(),
            Self::Organisation(code) => code.to_string(),
            Self::National | Self::Agencies => String::new(),
        }
    }

    /// The string form, as parsed.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// `national`, `prefecture`, `agencies`, `organisation`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::National => "national",
            Self::Prefecture(_) => "prefecture",
            Self::Agencies => "agencies",
            Self::Organisation(_) => "organisation",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::National => f.write_str("national"),
            Self::Prefecture(c) => write!(f, "pref:{c}"),
            Self::Agencies => f.write_str("agencies"),
            Self::Organisation(c) => write!(f, "org:{c}"),
        }
    }
}

impl std::str::FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl From<ScopeError> for crate::error::AppError {
    fn from(e: ScopeError) -> Self {
        crate::error::AppError::BadRequest(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_forms() {
        assert_eq!(Scope::parse("national"), Ok(Scope::National));
        assert_eq!(Scope::parse(" agencies "), Ok(Scope::Agencies));
        let tokyo = Scope::parse("pref:130001").expect("tokyo");
        assert_eq!(tokyo.to_string(), "pref:130001");
        assert_eq!(tokyo.kind(), "prefecture");
        let chiyoda = Scope::parse("org:131016").expect("chiyoda");
        assert_eq!(chiyoda.to_string(), "org:131016");
        assert_eq!(
            Scope::parse("org:G0001").map(|s| s.to_string()),
            Ok("org:G0001".into())
        );
    }

    #[test]
    fn bad_scopes_say_what_is_wrong() {
        let e = Scope::parse("pref:131016").expect_err("a city is no prefecture");
        assert!(
            e.to_string()
                .contains("131016 は都道府県のコードではありません"),
            "{e}"
        );
        assert!(e.to_string().contains("130001"), "{e}");
        let e = Scope::parse("pref:130002").expect_err("check digit");
        assert!(e.to_string().contains("検査数字"), "{e}");
        let e = Scope::parse("city:131016").expect_err("unknown kind");
        assert!(e.to_string().contains("種類が分かりません"), "{e}");
        assert!(e.to_string().contains("使える形"), "{e}");
        assert!(Scope::parse("org:XYZ").is_err());
        assert!(Scope::parse("").is_err());
    }
}
