//! Lead–contact links changed between two runs, seen from either side: Kommo's docs do not
//! say which side's `updated_at` a link change stamps, so each case stamps one side only,
//! and after an incremental run both sides' stored rows must show the account's links.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use kommo_testkit as common;

use kommo_sim::{RunningSimulator, SimConfig, Simulator};
use kommo_sync::{Progress, RunKind, SyncOptions, sync_integration};

/// Leads with exactly one contact, each contact linked to that one lead only.
fn single_links(sim: &RunningSimulator, n: usize) -> Vec<(i64, i64)> {
    let control = sim.control();
    let mut found: Vec<(i64, i64)> = Vec::new();
    for id in control.lead_ids() {
        let lead = control.lead(id).unwrap();
        let [contact] = lead.embedded.contacts.as_slice() else {
            continue;
        };
        let leads_of_contact = control.contact(contact.id).unwrap().embedded.leads;
        if leads_of_contact.len() == 1 && found.iter().all(|(_, c)| *c != contact.id) {
            found.push((id, contact.id));
            if found.len() == n {
                break;
            }
        }
    }
    assert_eq!(found.len(), n, "the account has {n} single links");
    found
}

fn ids(list: Option<&str>) -> Vec<i64> {
    list.map(|l| l.split(',').map(|id| id.parse().unwrap()).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_changes_seen_from_either_side_reach_both_stored_sides() {
    let sim = Simulator::start(SimConfig::unlimited().with_leads(400).with_seed(21))
        .await
        .unwrap();
    for (db, test) in common::stores().await {
        let store = &test.store;
        let integration = common::integration(store, &format!("links-{db}"), &sim).await;
        let options = SyncOptions::default();
        sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        common::assert_store_matches(store, &integration, &sim).await;

        let control = sim.control();
        let picked = single_links(&sim, 4);
        let [
            (lead_unlinked, contact_touched),
            (lead_touched, contact_unlinked),
            (lead_gains, _),
            (_, contact_gains),
        ] = picked[..]
        else {
            unreachable!()
        };
        // Unlinked, only the contact stamped (as an edit of the contact card would).
        assert!(control.unlink_lead_contact(lead_unlinked, contact_touched));
        assert!(control.touch_contact(contact_touched));
        // Unlinked, only the lead stamped (as an edit of the lead would).
        assert!(control.unlink_lead_contact(lead_touched, contact_unlinked));
        assert!(control.touch_lead(lead_touched));
        // Linked, only the contact stamped.
        assert!(control.link_lead_contact(lead_gains, contact_gains, false));
        assert!(control.touch_contact(contact_gains));

        let summary = sync_integration(store, &integration, &options, &Progress::none())
            .await
            .unwrap();
        assert_eq!(summary.kind, RunKind::Incremental, "{db}");
        let leads = store.all_lead_rows(&integration.id).await.unwrap();
        let contacts_of = |lead: i64| {
            ids(leads
                .iter()
                .find(|r| r.lead_id == lead)
                .unwrap()
                .contacts_ids
                .as_deref())
        };
        let contacts = store.all_contact_rows(&integration.id).await.unwrap();
        let leads_of = |contact: i64| {
            ids(contacts
                .iter()
                .find(|r| r.contact_id == contact)
                .unwrap()
                .leads_ids
                .as_deref())
        };
        assert!(
            !contacts_of(lead_unlinked).contains(&contact_touched),
            "{db}: lead {lead_unlinked} still names contact {contact_touched}: {summary:?}"
        );
        assert!(!leads_of(contact_touched).contains(&lead_unlinked), "{db}");
        assert!(
            !contacts_of(lead_touched).contains(&contact_unlinked),
            "{db}"
        );
        assert!(
            !leads_of(contact_unlinked).contains(&lead_touched),
            "{db}: contact {contact_unlinked} still lists lead {lead_touched}: {summary:?}"
        );
        assert!(contacts_of(lead_gains).contains(&contact_gains), "{db}");
        assert!(leads_of(contact_gains).contains(&lead_gains), "{db}");
        // One contact and one lead were stamped; the three rows on the other sides were
        // read again, and nothing else.
        assert_eq!(
            (summary.relinked_leads, summary.relinked_contacts),
            (2, 1),
            "{db}: {summary:?}"
        );
        common::assert_store_matches(store, &integration, &sim).await;

        // The links are restored for the next database's pass over the same account.
        assert!(control.link_lead_contact(lead_unlinked, contact_touched, true));
        assert!(control.link_lead_contact(lead_touched, contact_unlinked, true));
        assert!(control.unlink_lead_contact(lead_gains, contact_gains));
        test.cleanup().await.unwrap();
    }
}
