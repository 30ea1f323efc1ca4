//! Japanese fiscal years (年度): April to March, named by the Western year in
//! which they start. Shown in the Japanese era with the Western year beside it,
//! as the Digital Agency's design system writes both: `平成19年度（2007年度）`
//! (`Display`, and the templates' `wareki` filter, which uses it).

use std::fmt;

/// Earliest year accepted: 平成元年度. The self-check itself began in 2003.
pub const MIN_YEAR: i32 = 1989;
/// Latest year accepted; far enough for any real round.
pub const MAX_YEAR: i32 = 2200;
const HEISEI_FIRST: i32 = 1989;
const REIWA_FIRST: i32 = 2019;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct FiscalYear(i32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("「{input}」は年度として読めません。{reason}。使える形: 2007, 2007年度, H19, 平成19, 平成19年度, R7, 令和7, 令和元年度 ({MIN_YEAR}〜{MAX_YEAR}年度)")]
pub struct FiscalYearError {
    pub input: String,
    pub reason: &'static str,
}

impl FiscalYear {
    pub fn new(year: i32) -> Result<Self, FiscalYearError> {
        if (MIN_YEAR..=MAX_YEAR).contains(&year) {
            Ok(Self(year))
        } else {
            Err(FiscalYearError {
                input: year.to_string(),
                reason: "範囲外の年です",
            })
        }
    }

    pub fn year(self) -> i32 {
        self.0
    }

    pub fn previous(self) -> Option<Self> {
        Self::new(self.0 - 1).ok()
    }

    /// Parses the forms people write: `2007`, `2007年度`, `H19`, `平成19`,
    /// `平成19年度`, `R7`, `令和7年度`, `令和元年度`; full-width digits too.
    pub fn parse(input: &str) -> Result<Self, FiscalYearError> {
        let err = |reason| FiscalYearError {
            input: input.to_string(),
            reason,
        };
        let normalised: String = input
            .trim()
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
                'Ｈ' | 'ｈ' => 'H',
                'Ｒ' | 'ｒ' => 'R',
                'h' => 'H',
                'r' => 'R',
                other => other,
            })
            .filter(|c| !c.is_whitespace())
            .collect();
        let body = normalised
            .strip_suffix("年度")
            .or_else(|| normalised.strip_suffix('年'))
            .unwrap_or(&normalised);
        if body.is_empty() {
            return Err(err("空です"));
        }
        let (era_first, era_last, number) = if let Some(rest) =
            body.strip_prefix("平成").or_else(|| body.strip_prefix('H'))
        {
            (HEISEI_FIRST, 2019, rest)
        } else if let Some(rest) = body.strip_prefix("令和").or_else(|| body.strip_prefix('R')) {
            (REIWA_FIRST, MAX_YEAR, rest)
        } else {
            let year: i32 = body
                .parse()
                .map_err(|_| err("数字か元号で書いてください"))?;
            if body.len() != 4 {
                return Err(err("西暦は4桁で書いてください"));
            }
            return Self::new(year).map_err(|_| err("範囲外の年です"));
        };
        let n: i32 = if number == "元" {
            1
        } else {
            if number.is_empty() || number.len() > 3 {
                return Err(err("元号の後に年の数字が要ります"));
            }
            number
                .parse()
                .map_err(|_| err("元号の後に年の数字が要ります"))?
        };
        if n < 1 {
            return Err(err("元号の年は1（元年）から始まります"));
        }
        let year = era_first + n - 1;
        if year > era_last {
            return Err(err("その元号にない年です"));
        }
        Self::new(year).map_err(|_| err("範囲外の年です"))
    }

    /// Era name and number: `平成19年度`, `令和元年度`. 2019 is 令和元年度: the
    /// fiscal year began after the era changed on 1 May 2019 for most of it.
    pub fn wareki(self) -> String {
        let (era, n) = self.era();
        if n == 1 {
            format!("{era}元年度")
        } else {
            format!("{era}{n}年度")
        }
    }

    /// The short tag used in published tables: `H19`, `R7`.
    pub fn short(self) -> String {
        let (era, n) = self.era();
        let letter = if era == "令和" { 'R' } else { 'H' };
        format!("{letter}{n}")
    }

    fn era(self) -> (&'static str, i32) {
        if self.0 >= REIWA_FIRST {
            ("令和", self.0 - REIWA_FIRST + 1)
        } else {
            ("平成", self.0 - HEISEI_FIRST + 1)
        }
    }
}

impl fmt::Display for FiscalYear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}（{}年度）", self.wareki(), self.0)
    }
}

impl std::str::FromStr for FiscalYear {
    type Err = FiscalYearError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl<'de> serde::Deserialize<'de> for FiscalYear {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(i) => i32::try_from(i)
                .map_err(|_| serde::de::Error::custom("year out of range"))
                .and_then(|y| FiscalYear::new(y).map_err(serde::de::Error::custom)),
            Raw::Text(s) => FiscalYear::parse(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let cases = [
            ("2007", 2007, "平成19年度（2007年度）"),
            ("2007年度", 2007, "平成19年度（2007年度）"),
            ("H19", 2007, "平成19年度（2007年度）"),
            ("h19", 2007, "平成19年度（2007年度）"),
            ("平成19", 2007, "平成19年度（2007年度）"),
            ("平成19年度", 2007, "平成19年度（2007年度）"),
            ("平成１９年度", 2007, "平成19年度（2007年度）"),
            ("H15", 2003, "平成15年度（2003年度）"),
            ("平成元年度", 1989, "平成元年度（1989年度）"),
            ("H31", 2019, "令和元年度（2019年度）"),
            ("R1", 2019, "令和元年度（2019年度）"),
            ("令和元年度", 2019, "令和元年度（2019年度）"),
            ("R7", 2025, "令和7年度（2025年度）"),
            ("令和7", 2025, "令和7年度（2025年度）"),
            ("令和7年度", 2025, "令和7年度（2025年度）"),
            (" ２０２５ ", 2025, "令和7年度（2025年度）"),
        ];
        for (input, year, shown) in cases {
            let fy = FiscalYear::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(fy.year(), year, "{input}");
            assert_eq!(fy.to_string(), shown, "{input}");
        }
        assert_eq!(
            FiscalYear::parse("2007").map(|f| f.short()),
            Ok("H19".into())
        );
        assert_eq!(
            FiscalYear::parse("2025").map(|f| f.short()),
            Ok("R7".into())
        );
    }

    #[test]
    fn refused_forms_say_what_is_accepted() {
        for bad in [
            "", "07", "1988", "2201", "H0", "H32", "平成", "令和", "R-1", "昭和60", "abc", "20x7",
            "H1000",
        ] {
            let err = FiscalYear::parse(bad).expect_err(bad);
            let msg = err.to_string();
            assert!(msg.contains("使える形"), "{bad}: {msg}");
            assert!(msg.contains(bad.trim()), "{bad}: {msg}");
        }
    }

    #[test]
    fn previous_year() {
        let fy = FiscalYear::parse("H19").map(|f| f.previous());
        assert_eq!(fy, Ok(Some(FiscalYear(2006))));
    }
}
