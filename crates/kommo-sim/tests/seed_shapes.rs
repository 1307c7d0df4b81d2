//! Every example response body in Kommo's reference pages (the fixtures of `kommo-model`,
//! verbatim copies of the seed pages) has exactly the keys of what the simulator emits for the
//! equivalent request, object by object: every object at a path
//! (`_embedded.leads[]._embedded.contacts[]`) carries the example's keys, no more and no fewer,
//! keys holding `null` and empty arrays included; and where the example has an array or an
//! object, so does the simulator (never `null` or a missing key).
//!
//! The one allowed difference: values of richer field types than the example's checkbox carry
//! `enum_id` / `enum_code` next to `value`.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use reqwest::Method;
use serde_json::{Value, json};

/// What is seen at each path: the key lists of its objects and the kinds of its values.
#[derive(Default)]
struct Shape {
    keys: BTreeMap<String, BTreeSet<Vec<String>>>,
    kinds: BTreeMap<String, BTreeSet<&'static str>>,
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        _ => "scalar",
    }
}

fn walk(value: &Value, path: &str, out: &mut Shape) {
    out.kinds
        .entry(path.to_owned())
        .or_default()
        .insert(kind(value));
    match value {
        Value::Object(map) => {
            out.keys
                .entry(path.to_owned())
                .or_default()
                .insert(map.keys().cloned().collect());
            for (k, v) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(v, &p, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(item, &format!("{path}[]"), out);
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

/// Custom field values: `value`, plus `enum_id` / `enum_code` for selects and multitext.
fn is_field_value(path: &str) -> bool {
    path.ends_with("custom_fields_values[].values[]")
}

fn same_keys(name: &str, ours: &Value) {
    let (mut want, mut got) = (Shape::default(), Shape::default());
    walk(&fixture(name), "", &mut want);
    walk(ours, "", &mut got);
    let mut problems = Vec::new();
    let paths: BTreeSet<&String> = want.kinds.keys().chain(got.kinds.keys()).collect();
    for path in paths {
        if ["enum_id", "enum_code"].iter().any(|k| {
            path.strip_suffix(k)
                .is_some_and(|p| is_field_value(p.trim_end_matches('.')))
        }) {
            continue;
        }
        let (Some(w), Some(g)) = (want.kinds.get(path), got.kinds.get(path)) else {
            let side = if want.kinds.contains_key(path) {
                "missing"
            } else {
                "extra"
            };
            problems.push(format!("{side} {path}"));
            continue;
        };
        for container in ["array", "object"] {
            if w.contains(container) != g.contains(container) {
                problems.push(format!("{path}: example has {w:?}, simulator {g:?}"));
            }
        }
        if g.contains("null") && !w.contains("null") {
            problems.push(format!("{path}: null where the example has {w:?}"));
        }
        let (Some(w), Some(g)) = (want.keys.get(path), got.keys.get(path)) else {
            continue;
        };
        if is_field_value(path) {
            let allowed = ["value", "enum_id", "enum_code"];
            for keys in w.iter().chain(g) {
                if !keys.iter().any(|k| k == "value")
                    || !keys.iter().all(|k| allowed.contains(&k.as_str()))
                {
                    problems.push(format!("{path}: keys {keys:?}"));
                }
            }
            continue;
        }
        assert_eq!(
            w.len(),
            1,
            "{name}: the example's objects at {path} differ: {w:?}"
        );
        let example = w.first().unwrap();
        for keys in g.iter().filter(|keys| *keys != example) {
            let missing: Vec<_> = example.iter().filter(|k| !keys.contains(k)).collect();
            let extra: Vec<_> = keys.iter().filter(|k| !example.contains(k)).collect();
            problems.push(format!("{path:?}: missing {missing:?}, extra {extra:?}"));
        }
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
}

#[tokio::test]
async fn leads_examples() {
    let sim = start_small(300).await;
    let mut list = get_json(
        &sim,
        "/api/v4/leads?limit=250&with=contacts,loss_reason,catalog_elements,source_id,is_price_modified_by_robot",
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

    let statuses = get_json(&sim, &format!("/api/v4/leads/pipelines/{pid}/statuses")).await;
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
    let (_, added) = send(
        &sim,
        Method::POST,
        &format!("/api/v4/leads/pipelines/{pid}/statuses"),
        &request,
    )
    .await;
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
