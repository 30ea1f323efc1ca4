//! The answer scale: 3 運用している, 2 整備している, 1 整備していない,
//! 0 該当しない (N/A, left out of every average). The labels and definitions
//! live in `checklists/scale.toml`; this type only guards the range.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Score(u8);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("「{0}」は 0〜3 のいずれでもありません")]
pub struct ScoreError(pub String);

impl Score {
    pub const NOT_APPLICABLE: Score = Score(0);
    pub const ALL: [Score; 4] = [Score(3), Score(2), Score(1), Score(0)];

    pub fn new(v: i64) -> Result<Self, ScoreError> {
        match v {
            0..=3 => Ok(Self(v as u8)),
            _ => Err(ScoreError(v.to_string())),
        }
    }

    /// Accepts `0`–`3`, their full-width forms `０`–`３`, and the scale's
    /// own words (運用している …).
    pub fn parse(input: &str) -> Result<Self, ScoreError> {
        let s = input.trim();
        let v = match s {
            "3" | "３" | "運用している" => 3,
            "2" | "２" | "整備している" => 2,
            "1" | "１" | "整備していない" => 1,
            "0" | "０" | "該当しない" => 0,
            _ => return Err(ScoreError(s.to_string())),
        };
        Ok(Self(v))
    }

    pub fn value(self) -> u8 {
        self.0
    }

    /// False for 0 (該当しない): such answers are left out of averages.
    pub fn counts_in_average(self) -> bool {
        self.0 != 0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_scores() {
        assert_eq!(Score::parse("３"), Ok(Score(3)));
        assert_eq!(Score::parse(" 運用している "), Ok(Score(3)));
        assert_eq!(Score::parse("整備していない"), Ok(Score(1)));
        assert_eq!(Score::parse("0"), Ok(Score(0)));
        assert_eq!(
            Score::parse("4").map_err(|e| e.to_string()),
            Err("「4」は 0〜3 のいずれでもありません".to_string())
        );
        assert!(Score::new(-1).is_err());
        assert!(!Score::NOT_APPLICABLE.counts_in_average());
    }
}
