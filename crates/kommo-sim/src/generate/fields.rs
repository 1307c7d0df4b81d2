//! Custom field definitions of leads, contacts and companies: the common types, with the
//! predefined PHONE / EMAIL / POSITION / WEB / ADDRESS fields Kommo accounts come with.

use kommo_model::{CustomField, CustomFieldEnum};

use crate::names;
use crate::store::{FieldDef, FieldKind, Kind};

/// The definitions per kind; each field's values are drawn when rendered, `presence` of the
/// entities having one.
pub(super) fn definitions(account_id: i64) -> [Vec<FieldDef>; 3] {
    let mut next_id = 184_994;
    let mut next_enum = 400_001;
    let mut make = |kind: Kind,
                    name: &str,
                    code: Option<&str>,
                    fk: FieldKind,
                    presence: u64,
                    options: &[&str],
                    sort: i64| {
        let id = next_id;
        next_id += 2;
        let enums = (!options.is_empty()).then(|| {
            options
                .iter()
                .enumerate()
                .map(|(i, value)| {
                    let id = next_enum;
                    next_enum += 1;
                    CustomFieldEnum {
                        id,
                        value: (*value).to_owned(),
                        sort: 500 + i as i64 * 2,
                    }
                })
                .collect()
        });
        let predefined = code.is_some();
        FieldDef {
            def: CustomField {
                id,
                name: name.to_owned(),
                code: code.map(str::to_owned),
                sort: sort * 10 + 500,
                field_type: fk.wire().to_owned(),
                entity_type: kind.path().to_owned(),
                is_predefined: predefined,
                is_deletable: !predefined,
                is_visible: true,
                is_required: false,
                is_api_only: false,
                group_id: None,
                required_statuses: Some(Vec::new()),
                enums,
                account_id: Some(account_id),
            },
            kind: fk,
            presence,
        }
    };
    let leads = vec![
        make(
            Kind::Leads,
            "Product",
            None,
            FieldKind::Select,
            60,
            names::PRODUCTS,
            1,
        ),
        make(
            Kind::Leads,
            "Services",
            None,
            FieldKind::Multiselect,
            30,
            names::PRODUCTS,
            2,
        ),
        make(Kind::Leads, "Budget", None, FieldKind::Numeric, 40, &[], 3),
        make(
            Kind::Leads,
            "Contract date",
            None,
            FieldKind::Date,
            25,
            &[],
            4,
        ),
        make(
            Kind::Leads,
            "Landing page",
            None,
            FieldKind::Url,
            20,
            &[],
            5,
        ),
        make(Kind::Leads, "Comment", None, FieldKind::Text, 30, &[], 6),
        make(Kind::Leads, "Sale", None, FieldKind::Checkbox, 50, &[], 7),
    ];
    let contacts = vec![
        make(
            Kind::Contacts,
            "Phone",
            Some("PHONE"),
            FieldKind::Multitext,
            85,
            &["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"],
            1,
        ),
        make(
            Kind::Contacts,
            "Email",
            Some("EMAIL"),
            FieldKind::Multitext,
            70,
            &["WORK", "PRIV", "OTHER"],
            2,
        ),
        make(
            Kind::Contacts,
            "Position",
            Some("POSITION"),
            FieldKind::Text,
            40,
            &[],
            3,
        ),
        make(
            Kind::Contacts,
            "Birthday",
            None,
            FieldKind::Date,
            15,
            &[],
            4,
        ),
        make(
            Kind::Contacts,
            "Preferred language",
            None,
            FieldKind::Select,
            50,
            &["Português", "Español", "English"],
            5,
        ),
        make(
            Kind::Contacts,
            "Newsletter",
            None,
            FieldKind::Checkbox,
            40,
            &[],
            6,
        ),
    ];
    let companies = vec![
        make(
            Kind::Companies,
            "Phone",
            Some("PHONE"),
            FieldKind::Multitext,
            70,
            &["WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"],
            1,
        ),
        make(
            Kind::Companies,
            "Email",
            Some("EMAIL"),
            FieldKind::Multitext,
            50,
            &["WORK", "PRIV", "OTHER"],
            2,
        ),
        make(
            Kind::Companies,
            "Web",
            Some("WEB"),
            FieldKind::Url,
            60,
            &[],
            3,
        ),
        make(
            Kind::Companies,
            "Address",
            Some("ADDRESS"),
            FieldKind::Textarea,
            50,
            &[],
            4,
        ),
        make(
            Kind::Companies,
            "Industry",
            None,
            FieldKind::Select,
            60,
            names::INDUSTRIES,
            5,
        ),
        make(
            Kind::Companies,
            "Employees",
            None,
            FieldKind::Numeric,
            40,
            &[],
            6,
        ),
    ];
    [leads, contacts, companies]
}
