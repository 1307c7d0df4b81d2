//! `/api/v4`: one module per area, each a set of thin handlers over the account.

use axum::Router;
use axum::routing::get;

use crate::state::SimState;

pub(crate) mod filter;
pub(crate) mod leads;

pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route("/api/v4/leads", get(leads::list))
        .route("/api/v4/leads/{id}", get(leads::get_one))
}
