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
