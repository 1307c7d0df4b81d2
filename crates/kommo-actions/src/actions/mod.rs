//! The actions, one file per Kommo entity; each action is an input type, its `Action`
//! declaration and its `execute`.

pub(crate) mod companies;
pub(crate) mod contacts;
pub(crate) mod custom_fields;
pub(crate) mod leads;
pub(crate) mod pipelines;
pub(crate) mod statuses;
pub(crate) mod tasks;
