//! Every route of `ROUTES`, with the request tried and the status each
//! account expects (`None`: refused).

use super::*;

/// Every route of the application, tried against organisation `victim`.
pub(super) fn cases(victim: i32) -> Vec<Case> {
    let mut out = vec![
        public_get("/health", "/health".into()),
        public_get("/static/app.css", "/static/app.css".into()),
        public_get("/", "/".into()),
        public_get("/checklists/{variant}", "/checklists/municipal".into()),
        public_get("/charts", "/charts?year=2007".into()),
        public_get("/charts/{file}", "/charts/overall.png?year=2007".into()),
        public_get(
            "/stats/{scope}/{year}.xlsx",
            "/stats/national/2007.xlsx".into(),
        ),
        public_get("/stats/{scope}/{year}", "/stats/national/2007".into()),
        public_get(
            "/stats/{scope}/{year}/open-data.{ext}",
            "/stats/national/2007/open-data.csv".into(),
        ),
        public_get(
            "/api/v1/checklists/{variant}",
            "/api/v1/checklists/municipal?year=2007".into(),
        ),
        public_get(
            "/api/v1/stats/{scope}/{year}",
            "/api/v1/stats/national/2007".into(),
        ),
        public_get("/api/openapi.json", "/api/openapi.json".into()),
        // A prefecture's table: the ministry and that prefecture's staff;
        // a visitor is sent to the login page, the API answers 401.
        case(
            "get",
            "/stats/{scope}/{year}",
            "/stats/pref:010006/2007".into(),
            &[],
            |u| only(u == "mic" || u == "pref_p", 200),
        ),
        Case {
            public: true,
            ..case(
                "get",
                "/api/v1/stats/{scope}/{year}",
                "/api/v1/stats/pref:020001/2007".into(),
                &[],
                |u| match u {
                    "mic" | "pref_q" => Some(200),
                    ANON => Some(401),
                    _ => Some(403),
                },
            )
        },
        Case {
            public: true,
            ..case(
                "get",
                "/static/app.js",
                "/static/app.js".into(),
                &[],
                |_| Some(200),
            )
        },
        Case {
            public: true,
            ..case("get", "/login", "/login".into(), &[], |u| {
                Some(if signed_in(u) { 303 } else { 200 })
            })
        },
        Case {
            public: true,
            ..case(
                "post",
                "/login",
                "/login".into(),
                &[("login", "nobody"), ("password", "wrong-password-1")],
                |_| Some(401),
            )
        },
        case("get", "/password", "/password".into(), &[], |u| {
            only(signed_in(u), 200)
        }),
        case("post", "/password", "/password".into(), &[], |u| {
            only(signed_in(u), 400)
        }),
        case("get", "/home", "/home".into(), &[], |u| {
            only(signed_in(u), 200)
        }),
        case("post", "/notices/read", "/notices/read".into(), &[], |u| {
            only(signed_in(u), 303)
        }),
        case(
            "get",
            "/national/{year}",
            "/national/2007".into(),
            &[],
            |u| only(u == "mic", 200),
        ),
        case(
            "get",
            "/national/{year}/board",
            "/national/2007/board?sort=missing".into(),
            &[],
            |u| only(u == "mic", 200),
        ),
        case(
            "get",
            "/national/{year}/board.xlsx",
            "/national/2007/board.xlsx".into(),
            &[],
            |u| only(u == "mic", 200),
        ),
        case("get", "/rounds", "/rounds".into(), &[], |u| {
            only(u == "mic", 200)
        }),
        case("post", "/rounds", "/rounds".into(), &[], |u| {
            only(u == "mic", 400)
        }),
        case(
            "post",
            "/rounds/{variant}/{year}/close",
            "/rounds/municipal/2006/close".into(),
            &[("confirm", "1")],
            |u| only(u == "mic", 404),
        ),
        case("get", "/agencies", "/agencies".into(), &[], |u| {
            only(u == "mic", 200)
        }),
        case("post", "/agencies", "/agencies".into(), &[], |u| {
            only(u == "mic", 400)
        }),
        case("get", "/admin/users", "/admin/users".into(), &[], |u| {
            only(u == "admin", 200)
        }),
        case("post", "/admin/users", "/admin/users".into(), &[], |u| {
            only(u == "admin", 400)
        }),
        case(
            "post",
            "/admin/users/{id}/unlock",
            format!("/admin/users/{victim}/unlock"),
            &[],
            |u| only(u == "admin", 303),
        ),
        case(
            "post",
            "/admin/users/{id}/reset",
            format!("/admin/users/{victim}/reset"),
            &[("confirm", "1")],
            |u| only(u == "admin", 200),
        ),
        case("get", "/oplog", "/oplog".into(), &[], |u| {
            only(u == "mic" || u == "admin", 200)
        }),
        // Without a pending challenge the code's page sends everyone on:
        // the signed-in to their page, the others to the login form.
        Case {
            public: true,
            ..case("get", "/login/totp", "/login/totp".into(), &[], |_| {
                Some(303)
            })
        },
        Case {
            public: true,
            ..case(
                "post",
                "/login/totp",
                "/login/totp".into(),
                &[("code", "123456")],
                |_| Some(303),
            )
        },
        case("get", "/account/totp", "/account/totp".into(), &[], |u| {
            only(signed_in(u), 200)
        }),
        case(
            "post",
            "/account/totp",
            "/account/totp".into(),
            &[("secret", "JBSWY3DPEHPK3PXP"), ("code", "000000")],
            |u| only(signed_in(u), 400),
        ),
        case(
            "get",
            "/admin/users/review",
            "/admin/users/review".into(),
            &[],
            |u| only(u == "admin", 200),
        ),
        case(
            "get",
            "/admin/users/{id}",
            format!("/admin/users/{victim}"),
            &[],
            |u| only(u == "admin", 200),
        ),
        // No reason: refused before anything changes.
        case(
            "post",
            "/admin/users/{id}/disable",
            format!("/admin/users/{victim}/disable"),
            &[],
            |u| only(u == "admin", 400),
        ),
        // The account is in use: nothing to enable.
        case(
            "post",
            "/admin/users/{id}/enable",
            format!("/admin/users/{victim}/enable"),
            &[],
            |u| only(u == "admin", 409),
        ),
        case(
            "post",
            "/admin/users/{id}/valid-until",
            format!("/admin/users/{victim}/valid-until"),
            &[("valid_until", "2007-01-01")],
            |u| only(u == "admin", 400),
        ),
        // Not an address: refused before anything changes.
        case(
            "post",
            "/admin/users/{id}/email",
            format!("/admin/users/{victim}/email"),
            &[("email", "no-at-sign")],
            |u| only(u == "admin", 400),
        ),
        // No second factor to reset.
        case(
            "post",
            "/admin/users/{id}/totp-reset",
            format!("/admin/users/{victim}/totp-reset"),
            &[],
            |u| only(u == "admin", 409),
        ),
    ];
    for (scope, allowed) in [
        ("pref:010006", ["mic", "pref_p"]),
        ("pref:020001", ["mic", "pref_q"]),
        ("national", ["mic", "mic"]),
        ("agencies", ["mic", "mic"]),
    ] {
        out.push(case(
            "get",
            "/exports/plans/{scope}/{year}",
            format!("/exports/plans/{scope}/2007"),
            &[],
            move |u| only(allowed.contains(&u), 200),
        ));
    }
    for pref in ["010006", "020001"] {
        out.push(case(
            "get",
            "/prefectures/{pref}/{year}",
            format!("/prefectures/{pref}/2007"),
            &[],
            move |u| {
                only(
                    u == "mic"
                        || (u == "pref_p" && pref == "010006")
                        || (u == "pref_q" && pref == "020001"),
                    200,
                )
            },
        ));
    }
    for t in TARGETS {
        let submitted = t == A || t == G;
        out.push(case(
            "get",
            "/answers/{org}/{year}",
            format!("/answers/{t}/2007"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "post",
            "/answers/{org}/{year}",
            format!("/answers/{t}/2007"),
            &[("version", "999"), ("action", "save")],
            move |u| only(answers(u, t), 409),
        ));
        out.push(case(
            "get",
            "/answers/{org}/{year}/print",
            format!("/answers/{t}/2007/print"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "get",
            "/answers/{org}/{year}/history",
            format!("/answers/{t}/2007/history"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "get",
            "/answers/{org}/{year}/form.xlsx",
            format!("/answers/{t}/2007/form.xlsx"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        // A form post, not multipart: refused for want of a workbook.
        out.push(case(
            "post",
            "/answers/{org}/{year}/upload",
            format!("/answers/{t}/2007/upload"),
            &[],
            move |u| only(answers(u, t), 400),
        ));
        out.push(case(
            "post",
            "/answers/{org}/{year}/carry",
            format!("/answers/{t}/2007/carry"),
            &[("version", "999")],
            move |u| only(answers(u, t), 409),
        ));
        out.push(case(
            "get",
            "/exports/plans/{scope}/{year}",
            format!("/exports/plans/org:{t}/2007"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "get",
            "/review/{org}/{year}",
            format!("/review/{t}/2007"),
            &[],
            move |u| only(reviews(u, t), 200),
        ));
        out.push(case(
            "post",
            "/review/{org}/{year}",
            format!("/review/{t}/2007"),
            &[("version", "999")],
            move |u| only(reviews(u, t), 400),
        ));
        out.push(case(
            "get",
            "/plans/{org}/{year}",
            format!("/plans/{t}/2007"),
            &[],
            move |u| only(reads(u, t), 200),
        ));
        out.push(case(
            "post",
            "/plans/{org}/{year}",
            format!("/plans/{t}/2007"),
            &[],
            move |u| only(reviews(u, t), if submitted { 303 } else { 409 }),
        ));
    }
    out
}
