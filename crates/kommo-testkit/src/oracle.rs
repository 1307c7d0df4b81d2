//! The oracle: what the store must hold for an integration, built from the simulator's ground
//! truth (its own records, read through `Control`) by following `shared/spec/data-api.md`.
//!
//! Nothing here calls the sync engine's flattening, and no name is read back from the store
//! under test: the expected rows are written out field by field from the spec, so a wrong
//! flattening, a wrong name or a wrong value format fails the comparison. The stored rows are
//! compared in their published JSON form (what the data API serves), not as Rust structs.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::DateTime;
use kommo_model::{Company, Contact, CustomFieldValues, Lead, Pipeline, Tag, Task, User};
use kommo_sim::{Control, RunningSimulator};
use kommo_store::{Integration, Store};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// The names and colors the account's dictionaries give, from the simulator itself.
#[derive(Debug)]
pub struct Truth {
    pub(crate) pipelines: Vec<Pipeline>,
    users: Vec<User>,
    pub(crate) pipeline_names: HashMap<i64, String>,
    pub(crate) status_names: HashMap<(i64, i64), String>,
    loss_reasons: HashMap<i64, String>,
    sources: HashMap<i64, String>,
    lead_tag_colors: HashMap<i64, Option<String>>,
    contact_tag_colors: HashMap<i64, Option<String>>,
    company_tag_colors: HashMap<i64, Option<String>>,
    task_types: HashMap<i64, String>,
}

impl Truth {
    pub fn of(control: &Control) -> Self {
        let pipelines = control.pipelines();
        let mut pipeline_names = HashMap::new();
        let mut status_names = HashMap::new();
        for pipeline in &pipelines {
            pipeline_names.insert(pipeline.id, pipeline.name.clone());
            for status in &pipeline.embedded.statuses {
                status_names.insert((pipeline.id, status.id), status.name.clone());
            }
        }
        let colors = |tags: Vec<Tag>| tags.into_iter().map(|t| (t.id, t.color)).collect();
        Self {
            users: control.users(),
            pipeline_names,
            status_names,
            loss_reasons: control
                .loss_reasons()
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect(),
            sources: control
                .sources()
                .into_iter()
                .map(|s| (s.id, s.name))
                .collect(),
            lead_tag_colors: colors(control.lead_tags()),
            contact_tag_colors: colors(control.contact_tags()),
            company_tag_colors: colors(control.company_tags()),
            task_types: control
                .task_types()
                .into_iter()
                .map(|t| (t.id, t.name))
                .collect(),
            pipelines,
        }
    }
}

/// The three tenancy fields every row carries.
pub(crate) fn tenancy(integration: &Integration) -> [(&'static str, Value); 3] {
    [
        ("integration_id", json!(integration.id)),
        ("workspace_id", json!(integration.workspace_id)),
        ("organization_id", json!(integration.organization_id)),
    ]
}

/// Ids are strings.
pub(crate) fn id(value: i64) -> Value {
    Value::String(value.to_string())
}

/// Ids where Kommo may send none (0 means none for these).
pub(crate) fn opt_id(value: Option<i64>) -> Value {
    value.map_or(Value::Null, id)
}

/// Timestamps: RFC 3339 UTC with milliseconds and `Z`.
pub(crate) fn time(unix_seconds: i64) -> Value {
    match DateTime::from_timestamp(unix_seconds, 0) {
        Some(t) => Value::String(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        None => panic!("timestamp {unix_seconds} out of range"),
    }
}

pub(crate) fn opt_time(unix_seconds: Option<i64>) -> Value {
    unix_seconds.map_or(Value::Null, time)
}

/// Text that Kommo leaves empty is served as `null`.
pub(crate) fn text(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        Value::String(value.to_owned())
    }
}

/// A comma-separated list, `null` when empty.
fn joined(items: &[String]) -> Value {
    if items.is_empty() {
        Value::Null
    } else {
        Value::String(items.join(","))
    }
}

/// Structured Kommo data, as the parsed form of the compact JSON text the API serves.
fn structured(value: &impl Serialize) -> Value {
    serde_json::to_value(value).unwrap()
}

/// `custom_fields_values` in the shape Kommo sends it: every field with its `field_code`,
/// `null` when it has none.
fn custom_fields(fields: Option<&[CustomFieldValues]>) -> Value {
    match fields {
        Some(fields) if !fields.is_empty() => fields
            .iter()
            .map(|field| {
                let mut out = row([
                    ("field_id", json!(field.field_id)),
                    ("field_name", json!(field.field_name)),
                    ("field_code", json!(field.field_code)),
                    ("field_type", json!(field.field_type)),
                    ("values", structured(&field.values)),
                ]);
                if let Some(computed) = field.is_computed {
                    out.insert("is_computed".to_owned(), json!(computed));
                }
                Value::Object(out)
            })
            .collect(),
        _ => Value::Null,
    }
}

/// The tag columns of the spec: `tags` as JSON, all ids / names / colors comma-separated (a
/// tag without a color gives an empty item), and the first tag's.
fn tag_columns(tags: &[Tag], colors: &HashMap<i64, Option<String>>) -> [(&'static str, Value); 7] {
    let color = |t: &Tag| {
        colors
            .get(&t.id)
            .cloned()
            .unwrap_or_else(|| t.color.clone())
            .filter(|c| !c.is_empty())
    };
    let items: Vec<Value> = tags
        .iter()
        .map(|t| json!({"id": t.id, "name": t.name, "color": color(t)}))
        .collect();
    let first = tags.first();
    [
        (
            "tags",
            if tags.is_empty() {
                Value::Null
            } else {
                Value::Array(items)
            },
        ),
        (
            "tag_id",
            joined(&tags.iter().map(|t| t.id.to_string()).collect::<Vec<_>>()),
        ),
        (
            "tag_name",
            joined(&tags.iter().map(|t| t.name.clone()).collect::<Vec<_>>()),
        ),
        (
            "tag_color",
            joined(
                &tags
                    .iter()
                    .map(|t| color(t).unwrap_or_default())
                    .collect::<Vec<_>>(),
            ),
        ),
        ("tag_id_first", first.map_or(Value::Null, |t| id(t.id))),
        (
            "tag_name_first",
            first.map_or(Value::Null, |t| text(&t.name)),
        ),
        (
            "tag_color_first",
            first.and_then(color).map_or(Value::Null, Value::String),
        ),
    ]
}

pub(crate) fn row(fields: impl IntoIterator<Item = (&'static str, Value)>) -> Map<String, Value> {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The `leads` row of a live lead.
pub fn expected_lead(lead: &Lead, truth: &Truth, integration: &Integration) -> Map<String, Value> {
    let contacts: Vec<String> = lead
        .embedded
        .contacts
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    let mut out = row([
        ("lead_id", id(lead.id)),
        ("lead_name", text(&lead.name)),
        ("status_id", id(lead.status_id)),
        ("price", json!(lead.price)),
        ("responsible_user_id", id(lead.responsible_user_id)),
        ("group_id", id(lead.group_id)),
        ("pipeline_id", id(lead.pipeline_id)),
        ("loss_reason_id", opt_id(lead.loss_reason_id)),
        ("created_by", id(lead.created_by)),
        ("updated_by", id(lead.updated_by)),
        ("created_at", time(lead.created_at)),
        ("updated_at", time(lead.updated_at)),
        ("closed_at", opt_time(lead.closed_at)),
        ("closest_task_at", opt_time(lead.closest_task_at)),
        ("is_deleted", json!(false)),
        (
            "custom_fields_values",
            custom_fields(lead.custom_fields_values.as_deref()),
        ),
        (
            "score",
            lead.score.map_or(Value::Null, |s| json!(s.to_string())),
        ),
        ("account_id", id(lead.account_id)),
        ("labor_cost", json!(lead.labor_cost)),
        ("source_id", opt_id(lead.source_id)),
        (
            "source_name",
            json!(lead.source_id.and_then(|s| truth.sources.get(&s))),
        ),
        ("contacts_ids", joined(&contacts)),
        (
            "loss_reason",
            json!(lead.loss_reason_id.and_then(|r| truth.loss_reasons.get(&r))),
        ),
        // Documented extras.
        (
            "company_id",
            opt_id(lead.embedded.companies.first().map(|c| c.id)),
        ),
        (
            "status_name",
            json!(truth.status_names.get(&(lead.pipeline_id, lead.status_id))),
        ),
        (
            "pipeline_name",
            json!(truth.pipeline_names.get(&lead.pipeline_id)),
        ),
    ]);
    out.extend(row(tag_columns(
        &lead.embedded.tags,
        &truth.lead_tag_colors,
    )));
    out.extend(row(tenancy(integration)));
    out
}

/// The values of a contact's field with this code (EMAIL, PHONE), in Kommo's order.
fn values_of(contact: &Contact, code: &str) -> Vec<String> {
    field_values(contact.custom_fields_values.as_deref(), code)
}

/// The values of the field with this code among `fields`, in Kommo's order.
fn field_values(fields: Option<&[CustomFieldValues]>, code: &str) -> Vec<String> {
    fields
        .unwrap_or_default()
        .iter()
        .filter(|f| f.field_code.as_deref() == Some(code))
        .flat_map(|f| f.values.iter().flatten())
        .filter_map(|v| match &v.value {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .collect()
}

/// The `contacts` row of a live contact.
pub fn expected_contact(
    contact: &Contact,
    truth: &Truth,
    integration: &Integration,
) -> Map<String, Value> {
    let emails = values_of(contact, "EMAIL");
    let phones = values_of(contact, "PHONE");
    let leads: Vec<String> = contact
        .embedded
        .leads
        .iter()
        .map(|l| l.id.to_string())
        .collect();
    let mut out = row([
        ("contact_id", id(contact.id)),
        ("contact_name", text(&contact.name)),
        ("first_name", text(&contact.first_name)),
        ("last_name", text(&contact.last_name)),
        ("responsible_user_id", id(contact.responsible_user_id)),
        ("group_id", id(contact.group_id)),
        ("created_by", id(contact.created_by)),
        ("updated_by", id(contact.updated_by)),
        ("created_at", time(contact.created_at)),
        ("updated_at", time(contact.updated_at)),
        ("closest_task_at", opt_time(contact.closest_task_at)),
        ("is_deleted", json!(false)),
        ("is_unsorted", json!(contact.is_unsorted)),
        (
            "custom_fields_values",
            custom_fields(contact.custom_fields_values.as_deref()),
        ),
        ("account_id", id(contact.account_id)),
        ("email", json!(emails.first())),
        ("phone", json!(phones.first())),
        ("emails", joined(&emails)),
        ("phones", joined(&phones)),
        (
            "company_id",
            opt_id(contact.embedded.companies.first().map(|c| c.id)),
        ),
        ("leads_ids", joined(&leads)),
    ]);
    out.extend(row(tag_columns(
        &contact.embedded.tags,
        &truth.contact_tag_colors,
    )));
    out.extend(row(tenancy(integration)));
    out
}

/// The `companies` row of a live company: shaped like a contact's (first and all EMAIL /
/// PHONE values, tags), with the contacts and leads Kommo lists for it.
pub fn expected_company(
    company: &Company,
    truth: &Truth,
    integration: &Integration,
) -> Map<String, Value> {
    let fields = company.custom_fields_values.as_deref();
    let emails = field_values(fields, "EMAIL");
    let phones = field_values(fields, "PHONE");
    let ids = |ids: Vec<i64>| joined(&ids.iter().map(i64::to_string).collect::<Vec<_>>());
    let mut out = row([
        ("company_id", id(company.id)),
        ("company_name", text(&company.name)),
        ("responsible_user_id", id(company.responsible_user_id)),
        ("group_id", id(company.group_id)),
        ("created_by", id(company.created_by)),
        ("updated_by", id(company.updated_by)),
        ("created_at", time(company.created_at)),
        ("updated_at", time(company.updated_at)),
        ("closest_task_at", opt_time(company.closest_task_at)),
        ("is_deleted", json!(false)),
        ("custom_fields_values", custom_fields(fields)),
        ("account_id", id(company.account_id)),
        ("email", json!(emails.first())),
        ("phone", json!(phones.first())),
        ("emails", joined(&emails)),
        ("phones", joined(&phones)),
        (
            "contacts_ids",
            ids(company.embedded.contacts.iter().map(|c| c.id).collect()),
        ),
        (
            "leads_ids",
            ids(company.embedded.leads.iter().map(|l| l.id).collect()),
        ),
    ]);
    out.extend(row(tag_columns(
        &company.embedded.tags,
        &truth.company_tag_colors,
    )));
    out.extend(row(tenancy(integration)));
    out
}

/// The `tasks` row of a task Kommo lists.
pub fn expected_task(task: &Task, truth: &Truth, integration: &Integration) -> Map<String, Value> {
    let mut out = row([
        ("task_id", id(task.id)),
        (
            "entity_type",
            task.entity_type.as_deref().map_or(Value::Null, text),
        ),
        ("entity_id", opt_id(task.entity_id.filter(|e| *e != 0))),
        ("responsible_user_id", id(task.responsible_user_id)),
        ("group_id", id(task.group_id)),
        ("task_type_id", id(task.task_type_id)),
        (
            "task_type_name",
            json!(truth.task_types.get(&task.task_type_id)),
        ),
        ("text", text(&task.text)),
        ("duration", json!(task.duration)),
        ("complete_till", time(task.complete_till)),
        ("is_completed", json!(task.is_completed)),
        (
            "result_text",
            task.result.as_ref().map_or(Value::Null, |r| text(&r.text)),
        ),
        ("created_by", id(task.created_by)),
        ("updated_by", id(task.updated_by)),
        ("created_at", time(task.created_at)),
        ("updated_at", time(task.updated_at)),
        ("is_deleted", json!(false)),
    ]);
    out.extend(row(tenancy(integration)));
    out
}

/// One `pipelines` row per (pipeline, status).
pub fn expected_pipelines(truth: &Truth, integration: &Integration) -> Vec<Map<String, Value>> {
    let mut rows = Vec::new();
    for pipeline in &truth.pipelines {
        for status in &pipeline.embedded.statuses {
            let mut out = row([
                ("pipeline_id", id(pipeline.id)),
                ("pipeline_name", text(&pipeline.name)),
                ("pipeline_sort", json!(pipeline.sort)),
                ("status_id", id(status.id)),
                ("status_name", text(&status.name)),
                ("sort", json!(status.sort)),
                ("is_editable", json!(status.is_editable)),
                ("color", text(&status.color)),
                ("type", json!(status.kind)),
                ("is_main", json!(pipeline.is_main)),
                ("is_archive", json!(pipeline.is_archive)),
            ]);
            out.extend(row(tenancy(integration)));
            rows.push(out);
        }
    }
    rows
}

/// One `users` row per user, with its group's and role's names.
pub fn expected_users(truth: &Truth, integration: &Integration) -> Vec<Map<String, Value>> {
    truth
        .users
        .iter()
        .map(|user| {
            let group = user
                .rights
                .group_id
                .or_else(|| user.embedded.groups.first().map(|g| g.id));
            let role = user
                .rights
                .role_id
                .or_else(|| user.embedded.roles.first().map(|r| r.id));
            let mut out = row([
                ("user_id", id(user.id)),
                ("user_name", text(&user.name)),
                ("email", text(&user.email)),
                ("lang", text(&user.lang)),
                ("is_admin", json!(user.rights.is_admin)),
                ("is_free", json!(user.rights.is_free)),
                ("is_active", json!(user.rights.is_active)),
                ("group_id", opt_id(group)),
                (
                    "group_name",
                    json!(
                        user.embedded
                            .groups
                            .iter()
                            .find(|g| Some(g.id) == group)
                            .map(|g| &g.name)
                    ),
                ),
                ("role_id", opt_id(role)),
                (
                    "role_name",
                    json!(
                        user.embedded
                            .roles
                            .iter()
                            .find(|r| Some(r.id) == role)
                            .map(|r| &r.name)
                    ),
                ),
                ("rights", structured(&user.rights)),
            ]);
            out.extend(row(tenancy(integration)));
            out
        })
        .collect()
}

/// The fields whose published form is JSON text, compared as the JSON they hold.
const JSON_TEXT_FIELDS: [&str; 3] = ["custom_fields_values", "tags", "rights"];

/// A stored row in its published JSON form, JSON-text fields parsed, with the two fields the
/// store stamps itself (`document_id`, `inserted_at`) checked for form and taken out.
pub(crate) fn published(
    row: &impl Serialize,
    document_ids: &mut BTreeSet<String>,
    problems: &mut Vec<String>,
) -> Map<String, Value> {
    let Value::Object(mut map) = serde_json::to_value(row).unwrap() else {
        panic!("a row serialises to an object")
    };
    for field in JSON_TEXT_FIELDS {
        if let Some(Value::String(text)) = map.get(field) {
            let parsed = serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{field} is not JSON text ({e}): {text}"));
            map.insert(field.to_owned(), parsed);
        }
    }
    match map.remove("document_id") {
        Some(Value::String(doc)) if doc.len() == 36 && doc.matches('-').count() == 4 => {
            if !document_ids.insert(doc.clone()) {
                problems.push(format!("document_id {doc} is used by two rows"));
            }
        }
        other => problems.push(format!("document_id is not a UUID: {other:?}")),
    }
    match map.remove("inserted_at") {
        Some(Value::String(at))
            if DateTime::parse_from_rfc3339(&at).is_ok() && at.ends_with('Z') => {}
        other => problems.push(format!(
            "inserted_at is not an RFC 3339 UTC time: {other:?}"
        )),
    }
    map
}

/// The fields on which two rows differ, for the failure message.
pub(crate) fn diff(expected: &Map<String, Value>, stored: &Map<String, Value>) -> String {
    let keys: BTreeSet<&String> = expected.keys().chain(stored.keys()).collect();
    keys.into_iter()
        .filter(|k| expected.get(*k) != stored.get(*k))
        .map(|k| {
            format!(
                "{k}: expected {}, stored {}",
                expected
                    .get(k)
                    .map_or("(absent)".to_owned(), Value::to_string),
                stored
                    .get(k)
                    .map_or("(absent)".to_owned(), Value::to_string)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Compares keyed expected rows with keyed stored rows: none missing, none extra, none
/// different.
pub(crate) fn compare(
    what: &str,
    mut expected: BTreeMap<String, Map<String, Value>>,
    stored: Vec<(String, Map<String, Value>)>,
    problems: &mut Vec<String>,
) {
    for (key, row) in stored {
        match expected.remove(&key) {
            Some(want) if want == row => {}
            Some(want) => problems.push(format!("{what} {key} differs: {}", diff(&want, &row))),
            None => problems.push(format!(
                "{what} {key} is stored but the account has no such live {what}"
            )),
        }
    }
    problems.extend(
        expected
            .keys()
            .map(|key| format!("{what} {key} is missing")),
    );
}

/// Checks the store holds exactly the simulator's account for `integration`: every live lead,
/// contact, company and task field by field in the published form, none missing, none extra, none stale;
/// rows flagged deleted are deleted in the simulator, and every deleted one there is stored
/// flagged (also those created and deleted between two runs); pipelines and users equal.
/// Returns the number of live leads compared.
pub async fn assert_store_matches(
    store: &Store,
    integration: &Integration,
    sim: &RunningSimulator,
) -> usize {
    let id = integration.id.as_str();
    let control = sim.control();
    let truth = Truth::of(control);
    let mut problems = Vec::new();
    let mut document_ids = BTreeSet::new();

    // Leads.
    let expected: BTreeMap<String, _> = control
        .lead_ids()
        .into_iter()
        .filter_map(|lead_id| control.lead(lead_id))
        .map(|lead| {
            (
                lead.id.to_string(),
                expected_lead(&lead, &truth, integration),
            )
        })
        .collect();
    let live = expected.len();
    let mut unflagged: BTreeSet<i64> = control.deleted_lead_ids().into_iter().collect();
    let mut stored = Vec::new();
    for row in store.all_lead_rows(id).await.unwrap() {
        if row.is_deleted {
            if control.lead(row.lead_id).is_none_or(|l| !l.is_deleted) {
                problems.push(format!(
                    "lead {} is flagged deleted but is live in Kommo",
                    row.lead_id
                ));
            }
            unflagged.remove(&row.lead_id);
            continue;
        }
        stored.push((
            row.lead_id.to_string(),
            published(&row, &mut document_ids, &mut problems),
        ));
    }
    compare("lead", expected, stored, &mut problems);
    problems.extend(
        unflagged
            .iter()
            .map(|lead_id| format!("deleted lead {lead_id} is not stored flagged deleted")),
    );

    // Contacts.
    let expected: BTreeMap<String, _> = control
        .contact_ids()
        .into_iter()
        .filter_map(|contact_id| control.contact(contact_id))
        .map(|c| (c.id.to_string(), expected_contact(&c, &truth, integration)))
        .collect();
    let mut unflagged: BTreeSet<i64> = control.deleted_contact_ids().into_iter().collect();
    let mut stored = Vec::new();
    for row in store.all_contact_rows(id).await.unwrap() {
        if row.is_deleted {
            if !unflagged.remove(&row.contact_id) {
                problems.push(format!(
                    "contact {} is flagged deleted but is not deleted in Kommo",
                    row.contact_id
                ));
            }
            continue;
        }
        stored.push((
            row.contact_id.to_string(),
            published(&row, &mut document_ids, &mut problems),
        ));
    }
    compare("contact", expected, stored, &mut problems);
    problems.extend(
        unflagged.iter().map(|contact_id| {
            format!("deleted contact {contact_id} is not stored flagged deleted")
        }),
    );

    // Companies.
    let expected: BTreeMap<String, _> = control
        .company_ids()
        .into_iter()
        .filter_map(|company_id| control.company(company_id))
        .map(|c| (c.id.to_string(), expected_company(&c, &truth, integration)))
        .collect();
    let mut unflagged: BTreeSet<i64> = control.deleted_company_ids().into_iter().collect();
    let mut stored = Vec::new();
    for row in store.all_company_rows(id).await.unwrap() {
        if row.is_deleted {
            if !unflagged.remove(&row.company_id) {
                problems.push(format!(
                    "company {} is flagged deleted but is not deleted in Kommo",
                    row.company_id
                ));
            }
            continue;
        }
        stored.push((
            row.company_id.to_string(),
            published(&row, &mut document_ids, &mut problems),
        ));
    }
    compare("company", expected, stored, &mut problems);
    problems.extend(
        unflagged.iter().map(|company_id| {
            format!("deleted company {company_id} is not stored flagged deleted")
        }),
    );

    // Tasks: Kommo lists live ones only; deleted ones are known from their events.
    let expected: BTreeMap<String, _> = control
        .task_ids()
        .into_iter()
        .filter_map(|task_id| control.task(task_id))
        .map(|t| (t.id.to_string(), expected_task(&t, &truth, integration)))
        .collect();
    let mut unflagged: BTreeSet<i64> = control.deleted_task_ids().into_iter().collect();
    let mut stored = Vec::new();
    for row in store.all_task_rows(id).await.unwrap() {
        if row.is_deleted {
            if !unflagged.remove(&row.task_id) {
                problems.push(format!(
                    "task {} is flagged deleted but is not deleted in Kommo",
                    row.task_id
                ));
            }
            continue;
        }
        stored.push((
            row.task_id.to_string(),
            published(&row, &mut document_ids, &mut problems),
        ));
    }
    compare("task", expected, stored, &mut problems);
    problems.extend(
        unflagged
            .iter()
            .map(|task_id| format!("deleted task {task_id} is not stored flagged deleted")),
    );

    // Pipelines and users.
    let key = |row: &Map<String, Value>, fields: &[&str]| {
        fields
            .iter()
            .map(|f| row.get(*f).map_or_else(String::new, Value::to_string))
            .collect::<Vec<_>>()
            .join("/")
    };
    let expected = expected_pipelines(&truth, integration)
        .into_iter()
        .map(|r| (key(&r, &["pipeline_id", "status_id"]), r))
        .collect();
    let stored = store
        .all_pipeline_rows(id)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let r = published(r, &mut document_ids, &mut problems);
            (key(&r, &["pipeline_id", "status_id"]), r)
        })
        .collect();
    compare("pipeline status", expected, stored, &mut problems);
    let expected = expected_users(&truth, integration)
        .into_iter()
        .map(|r| (key(&r, &["user_id"]), r))
        .collect();
    let stored = store
        .all_user_rows(id)
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let r = published(r, &mut document_ids, &mut problems);
            (key(&r, &["user_id"]), r)
        })
        .collect();
    compare("user", expected, stored, &mut problems);

    assert!(
        problems.is_empty(),
        "{} problems in {id}, first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    live
}
