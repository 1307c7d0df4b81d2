//! Typed list queries per entity: only the `order` fields and `with` values each endpoint
//! documents, on top of [`ListQuery`] (which any list method also accepts as is).

pub use kommo_model::query::{Direction, Filter, ListQuery, Range, StatusFilter};

/// The entity types that own tags and custom fields (`/api/v4/{entity}/tags`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityType {
    Leads,
    Contacts,
    Companies,
    Customers,
}

impl EntityType {
    /// The path segment (`leads`, `contacts`, ...).
    pub fn as_path(self) -> &'static str {
        match self {
            Self::Leads => "leads",
            Self::Contacts => "contacts",
            Self::Companies => "companies",
            Self::Customers => "customers",
        }
    }
}

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $wire),* }
            }
        }
    };
}

wire_enum!(
    /// `order[...]` of leads, contacts and companies.
    EntityOrder { CreatedAt => "created_at", UpdatedAt => "updated_at", Id => "id" }
);
wire_enum!(
    /// `order[...]` of tasks.
    TaskOrder { CreatedAt => "created_at", CompleteTill => "complete_till", Id => "id" }
);
wire_enum!(
    /// `with` values of leads.
    LeadWith {
        Contacts => "contacts",
        LossReason => "loss_reason",
        IsPriceModifiedByRobot => "is_price_modified_by_robot",
        CatalogElements => "catalog_elements",
        SourceId => "source_id",
        Source => "source",
        OnlyDeleted => "only_deleted",
    }
);
wire_enum!(
    /// `with` values of contacts.
    ContactWith { Leads => "leads", Customers => "customers", CatalogElements => "catalog_elements", OnlyDeleted => "only_deleted" }
);
wire_enum!(
    /// `with` values of companies.
    CompanyWith { Leads => "leads", Contacts => "contacts", Customers => "customers", CatalogElements => "catalog_elements", OnlyDeleted => "only_deleted" }
);
wire_enum!(
    /// `with` values of users.
    UserWith { Role => "role", Group => "group", Uuid => "uuid", AmojoId => "amojo_id", UserRank => "user_rank" }
);
wire_enum!(
    /// `with` values of events.
    EventWith {
        ContactName => "contact_name",
        LeadName => "lead_name",
        CompanyName => "company_name",
        CatalogName => "catalog_name",
        CatalogElementName => "catalog_element_name",
    }
);
wire_enum!(
    /// `with` values of the account.
    AccountWith {
        AmojoId => "amojo_id",
        AmojoRights => "amojo_rights",
        UsersGroups => "users_groups",
        TaskTypes => "task_types",
        Version => "version",
        EntityNames => "entity_names",
        DatetimeSettings => "datetime_settings",
        DriveUrl => "drive_url",
        IsApiFilterEnabled => "is_api_filter_enabled",
    }
);

fn range(from: Option<i64>, to: Option<i64>) -> Option<Range> {
    Some(Range { from, to })
}

macro_rules! typed_query {
    ($(#[$meta:meta])* $name:ident, order: $order:ty, with: $with:ty) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name(ListQuery);

        impl $name {
            pub fn new() -> Self {
                Self::default()
            }

            pub fn order(self, field: $order, direction: Direction) -> Self {
                Self(self.0.order(field.as_str(), direction))
            }

            pub fn with(self, value: $with) -> Self {
                Self(self.0.with([value.as_str()]))
            }

            /// Entities per page (1..=250); the client's page size when unset.
            pub fn limit(self, limit: u32) -> Self {
                Self(self.0.limit(limit))
            }

            /// The first page to fetch (1-based).
            pub fn page(self, page: u32) -> Self {
                Self(self.0.page(page))
            }

            pub fn ids(self, ids: impl IntoIterator<Item = i64>) -> Self {
                self.filter(|f| f.id.extend(ids))
            }

            /// Any other filter, on the underlying [`Filter`].
            pub fn filter(self, edit: impl FnOnce(&mut Filter)) -> Self {
                Self(self.0.filter(edit))
            }

            pub fn into_inner(self) -> ListQuery {
                self.0
            }
        }

        impl From<$name> for ListQuery {
            fn from(query: $name) -> Self {
                query.0
            }
        }
    };
}

/// Shared filters of leads, contacts and companies.
macro_rules! entity_filters {
    ($name:ident) => {
        impl $name {
            /// Full-text search over the filled fields.
            pub fn search(self, query: impl Into<String>) -> Self {
                Self(self.0.search(query))
            }

            pub fn names(self, names: impl IntoIterator<Item = String>) -> Self {
                self.filter(|f| f.name.extend(names))
            }

            pub fn responsible(self, users: impl IntoIterator<Item = i64>) -> Self {
                self.filter(|f| f.responsible_user_id.extend(users))
            }

            /// `filter[created_at][from|to]`, Unix seconds, either end open.
            pub fn created_between(self, from: Option<i64>, to: Option<i64>) -> Self {
                self.filter(|f| f.created_at = range(from, to))
            }

            /// `filter[updated_at][from|to]`, Unix seconds, either end open.
            pub fn updated_between(self, from: Option<i64>, to: Option<i64>) -> Self {
                self.filter(|f| f.updated_at = range(from, to))
            }
        }
    };
}

typed_query!(
    /// `GET /api/v4/leads`.
    LeadsQuery, order: EntityOrder, with: LeadWith
);
entity_filters!(LeadsQuery);

impl LeadsQuery {
    /// Only deleted leads that can still be restored, as `{id, updated_at, is_deleted}`.
    pub fn only_deleted(self) -> Self {
        self.with(LeadWith::OnlyDeleted)
    }

    /// Leads in `status_id` of `pipeline_id`; call again to add more stages.
    pub fn in_status(self, pipeline_id: i64, status_id: i64) -> Self {
        self.filter(|f| {
            f.statuses.push(StatusFilter {
                pipeline_id,
                status_id,
            })
        })
    }

    pub fn pipelines(self, ids: impl IntoIterator<Item = i64>) -> Self {
        self.filter(|f| f.pipeline_id.extend(ids))
    }

    pub fn price_between(self, from: Option<i64>, to: Option<i64>) -> Self {
        self.filter(|f| f.price = range(from, to))
    }

    pub fn closed_between(self, from: Option<i64>, to: Option<i64>) -> Self {
        self.filter(|f| f.closed_at = range(from, to))
    }
}

typed_query!(
    /// `GET /api/v4/contacts`.
    ContactsQuery, order: EntityOrder, with: ContactWith
);
entity_filters!(ContactsQuery);

impl ContactsQuery {
    pub fn only_deleted(self) -> Self {
        self.with(ContactWith::OnlyDeleted)
    }
}

typed_query!(
    /// `GET /api/v4/companies`.
    CompaniesQuery, order: EntityOrder, with: CompanyWith
);
entity_filters!(CompaniesQuery);

impl CompaniesQuery {
    pub fn only_deleted(self) -> Self {
        self.with(CompanyWith::OnlyDeleted)
    }
}

wire_enum!(
    /// Tasks have no `with` values; kept for a uniform builder.
    TaskWith {}
);

typed_query!(
    /// `GET /api/v4/tasks`.
    TasksQuery, order: TaskOrder, with: TaskWith
);

impl TasksQuery {
    pub fn completed(self, completed: bool) -> Self {
        self.filter(|f| f.is_completed = Some(completed))
    }

    pub fn task_types(self, types: impl IntoIterator<Item = i64>) -> Self {
        self.filter(|f| f.task_type.extend(types))
    }

    pub fn responsible(self, users: impl IntoIterator<Item = i64>) -> Self {
        self.filter(|f| f.responsible_user_id.extend(users))
    }

    /// Tasks of these entities of one type.
    pub fn of(self, entity: EntityType, ids: impl IntoIterator<Item = i64>) -> Self {
        self.filter(|f| {
            f.entity_type = vec![entity.as_path().to_owned()];
            f.entity_id.extend(ids);
        })
    }

    pub fn updated_between(self, from: Option<i64>, to: Option<i64>) -> Self {
        self.filter(|f| f.updated_at = range(from, to))
    }
}

wire_enum!(
    /// Events are ordered by Kommo; no `order` field is documented.
    EventOrder {}
);

typed_query!(
    /// `GET /api/v4/events`.
    EventsQuery, order: EventOrder, with: EventWith
);

impl EventsQuery {
    /// `filter[type]`: `lead_added`, `lead_status_changed`, `lead_deleted`, ...
    pub fn types<S: Into<String>>(self, types: impl IntoIterator<Item = S>) -> Self {
        self.filter(|f| f.event_type.extend(types.into_iter().map(Into::into)))
    }

    /// `filter[entity]`: singular names (`lead`, `contact`, `company`, `task`, ...).
    /// Rendered as `filter[entity]`, the events endpoint's own name for it.
    pub fn entities<S: Into<String>>(self, entities: impl IntoIterator<Item = S>) -> Self {
        self.filter(|f| {
            let start = f
                .other
                .iter()
                .filter(|(path, _)| path.starts_with("[entity]["))
                .count();
            for (i, entity) in entities.into_iter().enumerate() {
                f.other
                    .push((format!("[entity][{}]", start + i), entity.into()));
            }
        })
    }

    /// `filter[entity_id]`: at most 10, with exactly one entity type.
    pub fn entity_ids(self, ids: impl IntoIterator<Item = i64>) -> Self {
        self.filter(|f| f.entity_id.extend(ids))
    }

    pub fn created_between(self, from: Option<i64>, to: Option<i64>) -> Self {
        self.filter(|f| f.created_at = range(from, to))
    }
}

wire_enum!(
    /// Users have no `order` field.
    UserOrder {}
);

typed_query!(
    /// `GET /api/v4/users`.
    UsersQuery, order: UserOrder, with: UserWith
);

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: impl Into<ListQuery>) -> Vec<(String, String)> {
        query.into().to_pairs()
    }

    fn has(pairs: &[(String, String)], key: &str, value: &str) -> bool {
        pairs.iter().any(|(k, v)| k == key && v == value)
    }

    #[test]
    fn leads_query_renders_kommo_syntax() {
        let p = pairs(
            LeadsQuery::new()
                .with(LeadWith::Contacts)
                .with(LeadWith::LossReason)
                .order(EntityOrder::UpdatedAt, Direction::Asc)
                .updated_between(Some(100), None)
                .in_status(7, 142)
                .in_status(8, 143)
                .price_between(Some(10), Some(20))
                .limit(250),
        );
        assert!(has(&p, "with", "contacts,loss_reason"));
        assert!(has(&p, "order[updated_at]", "asc"));
        assert!(has(&p, "filter[updated_at][from]", "100"));
        assert!(!p.iter().any(|(k, _)| k == "filter[updated_at][to]"));
        assert!(has(&p, "filter[statuses][1][pipeline_id]", "8"));
        assert!(has(&p, "filter[statuses][1][status_id]", "143"));
        assert!(has(&p, "filter[price][to]", "20"));
        assert!(has(&p, "limit", "250"));
        assert!(has(
            &pairs(LeadsQuery::new().only_deleted()),
            "with",
            "only_deleted"
        ));
    }

    #[test]
    fn tasks_and_events_use_their_own_names() {
        let p = pairs(
            TasksQuery::new()
                .completed(false)
                .of(EntityType::Leads, [5, 6])
                .order(TaskOrder::CompleteTill, Direction::Desc),
        );
        assert!(has(&p, "filter[is_completed]", "0"));
        assert!(has(&p, "filter[entity_type][0]", "leads"));
        assert!(has(&p, "filter[entity_id][1]", "6"));
        assert!(has(&p, "order[complete_till]", "desc"));

        let q: ListQuery = EventsQuery::new()
            .types(["lead_added", "lead_deleted"])
            .entities(["lead"])
            .entities(["contact"])
            .with(EventWith::LeadName)
            .into();
        let p = q.to_pairs();
        assert!(has(&p, "filter[type][1]", "lead_deleted"));
        assert!(has(&p, "filter[entity][0]", "lead"));
        assert!(has(&p, "filter[entity][1]", "contact"));
        // What the simulator (and Kommo) read back from it.
        let back = ListQuery::from_pairs(p).unwrap();
        assert_eq!(back.filter.entity_type, vec!["lead", "contact"]);
        assert_eq!(back.filter.event_type, vec!["lead_added", "lead_deleted"]);
    }

    #[test]
    fn contacts_and_users() {
        let p = pairs(
            ContactsQuery::new()
                .search("+5511")
                .with(ContactWith::Leads)
                .ids([1, 2]),
        );
        assert!(has(&p, "query", "+5511"));
        assert!(has(&p, "filter[id][1]", "2"));
        let p = pairs(UsersQuery::new().with(UserWith::Role).with(UserWith::Group));
        assert!(has(&p, "with", "role,group"));
    }
}
