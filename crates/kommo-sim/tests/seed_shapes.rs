//! Every example response body in Kommo's reference pages (the fixtures of `kommo-model`,
//! verbatim copies of the seed pages) has the same keys as what the simulator emits for the
//! equivalent request.
//!
//! Keys are compared as sets of paths (`_embedded.leads[]._links.self.href`), merged over the
//! items of an array. The only allowed differences are listed in `MODEL_OMITS`: keys the
//! shared wire types leave out when empty or null (so the client's writes never send them).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// Keys `kommo-model` skips when empty / null, and the lead's `catalog_elements` (no catalogs
/// are simulated).
const MODEL_OMITS: &[&str] = &[
    "_embedded.leads[]._embedded.catalog_elements",
    "_embedded.leads[].custom_fields_values[].field_code",
    "custom_fields_values[].field_code",
    "_embedded.leads[]._embedded.companies[]._links",
    "_embedded.leads[]._embedded.companies[]._links.self",
    "_embedded.leads[]._embedded.companies[]._links.self.href",
    "_embedded.leads[]._embedded.contacts[]._links",
    "_embedded.leads[]._embedded.contacts[]._links.self",
    "_embedded.leads[]._embedded.contacts[]._links.self.href",
    "_embedded.leads[]._embedded.loss_reason[]._links",
    "_embedded.leads[]._embedded.loss_reason[]._links.self",
    "_embedded.leads[]._embedded.loss_reason[]._links.self.href",
];

fn paths(value: &Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(p.clone());
                paths(v, &p, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/../kommo-model/tests/fixtures/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")))
        .unwrap()
}

fn same_keys(name: &str, ours: &Value) {
    let (mut want, mut got) = (BTreeSet::new(), BTreeSet::new());
    paths(&fixture(name), "", &mut want);
    paths(ours, "", &mut got);
    let missing: Vec<_> = want
        .difference(&got)
        .filter(|p| !MODEL_OMITS.contains(&p.as_str()))
        .collect();
    // Richer field types than the example's checkbox carry enum ids and codes.
    let extra: Vec<_> = got
        .difference(&want)
        .filter(|p| !p.ends_with("values[].enum_id") && !p.ends_with("values[].enum_code"))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: missing {missing:?}, extra {extra:?}"
    );
}

#[tokio::test]
async fn leads_examples() {
    let sim = start_small(300).await;
    let mut list = get_json(
        &sim,
        "/api/v4/leads?limit=250&with=contacts,loss_reason,source_id,is_price_modified_by_robot",
    )
    .await;
    // The example is a last page: drop `next`.
    list["_links"].as_object_mut().unwrap().remove("next");
    same_keys("leads-list", &list);

    // A lead with tags and custom fields, read without `with`.
    let id = list["_embedded"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| {
            l["custom_fields_values"].is_array()
                && !l["_embedded"]["tags"].as_array().unwrap().is_empty()
                && l["_embedded"]["companies"].as_array().unwrap().is_empty()
        })
        .unwrap()["id"]
        .clone();
    same_keys(
        "lead-get",
        &get_json(&sim, &format!("/api/v4/leads/{id}")).await,
    );

    let (_, added) = send(
        &sim,
        Method::POST,
        "/api/v4/leads",
        &fixture("leads-add-request")
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let mut l = l.clone();
                l.as_object_mut()
                    .unwrap()
                    .retain(|k, _| ["name", "price"].contains(&k.as_str()));
                l
            })
            .collect::<Value>(),
    )
    .await;
    same_keys("leads-add-response", &added);

    let ids: Vec<i64> = added["_embedded"]["leads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    let (_, updated) = send(
        &sim,
        Method::PATCH,
        "/api/v4/leads",
        &json!([{"id": ids[0], "price": 12000}, {"id": ids[1], "price": 15000}]),
    )
    .await;
    same_keys("leads-update-response", &updated);

    let (_, complex) = send(&sim, Method::POST, "/api/v4/leads/complex", &json!([{"name": "New lead 1", "price": 2222, "_embedded": {"contacts": [{"first_name": "Adam"}], "companies": [{"name": "Kommo"}]}, "request_id": "1"}])).await;
    same_keys("leads-complex-response", &complex);
    sim.shutdown().await;
}

#[tokio::test]
async fn pipelines_and_statuses_examples() {
    let sim = start_small(10).await;
    let mut list = get_json(&sim, "/api/v4/leads/pipelines").await;
    same_keys("pipelines-list", &list);
    let main = list["_embedded"]["pipelines"][0].take();
    let pid = main["id"].as_i64().unwrap();
    same_keys(
        "pipeline-get",
        &get_json(&sim, &format!("/api/v4/leads/pipelines/{pid}")).await,
    );

    let (_, added) = send(
        &sim,
        Method::POST,
        "/api/v4/leads/pipelines",
        &fixture("pipelines-add-request"),
    )
    .await;
    same_keys("pipelines-add-response", &added);
    let new_id = added["_embedded"]["pipelines"][0]["id"].as_i64().unwrap();
    let (_, edited) = send(
        &sim,
        Method::PATCH,
        &format!("/api/v4/leads/pipelines/{new_id}"),
        &fixture("pipeline-edit-request"),
    )
    .await;
    same_keys("pipeline-edit-response", &edited);

    let mut statuses = get_json(&sim, &format!("/api/v4/leads/pipelines/{pid}/statuses")).await;
    statuses.as_object_mut().unwrap().remove("_links");
    same_keys("statuses-list", &statuses);
    let sid = statuses["_embedded"]["statuses"][0]["id"].as_i64().unwrap();
    same_keys(
        "status-get",
        &get_json(
            &sim,
            &format!("/api/v4/leads/pipelines/{pid}/statuses/{sid}"),
        )
        .await,
    );
    let mut request = fixture("statuses-add-request");
    for s in request.as_array_mut().unwrap() {
        s.as_object_mut().unwrap().remove("descriptions");
    }
    let (_, mut added) = send(
        &sim,
        Method::POST,
        &format!("/api/v4/leads/pipelines/{pid}/statuses"),
        &request,
    )
    .await;
    added.as_object_mut().unwrap().remove("_links");
    same_keys("statuses-add-response", &added);
    let editable = added["_embedded"]["statuses"][0]["id"].as_i64().unwrap();
    let (_, edited) = send(
        &sim,
        Method::PATCH,
        &format!("/api/v4/leads/pipelines/{pid}/statuses/{editable}"),
        &fixture("status-edit-request"),
    )
    .await;
    same_keys("status-edit-response", &edited);
    sim.shutdown().await;
}
