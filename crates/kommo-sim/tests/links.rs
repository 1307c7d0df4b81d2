//! Lead–contact links changed through the control surface: both sides of the relation
//! follow, neither side's `updated_at` moves unless the test stamps it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::*;

fn contact_ids(page: &serde_json::Value) -> Vec<i64> {
    page["_embedded"]["contacts"]
        .as_array()
        .map(|a| a.iter().map(|c| c["id"].as_i64().unwrap()).collect())
        .unwrap_or_default()
}

fn lead_ids_of_contact(contact: &serde_json::Value) -> Vec<i64> {
    contact["_embedded"]["leads"]
        .as_array()
        .map(|a| a.iter().map(|l| l["id"].as_i64().unwrap()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn unlinking_and_linking_change_both_sides_and_no_updated_at() {
    let sim = start_small(50).await;
    let control = sim.control();
    let (lead, contact) = control
        .lead_ids()
        .into_iter()
        .find_map(|id| {
            let lead = control.lead(id).unwrap();
            (lead.embedded.contacts.len() == 1).then(|| (id, lead.embedded.contacts[0].id))
        })
        .expect("a lead with one contact");
    let lead_before = control.lead(lead).unwrap().updated_at;
    let contact_before = control.contact(contact).unwrap().updated_at;

    assert!(control.unlink_lead_contact(lead, contact));
    assert!(
        !control.unlink_lead_contact(lead, contact),
        "not linked any more"
    );
    let shown = get_json(&sim, &format!("/api/v4/leads/{lead}?with=contacts")).await;
    assert!(contact_ids(&shown).is_empty(), "{shown}");
    let shown = get_json(&sim, &format!("/api/v4/contacts/{contact}?with=leads")).await;
    assert!(!lead_ids_of_contact(&shown).contains(&lead), "{shown}");
    assert_eq!(control.lead(lead).unwrap().updated_at, lead_before);
    assert_eq!(control.contact(contact).unwrap().updated_at, contact_before);

    // Linked again, as main; then a second contact, which does not take over as main.
    assert!(control.link_lead_contact(lead, contact, true));
    let other = control
        .lead_ids()
        .into_iter()
        .filter_map(|id| {
            control
                .lead(id)
                .unwrap()
                .embedded
                .contacts
                .first()
                .map(|c| c.id)
        })
        .find(|c| *c != contact)
        .unwrap();
    assert!(control.link_lead_contact(lead, other, false));
    let shown = get_json(&sim, &format!("/api/v4/leads/{lead}?with=contacts")).await;
    assert_eq!(contact_ids(&shown), vec![contact, other]);
    assert_eq!(shown["_embedded"]["contacts"][0]["is_main"], true);
    let shown = get_json(&sim, &format!("/api/v4/contacts/{other}?with=leads")).await;
    assert!(lead_ids_of_contact(&shown).contains(&lead), "{shown}");
    assert_eq!(control.lead(lead).unwrap().updated_at, lead_before);

    // Unlinking the main contact makes the one left main.
    assert!(control.unlink_lead_contact(lead, contact));
    let shown = get_json(&sim, &format!("/api/v4/leads/{lead}?with=contacts")).await;
    assert_eq!(contact_ids(&shown), vec![other]);
    assert_eq!(shown["_embedded"]["contacts"][0]["is_main"], true);
    assert!(
        !control.link_lead_contact(lead, 999_999_999, false),
        "no such contact"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn touching_stamps_updated_at_and_moves_the_row_in_the_updated_at_order() {
    let sim = start_small(50).await;
    let control = sim.control();
    let (lead, contact) = control
        .lead_ids()
        .into_iter()
        .find_map(|id| Some((id, control.lead(id)?.embedded.contacts.first()?.id)))
        .expect("a lead with a contact");
    // Every generated change is older than the anchor; stamps are now, never before it.
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .max(kommo_sim::DEFAULT_ANCHOR as u64 + 1) as i64
        - 1;

    assert!(control.touch_lead(lead));
    assert!(control.touch_contact(contact));
    assert!(control.lead(lead).unwrap().updated_at >= since);
    let changed = get_json(
        &sim,
        &format!("/api/v4/leads?filter[updated_at][from]={since}&limit=250"),
    )
    .await;
    assert_eq!(ids(&changed, "leads"), vec![lead]);
    let changed = get_json(
        &sim,
        &format!("/api/v4/contacts?filter[updated_at][from]={since}&limit=250"),
    )
    .await;
    assert_eq!(ids(&changed, "contacts"), vec![contact]);

    assert!(control.delete_lead(lead));
    assert!(!control.touch_lead(lead), "a deleted lead is not edited");
    assert!(!control.touch_contact(-1));
    sim.shutdown().await;
}
