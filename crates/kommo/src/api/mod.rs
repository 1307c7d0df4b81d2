//! The typed endpoints, one module per area, and the plumbing they share.

mod catalog;
mod entities;
mod leads;
mod pipelines;

use kommo_model::BatchResponse;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::batch::{self, BatchInput, BatchOutput, Plan};
use crate::client::{Call, Client, Retry};
use crate::error::Error;

/// The answer shapes of batch writes: HAL `_embedded.{noun}`, or a plain array (complex add).
pub(crate) trait BatchAnswer<O>: DeserializeOwned {
    fn into_outputs(self) -> Vec<O>;
}

impl<O: DeserializeOwned> BatchAnswer<O> for BatchResponse<O> {
    fn into_outputs(self) -> Vec<O> {
        self.into_items()
    }
}

impl<O: DeserializeOwned> BatchAnswer<O> for Vec<O> {
    fn into_outputs(self) -> Vec<O> {
        self
    }
}

/// `with=a,b` as one query pair, or nothing.
pub(crate) fn with_pairs<I: IntoIterator<Item = &'static str>>(values: I) -> Vec<(String, String)> {
    let joined = values.into_iter().collect::<Vec<_>>().join(",");
    if joined.is_empty() {
        Vec::new()
    } else {
        vec![("with".to_owned(), joined)]
    }
}

impl Client {
    /// Writes `items` to `path` in chunks of `batch_size`, results in input order.
    pub(crate) async fn batch_write<I, O, A>(
        &self,
        method: Method,
        path: String,
        items: Vec<I>,
        batch_size: usize,
    ) -> Result<Vec<O>, Error>
    where
        I: BatchInput,
        O: BatchOutput + DeserializeOwned,
        A: BatchAnswer<O>,
    {
        let retry = if method == Method::PATCH {
            Retry::IdempotentBatch
        } else {
            Retry::Batch
        };
        let plan = Plan {
            endpoint: format!("{method} {path}"),
            batch_size,
            split_on_504: self.config().split_on_504,
        };
        batch::run(items, plan, |body| {
            let call = Call {
                method: method.clone(),
                path: path.clone(),
                query: Vec::new(),
                body: Some(body),
                retry,
            };
            async move {
                let answer: A = self.send_call(&call).await?;
                Ok(answer.into_outputs())
            }
        })
        .await
    }

    /// Checks that every item of an update names the entity it changes.
    pub(crate) fn require_ids<T>(
        endpoint: &str,
        items: &[T],
        id: impl Fn(&T) -> Option<i64>,
    ) -> Result<(), Error> {
        let missing: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, item)| id(item).is_none())
            .map(|(i, _)| i)
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidInput {
                endpoint: endpoint.to_owned(),
                detail: format!(
                    "items {missing:?} have no `id`; an update must name the entity it changes"
                ),
            })
        }
    }
}
