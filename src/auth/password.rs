//! Passwords: argon2id hashes and the policy of checklist items 11-3 and 11-5
//! (at least 12 characters; letters combined with digits or symbols; not
//! containing the login).

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
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

thread_local! {
    /// argon2's working memory (~19 MiB with the default parameters), kept
    /// by each thread that hashes and reused for every hash it runs. Freshly
    /// allocated buffers were kept by the allocator after use, a new 19 MiB
    /// for nearly every login (measured: +19 MB of peak RSS per login); with
    /// this, memory is one buffer per hashing thread (`auth::hashing`).
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs argon2 with the given parameters on this thread's reused buffer.
fn argon2_into(
    hasher: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), argon2::Error> {
    BLOCKS.with(|cell| {
        let mut blocks = cell.borrow_mut();
        let need = params.block_count();
        if blocks.len() < need {
            blocks.resize(need, argon2::Block::default());
        }
        let memory = blocks
            .get_mut(..need)
            .ok_or(argon2::Error::MemoryTooLittle)?;
        hasher.hash_password_into_with_memory(password, salt, out, memory)
    })
}

/// An argon2id PHC string (`$argon2id$v=19$…`). CPU-heavy: call it off the
/// async executor (the web app runs it in `auth::hashing`'s pool).
pub fn hash(password: &str) -> AppResult<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt_string = SaltString::encode_b64(&salt)
        .map_err(|e| AppError::internal(format!("salt encoding: {e}")))?;
    let params = Params::default();
    let hasher = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon2_into(&hasher, &params, password.as_bytes(), &salt, &mut out)
        .map_err(|e| AppError::internal(format!("password hashing: {e}")))?;
    let output =
        Output::new(&out).map_err(|e| AppError::internal(format!("password hashing: {e}")))?;
    let params_string = ParamsString::try_from(&params)
        .map_err(|e| AppError::internal(format!("password hashing: {e}")))?;
    Ok(PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: params_string,
        salt: Some(salt_string.as_salt()),
        hash: Some(output),
    }
    .to_string())
}

/// Whether `password` matches the stored hash. A malformed stored hash never
/// matches.
pub fn verify(password: &str, stored: &str) -> bool {
    if password.chars().count() > MAX_LENGTH {
        return false;
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(v) => v.unwrap_or_default(),
        Err(_) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let hasher = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    if argon2_into(&hasher, &params, password.as_bytes(), salt_bytes, &mut out).is_err() {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
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
    fn hashes_agree_with_the_argon2_crates_own_hasher_and_verifier() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // Ours verified by the crate.
        let ours = hash("Correct-Horse-42").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("PHC");
        assert!(Argon2::default()
            .verify_password(b"Correct-Horse-42", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"Correct-Horse-43", &parsed)
            .is_err());
        // The crate's (as stored before this module reused memory) verified
        // by ours, with the same salt giving the same string.
        let salt = SaltString::encode_b64(&[7u8; 16]).expect("salt");
        let theirs = Argon2::default()
            .hash_password(b"Correct-Horse-42", &salt)
            .expect("hash")
            .to_string();
        assert!(verify("Correct-Horse-42", &theirs));
        assert!(!verify("Correct-Horse-43", &theirs));
        // Other parameters (a smaller memory cost) still verify.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(1024, 2, 1, None).expect("params"),
        )
        .hash_password(b"pw-1234567890", &salt)
        .expect("hash")
        .to_string();
        assert!(verify("pw-1234567890", &small));
        assert!(!verify("pw-1234567891", &small));
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
