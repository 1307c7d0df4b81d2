//! The rest of the v4 surface through the client against the simulator: pipelines and
//! statuses, contacts, companies, tasks, users, custom fields, tags, loss reasons, sources,
//! events and the account.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use kommo::model::{
    CompanyRequest, ContactRequest, LeadRequest, PipelineEmbeddedRequest, PipelineRequest,
    StatusRequest, TagRequest, TaskRequest,
};
use kommo::{
    AccountWith, Client, CompaniesQuery, CompanyWith, ContactWith, ContactsQuery, EntityType,
    Error, EventWith, EventsQuery, ListQuery, TasksQuery, UserWith, UsersQuery,
};
use kommo_sim::{RunningSimulator, SimConfig};

async fn setup(leads: u32) -> (RunningSimulator, Client) {
    let sim = common::start(SimConfig::unlimited().with_leads(leads)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    (sim, client)
}

fn status(name: &str, sort: i64) -> StatusRequest {
    StatusRequest {
        name: Some(name.into()),
        sort: Some(sort),
        ..StatusRequest::default()
    }
}

#[tokio::test]
async fn pipelines_and_statuses_list_get_add_edit_delete() {
    let (_sim, client) = setup(200).await;
    let pipelines = client.pipelines().await.unwrap();
    assert!(!pipelines.is_empty());
    assert!(
        pipelines
            .iter()
            .all(|p| p.embedded.statuses.iter().any(|s| s.id == 142)
                && p.embedded.statuses.iter().any(|s| s.id == 143))
    );
    let main = pipelines
        .iter()
        .find(|p| p.is_main)
        .expect("a main pipeline");
    assert_eq!(
        client.pipeline(main.id).await.unwrap().unwrap().name,
        main.name
    );

    let new = |name: &str, sort| PipelineRequest {
        name: Some(name.into()),
        sort: Some(sort),
        is_main: Some(false),
        is_unsorted_on: Some(true),
        embedded: Some(PipelineEmbeddedRequest {
            statuses: vec![status("First", 10), status("Second", 20)],
        }),
        ..PipelineRequest::default()
    };
    let added = client
        .add_pipelines(vec![new("Zyxq A", 500), new("Zyxq B", 510)])
        .await
        .unwrap();
    assert_eq!(
        added.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        vec!["Zyxq A", "Zyxq B"]
    );
    let (a, b) = (added[0].id, added[1].id);

    let renamed = client
        .update_pipeline(
            a,
            PipelineRequest {
                name: Some("Zyxq A2".into()),
                ..PipelineRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Zyxq A2");
    let statuses = client.statuses(a).await.unwrap();
    assert!(statuses.iter().any(|s| s.name == "First") && statuses.iter().any(|s| s.id == 142));

    let extra = client
        .add_statuses(a, vec![status("Extra", 30), status("Later", 40)])
        .await
        .unwrap();
    assert_eq!(
        extra.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["Extra", "Later"]
    );
    let edited = client
        .update_status(
            a,
            extra[0].id,
            StatusRequest {
                name: Some("Extra 2".into()),
                color: Some("#fffeb2".into()),
                ..StatusRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.name, "Extra 2");
    assert_eq!(
        client.status(a, extra[0].id).await.unwrap().unwrap().name,
        "Extra 2"
    );
    client.delete_status(a, extra[0].id).await.unwrap();
    assert!(client.status(a, extra[0].id).await.unwrap().is_none());

    client.delete_pipeline(b).await.unwrap();
    assert!(client.pipeline(b).await.unwrap().is_none());
    // A pipeline holding leads cannot be deleted: a typed, final error.
    let refused = client.delete_pipeline(main.id).await.unwrap_err();
    assert!(
        matches!(refused, Error::BadRequest { .. } | Error::Validation { .. }),
        "{refused}"
    );
    assert!(!refused.is_retryable());
}

#[tokio::test]
async fn contacts_list_get_add_update_and_deleted() {
    let (sim, client) = setup(300).await;
    let all = client
        .contacts(ContactsQuery::new().with(ContactWith::Leads))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), sim.control().contact_count());
    assert!(
        all.iter().any(|c| !c.embedded.leads.is_empty()),
        "with=leads links contacts to leads"
    );
    let one = client
        .contact(all[0].id, &[ContactWith::Leads])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((one.id, &one.name), (all[0].id, &all[0].name));

    let new: Vec<ContactRequest> = (0..3)
        .map(|i| ContactRequest {
            first_name: Some(format!("Zyxq{i}")),
            last_name: Some("Silva".into()),
            ..ContactRequest::default()
        })
        .collect();
    let ids: Vec<i64> = client
        .add_contacts(new)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    let changes = ids
        .iter()
        .map(|id| ContactRequest {
            id: Some(*id),
            last_name: Some("Souza".into()),
            ..ContactRequest::default()
        })
        .collect();
    assert_eq!(client.update_contacts(changes).await.unwrap().len(), 3);
    client
        .update_contact(
            ids[1],
            ContactRequest {
                first_name: Some("Zyxq-renamed".into()),
                ..ContactRequest::default()
            },
        )
        .await
        .unwrap();
    let read = client.contact(ids[1], &[]).await.unwrap().unwrap();
    assert_eq!(
        (read.first_name.as_str(), read.last_name.as_str()),
        ("Zyxq-renamed", "Souza")
    );

    assert!(sim.control().delete_contact(ids[2]));
    let deleted = client
        .contacts(ContactsQuery::new().only_deleted())
        .collect_all()
        .await
        .unwrap();
    assert!(deleted.iter().any(|c| c.id == ids[2] && c.is_deleted));
}

#[tokio::test]
async fn companies_list_get_add_update() {
    let (_sim, client) = setup(300).await;
    let all = client
        .companies(CompaniesQuery::new().with(CompanyWith::Contacts))
        .collect_all()
        .await
        .unwrap();
    assert!(!all.is_empty());
    assert_eq!(
        client
            .company(all[0].id, &[CompanyWith::Leads])
            .await
            .unwrap()
            .unwrap()
            .id,
        all[0].id
    );
    let added = client
        .add_companies(vec![CompanyRequest {
            name: Some("Zyxq Ltda".into()),
            ..CompanyRequest::default()
        }])
        .await
        .unwrap();
    let id = added[0].id;
    client
        .update_companies(vec![CompanyRequest {
            id: Some(id),
            name: Some("Zyxq S.A.".into()),
            ..CompanyRequest::default()
        }])
        .await
        .unwrap();
    assert_eq!(
        client.company(id, &[]).await.unwrap().unwrap().name,
        "Zyxq S.A."
    );
    client
        .update_company(
            id,
            CompanyRequest {
                name: Some("Zyxq SpA".into()),
                ..CompanyRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        client.company(id, &[]).await.unwrap().unwrap().name,
        "Zyxq SpA"
    );
    let found = client
        .companies(CompaniesQuery::new().search("Zyxq"))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(found.iter().map(|c| c.id).collect::<Vec<_>>(), vec![id]);
}

#[tokio::test]
async fn tasks_list_add_update_and_complete_with_a_result() {
    let (sim, client) = setup(200).await;
    let open = client
        .tasks(TasksQuery::new().completed(false))
        .collect_all()
        .await
        .unwrap();
    assert!(!open.is_empty() && open.iter().all(|t| !t.is_completed));
    let lead = sim.control().lead_ids()[0];
    let due = chrono::Utc::now().timestamp() + 3_600;
    let task = TaskRequest {
        text: Some("Call back".into()),
        complete_till: Some(due),
        entity_id: Some(lead),
        entity_type: Some("leads".into()),
        ..TaskRequest::default()
    };
    let id = client.add_tasks(vec![task]).await.unwrap()[0].id;
    let of_lead = client
        .tasks(TasksQuery::new().of(EntityType::Leads, [lead]))
        .collect_all()
        .await
        .unwrap();
    assert!(of_lead.iter().any(|t| t.id == id));

    client
        .update_tasks(vec![TaskRequest {
            id: Some(id),
            text: Some("Call back at 5".into()),
            ..TaskRequest::default()
        }])
        .await
        .unwrap();
    client
        .complete_task(id, "Called, interested")
        .await
        .unwrap();
    let done = client.task(id).await.unwrap().unwrap();
    assert!(done.is_completed);
    assert_eq!(done.text, "Call back at 5");
    assert_eq!(
        done.result.map(|r| r.text).as_deref(),
        Some("Called, interested")
    );
}

#[tokio::test]
async fn users_with_roles_and_groups() {
    let (_sim, client) = setup(100).await;
    let users = client
        .users(UsersQuery::new().with(UserWith::Role).with(UserWith::Group))
        .collect_all()
        .await
        .unwrap();
    assert!(!users.is_empty());
    assert!(users.iter().any(|u| u.rights.is_admin));
    assert!(
        users.iter().any(|u| !u.embedded.roles.is_empty()),
        "with=role embeds roles"
    );
    assert!(
        users.iter().any(|u| !u.embedded.groups.is_empty()),
        "with=group embeds groups"
    );
    let one = client
        .user(users[0].id, &[UserWith::Group])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(one.email, users[0].email);
}

#[tokio::test]
async fn custom_fields_per_entity() {
    let (_sim, client) = setup(50).await;
    for entity in [
        EntityType::Leads,
        EntityType::Contacts,
        EntityType::Companies,
    ] {
        let fields = client.custom_fields(entity).collect_all().await.unwrap();
        assert!(!fields.is_empty(), "{entity:?} has fields");
        let first = client
            .custom_field(entity, fields[0].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (first.id, &first.field_type),
            (fields[0].id, &fields[0].field_type)
        );
    }
    let contact_fields = client
        .custom_fields(EntityType::Contacts)
        .collect_all()
        .await
        .unwrap();
    assert!(
        contact_fields
            .iter()
            .any(|f| f.code.as_deref() == Some("PHONE") && f.field_type == "multitext")
    );
}

#[tokio::test]
async fn tags_per_entity_list_and_add() {
    let (_sim, client) = setup(100).await;
    assert!(
        !client
            .tags(EntityType::Leads, ListQuery::new())
            .collect_all()
            .await
            .unwrap()
            .is_empty()
    );
    let added = client
        .add_tags(
            EntityType::Contacts,
            vec![
                TagRequest {
                    name: "Zyxq one".into(),
                    ..TagRequest::default()
                },
                TagRequest {
                    name: "Zyxq two".into(),
                    color: Some("FFCE5A".into()),
                    ..TagRequest::default()
                },
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        added.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        vec!["Zyxq one", "Zyxq two"]
    );
    let listed = client
        .tags(EntityType::Contacts, ListQuery::new())
        .collect_all()
        .await
        .unwrap();
    assert!(added.iter().all(|t| listed.iter().any(|l| l.id == t.id)));
    // Tag dictionaries are per entity type.
    let lead_tags = client
        .tags(EntityType::Leads, ListQuery::new())
        .collect_all()
        .await
        .unwrap();
    assert!(!lead_tags.iter().any(|t| t.id == added[0].id));

    let error = client
        .add_tags(
            EntityType::Contacts,
            vec![
                TagRequest {
                    name: "Zyxq fresh".into(),
                    ..TagRequest::default()
                },
                TagRequest {
                    name: "Zyxq one".into(),
                    ..TagRequest::default()
                },
            ],
        )
        .await
        .unwrap_err();
    let errors = error.validation_errors().expect("a validation error");
    assert_eq!(
        errors.iter().map(|e| e.index).collect::<Vec<_>>(),
        vec![Some(1)]
    );
}

#[tokio::test]
async fn loss_reasons_sources_and_account() {
    let (_sim, client) = setup(100).await;
    let reasons = client.loss_reasons().collect_all().await.unwrap();
    assert!(!reasons.is_empty());
    assert_eq!(
        client
            .loss_reason(reasons[0].id)
            .await
            .unwrap()
            .unwrap()
            .name,
        reasons[0].name
    );
    assert!(client.loss_reason(987_654).await.unwrap().is_none());
    let sources = client.sources().await.unwrap();
    assert!(sources.iter().all(|s| s.id > 0));
    let account = client
        .account(&[
            AccountWith::UsersGroups,
            AccountWith::TaskTypes,
            AccountWith::DatetimeSettings,
        ])
        .await
        .unwrap();
    assert!(account.id > 0);
    assert_eq!(account.subdomain, "simulated");
    let embedded = account.embedded.expect("with values embed parts");
    assert!(embedded.task_types.is_some_and(|t| !t.is_empty()));
    assert!(account.datetime_settings.is_some());
}

#[tokio::test]
async fn events_record_what_the_client_wrote() {
    let (_sim, client) = setup(50).await;
    let id = client
        .add_leads(vec![LeadRequest {
            name: Some("Zyxq event".into()),
            ..LeadRequest::default()
        }])
        .await
        .unwrap()[0]
        .id;
    let events = client
        .events(
            EventsQuery::new()
                .types(["lead_added"])
                .entities(["lead"])
                .entity_ids([id])
                .with(EventWith::LeadName),
        )
        .collect_all()
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            events[0].kind.as_str(),
            events[0].entity_id,
            events[0].entity_type.as_str()
        ),
        ("lead_added", id, "lead")
    );
    let again = client.event(&events[0].id).await.unwrap().unwrap();
    assert_eq!(again.id, events[0].id);
    let all = client.events(EventsQuery::new().limit(100)).items();
    let first_five: Vec<_> =
        futures::TryStreamExt::try_collect::<Vec<_>>(futures::StreamExt::take(all, 5))
            .await
            .unwrap();
    assert_eq!(first_five.len(), 5);
}
