//! Batch writes: chunking, `request_id`s, results mapped back to input order, 504 halving.
//!
//! Every item gets `request_id` = its index in the caller's input (any `request_id` the
//! caller set is replaced), so that results and validation errors of any chunk point
//! straight at the caller's item. Chunks are sent one after another; the first failure
//! stops the call, and the error lists what earlier chunks wrote (`applied`).

use std::collections::VecDeque;
use std::future::Future;
use std::ops::Range;

use bytes::Bytes;
use kommo_model::{
    AddedEntity, CompanyRequest, ComplexAddResult, ContactRequest, LeadRequest, Pipeline,
    PipelineRequest, Status, StatusRequest, Tag, TagRequest, TaskRequest,
};
use serde::Serialize;
use tracing::{debug, warn};

use crate::client::encode;
use crate::error::{Applied, Error};

/// An item of a batch write body.
pub(crate) trait BatchInput: Serialize {
    fn set_request_id(&mut self, id: String);
    /// The id of the entity an update targets; `None` for adds.
    fn target_id(&self) -> Option<i64>;
}

/// An item of a batch write response.
pub(crate) trait BatchOutput: Clone {
    /// The echoed `request_id`s (several for a complex add that merged duplicates).
    fn request_ids(&self) -> &[String];
    fn entity_id(&self) -> i64;
}

macro_rules! batch_input {
    ($($ty:ty),* $(,)?) => {$(
        impl BatchInput for $ty {
            fn set_request_id(&mut self, id: String) {
                self.request_id = Some(id);
            }
            fn target_id(&self) -> Option<i64> {
                self.id
            }
        }
    )*};
}
batch_input!(
    LeadRequest,
    ContactRequest,
    CompanyRequest,
    TaskRequest,
    StatusRequest
);

impl BatchInput for TagRequest {
    fn set_request_id(&mut self, id: String) {
        self.request_id = Some(id);
    }
    fn target_id(&self) -> Option<i64> {
        None
    }
}

impl BatchInput for PipelineRequest {
    fn set_request_id(&mut self, id: String) {
        self.request_id = Some(id);
    }
    fn target_id(&self) -> Option<i64> {
        None
    }
}

macro_rules! batch_output {
    ($($ty:ty),* $(,)?) => {$(
        impl BatchOutput for $ty {
            fn request_ids(&self) -> &[String] {
                self.request_id.as_slice()
            }
            fn entity_id(&self) -> i64 {
                self.id
            }
        }
    )*};
}
batch_output!(AddedEntity, Tag, Pipeline, Status);

impl BatchOutput for ComplexAddResult {
    fn request_ids(&self) -> &[String] {
        &self.request_id
    }
    fn entity_id(&self) -> i64 {
        self.id
    }
}

/// How one batch call is cut and labelled.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(crate) endpoint: String,
    pub(crate) batch_size: usize,
    pub(crate) split_on_504: bool,
}

/// Sends `items` in chunks through `send` (one request per chunk) and returns one result per
/// item, in input order.
pub(crate) async fn run<I, O, F, Fut>(
    mut items: Vec<I>,
    plan: Plan,
    send: F,
) -> Result<Vec<O>, Error>
where
    I: BatchInput,
    O: BatchOutput,
    F: Fn(Bytes) -> Fut,
    Fut: Future<Output = Result<Vec<O>, Error>>,
{
    for (index, item) in items.iter_mut().enumerate() {
        item.set_request_id(index.to_string());
    }
    let targets: Vec<Option<i64>> = items.iter().map(BatchInput::target_id).collect();
    let mut results: Vec<Option<O>> = vec![None; items.len()];
    let size = plan.batch_size.max(1);
    let mut queue: VecDeque<Range<usize>> = (0..items.len())
        .step_by(size)
        .map(|start| start..(start + size).min(items.len()))
        .collect();
    while let Some(range) = queue.pop_front() {
        let body = encode(&items[range.clone()], &plan.endpoint)?;
        debug!(endpoint = %plan.endpoint, from = range.start, to = range.end, "sending batch");
        match send(body).await {
            Ok(outputs) => match map_results(range.clone(), &targets, outputs) {
                Ok(mapped) => {
                    for (index, output) in mapped {
                        results[index] = Some(output);
                    }
                }
                Err(detail) => {
                    // The chunk was written; only its answer is unreadable.
                    let error = Error::Decode {
                        endpoint: plan.endpoint.clone(),
                        detail,
                    };
                    return Err(with_applied(error, applied(&results)));
                }
            },
            Err(Error::Server { status: 504, .. }) if plan.split_on_504 && range.len() > 1 => {
                let middle = range.start + range.len() / 2;
                warn!(endpoint = %plan.endpoint, size = range.len(), "504 on a batch: sending it again as two halves");
                queue.push_front(middle..range.end);
                queue.push_front(range.start..middle);
            }
            Err(error) => return Err(with_applied(error, applied(&results))),
        }
    }
    let count = results.len();
    let complete: Vec<O> = results.into_iter().flatten().collect();
    if complete.len() == count {
        Ok(complete)
    } else {
        Err(Error::Decode {
            endpoint: plan.endpoint,
            detail: format!("{} of {count} items got no result", count - complete.len()),
        })
    }
}

/// Ties the results of one chunk to input indexes: by `request_id`, else by the target id
/// (update answers may omit `request_id`), else by position among what is left.
fn map_results<O: BatchOutput>(
    range: Range<usize>,
    targets: &[Option<i64>],
    outputs: Vec<O>,
) -> Result<Vec<(usize, O)>, String> {
    let mut slots: Vec<Option<O>> = vec![None; range.len()];
    let mut unmatched = Vec::new();
    for output in outputs {
        let mut matched = false;
        for request_id in output.request_ids() {
            if let Ok(index) = request_id.trim().parse::<usize>()
                && range.contains(&index)
            {
                slots[index - range.start] = Some(output.clone());
                matched = true;
            }
        }
        if !matched {
            unmatched.push(output);
        }
    }
    let mut leftover = Vec::new();
    for output in unmatched {
        let id = output.entity_id();
        let position = range
            .clone()
            .position(|index| targets.get(index).copied().flatten() == Some(id));
        match position {
            Some(position) if slots[position].is_none() => slots[position] = Some(output),
            _ => leftover.push(output),
        }
    }
    let free: Vec<usize> = slots
        .iter()
        .enumerate()
        .filter(|(_, slot)| slot.is_none())
        .map(|(i, _)| i)
        .collect();
    if !leftover.is_empty() && leftover.len() == free.len() {
        for (position, output) in free.into_iter().zip(leftover) {
            slots[position] = Some(output);
        }
    } else if !leftover.is_empty() {
        return Err(format!(
            "{} result(s) could not be tied to an item of the request",
            leftover.len()
        ));
    }
    let missing: Vec<usize> = slots
        .iter()
        .enumerate()
        .filter(|(_, slot)| slot.is_none())
        .map(|(i, _)| range.start + i)
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "no result for item(s) {missing:?} although the request succeeded"
        ));
    }
    Ok(slots
        .into_iter()
        .enumerate()
        .filter_map(|(i, slot)| slot.map(|output| (range.start + i, output)))
        .collect())
}

fn applied<O: BatchOutput>(results: &[Option<O>]) -> Vec<Applied> {
    results
        .iter()
        .enumerate()
        .filter_map(|(index, result)| {
            result.as_ref().map(|o| Applied {
                index,
                id: o.entity_id(),
            })
        })
        .collect()
}

fn with_applied(error: Error, applied: Vec<Applied>) -> Error {
    match error {
        Error::Validation {
            endpoint, errors, ..
        } => Error::Validation {
            endpoint,
            errors,
            applied,
        },
        other if applied.is_empty() => other,
        other => Error::PartiallyApplied {
            applied,
            source: Box::new(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::error::ValidationError;

    fn plan(batch_size: usize) -> Plan {
        Plan {
            endpoint: "POST /api/v4/leads".into(),
            batch_size,
            split_on_504: true,
        }
    }

    fn leads(n: usize) -> Vec<LeadRequest> {
        (0..n)
            .map(|i| LeadRequest {
                name: Some(format!("lead {i}")),
                request_id: Some("caller's own".into()),
                ..LeadRequest::default()
            })
            .collect()
    }

    /// Echoes each chunk like Kommo: id = 1000 + request_id, answered in reverse order.
    fn echo(body: &[u8]) -> Vec<AddedEntity> {
        let sent: Vec<LeadRequest> = serde_json::from_slice(body).unwrap();
        sent.iter()
            .rev()
            .map(|lead| {
                let rid = lead.request_id.clone().unwrap();
                AddedEntity {
                    id: 1000 + rid.parse::<i64>().unwrap(),
                    request_id: Some(rid),
                    updated_at: None,
                    links: None,
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn chunks_and_returns_results_in_input_order() {
        let sizes = Mutex::new(Vec::new());
        let results = run(leads(120), plan(50), |body: Bytes| {
            let sent: Vec<LeadRequest> = serde_json::from_slice(&body).unwrap();
            sizes.lock().unwrap().push(sent.len());
            async move { Ok(echo(&body)) }
        })
        .await
        .unwrap();
        assert_eq!(*sizes.lock().unwrap(), vec![50, 50, 20]);
        assert_eq!(
            results.iter().map(|r| r.id).collect::<Vec<_>>(),
            (1000..1120).collect::<Vec<_>>()
        );
        assert_eq!(results[77].request_id.as_deref(), Some("77"));
    }

    #[tokio::test]
    async fn a_504_halves_the_batch_until_it_passes() {
        let sizes = Mutex::new(Vec::new());
        let results = run(leads(50), plan(50), |body: Bytes| {
            let sent: Vec<LeadRequest> = serde_json::from_slice(&body).unwrap();
            sizes.lock().unwrap().push(sent.len());
            async move {
                if sent.len() > 13 {
                    Err(Error::Server {
                        endpoint: "POST /api/v4/leads".into(),
                        status: 504,
                        attempts: 1,
                        may_have_applied: true,
                    })
                } else {
                    Ok(echo(&body))
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(*sizes.lock().unwrap(), vec![50, 25, 12, 13, 25, 12, 13]);
        assert_eq!(
            results.iter().map(|r| r.id).collect::<Vec<_>>(),
            (1000..1050).collect::<Vec<_>>()
        );
    }

    #[tokio::test]
    async fn a_504_on_a_single_item_is_final() {
        let error = run(leads(1), plan(50), |_body: Bytes| async {
            Err::<Vec<AddedEntity>, _>(Error::Server {
                endpoint: "POST /api/v4/leads".into(),
                status: 504,
                attempts: 1,
                may_have_applied: true,
            })
        })
        .await
        .unwrap_err();
        assert!(matches!(error, Error::Server { status: 504, .. }));
    }

    #[tokio::test]
    async fn validation_errors_carry_what_earlier_chunks_wrote() {
        let error = run(leads(120), plan(50), |body: Bytes| async move {
            let sent: Vec<LeadRequest> = serde_json::from_slice(&body).unwrap();
            if sent
                .iter()
                .any(|lead| lead.request_id.as_deref() == Some("60"))
            {
                Err(Error::Validation {
                    endpoint: "POST /api/v4/leads".into(),
                    errors: vec![ValidationError {
                        index: Some(60),
                        request_id: "60".into(),
                        path: "price".into(),
                        code: "InvalidType".into(),
                        detail: "not an int".into(),
                    }],
                    applied: vec![],
                })
            } else {
                Ok(echo(&body))
            }
        })
        .await
        .unwrap_err();
        let Error::Validation {
            errors, applied, ..
        } = error
        else {
            panic!("expected validation")
        };
        assert_eq!(errors[0].index, Some(60));
        assert_eq!(applied.len(), 50);
        assert_eq!(
            applied[49],
            Applied {
                index: 49,
                id: 1049
            }
        );
    }

    #[tokio::test]
    async fn other_failures_after_a_written_chunk_are_partially_applied() {
        let calls = Mutex::new(0);
        let error = run(leads(60), plan(50), |body: Bytes| {
            let call = {
                let mut calls = calls.lock().unwrap();
                *calls += 1;
                *calls
            };
            async move {
                if call == 1 {
                    Ok(echo(&body))
                } else {
                    Err(Error::Server {
                        endpoint: "x".into(),
                        status: 500,
                        attempts: 1,
                        may_have_applied: true,
                    })
                }
            }
        })
        .await
        .unwrap_err();
        assert!(
            matches!(&error, Error::PartiallyApplied { applied, source } if applied.len() == 50 && matches!(**source, Error::Server { status: 500, .. }))
        );
    }

    #[test]
    fn update_results_without_request_id_map_by_target_id() {
        let targets = vec![Some(11), Some(22), Some(33)];
        let outputs = vec![
            AddedEntity {
                id: 33,
                request_id: None,
                updated_at: Some(5),
                links: None,
            },
            AddedEntity {
                id: 11,
                request_id: None,
                updated_at: Some(5),
                links: None,
            },
            AddedEntity {
                id: 22,
                request_id: None,
                updated_at: Some(5),
                links: None,
            },
        ];
        let mapped = map_results(0..3, &targets, outputs).unwrap();
        assert_eq!(
            mapped.iter().map(|(i, o)| (*i, o.id)).collect::<Vec<_>>(),
            vec![(0, 11), (1, 22), (2, 33)]
        );
    }

    #[test]
    fn complex_results_cover_every_merged_request_id() {
        let outputs = vec![
            ComplexAddResult {
                id: 9,
                contact_id: Some(1),
                company_id: None,
                request_id: vec!["0".into(), "2".into()],
                merged: true,
            },
            ComplexAddResult {
                id: 8,
                contact_id: None,
                company_id: None,
                request_id: vec!["1".into()],
                merged: false,
            },
        ];
        let mapped = map_results(0..3, &[None, None, None], outputs).unwrap();
        assert_eq!(
            mapped.iter().map(|(i, o)| (*i, o.id)).collect::<Vec<_>>(),
            vec![(0, 9), (1, 8), (2, 9)]
        );
    }

    #[test]
    fn missing_results_are_an_error() {
        let outputs = vec![AddedEntity {
            id: 1,
            request_id: Some("0".into()),
            updated_at: None,
            links: None,
        }];
        let error = map_results(0..2, &[None, None], outputs).unwrap_err();
        assert!(error.contains("[1]"), "{error}");
    }
}
