//! A Kommo company as a `companies` row of the data API.

use kommo::CompanyWith;
use kommo_model::Company;
use kommo_store::rows::CompanyRow;

use crate::flatten::{
    FlattenContext, Resource, custom_fields_json, document_id, field_values_by_code, id_list,
    non_empty, tag_columns,
};

/// The `with` values a companies read needs for [`company_row`] to fill `contacts_ids` and
/// `leads_ids` (the sync's reads use these).
pub const COMPANY_WITH: [CompanyWith; 2] = [CompanyWith::Contacts, CompanyWith::Leads];

/// Flattens one company like a contact: `email` / `phone` are the first values of its EMAIL /
/// PHONE field (by `field_code`), `emails` / `phones` all of them, comma-separated; the
/// linked contacts and leads as Kommo lists them.
pub fn company_row(company: &Company, ctx: &FlattenContext<'_>) -> CompanyRow {
    let fields = company.custom_fields_values.as_deref();
    let emails = field_values_by_code(fields, "EMAIL");
    let phones = field_values_by_code(fields, "PHONE");
    let tags = tag_columns(&company.embedded.tags, ctx.dictionaries.company_tags());
    let contact_ids: Vec<i64> = company.embedded.contacts.iter().map(|c| c.id).collect();
    let lead_ids: Vec<i64> = company.embedded.leads.iter().map(|l| l.id).collect();
    CompanyRow {
        company_id: company.id,
        company_name: non_empty(&company.name),
        responsible_user_id: Some(company.responsible_user_id),
        group_id: Some(company.group_id),
        created_by: Some(company.created_by),
        updated_by: Some(company.updated_by),
        created_at: Some(company.created_at),
        updated_at: Some(company.updated_at),
        closest_task_at: company.closest_task_at,
        is_deleted: company.is_deleted,
        custom_fields_values: custom_fields_json(fields),
        account_id: Some(company.account_id),
        email: emails.first().cloned(),
        phone: phones.first().cloned(),
        emails: non_empty(&emails.join(",")),
        phones: non_empty(&phones.join(",")),
        contacts_ids: id_list(contact_ids.iter().copied()),
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
            Resource::Companies,
            company.id,
            None,
        ),
        inserted_at: ctx.inserted_at,
        tag_list: tags.list,
        email_list: emails,
        phone_list: phones,
        contact_id_list: contact_ids,
        lead_id_list: lead_ids,
    }
}
