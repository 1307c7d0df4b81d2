//! A Kommo lead as a `leads` row of the data API.

use kommo::LeadWith;
use kommo_model::Lead;
use kommo_store::rows::LeadRow;

use crate::flatten::{
    FlattenContext, Resource, custom_fields_json, document_id, id_list, non_empty, tag_columns,
};

/// The `with` values a leads read needs for [`lead_row`] to fill every column: the sync's
/// and the actions' write-through reads both use these, so a written-through row equals a
/// synced one.
pub const LEAD_WITH: [LeadWith; 3] = [LeadWith::Contacts, LeadWith::LossReason, LeadWith::SourceId];

/// Flattens one lead. `loss_reason` and `source_name` come from the synced dictionaries; a
/// loss reason missing there falls back to the one embedded with `with=loss_reason`.
pub fn lead_row(lead: &Lead, ctx: &FlattenContext<'_>) -> LeadRow {
    let d = ctx.dictionaries;
    let tags = tag_columns(&lead.embedded.tags, d.lead_tags());
    let loss_reason = lead.loss_reason_id.and_then(|id| {
        d.loss_reason(id).map(str::to_owned).or_else(|| {
            lead.embedded
                .loss_reason
                .iter()
                .find(|r| r.id == id)
                .and_then(|r| non_empty(&r.name))
        })
    });
    LeadRow {
        lead_id: lead.id,
        lead_name: non_empty(&lead.name),
        status_id: lead.status_id,
        price: Some(lead.price),
        responsible_user_id: Some(lead.responsible_user_id),
        group_id: Some(lead.group_id),
        pipeline_id: lead.pipeline_id,
        loss_reason_id: lead.loss_reason_id,
        created_by: Some(lead.created_by),
        updated_by: Some(lead.updated_by),
        created_at: Some(lead.created_at),
        updated_at: Some(lead.updated_at),
        closed_at: lead.closed_at,
        closest_task_at: lead.closest_task_at,
        is_deleted: lead.is_deleted,
        custom_fields_values: custom_fields_json(lead.custom_fields_values.as_deref()),
        score: lead.score.map(|s| s.to_string()),
        account_id: Some(lead.account_id),
        labor_cost: lead.labor_cost,
        source_id: lead.source_id,
        source_name: lead
            .source_id
            .and_then(|id| d.source(id))
            .map(str::to_owned),
        tags: tags.tags,
        contacts_ids: id_list(lead.embedded.contacts.iter().map(|c| c.id)),
        loss_reason,
        tag_id: tags.tag_id,
        tag_name: tags.tag_name,
        tag_color: tags.tag_color,
        tag_id_first: tags.tag_id_first,
        tag_name_first: tags.tag_name_first,
        tag_color_first: tags.tag_color_first,
        tenancy: ctx.tenancy.clone(),
        document_id: document_id(&ctx.tenancy.integration_id, Resource::Leads, lead.id, None),
        inserted_at: ctx.inserted_at,
        company_id: lead.embedded.companies.first().map(|c| c.id),
        status_name: d
            .status(lead.pipeline_id, lead.status_id)
            .map(str::to_owned),
        pipeline_name: d.pipeline(lead.pipeline_id).map(str::to_owned),
        tag_list: tags.list,
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::{Collection, LossReason, Pipeline, Source, Tag};
    use kommo_store::rows::{RowTag, RowTenancy};
    use serde_json::json;

    use super::*;
    use crate::dictionaries::Dictionaries;

    const INSERTED_AT: i64 = 1_769_516_685_123;

    fn tenancy() -> RowTenancy {
        RowTenancy {
            integration_id: "int-1".into(),
            workspace_id: "ws-1".into(),
            organization_id: "org-1".into(),
        }
    }

    fn dictionaries() -> Dictionaries {
        let pipelines: Collection<Pipeline> = serde_json::from_str(include_str!(
            "../../../kommo-model/tests/fixtures/pipelines-list.json"
        ))
        .unwrap();
        let mut d = Dictionaries::new();
        d.set_pipelines(&pipelines.items);
        d.set_loss_reasons(&[LossReason {
            id: 15906383,
            name: "Insufficient budget".into(),
            sort: 100000,
            created_at: 1686662760,
            updated_at: 1686662760,
        }]);
        d.set_sources(&[Source {
            id: 20692839,
            name: "Website form".into(),
            pipeline_id: Some(6950551),
            external_id: Some("form-1".into()),
            default: None,
            origin_code: None,
            services: vec![],
        }]);
        d
    }

    fn rows() -> Vec<LeadRow> {
        let page: Collection<Lead> = serde_json::from_str(include_str!(
            "../../../kommo-model/tests/fixtures/leads-list.json"
        ))
        .unwrap();
        let tenancy = tenancy();
        let d = dictionaries();
        let ctx = FlattenContext {
            tenancy: &tenancy,
            inserted_at: INSERTED_AT,
            dictionaries: &d,
        };
        page.items.iter().map(|lead| lead_row(lead, &ctx)).collect()
    }

    #[test]
    fn seed_lead_without_tags() {
        let row = &rows()[0];
        let expected = LeadRow {
            lead_id: 152462,
            lead_name: Some("Example Lead 1".into()),
            status_id: 58141807,
            price: Some(15000),
            responsible_user_id: Some(8375357),
            group_id: Some(0),
            pipeline_id: 6950551,
            loss_reason_id: None,
            created_by: Some(8375357),
            updated_by: Some(0),
            created_at: Some(1686673336),
            updated_at: Some(1686747000),
            closed_at: None,
            closest_task_at: Some(1686850200),
            is_deleted: false,
            custom_fields_values: Some(
                r#"[{"field_id":184994,"field_name":"Sale","field_code":null,"field_type":"checkbox","values":[{"value":true}],"is_computed":false}]"#.into(),
            ),
            score: None,
            account_id: Some(31361463),
            labor_cost: None,
            source_id: Some(20692839),
            source_name: Some("Website form".into()),
            tags: None,
            contacts_ids: None,
            loss_reason: None,
            tag_id: None,
            tag_name: None,
            tag_color: None,
            tag_id_first: None,
            tag_name_first: None,
            tag_color_first: None,
            tenancy: tenancy(),
            document_id: document_id("int-1", Resource::Leads, 152462, None),
            inserted_at: INSERTED_AT,
            company_id: None,
            status_name: Some("Initial contact".into()),
            pipeline_name: Some("Pipeline".into()),
            tag_list: vec![],
        };
        assert_eq!(row, &expected);
    }

    #[test]
    fn seed_lead_with_a_colorless_tag() {
        let row = &rows()[1];
        assert_eq!(row.lead_id, 152464);
        assert_eq!(row.lead_name.as_deref(), Some("Example lead 2"));
        assert_eq!(
            (row.price, row.created_by, row.updated_by),
            (Some(20000), Some(0), Some(8375357))
        );
        assert_eq!(
            (row.created_at, row.updated_at, row.closest_task_at),
            (Some(1686673337), Some(1686747678), None)
        );
        assert_eq!(
            row.tags.as_deref(),
            Some(r#"[{"id":2164,"name":"Ex","color":null}]"#)
        );
        assert_eq!(row.tag_id.as_deref(), Some("2164"));
        assert_eq!(row.tag_name.as_deref(), Some("Ex"));
        // One tag without a color: one empty item.
        assert_eq!(row.tag_color.as_deref(), Some(""));
        assert_eq!(row.tag_id_first.as_deref(), Some("2164"));
        assert_eq!(row.tag_name_first.as_deref(), Some("Ex"));
        assert_eq!(row.tag_color_first, None);
        assert_eq!(
            row.tag_list,
            vec![RowTag {
                id: 2164,
                name: "Ex".into(),
                color: None
            }]
        );
        assert_eq!((row.contacts_ids.as_deref(), row.company_id), (None, None));
    }

    #[test]
    fn seed_lost_lead_resolves_its_loss_reason_and_links() {
        let row = &rows()[2];
        let expected = LeadRow {
            lead_id: 186404,
            lead_name: Some("Example lead 0".into()),
            status_id: 143,
            price: Some(100),
            responsible_user_id: Some(8375357),
            group_id: Some(0),
            pipeline_id: 6950551,
            loss_reason_id: Some(15906383),
            created_by: Some(8375357),
            updated_by: Some(8375357),
            created_at: Some(1686747706),
            updated_at: Some(1686747731),
            closed_at: Some(1686747731),
            closest_task_at: None,
            is_deleted: false,
            custom_fields_values: None,
            score: None,
            account_id: Some(31361463),
            labor_cost: None,
            source_id: None,
            source_name: None,
            tags: None,
            contacts_ids: Some("406322".into()),
            loss_reason: Some("Insufficient budget".into()),
            tag_id: None,
            tag_name: None,
            tag_color: None,
            tag_id_first: None,
            tag_name_first: None,
            tag_color_first: None,
            tenancy: tenancy(),
            document_id: document_id("int-1", Resource::Leads, 186404, None),
            inserted_at: INSERTED_AT,
            company_id: Some(406320),
            status_name: Some("Closed - lost".into()),
            pipeline_name: Some("Pipeline".into()),
            tag_list: vec![],
        };
        assert_eq!(row, &expected);
    }

    #[test]
    fn published_json_of_a_seed_row() {
        let value = serde_json::to_value(&rows()[2]).unwrap();
        assert_eq!(value["lead_id"], json!("186404"));
        assert_eq!(value["status_id"], json!("143"));
        assert_eq!(value["price"], json!(100));
        assert_eq!(value["created_at"], json!("2023-06-14T13:01:46.000Z"));
        assert_eq!(value["closed_at"], json!("2023-06-14T13:02:11.000Z"));
        assert_eq!(value["closest_task_at"], json!(null));
        assert_eq!(value["loss_reason_id"], json!("15906383"));
        assert_eq!(value["contacts_ids"], json!("406322"));
        assert_eq!(value["inserted_at"], json!("2026-01-27T12:24:45.123Z"));
        assert_eq!(value["integration_id"], json!("int-1"));
        assert_eq!(value["workspace_id"], json!("ws-1"));
        assert_eq!(value["organization_id"], json!("org-1"));
        assert!(value.get("tag_list").is_none());
    }

    #[test]
    fn loss_reason_falls_back_to_the_embedded_one_and_unknown_names_are_null() {
        let page: Collection<Lead> = serde_json::from_str(include_str!(
            "../../../kommo-model/tests/fixtures/leads-list.json"
        ))
        .unwrap();
        let tenancy = tenancy();
        let empty = Dictionaries::new();
        let ctx = FlattenContext {
            tenancy: &tenancy,
            inserted_at: 0,
            dictionaries: &empty,
        };
        let row = lead_row(&page.items[2], &ctx);
        assert_eq!(row.loss_reason.as_deref(), Some("Insufficient budget"));
        assert_eq!((row.status_name, row.pipeline_name), (None, None));
        let row = lead_row(&page.items[0], &ctx);
        assert_eq!(row.source_name, None);
    }

    #[test]
    fn score_and_several_tags_and_contacts() {
        let mut lead: Lead = serde_json::from_str(include_str!(
            "../../../kommo-model/tests/fixtures/lead-get.json"
        ))
        .unwrap();
        lead.score = Some(12);
        lead.embedded.tags.push(Tag {
            id: 7,
            name: "VIP".into(),
            color: Some("FFCE5A".into()),
            request_id: None,
        });
        lead.embedded.contacts = vec![
            kommo_model::LinkedContact {
                id: 406322,
                is_main: Some(true),
            },
            kommo_model::LinkedContact {
                id: 406330,
                is_main: Some(false),
            },
        ];
        let tenancy = tenancy();
        let d = dictionaries();
        let row = lead_row(
            &lead,
            &FlattenContext {
                tenancy: &tenancy,
                inserted_at: 0,
                dictionaries: &d,
            },
        );
        assert_eq!(row.score.as_deref(), Some("12"));
        assert_eq!(row.contacts_ids.as_deref(), Some("406322,406330"));
        assert_eq!(row.tag_id.as_deref(), Some("2164,7"));
        assert_eq!(row.tag_color.as_deref(), Some(",FFCE5A"));
        assert_eq!(row.tag_color_first, None);
        assert_eq!(row.updated_at, Some(1686748504));
    }
}
