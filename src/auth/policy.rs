//! Who may do what. Least privilege:
//!
//! | role | reads answers of | answers for | reviews |
//! | --- | --- | --- | --- |
//! | municipality | its own municipality | its own municipality | – |
//! | agency | its own agency | its own agency | – |
//! | prefecture | the municipalities of its prefecture | – | those municipalities |
//! | ministry | every organisation | – | national agencies |
//! | admin | nothing | – | – (accounts only) |
//!
//! The ministry alone opens and closes rounds and adds agencies; the ministry
//! and administrators read the operation log; administrators alone manage
//! accounts. Every handler calls these functions; a refusal is
//! `AppError::Forbidden`.

use super::{CurrentUser, Role};
use crate::error::{AppError, AppResult};
use crate::store::organisations::Organisation;

/// Turns a decision into `Forbidden`.
pub fn require(allowed: bool) -> AppResult<()> {
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether the municipality lies in the prefecture of the user.
fn in_own_prefecture(user: &CurrentUser, org: &Organisation) -> bool {
    org.kind == "municipality"
        && user.prefecture_code.is_some()
        && org.prefecture_code == user.prefecture_code
}

/// Reading an organisation's answers, plans, advice and status.
pub fn can_read_org(user: &CurrentUser, org: &Organisation) -> bool {
    match user.role {
        Role::Municipality | Role::Agency => user.org_id == org.id,
        Role::Prefecture => in_own_prefecture(user, org),
        Role::Ministry => matches!(org.kind.as_str(), "municipality" | "agency"),
        Role::Admin => false,
    }
}

/// Writing answers for the organisation: only its own staff of the answering
/// roles. Whether the round is open and the sheet still editable is the
/// workflow's business (a state, not a right).
pub fn can_answer(user: &CurrentUser, org: &Organisation) -> bool {
    match user.role {
        Role::Municipality => org.kind == "municipality" && user.org_id == org.id,
        Role::Agency => org.kind == "agency" && user.org_id == org.id,
        _ => false,
    }
}

/// Reviewing (advice, return, accept, plan follow-up): prefectures for their
/// municipalities, the ministry for national agencies.
pub fn can_review(user: &CurrentUser, org: &Organisation) -> bool {
    match user.role {
        Role::Prefecture => in_own_prefecture(user, org),
        Role::Ministry => org.kind == "agency",
        _ => false,
    }
}

/// The status list of one prefecture's municipalities (by the prefecture's code).
pub fn can_view_prefecture(user: &CurrentUser, prefecture_code: &str) -> bool {
    match user.role {
        Role::Prefecture => user.prefecture_code.as_deref() == Some(prefecture_code),
        Role::Ministry => true,
        _ => false,
    }
}

/// The national picture: every prefecture and agency.
pub fn can_view_national(user: &CurrentUser) -> bool {
    user.role == Role::Ministry
}

/// The 速報 (provisional table, drafts included) of a scope the user may
/// already see: the ministry's for any scope, a prefecture's for its own
/// prefecture and its municipalities. The scope check itself is
/// `workflow::table_access::authorize_scope`.
pub fn can_view_provisional(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Ministry | Role::Prefecture)
}

/// Opening and closing fiscal rounds, setting priority items.
pub fn can_manage_rounds(user: &CurrentUser) -> bool {
    user.role == Role::Ministry
}

/// Adding national agencies.
pub fn can_manage_agencies(user: &CurrentUser) -> bool {
    user.role == Role::Ministry
}

/// Creating accounts, unlocking them, resetting passwords.
pub fn can_manage_accounts(user: &CurrentUser) -> bool {
    user.role == Role::Admin
}

/// Changing an account of an organisation of `target_org_kind` (adding,
/// unlocking, reissuing its password, its lifecycle, its second factor):
/// administrators, and for the ministry's own accounts only the ministry's
/// administrators (an administrator of a prefecture cannot take over a
/// ministry account).
pub fn can_change_account_of(user: &CurrentUser, target_org_kind: &str) -> bool {
    can_manage_accounts(user) && (target_org_kind != "ministry" || user.org_kind == "ministry")
}

/// Disabling and enabling an account, setting its end date, resetting its
/// second factor: administrators, never on their own account (an
/// administrator cannot lock themselves out, nor undo another's decision
/// about them).
pub fn can_change_lifecycle(user: &CurrentUser, target_user_id: i32) -> bool {
    can_manage_accounts(user) && user.user_id != target_user_id
}

/// Whether accounts of `role` must use a second factor when the setting
/// (`Settings::require_totp`) enforces it: the ministry, prefectures and
/// administrators, who read or manage many organisations.
pub fn second_factor_required(role: Role, enforced: bool) -> bool {
    enforced && matches!(role, Role::Ministry | Role::Prefecture | Role::Admin)
}

/// Searching the operation log.
pub fn can_read_log(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Ministry | Role::Admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(id: i32, code: &str, kind: &str, pref: Option<&str>) -> Organisation {
        Organisation {
            id,
            code: code.into(),
            kind: kind.into(),
            name: code.into(),
            name_kana: String::new(),
            prefecture_code: pref.map(Into::into),
            variant: None,
            created_at: String::new(),
        }
    }

    fn user(role: Role, o: &Organisation) -> CurrentUser {
        CurrentUser {
            user_id: 1,
            login: "u".into(),
            role,
            org_id: o.id,
            org_code: o.code.clone(),
            org_kind: o.kind.clone(),
            org_name: o.name.clone(),
            prefecture_code: o.prefecture_code.clone(),
            must_change_password: false,
            must_enrol_totp: false,
            session_id: 1,
            csrf_token: String::new(),
            address: String::new(),
        }
    }

    #[test]
    fn rights_follow_the_table() {
        let hokkaido = org(1, "010006", "prefecture", Some("010006"));
        let sapporo = org(2, "011002", "municipality", Some("010006"));
        let hakodate = org(3, "012025", "municipality", Some("010006"));
        let aomori_city = org(4, "022012", "municipality", Some("020001"));
        let agency = org(5, "G0001", "agency", None);
        let mic = org(6, "MIC", "ministry", None);

        let m = user(Role::Municipality, &sapporo);
        assert!(can_read_org(&m, &sapporo) && can_answer(&m, &sapporo));
        assert!(!can_read_org(&m, &hakodate) && !can_answer(&m, &hakodate));
        assert!(!can_review(&m, &sapporo));

        let p = user(Role::Prefecture, &hokkaido);
        assert!(can_read_org(&p, &sapporo) && can_review(&p, &hakodate));
        assert!(!can_read_org(&p, &aomori_city) && !can_review(&p, &aomori_city));
        assert!(!can_answer(&p, &sapporo));
        assert!(
            !can_read_org(&p, &hokkaido),
            "a prefecture answers nothing itself"
        );
        assert!(can_view_prefecture(&p, "010006") && !can_view_prefecture(&p, "020001"));

        let mi = user(Role::Ministry, &mic);
        assert!(can_read_org(&mi, &aomori_city) && can_read_org(&mi, &agency));
        assert!(!can_answer(&mi, &sapporo) && !can_review(&mi, &sapporo));
        assert!(can_review(&mi, &agency) && can_manage_rounds(&mi));
        assert!(!can_manage_accounts(&mi) && can_read_log(&mi));

        let a = user(Role::Agency, &agency);
        assert!(can_answer(&a, &agency) && !can_read_org(&a, &sapporo));

        let ad = user(Role::Admin, &mic);
        assert!(!can_read_org(&ad, &sapporo) && !can_manage_rounds(&ad));
        assert!(can_manage_accounts(&ad) && can_read_log(&ad));
        assert!(can_change_lifecycle(&ad, 2) && !can_change_lifecycle(&ad, ad.user_id));
        assert!(!can_change_lifecycle(&mi, 2));
        assert!(second_factor_required(Role::Admin, true));
        assert!(second_factor_required(Role::Prefecture, true));
        assert!(second_factor_required(Role::Ministry, true));
        assert!(!second_factor_required(Role::Municipality, true));
        assert!(!second_factor_required(Role::Agency, true));
        assert!(!second_factor_required(Role::Admin, false));
        // A municipality account wrongly placed in a prefecture answers nothing.
        let misplaced = user(Role::Municipality, &hokkaido);
        assert!(!can_answer(&misplaced, &hokkaido));
    }
}
