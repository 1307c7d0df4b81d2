//! Dictionaries (loss reasons, sources, tags, groups, roles, pipelines): lookups for names.

pub mod flatten;

pub use flatten::Dictionaries;
