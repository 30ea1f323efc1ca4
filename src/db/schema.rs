// One portable schema for both backends; kept by hand in step with
// `migrations/sqlite` and `migrations/postgres`, whose types map onto these
// (INTEGER → Integer, TEXT → Text) the same way on SQLite and PostgreSQL.

diesel::table! {
    checklist_versions (id) {
        id -> Integer,
        variant -> Text,
        digest -> Text,
        loaded_at -> Text,
    }
}

diesel::table! {
    checklist_items (id) {
        id -> Integer,
        variant -> Text,
        code -> Text,
        goal_no -> Integer,
        item_no -> Integer,
        text -> Text,
        valid_from -> Integer,
        valid_to -> Nullable<Integer>,
    }
}

diesel::table! {
    organisations (id) {
        id -> Integer,
        code -> Text,
        kind -> Text,
        name -> Text,
        name_kana -> Text,
        prefecture_code -> Nullable<Text>,
        variant -> Nullable<Text>,
        created_at -> Text,
    }
}

diesel::table! {
    fiscal_rounds (id) {
        id -> Integer,
        variant -> Text,
        fiscal_year -> Integer,
        status -> Text,
        deadline -> Nullable<Text>,
        opened_at -> Text,
        closed_at -> Nullable<Text>,
        accept_late -> Bool,
    }
}

diesel::table! {
    answers (id) {
        id -> Integer,
        organisation_id -> Integer,
        fiscal_year -> Integer,
        item_code -> Text,
        item_id -> Integer,
        score -> Integer,
        comment -> Text,
        updated_at -> Text,
    }
}

diesel::joinable!(answers -> organisations (organisation_id));
diesel::joinable!(answers -> checklist_items (item_id));

diesel::allow_tables_to_appear_in_same_query!(
    checklist_versions,
    checklist_items,
    organisations,
    fiscal_rounds,
    answers,
);

diesel::table! {
    stats_generations (fiscal_year) {
        fiscal_year -> Integer,
        generation -> BigInt,
    }
}

diesel::table! {
    stats_changes (id) {
        id -> BigInt,
        fiscal_year -> Integer,
        organisation_id -> Nullable<Integer>,
        at -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        login -> Text,
        organisation_id -> Integer,
        role -> Text,
        password_hash -> Text,
        must_change_password -> Bool,
        failed_attempts -> Integer,
        locked_until -> Nullable<Text>,
        created_at -> Text,
        password_changed_at -> Text,
        last_login_at -> Nullable<Text>,
        disabled_at -> Nullable<Text>,
        disabled_reason -> Text,
        valid_until -> Nullable<Text>,
        enabled_at -> Nullable<Text>,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    second_factors (user_id) {
        user_id -> Integer,
        secret -> Text,
        enabled_at -> Text,
        last_step -> Integer,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> Integer,
        user_id -> Integer,
        code_hash -> Text,
        used_at -> Nullable<Text>,
    }
}

diesel::table! {
    password_history (id) {
        id -> Integer,
        user_id -> Integer,
        password_hash -> Text,
        replaced_at -> Text,
    }
}

diesel::table! {
    login_challenges (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        created_at -> Text,
        address -> Text,
    }
}

diesel::table! {
    sessions (id) {
        id -> Integer,
        token_hash -> Text,
        user_id -> Integer,
        csrf_token -> Text,
        created_at -> Text,
        last_seen_at -> Text,
        address -> Text,
    }
}

diesel::table! {
    round_settings (id) {
        id -> Integer,
        round_id -> Integer,
        checklist_version -> Text,
        priority_items -> Text,
    }
}

diesel::table! {
    submissions (id) {
        id -> Integer,
        organisation_id -> Integer,
        fiscal_year -> Integer,
        status -> Text,
        has_critical_room -> Nullable<Bool>,
        version -> Integer,
        review_note -> Text,
        updated_at -> Text,
        updated_by -> Nullable<Integer>,
        submitted_at -> Nullable<Text>,
        returned_at -> Nullable<Text>,
        accepted_at -> Nullable<Text>,
        snapshot_id -> Nullable<Integer>,
    }
}

diesel::table! {
    submission_snapshots (id) {
        id -> Integer,
        submission_id -> Integer,
        organisation_id -> Integer,
        fiscal_year -> Integer,
        seq -> Integer,
        has_critical_room -> Nullable<Bool>,
        submitted_at -> Text,
        submitted_by -> Nullable<Integer>,
        submitted_login -> Text,
    }
}

diesel::table! {
    snapshot_answers (id) {
        id -> Integer,
        snapshot_id -> Integer,
        item_code -> Text,
        item_id -> Integer,
        score -> Integer,
        comment -> Text,
    }
}

diesel::table! {
    snapshot_plans (id) {
        id -> Integer,
        snapshot_id -> Integer,
        item_code -> Text,
        present_state -> Text,
        measure -> Text,
        person_in_charge -> Text,
        target_date -> Text,
    }
}

diesel::table! {
    submission_events (id) {
        id -> Integer,
        submission_id -> Integer,
        kind -> Text,
        snapshot_id -> Nullable<Integer>,
        at -> Text,
        user_id -> Nullable<Integer>,
        login -> Text,
        advice_count -> Integer,
        note -> Text,
    }
}

diesel::table! {
    improvement_plans (id) {
        id -> Integer,
        submission_id -> Integer,
        item_code -> Text,
        present_state -> Text,
        measure -> Text,
        person_in_charge -> Text,
        target_date -> Text,
        updated_at -> Text,
        progress -> Text,
        started_on -> Nullable<Text>,
        completed_on -> Nullable<Text>,
        progress_note -> Text,
        progress_updated_at -> Nullable<Text>,
        progress_updated_by -> Nullable<Integer>,
    }
}

diesel::table! {
    review_advice (id) {
        id -> Integer,
        submission_id -> Integer,
        item_code -> Text,
        advice -> Text,
        updated_at -> Text,
        updated_by -> Nullable<Integer>,
    }
}

diesel::table! {
    draft_comments (id) {
        id -> Integer,
        submission_id -> Integer,
        item_code -> Text,
        comment -> Text,
    }
}

diesel::table! {
    operation_log (id) {
        id -> Integer,
        at -> Text,
        user_id -> Nullable<Integer>,
        login -> Text,
        actor_org -> Text,
        action -> Text,
        target_org -> Text,
        fiscal_year -> Nullable<Integer>,
        detail -> Text,
        address -> Text,
        hash -> Text,
    }
}

diesel::joinable!(users -> organisations (organisation_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(password_history -> users (user_id));
diesel::joinable!(second_factors -> users (user_id));
diesel::joinable!(login_challenges -> users (user_id));
diesel::joinable!(sessions -> users (user_id));
diesel::table! {
    notices (id) {
        id -> Integer,
        organisation_id -> Integer,
        kind -> Text,
        text -> Text,
        link -> Text,
        created_at -> Text,
        read_at -> Nullable<Text>,
        event_key -> Text,
        emailed_at -> Nullable<Text>,
    }
}

diesel::table! {
    carried_items (id) {
        id -> Integer,
        submission_id -> Integer,
        item_code -> Text,
        score -> Integer,
        comment -> Text,
        confirmed_at -> Nullable<Text>,
    }
}

diesel::joinable!(notices -> organisations (organisation_id));
diesel::joinable!(carried_items -> submissions (submission_id));
diesel::joinable!(round_settings -> fiscal_rounds (round_id));
diesel::joinable!(submissions -> organisations (organisation_id));
diesel::joinable!(improvement_plans -> submissions (submission_id));
diesel::joinable!(review_advice -> submissions (submission_id));
diesel::joinable!(draft_comments -> submissions (submission_id));
diesel::joinable!(snapshot_answers -> submission_snapshots (snapshot_id));
diesel::joinable!(snapshot_plans -> submission_snapshots (snapshot_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    organisations,
    round_settings,
    submissions,
    improvement_plans,
    review_advice,
    draft_comments,
    operation_log,
    submission_snapshots,
    snapshot_answers,
    snapshot_plans,
    submission_events,
    recovery_codes,
    password_history,
    login_challenges,
    second_factors,
    notices,
    carried_items,
);
diesel::allow_tables_to_appear_in_same_query!(round_settings, fiscal_rounds);
