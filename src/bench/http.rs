//! The load benchmark's browsers: one cookie jar per account, login with
//! the login form's CSRF token, and the values read back from a page.

use std::time::Duration;

use reqwest::redirect::Policy;
use reqwest::StatusCode;

/// A failed request, in Japanese, with a short key to count it by.
#[derive(Debug, Clone)]
pub struct Failure {
    /// What failed and how, e.g. `保存 POST 500`.
    pub key: String,
    pub detail: String,
}

impl Failure {
    pub fn new(key: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            detail: detail.into(),
        }
    }

    fn transport(what: &str, e: &reqwest::Error) -> Self {
        Self::new(format!("{what} 通信エラー"), format!("{what}: {e}"))
    }
}

/// One browser (its own cookies) on the server at `base`.
#[derive(Clone)]
pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
}

/// A response read to its end.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Browser {
    pub fn new(base: &str) -> Result<Self, Failure> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(120))
            .build()
            .map_err(|e| Failure::transport("HTTP クライアントの作成", &e))?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    async fn finish(what: &str, r: reqwest::Response) -> Result<Page, Failure> {
        let status = r.status();
        let location = r
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = r.text().await.map_err(|e| Failure::transport(what, &e))?;
        Ok(Page {
            status,
            location,
            body,
        })
    }

    /// GETs `path` (from the server's root) and reads the whole body.
    pub async fn get(&self, what: &str, path: &str) -> Result<Page, Failure> {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .map_err(|e| Failure::transport(what, &e))?;
        Self::finish(what, r).await
    }

    /// POSTs a form (`application/x-www-form-urlencoded`, as a browser does).
    pub async fn post(
        &self,
        what: &str,
        path: &str,
        fields: &[(String, String)],
    ) -> Result<Page, Failure> {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .map_err(|e| Failure::transport(what, &e))?;
        Self::finish(what, r).await
    }

    /// Logs in through the login form. A login the server's hashing pool
    /// could not take in time (503) is tried again, up to 10 times.
    pub async fn login(&self, login: &str, password: &str) -> Result<(), Failure> {
        for _ in 0..10 {
            let page = self.get("ログイン画面", "/login").await?;
            let csrf = input_value(&page.body, "csrf_token").ok_or_else(|| {
                Failure::new(
                    "ログイン画面",
                    "ログイン画面に csrf_token の入力欄がありません",
                )
            })?;
            let fields = [
                ("csrf_token", csrf.as_str()),
                ("login", login),
                ("password", password),
                ("next", ""),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()));
            let r = self.post("ログイン", "/login", &fields).await?;
            match r.status.as_u16() {
                303 => return Ok(()),
                503 => tokio::time::sleep(Duration::from_millis(500)).await,
                s => {
                    return Err(Failure::new(
                        format!("ログイン {s}"),
                        format!("{login} のログインが {s} で断られました"),
                    ))
                }
            }
        }
        Err(Failure::new(
            "ログイン 503",
            format!("{login} のログインが 10 回続けて 503 でした"),
        ))
    }
}

/// The value of the `<input>` named `name` in `html` (the first one),
/// whatever the order of its attributes, with tera's escapes undone.
pub fn input_value(html: &str, name: &str) -> Option<String> {
    let needle = format!("name=\"{name}\"");
    let mut from = 0;
    while let Some(at) = html.get(from..)?.find(&needle).map(|i| i + from) {
        let start = html.get(..at)?.rfind('<')?;
        let end = at + html.get(at..)?.find('>')?;
        let tag = html.get(start..end)?;
        if tag.starts_with("<input") {
            let v = tag.find("value=\"")? + "value=\"".len();
            let rest = tag.get(v..)?;
            let value = rest.get(..rest.find('"')?)?;
            return Some(unescape(value));
        }
        from = end;
    }
    None
}

fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_values_are_found_whatever_the_attribute_order() {
        let html = r#"<form><input type="hidden" name="csrf_token" value="a&#x2F;b">
            <textarea name="version">9</textarea>
            <input value="12" name="version" type="hidden"></form>"#;
        assert_eq!(input_value(html, "csrf_token").as_deref(), Some("a/b"));
        assert_eq!(input_value(html, "version").as_deref(), Some("12"));
        assert_eq!(input_value(html, "missing"), None);
    }
}
