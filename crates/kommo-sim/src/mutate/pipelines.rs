//! Pipeline and status changes, with Kommo's rules: system statuses 142 / 143 (and incoming
//! leads) in every pipeline, at most 50 pipelines and 100 statuses each, the last pipeline or
//! one holding leads cannot be deleted, deleting a status moves its leads to the first stage.

use kommo_model::{PipelineRequest, StatusDescription, StatusRequest};

use super::{ItemErrors, Rejection, check_all};
use crate::names::STATUS_COLORS;
use crate::store::{Account, DELETED, PipelineRec, StatusRec};

pub(crate) const MAX_PIPELINES: usize = 50;
pub(crate) const MAX_STATUSES: usize = 100;

fn color_ok(color: &str) -> bool {
    STATUS_COLORS.iter().any(|c| c.eq_ignore_ascii_case(color))
        || ["#c1c1c1", "#ccff66", "#d5d8db"].contains(&color.to_lowercase().as_str())
}

/// One item's errors as the whole answer: edits name a single pipeline or status.
fn invalid_one(errors: ItemErrors) -> Rejection {
    Rejection::Invalid(vec![("0".to_owned(), errors)])
}

/// A request of `count` items went over a limit: tied to its last item, as Kommo does.
fn over_limit(count: usize, detail: String) -> Rejection {
    let mut errors = ItemErrors::default();
    errors.push("LimitExceeded", "", detail);
    Rejection::Invalid(vec![(count.saturating_sub(1).to_string(), errors)])
}

fn check_descriptions(descriptions: Option<&[StatusDescription]>, errors: &mut ItemErrors) {
    let Some(list) = descriptions else { return };
    if list.len() > 3 {
        errors.push("LimitExceeded", "descriptions", "At most 3 descriptions.");
    }
    let mut seen = Vec::new();
    for (i, d) in list.iter().enumerate() {
        if !["newbie", "candidate", "master"].contains(&d.level.as_str()) {
            errors.push(
                "NotSupportedChoice",
                format!("descriptions.{i}.level"),
                "Level must be newbie, candidate or master.",
            );
        }
        if seen.contains(&d.level) {
            errors.push(
                "Duplicate",
                format!("descriptions.{i}.level"),
                "Each level may be described once.",
            );
        }
        seen.push(d.level.clone());
        if d.description.chars().count() > 1000 {
            errors.push(
                "InvalidLength",
                format!("descriptions.{i}.description"),
                "At most 1000 characters.",
            );
        }
    }
}

fn check_pipeline(item: &PipelineRequest, errors: &mut ItemErrors) {
    if item.name.as_deref().is_none_or(str::is_empty) {
        errors.push("NotBlank", "name", "This value should not be blank.");
    }
    if item.sort.is_none() {
        errors.push("NotBlank", "sort", "This value should not be blank.");
    }
    if item.is_main.is_none() {
        errors.push("NotBlank", "is_main", "This value should not be blank.");
    }
    if item.is_unsorted_on.is_none() {
        errors.push(
            "NotBlank",
            "is_unsorted_on",
            "This value should not be blank.",
        );
    }
    let statuses = item
        .embedded
        .as_ref()
        .map(|e| e.statuses.as_slice())
        .unwrap_or(&[]);
    let custom = statuses
        .iter()
        .filter(|s| !matches!(s.id, Some(142 | 143)))
        .count();
    if custom + 3 > MAX_STATUSES {
        errors.push(
            "LimitExceeded",
            "_embedded.statuses",
            format!("A pipeline has at most {MAX_STATUSES} statuses, system ones included."),
        );
    }
    for (j, s) in statuses.iter().enumerate() {
        if matches!(s.id, Some(id) if id != 142 && id != 143) {
            errors.push(
                "NotSupportedChoice",
                format!("_embedded.statuses.{j}.id"),
                "Only the system statuses 142 and 143 may be named by id.",
            );
        }
        if s.name.as_deref().is_none_or(str::is_empty) {
            errors.push(
                "NotBlank",
                format!("_embedded.statuses.{j}.name"),
                "This value should not be blank.",
            );
        }
        if s.color.as_deref().is_some_and(|c| !color_ok(c)) {
            errors.push(
                "NotSupportedChoice",
                format!("_embedded.statuses.{j}.color"),
                "The value you selected is not a valid choice.",
            );
        }
    }
}

fn check_status(item: &StatusRequest, errors: &mut ItemErrors) {
    if item.name.as_deref().is_none_or(str::is_empty) {
        errors.push("NotBlank", "name", "This value should not be blank.");
    }
    if item.sort.is_none() {
        errors.push("NotBlank", "sort", "This value should not be blank.");
    }
    if item.color.as_deref().is_some_and(|c| !color_ok(c)) {
        errors.push(
            "NotSupportedChoice",
            "color",
            "The value you selected is not a valid choice.",
        );
    }
    check_descriptions(item.descriptions.as_deref(), errors);
}

impl Account {
    fn new_status_id(&mut self) -> u32 {
        let id = self.next_status_id;
        self.next_status_id += 4;
        id
    }

    /// Leads (live or deleted) in a pipeline, optionally in one status.
    fn leads_in(&self, pipeline: u32, status: Option<u32>) -> Vec<u32> {
        self.leads
            .recs
            .iter()
            .filter(|l| l.pipeline_id == pipeline && status.is_none_or(|s| l.status_id == s))
            .map(|l| l.id)
            .collect()
    }

    /// Where the pipeline a path names is; `None` is a path id that is no number.
    fn pipeline_at(&self, id: Option<u32>) -> Result<usize, Rejection> {
        id.and_then(|id| self.pipelines.iter().position(|p| p.id == id))
            .ok_or(Rejection::NotFound("Pipeline"))
    }

    /// Where a status of a pipeline is: (pipeline, status) positions.
    fn status_at(
        &self,
        pipeline: Option<u32>,
        status: Option<u32>,
    ) -> Result<(usize, usize), Rejection> {
        let pos = self.pipeline_at(pipeline)?;
        let spos = status
            .and_then(|sid| {
                self.pipelines[pos]
                    .statuses
                    .iter()
                    .position(|s| s.id == sid)
            })
            .ok_or(Rejection::NotFound("Status"))?;
        Ok((pos, spos))
    }

    /// `POST /api/v4/leads/pipelines`: adds every pipeline or none; each as it was added.
    pub(crate) fn add_pipelines(
        &mut self,
        items: &[PipelineRequest],
    ) -> Result<Vec<PipelineRec>, Rejection> {
        check_all(items, check_pipeline)?;
        if self.pipelines.len() + items.len() > MAX_PIPELINES {
            return Err(over_limit(
                items.len(),
                format!("An account has at most {MAX_PIPELINES} pipelines."),
            ));
        }
        let mut out = Vec::new();
        for item in items {
            let id = self.next_pipeline_id;
            self.next_pipeline_id += 4_200;
            let is_main = item.is_main.unwrap_or(false);
            if is_main {
                for p in &mut self.pipelines {
                    p.is_main = false;
                }
            }
            let mut statuses = vec![StatusRec::incoming(self.new_status_id())];
            let mut given: Vec<StatusRequest> = item
                .embedded
                .as_ref()
                .map(|e| e.statuses.clone())
                .unwrap_or_default();
            let (mut won, mut lost) = (None, None);
            given.retain(|s| match s.id {
                Some(142) => {
                    won = s.name.clone().or(won.take());
                    false
                }
                Some(143) => {
                    lost = s.name.clone().or(lost.take());
                    false
                }
                _ => true,
            });
            given.sort_by_key(|s| s.sort.unwrap_or(i64::MAX));
            for (n, s) in given.into_iter().enumerate() {
                statuses.push(StatusRec {
                    id: self.new_status_id(),
                    name: s.name.unwrap_or_default(),
                    sort: 20 + 10 * n as i64,
                    is_editable: true,
                    color: s.color.unwrap_or_else(|| "#99ccff".to_owned()),
                    kind: 0,
                    descriptions: s.descriptions,
                });
            }
            statuses.push(StatusRec::closed(142, won));
            statuses.push(StatusRec::closed(143, lost));
            let rec = PipelineRec {
                id,
                name: item.name.clone().unwrap_or_default(),
                sort: item.sort.unwrap_or(0),
                is_main,
                is_unsorted_on: item.is_unsorted_on.unwrap_or(true),
                is_archive: false,
                statuses,
            };
            out.push(rec.clone());
            self.pipelines.push(rec);
        }
        self.pipelines.sort_by_key(|p| (p.sort, p.id));
        Ok(out)
    }

    /// `PATCH /api/v4/leads/pipelines/{id}`: the pipeline as edited.
    pub(crate) fn edit_pipeline(
        &mut self,
        id: Option<u32>,
        req: &PipelineRequest,
    ) -> Result<PipelineRec, Rejection> {
        let pos = self.pipeline_at(id)?;
        if req.name.is_none()
            && req.sort.is_none()
            && req.is_main.is_none()
            && req.is_unsorted_on.is_none()
        {
            return Err(Rejection::Refused(
                "At least one of name, sort, is_main, is_unsorted_on must be given",
            ));
        }
        if req.name.as_deref() == Some("") {
            let mut errors = ItemErrors::default();
            errors.push("NotBlank", "name", "This value should not be blank.");
            return Err(invalid_one(errors));
        }
        if req.is_main == Some(false) && self.pipelines[pos].is_main {
            return Err(Rejection::Refused(
                "The main pipeline cannot be unset; make another pipeline main instead",
            ));
        }
        if req.is_main == Some(true) {
            for p in &mut self.pipelines {
                p.is_main = false;
            }
        }
        let p = &mut self.pipelines[pos];
        if let Some(name) = &req.name {
            p.name = name.clone();
        }
        if let Some(sort) = req.sort {
            p.sort = sort;
        }
        if let Some(main) = req.is_main {
            p.is_main = main;
        }
        if let Some(on) = req.is_unsorted_on {
            p.is_unsorted_on = on;
        }
        let p = p.clone();
        self.pipelines.sort_by_key(|p| (p.sort, p.id));
        Ok(p)
    }

    /// `DELETE /api/v4/leads/pipelines/{id}`: not the last pipeline, nor one holding leads.
    pub(crate) fn delete_pipeline(&mut self, id: Option<u32>) -> Result<(), Rejection> {
        let pos = self.pipeline_at(id)?;
        if self.pipelines.len() == 1 {
            return Err(Rejection::Refused(
                "The last pipeline of the account cannot be deleted",
            ));
        }
        let pid = self.pipelines[pos].id;
        if !self.leads_in(pid, None).is_empty() {
            return Err(Rejection::Refused(
                "A pipeline that still has leads cannot be deleted",
            ));
        }
        let was_main = self.pipelines.remove(pos).is_main;
        if was_main && let Some(first) = self.pipelines.first_mut() {
            first.is_main = true;
        }
        Ok(())
    }

    /// `POST /api/v4/leads/pipelines/{id}/statuses`: adds every status or none, after the
    /// pipeline's last stage in the order of their `sort`. The pipeline, and each added
    /// status with its item's position in the request, in that order.
    pub(crate) fn add_statuses(
        &mut self,
        pipeline: Option<u32>,
        items: &[StatusRequest],
    ) -> Result<(PipelineRec, Vec<(usize, StatusRec)>), Rejection> {
        let pos = self.pipeline_at(pipeline)?;
        check_all(items, check_status)?;
        if self.pipelines[pos].statuses.len() + items.len() > MAX_STATUSES {
            return Err(over_limit(
                items.len(),
                format!("A pipeline has at most {MAX_STATUSES} statuses, system ones included."),
            ));
        }
        let mut order: Vec<(usize, &StatusRequest)> = items.iter().enumerate().collect();
        order.sort_by_key(|(_, s)| s.sort.unwrap_or(0));
        let mut next_sort = self.pipelines[pos]
            .statuses
            .iter()
            .filter(|s| s.id != 142 && s.id != 143)
            .map(|s| s.sort)
            .max()
            .unwrap_or(10)
            + 10;
        let mut out = Vec::new();
        for (i, item) in order {
            let rec = StatusRec {
                id: self.new_status_id(),
                name: item.name.clone().unwrap_or_default(),
                sort: next_sort,
                is_editable: true,
                color: item.color.clone().unwrap_or_else(|| "#99ccff".to_owned()),
                kind: 0,
                descriptions: item.descriptions.clone(),
            };
            next_sort += 10;
            out.push((i, rec.clone()));
            self.pipelines[pos].statuses.push(rec);
        }
        self.pipelines[pos].sort_statuses();
        Ok((self.pipelines[pos].clone(), out))
    }

    /// `PATCH /api/v4/leads/pipelines/{id}/statuses/{status}`: the pipeline and the status as
    /// edited. System statuses cannot be edited.
    pub(crate) fn edit_status(
        &mut self,
        pipeline: Option<u32>,
        status: Option<u32>,
        req: &StatusRequest,
    ) -> Result<(PipelineRec, StatusRec), Rejection> {
        let (pos, spos) = self.status_at(pipeline, status)?;
        if req.name.is_none()
            && req.sort.is_none()
            && req.color.is_none()
            && req.descriptions.is_none()
        {
            return Err(Rejection::Refused(
                "At least one of name, sort, color must be given",
            ));
        }
        let mut errors = ItemErrors::default();
        if !self.pipelines[pos].statuses[spos].is_editable {
            errors.push("NotEditable", "id", "This status cannot be edited.");
        }
        if req.name.as_deref() == Some("") {
            errors.push("NotBlank", "name", "This value should not be blank.");
        }
        if req.color.as_deref().is_some_and(|c| !color_ok(c)) {
            errors.push(
                "NotSupportedChoice",
                "color",
                "The value you selected is not a valid choice.",
            );
        }
        check_descriptions(req.descriptions.as_deref(), &mut errors);
        if !errors.errors.is_empty() {
            return Err(invalid_one(errors));
        }
        let s = &mut self.pipelines[pos].statuses[spos];
        if let Some(name) = &req.name {
            s.name = name.clone();
        }
        if let Some(sort) = req.sort {
            s.sort = sort;
        }
        if let Some(color) = &req.color {
            s.color = color.clone();
        }
        if let Some(d) = &req.descriptions {
            s.descriptions = Some(d.clone());
        }
        let s = s.clone();
        self.pipelines[pos].sort_statuses();
        Ok((self.pipelines[pos].clone(), s))
    }

    /// `DELETE /api/v4/leads/pipelines/{id}/statuses/{status}`: its leads move to the
    /// pipeline's first stage. Not a system status, nor a pipeline's last stage.
    pub(crate) fn delete_status(
        &mut self,
        pipeline: Option<u32>,
        status: Option<u32>,
        by: u32,
    ) -> Result<(), Rejection> {
        let (pos, spos) = self.status_at(pipeline, status)?;
        let status = self.pipelines[pos].statuses[spos].clone();
        if !status.is_editable {
            return Err(Rejection::Refused(
                "System statuses (incoming leads, 142, 143) cannot be deleted",
            ));
        }
        let open = self.pipelines[pos]
            .statuses
            .iter()
            .filter(|s| s.is_editable)
            .count();
        if open <= 1 {
            return Err(Rejection::Refused(
                "The last stage of a pipeline cannot be deleted",
            ));
        }
        self.pipelines[pos].statuses.remove(spos);
        let pipeline = self.pipelines[pos].id;
        let first = self.pipelines[pos].first_stage();
        let now = self.write_now();
        for lead in self.leads_in(pipeline, Some(status.id)) {
            if self.leads.get(lead).is_some_and(|l| l.flags & DELETED != 0) {
                // A deleted lead keeps no history: it only follows its stage.
                if let Some(l) = self.leads.get_mut(lead) {
                    l.status_id = first;
                }
            } else {
                self.move_lead(lead, pipeline, first, by, now);
            }
        }
        Ok(())
    }
}
