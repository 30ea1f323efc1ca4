//! Page rendering with tera. The templates under `templates/` are compiled
//! into the binary; autoescaping is on for every `.html` template.

use serde::Serialize;
use tera::{Context, Tera};

use crate::auth::SessionView;
#[cfg(test)]
use crate::domain::FieldProblem;
use crate::domain::FiscalYear;
use crate::error::AppResult;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// A page's data with the account for the layout: the one shape every
/// template is rendered from (`routes::page::render`).
#[derive(Serialize)]
pub struct Page<'a, T: Serialize> {
    pub session: Option<SessionView>,
    pub title: &'a str,
    pub notice: Option<String>,
    #[serde(flatten)]
    pub body: T,
}

pub struct Templates {
    tera: Tera,
}

impl Templates {
    pub fn load() -> AppResult<Self> {
        let mut tera = Tera::default();
        tera.register_filter("wareki", wareki_filter);
        tera.register_filter("jst", jst_filter);
        tera.add_raw_templates(templates![
            "macros.html",
            "base.html",
            "index.html",
            "checklist.html",
            "charts.html",
            "stats.html",
            "stats_table.html",
            "login.html",
            "password.html",
            "home.html",
            "sheet.html",
            "print.html",
            "plans.html",
            "prefecture.html",
            "national.html",
            "board.html",
            "rounds.html",
            "agencies.html",
            "users.html",
            "user_created.html",
            "account.html",
            "users_review.html",
            "totp_login.html",
            "totp_enrol.html",
            "oplog.html",
            "form_upload.html",
            "history.html",
            "error.html",
            "confirm.html",
        ])?;
        tera.autoescape_on(vec![".html"]);
        Ok(Self { tera })
    }

    /// Renders a page. Every page goes through [`Page`], so the layout
    /// always has the account (`session`, `null` for a visitor); the layout
    /// refuses to render without it, and tera refuses any other variable a
    /// template prints that the page does not pass.
    pub fn render<T: Serialize>(&self, name: &str, page: &Page<'_, T>) -> AppResult<String> {
        let ctx = Context::from_serialize(page)?;
        Ok(self.tera.render(name, &ctx)?)
    }

    /// Renders a part of a page that no viewer's data enters (such as
    /// `stats_table.html`, cached with its table and put into the page by
    /// [`render`](Self::render)); never a whole page.
    pub fn render_fragment(&self, name: &str, data: &impl Serialize) -> AppResult<String> {
        let ctx = Context::from_serialize(data)?;
        Ok(self.tera.render(name, &ctx)?)
    }
}

/// `{{ 2007 | wareki }}` → `平成19年度（2007年度）` (`FiscalYear`'s `Display`):
/// every year a page shows goes through it or through `Display`.
fn wareki_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let year = value
        .as_i64()
        .and_then(|y| i32::try_from(y).ok())
        .and_then(|y| FiscalYear::new(y).ok())
        .ok_or_else(|| tera::Error::msg(format!("not a fiscal year: {value}")))?;
    Ok(tera::Value::String(year.to_string()))
}

/// `{{ "2026-11-23T12:13:47Z" | jst }}` → `2026-11-23 21:13`: stored UTC
/// timestamps shown in Japan time. Anything else is shown as it is.
fn jst_filter(
    value: &tera::Value,
    _: &std::collections::HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let shown = value
        .as_str()
        .map(|s| match chrono::DateTime::parse_from_rfc3339(s) {
            Ok(t) => {
                let jst = chrono::FixedOffset::east_opt(9 * 3600).map(|o| t.with_timezone(&o));
                jst.map_or_else(|| s.to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
            }
            Err(_) => s.to_string(),
        })
        .unwrap_or_default();
    Ok(tera::Value::String(shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_macros_tie_each_error_to_its_field() -> Result<(), Box<dyn std::error::Error>> {
        let mut t = Templates::load()?;
        t.tera.add_raw_template(
            "t.html",
            r#"{% import "macros.html" as m %}{{ m::summary(problems=p) }}<input id="a"{{ m::described(problems=p, field="a", hint="h") }}>{{ m::errors(problems=p, field="a") }}<input id="b"{{ m::described(problems=p, field="b") }}><input id="c"{{ m::described(problems=p, field="c") }}>{{ m::label(field="a", text="名前", required=true) }}{{ m::csrf(token="x&y") }}"#,
        )?;
        let p = vec![
            FieldProblem::on("a", "<空>です"),
            FieldProblem::form("全体"),
            FieldProblem::on("a", "二つ目"),
            FieldProblem::on("c", "三つ目"),
        ];
        let html = t.render_fragment("t.html", &serde_json::json!({ "p": p }))?;
        assert!(
            html.contains(r##"<a href="#a">＊&lt;空&gt;です</a>"##),
            "{html}"
        );
        assert!(html.contains("<li>＊全体</li>"), "{html}");
        assert!(html.contains("（4 件）"), "{html}");
        assert!(
            html.contains(
                r#"<input id="a" aria-invalid="true" aria-describedby="h err-a-1 err-a-3">"#
            ),
            "{html}"
        );
        assert!(html.contains(r#"<p class="error" id="err-a-1">＊&lt;空&gt;です</p><p class="error" id="err-a-3">＊二つ目</p>"#), "{html}");
        assert!(html.contains(r#"<input id="b">"#), "{html}");
        assert!(
            html.contains(r#"<input id="c" aria-invalid="true" aria-describedby="err-c-4">"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<label for="a">名前 <span class="required">必須</span></label>"#),
            "{html}"
        );
        assert!(html.contains(r#"value="x&amp;y""#), "{html}");
        Ok(())
    }

    #[test]
    fn jst_shows_japan_time() {
        let f = |v: &str| jst_filter(&tera::Value::String(v.into()), &Default::default());
        assert_eq!(
            f("2026-11-23T16:05:09Z").ok(),
            Some(tera::Value::String("2026-11-24 01:05".into()))
        );
        assert_eq!(
            f("2007-10-31").ok(),
            Some(tera::Value::String("2007-10-31".into()))
        );
    }
}
