//! The API: `/api/v4` and `/oauth2`, one module per Kommo area, each with the same roles (list,
//! get, write) and thin handlers: parse the request, call one function of the account (the
//! read side in `crate::select`, the mutation layer in `crate::mutate`), render the answer.
//!
//! Areas import `common` (what they share) and the domain, never each other. An area that
//! is added (webhooks, say) is a module here and its routes below; what it changes in the
//! account goes through `crate::mutate` like every other write.

use axum::Router;
use axum::routing::{get, post};

use crate::state::SimState;

mod account;
pub(crate) mod common;
mod companies;
mod contacts;
mod custom_fields;
mod events;
mod leads;
mod loss_reasons;
mod oauth;
mod pipelines;
mod sources;
mod tags;
mod tasks;
mod users;

pub(crate) fn routes() -> Router<SimState> {
    Router::new()
        .route(
            "/api/v4/leads",
            get(leads::list).post(leads::add).patch(leads::update),
        )
        .route("/api/v4/leads/complex", post(leads::complex))
        .route(
            "/api/v4/leads/{id}",
            get(leads::get_one).patch(leads::update_one),
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
        .route("/api/v4/leads/loss_reasons", get(loss_reasons::list))
        .route(
            "/api/v4/leads/loss_reasons/{id}",
            get(loss_reasons::get_one),
        )
        .route("/api/v4/leads/custom_fields", get(custom_fields::list))
        .route(
            "/api/v4/leads/custom_fields/{id}",
            get(custom_fields::get_one),
        )
        .route("/api/v4/leads/tags", get(tags::list).post(tags::add))
        .route(
            "/api/v4/contacts",
            get(contacts::list)
                .post(contacts::add)
                .patch(contacts::update),
        )
        .route("/api/v4/contacts/custom_fields", get(custom_fields::list))
        .route(
            "/api/v4/contacts/custom_fields/{id}",
            get(custom_fields::get_one),
        )
        .route("/api/v4/contacts/tags", get(tags::list).post(tags::add))
        .route(
            "/api/v4/contacts/{id}",
            get(contacts::get_one).patch(contacts::update_one),
        )
        .route(
            "/api/v4/companies",
            get(companies::list)
                .post(companies::add)
                .patch(companies::update),
        )
        .route("/api/v4/companies/custom_fields", get(custom_fields::list))
        .route(
            "/api/v4/companies/custom_fields/{id}",
            get(custom_fields::get_one),
        )
        .route("/api/v4/companies/tags", get(tags::list).post(tags::add))
        .route(
            "/api/v4/companies/{id}",
            get(companies::get_one).patch(companies::update_one),
        )
        .route(
            "/api/v4/tasks",
            get(tasks::list).post(tasks::add).patch(tasks::update),
        )
        .route(
            "/api/v4/tasks/{id}",
            get(tasks::get_one).patch(tasks::update_one),
        )
        .route("/api/v4/users", get(users::list))
        .route("/api/v4/users/{id}", get(users::get_one))
        .route("/api/v4/roles", get(users::roles))
        .route("/api/v4/sources", get(sources::list))
        .route("/api/v4/sources/{id}", get(sources::get_one))
        .route("/api/v4/events", get(events::list))
        .route("/api/v4/events/types", get(events::types))
        .route("/api/v4/events/{id}", get(events::get_one))
        .route("/api/v4/account", get(account::get))
        .route("/oauth2/access_token", post(oauth::access_token))
        .route(
            "/oauth2/account/current/subdomain",
            get(oauth::current_subdomain),
        )
}
