//! The seeded generator: a realistic account from a `SimConfig`, the same one for the same seed.
//!
//! Entities are generated in id order from per-entity random streams, timestamps spread over
//! the two years before the anchor (ids grow with creation time, as in Kommo), and only
//! fixed-size records are stored.

use std::collections::HashMap;

use kommo_model::{CustomField, CustomFieldEnum, Group, LossReason, Role, Source, Tag};

use crate::config::SimConfig;
use crate::fast::FieldFrag;
use crate::index::{Index, Links};
use crate::names::{self, Locale};
use crate::rng::{Rng, stream};
use crate::store::{
    Account, CompanyRec, ContactRec, EventKind, EventValue, FieldDef, FieldKind, Kind, LeadRec,
    PRICE_BY_ROBOT, PipelineRec, StatusRec, TWO_YEARS, Table, TaskRec, UserRec, derive_person,
};

const DAY: i64 = 86_400;
pub(crate) const LEAD_BASE: u32 = 20_000_001;
pub(crate) const CONTACT_BASE: u32 = 30_000_001;
pub(crate) const COMPANY_BASE: u32 = 50_000_001;
pub(crate) const TASK_BASE: u32 = 60_000_001;

/// The `i`-th of `n` creation times, spread evenly with jitter over [start, anchor).
fn spread(i: u32, n: u32, start: i64, rng: &mut Rng) -> u32 {
    let n = i64::from(n.max(1));
    let slot = TWO_YEARS / n;
    let at = start + i64::from(i) * TWO_YEARS / n + rng.range(0, slot.max(1));
    at as u32
}

pub(crate) fn generate(config: &SimConfig) -> Account {
    let seed = config.seed;
    let size = config.size;
    let anchor = config.anchor;
    let start = anchor - TWO_YEARS;
    let mut rng = Rng::new(seed, stream::ACCOUNT, 0);
    let account_id = 31_000_000 + rng.below(9_000_000) as i64;

    // Users, their groups and roles.
    let n_users = size.users.max(1);
    let n_groups = (1 + n_users as usize / 6).min(names::GROUP_NAMES.len());
    let groups: Vec<Group> = (0..n_groups)
        .map(|g| Group {
            id: if g == 0 { 0 } else { 350_000 + g as i64 },
            name: names::GROUP_NAMES[g].to_owned(),
            uuid: None,
        })
        .collect();
    let roles: Vec<Role> = ["Sales manager", "Team lead", "Marketing"]
        .iter()
        .enumerate()
        .map(|(i, name)| Role {
            id: 60_001 + i as i64,
            name: (*name).to_owned(),
            rights: None,
        })
        .collect();
    let user_base = 8_000_000 + rng.below(900_000) as u32;
    let users: Vec<UserRec> = (0..n_users)
        .map(|i| {
            let id = user_base + i * 7;
            let mut r = Rng::new(seed, stream::USER, u64::from(id));
            let (first, last) = derive_person(seed, stream::USER, id);
            let locale = Locale::from_draw(r.next_u64());
            let admin = i == 0;
            UserRec {
                id,
                name: format!("{first} {last}"),
                email: format!(
                    "{}.{}@{}.example",
                    names::ascii_slug(&first),
                    names::ascii_slug(&last),
                    config.subdomain
                ),
                lang: locale.lang().to_owned(),
                is_admin: admin || r.percent(10),
                is_active: admin || r.percent(90),
                group_id: if admin {
                    0
                } else {
                    groups[r.index(groups.len())].id
                },
                role_id: if admin || r.percent(30) {
                    None
                } else {
                    Some(roles[r.index(roles.len())].id)
                },
            }
        })
        .collect();
    let active_users: Vec<u32> = users.iter().filter(|u| u.is_active).map(|u| u.id).collect();

    // Pipelines and their stages.
    let mut next_status_id = 58_000_000 + (rng.below(1_000_000) as u32) * 4;
    let mut next_pipeline_id = 6_900_000 + rng.below(90_000) as u32 * 10;
    let mut pipelines = Vec::new();
    for p in 0..size.pipelines.clamp(1, 50) {
        let id = next_pipeline_id;
        next_pipeline_id += 4_200;
        let main = p == 0;
        let mut statuses = vec![StatusRec {
            id: next_status_id,
            name: "Incoming leads".to_owned(),
            sort: 10,
            is_editable: false,
            color: "#c1c1c1".to_owned(),
            kind: 1,
            descriptions: None,
        }];
        next_status_id += 4;
        let stages = if main { 5 } else { 3 + rng.below(4) as usize };
        let offset = if main {
            0
        } else {
            rng.index(names::STAGE_NAMES.len())
        };
        for s in 0..stages {
            statuses.push(StatusRec {
                id: next_status_id,
                name: names::STAGE_NAMES[(offset + s) % names::STAGE_NAMES.len()].to_owned(),
                sort: 20 + 10 * s as i64,
                is_editable: true,
                color: (*rng.pick(names::STATUS_COLORS)).to_owned(),
                kind: 0,
                descriptions: None,
            });
            next_status_id += 4;
        }
        statuses.push(system_status(142));
        statuses.push(system_status(143));
        pipelines.push(PipelineRec {
            id,
            name: if main {
                "Pipeline".to_owned()
            } else {
                names::PIPELINE_NAMES[p as usize % names::PIPELINE_NAMES.len()].to_owned()
            },
            sort: i64::from(p) + 1,
            is_main: main,
            is_unsorted_on: main || rng.percent(70),
            is_archive: false,
            statuses,
        });
    }

    let loss_reasons: Vec<LossReason> = names::LOSS_REASONS
        .iter()
        .enumerate()
        .map(|(i, name)| LossReason {
            id: 15_906_383 + i as i64 * 2,
            name: (*name).to_owned(),
            sort: 100_000 + i as i64 * 1000,
            created_at: start,
            updated_at: start,
        })
        .collect();
    let sources: Vec<Source> = names::SOURCES
        .iter()
        .enumerate()
        .map(|(i, (name, origin))| Source {
            id: 20_692_839 + i as i64,
            name: (*name).to_owned(),
            pipeline_id: Some(i64::from(pipelines[i % pipelines.len()].id)),
            external_id: Some(format!("{origin}-{}", i + 1)),
            default: Some(i == 0),
            origin_code: Some((*origin).to_owned()),
            services: Vec::new(),
        })
        .collect();

    let mut next_tag_id = 2_164;
    let mut tag_dict = |list: &[&str], rng: &mut Rng| -> Vec<Tag> {
        list.iter()
            .map(|name| {
                let id = next_tag_id;
                next_tag_id += 1;
                let color = rng
                    .percent(70)
                    .then(|| (*rng.pick(names::TAG_COLORS)).to_owned());
                Tag {
                    id,
                    name: (*name).to_owned(),
                    color,
                    request_id: None,
                }
            })
            .collect()
    };
    let tags = [
        tag_dict(names::LEAD_TAGS, &mut rng),
        tag_dict(names::CONTACT_TAGS, &mut rng),
        tag_dict(names::COMPANY_TAGS, &mut rng),
    ];

    let fields = field_definitions(account_id);

    // Companies.
    let n_companies = size.companies;
    let mut companies = Vec::with_capacity(n_companies as usize);
    for i in 0..n_companies {
        let id = COMPANY_BASE + i;
        let mut r = Rng::new(seed, stream::COMPANY, u64::from(id));
        let created = spread(i, n_companies, start, &mut r);
        let updated =
            created + r.range(0, (anchor - i64::from(created)).clamp(1, 120 * DAY)) as u32;
        let responsible = *r.pick(&active_users);
        companies.push(CompanyRec {
            id,
            created_at: created,
            updated_at: updated,
            closest_task_at: 0,
            responsible,
            created_by: if r.percent(10) { 0 } else { responsible },
            updated_by: if r.percent(15) { 0 } else { responsible },
            tags: packed_tags::<2>(&mut r, tags[2].len(), &[60, 30, 10]),
            flags: 0,
        });
    }

    // Contacts.
    let n_contacts = size.contacts;
    let mut contacts = Vec::with_capacity(n_contacts as usize);
    for i in 0..n_contacts {
        let id = CONTACT_BASE + i;
        let mut r = Rng::new(seed, stream::CONTACT, u64::from(id));
        let created = spread(i, n_contacts, start, &mut r);
        let updated = created + r.range(0, (anchor - i64::from(created)).clamp(1, 90 * DAY)) as u32;
        let responsible = *r.pick(&active_users);
        let company_id = if n_companies > 0 && r.percent(40) {
            COMPANY_BASE + r.below(u64::from(n_companies)) as u32
        } else {
            0
        };
        contacts.push(ContactRec {
            id,
            created_at: created,
            updated_at: updated,
            closest_task_at: 0,
            responsible,
            created_by: if r.percent(10) { 0 } else { responsible },
            updated_by: if r.percent(15) { 0 } else { responsible },
            company_id,
            tags: packed_tags::<2>(&mut r, tags[1].len(), &[65, 28, 7]),
            flags: 0,
        });
    }

    // Leads.
    let n_leads = size.leads;
    let mut leads = Vec::with_capacity(n_leads as usize);
    for i in 0..n_leads {
        let id = LEAD_BASE + i;
        let mut r = Rng::new(seed, stream::LEAD, u64::from(id));
        let created = spread(i, n_leads, start, &mut r);
        let age = anchor - i64::from(created);
        let p = if pipelines.len() == 1 || r.percent(60) {
            0
        } else {
            1 + r.index(pipelines.len() - 1)
        };
        let pipeline = &pipelines[p];
        let closed = r.percent((15 + age / DAY / 8).min(85) as u64);
        let status_id = if closed {
            if r.percent(40) { 142 } else { 143 }
        } else {
            let open: Vec<&StatusRec> = pipeline
                .statuses
                .iter()
                .filter(|s| s.id != 142 && s.id != 143)
                .collect();
            // Earlier stages hold more leads; the incoming stage only when it is on.
            let weights: Vec<u32> = open
                .iter()
                .enumerate()
                .map(|(n, s)| {
                    if s.kind == 1 {
                        if pipeline.is_unsorted_on { 6 } else { 0 }
                    } else {
                        40 / (n as u32 + 1) + 4
                    }
                })
                .collect();
            open[r.weighted(&weights)].id
        };
        let closed_at = if closed {
            created + r.range(3_600, age.clamp(3_601, 90 * DAY)) as u32
        } else {
            0
        };
        let last = created.max(closed_at);
        let updated = last + r.range(0, (anchor - i64::from(last)).clamp(1, 30 * DAY)) as u32;
        let price = if r.percent(12) {
            0
        } else {
            let v = 10f64.powf(2.0 + 3.0 * r.unit()) as u32;
            v - v % 10
        };
        let responsible = *r.pick(&active_users);
        let contact_id = if n_contacts > 0 && r.percent(85) {
            CONTACT_BASE + r.below(u64::from(n_contacts)) as u32
        } else {
            0
        };
        let contact_company = if contact_id != 0 {
            contacts[(contact_id - CONTACT_BASE) as usize].company_id
        } else {
            0
        };
        let company_id = if contact_company != 0 && r.percent(70) {
            contact_company
        } else if n_companies > 0 && r.percent(10) {
            COMPANY_BASE + r.below(u64::from(n_companies)) as u32
        } else {
            0
        };
        let loss_reason_id = if status_id == 143 && r.percent(75) {
            r.pick(&loss_reasons).id as u32
        } else {
            0
        };
        let source_id = if r.percent(35) {
            r.pick(&sources).id as u32
        } else {
            0
        };
        leads.push(LeadRec {
            id,
            created_at: created,
            updated_at: updated,
            closed_at,
            closest_task_at: 0,
            price,
            status_id,
            pipeline_id: pipeline.id,
            responsible,
            created_by: if r.percent(10) { 0 } else { responsible },
            updated_by: if r.percent(15) { 0 } else { responsible },
            loss_reason_id,
            source_id,
            company_id,
            contact_id,
            tags: packed_tags::<3>(&mut r, tags[0].len(), &[45, 30, 18, 7]),
            flags: if r.percent(5) { PRICE_BY_ROBOT } else { 0 },
        });
    }

    // Tasks, and the closest open task of each entity.
    let n_tasks = size.tasks;
    let mut tasks = Vec::with_capacity(n_tasks as usize);
    for i in 0..n_tasks {
        let id = TASK_BASE + i;
        let mut r = Rng::new(seed, stream::TASK, u64::from(id));
        let created = spread(i, n_tasks, start, &mut r);
        let (entity_type, entity_id) = match r.below(10) {
            0..=6 if n_leads > 0 => (1u8, LEAD_BASE + r.below(u64::from(n_leads)) as u32),
            7 | 8 if n_contacts > 0 => (2, CONTACT_BASE + r.below(u64::from(n_contacts)) as u32),
            _ if n_companies > 0 => (3, COMPANY_BASE + r.below(u64::from(n_companies)) as u32),
            _ => (0, 0),
        };
        let complete_till = created + r.range(3_600, 14 * DAY) as u32;
        let completed = if i64::from(complete_till) < anchor - DAY {
            r.percent(85)
        } else {
            r.percent(5)
        };
        let updated = if completed {
            (i64::from(complete_till) + r.range(0, 2 * DAY)).min(anchor) as u32
        } else {
            created
        };
        let task_type = match r.below(100) {
            0..=59 => 1,
            60..=84 => 2,
            _ => 3,
        };
        let responsible = *r.pick(&active_users);
        tasks.push(TaskRec {
            id,
            created_at: created,
            updated_at: updated.max(created),
            complete_till,
            responsible,
            created_by: if r.percent(20) { 0 } else { responsible },
            updated_by: responsible,
            entity_id,
            entity_type,
            task_type,
            completed,
            duration: if task_type == 2 { 3_600 } else { 0 },
        });
        if !completed {
            let slot = match entity_type {
                1 => leads
                    .get_mut((entity_id - LEAD_BASE) as usize)
                    .map(|l| &mut l.closest_task_at),
                2 => contacts
                    .get_mut((entity_id - CONTACT_BASE) as usize)
                    .map(|c| &mut c.closest_task_at),
                3 => companies
                    .get_mut((entity_id - COMPANY_BASE) as usize)
                    .map(|c| &mut c.closest_task_at),
                _ => None,
            };
            if let Some(slot) = slot
                && (*slot == 0 || *slot > complete_till)
            {
                *slot = complete_till;
            }
        }
    }

    // Link tables, keyed by position.
    let contact_leads = Links::build(
        contacts.len(),
        leads
            .iter()
            .filter(|l| l.contact_id != 0)
            .map(|l| (l.contact_id - CONTACT_BASE, l.id))
            .collect(),
    );
    let company_leads = Links::build(
        companies.len(),
        leads
            .iter()
            .filter(|l| l.company_id != 0)
            .map(|l| (l.company_id - COMPANY_BASE, l.id))
            .collect(),
    );
    let company_contacts = Links::build(
        companies.len(),
        contacts
            .iter()
            .filter(|c| c.company_id != 0)
            .map(|c| (c.company_id - COMPANY_BASE, c.id))
            .collect(),
    );

    let field_frags = fields.each_ref().map(|defs| FieldFrag::all(defs));
    let mut account = Account {
        seed,
        id: account_id,
        name: format!("{} CRM", capitalise(&config.subdomain)),
        subdomain: config.subdomain.clone(),
        created_at: start - 30 * DAY,
        anchor,
        users,
        groups,
        roles,
        pipelines,
        loss_reasons,
        sources,
        tags,
        fields,
        field_frags,
        leads: table(leads, LEAD_BASE + n_leads, |l| {
            (l.id, l.created_at, l.updated_at, false)
        }),
        contacts: table(contacts, CONTACT_BASE + n_contacts, |c| {
            (c.id, c.created_at, c.updated_at, false)
        }),
        companies: table(companies, COMPANY_BASE + n_companies, |c| {
            (c.id, c.created_at, c.updated_at, false)
        }),
        tasks: table(tasks, TASK_BASE + n_tasks, |t| {
            (t.id, t.created_at, t.updated_at, false)
        }),
        task_extra: HashMap::new(),
        contact_leads,
        company_leads,
        company_contacts,
        events: Vec::new(),
        next_status_id,
        next_pipeline_id,
        next_tag_id,
        dup_index: None,
    };
    generate_events(&mut account);
    account
}

fn table<R>(recs: Vec<R>, next_id: u32, key: impl Fn(&R) -> (u32, u32, u32, bool)) -> Table<R> {
    let index = Index::build(recs.iter().map(key));
    Table {
        recs,
        index,
        extra: HashMap::new(),
        next_id,
    }
}

/// The last 30 days of history as events: leads added, and leads closed.
fn generate_events(account: &mut Account) {
    let since = (account.anchor - 30 * DAY) as u32;
    let mut pending: Vec<(u32, u8, u32, EventKind, u32, EventValue, EventValue)> = Vec::new();
    for lead in &account.leads.recs {
        if lead.created_at >= since {
            pending.push((
                lead.created_at,
                0,
                lead.id,
                EventKind::LeadAdded,
                lead.created_by,
                EventValue::None,
                EventValue::None,
            ));
        }
        if lead.closed_at >= since && lead.closed_at != 0 {
            let first = account
                .pipeline(lead.pipeline_id)
                .map_or(0, PipelineRec::first_stage);
            pending.push((
                lead.closed_at,
                1,
                lead.id,
                EventKind::LeadStatusChanged,
                lead.responsible,
                EventValue::Status {
                    status_id: first,
                    pipeline_id: lead.pipeline_id,
                },
                EventValue::Status {
                    status_id: lead.status_id,
                    pipeline_id: lead.pipeline_id,
                },
            ));
        }
    }
    pending.sort_by_key(|e| (e.0, e.1, e.2));
    for (at, _, id, kind, by, before, after) in pending {
        account.push_event(kind, "lead", id, by, at, before, after);
    }
}

fn system_status(id: u32) -> StatusRec {
    let won = id == 142;
    StatusRec {
        id,
        name: if won { "Closed - won" } else { "Closed - lost" }.to_owned(),
        sort: if won { 10_000 } else { 11_000 },
        is_editable: false,
        color: if won { "#CCFF66" } else { "#D5D8DB" }.to_owned(),
        kind: 0,
        descriptions: None,
    }
}

/// Up to N tag indexes (+1) drawn by the weights of 0, 1, 2, ... tags.
fn packed_tags<const N: usize>(r: &mut Rng, dict: usize, weights: &[u32]) -> [u16; N] {
    let mut out = [0u16; N];
    if dict == 0 {
        return out;
    }
    let count = r.weighted(weights).min(N);
    let mut n = 0;
    while n < count {
        let t = (r.index(dict) + 1) as u16;
        if !out[..n].contains(&t) {
            out[n] = t;
            n += 1;
        } else if dict <= n {
            break;
        }
    }
    out[..n].sort_unstable();
    out
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

fn field_definitions(account_id: i64) -> [Vec<FieldDef>; 3] {
    let mut next_id = 184_994;
    let mut next_enum = 400_001;
    let mut make = |kind: Kind,
                    name: &str,
                    code: Option<&str>,
                    fk: FieldKind,
                    presence: u64,
                    options: &[&str],
                    sort: i64| {
        let id = next_id;
        next_id += 2;
        let enums = (!options.is_empty()).then(|| {
            options
                .iter()
                .enumerate()
                .map(|(i, value)| {
                    let id = next_enum;
                    next_enum += 1;
                    CustomFieldEnum {
                        id,
                        value: (*value).to_owned(),
                        sort: 500 + i as i64 * 2,
                    }
                })
                .collect()
        });
        let predefined = code.is_some();
        FieldDef {
            def: CustomField {
                id,
                name: name.to_owned(),
                code: code.map(str::to_owned),
                sort: sort * 10 + 500,
                field_type: fk.wire().to_owned(),
                entity_type: kind.path().to_owned(),
                is_predefined: predefined,
                is_deletable: !predefined,
                is_visible: true,
                is_required: false,
                is_api_only: false,
                group_id: None,
                required_statuses: Some(Vec::new()),
                enums,
                account_id: Some(account_id),
            },
            kind: fk,
            presence,
        }
    };
    let leads = vec![
        make(
            Kind::Leads,
            "Product",
            None,
            FieldKind::Select,
            60,
            names::PRODUCTS,
            1,
        ),
        make(
            Kind::Leads,
            "Services",
            None,
            FieldKind::Multiselect,
            30,
            names::PRODUCTS,
            2,
        ),
        make(Kind::Leads, "Budget", None, FieldKind::Numeric, 40, &[], 3),
        make(
            Kind::Leads,
            "Contract date",
            None,
            FieldKind::Date,
            25,
            &[],
            4,
        ),
        make(
            Kind::Leads,
            "Landing page",
            None,
            FieldKind::Url,
            20,
            &[],
            5,
        ),
        make(Kind::Leads, "Comment", None, FieldKind::Text, 30, &[], 6),
        make(Kind::Leads, "Sale", None, FieldKind::Checkbox, 50, &[], 7),
    ];
    let contacts = vec![
        make(
            Kind::Contacts,
            "Phone",
            Some("PHONE"),
            FieldKind::Multitext,
            85,
            &["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"],
            1,
        ),
        make(
            Kind::Contacts,
            "Email",
            Some("EMAIL"),
            FieldKind::Multitext,
            70,
            &["WORK", "PRIV", "OTHER"],
            2,
        ),
        make(
            Kind::Contacts,
            "Position",
            Some("POSITION"),
            FieldKind::Text,
            40,
            &[],
            3,
        ),
        make(
            Kind::Contacts,
            "Birthday",
            None,
            FieldKind::Date,
            15,
            &[],
            4,
        ),
        make(
            Kind::Contacts,
            "Preferred language",
            None,
            FieldKind::Select,
            50,
            &["Português", "Español", "English"],
            5,
        ),
        make(
            Kind::Contacts,
            "Newsletter",
            None,
            FieldKind::Checkbox,
            40,
            &[],
            6,
        ),
    ];
    let companies = vec![
        make(
            Kind::Companies,
            "Phone",
            Some("PHONE"),
            FieldKind::Multitext,
            70,
            &["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"],
            1,
        ),
        make(
            Kind::Companies,
            "Email",
            Some("EMAIL"),
            FieldKind::Multitext,
            50,
            &["WORK", "PRIV", "OTHER"],
            2,
        ),
        make(
            Kind::Companies,
            "Web",
            Some("WEB"),
            FieldKind::Url,
            60,
            &[],
            3,
        ),
        make(
            Kind::Companies,
            "Address",
            Some("ADDRESS"),
            FieldKind::Textarea,
            50,
            &[],
            4,
        ),
        make(
            Kind::Companies,
            "Industry",
            None,
            FieldKind::Select,
            60,
            names::INDUSTRIES,
            5,
        ),
        make(
            Kind::Companies,
            "Employees",
            None,
            FieldKind::Numeric,
            40,
            &[],
            6,
        ),
    ];
    [leads, contacts, companies]
}

#[cfg(test)]
mod tests {
    //! The generator's output, pinned: a hash of every record and of every rendered entity
    //! for a few seeds and sizes, recorded from the generator as it was before it was split
    //! per entity, so any change to the draws or their order shows here.

    use std::fmt::Write as _;

    use super::generate;
    use crate::config::{AccountSize, SimConfig};
    use crate::render::LeadWith;

    /// FNV-1a 64: stable across Rust versions, unlike `DefaultHasher`.
    struct Fnv(u64);

    impl Fnv {
        fn new() -> Self {
            Self(0xcbf2_9ce4_8422_2325)
        }

        fn bytes(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 ^= u64::from(*b);
                self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }

    impl std::fmt::Write for Fnv {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.bytes(s.as_bytes());
            Ok(())
        }
    }

    impl std::io::Write for Fnv {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The raw records (Debug) and every entity as the API renders it.
    fn account_hash(config: &SimConfig) -> u64 {
        let acc = generate(config);
        let mut h = Fnv::new();
        write!(h, "{acc:?}").unwrap();
        let base = "http://h";
        let all = LeadWith {
            contacts: true,
            loss_reason: true,
            source_id: true,
            price_by_robot: true,
            catalog_elements: true,
        };
        for l in &acc.leads.recs {
            serde_json::to_writer(&mut h, &acc.lead_model(l, all, base)).unwrap();
        }
        for c in &acc.contacts.recs {
            serde_json::to_writer(&mut h, &acc.contact_model(c, true, base)).unwrap();
        }
        for c in &acc.companies.recs {
            serde_json::to_writer(&mut h, &acc.company_model(c, true, true, base)).unwrap();
        }
        for t in &acc.tasks.recs {
            serde_json::to_writer(&mut h, &acc.task_model(t, base)).unwrap();
        }
        for p in &acc.pipelines {
            serde_json::to_writer(&mut h, &acc.pipeline_model(p, base)).unwrap();
        }
        for u in &acc.users {
            serde_json::to_writer(&mut h, &acc.user_model(u, true, true, base)).unwrap();
        }
        for e in &acc.events {
            serde_json::to_writer(&mut h, &acc.event_model(e, base)).unwrap();
        }
        h.0
    }

    #[test]
    fn the_same_seed_gives_the_same_account_byte_for_byte() {
        let odd = [
            AccountSize {
                leads: 300,
                contacts: 0,
                companies: 0,
                tasks: 200,
                users: 0,
                pipelines: 50,
            },
            AccountSize {
                leads: 0,
                contacts: 120,
                companies: 30,
                tasks: 90,
                users: 70,
                pipelines: 2,
            },
        ];
        let expected: [(u64, &str, u64); 18] = [
            (1, "0", 0xe985_e483_b3a3_0bd0),
            (1, "1", 0xba7d_9a2a_a2bb_8461),
            (1, "500", 0xede1_1a52_8e43_cbf8),
            (1, "5000", 0x34b5_67af_3398_0acf),
            (1, "odd0", 0x9a6b_0465_c05e_e4e2),
            (1, "odd1", 0x728a_51fb_fd87_dccf),
            (7, "0", 0xadc1_48d2_3aa3_9458),
            (7, "1", 0x8016_9915_fd5e_e77c),
            (7, "500", 0xa81a_e06b_fd95_1283),
            (7, "5000", 0x051a_2d61_1b13_88dd),
            (7, "odd0", 0xc3e8_a9db_2d84_7dad),
            (7, "odd1", 0xd059_4449_9655_ca45),
            (42, "0", 0x613c_0344_c122_8135),
            (42, "1", 0xcacc_8d6d_11fb_2140),
            (42, "500", 0xe684_e978_16b1_e37e),
            (42, "5000", 0x0afb_1115_15ef_71ec),
            (42, "odd0", 0xd110_dbdf_892c_5acd),
            (42, "odd1", 0x9496_8a46_042d_3f88),
        ];
        let mut got = String::new();
        for (seed, size, _) in expected {
            let size = match size {
                "odd0" => odd[0],
                "odd1" => odd[1],
                leads => AccountSize::for_leads(leads.parse().unwrap()),
            };
            let mut config = SimConfig::default().with_seed(seed);
            config.size = size;
            if seed == 7 {
                // Another history end and subdomain, which names and e-mails derive from.
                config.anchor = 1_600_000_000;
                config.subdomain = "otherco".to_owned();
            }
            writeln!(got, "{:#018x}", account_hash(&config)).unwrap();
        }
        let want: String = expected
            .iter()
            .map(|(_, _, hash)| format!("{hash:#018x}\n"))
            .collect();
        assert_eq!(got, want);
    }
}
