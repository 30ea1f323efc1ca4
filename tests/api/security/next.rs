//! `next` after login never leaves the site, on GET or POST.

use super::*;

/// Every byte but letters and digits percent-encoded, so the server gets the
/// value exactly as written.
fn encode_all(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `next` values (as the handler receives them, decoded once) that must never
/// leave the site, nor give a 500.
const HOSTILE_NEXT: &[&str] = &[
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "/\0/evil.example",
    "/\u{b}/evil.example",
    "/\u{c}/evil.example",
    "/\u{1f}/evil.example",
    "/\u{7f}/evil.example",
    "/a\r\nSet-Cookie: x=1",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%2F/evil.example",
    "/%2f%2fevil.example",
    "/%09/evil.example",
    "/%2509/evil.example",
    "/%5Cevil.example",
    "/%0a/evil.example",
    " /evil.example",
    "/ /evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "evil.example",
    "/\u{3000}evil.example",
    "/\u{2028}evil.example",
];

const LOCAL_NEXT: &[&str] = &[
    "/answers/011002/2007",
    "/oplog?login=demo&page=2",
    "/oplog?q=%E3%81%82",
    "/",
];

#[tokio::test]
async fn next_never_leaves_the_site_on_get_or_post() {
    let app = spawn_app().await;
    add_user(&app, "sapporo1", "011002", Role::Municipality);
    assert!(HOSTILE_NEXT.len() >= 20);

    // Anonymous: the login page carries only a safe `next` in its form.
    let anon = Browser::new(&app);
    for next in HOSTILE_NEXT {
        let r = anon.get(&format!("/login?next={}", encode_all(next))).await;
        assert_eq!(r.status, 200, "GET /login?next={next:?}");
        assert_eq!(
            input_value(&r.body, "next").map(|v| v.replace("&#x2F;", "/")),
            Some("/home".to_string()),
            "{next:?}"
        );
    }

    // Signed in: GET /login?next= redirects at once.
    let mut b = Browser::new(&app);
    b.login("sapporo1").await;
    for next in HOSTILE_NEXT {
        let r = b.get(&format!("/login?next={}", encode_all(next))).await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/home"),
            "GET signed in, next={next:?}"
        );
    }
    for next in LOCAL_NEXT {
        let r = b.get(&format!("/login?next={}", encode_all(next))).await;
        assert_eq!((r.status, r.location.as_str()), (303, *next), "{next:?}");
    }

    // POST /login with the right password: never a 500, never elsewhere.
    for next in HOSTILE_NEXT.iter().chain(LOCAL_NEXT) {
        let mut b = Browser::new(&app);
        b.visit_login().await;
        let r = b
            .post(
                "/login",
                &pairs(&[
                    ("login", "sapporo1"),
                    ("password", PASSWORD),
                    ("next", next),
                ]),
            )
            .await;
        let expected = if LOCAL_NEXT.contains(next) {
            next
        } else {
            "/home"
        };
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, expected),
            "POST next={next:?}"
        );
    }
}
