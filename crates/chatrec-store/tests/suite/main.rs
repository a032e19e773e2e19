//! The store's behaviour, checked against both backends: every check in `checks` runs once on
//! SQLite (a temporary file) and once on PostgreSQL (a temporary schema on the real server).

mod checks;
mod fixture;

macro_rules! on_both_backends {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let fixture = crate::fixture::Fixture::sqlite().await;
                    crate::checks::$check(&fixture).await;
                    fixture.cleanup().await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let Some(fixture) = crate::fixture::Fixture::postgres().await else {
                        return;
                    };
                    crate::checks::$check(&fixture).await;
                    fixture.cleanup().await;
                }
            )*
        }
    };
}

on_both_backends!(
    items_round_trip_and_page_in_byte_order,
    users_round_trip,
    item_batch_is_all_or_nothing_with_row_errors,
    feedback_batch_is_all_or_nothing_with_row_errors,
    feedback_ids_follow_input_order_and_catch_up_pages,
    feedback_ids_are_never_reused,
    deleting_an_item_or_user_removes_its_feedback,
    sessions_and_turns_round_trip,
    turns_must_come_in_order,
    sessions_list_in_pages_and_by_user,
    model_versions_round_trip_with_checksums,
    replicas_see_each_others_writes,
    replicas_see_model_activation,
    concurrent_feedback_from_replicas_is_caught_up_completely,
    forget_user_removes_everything_of_that_user_only,
    migrations_rerun_idempotently,
    first_opens_race_safely,
    invalid_input_is_refused_alike,
    data_revision_grows_with_catalog_and_user_changes,
);
