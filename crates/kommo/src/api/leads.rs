//! Leads: list (with `only_deleted`), get, add, update (batch and single), complex add.

use kommo_model::query::ListQuery;
use kommo_model::{AddedEntity, BatchResponse, ComplexAddResult, Lead, LeadRequest, UpdatedEntity};
use reqwest::Method;

use super::with_pairs;
use crate::client::{Client, Retry};
use crate::config::COMPLEX_ADD_MAX;
use crate::error::Error;
use crate::page::Pages;
use crate::query::{LeadWith, LeadsQuery};

impl Client {
    /// `GET /api/v4/leads`, page by page. Accepts a [`LeadsQuery`] or a raw [`ListQuery`].
    pub fn leads(&self, query: impl Into<ListQuery>) -> Pages<Lead> {
        self.pages("/api/v4/leads".to_owned(), query.into())
    }

    /// Deleted leads that can still be restored (`with=only_deleted`): each row carries only
    /// `id`, `updated_at` and `is_deleted: true`.
    pub fn deleted_leads(&self, query: LeadsQuery) -> Pages<Lead> {
        self.leads(query.only_deleted())
    }

    /// `GET /api/v4/leads/{id}`; `None` when no such lead exists (Kommo answers 204).
    pub async fn lead(&self, id: i64, with: &[LeadWith]) -> Result<Option<Lead>, Error> {
        self.get_one(
            format!("/api/v4/leads/{id}"),
            with_pairs(with.iter().map(|w| w.as_str())),
        )
        .await
    }

    /// `POST /api/v4/leads` in batches; one result per input, in input order.
    pub async fn add_leads(&self, leads: Vec<LeadRequest>) -> Result<Vec<AddedEntity>, Error> {
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<AddedEntity>>(
            Method::POST,
            "/api/v4/leads".to_owned(),
            leads,
            size,
        )
        .await
    }

    /// `PATCH /api/v4/leads` in batches; every item needs its `id`.
    pub async fn update_leads(&self, leads: Vec<LeadRequest>) -> Result<Vec<UpdatedEntity>, Error> {
        Self::require_ids("PATCH /api/v4/leads", &leads, |lead| lead.id)?;
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<UpdatedEntity>>(
            Method::PATCH,
            "/api/v4/leads".to_owned(),
            leads,
            size,
        )
        .await
    }

    /// `PATCH /api/v4/leads/{id}`: one lead; only the fields set in `lead` change.
    pub async fn update_lead(&self, id: i64, lead: LeadRequest) -> Result<UpdatedEntity, Error> {
        let lead = LeadRequest {
            id: None,
            request_id: None,
            ..lead
        };
        self.send_json(
            Method::PATCH,
            format!("/api/v4/leads/{id}"),
            &lead,
            Retry::IdempotentWrite,
        )
        .await
    }

    /// `POST /api/v4/leads/complex`: leads each with at most one new or existing contact and
    /// company in `_embedded` (at most 50 leads per request, so larger inputs are chunked).
    /// `merged` tells which leads duplicate control merged into an existing one.
    pub async fn add_leads_complex(
        &self,
        leads: Vec<LeadRequest>,
    ) -> Result<Vec<ComplexAddResult>, Error> {
        for (index, lead) in leads.iter().enumerate() {
            let embedded = lead.embedded.as_ref();
            let contacts = embedded
                .and_then(|e| e.contacts.as_ref())
                .map_or(0, Vec::len);
            let companies = embedded
                .and_then(|e| e.companies.as_ref())
                .map_or(0, Vec::len);
            if contacts > 1 || companies > 1 {
                return Err(Error::InvalidInput {
                    endpoint: "POST /api/v4/leads/complex".to_owned(),
                    detail: format!(
                        "item {index} has {contacts} contacts and {companies} companies; a complex add takes at most one of each"
                    ),
                });
            }
        }
        let size = self.config().batch_size.min(COMPLEX_ADD_MAX);
        self.batch_write::<_, _, Vec<ComplexAddResult>>(
            Method::POST,
            "/api/v4/leads/complex".to_owned(),
            leads,
            size,
        )
        .await
    }
}
