//! The synced dictionaries as lookup tables: the names rows carry instead of bare ids.

use std::collections::HashMap;

use kommo_model::{LossReason, Pipeline, Role, Source, Tag, TaskType, UsersGroup};

/// Names by id, from the dictionaries synced at the start of a run.
#[derive(Debug, Clone, Default)]
pub struct Dictionaries {
    loss_reasons: HashMap<i64, String>,
    sources: HashMap<i64, String>,
    pipelines: HashMap<i64, String>,
    /// Keyed by (pipeline id, status id): the system statuses 142 and 143 share their id
    /// across pipelines but may be named per pipeline.
    statuses: HashMap<(i64, i64), String>,
    lead_tags: HashMap<i64, Tag>,
    contact_tags: HashMap<i64, Tag>,
    company_tags: HashMap<i64, Tag>,
    task_types: HashMap<i64, String>,
    groups: HashMap<i64, String>,
    roles: HashMap<i64, String>,
}

impl Dictionaries {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_pipelines(&mut self, pipelines: &[Pipeline]) {
        self.pipelines = pipelines.iter().map(|p| (p.id, p.name.clone())).collect();
        self.statuses = pipelines
            .iter()
            .flat_map(|p| {
                p.embedded
                    .statuses
                    .iter()
                    .map(move |s| ((p.id, s.id), s.name.clone()))
            })
            .collect();
    }

    pub fn set_loss_reasons(&mut self, reasons: &[LossReason]) {
        self.loss_reasons = reasons.iter().map(|r| (r.id, r.name.clone())).collect();
    }

    pub fn set_sources(&mut self, sources: &[Source]) {
        self.sources = sources.iter().map(|s| (s.id, s.name.clone())).collect();
    }

    pub fn set_lead_tags(&mut self, tags: &[Tag]) {
        self.lead_tags = tags.iter().map(|t| (t.id, t.clone())).collect();
    }

    pub fn set_contact_tags(&mut self, tags: &[Tag]) {
        self.contact_tags = tags.iter().map(|t| (t.id, t.clone())).collect();
    }

    pub fn set_company_tags(&mut self, tags: &[Tag]) {
        self.company_tags = tags.iter().map(|t| (t.id, t.clone())).collect();
    }

    pub fn set_task_types(&mut self, types: &[TaskType]) {
        self.task_types = types.iter().map(|t| (t.id, t.name.clone())).collect();
    }

    pub fn set_groups(&mut self, groups: &[UsersGroup]) {
        self.groups = groups.iter().map(|g| (g.id, g.name.clone())).collect();
    }

    pub fn set_roles(&mut self, roles: &[Role]) {
        self.roles = roles.iter().map(|r| (r.id, r.name.clone())).collect();
    }

    pub fn loss_reason(&self, id: i64) -> Option<&str> {
        self.loss_reasons.get(&id).map(String::as_str)
    }

    pub fn source(&self, id: i64) -> Option<&str> {
        self.sources.get(&id).map(String::as_str)
    }

    pub fn pipeline(&self, id: i64) -> Option<&str> {
        self.pipelines.get(&id).map(String::as_str)
    }

    pub fn status(&self, pipeline_id: i64, status_id: i64) -> Option<&str> {
        self.statuses
            .get(&(pipeline_id, status_id))
            .map(String::as_str)
    }

    pub fn group(&self, id: i64) -> Option<&str> {
        self.groups.get(&id).map(String::as_str)
    }

    pub fn role(&self, id: i64) -> Option<&str> {
        self.roles.get(&id).map(String::as_str)
    }

    /// A task type's name (the account's task types, `with=task_types`).
    pub fn task_type(&self, id: i64) -> Option<&str> {
        self.task_types.get(&id).map(String::as_str)
    }

    pub(crate) fn lead_tags(&self) -> &HashMap<i64, Tag> {
        &self.lead_tags
    }

    pub(crate) fn contact_tags(&self) -> &HashMap<i64, Tag> {
        &self.contact_tags
    }

    pub(crate) fn company_tags(&self) -> &HashMap<i64, Tag> {
        &self.company_tags
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_resolve_per_pipeline() {
        let pipelines: kommo_model::Collection<Pipeline> = serde_json::from_str(include_str!(
            "../../../kommo-model/tests/fixtures/pipelines-list.json"
        ))
        .unwrap();
        let mut d = Dictionaries::new();
        d.set_pipelines(&pipelines.items);
        assert_eq!(d.pipeline(6950551), Some("Pipeline"));
        assert_eq!(d.status(6950551, 58141807), Some("Initial contact"));
        assert_eq!(d.status(6950551, 142), Some("Closed - won"));
        assert_eq!(d.status(1, 58141807), None);
    }

    #[test]
    fn names_resolve_by_id() {
        let mut d = Dictionaries::new();
        d.set_loss_reasons(&[LossReason {
            id: 15906383,
            name: "Insufficient budget".into(),
            sort: 1,
            created_at: 0,
            updated_at: 0,
        }]);
        d.set_roles(&[Role {
            id: 3,
            name: "Sales".into(),
            rights: None,
        }]);
        d.set_groups(&[UsersGroup {
            id: 4,
            name: "North".into(),
            uuid: None,
        }]);
        assert_eq!(d.loss_reason(15906383), Some("Insufficient budget"));
        assert_eq!(d.role(3), Some("Sales"));
        assert_eq!(d.group(4), Some("North"));
        assert_eq!(d.source(1), None);
    }
}
