//! The account: `GET /api/v4/account`.

use axum::Extension;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

use crate::api::common::{Caller, base_url, hal, list_request};
use crate::state::SimState;

pub(crate) async fn get(
    State(state): State<SimState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let req = match list_request(raw.as_deref()) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let base = base_url(&headers);
    let model = state
        .inner
        .account
        .read()
        .account_model(caller.user_id, &req.query, &base);
    hal(&model)
}
