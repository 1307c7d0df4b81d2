//! Every example in Kommo's reference pages (`shared/seeds/kommo-api-v4-*.txt`) parses into
//! the typed models, field by field where it matters.
//!
//! The examples are copied verbatim into `tests/fixtures/`; when the seed pages sit beside
//! the repository (as in CI), a test also checks the copies are still verbatim.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_model::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn leads_list() {
    let page: Collection<Lead> = parse("leads-list");
    assert_eq!(page.page, Some(1));
    assert!(!page.has_next());
    assert_eq!(page.items.len(), 3);
    let first = &page.items[0];
    assert_eq!(
        (first.id, first.name.as_str(), first.price),
        (152462, "Example Lead 1", 15000)
    );
    assert_eq!(
        (first.status_id, first.pipeline_id, first.account_id),
        (58141807, 6950551, 31361463)
    );
    assert_eq!(first.closest_task_at, Some(1686850200));
    assert_eq!(first.source_id, Some(20692839));
    assert_eq!(first.is_price_modified_by_robot, Some(true));
    let cf = &first.custom_fields_values.as_ref().unwrap()[0];
    assert_eq!(
        (cf.field_id, cf.field_type.as_deref()),
        (Some(184994), Some("checkbox"))
    );
    assert_eq!(
        cf.values.as_ref().unwrap()[0].value,
        Some(serde_json::Value::Bool(true))
    );
    let second = &page.items[1];
    assert_eq!(
        second.embedded.tags,
        vec![Tag {
            id: 2164,
            name: "Ex".into(),
            color: None,
            request_id: None
        }]
    );
    let lost = &page.items[2];
    assert_eq!(
        (lost.status_id, lost.loss_reason_id, lost.closed_at),
        (143, Some(15906383), Some(1686747731))
    );
    assert_eq!(lost.custom_fields_values, None);
    assert_eq!(lost.embedded.loss_reason[0].name, "Insufficient budget");
    assert_eq!(lost.embedded.companies[0].id, 406320);
    assert_eq!(
        lost.embedded.contacts[0],
        LinkedContact {
            id: 406322,
            is_main: Some(true)
        }
    );
}

#[test]
fn lead_get() {
    let lead: Lead = parse("lead-get");
    assert_eq!(
        (lead.id, lead.updated_at, lead.score, lead.labor_cost),
        (152464, 1686748504, None, None)
    );
    assert_eq!(lead.embedded.tags[0].name, "Ex");
    assert!(lead.embedded.companies.is_empty());
}

#[test]
fn leads_add_and_update() {
    let add: Vec<LeadRequest> = parse("leads-add-request");
    assert_eq!(add[0].pipeline_id, Some(6950551));
    assert_eq!(
        add[1],
        LeadRequest {
            name: Some("Example Lead 2".into()),
            price: Some(10000),
            ..LeadRequest::default()
        }
    );
    let added: BatchResponse<AddedEntity> = parse("leads-add-response");
    let ids: Vec<_> = added
        .into_items()
        .into_iter()
        .map(|a| (a.id, a.request_id.unwrap()))
        .collect();
    assert_eq!(
        ids,
        vec![(152462, "0".to_owned()), (152464, "1".to_owned())]
    );
    let update: Vec<LeadRequest> = parse("leads-update-request");
    assert_eq!(
        (update[0].id, update[0].status_id),
        (Some(152464), Some(58141811))
    );
    let updated: BatchResponse<UpdatedEntity> = parse("leads-update-response");
    assert!(
        updated
            .into_items()
            .iter()
            .all(|u| u.updated_at == Some(1686732474))
    );
}

#[test]
fn leads_complex() {
    let request: Vec<LeadRequest> = parse("leads-complex-request");
    let embedded = request[0].embedded.as_ref().unwrap();
    let contact = &embedded.contacts.as_ref().unwrap()[0];
    assert_eq!(contact.first_name.as_deref(), Some("Adam"));
    let phone = &contact.custom_fields_values.as_ref().unwrap()[0];
    assert_eq!(
        phone.values.as_ref().unwrap()[0].enum_code.as_deref(),
        Some("WORK")
    );
    assert_eq!(
        embedded.companies.as_ref().unwrap()[0].name.as_deref(),
        Some("Kommo")
    );
    assert_eq!(request[0].request_id.as_deref(), Some("1"));
    let first: Vec<ComplexAddResult> = parse("leads-complex-response");
    assert_eq!(
        first[0],
        ComplexAddResult {
            id: 9774766,
            contact_id: Some(12117258),
            company_id: Some(12117260),
            request_id: vec!["1".into()],
            merged: false
        }
    );
    let merged: Vec<ComplexAddResult> = parse("leads-complex-response-merged");
    assert!(merged[0].merged);
}

#[test]
fn pipelines_and_statuses() {
    let list: Collection<Pipeline> = parse("pipelines-list");
    assert_eq!(list.total_items, Some(2));
    let main = &list.items[0];
    assert!(main.is_main && main.is_unsorted_on && !main.is_archive);
    assert_eq!(main.embedded.statuses.len(), 7);
    let incoming = &main.embedded.statuses[0];
    assert_eq!(
        (incoming.kind, incoming.is_editable, incoming.color.as_str()),
        (1, false, "#c1c1c1")
    );
    let won = main
        .embedded
        .statuses
        .iter()
        .find(|s| s.id == SYSTEM_STATUS_WON)
        .unwrap();
    assert_eq!(won.sort, 10000);
    assert_eq!(list.items[1].embedded.statuses.len(), 5);

    let one: Pipeline = parse("pipeline-get");
    assert_eq!(one.id, 6950551);
    let add: Vec<PipelineRequest> = parse("pipelines-add-request");
    let statuses = &add[0].embedded.as_ref().unwrap().statuses;
    assert_eq!(
        (statuses[0].id, statuses[0].name.as_deref()),
        (Some(142), Some("Won leads status custom name"))
    );
    let added: Collection<Pipeline> = parse("pipelines-add-response");
    assert_eq!(added.items[0].request_id.as_deref(), Some("123"));
    assert_eq!(added.items[0].embedded.statuses.len(), 4);
    let edit: PipelineRequest = parse("pipeline-edit-request");
    assert_eq!(edit.sort, Some(100));
    let edited: Pipeline = parse("pipeline-edit-response");
    assert_eq!(edited.name, "New pipeline name");

    let statuses: Collection<Status> = parse("statuses-list");
    assert_eq!((statuses.total_items, statuses.items.len()), (Some(7), 7));
    let status: Status = parse("status-get");
    assert_eq!(
        (status.id, status.pipeline_id, status.account_id),
        (32392156, 3177727, 12345678)
    );
    let add: Vec<StatusRequest> = parse("statuses-add-request");
    assert_eq!(add[0].descriptions.as_ref().unwrap().len(), 3);
    let added: Collection<Status> = parse("statuses-add-response");
    assert_eq!(added.items[1].request_id.as_deref(), Some("1"));
    let edit: StatusRequest = parse("status-edit-request");
    assert_eq!(edit.color.as_deref(), Some("#c1e0ff"));
    let edited: Status = parse("status-edit-response");
    assert_eq!(edited.name, "New status name");
}

#[test]
fn typed_models_round_trip_through_their_own_json() {
    for name in ["leads-list", "pipelines-list"] {
        let raw = fixture(name);
        if name.starts_with("leads") {
            let page: Collection<Lead> = serde_json::from_str(&raw).unwrap();
            let again: Collection<Lead> =
                serde_json::from_str(&serde_json::to_string(&page).unwrap()).unwrap();
            assert_eq!(page, again);
        } else {
            let page: Collection<Pipeline> = serde_json::from_str(&raw).unwrap();
            let again: Collection<Pipeline> =
                serde_json::from_str(&serde_json::to_string(&page).unwrap()).unwrap();
            assert_eq!(page, again);
        }
    }
}

#[test]
fn only_deleted_rows_and_nulls_parse() {
    let page: Collection<Lead> = serde_json::from_str(
        r#"{"_page":1,"_links":{"self":{"href":"x"}},"_embedded":{"leads":[{"id":7,"updated_at":5,"is_deleted":true,"name":null,"price":null,"responsible_user_id":null,"_embedded":[]}]}}"#,
    )
    .unwrap();
    assert_eq!(
        (
            page.items[0].id,
            page.items[0].updated_at,
            page.items[0].is_deleted
        ),
        (7, 5, true)
    );
}

#[test]
fn problem_with_validation_errors_parses() {
    let p: Problem = serde_json::from_str(r#"{"title":"Bad Request","type":"https://httpstatus.es/400","status":400,"detail":"Request validation failed","validation-errors":[{"request_id":"0","errors":[{"code":"NotSupportedChoice","path":"custom_fields_values.0.field_id","detail":"The value you selected is not a valid choice."}]}]}"#).unwrap();
    assert_eq!(
        p.validation_errors[0].errors[0].path,
        "custom_fields_values.0.field_id"
    );
}

/// The fixtures are verbatim copies of the seed pages' examples (checked when the seeds are
/// beside the repository, as in CI; a fresh clone without them skips with a note).
#[test]
fn fixtures_are_verbatim_copies_of_the_seed_examples() {
    let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/seeds");
    let Ok(leads) = std::fs::read_to_string(seeds.join("kommo-api-v4-leads.txt")) else {
        eprintln!("skipped: ../shared/seeds not found beside the repository");
        return;
    };
    let pipelines =
        std::fs::read_to_string(seeds.join("kommo-api-v4-pipelines-and-statuses.txt")).unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let page = if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("lead")
        {
            &leads
        } else {
            &pipelines
        };
        assert!(
            page.contains(text.trim()),
            "{} is not verbatim in the seed page",
            path.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 21);
}
