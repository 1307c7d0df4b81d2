//! Every action against the simulator: the happy path, a Kommo validation error, an unknown
//! id, the rate limit, and input refused before anything reaches Kommo.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::{context, main_pipeline, now, ok, refused, run, simulator};
use kommo_actions::{Catalog, CatalogError};
use kommo_sim::Faults;
use serde_json::{Value, json};

const NOBODY: i64 = 999_999_999;

#[tokio::test]
async fn leads_create_update_get_list_and_complex_add() {
    let sim = simulator().await;
    let ctx = context(&sim);
    let (pipeline_id, stage_id) = main_pipeline(&ctx).await;

    let created = ok(
        &ctx,
        "KOMMO_CREATE_LEAD",
        json!({"name": "Website chat: Maria", "price": 1500, "pipeline_id": pipeline_id, "status_id": stage_id,
               "tags_to_add": [{"name": "from-agent"}]}),
    )
    .await;
    let lead = &created["lead"];
    let id = lead["id"].as_i64().unwrap();
    assert_eq!(lead["name"], "Website chat: Maria");
    assert_eq!(lead["price"], 1500);
    assert_eq!(lead["status_id"], stage_id);
    assert!(
        lead["_embedded"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "from-agent"),
        "{lead}"
    );
    // Kommo itself now has it.
    assert_eq!(sim.control().lead(id).unwrap().price, 1500);

    let updated = ok(
        &ctx,
        "KOMMO_UPDATE_LEAD",
        json!({"id": id, "price": 2100, "status_id": 142, "request_id": "move-1"}),
    )
    .await;
    assert_eq!(updated["lead"]["price"], 2100);
    assert_eq!(updated["lead"]["status_id"], 142);
    assert_eq!(
        updated["lead"]["request_id"], "move-1",
        "the caller's request_id comes back"
    );
    assert_eq!(sim.control().lead(id).unwrap().status_id, 142);

    let got = ok(
        &ctx,
        "KOMMO_GET_LEAD",
        json!({"id": id, "with_params": ["contacts", "loss_reason"]}),
    )
    .await;
    assert_eq!(got["lead"]["id"], id);
    assert_eq!(got["lead"]["price"], 2100);

    let listed = ok(&ctx, "KOMMO_LIST_LEADS", json!({"filter_ids": [id]})).await;
    assert_eq!(listed["leads"].as_array().unwrap().len(), 1);
    assert_eq!(listed["leads"][0]["id"], id);
    assert_eq!(listed["next_page"], Value::Null);

    let complex = ok(
        &ctx,
        "KOMMO_ADD_LEADS_COMPLEX",
        json!({"leads": [{"name": "Inbound form", "price": 300, "request_id": "form-7",
                          "contact": {"first_name": "Joana", "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+55 11 98888-0000", "enum_code": "WORK"}]}]},
                          "company": {"name": "Padaria Joana"}}]}),
    )
    .await;
    let added = &complex["leads"][0];
    let complex_id = added["id"].as_i64().unwrap();
    assert_eq!(added["merged"], false);
    assert_eq!(added["request_id"], json!(["form-7"]));
    let contact_id = added["contact_id"].as_i64().expect("a new contact");
    assert!(added["company_id"].as_i64().is_some(), "{added}");
    let contact = sim.control().contact(contact_id).unwrap();
    assert_eq!(contact.first_name, "Joana");
    assert_eq!(sim.control().lead(complex_id).unwrap().name, "Inbound form");
}

#[tokio::test]
async fn list_leads_pages_through_kommo_and_applies_filters() {
    let sim = simulator().await;
    let ctx = context(&sim);
    let total = sim.control().lead_count();

    // Every page in turn, as a caller following `next_page` would: each lead once.
    let mut seen = Vec::new();
    let mut page = Some(1);
    while let Some(number) = page {
        let data = ok(
            &ctx,
            "KOMMO_LIST_LEADS",
            json!({"page": number, "limit": 25, "order_by_id": "asc"}),
        )
        .await;
        assert_eq!(data["page"], number);
        assert_eq!(data["limit"], 25);
        seen.extend(
            data["leads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_i64().unwrap()),
        );
        page = data["next_page"].as_u64();
    }
    assert_eq!(seen.len(), total, "every lead exactly once");
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "ordered by id");

    // A page past the end is an empty page, not an error.
    let past = ok(
        &ctx,
        "KOMMO_LIST_LEADS",
        json!({"page": 1000, "limit": 250}),
    )
    .await;
    assert_eq!(past["leads"], json!([]));
    assert_eq!(past["next_page"], Value::Null);

    // Filters: a stage in a pipeline, a price, a date range, responsible users.
    let (pipeline_id, stage_id) = main_pipeline(&ctx).await;
    let data = ok(
        &ctx,
        "KOMMO_LIST_LEADS",
        json!({"filter_status": {"pipeline_id": pipeline_id, "status_id": stage_id}, "limit": 250}),
    )
    .await;
    for lead in data["leads"].as_array().unwrap() {
        assert_eq!(
            (lead["pipeline_id"].as_i64(), lead["status_id"].as_i64()),
            (Some(pipeline_id), Some(stage_id))
        );
    }
    let all = ok(
        &ctx,
        "KOMMO_LIST_LEADS",
        json!({"limit": 250, "order_by_created_at": "asc"}),
    )
    .await;
    let leads = all["leads"].as_array().unwrap();
    let created: Vec<i64> = leads
        .iter()
        .map(|l| l["created_at"].as_i64().unwrap())
        .collect();
    assert!(
        created.windows(2).all(|w| w[0] <= w[1]),
        "ordered by created_at"
    );
    let (from, to) = (created[created.len() / 4], created[created.len() / 2]);
    let ranged = ok(
        &ctx,
        "KOMMO_LIST_LEADS",
        json!({"limit": 250, "filter_created_at": {"from": from, "to": to}}),
    )
    .await;
    let ranged = ranged["leads"].as_array().unwrap();
    let expected = created.iter().filter(|c| (from..=to).contains(*c)).count();
    assert_eq!(ranged.len(), expected);
    let price = leads[0]["price"].as_i64().unwrap();
    let priced = ok(
        &ctx,
        "KOMMO_LIST_LEADS",
        json!({"limit": 250, "filter_price": price}),
    )
    .await;
    assert!(
        priced["leads"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["price"] == price)
    );
    let user = leads[0]["responsible_user_id"].as_i64().unwrap();
    let mine = ok(
        &ctx,
        "KOMMO_LIST_LEADS",
        json!({"limit": 250, "filter_responsible_user_ids": [user]}),
    )
    .await;
    let mine = mine["leads"].as_array().unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|l| l["responsible_user_id"] == user));
}

#[tokio::test]
async fn contacts_companies_and_tasks() {
    let sim = simulator().await;
    let ctx = context(&sim);

    let created = ok(
        &ctx,
        "KOMMO_CREATE_CONTACT",
        json!({"contacts": [
            {"first_name": "Ana", "last_name": "Souza", "request_id": "chat-1",
             "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "ana@example.com", "enum_code": "WORK"}]}]},
            {"name": "Bruno Lima"}
        ]}),
    )
    .await;
    let contacts = created["contacts"].as_array().unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(contacts[0]["first_name"], "Ana");
    assert_eq!(contacts[0]["request_id"], "chat-1");
    assert_eq!(contacts[1]["name"], "Bruno Lima");
    let ana = contacts[0]["id"].as_i64().unwrap();
    let bruno = contacts[1]["id"].as_i64().unwrap();

    let updated = ok(
        &ctx,
        "KOMMO_UPDATE_CONTACT",
        json!({"id": ana, "last_name": "Souza Lima"}),
    )
    .await;
    assert_eq!(updated["contact"]["last_name"], "Souza Lima");
    assert_eq!(sim.control().contact(ana).unwrap().last_name, "Souza Lima");

    let listed = ok(
        &ctx,
        "KOMMO_LIST_CONTACTS",
        json!({"filter_ids": [ana, bruno], "order_by_id": "desc"}),
    )
    .await;
    let ids: Vec<i64> = listed["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![ana.max(bruno), ana.min(bruno)]);

    let company = ok(
        &ctx,
        "KOMMO_CREATE_COMPANY",
        json!({"name": "Acme Ltda", "tags_to_add": [{"name": "b2b"}]}),
    )
    .await;
    let company_id = company["company"]["id"].as_i64().unwrap();
    assert_eq!(company["company"]["name"], "Acme Ltda");
    let renamed = ok(
        &ctx,
        "KOMMO_UPDATE_COMPANY",
        json!({"company_id": company_id, "name": "Acme S.A."}),
    )
    .await;
    assert_eq!(renamed["company"]["name"], "Acme S.A.");
    let companies = ok(
        &ctx,
        "KOMMO_LIST_COMPANIES",
        json!({"filter": {"id": [company_id]}}),
    )
    .await;
    assert_eq!(companies["companies"][0]["name"], "Acme S.A.");
    let ordered = ok(
        &ctx,
        "KOMMO_LIST_COMPANIES",
        json!({"order": {"field": "id", "direction": "desc"}, "limit": 3}),
    )
    .await;
    assert_eq!(
        ordered["companies"][0]["id"], company_id,
        "the newest company first"
    );

    let lead = ok(&ctx, "KOMMO_CREATE_LEAD", json!({"name": "Follow-up"})).await["lead"]["id"]
        .as_i64()
        .unwrap();
    let task = ok(
        &ctx,
        "KOMMO_CREATE_TASK",
        json!({"text": "Call Ana back", "complete_till": now() + 3600, "entity_id": lead, "entity_type": "leads", "task_type_id": 1}),
    )
    .await;
    let task_id = task["task"]["id"].as_i64().unwrap();
    assert_eq!(task["task"]["text"], "Call Ana back");
    assert_eq!(task["task"]["entity_id"], lead);
    let done = ok(
        &ctx,
        "KOMMO_UPDATE_TASK",
        json!({"id": task_id, "is_completed": true, "result": {"text": "Talked"}}),
    )
    .await;
    assert_eq!(done["task"]["is_completed"], true);
    assert_eq!(done["task"]["result"]["text"], "Talked");
    let listed = ok(
        &ctx,
        "KOMMO_LIST_TASKS",
        json!({"filter_entity_ids": [lead], "filter_is_completed": 1}),
    )
    .await;
    assert_eq!(listed["tasks"].as_array().unwrap().len(), 1);
    let open = ok(
        &ctx,
        "KOMMO_LIST_TASKS",
        json!({"filter_entity_ids": [lead], "filter_is_completed": 0}),
    )
    .await;
    assert_eq!(open["tasks"], json!([]));

    let fields = ok(
        &ctx,
        "KOMMO_LIST_CUSTOM_FIELDS",
        json!({"entity_type": "contacts"}),
    )
    .await;
    let codes: Vec<&str> = fields["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"PHONE") && codes.contains(&"EMAIL"),
        "{codes:?}"
    );
}

#[tokio::test]
async fn pipelines_and_stages_are_managed_for_real() {
    let sim = simulator().await;
    let ctx = context(&sim);

    let created = ok(
        &ctx,
        "KOMMO_CREATE_PIPELINE",
        json!({"name": "Partners", "sort": 90, "is_main": false, "is_unsorted_on": true, "request_id": "p-1",
               "statuses": [{"name": "First call", "sort": 10, "color": "#fffeb2"}, {"id": 142, "name": "Signed"}]}),
    )
    .await;
    let pipeline = &created["pipeline"];
    let pipeline_id = pipeline["id"].as_i64().unwrap();
    assert_eq!(pipeline["request_id"], "p-1");
    let names: Vec<&str> = pipeline["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"First call") && names.contains(&"Signed"),
        "{names:?}"
    );

    let renamed = ok(
        &ctx,
        "KOMMO_UPDATE_PIPELINE",
        json!({"pipeline_id": pipeline_id, "name": "Partners (LATAM)"}),
    )
    .await;
    assert_eq!(renamed["pipeline"]["name"], "Partners (LATAM)");

    let stage = ok(
        &ctx,
        "KOMMO_CREATE_PIPELINE_STATUS",
        json!({"pipeline_id": pipeline_id, "name": "Proposal", "sort": 20, "color": "#c1e0ff",
               "descriptions": [{"level": "newbie", "description": "Send the deck"}]}),
    )
    .await;
    let stage_id = stage["status"]["id"].as_i64().unwrap();
    let edited = ok(
        &ctx,
        "KOMMO_UPDATE_PIPELINE_STATUS",
        json!({"pipeline_id": pipeline_id, "status_id": stage_id, "name": "Proposal sent"}),
    )
    .await;
    assert_eq!(edited["status"]["name"], "Proposal sent");

    let stages = ok(
        &ctx,
        "KOMMO_LIST_PIPELINE_STAGES",
        json!({"pipeline_id": pipeline_id, "with_description": true}),
    )
    .await;
    let listed = stages["statuses"].as_array().unwrap();
    assert!(
        listed.iter().any(|s| s["id"] == 142) && listed.iter().any(|s| s["id"] == 143),
        "system stages are there"
    );
    let proposal = listed.iter().find(|s| s["id"] == stage_id).unwrap();
    assert_eq!(proposal["descriptions"][0]["description"], "Send the deck");
    let plain = ok(
        &ctx,
        "KOMMO_LIST_PIPELINE_STAGES",
        json!({"pipeline_id": pipeline_id}),
    )
    .await;
    assert!(
        plain["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s.get("descriptions").is_none())
    );

    // A lead in the stage follows it to the first stage when the stage is deleted.
    let lead = ok(
        &ctx,
        "KOMMO_CREATE_LEAD",
        json!({"name": "Partner deal", "pipeline_id": pipeline_id, "status_id": stage_id}),
    )
    .await["lead"]["id"]
        .as_i64()
        .unwrap();
    let deleted = ok(
        &ctx,
        "KOMMO_DELETE_PIPELINE_STATUS",
        json!({"pipeline_id": pipeline_id, "status_id": stage_id}),
    )
    .await;
    assert_eq!(deleted["deleted_status_id"], stage_id);
    assert_ne!(sim.control().lead(lead).unwrap().status_id, stage_id);
    let stages = ok(
        &ctx,
        "KOMMO_LIST_PIPELINE_STAGES",
        json!({"pipeline_id": pipeline_id}),
    )
    .await;
    assert!(
        stages["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != stage_id),
        "the stage is gone from Kommo"
    );

    // Kommo refuses to delete a pipeline that still holds leads: the error says so.
    let error = refused(
        &ctx,
        "KOMMO_DELETE_PIPELINE",
        json!({"pipeline_id": pipeline_id}),
    )
    .await;
    assert!(error.contains("still has leads"), "{error}");
    let (main_id, main_stage) = main_pipeline(&ctx).await;
    ok(
        &ctx,
        "KOMMO_UPDATE_LEAD",
        json!({"id": lead, "pipeline_id": main_id, "status_id": main_stage}),
    )
    .await;
    let gone = ok(
        &ctx,
        "KOMMO_DELETE_PIPELINE",
        json!({"pipeline_id": pipeline_id}),
    )
    .await;
    assert_eq!(gone["deleted_pipeline_id"], pipeline_id);
    let pipelines = ok(&ctx, "KOMMO_LIST_LEADS_PIPELINES", json!({})).await;
    assert!(
        pipelines["pipelines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["id"] != pipeline_id),
        "really deleted"
    );
}

#[tokio::test]
async fn kommo_validation_errors_name_the_input_field() {
    let sim = simulator().await;
    let ctx = context(&sim);
    let (pipeline_id, _) = main_pipeline(&ctx).await;
    let lead = ok(&ctx, "KOMMO_CREATE_LEAD", json!({"name": "Valid"})).await["lead"]["id"]
        .as_i64()
        .unwrap();
    let contact = ok(
        &ctx,
        "KOMMO_CREATE_CONTACT",
        json!({"contacts": [{"name": "Valid"}]}),
    )
    .await["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let company = ok(&ctx, "KOMMO_CREATE_COMPANY", json!({"name": "Valid"})).await["company"]["id"]
        .as_i64()
        .unwrap();
    let task = ok(
        &ctx,
        "KOMMO_CREATE_TASK",
        json!({"text": "Valid", "complete_till": now() + 60}),
    )
    .await["task"]["id"]
        .as_i64()
        .unwrap();

    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "KOMMO_CREATE_LEAD",
            json!({"name": "x", "price": -5}),
            "field `price`",
        ),
        (
            "KOMMO_CREATE_LEAD",
            json!({"name": "x", "responsible_user_id": NOBODY}),
            "field `responsible_user_id`: User not found",
        ),
        (
            "KOMMO_UPDATE_LEAD",
            json!({"id": lead, "price": -1}),
            "field `price`",
        ),
        (
            "KOMMO_CREATE_CONTACT",
            json!({"contacts": [{"name": "ok"}, {"name": "x", "responsible_user_id": NOBODY}]}),
            "field `contacts[1].responsible_user_id`: User not found",
        ),
        (
            "KOMMO_UPDATE_CONTACT",
            json!({"id": contact, "responsible_user_id": NOBODY}),
            "field `responsible_user_id`",
        ),
        (
            "KOMMO_CREATE_COMPANY",
            json!({"name": "x", "responsible_user_id": NOBODY}),
            "field `responsible_user_id`",
        ),
        (
            "KOMMO_UPDATE_COMPANY",
            json!({"company_id": company, "responsible_user_id": NOBODY}),
            "field `responsible_user_id`",
        ),
        (
            "KOMMO_CREATE_TASK",
            json!({"text": "no deadline"}),
            "field `complete_till`: This value should not be blank.",
        ),
        (
            "KOMMO_UPDATE_TASK",
            json!({"id": task, "task_type_id": 77}),
            "field `task_type_id`: Task type not found",
        ),
        (
            "KOMMO_ADD_LEADS_COMPLEX",
            json!({"leads": [{"name": "ok"}, {"name": "x", "responsible_user_id": NOBODY}]}),
            "field `leads[1].responsible_user_id`",
        ),
        (
            "KOMMO_UPDATE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline_id, "status_id": 142, "name": "Won"}),
            "field `status_id`: This status cannot be edited.",
        ),
    ];
    for (action, input, expected) in cases {
        let error = refused(&ctx, action, input.clone()).await;
        assert!(
            error.starts_with("Kommo rejected the input: "),
            "{action}: {error}"
        );
        assert!(error.contains(expected), "{action} {input}: {error}");
    }
    // Nothing of a rejected batch was written.
    let names = ok(&ctx, "KOMMO_LIST_CONTACTS", json!({"filter_names": ["ok"]})).await;
    assert_eq!(names["contacts"], json!([]));
}

#[tokio::test]
async fn unknown_ids_are_named_in_the_error() {
    let sim = simulator().await;
    let ctx = context(&sim);
    let (pipeline_id, stage_id) = main_pipeline(&ctx).await;

    let error = refused(&ctx, "KOMMO_GET_LEAD", json!({"id": NOBODY})).await;
    assert_eq!(
        error,
        format!("no lead with id {NOBODY} exists in this Kommo account (input field `id`)")
    );
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "KOMMO_UPDATE_LEAD",
            json!({"id": NOBODY, "price": 1}),
            "field `id`: Lead not found",
        ),
        (
            "KOMMO_UPDATE_CONTACT",
            json!({"id": NOBODY, "name": "x"}),
            "`id`",
        ),
        (
            "KOMMO_UPDATE_COMPANY",
            json!({"company_id": NOBODY, "name": "x"}),
            "`company_id`",
        ),
        (
            "KOMMO_UPDATE_TASK",
            json!({"id": NOBODY, "text": "x"}),
            "`id`",
        ),
        (
            "KOMMO_CREATE_LEAD",
            json!({"name": "x", "pipeline_id": NOBODY}),
            "field `pipeline_id`",
        ),
        (
            "KOMMO_CREATE_LEAD",
            json!({"name": "x", "status_id": NOBODY}),
            "field `status_id`",
        ),
        (
            "KOMMO_CREATE_TASK",
            json!({"text": "x", "complete_till": now(), "entity_id": NOBODY, "entity_type": "leads"}),
            "field `entity_id`: Entity not found",
        ),
        (
            "KOMMO_LIST_PIPELINE_STAGES",
            json!({"pipeline_id": NOBODY}),
            "`pipeline_id`",
        ),
        (
            "KOMMO_UPDATE_PIPELINE",
            json!({"pipeline_id": NOBODY, "name": "x"}),
            "`pipeline_id`",
        ),
        (
            "KOMMO_DELETE_PIPELINE",
            json!({"pipeline_id": NOBODY}),
            "`pipeline_id`",
        ),
        (
            "KOMMO_CREATE_PIPELINE_STATUS",
            json!({"pipeline_id": NOBODY, "name": "x", "sort": 1}),
            "`pipeline_id`",
        ),
        (
            "KOMMO_UPDATE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline_id, "status_id": NOBODY, "name": "x"}),
            "`status_id`",
        ),
        (
            "KOMMO_DELETE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline_id, "status_id": NOBODY}),
            "`status_id`",
        ),
    ];
    for (action, input, expected) in cases {
        let error = refused(&ctx, action, input.clone()).await;
        assert!(error.contains(expected), "{action} {input}: {error}");
    }
    // Lists: an unknown id matches nothing, which is a successful empty page.
    for (action, input, key) in [
        ("KOMMO_LIST_LEADS", json!({"filter_ids": [NOBODY]}), "leads"),
        (
            "KOMMO_LIST_CONTACTS",
            json!({"filter_ids": [NOBODY]}),
            "contacts",
        ),
        (
            "KOMMO_LIST_COMPANIES",
            json!({"filter": {"id": [NOBODY]}}),
            "companies",
        ),
        ("KOMMO_LIST_TASKS", json!({"filter_ids": [NOBODY]}), "tasks"),
        (
            "KOMMO_LIST_LEADS",
            json!({"filter_status": {"pipeline_id": NOBODY, "status_id": stage_id}}),
            "leads",
        ),
    ] {
        let data = ok(&ctx, action, input).await;
        assert_eq!(data[key], json!([]), "{action}");
    }
}

/// A valid input for every action, for the tests that run them all.
async fn one_valid_input_each(ctx: &kommo_actions::ActionContext) -> Vec<(&'static str, Value)> {
    let (pipeline_id, stage_id) = main_pipeline(ctx).await;
    let lead = ok(ctx, "KOMMO_LIST_LEADS", json!({"limit": 1})).await["leads"][0]["id"]
        .as_i64()
        .unwrap();
    let contact = ok(ctx, "KOMMO_LIST_CONTACTS", json!({"limit": 1})).await["contacts"][0]["id"]
        .as_i64()
        .unwrap();
    let company = ok(ctx, "KOMMO_LIST_COMPANIES", json!({"limit": 1})).await["companies"][0]["id"]
        .as_i64()
        .unwrap();
    let task = ok(ctx, "KOMMO_LIST_TASKS", json!({"limit": 1})).await["tasks"][0]["id"]
        .as_i64()
        .unwrap();
    vec![
        ("KOMMO_CREATE_COMPANY", json!({"name": "Acme"})),
        (
            "KOMMO_CREATE_CONTACT",
            json!({"contacts": [{"name": "Ana"}]}),
        ),
        ("KOMMO_CREATE_LEAD", json!({"name": "Deal"})),
        (
            "KOMMO_CREATE_TASK",
            json!({"text": "Call", "complete_till": now() + 60}),
        ),
        ("KOMMO_LIST_COMPANIES", json!({})),
        ("KOMMO_LIST_CONTACTS", json!({})),
        ("KOMMO_LIST_CUSTOM_FIELDS", json!({"entity_type": "leads"})),
        ("KOMMO_LIST_LEADS", json!({})),
        ("KOMMO_LIST_LEADS_PIPELINES", json!({})),
        (
            "KOMMO_LIST_PIPELINE_STAGES",
            json!({"pipeline_id": pipeline_id}),
        ),
        ("KOMMO_LIST_TASKS", json!({})),
        (
            "KOMMO_UPDATE_COMPANY",
            json!({"company_id": company, "name": "Acme 2"}),
        ),
        (
            "KOMMO_UPDATE_CONTACT",
            json!({"id": contact, "name": "Ana 2"}),
        ),
        ("KOMMO_UPDATE_LEAD", json!({"id": lead, "price": 10})),
        (
            "KOMMO_UPDATE_TASK",
            json!({"id": task, "text": "Call again"}),
        ),
        ("KOMMO_GET_LEAD", json!({"id": lead})),
        (
            "KOMMO_ADD_LEADS_COMPLEX",
            json!({"leads": [{"name": "Form"}]}),
        ),
        (
            "KOMMO_CREATE_PIPELINE",
            json!({"name": "New", "sort": 5, "is_main": false, "is_unsorted_on": false}),
        ),
        (
            "KOMMO_UPDATE_PIPELINE",
            json!({"pipeline_id": pipeline_id, "sort": 1}),
        ),
        ("KOMMO_DELETE_PIPELINE", json!({"pipeline_id": pipeline_id})),
        (
            "KOMMO_CREATE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline_id, "name": "S", "sort": 15}),
        ),
        (
            "KOMMO_UPDATE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline_id, "status_id": stage_id, "name": "S2"}),
        ),
        (
            "KOMMO_DELETE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline_id, "status_id": stage_id}),
        ),
    ]
}

#[tokio::test]
async fn the_rate_limit_says_when_to_retry_for_every_action() {
    let sim = simulator().await;
    let inputs = one_valid_input_each(&context(&sim)).await;
    assert_eq!(inputs.len(), Catalog::list().len(), "one input per action");
    sim.control().set_faults(Faults {
        rate_429: 1.0,
        ..Faults::default()
    });
    for (action, input) in inputs {
        // A fresh client each time: a 429 pauses the client's whole limiter for a second.
        let ctx = context(&sim);
        let envelope = run(&ctx, action, input).await;
        assert!(!envelope.successful, "{action}");
        let error = envelope.error.unwrap();
        assert!(error.contains("rate limit"), "{action}: {error}");
        assert!(
            error.contains("retry after 1 second (at "),
            "{action}: {error}"
        );
    }
    assert!(sim.control().counters().rate_limited > 0);
}

#[tokio::test]
async fn input_breaking_the_schema_never_reaches_kommo() {
    let sim = simulator().await;
    let ctx = context(&sim);
    let before = sim.control().counters().total;
    let cases: Vec<(&str, Value, Option<&str>)> = vec![
        ("KOMMO_CREATE_COMPANY", json!({"name": ""}), Some("name")),
        ("KOMMO_CREATE_LEAD", json!({"price": 10}), Some("name")),
        (
            "KOMMO_CREATE_LEAD",
            json!({"name": "x", "price": "ten"}),
            Some("price"),
        ),
        (
            "KOMMO_CREATE_LEAD",
            json!({"name": "x", "request_id": "not in the catalog"}),
            Some("request_id"),
        ),
        (
            "KOMMO_CREATE_CONTACT",
            json!({"contacts": []}),
            Some("contacts"),
        ),
        (
            "KOMMO_CREATE_TASK",
            json!({"text": "x", "entity_type": "deals"}),
            Some("entity_type"),
        ),
        ("KOMMO_LIST_LEADS", json!({"limit": 500}), Some("limit")),
        (
            "KOMMO_LIST_LEADS",
            json!({"filter_status": {"pipeline_id": 1}}),
            Some("filter_status.status_id"),
        ),
        (
            "KOMMO_LIST_CONTACTS",
            json!({"with_params": ["everything"]}),
            Some("with_params[0]"),
        ),
        (
            "KOMMO_LIST_COMPANIES",
            json!({"order": {"field": "name", "direction": "asc"}}),
            Some("order.field"),
        ),
        (
            "KOMMO_LIST_TASKS",
            json!({"filter_is_completed": 3}),
            Some("filter_is_completed"),
        ),
        ("KOMMO_LIST_CUSTOM_FIELDS", json!({}), Some("entity_type")),
        (
            "KOMMO_LIST_LEADS_PIPELINES",
            json!({"page": 2}),
            Some("page"),
        ),
        (
            "KOMMO_LIST_PIPELINE_STAGES",
            json!({"pipeline_id": "main"}),
            Some("pipeline_id"),
        ),
        ("KOMMO_UPDATE_LEAD", json!({"id": 1}), None),
        (
            "KOMMO_UPDATE_COMPANY",
            json!({"id": 1, "name": "x"}),
            Some("id"),
        ),
        ("KOMMO_UPDATE_CONTACT", json!({"name": "x"}), Some("id")),
        (
            "KOMMO_UPDATE_TASK",
            json!({"id": 1, "result": {}}),
            Some("result.text"),
        ),
        ("KOMMO_GET_LEAD", json!({"id": 1.5}), Some("id")),
        (
            "KOMMO_ADD_LEADS_COMPLEX",
            json!({"leads": [{"contact": {"first_name": 7}}]}),
            Some("leads[0].contact.first_name"),
        ),
        (
            "KOMMO_CREATE_PIPELINE",
            json!({"name": "x", "sort": 1, "is_main": false}),
            Some("is_unsorted_on"),
        ),
        ("KOMMO_UPDATE_PIPELINE", json!({"pipeline_id": 1}), None),
        ("KOMMO_DELETE_PIPELINE", json!({}), Some("pipeline_id")),
        (
            "KOMMO_CREATE_PIPELINE_STATUS",
            json!({"pipeline_id": 1, "name": "x", "sort": 1, "color": "red"}),
            Some("color"),
        ),
        (
            "KOMMO_UPDATE_PIPELINE_STATUS",
            json!({"pipeline_id": 1, "status_id": 2}),
            None,
        ),
        (
            "KOMMO_DELETE_PIPELINE_STATUS",
            json!({"pipeline_id": 1, "status_id": 143}),
            Some("status_id"),
        ),
    ];
    let mut covered: Vec<&str> = cases.iter().map(|c| c.0).collect();
    covered.sort_unstable();
    covered.dedup();
    assert_eq!(
        covered.len(),
        Catalog::list().len(),
        "every action has a refused input here"
    );
    for (action, input, field) in cases {
        match Catalog::execute(action, &input, &ctx).await {
            Err(CatalogError::InvalidInput(error)) => {
                assert_eq!(error.field.as_deref(), field, "{action} {input}: {error}");
                let envelope = CatalogError::InvalidInput(error).to_envelope();
                assert!(!envelope.successful);
                assert!(envelope.error.unwrap().starts_with("invalid input"));
            }
            other => panic!("{action} {input}: expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(
        sim.control().counters().total,
        before,
        "no request reached Kommo"
    );
    assert!(matches!(
        Catalog::execute("KOMMO_DELETE_LEAD", &json!({"id": 1}), &ctx).await,
        Err(CatalogError::UnknownAction { .. })
    ));
}

#[tokio::test]
async fn kommo_refuses_what_breaks_its_pipeline_rules() {
    let sim = simulator().await;
    let ctx = common::fast_context(&sim);
    let (main_id, _) = main_pipeline(&ctx).await;

    let error = refused(
        &ctx,
        "KOMMO_UPDATE_PIPELINE",
        json!({"pipeline_id": main_id, "is_main": false}),
    )
    .await;
    assert!(
        error.contains("HTTP 400") && error.contains("main pipeline cannot be unset"),
        "{error}"
    );

    // The last ordinary stage of a pipeline stays.
    let pipeline = ok(
        &ctx,
        "KOMMO_CREATE_PIPELINE",
        json!({"name": "Tiny", "sort": 3, "is_main": false, "is_unsorted_on": false, "statuses": [{"name": "Only", "sort": 10}]}),
    )
    .await["pipeline"]
        .clone();
    let pipeline_id = pipeline["id"].as_i64().unwrap();
    let only = pipeline["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Only")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let error = refused(
        &ctx,
        "KOMMO_DELETE_PIPELINE_STATUS",
        json!({"pipeline_id": pipeline_id, "status_id": only}),
    )
    .await;
    assert!(error.contains("last stage"), "{error}");

    // At most 100 stages in a pipeline, system ones included.
    let mut refusal = None;
    for n in 0..100 {
        let envelope = run(
            &ctx,
            "KOMMO_CREATE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline_id, "name": format!("S{n}"), "sort": 20 + n}),
        )
        .await;
        if !envelope.successful {
            refusal = envelope.error;
            break;
        }
    }
    let error = refusal.expect("Kommo refuses the 101st stage");
    assert!(
        error.starts_with("Kommo rejected the input: ") && error.contains("at most 100 statuses"),
        "{error}"
    );
    let stages = ok(
        &ctx,
        "KOMMO_LIST_PIPELINE_STAGES",
        json!({"pipeline_id": pipeline_id}),
    )
    .await;
    assert!(stages["statuses"].as_array().unwrap().len() >= 99);

    // At most 50 pipelines in an account.
    let mut pipelines = ok(&ctx, "KOMMO_LIST_LEADS_PIPELINES", json!({})).await["pipelines"]
        .as_array()
        .unwrap()
        .len();
    while pipelines < 50 {
        ok(&ctx, "KOMMO_CREATE_PIPELINE", json!({"name": format!("P{pipelines}"), "sort": 100 + pipelines, "is_main": false, "is_unsorted_on": false}))
            .await;
        pipelines += 1;
    }
    let error = refused(
        &ctx,
        "KOMMO_CREATE_PIPELINE",
        json!({"name": "P51", "sort": 500, "is_main": false, "is_unsorted_on": false}),
    )
    .await;
    assert!(
        error.contains("at most 50 pipelines") && error.contains("(LimitExceeded)"),
        "{error}"
    );
}

#[tokio::test]
async fn errors_never_carry_the_token() {
    let sim = simulator().await;
    let token = "not-the-real-token-7f3a9c";
    let client = kommo::Client::builder(sim.base_url())
        .long_lived_token(token)
        .build()
        .unwrap();
    let ctx = kommo_actions::ActionContext::new(client);
    for (action, input) in [
        ("KOMMO_LIST_LEADS", json!({})),
        ("KOMMO_CREATE_LEAD", json!({"name": "x"})),
    ] {
        let error = refused(&ctx, action, input).await;
        assert!(error.contains("401"), "{action}: {error}");
        assert!(!error.contains(token), "{action} leaked the token: {error}");
        assert!(!error.contains("Bearer"), "{error}");
    }
}
