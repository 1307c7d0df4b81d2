//! `/api/v4`: one module per area, each a set of thin handlers over the account.

use axum::Router;
use axum::routing::{get, post};

use crate::state::SimState;

pub(crate) mod entity_write;
pub(crate) mod filter;
pub(crate) mod lead_write;
pub(crate) mod leads;
pub(crate) mod misc;
pub(crate) mod pipelines;
pub(crate) mod validate;

pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route(
            "/api/v4/leads",
            get(leads::list)
                .post(lead_write::add)
                .patch(lead_write::update),
        )
        .route("/api/v4/leads/complex", post(lead_write::complex))
        .route(
            "/api/v4/leads/{id}",
            get(leads::get_one).patch(lead_write::update_one),
        )
        .route(
            "/api/v4/leads/pipelines",
            get(pipelines::list).post(pipelines::add),
        )
        .route(
            "/api/v4/leads/pipelines/{id}",
            get(pipelines::get_one)
                .patch(pipelines::edit)
                .delete(pipelines::delete),
        )
        .route(
            "/api/v4/leads/pipelines/{id}/statuses",
            get(pipelines::statuses).post(pipelines::add_statuses),
        )
        .route(
            "/api/v4/leads/pipelines/{id}/statuses/{status}",
            get(pipelines::status)
                .patch(pipelines::edit_status)
                .delete(pipelines::delete_status),
        )
        .route("/api/v4/leads/loss_reasons", get(misc::loss_reasons))
        .route("/api/v4/leads/loss_reasons/{id}", get(misc::loss_reason))
        .route("/api/v4/leads/custom_fields", get(misc::custom_fields))
        .route("/api/v4/leads/custom_fields/{id}", get(misc::custom_field))
        .route("/api/v4/leads/tags", get(misc::tags).post(misc::add_tags))
        .route(
            "/api/v4/contacts",
            get(entity_write::list_contacts)
                .post(entity_write::add)
                .patch(entity_write::update),
        )
        .route("/api/v4/contacts/custom_fields", get(misc::custom_fields))
        .route(
            "/api/v4/contacts/custom_fields/{id}",
            get(misc::custom_field),
        )
        .route(
            "/api/v4/contacts/tags",
            get(misc::tags).post(misc::add_tags),
        )
        .route(
            "/api/v4/contacts/{id}",
            get(entity_write::get_one).patch(entity_write::update),
        )
        .route(
            "/api/v4/companies",
            get(entity_write::list_companies)
                .post(entity_write::add)
                .patch(entity_write::update),
        )
        .route("/api/v4/companies/custom_fields", get(misc::custom_fields))
        .route(
            "/api/v4/companies/custom_fields/{id}",
            get(misc::custom_field),
        )
        .route(
            "/api/v4/companies/tags",
            get(misc::tags).post(misc::add_tags),
        )
        .route(
            "/api/v4/companies/{id}",
            get(entity_write::get_one).patch(entity_write::update),
        )
        .route(
            "/api/v4/tasks",
            get(misc::tasks)
                .post(misc::add_tasks)
                .patch(misc::update_tasks),
        )
        .route(
            "/api/v4/tasks/{id}",
            get(misc::task).patch(misc::update_tasks),
        )
        .route("/api/v4/users", get(misc::users))
        .route("/api/v4/users/{id}", get(misc::user))
        .route("/api/v4/roles", get(misc::roles))
        .route("/api/v4/sources", get(misc::sources))
        .route("/api/v4/sources/{id}", get(misc::source))
        .route("/api/v4/events", get(misc::events))
        .route("/api/v4/events/types", get(misc::event_types))
        .route("/api/v4/events/{id}", get(misc::event))
        .route("/api/v4/account", get(misc::account))
}
