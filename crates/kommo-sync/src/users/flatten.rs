//! A Kommo user as a `users` row, with its group and role names.

use kommo::UserWith;
use kommo_model::User;
use kommo_store::rows::UserRow;

use crate::flatten::{FlattenContext, Resource, compact_json, document_id, non_empty};

/// The `with` values a users list needs for [`user_row`] to name groups and roles.
pub const USER_WITH: [UserWith; 2] = [UserWith::Role, UserWith::Group];

/// Flattens one user. Group and role names come from the user's `_embedded` (with
/// `with=role,group`), else from the synced groups and roles dictionaries.
pub fn user_row(user: &User, ctx: &FlattenContext<'_>) -> UserRow {
    let d = ctx.dictionaries;
    let rights = &user.rights;
    let group_id = rights
        .group_id
        .or_else(|| user.embedded.groups.first().map(|g| g.id));
    let role_id = rights
        .role_id
        .or_else(|| user.embedded.roles.first().map(|r| r.id));
    let group_name = group_id.and_then(|id| {
        user.embedded
            .groups
            .iter()
            .find(|g| g.id == id)
            .and_then(|g| non_empty(&g.name))
            .or_else(|| d.group(id).map(str::to_owned))
    });
    let role_name = role_id.and_then(|id| {
        user.embedded
            .roles
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| non_empty(&r.name))
            .or_else(|| d.role(id).map(str::to_owned))
    });
    UserRow {
        user_id: user.id,
        user_name: non_empty(&user.name),
        email: non_empty(&user.email),
        lang: non_empty(&user.lang),
        is_admin: rights.is_admin,
        is_free: rights.is_free,
        is_active: rights.is_active,
        group_id,
        group_name,
        role_id,
        role_name,
        rights: Some(compact_json(rights)),
        tenancy: ctx.tenancy.clone(),
        document_id: document_id(&ctx.tenancy.integration_id, Resource::Users, user.id, None),
        inserted_at: ctx.inserted_at,
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::{Collection, Role, UsersGroup};
    use kommo_store::rows::RowTenancy;
    use serde_json::json;

    use super::*;
    use crate::dictionaries::Dictionaries;

    fn tenancy() -> RowTenancy {
        RowTenancy {
            integration_id: "int-1".into(),
            workspace_id: "ws-1".into(),
            organization_id: "org-1".into(),
        }
    }

    fn users() -> Vec<User> {
        let page: Collection<User> =
            serde_json::from_str(include_str!("../../tests/fixtures/users-list.json")).unwrap();
        page.items
    }

    #[test]
    fn admin_without_group_or_role() {
        let tenancy = tenancy();
        let d = Dictionaries::new();
        let row = user_row(
            &users()[0],
            &FlattenContext {
                tenancy: &tenancy,
                inserted_at: 9,
                dictionaries: &d,
            },
        );
        let rights: serde_json::Value =
            serde_json::from_str(row.rights.as_deref().unwrap()).unwrap();
        let expected = UserRow {
            user_id: 8375357,
            user_name: Some("Ana Admin".into()),
            email: Some("ana@example.com".into()),
            lang: Some("en".into()),
            is_admin: true,
            is_free: false,
            is_active: true,
            group_id: None,
            group_name: None,
            role_id: None,
            role_name: None,
            rights: row.rights.clone(),
            tenancy: tenancy.clone(),
            document_id: document_id("int-1", Resource::Users, 8375357, None),
            inserted_at: 9,
        };
        assert_eq!(row, expected);
        // The rights text is Kommo's rights object, every key kept.
        assert_eq!(
            rights["leads"],
            json!({"view": "A", "edit": "A", "add": "A", "delete": "A", "export": "A"})
        );
        assert_eq!(rights["status_rights"][0]["status_id"], json!(142));
        assert_eq!(rights["is_admin"], json!(true));
        assert_eq!(rights["mail_access"], json!(true));
        assert!(
            !row.rights.as_deref().unwrap().contains(": "),
            "compact JSON"
        );
    }

    #[test]
    fn member_gets_group_and_role_names() {
        let tenancy = tenancy();
        let d = Dictionaries::new();
        let row = user_row(
            &users()[1],
            &FlattenContext {
                tenancy: &tenancy,
                inserted_at: 9,
                dictionaries: &d,
            },
        );
        assert_eq!(
            (
                row.user_id,
                row.user_name.as_deref(),
                row.email.as_deref(),
                row.lang.as_deref()
            ),
            (
                8375360,
                Some("Sam Seller"),
                Some("sam@example.com"),
                Some("pt")
            )
        );
        assert_eq!(
            (row.is_admin, row.is_free, row.is_active),
            (false, false, true)
        );
        assert_eq!(
            (row.group_id, row.group_name.as_deref()),
            (Some(412), Some("North team"))
        );
        assert_eq!(
            (row.role_id, row.role_name.as_deref()),
            (Some(77), Some("Sales rep"))
        );
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["user_id"], json!("8375360"));
        assert_eq!(json["group_id"], json!("412"));
        assert_eq!(json["role_id"], json!("77"));
    }

    #[test]
    fn names_fall_back_to_the_dictionaries() {
        let mut user = users()[1].clone();
        user.embedded = Default::default();
        let tenancy = tenancy();
        let mut d = Dictionaries::new();
        d.set_groups(&[UsersGroup {
            id: 412,
            name: "North (dictionary)".into(),
            uuid: None,
        }]);
        d.set_roles(&[Role {
            id: 77,
            name: "Rep (dictionary)".into(),
            rights: None,
        }]);
        let row = user_row(
            &user,
            &FlattenContext {
                tenancy: &tenancy,
                inserted_at: 9,
                dictionaries: &d,
            },
        );
        assert_eq!(row.group_name.as_deref(), Some("North (dictionary)"));
        assert_eq!(row.role_name.as_deref(), Some("Rep (dictionary)"));
    }
}
