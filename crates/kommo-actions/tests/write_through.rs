//! Write-through: after an action changes Kommo, the store already holds the change when the
//! action returns (on SQLite, and on Postgres when `KOMMO_DATA_TEST_POSTGRES_URL` is set).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::{now, ok};
use kommo_actions::{ActionContext, ClientConfig, Limiters};
use kommo_sim::RunningSimulator;
use kommo_store::testing::TestStore;
use kommo_store::{Integration, IntegrationAuth, Keys, NewIntegration, SecretString, Store};
use kommo_sync::{Progress, SyncOptions, sync_integration};
use serde_json::json;

async fn stores() -> Vec<(&'static str, TestStore)> {
    let mut out = vec![("sqlite", TestStore::sqlite(Keys::generate()).await.unwrap())];
    match TestStore::postgres(Keys::generate()).await.unwrap() {
        Some(pg) => out.push(("postgres", pg)),
        None => kommo_store::testing::announce_postgres_skip(),
    }
    out
}

async fn integration(store: &Store, sim: &RunningSimulator) -> Integration {
    store.create_organization("org-1", "Org").await.unwrap();
    store
        .create_workspace("org-1", "ws-1", "Workspace")
        .await
        .unwrap();
    store
        .create_integration(NewIntegration {
            id: "acme".to_owned(),
            workspace_id: "ws-1".to_owned(),
            base_url: sim.base_url(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from(sim.access_token())),
            rate_limit_per_second: 50,
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn changes_are_in_the_store_when_the_action_returns() {
    for (db, test) in stores().await {
        let sim = common::simulator().await;
        let store = &test.store;
        let integration = integration(store, &sim).await;
        let limiters = Limiters::new();
        sync_integration(
            store,
            &integration,
            &SyncOptions {
                limiters: limiters.clone(),
                ..SyncOptions::default()
            },
            &Progress::none(),
        )
        .await
        .unwrap();
        let ctx =
            ActionContext::for_integration(store, &integration, &limiters, ClientConfig::default())
                .unwrap();
        assert_eq!(ctx.integration_id(), Some("acme"));
        let (pipeline_id, stage_id) = common::main_pipeline(&ctx).await;

        // A new lead, with a tag: its row is there, flattened as a sync would.
        let lead = ok(
            &ctx,
            "KOMMO_CREATE_LEAD",
            json!({"name": "From the agent", "price": 4200, "pipeline_id": pipeline_id, "status_id": stage_id, "tags_to_add": [{"name": "agent"}]}),
        )
        .await["lead"]["id"]
            .as_i64()
            .unwrap();
        let rows = store.all_lead_rows("acme").await.unwrap();
        let row = rows
            .iter()
            .find(|r| r.lead_id == lead)
            .unwrap_or_else(|| panic!("{db}: lead {lead} not stored"));
        assert_eq!(row.lead_name.as_deref(), Some("From the agent"), "{db}");
        assert_eq!(row.price, Some(4200), "{db}");
        assert_eq!(row.tag_name.as_deref(), Some("agent"), "{db}");
        assert!(
            row.status_name.is_some(),
            "{db}: stage names come from the synced dictionaries"
        );
        assert_eq!(row.tenancy.workspace_id, "ws-1");

        // An update: the row follows at once.
        ok(
            &ctx,
            "KOMMO_UPDATE_LEAD",
            json!({"id": lead, "price": 99, "status_id": 142}),
        )
        .await;
        let row = store
            .all_lead_rows("acme")
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.lead_id == lead)
            .unwrap();
        assert_eq!((row.price, row.status_id), (Some(99), 142), "{db}");

        // Contacts, with their e-mail flattened into the row.
        let contact = ok(
            &ctx,
            "KOMMO_CREATE_CONTACT",
            json!({"contacts": [{"first_name": "Rita", "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "rita@example.com", "enum_code": "WORK"}]}]}]}),
        )
        .await["contacts"][0]["id"]
            .as_i64()
            .unwrap();
        let row = store
            .all_contact_rows("acme")
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.contact_id == contact)
            .unwrap();
        assert_eq!(row.email.as_deref(), Some("rita@example.com"), "{db}");
        ok(
            &ctx,
            "KOMMO_UPDATE_CONTACT",
            json!({"id": contact, "last_name": "Alves"}),
        )
        .await;
        let row = store
            .all_contact_rows("acme")
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.contact_id == contact)
            .unwrap();
        assert_eq!(row.last_name.as_deref(), Some("Alves"), "{db}");

        // A complex add stores the lead and its new contact.
        let added = ok(
            &ctx,
            "KOMMO_ADD_LEADS_COMPLEX",
            json!({"leads": [{"name": "Form lead", "contact": {"first_name": "Caio"}}]}),
        )
        .await;
        let (complex_lead, complex_contact) = (
            added["leads"][0]["id"].as_i64().unwrap(),
            added["leads"][0]["contact_id"].as_i64().unwrap(),
        );
        assert!(
            store
                .all_lead_rows("acme")
                .await
                .unwrap()
                .iter()
                .any(|r| r.lead_id == complex_lead),
            "{db}"
        );
        assert!(
            store
                .all_contact_rows("acme")
                .await
                .unwrap()
                .iter()
                .any(|r| r.contact_id == complex_contact),
            "{db}"
        );

        // Pipelines and stages: one row per (pipeline, stage), replaced as they change.
        let pipeline = ok(
            &ctx,
            "KOMMO_CREATE_PIPELINE",
            json!({"name": "Events", "sort": 70, "is_main": false, "is_unsorted_on": false}),
        )
        .await["pipeline"]["id"]
            .as_i64()
            .unwrap();
        let stage = ok(
            &ctx,
            "KOMMO_CREATE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline, "name": "Booked", "sort": 20}),
        )
        .await["status"]["id"]
            .as_i64()
            .unwrap();
        let rows = store.all_pipeline_rows("acme").await.unwrap();
        let booked = rows
            .iter()
            .find(|r| r.pipeline_id == pipeline && r.status_id == stage)
            .expect("the new stage row");
        assert_eq!(
            (booked.pipeline_name.as_str(), booked.status_name.as_str()),
            ("Events", "Booked"),
            "{db}"
        );
        // A lead created in the new stage carries its names: the dictionaries were refreshed.
        let in_stage = ok(
            &ctx,
            "KOMMO_CREATE_LEAD",
            json!({"name": "Gala", "pipeline_id": pipeline, "status_id": stage}),
        )
        .await["lead"]["id"]
            .as_i64()
            .unwrap();
        let row = store
            .all_lead_rows("acme")
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.lead_id == in_stage)
            .unwrap();
        assert_eq!(row.status_name.as_deref(), Some("Booked"), "{db}");
        assert_eq!(row.pipeline_name.as_deref(), Some("Events"), "{db}");
        // Deleting the stage moves the lead in Kommo, and in the store.
        ok(
            &ctx,
            "KOMMO_CREATE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline, "name": "Other", "sort": 30}),
        )
        .await;
        ok(
            &ctx,
            "KOMMO_DELETE_PIPELINE_STATUS",
            json!({"pipeline_id": pipeline, "status_id": stage}),
        )
        .await;
        let moved_to = sim.control().lead(in_stage).unwrap().status_id;
        let row = store
            .all_lead_rows("acme")
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.lead_id == in_stage)
            .unwrap();
        assert_eq!(row.status_id, moved_to, "{db}");
        assert!(
            store
                .all_pipeline_rows("acme")
                .await
                .unwrap()
                .iter()
                .all(|r| r.status_id != stage),
            "{db}"
        );

        // Tasks and companies have no data API table; they still work with a store attached.
        ok(&ctx, "KOMMO_CREATE_TASK", json!({"text": "Confirm venue", "complete_till": now() + 600, "entity_id": in_stage, "entity_type": "leads"})).await;
        ok(&ctx, "KOMMO_CREATE_COMPANY", json!({"name": "Venue Ltda"})).await;
        test.cleanup().await.unwrap();
    }
}
