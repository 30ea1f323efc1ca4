//! Finding the CSRF token in a request: the `X-CSRF-Token` header, or the
//! `csrf_token` field of a URL-encoded or multipart form.

use super::CSRF_FIELD;

/// The token a request carries, if any.
pub fn token_in(content_type: &str, header: Option<&str>, body: &[u8]) -> Option<String> {
    if let Some(h) = header.filter(|h| !h.is_empty()) {
        return Some(h.to_string());
    }
    let ct = content_type.to_ascii_lowercase();
    if ct.starts_with("application/x-www-form-urlencoded") {
        return serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .ok()?
            .into_iter()
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v);
    }
    if ct.starts_with("multipart/form-data") {
        return multipart_field(body, CSRF_FIELD);
    }
    None
}

/// The value of a small text field of a multipart body: the part whose
/// headers name it, up to the next CRLF.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let at = find(body, needle.as_bytes())?;
    let rest = body.get(at + needle.len()..)?;
    let start = find(rest, b"\r\n\r\n")? + 4;
    let value = rest.get(start..)?;
    let end = find(value, b"\r\n")?;
    String::from_utf8(value.get(..end)?.to_vec()).ok()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token() {
        assert_eq!(
            token_in(
                "application/x-www-form-urlencoded",
                None,
                b"a=1&csrf_token=abc%2B&b=2"
            ),
            Some("abc+".into())
        );
        assert_eq!(
            token_in("application/x-www-form-urlencoded", None, b"a=1"),
            None
        );
        let mp = b"--X\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\ntok123\r\n--X\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.xlsx\"\r\n\r\nDATA\r\n--X--\r\n";
        assert_eq!(
            token_in("multipart/form-data; boundary=X", None, mp),
            Some("tok123".into())
        );
        assert_eq!(
            token_in("application/json", Some("hdr"), b"{}"),
            Some("hdr".into())
        );
        assert_eq!(token_in("application/json", None, b"{}"), None);
    }
}
