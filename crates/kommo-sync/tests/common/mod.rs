//! Shared by the integration tests: stores on both databases, integrations pointing at
//! simulators, and the comparison of a store with the simulator's account.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of this module"
)]
#![allow(
    clippy::print_stderr,
    reason = "a test says why it skips its Postgres part"
)]

use std::collections::BTreeMap;

use futures::TryStreamExt as _;
use kommo::{ContactWith, ContactsQuery, Direction, EntityOrder};
use kommo_sim::RunningSimulator;
use kommo_store::rows::{ContactRow, LeadRow};
use kommo_store::testing::TestStore;
use kommo_store::{Integration, IntegrationAuth, Keys, NewIntegration, SecretString, Store};
use kommo_sync::{
    Dictionaries, FlattenContext, contact_row, lead_row, pipeline_rows, tenancy_of, user_row,
};

pub(crate) const ORG: &str = "org-1";
pub(crate) const WORKSPACE: &str = "ws-1";

/// A SQLite store, and a Postgres one when `KOMMO_DATA_TEST_POSTGRES_URL` is set.
pub(crate) async fn stores() -> Vec<(&'static str, TestStore)> {
    let mut out = vec![("sqlite", TestStore::sqlite(Keys::generate()).await.unwrap())];
    match TestStore::postgres(Keys::generate()).await.unwrap() {
        Some(pg) => out.push(("postgres", pg)),
        None => {
            eprintln!("KOMMO_DATA_TEST_POSTGRES_URL is not set: Postgres part skipped, SQLite only")
        }
    }
    out
}

/// The organization and workspace every test integration lives in.
pub(crate) async fn tenancy(store: &Store) {
    if store
        .organizations()
        .await
        .unwrap()
        .iter()
        .all(|o| o.id != ORG)
    {
        store.create_organization(ORG, "Org").await.unwrap();
        store
            .create_workspace(ORG, WORKSPACE, "Workspace")
            .await
            .unwrap();
    }
}

/// An integration syncing `sim` with its ready long-lived token.
pub(crate) async fn integration(store: &Store, id: &str, sim: &RunningSimulator) -> Integration {
    integration_at(store, id, &sim.base_url(), &sim.access_token()).await
}

pub(crate) async fn integration_at(
    store: &Store,
    id: &str,
    base_url: &str,
    token: &str,
) -> Integration {
    tenancy(store).await;
    store
        .create_integration(NewIntegration {
            id: id.to_owned(),
            workspace_id: WORKSPACE.to_owned(),
            base_url: base_url.to_owned(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from(token.to_owned())),
            rate_limit_per_second: 7,
        })
        .await
        .unwrap()
}

/// A client reading `sim` without limits, for the oracle side of comparisons.
pub(crate) fn oracle_client(sim: &RunningSimulator) -> kommo::Client {
    kommo::Client::builder(sim.base_url())
        .long_lived_token(sim.access_token())
        .rate_limiter(kommo::RateLimiter::new(
            std::num::NonZeroU32::new(10_000).unwrap(),
        ))
        .build()
        .unwrap()
}

fn diff<T: serde::Serialize + std::fmt::Debug>(expected: &T, got: &T) -> String {
    let (e, g) = (
        serde_json::to_value(expected).unwrap(),
        serde_json::to_value(got).unwrap(),
    );
    let (Some(e), Some(g)) = (e.as_object(), g.as_object()) else {
        return format!("{expected:?} != {got:?}");
    };
    let fields: Vec<String> = e
        .iter()
        .filter(|(k, v)| g.get(*k) != Some(*v))
        .map(|(k, v)| {
            format!(
                "{k}: expected {v}, stored {}",
                g.get(k).unwrap_or(&serde_json::Value::Null)
            )
        })
        .collect();
    if fields.is_empty() {
        "side lists differ".to_owned()
    } else {
        fields.join("; ")
    }
}

/// Checks the store holds exactly the simulator's account for `integration`: every live
/// lead and contact, field by field, none missing, none extra, none stale; rows flagged
/// deleted are deleted in the simulator, and every deleted one there is stored flagged (also
/// those created and deleted between two runs); pipelines and users equal. Returns the number of
/// live leads compared.
pub(crate) async fn assert_store_matches(
    store: &Store,
    integration: &Integration,
    sim: &RunningSimulator,
) -> usize {
    let id = integration.id.as_str();
    let dictionaries = Dictionaries::load(store, id).await.unwrap();
    let tenancy = tenancy_of(integration);
    let ctx = FlattenContext {
        tenancy: &tenancy,
        inserted_at: 0,
        dictionaries: &dictionaries,
    };
    let control = sim.control();
    let mut problems = Vec::new();

    // Leads: the simulator's own records are the oracle.
    let mut expected: BTreeMap<i64, LeadRow> = control
        .lead_ids()
        .into_iter()
        .map(|lead_id| (lead_id, lead_row(&control.lead(lead_id).unwrap(), &ctx)))
        .collect();
    let live = expected.len();
    let mut unflagged: std::collections::BTreeSet<i64> =
        control.deleted_lead_ids().into_iter().collect();
    for mut row in store.all_lead_rows(id).await.unwrap() {
        row.inserted_at = 0;
        if row.is_deleted {
            if control.lead(row.lead_id).is_none_or(|l| !l.is_deleted) {
                problems.push(format!(
                    "lead {} is flagged deleted but is live in Kommo",
                    row.lead_id
                ));
            }
            unflagged.remove(&row.lead_id);
            continue;
        }
        match expected.remove(&row.lead_id) {
            Some(want) if want == row => {}
            Some(want) => problems.push(format!(
                "lead {} differs: {}",
                row.lead_id,
                diff(&want, &row)
            )),
            None => problems.push(format!(
                "lead {} is stored live but Kommo has no such live lead",
                row.lead_id
            )),
        }
    }
    problems.extend(
        expected
            .keys()
            .map(|lead_id| format!("lead {lead_id} is missing")),
    );
    problems.extend(
        unflagged
            .iter()
            .map(|lead_id| format!("deleted lead {lead_id} is not stored flagged deleted")),
    );

    // Contacts: an independent read of the API, by id, while nothing changes.
    let client = oracle_client(sim);
    let contacts: Vec<_> = client
        .contacts(
            ContactsQuery::new()
                .order(EntityOrder::Id, Direction::Asc)
                .with(ContactWith::Leads)
                .limit(250),
        )
        .collect_all()
        .await
        .unwrap();
    let mut unflagged: std::collections::BTreeSet<i64> = client
        .contacts(
            ContactsQuery::new()
                .order(EntityOrder::Id, Direction::Asc)
                .only_deleted()
                .limit(250),
        )
        .items()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    let mut expected: BTreeMap<i64, ContactRow> = contacts
        .iter()
        .map(|c| (c.id, contact_row(c, &ctx)))
        .collect();
    for mut row in store.all_contact_rows(id).await.unwrap() {
        row.inserted_at = 0;
        if row.is_deleted {
            if !unflagged.remove(&row.contact_id) {
                problems.push(format!(
                    "contact {} is flagged deleted but is not deleted in Kommo",
                    row.contact_id
                ));
            }
            continue;
        }
        match expected.remove(&row.contact_id) {
            Some(want) if want == row => {}
            Some(want) => problems.push(format!(
                "contact {} differs: {}",
                row.contact_id,
                diff(&want, &row)
            )),
            None => problems.push(format!(
                "contact {} is stored live but Kommo has no such live contact",
                row.contact_id
            )),
        }
    }
    problems.extend(
        expected
            .keys()
            .map(|contact_id| format!("contact {contact_id} is missing")),
    );
    problems.extend(
        unflagged.iter().map(|contact_id| {
            format!("deleted contact {contact_id} is not stored flagged deleted")
        }),
    );

    let mut pipelines = pipeline_rows(&client.pipelines().await.unwrap(), &ctx);
    let mut stored_pipelines = store.all_pipeline_rows(id).await.unwrap();
    stored_pipelines.iter_mut().for_each(|r| r.inserted_at = 0);
    pipelines.sort_by_key(|r| (r.pipeline_id, r.status_id));
    stored_pipelines.sort_by_key(|r| (r.pipeline_id, r.status_id));
    if pipelines != stored_pipelines {
        problems.push(format!(
            "pipelines differ: {} expected rows, {} stored",
            pipelines.len(),
            stored_pipelines.len()
        ));
    }
    let users = client
        .users(
            kommo::UsersQuery::new()
                .with(kommo::UserWith::Role)
                .with(kommo::UserWith::Group),
        )
        .collect_all()
        .await
        .unwrap();
    let mut users: Vec<_> = users.iter().map(|u| user_row(u, &ctx)).collect();
    let mut stored_users = store.all_user_rows(id).await.unwrap();
    stored_users.iter_mut().for_each(|r| r.inserted_at = 0);
    users.sort_by_key(|u| u.user_id);
    stored_users.sort_by_key(|u| u.user_id);
    if users != stored_users {
        problems.push(format!(
            "users differ: {} expected, {} stored",
            users.len(),
            stored_users.len()
        ));
    }

    assert!(
        problems.is_empty(),
        "{} problems in {id}, first ones:\n{}",
        problems.len(),
        problems
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    live
}
