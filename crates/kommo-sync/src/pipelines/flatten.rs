//! Kommo pipelines as `pipelines` rows: one row per (pipeline, status).

use kommo_model::Pipeline;
use kommo_store::rows::PipelineRow;

use crate::flatten::{FlattenContext, Resource, document_id};

/// One row per status of each pipeline, in Kommo's order; the system statuses 142 and 143
/// appear once in every pipeline that lists them.
pub fn pipeline_rows(pipelines: &[Pipeline], ctx: &FlattenContext<'_>) -> Vec<PipelineRow> {
    pipelines
        .iter()
        .flat_map(|p| {
            p.embedded.statuses.iter().map(move |s| PipelineRow {
                pipeline_id: p.id,
                pipeline_name: p.name.clone(),
                pipeline_sort: p.sort,
                status_id: s.id,
                status_name: s.name.clone(),
                sort: s.sort,
                is_editable: s.is_editable,
                color: s.color.clone(),
                status_type: s.kind,
                tenancy: ctx.tenancy.clone(),
                document_id: document_id(
                    &ctx.tenancy.integration_id,
                    Resource::Pipelines,
                    p.id,
                    Some(s.id),
                ),
                inserted_at: ctx.inserted_at,
                is_main: p.is_main,
                is_archive: p.is_archive,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use kommo_model::Collection;
    use kommo_store::rows::RowTenancy;

    use super::*;
    use crate::dictionaries::Dictionaries;

    #[test]
    fn seed_pipelines_give_one_row_per_status() {
        let page: Collection<Pipeline> = serde_json::from_str(include_str!(
            "../../../kommo-model/tests/fixtures/pipelines-list.json"
        ))
        .unwrap();
        let tenancy = RowTenancy {
            integration_id: "int-1".into(),
            workspace_id: "ws-1".into(),
            organization_id: "org-1".into(),
        };
        let d = Dictionaries::new();
        let rows = pipeline_rows(
            &page.items,
            &FlattenContext {
                tenancy: &tenancy,
                inserted_at: 5,
                dictionaries: &d,
            },
        );
        let statuses: usize = page.items.iter().map(|p| p.embedded.statuses.len()).sum();
        assert_eq!(rows.len(), statuses);
        let expected_first = PipelineRow {
            pipeline_id: 6950551,
            pipeline_name: "Pipeline".into(),
            pipeline_sort: 1,
            status_id: 58141803,
            status_name: "Incoming leads".into(),
            sort: 10,
            is_editable: false,
            color: "#c1c1c1".into(),
            status_type: 1,
            tenancy: tenancy.clone(),
            document_id: document_id("int-1", Resource::Pipelines, 6950551, Some(58141803)),
            inserted_at: 5,
            is_main: true,
            is_archive: false,
        };
        assert_eq!(rows[0], expected_first);
        let second = &rows[1];
        assert_eq!(
            (second.status_id, second.status_name.as_str(), second.sort),
            (58141807, "Initial contact", 20)
        );
        assert_eq!(
            (
                second.is_editable,
                second.color.as_str(),
                second.status_type
            ),
            (true, "#99ccff", 0)
        );
        // 142 and 143 appear in every pipeline, each with its own document id.
        for pipeline in &page.items {
            for system in [142, 143] {
                let matching: Vec<_> = rows
                    .iter()
                    .filter(|r| r.pipeline_id == pipeline.id && r.status_id == system)
                    .collect();
                assert_eq!(
                    matching.len(),
                    1,
                    "pipeline {} status {system}",
                    pipeline.id
                );
            }
        }
        let won: Vec<_> = rows.iter().filter(|r| r.status_id == 142).collect();
        assert_ne!(won[0].document_id, won[1].document_id);
        let json = serde_json::to_value(&rows[0]).unwrap();
        assert_eq!(json["pipeline_id"], serde_json::json!("6950551"));
        assert_eq!(json["type"], serde_json::json!(1));
        assert_eq!(json["status_id"], serde_json::json!("58141803"));
    }
}
