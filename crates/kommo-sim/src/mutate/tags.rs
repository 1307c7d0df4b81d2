//! Tag changes: the dictionaries of leads, contacts and companies grow by
//! `POST /api/v4/{entity}/tags` and by writes naming a tag that does not exist yet.

use kommo_model::{Tag, TagRef, TagRequest};

use super::{ItemErrors, Rejection, check_all, request_id};
use crate::store::{Account, Kind};

/// Tags of a contact or company write: `_embedded.tags` replaces, `tags_to_add` adds.
fn tags_of(embedded: Option<&serde_json::Value>, add: Option<&Vec<TagRef>>) -> Option<Vec<TagRef>> {
    embedded
        .and_then(|e| e.get("tags"))
        .and_then(|t| serde_json::from_value::<Vec<TagRef>>(t.clone()).ok())
        .or_else(|| add.cloned())
}

impl Account {
    /// `POST /api/v4/{entity}/tags`: adds every tag or none, each with its `request_id`.
    pub(crate) fn add_tags(
        &mut self,
        kind: Kind,
        items: &[TagRequest],
    ) -> Result<Vec<Tag>, Rejection> {
        check_all(items, |t, errors| {
            if t.name.trim().is_empty() {
                errors.push("NotBlank", "name", "This value should not be blank.");
            }
            if self
                .kind_tags(kind)
                .iter()
                .any(|x| x.name.eq_ignore_ascii_case(&t.name))
            {
                errors.push("Duplicate", "name", "A tag with this name already exists.");
            }
        })?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let color = t
                    .color
                    .as_ref()
                    .map(|c| c.trim_start_matches('#').to_uppercase());
                let id = self.create_tag(kind, &t.name, color.clone());
                Tag {
                    id,
                    name: t.name.clone(),
                    color,
                    request_id: Some(request_id(t.request_id.as_ref(), i)),
                }
            })
            .collect())
    }

    /// The tags a contact or company write sets, checked.
    pub(super) fn plan_entity_tags(
        &self,
        kind: Kind,
        embedded: Option<&serde_json::Value>,
        add: Option<&Vec<TagRef>>,
        prefix: &str,
        errors: &mut ItemErrors,
    ) -> Option<Vec<TagRef>> {
        let tags = tags_of(embedded, add);
        if let Some(t) = &tags {
            self.check_tags(kind, t, &format!("{prefix}_embedded.tags"), errors);
        }
        tags
    }

    /// Checks tag references: an id must exist in the kind's dictionary; a name may be new.
    pub(super) fn check_tags(
        &self,
        kind: Kind,
        tags: &[TagRef],
        path: &str,
        errors: &mut ItemErrors,
    ) {
        for (i, tag) in tags.iter().enumerate() {
            match (tag.id, tag.name.as_deref()) {
                (Some(id), _) if !self.kind_tags(kind).iter().any(|t| t.id == id) => {
                    errors.push(
                        "NotSupportedChoice",
                        format!("{path}.{i}.id"),
                        "Tag not found",
                    );
                }
                (None, None) | (None, Some("")) => errors.push(
                    "NotBlank",
                    format!("{path}.{i}"),
                    "Either a tag id or a name is required",
                ),
                _ => {}
            }
        }
    }

    /// Tag ids for references, creating unknown names in the dictionary.
    pub(super) fn resolve_tags(&mut self, kind: Kind, tags: &[TagRef]) -> Vec<i64> {
        let mut out = Vec::new();
        for tag in tags {
            let id = match (tag.id, tag.name.as_deref()) {
                (Some(id), _) => id,
                (None, Some(name)) => match self
                    .kind_tags(kind)
                    .iter()
                    .find(|t| t.name.eq_ignore_ascii_case(name))
                {
                    Some(t) => t.id,
                    None => self.create_tag(kind, name, None),
                },
                (None, None) => continue,
            };
            if !out.contains(&id) {
                out.push(id);
            }
        }
        out
    }

    fn create_tag(&mut self, kind: Kind, name: &str, color: Option<String>) -> i64 {
        let id = self.next_tag_id;
        self.next_tag_id += 1;
        self.tags[kind as usize].push(Tag {
            id,
            name: name.to_owned(),
            color,
            request_id: None,
        });
        id
    }

    /// The tag ids currently on an entity.
    pub(super) fn tag_ids(&self, kind: Kind, id: u32, packed: &[u16]) -> Vec<i64> {
        self.entity_tags(kind, id, packed)
            .iter()
            .map(|t| t.id)
            .collect()
    }
}
