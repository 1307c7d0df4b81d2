//! The data API's reads checked against an in-memory oracle: every filter, the default
//! orders and every orderBy, and paging that returns each row exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use chrono::{DateTime, Utc};
use common::*;
use kommo_store::query::*;
use kommo_store::rows::{ContactRow, LeadRow, PipelineRow, RowTenancy, UserRow};
use kommo_store::testing::TestStore;
use kommo_store::{DeletedRef, EntityKind, Store};

const DELETED: [i64; 3] = [5, 10, 33];

/// ws-a1 holds int-a1 (leads 1..=120, three deleted) and int-a1b (leads 1..=30, same ids:
/// ties on every sort key but the row id); other workspaces and organizations hold
/// leads with the same ids too. Returns ws-a1's leads in insertion order (= row id order).
async fn seed_leads(s: &Store) -> Vec<LeadRow> {
    setup_tenancy(s).await;
    let mut ws_a1 = Vec::new();
    for (t, n) in [
        (tenancy("org-a", "ws-a1", "int-a1"), 120),
        (tenancy("org-a", "ws-a1", "int-a1b"), 30),
        (tenancy("org-a", "ws-a2", "int-a2"), 50),
        (tenancy("org-b", "ws-b1", "int-b1"), 50),
    ] {
        let rows: Vec<LeadRow> = (1..=n).map(|id| lead(&t, id)).collect();
        s.write_leads(&t, &rows, None).await.unwrap();
        if t.workspace_id == "ws-a1" {
            ws_a1.extend(rows);
        }
    }
    let t = tenancy("org-a", "ws-a1", "int-a1");
    let gone: Vec<DeletedRef> = DELETED
        .iter()
        .map(|id| DeletedRef {
            id: *id,
            updated_at: 0,
        })
        .collect();
    s.mark_deleted(&t, EntityKind::Lead, &gone, None)
        .await
        .unwrap();
    for row in &mut ws_a1 {
        if row.tenancy.integration_id == "int-a1" && DELETED.contains(&row.lead_id) {
            row.is_deleted = true;
        }
    }
    ws_a1
}

fn at(seconds: i64, nanos: u32) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, nanos).unwrap()
}

fn in_range(value: Option<i64>, range: &TimeRange) -> bool {
    if range.is_open() {
        return true;
    }
    let Some(v) = value else { return false };
    let start_ok = range
        .start
        .is_none_or(|s| v >= s.timestamp() + i64::from(s.timestamp_subsec_nanos() > 0));
    let end_ok = range.end.is_none_or(|e| v <= e.timestamp());
    start_ok && end_ok
}

fn any_of(list: &[i64], value: Option<i64>) -> bool {
    list.is_empty() || value.is_some_and(|v| list.contains(&v))
}

fn lead_matches(f: &LeadFilter, r: &LeadRow) -> bool {
    let deleted_ok = match f.deleted {
        Deleted::Live => !r.is_deleted,
        Deleted::Only => r.is_deleted,
        Deleted::Any => true,
    };
    let tags = &r.tag_list;
    let first = tags.first();
    deleted_ok
        && any_of(&f.lead_id, Some(r.lead_id))
        && any_of(&f.status_id, Some(r.status_id))
        && any_of(&f.pipeline_id, Some(r.pipeline_id))
        && any_of(&f.responsible_user_id, r.responsible_user_id)
        && any_of(&f.group_id, r.group_id)
        && any_of(&f.loss_reason_id, r.loss_reason_id)
        && (f.tag_id.is_empty() || tags.iter().any(|t| f.tag_id.contains(&t.id)))
        && f.tag_name
            .as_ref()
            .is_none_or(|n| tags.iter().any(|t| &t.name == n))
        && f.tag_color
            .as_ref()
            .is_none_or(|c| tags.iter().any(|t| t.color.as_ref() == Some(c)))
        && (f.tag_id_first.is_empty() || first.is_some_and(|t| f.tag_id_first.contains(&t.id)))
        && f.tag_name_first
            .as_ref()
            .is_none_or(|n| first.is_some_and(|t| &t.name == n))
        && f.tag_color_first
            .as_ref()
            .is_none_or(|c| first.is_some_and(|t| t.color.as_ref() == Some(c)))
        && in_range(r.created_at, &f.created)
        && in_range(r.updated_at, &f.last_modified)
        && in_range(r.closed_at, &f.closed)
}

fn lead_key(order: Option<(LeadOrder, Direction)>, r: &LeadRow) -> Option<i64> {
    match order.map(|o| o.0) {
        None | Some(LeadOrder::CreatedAt) => r.created_at,
        Some(LeadOrder::UpdatedAt) => r.updated_at,
        Some(LeadOrder::ClosedAt) => r.closed_at,
        Some(LeadOrder::ClosestTaskAt) => r.closest_task_at,
        Some(LeadOrder::InsertedAt) => Some(0),
        Some(LeadOrder::LeadId) => Some(r.lead_id),
        Some(LeadOrder::StatusId) => Some(r.status_id),
        Some(LeadOrder::PipelineId) => Some(r.pipeline_id),
        Some(LeadOrder::ResponsibleUserId) => r.responsible_user_id,
    }
}

/// The expected order: the key (NULL lowest), the lead id, then insertion order, all in
/// the query's direction.
fn expected_leads(all: &[LeadRow], q: &LeadsQuery) -> Vec<(String, i64)> {
    let mut rows: Vec<(usize, &LeadRow)> = all
        .iter()
        .enumerate()
        .filter(|(_, r)| lead_matches(&q.filter, r))
        .collect();
    let direction = q.order.map_or(Direction::Desc, |o| o.1);
    rows.sort_by(|(ia, a), (ib, b)| {
        let ord = (lead_key(q.order, a), a.lead_id, ia).cmp(&(lead_key(q.order, b), b.lead_id, ib));
        if direction == Direction::Desc {
            ord.reverse()
        } else {
            ord
        }
    });
    rows.into_iter()
        .map(|(_, r)| (r.tenancy.integration_id.clone(), r.lead_id))
        .collect()
}

/// The JSON form of a page (what the data API serves) is exactly serde's rendering of the
/// same page's rows, with the same metadata.
fn assert_json_page<T: serde::Serialize>(json: &JsonPage, rows: &Page<T>) {
    assert_eq!(
        String::from_utf8_lossy(&json.rows),
        serde_json::to_string(&rows.rows).unwrap()
    );
    assert_eq!(
        (
            json.page,
            json.limit,
            json.has_next_page,
            json.has_previous_page
        ),
        (
            rows.page,
            rows.limit,
            rows.has_next_page,
            rows.has_previous_page
        )
    );
}

/// Pages through a query and checks the page metadata (and its JSON form) on the way.
async fn all_pages(s: &Store, g: &Grant, q: &LeadsQuery, limit: u32) -> Vec<LeadRow> {
    let mut out = Vec::new();
    for n in 1.. {
        let q = LeadsQuery {
            page: page(n, limit),
            ..q.clone()
        };
        let p = s.leads(g, &q).await.unwrap();
        assert_json_page(&s.leads_json(g, &q).await.unwrap(), &p);
        assert_eq!((p.page, p.limit, p.has_previous_page), (n, limit, n > 1));
        assert!(p.rows.len() <= limit as usize);
        let done = !p.has_next_page;
        assert!(done || p.rows.len() == limit as usize);
        out.extend(p.rows);
        if done {
            break;
        }
    }
    out
}

fn lead_query(filter: LeadFilter) -> LeadsQuery {
    LeadsQuery {
        scope: scope("ws-a1"),
        filter,
        order: None,
        page: page(1, 1000),
    }
}

fn lead_filters() -> Vec<(&'static str, LeadFilter)> {
    let d = LeadFilter::default;
    vec![
        ("none", d()),
        (
            "leadId",
            LeadFilter {
                lead_id: vec![3, 4, 5, 999],
                ..d()
            },
        ),
        (
            "statusId list",
            LeadFilter {
                status_id: vec![142, 143],
                ..d()
            },
        ),
        (
            "pipelineId",
            LeadFilter {
                pipeline_id: vec![11],
                ..d()
            },
        ),
        (
            "pipeline in a created range",
            LeadFilter {
                pipeline_id: vec![12],
                created: TimeRange {
                    start: Some(at(BASE + 10 * 3_600, 0)),
                    end: Some(at(BASE + 40 * 3_600, 0)),
                },
                ..d()
            },
        ),
        (
            "responsibleUserId",
            LeadFilter {
                responsible_user_id: vec![501, 502],
                ..d()
            },
        ),
        (
            "groupId",
            LeadFilter {
                group_id: vec![1],
                ..d()
            },
        ),
        (
            "lossReasonId",
            LeadFilter {
                loss_reason_id: vec![77],
                ..d()
            },
        ),
        (
            "tagId",
            LeadFilter {
                tag_id: vec![1, 3],
                ..d()
            },
        ),
        (
            "tagName with a comma",
            LeadFilter {
                tag_name: Some("cold, slow".into()),
                ..d()
            },
        ),
        (
            "tagName unknown",
            LeadFilter {
                tag_name: Some("cold".into()),
                ..d()
            },
        ),
        (
            "tagColor",
            LeadFilter {
                tag_color: Some("#ff0000".into()),
                ..d()
            },
        ),
        (
            "tagIdFirst",
            LeadFilter {
                tag_id_first: vec![4],
                ..d()
            },
        ),
        (
            "tagNameFirst",
            LeadFilter {
                tag_name_first: Some("VIP".into()),
                ..d()
            },
        ),
        (
            "tagColorFirst",
            LeadFilter {
                tag_color_first: Some("#00ff00".into()),
                ..d()
            },
        ),
        (
            "created, fractional start rounds up",
            LeadFilter {
                created: TimeRange {
                    start: Some(at(BASE + 5 * 3_600, 500_000_000)),
                    end: None,
                },
                ..d()
            },
        ),
        (
            "created, fractional end rounds down",
            LeadFilter {
                created: TimeRange {
                    start: None,
                    end: Some(at(BASE + 7 * 3_600, 999_000_000)),
                },
                ..d()
            },
        ),
        (
            "lastModified",
            LeadFilter {
                last_modified: TimeRange {
                    start: Some(at(BASE + 1_000_000 + 600, 0)),
                    end: Some(at(BASE + 1_000_000 + 1_200, 0)),
                },
                ..d()
            },
        ),
        (
            "closed",
            LeadFilter {
                closed: TimeRange {
                    start: Some(at(BASE + 2_000_050, 0)),
                    end: None,
                },
                ..d()
            },
        ),
        (
            "deleted only",
            LeadFilter {
                deleted: Deleted::Only,
                ..d()
            },
        ),
        (
            "deleted any",
            LeadFilter {
                deleted: Deleted::Any,
                ..d()
            },
        ),
        (
            "combined",
            LeadFilter {
                pipeline_id: vec![10, 11],
                status_id: vec![142, 1001],
                tag_id: vec![4],
                deleted: Deleted::Any,
                ..d()
            },
        ),
    ]
}

async fn every_lead_filter_matches_the_oracle(t: &TestStore) {
    let s = &t.store;
    let all = seed_leads(s).await;
    let g = grant(&["ws-a1"]);
    for (name, filter) in lead_filters() {
        let q = lead_query(filter);
        let got: Vec<(String, i64)> = all_pages(s, &g, &q, 1000)
            .await
            .iter()
            .map(|r| (r.tenancy.integration_id.clone(), r.lead_id))
            .collect();
        let want = expected_leads(&all, &q);
        assert_eq!(got, want, "filter {name}");
        if name != "tagName unknown" && name != "deleted only" {
            assert!(
                got.len() > 1,
                "filter {name} should select something to be a test"
            );
        }
    }
}

async fn every_lead_order_is_total_in_both_directions(t: &TestStore) {
    let s = &t.store;
    let all = seed_leads(s).await;
    let g = grant(&["ws-a1"]);
    let orders = [
        LeadOrder::CreatedAt,
        LeadOrder::UpdatedAt,
        LeadOrder::ClosedAt,
        LeadOrder::ClosestTaskAt,
        LeadOrder::LeadId,
        LeadOrder::StatusId,
        LeadOrder::PipelineId,
        LeadOrder::ResponsibleUserId,
    ];
    for order in orders {
        for direction in [Direction::Asc, Direction::Desc] {
            let q = LeadsQuery {
                order: Some((order, direction)),
                ..lead_query(LeadFilter::default())
            };
            // One page, then small pages twice: the second crawl starts each page from the
            // boundaries the first one left (keyset), and must return the same rows.
            for (limit, pass) in [(1000, 1), (7, 1), (7, 2)] {
                let got: Vec<(String, i64)> = all_pages(s, &g, &q, limit)
                    .await
                    .iter()
                    .map(|r| (r.tenancy.integration_id.clone(), r.lead_id))
                    .collect();
                assert_eq!(
                    got,
                    expected_leads(&all, &q),
                    "order {order:?} {direction:?}, limit {limit}, pass {pass}"
                );
            }
        }
    }
}

/// Pages remembered by a reader are not reused once the data changed: rows written between
/// two crawls (in the middle of the order, and with no created_at) appear in the second.
async fn pages_follow_writes_between_crawls(t: &TestStore) {
    let s = &t.store;
    let mut all = seed_leads(s).await;
    let g = grant(&["ws-a1"]);
    let q = lead_query(LeadFilter::default());
    for limit in [7, 7, 50] {
        let got: Vec<(String, i64)> = all_pages(s, &g, &q, limit)
            .await
            .iter()
            .map(|r| (r.tenancy.integration_id.clone(), r.lead_id))
            .collect();
        assert_eq!(got, expected_leads(&all, &q), "limit {limit} before");
    }
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let added: Vec<LeadRow> = (1000..1040).map(|id| lead(&ten, id)).collect();
    s.write_leads(&ten, &added, None).await.unwrap();
    all.extend(added);
    for limit in [7, 50] {
        let got: Vec<(String, i64)> = all_pages(s, &g, &q, limit)
            .await
            .iter()
            .map(|r| (r.tenancy.integration_id.clone(), r.lead_id))
            .collect();
        assert_eq!(got, expected_leads(&all, &q), "limit {limit} after");
    }
    // Page 3 alone, asked again after a crawl and after a write, equals its slice.
    let page3 = |all: &[LeadRow]| expected_leads(all, &q)[14..21].to_vec();
    let read3 = || async {
        s.leads(
            &g,
            &LeadsQuery {
                page: page(3, 7),
                ..q.clone()
            },
        )
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| (r.tenancy.integration_id.clone(), r.lead_id))
        .collect::<Vec<_>>()
    };
    assert_eq!(read3().await, page3(&all));
    let more: Vec<LeadRow> = (2000..2005).map(|id| lead(&ten, id)).collect();
    s.write_leads(&ten, &more, None).await.unwrap();
    all.extend(more);
    assert_eq!(read3().await, page3(&all));
}

async fn paging_returns_every_lead_exactly_once(t: &TestStore) {
    let s = &t.store;
    let all = seed_leads(s).await;
    let g = grant(&["ws-a1"]);
    let q = lead_query(LeadFilter {
        deleted: Deleted::Any,
        ..LeadFilter::default()
    });
    let want = expected_leads(&all, &q);
    assert_eq!(want.len(), 150);
    for limit in [1, 7, 50, 149, 150, 151, 5000] {
        let got: Vec<(String, i64)> = all_pages(s, &g, &q, limit)
            .await
            .iter()
            .map(|r| (r.tenancy.integration_id.clone(), r.lead_id))
            .collect();
        assert_eq!(got, want, "limit {limit}");
    }
    let past_end = s
        .leads(
            &g,
            &LeadsQuery {
                page: page(99, 100),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert!(past_end.rows.is_empty() && !past_end.has_next_page && past_end.has_previous_page);
    assert!(
        s.leads(
            &g,
            &LeadsQuery {
                page: page(0, 100),
                ..q.clone()
            }
        )
        .await
        .is_err()
    );
    assert!(
        s.leads(
            &g,
            &LeadsQuery {
                page: page(1, 0),
                ..q
            }
        )
        .await
        .is_err()
    );
}

async fn returned_lead_rows_are_complete(t: &TestStore) {
    let s = &t.store;
    let all = seed_leads(s).await;
    let g = grant(&["ws-a1"]);
    let q = LeadsQuery {
        scope: Scope {
            integration_ids: vec!["int-a1".into()],
            ..scope("ws-a1")
        },
        filter: LeadFilter {
            lead_id: vec![12],
            ..LeadFilter::default()
        },
        order: None,
        page: page(1, 10),
    };
    let p = s.leads(&g, &q).await.unwrap();
    assert_eq!(p.rows.len(), 1);
    let got = &p.rows[0];
    let mut want = all
        .iter()
        .find(|r| r.lead_id == 12 && r.tenancy.integration_id == "int-a1")
        .unwrap()
        .clone();
    want.tag_list.clear(); // data API reads leave the side lists empty
    want.document_id = kommo_store::document_id("int-a1", "lead", &[12]);
    want.inserted_at = got.inserted_at;
    assert_eq!(got, &want);
    let json = serde_json::to_value(got).unwrap();
    assert_eq!(json["lead_id"], "12");
    assert_eq!(json["integration_id"], "int-a1");
    assert_eq!(json["created_at"], "2026-01-01T06:00:00.000Z");
}

fn contact_matches(f: &ContactFilter, r: &ContactRow) -> bool {
    let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
    any_of(&f.contact_id, Some(r.contact_id))
        && any_of(&f.responsible_user_id, r.responsible_user_id)
        && any_of(&f.group_id, r.group_id)
        && any_of(&f.company_id, r.company_id)
        && (f.lead_id.is_empty() || r.lead_id_list.iter().any(|l| f.lead_id.contains(l)))
        && f.email.as_ref().is_none_or(|e| {
            r.email_list
                .iter()
                .any(|x| x.trim().to_lowercase() == e.trim().to_lowercase())
        })
        && f.phone
            .as_ref()
            .is_none_or(|p| r.phone_list.iter().any(|x| digits(x) == digits(p)))
        && (f.tag_id.is_empty() || r.tag_list.iter().any(|t| f.tag_id.contains(&t.id)))
        && f.tag_name
            .as_ref()
            .is_none_or(|n| r.tag_list.iter().any(|t| &t.name == n))
        && f.tag_color
            .as_ref()
            .is_none_or(|c| r.tag_list.iter().any(|t| t.color.as_ref() == Some(c)))
        && (f.tag_id_first.is_empty()
            || r.tag_list
                .first()
                .is_some_and(|t| f.tag_id_first.contains(&t.id)))
        && f.tag_name_first
            .as_ref()
            .is_none_or(|n| r.tag_list.first().is_some_and(|t| &t.name == n))
        && f.tag_color_first.as_ref().is_none_or(|c| {
            r.tag_list
                .first()
                .is_some_and(|t| t.color.as_ref() == Some(c))
        })
        && in_range(r.created_at, &f.created)
        && in_range(r.updated_at, &f.last_modified)
        && !r.is_deleted
}

async fn every_contact_filter_matches_the_oracle(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten: RowTenancy = tenancy("org-a", "ws-a1", "int-a1");
    let all: Vec<ContactRow> = (1..=80).map(|id| contact(&ten, id)).collect();
    s.write_contacts(&ten, &all, None).await.unwrap();
    let other = tenancy("org-b", "ws-b1", "int-b1");
    s.write_contacts(
        &other,
        &(1..=80).map(|id| contact(&other, id)).collect::<Vec<_>>(),
        None,
    )
    .await
    .unwrap();
    let g = grant(&["ws-a1"]);
    let d = ContactFilter::default;
    let filters = vec![
        ("none", d()),
        (
            "contactId",
            ContactFilter {
                contact_id: vec![1, 2, 80],
                ..d()
            },
        ),
        (
            "responsibleUserId",
            ContactFilter {
                responsible_user_id: vec![501],
                ..d()
            },
        ),
        (
            "groupId",
            ContactFilter {
                group_id: vec![0],
                ..d()
            },
        ),
        (
            "companyId",
            ContactFilter {
                company_id: vec![1, 2],
                ..d()
            },
        ),
        (
            "leadId",
            ContactFilter {
                lead_id: vec![14, 31],
                ..d()
            },
        ),
        (
            "email any case",
            ContactFilter {
                email: Some("  USER7@example.COM".into()),
                ..d()
            },
        ),
        (
            "second email",
            ContactFilter {
                email: Some("alt9@example.org".into()),
                ..d()
            },
        ),
        (
            "phone by digits",
            ContactFilter {
                phone: Some("5511999900 12".into()),
                ..d()
            },
        ),
        (
            "tagId",
            ContactFilter {
                tag_id: vec![3],
                ..d()
            },
        ),
        (
            "tagName",
            ContactFilter {
                tag_name: Some("VIP".into()),
                ..d()
            },
        ),
        (
            "tagColor",
            ContactFilter {
                tag_color: Some("#ff0000".into()),
                ..d()
            },
        ),
        (
            "tagIdFirst",
            ContactFilter {
                tag_id_first: vec![4],
                ..d()
            },
        ),
        (
            "tagNameFirst",
            ContactFilter {
                tag_name_first: Some("partner".into()),
                ..d()
            },
        ),
        (
            "tagColorFirst",
            ContactFilter {
                tag_color_first: Some("#00ff00".into()),
                ..d()
            },
        ),
        (
            "created",
            ContactFilter {
                created: TimeRange {
                    start: Some(at(BASE + 600, 0)),
                    end: Some(at(BASE + 1_200, 0)),
                },
                ..d()
            },
        ),
        (
            "lastModified",
            ContactFilter {
                last_modified: TimeRange {
                    start: Some(at(BASE + 500_040, 0)),
                    end: None,
                },
                ..d()
            },
        ),
    ];
    for (name, filter) in filters {
        let mut want: Vec<&ContactRow> =
            all.iter().filter(|r| contact_matches(&filter, r)).collect();
        want.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.contact_id)));
        let want: Vec<i64> = want.iter().map(|r| r.contact_id).collect();
        assert!(!want.is_empty(), "filter {name} should select something");
        for limit in [3, 1000] {
            let mut got = Vec::new();
            for n in 1.. {
                let q = ContactsQuery {
                    scope: scope("ws-a1"),
                    filter: filter.clone(),
                    order: None,
                    page: page(n, limit),
                };
                let p = s.contacts(&g, &q).await.unwrap();
                assert_json_page(&s.contacts_json(&g, &q).await.unwrap(), &p);
                got.extend(p.rows.iter().map(|r| r.contact_id));
                assert!(p.rows.iter().all(|r| r.tenancy.integration_id == "int-a1"));
                if !p.has_next_page {
                    break;
                }
            }
            assert_eq!(got, want, "filter {name}, limit {limit}");
        }
    }
    let q = ContactsQuery {
        scope: scope("ws-a1"),
        filter: d(),
        order: Some((ContactOrder::UpdatedAt, Direction::Asc)),
        page: page(1, 5),
    };
    let ids: Vec<i64> = s
        .contacts(&g, &q)
        .await
        .unwrap()
        .rows
        .iter()
        .map(|r| r.contact_id)
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5]);
}

fn pipeline(
    ten: &RowTenancy,
    pipeline_id: i64,
    pipeline_sort: i64,
    status_id: i64,
    sort: i64,
) -> PipelineRow {
    PipelineRow {
        pipeline_id,
        pipeline_name: format!("Sales {pipeline_id}"),
        pipeline_sort,
        status_id,
        status_name: match status_id {
            142 => "Closed - won".into(),
            143 => "Closed - lost".into(),
            _ => format!("Stage {status_id}"),
        },
        sort,
        is_editable: status_id != 142 && status_id != 143,
        color: if status_id == 142 {
            "#CCFF66".into()
        } else {
            "#fffeb2".into()
        },
        status_type: i64::from(sort == 10),
        tenancy: ten.clone(),
        document_id: String::new(),
        inserted_at: 0,
        is_main: pipeline_sort == 1,
        is_archive: false,
    }
}

async fn pipelines_filters_and_default_order(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    // Pipeline 300 sorts first (pipeline_sort 1), then 100 and 200 (sort 2, by id).
    let mut rows = Vec::new();
    for (p, psort) in [(200, 2), (100, 2), (300, 1)] {
        for (status, sort) in [(143, 11_000), (p + 2, 20), (142, 10_000), (p + 1, 10)] {
            rows.push(pipeline(&ten, p, psort, status, sort));
        }
    }
    s.replace_pipelines(&ten, &rows).await.unwrap();
    let other = tenancy("org-b", "ws-b1", "int-b1");
    s.replace_pipelines(&other, &[pipeline(&other, 100, 0, 101, 10)])
        .await
        .unwrap();
    let g = &grant(&["ws-a1"]);
    let list = |filter: PipelineFilter, order| {
        let q = PipelinesQuery {
            scope: scope("ws-a1"),
            filter,
            order,
            page: page(1, 100),
        };
        async move {
            let p = s.pipelines(g, &q).await.unwrap();
            assert_json_page(&s.pipelines_json(g, &q).await.unwrap(), &p);
            p.rows
                .iter()
                .map(|r| (r.pipeline_id, r.status_id))
                .collect::<Vec<_>>()
        }
    };
    let d = PipelineFilter::default;
    assert_eq!(
        list(d(), None).await,
        [
            (300, 301),
            (300, 302),
            (300, 142),
            (300, 143),
            (100, 101),
            (100, 102),
            (100, 142),
            (100, 143),
            (200, 201),
            (200, 202),
            (200, 142),
            (200, 143),
        ]
    );
    assert_eq!(
        list(
            PipelineFilter {
                pipeline_name: Some("Sales 100".into()),
                ..d()
            },
            None
        )
        .await
        .len(),
        4
    );
    assert_eq!(
        list(
            PipelineFilter {
                pipeline_id: vec![200, 300],
                ..d()
            },
            None
        )
        .await
        .len(),
        8
    );
    assert_eq!(
        list(
            PipelineFilter {
                status_id: vec![142],
                ..d()
            },
            None
        )
        .await,
        [(300, 142), (100, 142), (200, 142)]
    );
    assert_eq!(
        list(
            PipelineFilter {
                status_name: Some("Closed - lost".into()),
                ..d()
            },
            None
        )
        .await
        .len(),
        3
    );
    assert_eq!(
        list(
            PipelineFilter {
                sort: Some(20),
                ..d()
            },
            None
        )
        .await,
        [(300, 302), (100, 102), (200, 202)]
    );
    assert_eq!(
        list(
            PipelineFilter {
                color: Some("#CCFF66".into()),
                ..d()
            },
            None
        )
        .await
        .len(),
        3
    );
    assert_eq!(
        list(
            PipelineFilter {
                status_type: Some(1),
                ..d()
            },
            None
        )
        .await,
        [(300, 301), (100, 101), (200, 201)]
    );
    assert_eq!(
        list(d(), Some((PipelineOrder::StatusId, Direction::Desc))).await[..4],
        [(300, 302), (300, 301), (200, 202), (200, 201)]
    );
    let p2 = s
        .pipelines(
            g,
            &PipelinesQuery {
                scope: scope("ws-a1"),
                filter: d(),
                order: None,
                page: page(2, 5),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        p2.rows.iter().map(|r| r.status_id).collect::<Vec<_>>(),
        [102, 142, 143, 201, 202]
    );
    assert!(p2.has_next_page && p2.has_previous_page);
}

fn user(ten: &RowTenancy, id: i64) -> UserRow {
    UserRow {
        user_id: id,
        user_name: Some(format!("User {id}")),
        email: Some(format!("User{id}@Example.com")),
        lang: Some("en".into()),
        is_admin: id % 4 == 0,
        is_free: false,
        is_active: id % 3 != 0,
        group_id: Some(id % 2),
        group_name: None,
        role_id: Some(id % 3),
        role_name: None,
        rights: None,
        tenancy: ten.clone(),
        document_id: String::new(),
        inserted_at: 0,
    }
}

async fn users_filters_and_default_order(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let rows: Vec<UserRow> = (1..=12).rev().map(|id| user(&ten, id)).collect();
    s.replace_users(&ten, &rows).await.unwrap();
    let g = &grant(&["ws-a1"]);
    let list = |filter: UserFilter| {
        let q = UsersQuery {
            scope: scope("ws-a1"),
            filter,
            order: None,
            page: page(1, 100),
        };
        async move {
            let p = s.users(g, &q).await.unwrap();
            assert_json_page(&s.users_json(g, &q).await.unwrap(), &p);
            p.rows.iter().map(|r| r.user_id).collect::<Vec<_>>()
        }
    };
    let d = UserFilter::default;
    assert_eq!(list(d()).await, (1..=12).collect::<Vec<_>>());
    assert_eq!(
        list(UserFilter {
            user_id: vec![3, 5],
            ..d()
        })
        .await,
        [3, 5]
    );
    assert_eq!(
        list(UserFilter {
            email: Some("user7@EXAMPLE.com".into()),
            ..d()
        })
        .await,
        [7]
    );
    assert_eq!(
        list(UserFilter {
            group_id: vec![1],
            ..d()
        })
        .await,
        [1, 3, 5, 7, 9, 11]
    );
    assert_eq!(
        list(UserFilter {
            role_id: vec![0],
            ..d()
        })
        .await,
        [3, 6, 9, 12]
    );
    assert_eq!(
        list(UserFilter {
            is_active: Some(false),
            ..d()
        })
        .await,
        [3, 6, 9, 12]
    );
    assert_eq!(
        list(UserFilter {
            is_admin: Some(true),
            is_active: Some(true),
            ..d()
        })
        .await,
        [4, 8]
    );
    let q = UsersQuery {
        scope: scope("ws-a1"),
        filter: d(),
        order: Some((UserOrder::UserId, Direction::Desc)),
        page: page(1, 3),
    };
    assert_eq!(
        s.users(g, &q)
            .await
            .unwrap()
            .rows
            .iter()
            .map(|r| r.user_id)
            .collect::<Vec<_>>(),
        [12, 11, 10]
    );
}

/// A tag carried by more than 10,000 leads is filtered by walking the ordered index and
/// probing the tags (the store switches forms); the rows must be the same either way.
async fn common_and_rare_tags_filter_alike(t: &TestStore) {
    let s = &t.store;
    setup_tenancy(s).await;
    let ten = tenancy("org-a", "ws-a1", "int-a1");
    let rows: Vec<LeadRow> = (1..=10_500)
        .map(|id| {
            let mut row = lead(&ten, id);
            row.tag_list = vec![kommo_store::rows::RowTag {
                id: 50,
                name: "everyone".into(),
                color: None,
            }];
            if id % 1000 == 0 {
                row.tag_list.push(kommo_store::rows::RowTag {
                    id: 60,
                    name: "rare".into(),
                    color: None,
                });
            }
            row
        })
        .collect();
    for page_rows in rows.chunks(250) {
        s.write_leads(&ten, page_rows, None).await.unwrap();
    }
    let g = grant(&["ws-a1"]);
    let expected = |name: &str| {
        let mut ids: Vec<&LeadRow> = rows
            .iter()
            .filter(|r| r.tag_list.iter().any(|t| t.name == name))
            .collect();
        ids.sort_by_key(|r| std::cmp::Reverse((r.created_at, r.lead_id)));
        ids.into_iter().map(|r| r.lead_id).collect::<Vec<_>>()
    };
    for (name, page_no) in [("everyone", 1), ("everyone", 70), ("rare", 1)] {
        let q = LeadsQuery {
            scope: scope("ws-a1"),
            filter: LeadFilter {
                tag_name: Some(name.into()),
                ..LeadFilter::default()
            },
            order: None,
            page: page(page_no, 100),
        };
        let got: Vec<i64> = s
            .leads(&g, &q)
            .await
            .unwrap()
            .rows
            .iter()
            .map(|r| r.lead_id)
            .collect();
        let want: Vec<i64> = expected(name)
            .into_iter()
            .skip((page_no as usize - 1) * 100)
            .take(100)
            .collect();
        assert_eq!(got, want, "{name} page {page_no}");
        let plan = s.explain_leads(&g, &q).await.unwrap();
        if s.backend() == kommo_store::Backend::Sqlite {
            assert_eq!(
                plan.contains("PRIMARY KEY (lead_ref=?)"),
                name == "everyone",
                "{name}: {plan}"
            );
        }
    }
}

on_both!(
    common_and_rare_tags_filter_alike,
    every_lead_filter_matches_the_oracle,
    every_lead_order_is_total_in_both_directions,
    paging_returns_every_lead_exactly_once,
    pages_follow_writes_between_crawls,
    returned_lead_rows_are_complete,
    every_contact_filter_matches_the_oracle,
    pipelines_filters_and_default_order,
    users_filters_and_default_order,
);
