//! Writes: request_id echo, validation errors with nothing written, updated_at and events,
//! complex add limits and duplicate control, pipeline and status rules.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn batch_add_echoes_request_ids_and_lands_in_the_main_pipelines_first_stage() {
    let sim = start_small(20).await;
    let (status, body) = send(
        &sim,
        Method::POST,
        "/api/v4/leads",
        &json!([{"name": "A", "price": 100, "request_id": "first"}, {"name": "B"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let items = body["_embedded"]["leads"].as_array().unwrap();
    assert_eq!(items[0]["request_id"], "first");
    assert_eq!(items[1]["request_id"], "1", "defaults to the index");
    let id = items[0]["id"].as_i64().unwrap();
    let lead = get_json(&sim, &format!("/api/v4/leads/{id}")).await;
    let pipelines = get_json(&sim, "/api/v4/leads/pipelines").await;
    let main = pipelines["_embedded"]["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["is_main"] == true)
        .unwrap()
        .clone();
    let first_stage = main["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["type"] == 0)
        .unwrap()["id"]
        .clone();
    assert_eq!(
        (lead["pipeline_id"].clone(), lead["status_id"].clone()),
        (main["id"].clone(), first_stage)
    );
    assert_eq!(
        (lead["name"].as_str(), lead["price"].as_i64()),
        (Some("A"), Some(100))
    );
    assert_eq!(sim.control().lead_count(), 22);
    sim.shutdown().await;
}

#[tokio::test]
async fn one_bad_item_rejects_the_whole_request() {
    let sim = start_small(20).await;
    let before = sim.control().lead_count();
    let (status, body) = send(
        &sim,
        Method::POST,
        "/api/v4/leads",
        &json!([{"name": "fine", "request_id": "ok"}, {"name": "bad", "status_id": 12345, "request_id": "broken"}, {"custom_fields_values": [{"field_id": 1, "values": [{"value": "x"}]}]}]),
    )
    .await;
    assert_eq!(status, 400);
    let errors = body["validation-errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0]["request_id"], "broken");
    assert_eq!(errors[0]["errors"][0]["path"], "status_id");
    assert_eq!(errors[1]["request_id"], "2");
    assert_eq!(
        errors[1]["errors"][0]["path"],
        "custom_fields_values.0.field_id"
    );
    assert_eq!(sim.control().lead_count(), before, "nothing written");

    let id = sim.control().lead_ids()[0];
    let original = sim.control().lead(id).unwrap();
    let (status, _) = send(
        &sim,
        Method::PATCH,
        "/api/v4/leads",
        &json!([{"id": id, "name": "changed"}, {"id": 1, "name": "no such lead"}]),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        sim.control().lead(id).unwrap().name,
        original.name,
        "the valid item was not applied either"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn updates_bump_updated_at_and_emit_events() {
    let sim = start_small(30).await;
    let id = sim.control().lead_ids()[4];
    let before = sim.control().lead(id).unwrap();
    let pipelines = get_json(&sim, "/api/v4/leads/pipelines").await;
    let pipeline = pipelines["_embedded"]["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == before.pipeline_id)
        .unwrap()
        .clone();
    let (status, body) = send(
        &sim,
        Method::PATCH,
        "/api/v4/leads",
        &json!([{"id": id, "price": before.price + 7, "status_id": 142, "request_id": "r1"}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let item = &body["_embedded"]["leads"][0];
    assert_eq!(item["request_id"], "r1");
    let after = sim.control().lead(id).unwrap();
    assert!(after.updated_at > before.updated_at);
    assert_eq!(item["updated_at"], after.updated_at);
    assert_eq!(
        (after.price, after.status_id, after.pipeline_id),
        (before.price + 7, 142, pipeline["id"].as_i64().unwrap())
    );
    assert!(after.closed_at.is_some());
    let events = get_json(&sim, &format!("/api/v4/events?filter[entity]=lead&filter[entity_id]={id}&filter[type]=lead_status_changed,sale_field_changed")).await;
    let kinds: Vec<&str> = events["_embedded"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"lead_status_changed") && kinds.contains(&"sale_field_changed"),
        "{kinds:?}"
    );
    let changed = &events["_embedded"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "lead_status_changed")
        .unwrap()
        .clone();
    assert_eq!(changed["value_after"][0]["lead_status"]["id"], 142);
    assert_eq!(changed["entity_type"], "lead");
    assert!(changed["id"].is_string());

    let (status, one) = send(
        &sim,
        Method::PATCH,
        &format!("/api/v4/leads/{id}"),
        &json!({"name": "Renamed"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], id);
    assert_eq!(sim.control().lead(id).unwrap().name, "Renamed");
    let recent = get_json(
        &sim,
        &format!(
            "/api/v4/leads?filter[updated_at][from]={}&order[updated_at]=asc",
            after.updated_at
        ),
    )
    .await;
    assert!(
        ids(&recent, "leads").contains(&id),
        "incremental sync sees the change"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn custom_fields_and_tags_are_written_and_read_back() {
    let sim = start_small(10).await;
    let fields = get_json(&sim, "/api/v4/leads/custom_fields").await;
    let select = fields["_embedded"]["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["type"] == "select")
        .unwrap()
        .clone();
    let enum_id = select["enums"][1]["id"].as_i64().unwrap();
    let (status, body) = send(
        &sim,
        Method::POST,
        "/api/v4/leads",
        &json!([{"name": "Tagged", "custom_fields_values": [{"field_id": select["id"], "values": [{"enum_id": enum_id}]}], "_embedded": {"tags": [{"name": "brand new tag"}]}}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["_embedded"]["leads"][0]["id"].as_i64().unwrap();
    let lead = get_json(&sim, &format!("/api/v4/leads/{id}")).await;
    assert_eq!(
        lead["custom_fields_values"][0]["values"][0]["enum_id"],
        enum_id
    );
    assert_eq!(
        lead["custom_fields_values"][0]["values"][0]["value"],
        select["enums"][1]["value"]
    );
    assert_eq!(lead["_embedded"]["tags"][0]["name"], "brand new tag");
    let tags = get_json(&sim, "/api/v4/leads/tags?query=brand").await;
    assert_eq!(tags["_embedded"]["tags"][0]["name"], "brand new tag");
    let (status, bad) = send(&sim, Method::POST, "/api/v4/leads", &json!([{"custom_fields_values": [{"field_id": select["id"], "values": [{"enum_id": 1}]}]}])).await;
    assert_eq!(status, 400);
    assert_eq!(
        bad["validation-errors"][0]["errors"][0]["code"],
        "NotSupportedChoice"
    );
    sim.shutdown().await;
}

fn complex_item(phone: &str, request_id: &str) -> serde_json::Value {
    json!({
        "name": "Complex lead",
        "price": 2222,
        "request_id": request_id,
        "_embedded": {
            "contacts": [{"first_name": "Adam", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": phone, "enum_code": "WORK"}]}]}],
            "companies": [{"name": "Kommo"}]
        }
    })
}

#[tokio::test]
async fn complex_add_links_new_entities_and_merges_duplicates() {
    let sim = start_small(20).await;
    let (status, body) = send(
        &sim,
        Method::POST,
        "/api/v4/leads/complex",
        &json!([complex_item("0965423364", "1")]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let first = body[0].clone();
    assert_eq!(first["request_id"], json!(["1"]));
    assert_eq!(first["merged"], false);
    let (lead, contact, company) = (
        first["id"].as_i64().unwrap(),
        first["contact_id"].as_i64().unwrap(),
        first["company_id"].as_i64().unwrap(),
    );
    let contact_json = get_json(&sim, &format!("/api/v4/contacts/{contact}?with=leads")).await;
    assert_eq!(
        contact_json["_embedded"]["companies"][0]["id"], company,
        "new contact and company are linked"
    );
    assert_eq!(contact_json["_embedded"]["leads"][0]["id"], lead);
    let lead_json = get_json(&sim, &format!("/api/v4/leads/{lead}?with=contacts")).await;
    assert_eq!(lead_json["_embedded"]["contacts"][0]["id"], contact);
    assert_eq!(lead_json["_embedded"]["companies"][0]["id"], company);

    let (status, again) = send(
        &sim,
        Method::POST,
        "/api/v4/leads/complex",
        &json!([complex_item("+0965423364", "2")]),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        again[0]["merged"], true,
        "same phone as an existing contact"
    );
    assert_eq!(
        (again[0]["id"].as_i64(), again[0]["contact_id"].as_i64()),
        (Some(lead), Some(contact))
    );
    assert_eq!(again[0]["request_id"], json!(["2"]));
    sim.shutdown().await;
}

#[tokio::test]
async fn complex_add_enforces_its_limits() {
    let sim = start_small(5).await;
    let before = sim.control().lead_count();
    let many: Vec<_> = (0..51).map(|i| json!({"name": format!("L{i}")})).collect();
    let (status, _) = send(&sim, Method::POST, "/api/v4/leads/complex", &json!(many)).await;
    assert_eq!(status, 400, "at most 50 leads");
    let two_contacts = json!([{"name": "x", "_embedded": {"contacts": [{"first_name": "a"}, {"first_name": "b"}]}}]);
    let (status, body) = send(&sim, Method::POST, "/api/v4/leads/complex", &two_contacts).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["validation-errors"][0]["errors"][0]["path"],
        "_embedded.contacts"
    );
    let fields: Vec<_> = (0..41)
        .map(|_| json!({"field_code": "PHONE", "values": [{"value": "123456789"}]}))
        .collect();
    let (status, body) = send(&sim, Method::POST, "/api/v4/leads/complex", &json!([{"_embedded": {"contacts": [{"first_name": "a", "custom_fields_values": fields}]}}])).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["validation-errors"][0]["errors"][0]["path"],
        "_embedded.contacts.0.custom_fields_values"
    );
    assert_eq!(sim.control().lead_count(), before);
    sim.shutdown().await;
}

#[tokio::test]
async fn contacts_and_tasks_are_written() {
    let sim = start_small(10).await;
    let (status, body) = send(&sim, Method::POST, "/api/v4/contacts", &json!([{"first_name": "Maria", "last_name": "Silva", "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "maria@example.com", "enum_code": "WORK"}]}]}])).await;
    assert_eq!(status, 200, "{body}");
    let contact = body["_embedded"]["contacts"][0]["id"].as_i64().unwrap();
    let found = get_json(&sim, "/api/v4/contacts?query=maria@example.com").await;
    assert_eq!(ids(&found, "contacts"), vec![contact]);
    let lead = sim.control().lead_ids()[0];
    let (status, body) = send(&sim, Method::POST, "/api/v4/tasks", &json!([{"text": "Call", "complete_till": 1_900_000_000, "entity_type": "leads", "entity_id": lead}])).await;
    assert_eq!(status, 200, "{body}");
    let task = body["_embedded"]["tasks"][0]["id"].as_i64().unwrap();
    let (status, _) = send(
        &sim,
        Method::PATCH,
        &format!("/api/v4/tasks/{task}"),
        &json!({"is_completed": true, "result": {"text": "Done"}}),
    )
    .await;
    assert_eq!(status, 200);
    let task_json = get_json(&sim, &format!("/api/v4/tasks/{task}")).await;
    assert_eq!(
        (
            task_json["is_completed"].as_bool(),
            task_json["result"]["text"].as_str()
        ),
        (Some(true), Some("Done"))
    );
    let (status, _) = send(
        &sim,
        Method::POST,
        "/api/v4/tasks",
        &json!([{"text": "no deadline"}]),
    )
    .await;
    assert_eq!(status, 400);
    let open = get_json(
        &sim,
        &format!("/api/v4/tasks?filter[entity_type]=leads&filter[entity_id]={lead}"),
    )
    .await;
    assert!(ids(&open, "tasks").contains(&task));
    sim.shutdown().await;
}
