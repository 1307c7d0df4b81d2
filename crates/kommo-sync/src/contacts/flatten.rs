//! A Kommo contact as a `contacts` row of the data API.

use kommo::ContactWith;
use kommo_model::Contact;
use kommo_store::rows::ContactRow;

use crate::flatten::{
    FlattenContext, Resource, custom_fields_json, document_id, field_values_by_code, id_list,
    non_empty, tag_columns,
};

/// The `with` values a contacts read needs for [`contact_row`] to fill `leads_ids` (the
/// sync's reads and the actions' write-through use these).
pub const CONTACT_WITH: [ContactWith; 1] = [ContactWith::Leads];

/// Flattens one contact: `email` / `phone` are the first values of its EMAIL / PHONE field
/// (by `field_code`), `emails` / `phones` all of them, comma-separated.
pub fn contact_row(contact: &Contact, ctx: &FlattenContext<'_>) -> ContactRow {
    let fields = contact.custom_fields_values.as_deref();
    let emails = field_values_by_code(fields, "EMAIL");
    let phones = field_values_by_code(fields, "PHONE");
    let tags = tag_columns(&contact.embedded.tags, ctx.dictionaries.contact_tags());
    let lead_ids: Vec<i64> = contact.embedded.leads.iter().map(|l| l.id).collect();
    ContactRow {
        contact_id: contact.id,
        contact_name: non_empty(&contact.name),
        first_name: non_empty(&contact.first_name),
        last_name: non_empty(&contact.last_name),
        responsible_user_id: Some(contact.responsible_user_id),
        group_id: Some(contact.group_id),
        created_by: Some(contact.created_by),
        updated_by: Some(contact.updated_by),
        created_at: Some(contact.created_at),
        updated_at: Some(contact.updated_at),
        closest_task_at: contact.closest_task_at,
        is_deleted: contact.is_deleted,
        is_unsorted: contact.is_unsorted,
        custom_fields_values: custom_fields_json(fields),
        account_id: Some(contact.account_id),
        email: emails.first().cloned(),
        phone: phones.first().cloned(),
        emails: non_empty(&emails.join(",")),
        phones: non_empty(&phones.join(",")),
        company_id: contact.embedded.companies.first().map(|c| c.id),
        leads_ids: id_list(lead_ids.iter().copied()),
        tags: tags.tags,
        tag_id: tags.tag_id,
        tag_name: tags.tag_name,
        tag_color: tags.tag_color,
        tag_id_first: tags.tag_id_first,
        tag_name_first: tags.tag_name_first,
        tag_color_first: tags.tag_color_first,
        tenancy: ctx.tenancy.clone(),
        document_id: document_id(
            &ctx.tenancy.integration_id,
            Resource::Contacts,
            contact.id,
            None,
        ),
        inserted_at: ctx.inserted_at,
        tag_list: tags.list,
        email_list: emails,
        phone_list: phones,
        lead_id_list: lead_ids,
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::Collection;
    use kommo_store::rows::{RowTag, RowTenancy};

    use super::*;
    use crate::dictionaries::Dictionaries;

    fn rows() -> Vec<ContactRow> {
        let page: Collection<Contact> =
            serde_json::from_str(include_str!("../../tests/fixtures/contacts-list.json")).unwrap();
        let tenancy = RowTenancy {
            integration_id: "int-1".into(),
            workspace_id: "ws-1".into(),
            organization_id: "org-1".into(),
        };
        let d = Dictionaries::new();
        let ctx = FlattenContext {
            tenancy: &tenancy,
            inserted_at: 1_000,
            dictionaries: &d,
        };
        page.items.iter().map(|c| contact_row(c, &ctx)).collect()
    }

    #[test]
    fn contact_with_phones_emails_tags_company_and_leads() {
        let row = &rows()[0];
        let expected = ContactRow {
            contact_id: 406322,
            contact_name: Some("Maria Souza".into()),
            first_name: Some("Maria".into()),
            last_name: Some("Souza".into()),
            responsible_user_id: Some(8375357),
            group_id: Some(0),
            created_by: Some(8375357),
            updated_by: Some(0),
            created_at: Some(1686673336),
            updated_at: Some(1686747000),
            closest_task_at: None,
            is_deleted: false,
            is_unsorted: false,
            custom_fields_values: Some(concat!(
                r#"[{"field_id":3,"field_name":"Phone","field_code":"PHONE","field_type":"multitext","values":["#,
                r#"{"value":"+55 (11) 9999-0000","enum_id":1,"enum_code":"WORK"},{"value":"+55 11 8888-1111","enum_id":2,"enum_code":"MOB"}]},"#,
                r#"{"field_id":5,"field_name":"Email","field_code":"EMAIL","field_type":"multitext","values":[{"value":"Maria@Example.com","enum_id":7,"enum_code":"WORK"}]},"#,
                r#"{"field_id":9,"field_name":"Position","field_code":"POSITION","field_type":"text","values":[{"value":"Buyer"}]}]"#
            )
            .into()),
            account_id: Some(31361463),
            email: Some("Maria@Example.com".into()),
            phone: Some("+55 (11) 9999-0000".into()),
            emails: Some("Maria@Example.com".into()),
            phones: Some("+55 (11) 9999-0000,+55 11 8888-1111".into()),
            company_id: Some(406320),
            leads_ids: Some("186404,152462".into()),
            tags: Some(r#"[{"id":31,"name":"Newsletter","color":"FFCE5A"}]"#.into()),
            tag_id: Some("31".into()),
            tag_name: Some("Newsletter".into()),
            tag_color: Some("FFCE5A".into()),
            tag_id_first: Some("31".into()),
            tag_name_first: Some("Newsletter".into()),
            tag_color_first: Some("FFCE5A".into()),
            tenancy: RowTenancy { integration_id: "int-1".into(), workspace_id: "ws-1".into(), organization_id: "org-1".into() },
            document_id: document_id("int-1", Resource::Contacts, 406322, None),
            inserted_at: 1_000,
            tag_list: vec![RowTag { id: 31, name: "Newsletter".into(), color: Some("FFCE5A".into()) }],
            email_list: vec!["Maria@Example.com".into()],
            phone_list: vec!["+55 (11) 9999-0000".into(), "+55 11 8888-1111".into()],
            lead_id_list: vec![186404, 152462],
        };
        assert_eq!(row, &expected);
    }

    #[test]
    fn bare_contact_has_null_columns() {
        let row = &rows()[1];
        assert_eq!(row.contact_id, 406330);
        assert_eq!(
            (
                row.contact_name.as_deref(),
                row.first_name.as_deref(),
                row.last_name.as_deref()
            ),
            (None, None, None)
        );
        assert_eq!((row.created_by, row.updated_by), (Some(0), Some(0)));
        assert_eq!(
            (row.created_at, row.updated_at, row.closest_task_at),
            (Some(1686747706), Some(1686747731), Some(1686850200))
        );
        assert!(row.is_unsorted);
        assert!(!row.is_deleted);
        assert_eq!(row.custom_fields_values, None);
        assert_eq!(
            (
                row.email.as_deref(),
                row.phone.as_deref(),
                row.emails.as_deref(),
                row.phones.as_deref()
            ),
            (None, None, None, None)
        );
        assert_eq!(
            (
                row.company_id,
                row.leads_ids.as_deref(),
                row.tags.as_deref()
            ),
            (None, None, None)
        );
        assert_eq!(
            (
                row.tag_id.as_deref(),
                row.tag_name.as_deref(),
                row.tag_color.as_deref()
            ),
            (None, None, None)
        );
        assert_eq!(
            (
                row.tag_id_first.as_deref(),
                row.tag_name_first.as_deref(),
                row.tag_color_first.as_deref()
            ),
            (None, None, None)
        );
        assert!(
            row.email_list.is_empty()
                && row.phone_list.is_empty()
                && row.lead_id_list.is_empty()
                && row.tag_list.is_empty()
        );
        assert_eq!(
            row.document_id,
            document_id("int-1", Resource::Contacts, 406330, None)
        );
    }
}
