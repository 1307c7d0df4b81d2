//! Contacts, companies and tasks: list, get, add, update (batch and single); task completion.

use kommo_model::query::ListQuery;
use kommo_model::{
    AddedEntity, BatchResponse, Company, CompanyRequest, Contact, ContactRequest, Task,
    TaskRequest, TaskResult, UpdatedEntity,
};
use reqwest::Method;

use super::with_pairs;
use crate::client::{Client, Retry};
use crate::error::Error;
use crate::page::Pages;
use crate::query::{CompanyWith, ContactWith};

impl Client {
    /// `GET /api/v4/contacts`, page by page ([`crate::ContactsQuery`] or a raw query).
    pub fn contacts(&self, query: impl Into<ListQuery>) -> Pages<Contact> {
        self.pages("/api/v4/contacts".to_owned(), query.into())
    }

    pub async fn contact(&self, id: i64, with: &[ContactWith]) -> Result<Option<Contact>, Error> {
        self.get_one(
            format!("/api/v4/contacts/{id}"),
            with_pairs(with.iter().map(|w| w.as_str())),
        )
        .await
    }

    pub async fn add_contacts(
        &self,
        contacts: Vec<ContactRequest>,
    ) -> Result<Vec<AddedEntity>, Error> {
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<AddedEntity>>(
            Method::POST,
            "/api/v4/contacts".to_owned(),
            contacts,
            size,
        )
        .await
    }

    pub async fn update_contacts(
        &self,
        contacts: Vec<ContactRequest>,
    ) -> Result<Vec<UpdatedEntity>, Error> {
        Self::require_ids("PATCH /api/v4/contacts", &contacts, |c| c.id)?;
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<UpdatedEntity>>(
            Method::PATCH,
            "/api/v4/contacts".to_owned(),
            contacts,
            size,
        )
        .await
    }

    pub async fn update_contact(
        &self,
        id: i64,
        contact: ContactRequest,
    ) -> Result<UpdatedEntity, Error> {
        let contact = ContactRequest {
            id: None,
            request_id: None,
            ..contact
        };
        self.send_json(
            Method::PATCH,
            format!("/api/v4/contacts/{id}"),
            &contact,
            Retry::IdempotentWrite,
        )
        .await
    }

    /// `GET /api/v4/companies`, page by page ([`crate::CompaniesQuery`] or a raw query).
    pub fn companies(&self, query: impl Into<ListQuery>) -> Pages<Company> {
        self.pages("/api/v4/companies".to_owned(), query.into())
    }

    pub async fn company(&self, id: i64, with: &[CompanyWith]) -> Result<Option<Company>, Error> {
        self.get_one(
            format!("/api/v4/companies/{id}"),
            with_pairs(with.iter().map(|w| w.as_str())),
        )
        .await
    }

    pub async fn add_companies(
        &self,
        companies: Vec<CompanyRequest>,
    ) -> Result<Vec<AddedEntity>, Error> {
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<AddedEntity>>(
            Method::POST,
            "/api/v4/companies".to_owned(),
            companies,
            size,
        )
        .await
    }

    pub async fn update_companies(
        &self,
        companies: Vec<CompanyRequest>,
    ) -> Result<Vec<UpdatedEntity>, Error> {
        Self::require_ids("PATCH /api/v4/companies", &companies, |c| c.id)?;
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<UpdatedEntity>>(
            Method::PATCH,
            "/api/v4/companies".to_owned(),
            companies,
            size,
        )
        .await
    }

    pub async fn update_company(
        &self,
        id: i64,
        company: CompanyRequest,
    ) -> Result<UpdatedEntity, Error> {
        let company = CompanyRequest {
            id: None,
            request_id: None,
            ..company
        };
        self.send_json(
            Method::PATCH,
            format!("/api/v4/companies/{id}"),
            &company,
            Retry::IdempotentWrite,
        )
        .await
    }

    /// `GET /api/v4/tasks`, page by page ([`crate::TasksQuery`] or a raw query).
    pub fn tasks(&self, query: impl Into<ListQuery>) -> Pages<Task> {
        self.pages("/api/v4/tasks".to_owned(), query.into())
    }

    pub async fn task(&self, id: i64) -> Result<Option<Task>, Error> {
        self.get_one(format!("/api/v4/tasks/{id}"), Vec::new())
            .await
    }

    /// `POST /api/v4/tasks`; `text` and `complete_till` are required by Kommo.
    pub async fn add_tasks(&self, tasks: Vec<TaskRequest>) -> Result<Vec<AddedEntity>, Error> {
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<AddedEntity>>(
            Method::POST,
            "/api/v4/tasks".to_owned(),
            tasks,
            size,
        )
        .await
    }

    pub async fn update_tasks(&self, tasks: Vec<TaskRequest>) -> Result<Vec<UpdatedEntity>, Error> {
        Self::require_ids("PATCH /api/v4/tasks", &tasks, |t| t.id)?;
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<UpdatedEntity>>(
            Method::PATCH,
            "/api/v4/tasks".to_owned(),
            tasks,
            size,
        )
        .await
    }

    pub async fn update_task(&self, id: i64, task: TaskRequest) -> Result<UpdatedEntity, Error> {
        let task = TaskRequest {
            id: None,
            request_id: None,
            ..task
        };
        self.send_json(
            Method::PATCH,
            format!("/api/v4/tasks/{id}"),
            &task,
            Retry::IdempotentWrite,
        )
        .await
    }

    /// Marks a task done with a result text (`is_completed: true, result: {text}`).
    pub async fn complete_task(
        &self,
        id: i64,
        result: impl Into<String>,
    ) -> Result<UpdatedEntity, Error> {
        let task = TaskRequest {
            is_completed: Some(true),
            result: Some(TaskResult {
                text: result.into(),
            }),
            ..TaskRequest::default()
        };
        self.update_task(id, task).await
    }
}
