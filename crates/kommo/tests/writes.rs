//! Lead writes through the client against the simulator: batches of 50 with results in input
//! order, validation errors by item, complex add, 504 halving, and which failures are retried.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use kommo::model::{
    ContactRequest, CustomFieldValue, CustomFieldValues, LeadEmbeddedRequest, LeadRequest, TagRef,
};
use kommo::{Client, ClientConfig, Error, LeadsQuery, RetryPolicy};
use kommo_sim::{FailNext, Faults, RunningSimulator, SimConfig};

fn named(n: usize, prefix: &str) -> Vec<LeadRequest> {
    (0..n)
        .map(|i| LeadRequest {
            name: Some(format!("{prefix} {i}")),
            price: Some(i as i64 * 10),
            ..LeadRequest::default()
        })
        .collect()
}

async fn setup(leads: u32) -> (RunningSimulator, Client) {
    let sim = common::start(SimConfig::unlimited().with_leads(leads)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    (sim, client)
}

#[tokio::test]
async fn adding_120_leads_takes_3_requests_and_returns_ids_in_input_order() {
    let (sim, client) = setup(10).await;
    let added = client.add_leads(named(120, "Batch")).await.unwrap();
    assert_eq!(added.len(), 120);
    assert_eq!(
        sim.control()
            .counters()
            .requests_with_status("POST", "/api/v4/leads", 200),
        3
    );
    for (i, result) in added.iter().enumerate() {
        assert_eq!(result.request_id.as_deref(), Some(i.to_string().as_str()));
        let lead = sim.control().lead(result.id).expect("created");
        assert_eq!(
            lead.name,
            format!("Batch {i}"),
            "result {i} points at the lead made from input {i}"
        );
    }
    assert_eq!(sim.control().lead_count(), 130);
}

#[tokio::test]
async fn batch_and_single_updates_change_only_what_they_name() {
    let (sim, client) = setup(10).await;
    let ids = client
        .add_leads(named(60, "Old"))
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect::<Vec<_>>();
    let changes = ids
        .iter()
        .rev()
        .map(|id| LeadRequest {
            id: Some(*id),
            price: Some(*id % 1000),
            ..LeadRequest::default()
        })
        .collect();
    let updated = client.update_leads(changes).await.unwrap();
    assert_eq!(
        updated.iter().map(|u| u.id).collect::<Vec<_>>(),
        ids.iter().rev().copied().collect::<Vec<_>>()
    );
    assert_eq!(
        sim.control()
            .counters()
            .requests_to("PATCH", "/api/v4/leads"),
        2
    );
    let lead = sim.control().lead(ids[3]).unwrap();
    assert_eq!((lead.price, lead.name.as_str()), (ids[3] % 1000, "Old 3"));

    let one = client
        .update_lead(
            ids[0],
            LeadRequest {
                name: Some("Renamed".into()),
                tags_to_add: Some(vec![TagRef {
                    id: None,
                    name: Some("Zyxq tag".into()),
                }]),
                ..LeadRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(one.id, ids[0]);
    let lead = client.lead(ids[0], &[]).await.unwrap().unwrap();
    assert_eq!(lead.name, "Renamed");
    assert!(
        lead.embedded.tags.iter().any(|t| t.name == "Zyxq tag"),
        "{:?}",
        lead.embedded.tags
    );
    assert_eq!(
        lead.price,
        ids[0] % 1000,
        "the price set by the batch update is untouched"
    );

    let missing_id = client
        .update_leads(vec![LeadRequest::default()])
        .await
        .unwrap_err();
    assert!(
        matches!(missing_id, Error::InvalidInput { .. }),
        "{missing_id}"
    );
}

#[tokio::test]
async fn validation_errors_point_at_the_callers_items_and_earlier_chunks_are_reported() {
    let (sim, client) = setup(10).await;
    let mut leads = named(80, "Checked");
    let bad_field = CustomFieldValues {
        field_id: Some(999_999_999),
        values: Some(vec![CustomFieldValue {
            value: Some("x".into()),
            ..CustomFieldValue::default()
        }]),
        ..CustomFieldValues::default()
    };
    leads[57].custom_fields_values = Some(vec![bad_field.clone()]);
    leads[63].custom_fields_values = Some(vec![bad_field]);
    let error = client.add_leads(leads).await.unwrap_err();
    let Error::Validation {
        errors, applied, ..
    } = &error
    else {
        panic!("expected validation errors, got {error}")
    };
    let mut spots: Vec<(Option<usize>, &str, &str)> = errors
        .iter()
        .map(|e| (e.index, e.path.as_str(), e.code.as_str()))
        .collect();
    spots.sort();
    assert_eq!(
        spots,
        vec![
            (
                Some(57),
                "custom_fields_values.0.field_id",
                "NotSupportedChoice"
            ),
            (
                Some(63),
                "custom_fields_values.0.field_id",
                "NotSupportedChoice"
            ),
        ]
    );
    // The first chunk (items 0..50) was written; nothing of the rejected one was.
    assert_eq!(
        applied.iter().map(|a| a.index).collect::<Vec<_>>(),
        (0..50).collect::<Vec<_>>()
    );
    assert_eq!(sim.control().lead_count(), 60);
    assert!(
        error
            .to_string()
            .contains("item 57 field `custom_fields_values.0.field_id`"),
        "{error}"
    );
}

#[tokio::test]
async fn complex_add_creates_linked_contacts_and_reports_merges() {
    let (sim, client) = setup(100).await;
    // A phone already in the account triggers duplicate control.
    let phone_of = |contact: &kommo::model::Contact| {
        contact
            .custom_fields_values
            .iter()
            .flatten()
            .find(|f| f.field_code.as_deref() == Some("PHONE"))
            .and_then(|f| f.values.as_ref()?.first()?.value.clone())
    };
    let contacts = client
        .contacts(kommo::ContactsQuery::new())
        .collect_all()
        .await
        .unwrap();
    let existing = contacts
        .iter()
        .find(|c| phone_of(c).is_some())
        .expect("a contact with a phone");
    let phone = phone_of(existing).unwrap();
    let contact = |name: &str, phone: serde_json::Value| ContactRequest {
        first_name: Some(name.into()),
        custom_fields_values: Some(vec![CustomFieldValues {
            field_code: Some("PHONE".into()),
            values: Some(vec![CustomFieldValue {
                value: Some(phone),
                enum_code: Some("WORK".into()),
                ..CustomFieldValue::default()
            }]),
            ..CustomFieldValues::default()
        }]),
        ..ContactRequest::default()
    };
    let lead = |name: &str, contact: ContactRequest| LeadRequest {
        name: Some(name.into()),
        embedded: Some(LeadEmbeddedRequest {
            contacts: Some(vec![contact]),
            ..LeadEmbeddedRequest::default()
        }),
        ..LeadRequest::default()
    };
    let results = client
        .add_leads_complex(vec![
            lead("Fresh", contact("Ana", "+55 11 90000-1234".into())),
            lead("Duplicate", contact("Again", phone)),
        ])
        .await
        .unwrap();
    assert_eq!(results.len(), 2);
    assert!(!results[0].merged && results[0].contact_id.is_some());
    assert!(
        results[1].merged,
        "the second lead's phone matches {}",
        existing.id
    );
    let fresh = sim.control().lead(results[0].id).unwrap();
    assert_eq!(
        fresh.embedded.contacts.first().map(|c| c.id),
        results[0].contact_id
    );

    let too_many = ContactRequest::default();
    let error = client
        .add_leads_complex(vec![LeadRequest {
            embedded: Some(LeadEmbeddedRequest {
                contacts: Some(vec![too_many.clone(), too_many]),
                ..LeadEmbeddedRequest::default()
            }),
            ..LeadRequest::default()
        }])
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error}");
}

#[tokio::test]
async fn complex_add_is_chunked_at_50() {
    let (sim, client) = setup(10).await;
    let results = client
        .add_leads_complex(named(75, "Complex"))
        .await
        .unwrap();
    assert_eq!(results.len(), 75);
    assert_eq!(
        sim.control()
            .counters()
            .requests_to("POST", "/api/v4/leads/complex"),
        2
    );
    assert_eq!(
        sim.control().lead(results[74].id).unwrap().name,
        "Complex 74"
    );
}

/// Fails exactly the next write of leads (`POST` / `PATCH` under `/api/v4/leads`) with `status`.
fn fail_next_write(sim: &RunningSimulator, method: &str, status: u16) {
    sim.control()
        .fail_next(
            FailNext::status(status)
                .path("/api/v4/leads")
                .method(method),
        )
        .unwrap();
}

#[tokio::test]
async fn a_504_on_a_batch_halves_it_and_sends_the_halves() {
    let (sim, client) = setup(10).await;
    fail_next_write(&sim, "POST", 504);
    let added = client.add_leads(named(10, "Halved")).await.unwrap();
    assert_eq!(added.len(), 10);
    let counters = sim.control().counters();
    assert_eq!(
        counters.requests_with_status("POST", "/api/v4/leads", 504),
        1
    );
    assert_eq!(
        counters.requests_with_status("POST", "/api/v4/leads", 200),
        2,
        "two halves of 5"
    );
    assert_eq!(sim.control().lead_count(), 20, "every lead written once");
    for (i, result) in added.iter().enumerate() {
        assert_eq!(
            sim.control().lead(result.id).unwrap().name,
            format!("Halved {i}")
        );
    }
}

#[tokio::test]
async fn a_5xx_on_an_add_is_not_repeated() {
    let (sim, client) = setup(10).await;
    fail_next_write(&sim, "POST", 503);
    let error = client.add_leads(named(3, "Maybe")).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Server {
                status: 503,
                attempts: 1,
                may_have_applied: true,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("check before sending it again"));
    assert_eq!(
        sim.control()
            .counters()
            .requests_to("POST", "/api/v4/leads"),
        1
    );
    assert!(sim.control().armed_failures().is_empty());
}

#[tokio::test]
async fn a_5xx_on_a_patch_is_retried() {
    let (sim, client) = setup(10).await;
    let id = sim.control().lead_ids()[0];
    fail_next_write(&sim, "PATCH", 502);
    client
        .update_lead(
            id,
            LeadRequest {
                price: Some(4242),
                ..LeadRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(sim.control().lead(id).unwrap().price, 4242);
    let counters = sim.control().counters();
    assert_eq!(
        counters.requests_with_status("PATCH", "/api/v4/leads/{id}", 502),
        1
    );
    assert_eq!(
        counters.requests_with_status("PATCH", "/api/v4/leads/{id}", 200),
        1
    );
}

#[tokio::test]
async fn adds_hit_by_429s_are_retried_and_written_exactly_once() {
    let (sim, client) = setup(10).await;
    sim.control().set_faults(Faults {
        rate_429: 0.5,
        ..Faults::default()
    });
    let added = client.add_leads(named(150, "Zyxq")).await.unwrap();
    assert_eq!(added.len(), 150);
    assert!(sim.control().counters().rate_limited > 0);
    assert_eq!(sim.control().lead_count(), 160);
    let all = client
        .leads(LeadsQuery::new().search("Zyxq"))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 150);
}

#[tokio::test]
async fn batch_size_is_configurable() {
    let sim = common::start(SimConfig::unlimited().with_leads(10)).await;
    let config = ClientConfig {
        batch_size: 20,
        retry: RetryPolicy {
            ..common::quick_retries().retry
        },
        ..ClientConfig::default()
    };
    let client = common::client(&sim, common::unthrottled(), config);
    client.add_leads(named(45, "Twenties")).await.unwrap();
    assert_eq!(
        sim.control()
            .counters()
            .requests_to("POST", "/api/v4/leads"),
        3
    );
}
