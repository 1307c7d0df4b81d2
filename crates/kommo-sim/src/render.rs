//! From compact records to the shared wire types (`kommo_model`), exactly as Kommo shapes them.

use kommo_model::query::ListQuery;
use kommo_model::{
    Account as AccountModel, AccountEmbedded, Company, CompanyEmbedded, Contact, ContactEmbedded,
    DatetimeSettings, Event, Lead, LeadEmbedded, LinkedCompany, LinkedContact, LinkedEntity, Links,
    Pipeline, PipelineEmbedded, Status, Task, TaskResult, TaskType, User, UserEmbedded, UserRights,
    UsersGroup,
};
use serde_json::{Value, json};

use crate::store::{
    Account, CompanyRec, ContactRec, DELETED, EventRec, EventValue, Kind, LeadRec, PRICE_BY_ROBOT,
    PipelineRec, StatusRec, TaskRec, UserRec,
};

fn opt(v: u32) -> Option<i64> {
    (v != 0).then_some(i64::from(v))
}

/// Which `with` extras a lead list or get asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LeadWith {
    pub(crate) contacts: bool,
    pub(crate) loss_reason: bool,
    pub(crate) source_id: bool,
    pub(crate) price_by_robot: bool,
    pub(crate) catalog_elements: bool,
}

impl LeadWith {
    pub(crate) fn from(with: &[String]) -> Self {
        let has = |v: &str| with.iter().any(|w| w == v);
        Self {
            contacts: has("contacts"),
            loss_reason: has("loss_reason"),
            source_id: has("source_id") || has("source"),
            price_by_robot: has("is_price_modified_by_robot"),
            catalog_elements: has("catalog_elements"),
        }
    }
}

impl Account {
    /// `GET /api/v4/account` for `current_user`, with the extras `with` asks for.
    pub(crate) fn account_model(
        &self,
        current_user: u32,
        query: &ListQuery,
        base: &str,
    ) -> AccountModel {
        let with = |v: &str| query.has_with(v);
        let embedded =
            (with("users_groups") || with("task_types") || with("amojo_rights")).then(|| {
                AccountEmbedded {
                    users_groups: with("users_groups").then(|| {
                        self.groups
                            .iter()
                            .map(|g| UsersGroup {
                                id: g.id,
                                name: g.name.clone(),
                                uuid: None,
                            })
                            .collect()
                    }),
                    task_types: with("task_types").then(|| {
                        vec![
                            TaskType {
                                id: 1,
                                name: "Follow-up".into(),
                                color: None,
                                icon_id: None,
                                code: Some("FOLLOW_UP".into()),
                            },
                            TaskType {
                                id: 2,
                                name: "Meeting".into(),
                                color: None,
                                icon_id: None,
                                code: Some("MEETING".into()),
                            },
                            TaskType {
                                id: 3,
                                name: "Send a proposal".into(),
                                color: Some("#ffce5a".into()),
                                icon_id: Some(5),
                                code: None,
                            },
                        ]
                    }),
                    amojo_rights: with("amojo_rights").then(
                        || serde_json::json!({"can_direct": true, "can_create_groups": true}),
                    ),
                }
            });
        AccountModel {
            id: self.id,
            name: self.name.clone(),
            subdomain: self.subdomain.clone(),
            created_at: self.created_at,
            created_by: 0,
            updated_at: self.created_at,
            updated_by: 0,
            current_user_id: i64::from(current_user),
            country: "BR".into(),
            currency: "BRL".into(),
            currency_symbol: "R$".into(),
            customers_mode: "disabled".into(),
            is_unsorted_on: true,
            mobile_feature_version: 0,
            is_loss_reason_enabled: true,
            is_helpbot_enabled: false,
            is_technical_account: false,
            contact_name_display_order: 1,
            amojo_id: with("amojo_id").then(|| {
                format!(
                    "{:08x}-sim0-4000-8000-{:012x}",
                    self.id,
                    self.seed & 0xFFFF_FFFF_FFFF
                )
            }),
            version: with("version").then_some(11),
            datetime_settings: with("datetime_settings").then(|| DatetimeSettings {
                date_pattern: "d.m.Y H:i".into(),
                short_date_pattern: "d.m.Y".into(),
                short_time_pattern: "H:i".into(),
                date_format: "d.m.Y".into(),
                time_format: "H:i:s".into(),
                timezone: "America/Sao_Paulo".into(),
                timezone_offset: "-03:00".into(),
            }),
            links: Some(Links::to_self(format!("{base}/api/v4/account"))),
            embedded,
        }
    }

    pub(crate) fn lead_model(&self, rec: &LeadRec, with: LeadWith, base: &str) -> Lead {
        let tags = self.entity_tags(Kind::Leads, rec.id, &rec.tags);
        let contacts = if with.contacts {
            self.lead_contacts(rec)
                .into_iter()
                .map(|(id, main)| LinkedContact {
                    id: i64::from(id),
                    is_main: Some(main),
                })
                .collect()
        } else {
            Vec::new()
        };
        let loss_reason = if with.loss_reason && rec.loss_reason_id != 0 {
            self.loss_reasons
                .iter()
                .filter(|r| r.id == i64::from(rec.loss_reason_id))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        Lead {
            id: i64::from(rec.id),
            name: self.lead_name(rec.id),
            price: i64::from(rec.price),
            responsible_user_id: i64::from(rec.responsible),
            group_id: self.group_of(rec.responsible),
            status_id: i64::from(rec.status_id),
            pipeline_id: i64::from(rec.pipeline_id),
            loss_reason_id: opt(rec.loss_reason_id),
            source_id: if with.source_id {
                opt(rec.source_id)
            } else {
                None
            },
            created_by: i64::from(rec.created_by),
            updated_by: i64::from(rec.updated_by),
            created_at: i64::from(rec.created_at),
            updated_at: i64::from(rec.updated_at),
            closed_at: opt(rec.closed_at),
            closest_task_at: opt(rec.closest_task_at),
            is_deleted: rec.flags & DELETED != 0,
            custom_fields_values: self.field_values(Kind::Leads, rec.id),
            score: None,
            account_id: self.id,
            labor_cost: None,
            is_price_computed: Some(false),
            is_price_modified_by_robot: with
                .price_by_robot
                .then_some(rec.flags & PRICE_BY_ROBOT != 0),
            links: Some(Links::to_self(format!("{base}/api/v4/leads/{}", rec.id))),
            embedded: LeadEmbedded {
                tags,
                contacts,
                companies: opt(rec.company_id)
                    .map(|id| LinkedCompany { id })
                    .into_iter()
                    .collect(),
                loss_reason,
                catalog_elements: Vec::new(),
            },
        }
    }

    pub(crate) fn contact_model(&self, rec: &ContactRec, with_leads: bool, base: &str) -> Contact {
        let (name, first_name, last_name) = self.contact_names(rec.id);
        let leads = if with_leads {
            let pos = self.contacts.pos(rec.id).unwrap_or(usize::MAX) as u32;
            self.contact_leads
                .get(pos)
                .iter()
                .filter(|id| self.leads.get(**id).is_some_and(|l| l.flags & DELETED == 0))
                .map(|id| LinkedEntity { id: i64::from(*id) })
                .collect()
        } else {
            Vec::new()
        };
        Contact {
            id: i64::from(rec.id),
            name,
            first_name,
            last_name,
            responsible_user_id: i64::from(rec.responsible),
            group_id: self.group_of(rec.responsible),
            created_by: i64::from(rec.created_by),
            updated_by: i64::from(rec.updated_by),
            created_at: i64::from(rec.created_at),
            updated_at: i64::from(rec.updated_at),
            closest_task_at: opt(rec.closest_task_at),
            is_deleted: rec.flags & DELETED != 0,
            is_unsorted: false,
            custom_fields_values: self.field_values(Kind::Contacts, rec.id),
            account_id: self.id,
            links: Some(Links::to_self(format!("{base}/api/v4/contacts/{}", rec.id))),
            embedded: ContactEmbedded {
                tags: self.entity_tags(Kind::Contacts, rec.id, &rec.tags),
                companies: opt(rec.company_id)
                    .map(|id| LinkedCompany { id })
                    .into_iter()
                    .collect(),
                leads,
                customers: Vec::new(),
                catalog_elements: Vec::new(),
            },
        }
    }

    pub(crate) fn company_model(
        &self,
        rec: &CompanyRec,
        with_leads: bool,
        with_contacts: bool,
        base: &str,
    ) -> Company {
        let pos = self.companies.pos(rec.id).unwrap_or(usize::MAX) as u32;
        let leads = if with_leads {
            self.company_leads
                .get(pos)
                .iter()
                .filter(|id| self.leads.get(**id).is_some_and(|l| l.flags & DELETED == 0))
                .map(|id| LinkedEntity { id: i64::from(*id) })
                .collect()
        } else {
            Vec::new()
        };
        let contacts = if with_contacts {
            self.company_contacts
                .get(pos)
                .iter()
                .filter(|id| {
                    self.contacts
                        .get(**id)
                        .is_some_and(|c| c.flags & DELETED == 0)
                })
                .map(|id| LinkedContact {
                    id: i64::from(*id),
                    is_main: Some(false),
                })
                .collect()
        } else {
            Vec::new()
        };
        Company {
            id: i64::from(rec.id),
            name: self.company_name(rec.id),
            responsible_user_id: i64::from(rec.responsible),
            group_id: self.group_of(rec.responsible),
            created_by: i64::from(rec.created_by),
            updated_by: i64::from(rec.updated_by),
            created_at: i64::from(rec.created_at),
            updated_at: i64::from(rec.updated_at),
            closest_task_at: opt(rec.closest_task_at),
            is_deleted: rec.flags & DELETED != 0,
            custom_fields_values: self.field_values(Kind::Companies, rec.id),
            account_id: self.id,
            links: Some(Links::to_self(format!(
                "{base}/api/v4/companies/{}",
                rec.id
            ))),
            embedded: CompanyEmbedded {
                tags: self.entity_tags(Kind::Companies, rec.id, &rec.tags),
                contacts,
                leads,
                customers: Vec::new(),
                catalog_elements: Vec::new(),
            },
        }
    }

    pub(crate) fn task_model(&self, rec: &TaskRec, base: &str) -> Task {
        let entity_type = match rec.entity_type {
            1 => Some("leads"),
            2 => Some("contacts"),
            3 => Some("companies"),
            _ => None,
        };
        Task {
            id: i64::from(rec.id),
            created_by: i64::from(rec.created_by),
            updated_by: i64::from(rec.updated_by),
            created_at: i64::from(rec.created_at),
            updated_at: i64::from(rec.updated_at),
            responsible_user_id: i64::from(rec.responsible),
            group_id: self.group_of(rec.responsible),
            entity_id: opt(rec.entity_id),
            entity_type: entity_type.map(str::to_owned),
            is_completed: rec.completed,
            task_type_id: i64::from(rec.task_type),
            text: self.task_text(rec),
            duration: i64::from(rec.duration),
            complete_till: i64::from(rec.complete_till),
            result: self.task_result(rec).map(|text| TaskResult { text }),
            account_id: self.id,
            links: Some(Links::to_self(format!("{base}/api/v4/tasks/{}", rec.id))),
        }
    }

    pub(crate) fn status_model(&self, pipeline: &PipelineRec, s: &StatusRec, base: &str) -> Status {
        Status {
            id: i64::from(s.id),
            name: s.name.clone(),
            sort: s.sort,
            is_editable: s.is_editable,
            pipeline_id: i64::from(pipeline.id),
            color: s.color.clone(),
            kind: s.kind,
            account_id: self.id,
            descriptions: s.descriptions.clone(),
            request_id: None,
            links: Some(Links::to_self(format!(
                "{base}/api/v4/leads/pipelines/{}/statuses/{}",
                pipeline.id, s.id
            ))),
        }
    }

    /// A pipeline with its statuses; the incoming-leads stage is hidden while it is off.
    pub(crate) fn pipeline_model(&self, p: &PipelineRec, base: &str) -> Pipeline {
        Pipeline {
            id: i64::from(p.id),
            name: p.name.clone(),
            sort: p.sort,
            is_main: p.is_main,
            is_unsorted_on: p.is_unsorted_on,
            is_archive: p.is_archive,
            account_id: self.id,
            request_id: None,
            links: Some(Links::to_self(format!(
                "{base}/api/v4/leads/pipelines/{}",
                p.id
            ))),
            embedded: PipelineEmbedded {
                statuses: p
                    .statuses
                    .iter()
                    .filter(|s| s.kind != 1 || p.is_unsorted_on)
                    .map(|s| self.status_model(p, s, base))
                    .collect(),
            },
        }
    }

    pub(crate) fn user_model(
        &self,
        u: &UserRec,
        with_role: bool,
        with_group: bool,
        base: &str,
    ) -> User {
        let entity_rights = |admin: bool| {
            let level = if admin { "A" } else { "M" };
            json!({"view": "A", "edit": level, "add": "A", "delete": level, "export": level})
        };
        let mut other = serde_json::Map::new();
        other.insert("leads".into(), entity_rights(u.is_admin));
        other.insert("contacts".into(), entity_rights(u.is_admin));
        other.insert("companies".into(), entity_rights(u.is_admin));
        other.insert("tasks".into(), json!({"edit": if u.is_admin { "A" } else { "M" }, "delete": if u.is_admin { "A" } else { "D" }}));
        other.insert("mail_access".into(), Value::Bool(true));
        other.insert("catalog_access".into(), Value::Bool(true));
        other.insert("files_access".into(), Value::Bool(true));
        other.insert("status_rights".into(), Value::Array(Vec::new()));
        other.insert("is_free".into(), Value::Bool(false));
        let rights = UserRights {
            is_admin: u.is_admin,
            is_free: false,
            is_active: u.is_active,
            group_id: (u.group_id != 0).then_some(u.group_id),
            role_id: u.role_id,
            other,
        };
        let mut rights = rights;
        rights.other.remove("is_free");
        User {
            id: i64::from(u.id),
            name: u.name.clone(),
            email: u.email.clone(),
            lang: u.lang.clone(),
            rights,
            links: Some(Links::to_self(format!("{base}/api/v4/users/{}", u.id))),
            embedded: UserEmbedded {
                roles: if with_role {
                    self.roles
                        .iter()
                        .filter(|r| Some(r.id) == u.role_id)
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                },
                groups: if with_group {
                    self.groups
                        .iter()
                        .filter(|g| g.id == u.group_id)
                        .cloned()
                        .collect()
                } else {
                    Vec::new()
                },
            },
        }
    }

    pub(crate) fn event_model(&self, e: &EventRec, base: &str) -> Event {
        let value = |v: &EventValue| -> Value {
            match v {
                EventValue::None => Value::Array(Vec::new()),
                EventValue::Status {
                    status_id,
                    pipeline_id,
                } => {
                    json!([{"lead_status": {"id": status_id, "pipeline_id": pipeline_id}}])
                }
                EventValue::Sale(sale) => json!([{"sale_field_value": {"sale": sale}}]),
                EventValue::Name(name) => json!([{"name_field_value": {"name": name}}]),
                EventValue::Responsible(id) => json!([{"responsible_user": {"id": id}}]),
                EventValue::Tag(name) => json!([{"tag": {"name": name}}]),
            }
        };
        let path = match e.entity_type {
            "lead" => "leads",
            "contact" => "contacts",
            "company" => "companies",
            _ => "tasks",
        };
        Event {
            id: event_id(e),
            kind: e.kind.wire().to_owned(),
            entity_id: i64::from(e.entity_id),
            entity_type: e.entity_type.to_owned(),
            created_by: i64::from(e.created_by),
            created_at: i64::from(e.created_at),
            value_after: value(&e.after),
            value_before: value(&e.before),
            account_id: self.id,
            embedded: Some(
                json!({"entity": {"id": e.entity_id, "_links": {"self": {"href": format!("{base}/api/v4/{path}/{}", e.entity_id)}}}}),
            ),
        }
    }
}

/// A ULID-looking, time-ordered event id: 10 characters of milliseconds, 16 of sequence.
pub(crate) fn event_id(e: &EventRec) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let millis = u128::from(e.created_at) * 1000;
    let value: u128 = (millis << 80) | u128::from(e.seq);
    let mut out = [0u8; 26];
    for (i, slot) in out.iter_mut().enumerate() {
        let shift = 125 - 5 * i as i32;
        let digit = if shift >= 0 {
            (value >> shift) & 31
        } else {
            (value << (-shift)) & 31
        };
        *slot = ALPHABET[digit as usize];
    }
    String::from_utf8_lossy(&out).into_owned()
}
