//! Lead pipelines and their statuses: list, get, add, edit, delete for both.

use kommo_model::{BatchResponse, Collection, Pipeline, PipelineRequest, Status, StatusRequest};
use reqwest::Method;

use crate::client::{Client, Retry};
use crate::error::Error;

impl Client {
    /// `GET /api/v4/leads/pipelines`: every pipeline with its statuses (one page; at most 50).
    pub async fn pipelines(&self) -> Result<Vec<Pipeline>, Error> {
        let list: Option<Collection<Pipeline>> = self
            .get_json("/api/v4/leads/pipelines".to_owned(), Vec::new())
            .await?;
        Ok(list.map(|l| l.items).unwrap_or_default())
    }

    pub async fn pipeline(&self, id: i64) -> Result<Option<Pipeline>, Error> {
        self.get_one(format!("/api/v4/leads/pipelines/{id}"), Vec::new())
            .await
    }

    /// `POST /api/v4/leads/pipelines` (admin only); `name`, `sort`, `is_main` and
    /// `is_unsorted_on` are required. Results in input order.
    pub async fn add_pipelines(
        &self,
        pipelines: Vec<PipelineRequest>,
    ) -> Result<Vec<Pipeline>, Error> {
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<Pipeline>>(
            Method::POST,
            "/api/v4/leads/pipelines".to_owned(),
            pipelines,
            size,
        )
        .await
    }

    /// `PATCH /api/v4/leads/pipelines/{id}`.
    pub async fn update_pipeline(
        &self,
        id: i64,
        pipeline: PipelineRequest,
    ) -> Result<Pipeline, Error> {
        let pipeline = PipelineRequest {
            request_id: None,
            ..pipeline
        };
        self.send_json(
            Method::PATCH,
            format!("/api/v4/leads/pipelines/{id}"),
            &pipeline,
            Retry::IdempotentWrite,
        )
        .await
    }

    /// `DELETE /api/v4/leads/pipelines/{id}`. Kommo refuses to delete the last pipeline or one
    /// that still holds leads.
    pub async fn delete_pipeline(&self, id: i64) -> Result<(), Error> {
        self.delete(format!("/api/v4/leads/pipelines/{id}")).await
    }

    pub async fn statuses(&self, pipeline_id: i64) -> Result<Vec<Status>, Error> {
        let list: Option<Collection<Status>> = self
            .get_json(
                format!("/api/v4/leads/pipelines/{pipeline_id}/statuses"),
                Vec::new(),
            )
            .await?;
        Ok(list.map(|l| l.items).unwrap_or_default())
    }

    pub async fn status(&self, pipeline_id: i64, id: i64) -> Result<Option<Status>, Error> {
        self.get_one(
            format!("/api/v4/leads/pipelines/{pipeline_id}/statuses/{id}"),
            Vec::new(),
        )
        .await
    }

    /// `POST /api/v4/leads/pipelines/{pipeline_id}/statuses`; `name` and `sort` required.
    pub async fn add_statuses(
        &self,
        pipeline_id: i64,
        statuses: Vec<StatusRequest>,
    ) -> Result<Vec<Status>, Error> {
        let size = self.config().batch_size;
        self.batch_write::<_, _, BatchResponse<Status>>(
            Method::POST,
            format!("/api/v4/leads/pipelines/{pipeline_id}/statuses"),
            statuses,
            size,
        )
        .await
    }

    pub async fn update_status(
        &self,
        pipeline_id: i64,
        id: i64,
        status: StatusRequest,
    ) -> Result<Status, Error> {
        let status = StatusRequest {
            id: None,
            request_id: None,
            ..status
        };
        self.send_json(
            Method::PATCH,
            format!("/api/v4/leads/pipelines/{pipeline_id}/statuses/{id}"),
            &status,
            Retry::IdempotentWrite,
        )
        .await
    }

    /// `DELETE .../statuses/{id}`; Kommo moves the status's leads to the pipeline's first status.
    pub async fn delete_status(&self, pipeline_id: i64, id: i64) -> Result<(), Error> {
        self.delete(format!(
            "/api/v4/leads/pipelines/{pipeline_id}/statuses/{id}"
        ))
        .await
    }
}
