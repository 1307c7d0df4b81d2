//! A Kommo lead event as what the store keeps of it: a `lead_status_changes` row for a real
//! status change, a life event for `lead_added` / `lead_deleted` / `lead_restored` (an added
//! event's after, when it has one, is the stage the lead was created in).

use kommo_model::Event;
use kommo_store::rows::LeadStatusChangeRow;
use kommo_store::{LeadLifeEvent, LifeKind};
use serde_json::Value;

use crate::flatten::FlattenContext;

/// The event types the funnel history reads (`filter[type]`).
pub const EVENT_TYPES: [&str; 4] = [
    "lead_added",
    "lead_status_changed",
    "lead_deleted",
    "lead_restored",
];

/// What one event becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum LeadEvent {
    Change(Box<LeadStatusChangeRow>),
    Life(LeadLifeEvent),
}

/// The `(pipeline_id, status_id)` of a `lead_status_changed` value:
/// `[{"lead_status": {"id": 143, "pipeline_id": 7670334}}]` (numbers or numeric strings).
fn lead_status(value: &Value) -> Option<(i64, i64)> {
    let number = |v: &Value| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    };
    let status = value
        .as_array()
        .and_then(|items| items.iter().find_map(|i| i.get("lead_status")))
        .or_else(|| value.get("lead_status"))?;
    Some((
        number(status.get("pipeline_id")?)?,
        number(status.get("id")?)?,
    ))
}

/// Flattens one event; `None` for an event that is not a lead's, of another type, without
/// a readable after, or whose before equals its after (no change at all).
pub fn lead_event(event: &Event, ctx: &FlattenContext<'_>) -> Option<LeadEvent> {
    if event.entity_type != "lead" || event.entity_id == 0 || event.id.is_empty() {
        return None;
    }
    let life = |kind, stage| {
        Some(LeadEvent::Life(LeadLifeEvent {
            event_id: event.id.clone(),
            lead_id: event.entity_id,
            kind,
            at: event.created_at,
            stage,
        }))
    };
    match event.kind.as_str() {
        "lead_added" => life(LifeKind::Added, lead_status(&event.value_after)),
        "lead_deleted" => life(LifeKind::Deleted, None),
        "lead_restored" => life(LifeKind::Restored, None),
        "lead_status_changed" => {
            let after = lead_status(&event.value_after)?;
            let before = lead_status(&event.value_before);
            if before == Some(after) {
                return None;
            }
            let d = ctx.dictionaries;
            let name = |stage: Option<(i64, i64)>| {
                stage.map_or((None, None), |(p, s)| {
                    (
                        d.pipeline(p).map(str::to_owned),
                        d.status(p, s).map(str::to_owned),
                    )
                })
            };
            let (pipeline_name_before, status_name_before) = name(before);
            let (pipeline_name_after, status_name_after) = name(Some(after));
            Some(LeadEvent::Change(Box::new(LeadStatusChangeRow {
                event_id: event.id.clone(),
                lead_id: event.entity_id,
                pipeline_id_before: before.map(|b| b.0),
                status_id_before: before.map(|b| b.1),
                pipeline_id_after: after.0,
                status_id_after: after.1,
                pipeline_name_before,
                status_name_before,
                pipeline_name_after,
                status_name_after,
                changed_at: event.created_at,
                changed_by: Some(event.created_by),
                tenancy: ctx.tenancy.clone(),
                document_id: String::new(),
                inserted_at: ctx.inserted_at,
            })))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dictionaries::Dictionaries;
    use kommo_store::rows::RowTenancy;

    /// The payload captured from Kommo (`shared/research/kommo-api-facts.md`, "Events").
    const CAPTURED: &str = r#"{"id":"01kysdbvsnt5n43xgp5hmp2k77","type":"lead_status_changed","entity_id":34079577,"entity_type":"lead",
 "created_by":11121254,"created_at":1785411792,"account_id":1,
 "value_after":[{"lead_status":{"id":143,"pipeline_id":7670334}}],
 "value_before":[{"lead_status":{"id":63384122,"pipeline_id":7670334}}],
 "_embedded":{"entity":{"id":34079577}}}"#;

    fn flatten(json: &str) -> Option<LeadEvent> {
        let event: Event = serde_json::from_str(json).unwrap();
        let tenancy = RowTenancy {
            integration_id: "i".into(),
            workspace_id: "w".into(),
            organization_id: "o".into(),
        };
        let dictionaries = Dictionaries::default();
        let ctx = FlattenContext {
            tenancy: &tenancy,
            inserted_at: 0,
            dictionaries: &dictionaries,
        };
        lead_event(&event, &ctx)
    }

    #[test]
    fn a_captured_status_change_becomes_a_row() {
        let Some(LeadEvent::Change(row)) = flatten(CAPTURED) else {
            panic!("not a change");
        };
        assert_eq!(row.event_id, "01kysdbvsnt5n43xgp5hmp2k77");
        assert_eq!(row.lead_id, 34079577);
        assert_eq!(
            (row.pipeline_id_before, row.status_id_before),
            (Some(7670334), Some(63384122))
        );
        assert_eq!((row.pipeline_id_after, row.status_id_after), (7670334, 143));
        assert_eq!(row.changed_at, 1785411792);
        assert_eq!(row.changed_by, Some(11121254));
    }

    #[test]
    fn a_change_to_the_same_stage_is_no_change() {
        let same = CAPTURED.replace("63384122", "143");
        assert_eq!(flatten(&same), None);
    }

    #[test]
    fn numeric_strings_and_missing_befores_are_read() {
        let odd = CAPTURED
            .replace(
                r#""id":143,"pipeline_id":7670334"#,
                r#""id":"143","pipeline_id":"7670334""#,
            )
            .replace(
                r#"[{"lead_status":{"id":63384122,"pipeline_id":7670334}}]"#,
                "[]",
            );
        let Some(LeadEvent::Change(row)) = flatten(&odd) else {
            panic!("not a change");
        };
        assert_eq!(row.status_id_after, 143);
        assert_eq!(row.status_id_before, None);
    }

    #[test]
    fn life_events_and_other_types() {
        let added = CAPTURED.replace("lead_status_changed", "lead_added");
        assert!(matches!(
            flatten(&added),
            Some(LeadEvent::Life(LeadLifeEvent {
                kind: LifeKind::Added,
                stage: Some((7670334, 143)),
                ..
            }))
        ));
        let other = CAPTURED.replace("lead_status_changed", "sale_field_changed");
        assert_eq!(flatten(&other), None);
        let contact = CAPTURED.replace(r#""entity_type":"lead""#, r#""entity_type":"contact""#);
        assert_eq!(flatten(&contact), None);
    }
}
