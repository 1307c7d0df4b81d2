//! Reading the account through the client against the simulator: pages, ends of lists, gets,
//! deleted leads, typed filters.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use std::collections::HashSet;

use futures::TryStreamExt;
use kommo::{Direction, EntityOrder, LeadWith, LeadsQuery};
use kommo_sim::SimConfig;

#[tokio::test]
async fn lists_every_lead_in_pages_of_250_and_stops_at_the_page_without_next() {
    let sim = common::start(SimConfig::unlimited().with_leads(1_000)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    let pages: Vec<_> = client.leads(LeadsQuery::new()).try_collect().await.unwrap();
    assert_eq!(
        pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(),
        vec![250, 250, 250, 250]
    );
    assert_eq!(
        pages.iter().map(|p| p.number).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert!(pages[..3].iter().all(|p| p.has_next) && !pages[3].has_next);
    let ids: HashSet<i64> = pages
        .iter()
        .flat_map(|p| p.items.iter().map(|l| l.id))
        .collect();
    assert_eq!(ids.len(), sim.control().lead_count());
    // No fifth request: the last page had no `next`.
    assert_eq!(
        sim.control().counters().requests_to("GET", "/api/v4/leads"),
        4
    );
}

#[tokio::test]
async fn no_match_and_pages_past_the_end_end_on_204() {
    let sim = common::start(SimConfig::unlimited().with_leads(100)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    let none = client
        .leads(LeadsQuery::new().ids([987_654_321]))
        .collect_all()
        .await
        .unwrap();
    assert!(none.is_empty());
    let past_end = client
        .leads(LeadsQuery::new().page(50))
        .collect_all()
        .await
        .unwrap();
    assert!(past_end.is_empty());
    let counters = sim.control().counters();
    assert_eq!(
        counters.requests_with_status("GET", "/api/v4/leads", 204),
        2
    );
    assert_eq!(counters.requests_to("GET", "/api/v4/leads"), 2);
}

#[tokio::test]
async fn collect_all_and_items_agree_with_the_account() {
    let sim = common::start(SimConfig::unlimited().with_leads(600)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    let all = client
        .leads(LeadsQuery::new().limit(100))
        .collect_all()
        .await
        .unwrap();
    let streamed: Vec<_> = client
        .leads(LeadsQuery::new().limit(100))
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), sim.control().lead_count());
    assert_eq!(
        all.iter().map(|l| l.id).collect::<Vec<_>>(),
        streamed.iter().map(|l| l.id).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn get_lead_by_id_and_a_missing_lead_is_none() {
    let sim = common::start(SimConfig::unlimited().with_leads(50)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    let id = sim.control().lead_ids()[7];
    let lead = client
        .lead(id, &[LeadWith::Contacts, LeadWith::LossReason])
        .await
        .unwrap()
        .expect("the lead exists");
    let truth = sim.control().lead(id).unwrap();
    assert_eq!(
        (lead.id, &lead.name, lead.price, lead.status_id),
        (truth.id, &truth.name, truth.price, truth.status_id)
    );
    assert_eq!(lead.embedded.contacts, truth.embedded.contacts);
    assert!(client.lead(987_654_321, &[]).await.unwrap().is_none());
}

#[tokio::test]
async fn only_deleted_lists_the_restorable_deleted_leads() {
    let sim = common::start(SimConfig::unlimited().with_leads(200)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    let before = client
        .deleted_leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap();
    let victims: Vec<i64> = sim
        .control()
        .lead_ids()
        .into_iter()
        .step_by(40)
        .take(3)
        .collect();
    for id in &victims {
        assert!(sim.control().delete_lead(*id));
    }
    let deleted = client
        .deleted_leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap();
    assert_eq!(deleted.len(), before.len() + 3);
    assert!(deleted.iter().all(|l| l.is_deleted && l.updated_at > 0));
    let ids: HashSet<i64> = deleted.iter().map(|l| l.id).collect();
    assert!(victims.iter().all(|id| ids.contains(id)));
    // And they are gone from the live list.
    let live: HashSet<i64> = client
        .leads(LeadsQuery::new())
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.id)
        .collect();
    assert!(victims.iter().all(|id| !live.contains(id)));
}

#[tokio::test]
async fn typed_order_and_filters_reach_the_simulator() {
    let sim = common::start(SimConfig::unlimited().with_leads(500)).await;
    let client = common::client(&sim, common::unthrottled(), common::quick_retries());
    let all = client.leads(LeadsQuery::new()).collect_all().await.unwrap();
    let mut stamps: Vec<i64> = all.iter().map(|l| l.updated_at).collect();
    stamps.sort_unstable();
    let from = stamps[stamps.len() / 2];
    let recent = client
        .leads(
            LeadsQuery::new()
                .order(EntityOrder::UpdatedAt, Direction::Asc)
                .updated_between(Some(from), None)
                .limit(50),
        )
        .collect_all()
        .await
        .unwrap();
    assert_eq!(recent.len(), stamps.iter().filter(|s| **s >= from).count());
    assert!(
        recent
            .windows(2)
            .all(|w| w[0].updated_at <= w[1].updated_at),
        "ordered by updated_at asc"
    );
    let pipeline = all[0].pipeline_id;
    let status = all[0].status_id;
    let in_stage = client
        .leads(LeadsQuery::new().in_status(pipeline, status))
        .collect_all()
        .await
        .unwrap();
    assert!(!in_stage.is_empty());
    assert!(
        in_stage
            .iter()
            .all(|l| l.pipeline_id == pipeline && l.status_id == status)
    );
    assert_eq!(
        in_stage.len(),
        all.iter()
            .filter(|l| l.pipeline_id == pipeline && l.status_id == status)
            .count()
    );
}
