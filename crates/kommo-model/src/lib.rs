//! Kommo API v4 wire types: serde only, no I/O.
//!
//! These types are shared by the client (`kommo`), which reads them, and the simulator
//! (`kommo-sim`), which writes them, so both sides agree on one definition of the wire
//! format. Every example response in Kommo's reference pages is a test fixture here.
//!
//! Reading is tolerant: unknown fields are ignored, and a documented field that arrives
//! missing or `null` (as in `with=only_deleted` rows) takes its default instead of failing
//! the whole page. Writing skips every field left `None`, because Kommo treats an absent
//! field as "leave unchanged" and a `null` one as "clear".

mod account;
mod common;
mod company;
mod contact;
mod custom_field;
mod de;
mod event;
mod hal;
mod lead;
mod oauth;
mod pipeline;
mod problem;
pub mod query;
mod task;
mod user;

pub use account::{Account, AccountEmbedded, DatetimeSettings, TaskType, UsersGroup};
pub use common::{
    AddedEntity, ComplexAddResult, Link, LinkedCompany, LinkedContact, LinkedEntity, Links,
    LossReason, Source, Tag, TagRef, TagRequest, UpdatedEntity,
};
pub use company::{Company, CompanyEmbedded, CompanyRequest};
pub use contact::{Contact, ContactEmbedded, ContactRequest};
pub use custom_field::{
    CustomField, CustomFieldEnum, CustomFieldValue, CustomFieldValues, RequiredStatus,
};
pub use event::Event;
pub use hal::{BatchResponse, Collection, Entity};
pub use lead::{Lead, LeadEmbedded, LeadEmbeddedRequest, LeadRequest, SourceRef};
pub use oauth::{TokenGrant, TokenResponse};
pub use pipeline::{
    Pipeline, PipelineEmbedded, PipelineEmbeddedRequest, PipelineRequest, SYSTEM_STATUS_LOST,
    SYSTEM_STATUS_WON, Status, StatusDescription, StatusRequest,
};
pub use problem::{FieldError, Problem, ValidationErrors};
pub use task::{Task, TaskRequest, TaskResult};
pub use user::{Group, Role, User, UserEmbedded, UserRights};
