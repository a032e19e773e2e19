//! Recommendations outside a conversation: for a user, for an anonymous visitor given liked
//! items, similar items, and why one item suits one user.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chatrec_dialogue::{Evidence, ListRequest, Profile, ShownItem};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Body, Path, Query};
use crate::live::Live;

/// A recommended item with why.
#[derive(Serialize, ToSchema)]
pub struct Recommended {
    pub item_id: String,
    pub title: String,
    pub year: Option<i32>,
    pub categories: Vec<String>,
    /// The model's score, comparable within one list only.
    pub score: f32,
    pub evidence: Vec<Evidence>,
}

#[derive(Serialize, ToSchema)]
pub struct Recommendations {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    pub model_version: i64,
    pub items: Vec<Recommended>,
}

#[derive(Deserialize, IntoParams)]
pub struct ListParams {
    /// How many items (default 10).
    pub n: Option<usize>,
    /// Items to skip first, for paging (default 0).
    pub offset: Option<usize>,
    /// Only items with this category; comma-separated for several (items must have all).
    pub category: Option<String>,
    /// Item ids never to return, comma-separated.
    pub exclude: Option<String>,
}

fn comma_list(text: Option<&str>) -> Vec<String> {
    text.map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}

/// The list length asked for (10 by default), within the configured bounds.
fn list_length(app: &App, n: Option<usize>) -> ApiResult<usize> {
    let n = n.unwrap_or(10);
    let max = app.config.limits.max_items_per_request;
    if n == 0 || n > max {
        return Err(ApiError::bad_request(format!(
            "n = {n} is outside 1..={max}"
        )));
    }
    Ok(n)
}

fn list_request(
    app: &App,
    live: &Live,
    n: Option<usize>,
    offset: Option<usize>,
    categories: Vec<String>,
    exclude: &[String],
) -> ApiResult<ListRequest> {
    let n = list_length(app, n)?;
    let catalog = live.engine.catalog();
    let unknown = categories.iter().find(|c| {
        !catalog
            .items()
            .iter()
            .any(|item| item.categories.contains(c))
    });
    if let Some(unknown) = unknown {
        return Err(ApiError::bad_request(format!(
            "unknown category `{unknown}` (categories are spelled as in the catalog)"
        )));
    }
    Ok(ListRequest {
        n,
        offset: offset.unwrap_or(0),
        categories,
        exclude: exclude
            .iter()
            .filter_map(|id| catalog.item_index(id))
            .collect(),
    })
}

fn described(live: &Live, items: Vec<ShownItem>) -> Vec<Recommended> {
    let catalog = live.engine.catalog();
    items
        .into_iter()
        .map(|shown| {
            let item = catalog.item(shown.item);
            Recommended {
                item_id: shown.item_id,
                title: item.title.clone(),
                year: item.year,
                categories: item.categories.clone(),
                score: shown.score,
                evidence: shown.evidence,
            }
        })
        .collect()
}

async fn profile_or_404(app: &App, live: &Live, user_id: &str) -> ApiResult<Profile> {
    app.profile_of(live, user_id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no user `{user_id}`")))
}

/// The best items for a user, with evidence. Feedback recorded since the model was trained
/// is folded in, so it changes this list at once.
#[utoipa::path(get, path = "/users/{id}/recommendations", tag = "recommendations",
    params(("id" = String, Path), ListParams),
    responses((status = 200, body = Recommendations), (status = 404, body = crate::error::ErrorBody)))]
pub async fn for_user(
    State(app): State<Arc<App>>,
    Path(user_id): Path<String>,
    Query(params): Query<ListParams>,
) -> ApiResult<Json<Recommendations>> {
    let live = app.live()?;
    let request = list_request(
        &app,
        &live,
        params.n,
        params.offset,
        comma_list(params.category.as_deref()),
        &comma_list(params.exclude.as_deref()),
    )?;
    let profile = profile_or_404(&app, &live, &user_id).await?;
    let items = live.engine.recommend_for(&profile, &request);
    Ok(Json(Recommendations {
        user_id: Some(user_id),
        model_version: live.version.0,
        items: described(&live, items),
    }))
}

/// An anonymous visitor described by the items they liked.
#[derive(Deserialize, ToSchema)]
pub struct AnonymousRequest {
    /// Item ids the visitor liked (unknown ids are refused).
    pub liked: Vec<String>,
    #[serde(default)]
    pub disliked: Vec<String>,
    pub n: Option<usize>,
    pub offset: Option<usize>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// Recommendations for someone the store does not know, from the items they liked.
#[utoipa::path(post, path = "/recommendations", tag = "recommendations",
    request_body = AnonymousRequest,
    responses((status = 200, body = Recommendations), (status = 422, body = crate::error::ErrorBody)))]
pub async fn for_visitor(
    State(app): State<Arc<App>>,
    Body(body): Body<AnonymousRequest>,
) -> ApiResult<Json<Recommendations>> {
    let live = app.live()?;
    let request = list_request(
        &app,
        &live,
        body.n,
        body.offset,
        body.categories,
        &body.exclude,
    )?;
    let catalog = live.engine.catalog();
    let mut opinions = Vec::new();
    for (ids, sentiment) in [(&body.liked, 1.0), (&body.disliked, -1.0)] {
        for id in ids {
            let item = catalog
                .item_index(id)
                .ok_or_else(|| ApiError::unprocessable(format!("no item `{id}`")))?;
            opinions.push((item, sentiment));
        }
    }
    let profile = Profile {
        user: None,
        opinions,
    };
    let items = live.engine.recommend_for(&profile, &request);
    Ok(Json(Recommendations {
        user_id: None,
        model_version: live.version.0,
        items: described(&live, items),
    }))
}

#[derive(Deserialize, IntoParams)]
pub struct SimilarParams {
    /// How many items (default 10).
    pub n: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct Similar {
    pub item_id: String,
    pub model_version: i64,
    pub items: Vec<Recommended>,
}

/// The items most similar to one item, with what links them.
#[utoipa::path(get, path = "/items/{id}/similar", tag = "recommendations",
    params(("id" = String, Path), SimilarParams),
    responses((status = 200, body = Similar), (status = 404, body = crate::error::ErrorBody)))]
pub async fn similar(
    State(app): State<Arc<App>>,
    Path(item_id): Path<String>,
    Query(params): Query<SimilarParams>,
) -> ApiResult<Json<Similar>> {
    let live = app.live()?;
    let n = list_length(&app, params.n)?;
    let item = live
        .engine
        .catalog()
        .item_index(&item_id)
        .filter(|&i| live.engine.is_available(i))
        .ok_or_else(|| ApiError::not_found(format!("no item `{item_id}` in the served model")))?;
    let items = live.engine.similar_to(item, n);
    Ok(Json(Similar {
        item_id,
        model_version: live.version.0,
        items: described(&live, items),
    }))
}

#[derive(Serialize, ToSchema)]
pub struct Explanation {
    pub user_id: String,
    pub item_id: String,
    pub title: String,
    /// Every piece of evidence for the item, most specific first; empty when the data
    /// holds none (the item is then no better than any other for this user).
    pub evidence: Vec<Evidence>,
}

/// Why an item suits a user: the evidence a recommendation of it would carry.
#[utoipa::path(get, path = "/users/{user_id}/explain/{item_id}", tag = "recommendations",
    params(("user_id" = String, Path), ("item_id" = String, Path)),
    responses((status = 200, body = Explanation), (status = 404, body = crate::error::ErrorBody)))]
pub async fn explain(
    State(app): State<Arc<App>>,
    Path((user_id, item_id)): Path<(String, String)>,
) -> ApiResult<Json<Explanation>> {
    let live = app.live()?;
    let item =
        live.engine.catalog().item_index(&item_id).ok_or_else(|| {
            ApiError::not_found(format!("no item `{item_id}` in the served model"))
        })?;
    let profile = profile_or_404(&app, &live, &user_id).await?;
    Ok(Json(Explanation {
        title: live.engine.catalog().item(item).display_title(),
        evidence: live.engine.explain_for(&profile, item),
        user_id,
        item_id,
    }))
}
