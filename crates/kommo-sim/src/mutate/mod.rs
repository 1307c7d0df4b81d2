//! The mutation layer: every change to the account goes through here. The API's writes,
//! background activity and the control surface call the same functions, so records,
//! indexes, link tables and the event log stay in step whoever changes them. Events are
//! recorded in one place, [`Account::push_event`], and that is where webhooks will be sent
//! from: no writer can forget either.
//!
//! A write is checked whole before anything changes: each entity's `plan_*` turns a request
//! item into a plan with every reference resolved, or into errors tied to the item's
//! `request_id`; only when every item of a request passes is anything applied. One file per
//! entity; what they share (write time, the recorder, the side tables, checking a batch and
//! how a write is refused) is here.

use kommo_model::{
    CompanyRequest, ContactRequest, FieldError, LeadRequest, PipelineRequest, StatusRequest,
    TagRequest, TaskRequest,
};

use crate::state::unix_now;
use crate::store::{Account, DELETED, EventKind, EventRec, EventValue, Extra, Kind, Row, Table};

mod companies;
mod complex;
mod contacts;
mod fields;
pub(crate) mod leads;
pub(crate) mod pipelines;
mod tags;
mod tasks;

/// A lead's status is one of the closed ones.
pub(crate) fn is_closed(status: u32) -> bool {
    status == 142 || status == 143
}

/// The errors of one item of a write.
#[derive(Debug, Default)]
pub(crate) struct ItemErrors {
    pub(crate) errors: Vec<FieldError>,
}

impl ItemErrors {
    pub(crate) fn push(&mut self, code: &str, path: impl Into<String>, detail: impl Into<String>) {
        self.errors.push(FieldError {
            code: code.to_owned(),
            path: path.into(),
            detail: detail.into(),
        });
    }
}

/// Why a write changed nothing.
#[derive(Debug)]
pub(crate) enum Rejection {
    /// Items failed their checks: each failing item's `request_id` with its errors.
    Invalid(Vec<(String, ItemErrors)>),
    /// What the path names does not exist ("Pipeline", "Status").
    NotFound(&'static str),
    /// A rule of the account forbids it.
    Refused(&'static str),
}

/// What every write item carries: the `request_id` its answer and errors are tied to, and on
/// updates the `id` it changes.
pub(crate) trait Item {
    fn request_id(&self) -> Option<&String>;

    fn id(&self) -> Option<i64> {
        None
    }
}

macro_rules! items {
    (updates: $($update:ty),*; adds only: $($add:ty),*) => {
        $(
            impl Item for $update {
                fn request_id(&self) -> Option<&String> {
                    self.request_id.as_ref()
                }

                fn id(&self) -> Option<i64> {
                    self.id
                }
            }
        )*
        $(
            impl Item for $add {
                fn request_id(&self) -> Option<&String> {
                    self.request_id.as_ref()
                }
            }
        )*
    };
}

items!(
    updates: LeadRequest, ContactRequest, CompanyRequest, TaskRequest, StatusRequest;
    adds only: TagRequest, PipelineRequest
);

/// An item's `request_id`, or its position in the request when it gave none.
pub(crate) fn request_id(given: Option<&String>, index: usize) -> String {
    given.cloned().unwrap_or_else(|| index.to_string())
}

/// Checks every item before anything is written: their plans in item order, or the errors
/// of every failing item.
pub(crate) fn check_all<'a, I: Item, P>(
    items: &'a [I],
    mut check: impl FnMut(&'a I, &mut ItemErrors) -> P,
) -> Result<Vec<P>, Rejection> {
    let mut plans = Vec::with_capacity(items.len());
    let mut failed = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let mut errors = ItemErrors::default();
        let plan = check(item, &mut errors);
        if errors.errors.is_empty() {
            plans.push(plan);
        } else {
            failed.push((request_id(item.request_id(), i), errors));
        }
    }
    if failed.is_empty() {
        Ok(plans)
    } else {
        Err(Rejection::Invalid(failed))
    }
}

/// A timestamp of a write, or an error when it is none.
fn timestamp(v: Option<i64>, path: &str, errors: &mut ItemErrors) -> Option<u32> {
    let v = v?;
    match u32::try_from(v) {
        Ok(t) => Some(t),
        Err(_) => {
            errors.push(
                "InvalidType",
                path,
                "This value should be a Unix timestamp.",
            );
            None
        }
    }
}

/// A timestamp of a contact or company write: one that is none is ignored, as Kommo does.
fn loose_timestamp(v: Option<i64>) -> Option<u32> {
    v.and_then(|v| u32::try_from(v).ok())
}

impl Account {
    /// Write time: the wall clock, never before the generated history's end.
    pub(crate) fn write_now(&self) -> u32 {
        (unix_now() as u32).max(self.anchor as u32)
    }

    /// The event recorder: every change below records its events here, and webhooks will be
    /// sent from here. The generator's history enters the log here too, before anything
    /// could have subscribed to it.
    #[allow(clippy::too_many_arguments, reason = "one argument per event field")]
    pub(crate) fn push_event(
        &mut self,
        kind: EventKind,
        entity_type: &'static str,
        entity_id: u32,
        created_by: u32,
        created_at: u32,
        before: EventValue,
        after: EventValue,
    ) {
        let seq = self.events.last().map_or(1, |e| e.seq + 1);
        self.events.push(EventRec {
            seq,
            kind,
            entity_type,
            entity_id,
            created_by,
            created_at,
            before,
            after,
        });
    }

    /// Records a change that carries no values (added, deleted, restored, ...).
    fn record(&mut self, kind: EventKind, entity_type: &'static str, id: u32, by: u32, at: u32) {
        self.push_event(
            kind,
            entity_type,
            id,
            by,
            at,
            EventValue::None,
            EventValue::None,
        );
    }

    /// An add: every item checked by `plan`; when all pass, each created by `create` at one
    /// write time. The new ids in item order.
    fn add_all<'a, I: Item, P>(
        &mut self,
        items: &'a [I],
        user: u32,
        plan: impl Fn(&Self, &'a I, &mut ItemErrors) -> P,
        create: impl Fn(&mut Self, P, u32, u32) -> u32,
    ) -> Result<Vec<u32>, Rejection> {
        let plans = check_all(items, |item, errors| plan(self, item, errors))?;
        let now = self.write_now();
        Ok(plans
            .into_iter()
            .map(|p| create(self, p, user, now))
            .collect())
    }

    /// An update: every item's `id` must name a record `live` finds (`missing` is the error
    /// when not), and only then is the rest checked by `plan`; when all pass, each is
    /// applied by `apply` at one write time. Each id and new `updated_at`, in item order.
    fn update_all<I: Item, P>(
        &mut self,
        items: &[I],
        user: u32,
        missing: &str,
        live: impl Fn(&Self, u32) -> bool,
        plan: impl Fn(&Self, u32, &I, &mut ItemErrors) -> P,
        apply: impl Fn(&mut Self, u32, P, u32, u32) -> u32,
    ) -> Result<Vec<(u32, u32)>, Rejection> {
        let plans = check_all(items, |item, errors| {
            match item
                .id()
                .and_then(|id| u32::try_from(id).ok())
                .filter(|id| live(self, *id))
            {
                None => {
                    errors.push("NotFound", "id", missing);
                    None
                }
                Some(id) => Some((id, plan(self, id, item, errors))),
            }
        })?;
        let now = self.write_now();
        Ok(plans
            .into_iter()
            .flatten()
            .map(|(id, p)| (id, apply(self, id, p, user, now)))
            .collect())
    }

    /// The writable side table of an entity.
    pub(crate) fn extra_mut(&mut self, kind: Kind, id: u32) -> &mut Extra {
        match kind {
            Kind::Leads => self.leads.extra.entry(id).or_default(),
            Kind::Contacts => self.contacts.extra.entry(id).or_default(),
            Kind::Companies => self.companies.extra.entry(id).or_default(),
        }
    }

    /// A user named by a write; 0 means "nobody" where `zero_ok`.
    fn user_ref(
        &self,
        v: Option<i64>,
        zero_ok: bool,
        path: &str,
        errors: &mut ItemErrors,
    ) -> Option<u32> {
        let v = v?;
        if v == 0 && zero_ok {
            return Some(0);
        }
        match u32::try_from(v).ok().filter(|id| self.user(*id).is_some()) {
            Some(id) => Some(id),
            None => {
                errors.push("NotSupportedChoice", path, "User not found");
                None
            }
        }
    }
}

/// Edit stamps and restorable deletion, the same for every entity table.
impl<R: Row> Table<R> {
    fn is_live(&self, id: u32) -> bool {
        self.get(id).is_some_and(|r| r.flags() & DELETED == 0)
    }

    /// Sets `updated_at` / `updated_by`, keeping the order index in step.
    fn touch(&mut self, id: u32, by: u32, at: u32) {
        let Some(pos) = self.pos(id) else {
            return;
        };
        let rec = &mut self.recs[pos];
        let old = rec.updated_at();
        rec.stamp(by, at);
        if rec.flags() & DELETED == 0 {
            self.index.touch(id, old, at);
        }
    }

    /// Deletes a live record, keeping it restorable; false when there is none.
    fn delete(&mut self, id: u32, by: u32, at: u32) -> bool {
        let Some(rec) = self.get_mut(id) else {
            return false;
        };
        if rec.flags() & DELETED != 0 {
            return false;
        }
        let (created, old) = (rec.created_at(), rec.updated_at());
        *rec.flags_mut() |= DELETED;
        rec.stamp(by, at);
        self.index.mark_deleted(id, created, old);
        true
    }

    /// Restores a deleted record; false when there is none.
    fn restore(&mut self, id: u32, by: u32, at: u32) -> bool {
        let Some(rec) = self.get_mut(id) else {
            return false;
        };
        if rec.flags() & DELETED == 0 {
            return false;
        }
        *rec.flags_mut() &= !DELETED;
        rec.stamp(by, at);
        let created = rec.created_at();
        self.index.mark_restored(id, created, at);
        true
    }
}
