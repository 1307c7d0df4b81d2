//! The account's dictionaries and logs: users, custom fields, tags, loss reasons, sources,
//! events, and the account itself.

use kommo_model::query::ListQuery;
use kommo_model::{
    Account, BatchResponse, Collection, CustomField, Event, LossReason, Source, Tag, TagRequest,
    User,
};
use reqwest::Method;

use super::with_pairs;
use crate::client::Client;
use crate::error::Error;
use crate::page::Pages;
use crate::query::{AccountWith, EntityType, UserWith};

impl Client {
    /// `GET /api/v4/users` (admin only), page by page; [`crate::UsersQuery`] adds roles and groups.
    pub fn users(&self, query: impl Into<ListQuery>) -> Pages<User> {
        self.pages("/api/v4/users".to_owned(), query.into())
    }

    pub async fn user(&self, id: i64, with: &[UserWith]) -> Result<Option<User>, Error> {
        self.get_one(
            format!("/api/v4/users/{id}"),
            with_pairs(with.iter().map(|w| w.as_str())),
        )
        .await
    }

    /// `GET /api/v4/{entity}/custom_fields`: the field definitions of one entity type.
    pub fn custom_fields(&self, entity: EntityType) -> Pages<CustomField> {
        self.pages(
            format!("/api/v4/{}/custom_fields", entity.as_path()),
            ListQuery::new(),
        )
    }

    pub async fn custom_field(
        &self,
        entity: EntityType,
        id: i64,
    ) -> Result<Option<CustomField>, Error> {
        self.get_one(
            format!("/api/v4/{}/custom_fields/{id}", entity.as_path()),
            Vec::new(),
        )
        .await
    }

    /// `GET /api/v4/{entity}/tags`; each entity type has its own tag dictionary.
    pub fn tags(&self, entity: EntityType, query: impl Into<ListQuery>) -> Pages<Tag> {
        self.pages(format!("/api/v4/{}/tags", entity.as_path()), query.into())
    }

    /// `POST /api/v4/{entity}/tags`; results (id, name) in input order.
    pub async fn add_tags(
        &self,
        entity: EntityType,
        tags: Vec<TagRequest>,
    ) -> Result<Vec<Tag>, Error> {
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<Tag>>(
            Method::POST,
            format!("/api/v4/{}/tags", entity.as_path()),
            tags,
            size,
        )
        .await
    }

    /// `GET /api/v4/leads/loss_reasons`.
    pub fn loss_reasons(&self) -> Pages<LossReason> {
        self.pages("/api/v4/leads/loss_reasons".to_owned(), ListQuery::new())
    }

    pub async fn loss_reason(&self, id: i64) -> Result<Option<LossReason>, Error> {
        self.get_one(format!("/api/v4/leads/loss_reasons/{id}"), Vec::new())
            .await
    }

    /// `GET /api/v4/sources`: the integration's own lead sources (204, so empty, when none).
    pub async fn sources(&self) -> Result<Vec<Source>, Error> {
        let list: Option<Collection<Source>> = self
            .get_json("/api/v4/sources".to_owned(), Vec::new())
            .await?;
        Ok(list.map(|l| l.items).unwrap_or_default())
    }

    /// `GET /api/v4/events`, page by page ([`crate::EventsQuery`] or a raw query).
    pub fn events(&self, query: impl Into<ListQuery>) -> Pages<Event> {
        self.pages("/api/v4/events".to_owned(), query.into())
    }

    pub async fn event(&self, id: &str) -> Result<Option<Event>, Error> {
        self.get_one(format!("/api/v4/events/{id}"), Vec::new())
            .await
    }

    /// `GET /api/v4/account` with the given `with` parts.
    pub async fn account(&self, with: &[AccountWith]) -> Result<Account, Error> {
        let path = "/api/v4/account".to_owned();
        self.get_json(path, with_pairs(with.iter().map(|w| w.as_str())))
            .await?
            .ok_or_else(|| Error::Decode {
                endpoint: "GET /api/v4/account".to_owned(),
                detail: "204 No Content where the account was expected".to_owned(),
            })
    }
}
