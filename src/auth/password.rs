//! Passwords: argon2id hashes and the policy of checklist items 11-3 and 11-5
//! (at least 12 characters; letters combined with digits or symbols; not
//! containing the login).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::seq::IndexedRandom;
use rand::{Rng, RngCore};

use crate::error::{AppError, AppResult};

pub const MIN_LENGTH: usize = 12;
/// Longer inputs are refused before hashing, so that nobody can make the
/// server hash megabytes.
pub const MAX_LENGTH: usize = 128;

/// The problems of a proposed password, in Japanese; empty when acceptable.
pub fn policy_problems(login: &str, password: &str) -> Vec<String> {
    let mut out = Vec::new();
    let len = password.chars().count();
    if len < MIN_LENGTH {
        out.push(format!(
            "パスワードは{MIN_LENGTH}文字以上にしてください（今は{len}文字）"
        ));
    }
    if len > MAX_LENGTH {
        out.push(format!("パスワードは{MAX_LENGTH}文字以内にしてください"));
    }
    let letters = password.chars().any(|c| c.is_alphabetic());
    let digits = password
        .chars()
        .any(|c| c.is_ascii_digit() || c.is_numeric());
    let symbols = password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    if !letters || !(digits || symbols) {
        out.push("パスワードには英字と、数字または記号を組み合わせてください".into());
    }
    let login = login.trim().to_lowercase();
    if !login.is_empty() && password.to_lowercase().contains(&login) {
        out.push("パスワードにログインIDを含めないでください".into());
    }
    out
}

pub fn check_policy(login: &str, password: &str) -> AppResult<()> {
    let problems = policy_problems(login, password);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(problems))
    }
}

/// An argon2id PHC string (`$argon2id$v=19$…`). CPU-heavy: call it off the
/// async executor.
pub fn hash(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::Internal(format!("salt encoding: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("password hashing: {e}")))
}

/// Whether `password` matches the stored hash. A malformed stored hash never
/// matches.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.chars().count() > MAX_LENGTH {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash that matches no known password, verified against when the login
/// does not exist so that the answer takes as long as for a real account.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash(&super::token::random_token()).unwrap_or_default())
}

/// A generated password: 16 characters without look-alikes (0/O, 1/l/I),
/// always with letters and digits, so it satisfies the policy for any login
/// of 3 or more characters it cannot contain by chance in practice.
pub fn generate(login: &str) -> String {
    const LETTERS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
    const DIGITS: &[u8] = b"23456789";
    const SYMBOLS: &[u8] = b"-_.+=";
    let mut rng = rand::rng();
    loop {
        let mut out: Vec<u8> = Vec::with_capacity(16);
        for i in 0..16 {
            let set: &[u8] = match i {
                4 | 11 => DIGITS,
                8 => SYMBOLS,
                _ if rng.random_bool(0.25) => DIGITS,
                _ => LETTERS,
            };
            out.extend(set.choose(&mut rng));
        }
        let pw: String = out.into_iter().map(char::from).collect();
        if policy_problems(login, &pw).is_empty() {
            return pw;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(policy_problems("sapporo01", "Correct-Horse-42").is_empty());
        assert_eq!(
            policy_problems("x", "short1"),
            vec!["パスワードは12文字以上にしてください（今は6文字）".to_string()]
        );
        assert_eq!(
            policy_problems("x", "onlyletterslong"),
            vec!["パスワードには英字と、数字または記号を組み合わせてください".to_string()]
        );
        assert!(policy_problems("x", "letters and spaces").len() == 1);
        assert!(policy_problems("x", "letters-and-symbols").is_empty());
        assert!(policy_problems("x", "123456789012").len() == 1);
        assert_eq!(
            policy_problems("Sapporo", "my-sapporo-2007"),
            vec!["パスワードにログインIDを含めないでください".to_string()]
        );
    }

    #[test]
    fn hash_and_verify() {
        let h = hash("Correct-Horse-42").expect("hash");
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(verify("Correct-Horse-42", &h));
        assert!(!verify("Correct-Horse-43", &h));
        assert!(!verify("anything", "not a hash"));
        assert!(dummy_hash().starts_with("$argon2id$"));
        assert!(!verify("anything", dummy_hash()));
    }

    #[test]
    fn generated_passwords_pass_the_policy() {
        for _ in 0..50 {
            let p = generate("abc");
            assert_eq!(p.chars().count(), 16);
            assert!(policy_problems("abc", &p).is_empty(), "{p}");
        }
    }
}
