//! The simulated account in memory: compact fixed-size records per entity, side tables for
//! what writes changed, and the dictionaries (pipelines, users, fields, tags, ...).
//!
//! Names and custom field values of generated entities are not stored: they are derived from
//! (seed, id) when rendered, and only stored once a write changes them.
//!
//! This is the data and how to read it; once generated, an account is changed only by
//! `crate::mutate`.

use std::collections::HashMap;

use kommo_model::{
    CustomField, CustomFieldValue, CustomFieldValues, Group, LossReason, Role, Source, Tag,
};
use serde_json::Value;

use crate::fast::FieldFrag;
use crate::index::{Index, Links};
use crate::names::{self, Locale};
use crate::rng::{Rng, stream};

/// The span of generated history.
pub(crate) const TWO_YEARS: i64 = 2 * 365 * 86_400;

/// Row flag: deleted (restorable).
pub(crate) const DELETED: u8 = 1;
/// Row flag (leads): the price was last changed by a robot.
pub(crate) const PRICE_BY_ROBOT: u8 = 2;

/// The three entity kinds that carry custom fields and tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Leads = 0,
    Contacts = 1,
    Companies = 2,
}

impl Kind {
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::Contacts => "contacts",
            Self::Companies => "companies",
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct LeadRec {
    pub(crate) id: u32,
    pub(crate) created_at: u32,
    pub(crate) updated_at: u32,
    /// 0 = not closed.
    pub(crate) closed_at: u32,
    /// 0 = no open task.
    pub(crate) closest_task_at: u32,
    pub(crate) price: u32,
    pub(crate) status_id: u32,
    pub(crate) pipeline_id: u32,
    pub(crate) responsible: u32,
    pub(crate) created_by: u32,
    pub(crate) updated_by: u32,
    pub(crate) loss_reason_id: u32,
    pub(crate) source_id: u32,
    pub(crate) company_id: u32,
    /// The main contact; 0 = none. Further contacts live in the lead's extra.
    pub(crate) contact_id: u32,
    /// Tag indexes + 1 into the leads' tag dictionary; 0 = none.
    pub(crate) tags: [u16; 3],
    pub(crate) flags: u8,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ContactRec {
    pub(crate) id: u32,
    pub(crate) created_at: u32,
    pub(crate) updated_at: u32,
    pub(crate) closest_task_at: u32,
    pub(crate) responsible: u32,
    pub(crate) created_by: u32,
    pub(crate) updated_by: u32,
    pub(crate) company_id: u32,
    pub(crate) tags: [u16; 2],
    pub(crate) flags: u8,
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CompanyRec {
    pub(crate) id: u32,
    pub(crate) created_at: u32,
    pub(crate) updated_at: u32,
    pub(crate) closest_task_at: u32,
    pub(crate) responsible: u32,
    pub(crate) created_by: u32,
    pub(crate) updated_by: u32,
    pub(crate) tags: [u16; 2],
    pub(crate) flags: u8,
}

/// A task's `entity_type` code from its wire name, singular or plural.
pub(crate) fn task_entity_code(name: &str) -> Option<u8> {
    match name {
        "leads" | "lead" => Some(1),
        "contacts" | "contact" => Some(2),
        "companies" | "company" => Some(3),
        _ => None,
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TaskRec {
    pub(crate) id: u32,
    pub(crate) created_at: u32,
    pub(crate) updated_at: u32,
    pub(crate) complete_till: u32,
    pub(crate) responsible: u32,
    pub(crate) created_by: u32,
    pub(crate) updated_by: u32,
    pub(crate) entity_id: u32,
    /// 0 none, 1 leads, 2 contacts, 3 companies (`task_entity_code`).
    pub(crate) entity_type: u8,
    pub(crate) task_type: u8,
    pub(crate) completed: bool,
    pub(crate) duration: u32,
}

/// What writes changed on an entity beyond its fixed-size record.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extra {
    pub(crate) name: Option<String>,
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    /// The full current set of custom field values, once a write touched any.
    pub(crate) fields: Option<Vec<CustomFieldValues>>,
    /// Tag ids, once a write touched the tags.
    pub(crate) tags: Option<Vec<i64>>,
    /// Leads: every linked contact `(id, is_main)`, once a write touched them.
    pub(crate) contacts: Option<Vec<(u32, bool)>>,
}

/// A task's text and result once written.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskExtra {
    pub(crate) text: Option<String>,
    pub(crate) result: Option<String>,
}

/// A table of records sorted by id (ids only ever grow), with its indexes.
#[derive(Debug, Default)]
pub(crate) struct Table<R> {
    pub(crate) recs: Vec<R>,
    pub(crate) index: Index,
    pub(crate) extra: HashMap<u32, Extra>,
    pub(crate) next_id: u32,
}

pub(crate) trait Rec {
    fn id(&self) -> u32;
}

/// A record that carries edit stamps and can be deleted restorably (leads, contacts,
/// companies): what the mutation layer's table operations work on.
pub(crate) trait Row: Rec {
    fn created_at(&self) -> u32;
    fn updated_at(&self) -> u32;
    fn flags(&self) -> u8;
    fn flags_mut(&mut self) -> &mut u8;
    /// Sets `updated_at` and `updated_by`.
    fn stamp(&mut self, by: u32, at: u32);
}

macro_rules! records {
    ($($rec:ty),*) => {$(
        impl Rec for $rec {
            fn id(&self) -> u32 {
                self.id
            }
        }
    )*};
}

macro_rules! rows {
    ($($rec:ty),*) => {$(
        impl Row for $rec {
            fn created_at(&self) -> u32 {
                self.created_at
            }

            fn updated_at(&self) -> u32 {
                self.updated_at
            }

            fn flags(&self) -> u8 {
                self.flags
            }

            fn flags_mut(&mut self) -> &mut u8 {
                &mut self.flags
            }

            fn stamp(&mut self, by: u32, at: u32) {
                self.updated_at = at;
                self.updated_by = by;
            }
        }
    )*};
}

records!(LeadRec, ContactRec, CompanyRec, TaskRec);
rows!(LeadRec, ContactRec, CompanyRec);

impl<R: Rec> Table<R> {
    pub(crate) fn pos(&self, id: u32) -> Option<usize> {
        self.recs.binary_search_by_key(&id, Rec::id).ok()
    }

    pub(crate) fn get(&self, id: u32) -> Option<&R> {
        self.pos(id).map(|p| &self.recs[p])
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut R> {
        self.pos(id).map(|p| &mut self.recs[p])
    }

    pub(crate) fn alloc_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }
}

/// How a custom field's values are generated and checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldKind {
    Text,
    Textarea,
    Numeric,
    Checkbox,
    Select,
    Multiselect,
    Date,
    Url,
    Multitext,
}

impl FieldKind {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Textarea => "textarea",
            Self::Numeric => "numeric",
            Self::Checkbox => "checkbox",
            Self::Select => "select",
            Self::Multiselect => "multiselect",
            Self::Date => "date",
            Self::Url => "url",
            Self::Multitext => "multitext",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub(crate) def: CustomField,
    pub(crate) kind: FieldKind,
    /// Share (percent) of generated entities with a value.
    pub(crate) presence: u64,
}

/// The generated values of one field of one entity, as drawn: compact, so the page writer
/// can write them from ready fragments while the model path builds `CustomFieldValue`s.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Drawn {
    /// A select without options: no value.
    Nothing,
    Bool(bool),
    /// Numeric fields: Kommo sends the number as a string.
    NumberText(i64),
    /// Dates: unix seconds.
    Number(i64),
    /// An option of a select, by position.
    Enum(usize),
    /// Options of a multiselect, by position: bit `i` is option `i`.
    Enums(u64),
    Text(&'static str),
    /// `https://www.lp{n}.example/`.
    LandingPage(u64),
    /// Anything else, ready made.
    Values(Vec<CustomFieldValue>),
}

impl Drawn {
    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Self::Nothing => true,
            Self::Enums(mask) => *mask == 0,
            Self::Values(values) => values.is_empty(),
            _ => false,
        }
    }

    /// As the wire type's values.
    pub(crate) fn values(self, field: &FieldDef) -> Vec<CustomFieldValue> {
        let enums = field.def.enums.as_deref().unwrap_or(&[]);
        let plain = |value: Value| CustomFieldValue {
            value: Some(value),
            enum_id: None,
            enum_code: None,
        };
        let option = |e: &kommo_model::CustomFieldEnum| CustomFieldValue {
            value: Some(Value::String(e.value.clone())),
            enum_id: Some(e.id),
            enum_code: None,
        };
        match self {
            Self::Nothing => Vec::new(),
            Self::Bool(b) => vec![plain(Value::Bool(b))],
            Self::NumberText(n) => vec![plain(Value::String(n.to_string()))],
            Self::Number(n) => vec![plain(Value::from(n))],
            Self::Enum(i) => enums.get(i).map(option).into_iter().collect(),
            Self::Enums(mask) => enums
                .iter()
                .enumerate()
                .filter(|(i, _)| *i < 64 && mask & (1 << i) != 0)
                .map(|(_, e)| option(e))
                .collect(),
            Self::Text(text) => vec![plain(Value::String(text.to_owned()))],
            Self::LandingPage(n) => {
                vec![plain(Value::String(format!("https://www.lp{n}.example/")))]
            }
            Self::Values(values) => values,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct StatusRec {
    pub(crate) id: u32,
    pub(crate) name: String,
    pub(crate) sort: i64,
    pub(crate) is_editable: bool,
    pub(crate) color: String,
    /// 1 = incoming leads.
    pub(crate) kind: i64,
    pub(crate) descriptions: Option<Vec<kommo_model::StatusDescription>>,
}

#[derive(Debug, Clone)]
pub(crate) struct PipelineRec {
    pub(crate) id: u32,
    pub(crate) name: String,
    pub(crate) sort: i64,
    pub(crate) is_main: bool,
    pub(crate) is_unsorted_on: bool,
    pub(crate) is_archive: bool,
    /// Sorted by `sort`.
    pub(crate) statuses: Vec<StatusRec>,
}

impl StatusRec {
    /// The incoming-leads stage every pipeline starts with.
    pub(crate) fn incoming(id: u32) -> Self {
        Self {
            id,
            name: "Incoming leads".to_owned(),
            sort: 10,
            is_editable: false,
            color: "#c1c1c1".to_owned(),
            kind: 1,
            descriptions: None,
        }
    }

    /// A closed status every pipeline ends with: 142 (won) or 143 (lost), under its default
    /// name unless given one.
    pub(crate) fn closed(id: u32, name: Option<String>) -> Self {
        let won = id == 142;
        Self {
            id,
            name: name
                .unwrap_or_else(|| if won { "Closed - won" } else { "Closed - lost" }.to_owned()),
            sort: if won { 10_000 } else { 11_000 },
            is_editable: false,
            color: if won { "#CCFF66" } else { "#D5D8DB" }.to_owned(),
            kind: 0,
            descriptions: None,
        }
    }
}

impl PipelineRec {
    /// The first stage leads land in: the first open (non-incoming) status by sort, as the
    /// Kommo UI does for leads added without a status.
    pub(crate) fn first_stage(&self) -> u32 {
        self.statuses
            .iter()
            .find(|s| s.kind == 0 && s.id != 142 && s.id != 143)
            .or_else(|| self.statuses.first())
            .map_or(142, |s| s.id)
    }

    pub(crate) fn sort_statuses(&mut self) {
        self.statuses.sort_by_key(|s| (s.sort, s.id));
    }
}

#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub(crate) id: u32,
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) lang: String,
    pub(crate) is_admin: bool,
    pub(crate) is_active: bool,
    pub(crate) group_id: i64,
    pub(crate) role_id: Option<i64>,
}

/// One event payload value (`value_before` / `value_after`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum EventValue {
    None,
    Status { status_id: u32, pipeline_id: u32 },
    Sale(u32),
    Name(Box<str>),
    Responsible(u32),
    Tag(Box<str>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    LeadAdded,
    LeadDeleted,
    LeadRestored,
    LeadStatusChanged,
    SaleFieldChanged,
    NameFieldChanged,
    ResponsibleChanged,
    CustomFieldValueChanged,
    TagAdded,
    ContactAdded,
    ContactDeleted,
    ContactRestored,
    CompanyAdded,
    CompanyDeleted,
    CompanyRestored,
    TaskAdded,
    TaskCompleted,
    TaskDeleted,
    EntityLinked,
}

impl EventKind {
    pub(crate) fn wire(self) -> &'static str {
        match self {
            Self::LeadAdded => "lead_added",
            Self::LeadDeleted => "lead_deleted",
            Self::LeadRestored => "lead_restored",
            Self::LeadStatusChanged => "lead_status_changed",
            Self::SaleFieldChanged => "sale_field_changed",
            Self::NameFieldChanged => "name_field_changed",
            Self::ResponsibleChanged => "entity_responsible_changed",
            Self::CustomFieldValueChanged => "custom_field_value_changed",
            Self::TagAdded => "entity_tag_added",
            Self::ContactAdded => "contact_added",
            Self::ContactDeleted => "contact_deleted",
            Self::ContactRestored => "contact_restored",
            Self::CompanyAdded => "company_added",
            Self::CompanyDeleted => "company_deleted",
            Self::CompanyRestored => "company_restored",
            Self::TaskAdded => "task_added",
            Self::TaskCompleted => "task_completed",
            Self::TaskDeleted => "task_deleted",
            Self::EntityLinked => "entity_linked",
        }
    }

    pub(crate) const ALL: [EventKind; 19] = [
        Self::LeadAdded,
        Self::LeadDeleted,
        Self::LeadRestored,
        Self::LeadStatusChanged,
        Self::SaleFieldChanged,
        Self::NameFieldChanged,
        Self::ResponsibleChanged,
        Self::CustomFieldValueChanged,
        Self::TagAdded,
        Self::ContactAdded,
        Self::ContactDeleted,
        Self::ContactRestored,
        Self::CompanyAdded,
        Self::TaskAdded,
        Self::TaskCompleted,
        Self::EntityLinked,
        // Added after the others so the types listed before keep their numbers.
        Self::CompanyDeleted,
        Self::CompanyRestored,
        Self::TaskDeleted,
    ];
}

#[derive(Debug, Clone)]
pub(crate) struct EventRec {
    /// Position in the log, from 1; the wire id is derived from it.
    pub(crate) seq: u64,
    pub(crate) kind: EventKind,
    /// "lead", "contact", "company", "task".
    pub(crate) entity_type: &'static str,
    pub(crate) entity_id: u32,
    pub(crate) created_by: u32,
    pub(crate) created_at: u32,
    pub(crate) before: EventValue,
    pub(crate) after: EventValue,
}

/// A simulated Kommo account.
#[derive(Debug)]
pub(crate) struct Account {
    pub(crate) seed: u64,
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) subdomain: String,
    pub(crate) created_at: i64,
    /// The generated history ends here.
    pub(crate) anchor: i64,
    pub(crate) users: Vec<UserRec>,
    pub(crate) groups: Vec<Group>,
    pub(crate) roles: Vec<Role>,
    pub(crate) pipelines: Vec<PipelineRec>,
    pub(crate) loss_reasons: Vec<LossReason>,
    pub(crate) sources: Vec<Source>,
    /// Tag dictionaries per kind.
    pub(crate) tags: [Vec<Tag>; 3],
    /// Custom field definitions per kind.
    pub(crate) fields: [Vec<FieldDef>; 3],
    /// The same, as the JSON fragments pages are written from.
    pub(crate) field_frags: [Vec<FieldFrag>; 3],
    pub(crate) leads: Table<LeadRec>,
    pub(crate) contacts: Table<ContactRec>,
    pub(crate) companies: Table<CompanyRec>,
    pub(crate) tasks: Table<TaskRec>,
    pub(crate) task_extra: HashMap<u32, TaskExtra>,
    /// Contact position -> lead ids linked through `contact_id` or extra contacts.
    pub(crate) contact_leads: Links,
    /// Company position -> lead ids.
    pub(crate) company_leads: Links,
    /// Company position -> contact ids.
    pub(crate) company_contacts: Links,
    /// Event log, oldest first; appended to only by the recorder of `crate::mutate`.
    pub(crate) events: Vec<EventRec>,
    pub(crate) next_status_id: u32,
    pub(crate) next_pipeline_id: u32,
    pub(crate) next_tag_id: i64,
    /// Duplicate control: normalised phone / e-mail -> contact, built on first complex add.
    pub(crate) dup_index: Option<HashMap<String, u32>>,
}

impl Account {
    pub(crate) fn kind_tags(&self, kind: Kind) -> &Vec<Tag> {
        &self.tags[kind as usize]
    }

    pub(crate) fn fields(&self, kind: Kind) -> &[FieldDef] {
        &self.fields[kind as usize]
    }

    pub(crate) fn pipeline(&self, id: u32) -> Option<&PipelineRec> {
        self.pipelines.iter().find(|p| p.id == id)
    }

    pub(crate) fn main_pipeline(&self) -> Option<&PipelineRec> {
        self.pipelines
            .iter()
            .find(|p| p.is_main)
            .or_else(|| self.pipelines.first())
    }

    pub(crate) fn user(&self, id: u32) -> Option<&UserRec> {
        self.users.iter().find(|u| u.id == id)
    }

    pub(crate) fn group_of(&self, user: u32) -> i64 {
        self.user(user).map_or(0, |u| u.group_id)
    }

    pub(crate) fn admin_id(&self) -> u32 {
        self.users.first().map_or(0, |u| u.id)
    }

    // ---- derived names ----------------------------------------------------------------

    pub(crate) fn lead_name(&self, id: u32) -> String {
        if let Some(name) = self.leads.extra.get(&id).and_then(|e| e.name.clone()) {
            return name;
        }
        derive_lead_name(self.seed, id)
    }

    /// (name, first name, last name) of a contact.
    pub(crate) fn contact_names(&self, id: u32) -> (String, String, String) {
        let (first, last) = derive_person(self.seed, stream::CONTACT_NAME, id);
        let extra = self.contacts.extra.get(&id);
        let first = extra.and_then(|e| e.first_name.clone()).unwrap_or(first);
        let last = extra.and_then(|e| e.last_name.clone()).unwrap_or(last);
        let name = extra
            .and_then(|e| e.name.clone())
            .unwrap_or_else(|| join_name(&first, &last));
        (name, first, last)
    }

    pub(crate) fn company_name(&self, id: u32) -> String {
        if let Some(name) = self.companies.extra.get(&id).and_then(|e| e.name.clone()) {
            return name;
        }
        derive_company_name(self.seed, id)
    }

    pub(crate) fn task_text(&self, rec: &TaskRec) -> String {
        if let Some(text) = self.task_extra.get(&rec.id).and_then(|e| e.text.clone()) {
            return text;
        }
        let mut rng = Rng::new(self.seed, stream::TASK_TEXT, u64::from(rec.id));
        (*rng.pick(names::TASK_TEXTS)).to_owned()
    }

    pub(crate) fn task_result(&self, rec: &TaskRec) -> Option<String> {
        if let Some(result) = self.task_extra.get(&rec.id).and_then(|e| e.result.clone()) {
            return Some(result);
        }
        if !rec.completed {
            return None;
        }
        let mut rng = Rng::new(
            self.seed,
            stream::TASK_TEXT,
            u64::from(rec.id) ^ 0xFFFF_0000,
        );
        rng.percent(70)
            .then(|| (*rng.pick(names::TASK_RESULTS)).to_owned())
    }

    // ---- custom field values ----------------------------------------------------------

    /// An entity's custom field values: written ones if any write touched them, else derived.
    pub(crate) fn field_values(&self, kind: Kind, id: u32) -> Option<Vec<CustomFieldValues>> {
        let extra = match kind {
            Kind::Leads => self.leads.extra.get(&id),
            Kind::Contacts => self.contacts.extra.get(&id),
            Kind::Companies => self.companies.extra.get(&id),
        };
        if let Some(fields) = extra.and_then(|e| e.fields.clone()) {
            return if fields.is_empty() {
                None
            } else {
                Some(fields)
            };
        }
        let values = self.derive_fields(kind, id);
        if values.is_empty() {
            None
        } else {
            Some(values)
        }
    }

    fn derive_fields(&self, kind: Kind, id: u32) -> Vec<CustomFieldValues> {
        let mut out = Vec::new();
        self.draw_fields(kind, id, |_, field, drawn| {
            let values = drawn.values(field);
            if values.is_empty() {
                return;
            }
            out.push(CustomFieldValues {
                field_id: Some(field.def.id),
                field_name: Some(field.def.name.clone()),
                field_code: field.def.code.clone(),
                field_type: Some(field.kind.wire().to_owned()),
                values: Some(values),
                is_computed: Some(false),
            });
        });
        out
    }

    /// Draws the generated values of each field an entity has, in field order: what both
    /// the model and the page writer start from.
    pub(crate) fn draw_fields(
        &self,
        kind: Kind,
        id: u32,
        mut each: impl FnMut(usize, &FieldDef, Drawn),
    ) {
        let stream = match kind {
            Kind::Leads => stream::LEAD_FIELDS,
            Kind::Contacts => stream::CONTACT_FIELDS,
            Kind::Companies => stream::COMPANY_FIELDS,
        };
        for (n, field) in self.fields(kind).iter().enumerate() {
            // One stream per (entity, field): adding a field never changes the others.
            let mut rng = Rng::new(self.seed, stream, (u64::from(id) << 8) | n as u64);
            if !rng.percent(field.presence) {
                continue;
            }
            let drawn = self.draw_value(kind, id, field, &mut rng);
            if !drawn.is_empty() {
                each(n, field, drawn);
            }
        }
    }

    fn draw_value(&self, kind: Kind, id: u32, field: &FieldDef, rng: &mut Rng) -> Drawn {
        let enums = field.def.enums.as_deref().unwrap_or(&[]);
        let text = |v: String| CustomFieldValue {
            value: Some(Value::String(v)),
            enum_id: None,
            enum_code: None,
        };
        match field.kind {
            FieldKind::Checkbox => Drawn::Bool(rng.percent(50)),
            FieldKind::Numeric => Drawn::NumberText(rng.range(1, 500)),
            FieldKind::Date => {
                let ts = self.anchor - TWO_YEARS + rng.range(0, TWO_YEARS);
                Drawn::Number(ts - ts % 86_400)
            }
            FieldKind::Select => {
                let at = rng.index(enums.len().max(1));
                if at < enums.len() {
                    Drawn::Enum(at)
                } else {
                    Drawn::Nothing
                }
            }
            FieldKind::Multiselect => {
                let mut picked = Vec::new();
                for (i, _) in enums.iter().enumerate() {
                    if rng.percent(35) {
                        picked.push(i);
                    }
                }
                if picked.is_empty() && !enums.is_empty() {
                    picked.push(0);
                }
                match u64::try_from(enums.len()) {
                    Ok(len) if len <= 64 => {
                        Drawn::Enums(picked.iter().fold(0, |mask, i| mask | (1u64 << i)))
                    }
                    _ => Drawn::Values(
                        picked
                            .iter()
                            .map(|i| CustomFieldValue {
                                value: Some(Value::String(enums[*i].value.clone())),
                                enum_id: Some(enums[*i].id),
                                enum_code: None,
                            })
                            .collect(),
                    ),
                }
            }
            FieldKind::Url => match kind {
                Kind::Companies => Drawn::Values(vec![text(format!(
                    "https://www.{}.example/",
                    names::ascii_slug(&self.company_name(id))
                ))]),
                _ => Drawn::LandingPage(rng.below(40)),
            },
            FieldKind::Text | FieldKind::Textarea => match field.def.code.as_deref() {
                Some("POSITION") => Drawn::Text(rng.word(names::POSITIONS)),
                Some("ADDRESS") => {
                    let number = rng.range(1, 2000);
                    let street = rng.word(names::STREETS);
                    Drawn::Values(vec![text(format!("{number} {street}"))])
                }
                _ => Drawn::Text(rng.word(names::COMMENTS)),
            },
            FieldKind::Multitext => {
                let code = field.def.code.as_deref().unwrap_or("");
                let seed_locale = self.locale_of(kind, id);
                let mut out = Vec::new();
                let count = if rng.percent(20) { 2 } else { 1 };
                for n in 0..count {
                    let e = enums.get(if n == 0 {
                        0
                    } else {
                        rng.index(enums.len().max(1))
                    });
                    let value = if code == "EMAIL" {
                        let base = match kind {
                            Kind::Contacts => {
                                let (_, first, last) = self.contact_names(id);
                                format!(
                                    "{}.{}",
                                    names::ascii_slug(&first),
                                    names::ascii_slug(&last)
                                )
                            }
                            _ => "contato".to_owned(),
                        };
                        let domain = match kind {
                            Kind::Companies => {
                                format!("{}.example", names::ascii_slug(&self.company_name(id)))
                            }
                            _ => (*rng.pick(seed_locale.email_domains())).to_owned(),
                        };
                        if n == 0 {
                            format!("{base}@{domain}")
                        } else {
                            format!("{base}{}@{domain}", rng.below(100))
                        }
                    } else {
                        format!(
                            "{}{:08}",
                            seed_locale.phone_prefix(rng.next_u64()),
                            rng.below(100_000_000)
                        )
                    };
                    out.push(CustomFieldValue {
                        value: Some(Value::String(value)),
                        enum_id: e.map(|e| e.id),
                        enum_code: e.map(|e| e.value.clone()),
                    });
                }
                Drawn::Values(out)
            }
        }
    }

    pub(crate) fn locale_of(&self, kind: Kind, id: u32) -> Locale {
        let stream = match kind {
            Kind::Leads => stream::LEAD_NAME,
            Kind::Contacts => stream::CONTACT_NAME,
            Kind::Companies => stream::COMPANY_NAME,
        };
        Locale::from_draw(Rng::new(self.seed, stream, u64::from(id)).next_u64())
    }

    // ---- tags ---------------------------------------------------------------------------

    /// The tags on an entity, in dictionary order for generated ones.
    pub(crate) fn entity_tags(&self, kind: Kind, id: u32, packed: &[u16]) -> Vec<Tag> {
        let dict = self.kind_tags(kind);
        let extra = match kind {
            Kind::Leads => self.leads.extra.get(&id),
            Kind::Contacts => self.contacts.extra.get(&id),
            Kind::Companies => self.companies.extra.get(&id),
        };
        if let Some(ids) = extra.and_then(|e| e.tags.as_ref()) {
            return ids
                .iter()
                .filter_map(|tid| dict.iter().find(|t| t.id == *tid))
                .cloned()
                .collect();
        }
        packed
            .iter()
            .filter(|t| **t != 0)
            .filter_map(|t| dict.get(usize::from(*t) - 1))
            .cloned()
            .collect()
    }

    /// Contacts linked to a lead, main first.
    pub(crate) fn lead_contacts(&self, rec: &LeadRec) -> Vec<(u32, bool)> {
        if let Some(list) = self
            .leads
            .extra
            .get(&rec.id)
            .and_then(|e| e.contacts.clone())
        {
            return list;
        }
        if rec.contact_id != 0 {
            vec![(rec.contact_id, true)]
        } else {
            Vec::new()
        }
    }
}

pub(crate) fn join_name(first: &str, last: &str) -> String {
    match (first.is_empty(), last.is_empty()) {
        (false, false) => format!("{first} {last}"),
        (false, true) => first.to_owned(),
        _ => last.to_owned(),
    }
}

pub(crate) fn derive_person(seed: u64, stream: u64, id: u32) -> (String, String) {
    let mut rng = Rng::new(seed, stream, u64::from(id));
    let locale = Locale::from_draw(rng.next_u64());
    let first = *rng.pick(locale.first_names());
    let last = *rng.pick(locale.last_names());
    if locale != Locale::En && rng.percent(30) {
        let second = *rng.pick(locale.last_names());
        if second != last {
            return (first.to_owned(), format!("{last} {second}"));
        }
    }
    (first.to_owned(), last.to_owned())
}

pub(crate) fn derive_company_name(seed: u64, id: u32) -> String {
    let mut rng = Rng::new(seed, stream::COMPANY_NAME, u64::from(id));
    let locale = Locale::from_draw(rng.next_u64());
    format!(
        "{} {}",
        rng.pick(locale.company_words()),
        rng.pick(locale.company_kinds())
    )
}

pub(crate) fn derive_lead_name(seed: u64, id: u32) -> String {
    let mut name = String::with_capacity(40);
    lead_name_pieces(seed, id, |piece| name.push_str(piece));
    name
}

/// A generated lead's name, piece by piece, to whoever writes it.
pub(crate) fn lead_name_pieces(seed: u64, id: u32, mut piece: impl FnMut(&str)) {
    let mut rng = Rng::new(seed, stream::LEAD_NAME, u64::from(id));
    let locale = Locale::from_draw(rng.next_u64());
    let deal = rng.word(locale.deal_words());
    match rng.below(4) {
        0 => {
            piece(deal);
            piece(" ");
            piece(rng.word(locale.company_words()));
        }
        1 => {
            piece(deal);
            piece(" #");
            let mut digits = [0u8; 10];
            let mut at = digits.len();
            let mut n = id;
            loop {
                at -= 1;
                digits[at] = b'0' + (n % 10) as u8;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            piece(std::str::from_utf8(&digits[at..]).unwrap_or_default());
        }
        draw => {
            if draw == 3 {
                piece(deal);
                piece(" - ");
            }
            piece(rng.word(locale.first_names()));
            piece(" ");
            piece(rng.word(locale.last_names()));
        }
    }
}
