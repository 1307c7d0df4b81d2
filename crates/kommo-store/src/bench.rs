//! Micro benchmarks of the store, for `kommo-data bench` and `examples/store_bench.rs`:
//! write throughput of synthetic lead pages, and latency of the data API's query mix on a
//! seeded workspace. Each benchmark creates its own organization, workspace and integration.

use std::time::{Duration, Instant};

use chrono::DateTime;

use crate::LeadStay;
use crate::query::{
    ContactFilter, ContactsQuery, Grant, LeadFilter, LeadsQuery, PageRequest, Scope, TimeRange,
};
use crate::rows::{ContactRow, LeadRow, LeadStatusChangeRow, PipelineRow, RowTag, RowTenancy};
use crate::{Checkpoint, IntegrationAuth, NewIntegration, SecretString, Store, StoreError};

/// What a write benchmark measured.
#[derive(Debug, Clone)]
pub struct WriteReport {
    pub rows: u64,
    pub pages: u64,
    pub elapsed: Duration,
    pub rows_per_second: f64,
    /// The tenancy the rows were written under (for a read benchmark to use).
    pub tenancy: RowTenancy,
}

/// Latencies of one kind of query.
#[derive(Debug, Clone)]
pub struct QueryLatency {
    pub name: String,
    pub requests: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    /// Rows the query returned on its first run (to show it selects something).
    pub rows: usize,
    /// The database's plan for it.
    pub plan: String,
}

/// What a read benchmark measured.
#[derive(Debug, Clone)]
pub struct ReadReport {
    pub requests: u64,
    pub concurrency: usize,
    pub elapsed: Duration,
    pub requests_per_second: f64,
    pub p99: Duration,
    pub queries: Vec<QueryLatency>,
}

const BASE: i64 = 1_704_067_200; // 2024-01-01
const TAG_NAMES: [&str; 8] = [
    "VIP", "cold", "hot", "partner", "webinar", "referral", "expo", "retarget",
];

fn mix(n: u64) -> u64 {
    // SplitMix64: cheap, deterministic, well spread.
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick(n: u64, salt: u64, modulo: u64) -> i64 {
    i64::try_from(mix(n ^ salt.wrapping_mul(0x1000_0000_01B3)) % modulo).unwrap_or(0)
}

/// A synthetic lead resembling a real one: 10 pipelines, 8 statuses each, 50 users,
/// 0 to 3 tags, custom fields; one lead created a minute (1M leads span two years), with
/// ids in creation order as Kommo assigns them, updated within 30 days of creation.
pub fn synthetic_lead(tenancy: &RowTenancy, id: i64) -> LeadRow {
    let n = u64::try_from(id).unwrap_or(0);
    let pipeline = 1000 + pick(n, 1, 10);
    let status = match pick(n, 2, 10) {
        0 => 142,
        1 => 143,
        s => pipeline * 10 + s,
    };
    let created = BASE + id * 60 + pick(n, 3, 60);
    let tag_count = pick(n, 4, 4) as usize;
    let tags: Vec<RowTag> = (0..tag_count)
        .map(|i| {
            let t = pick(n, 10 + i as u64, TAG_NAMES.len() as u64);
            RowTag {
                id: 100 + t,
                name: TAG_NAMES[t as usize].to_owned(),
                color: if t % 2 == 0 {
                    Some("#ff8800".to_owned())
                } else {
                    None
                },
            }
        })
        .collect();
    let join = |f: &dyn Fn(&RowTag) -> String| tags.iter().map(f).collect::<Vec<_>>().join(",");
    LeadRow {
        lead_id: id,
        lead_name: Some(format!("Deal #{id}")),
        status_id: status,
        price: Some(pick(n, 5, 100_000)),
        responsible_user_id: Some(9000 + pick(n, 6, 50)),
        group_id: Some(pick(n, 7, 5)),
        pipeline_id: pipeline,
        loss_reason_id: (status == 143).then_some(55),
        created_by: Some(9000),
        updated_by: Some(9001),
        created_at: Some(created),
        updated_at: Some(created + pick(n, 8, 86_400 * 30)),
        closed_at: (status == 142 || status == 143).then_some(created + 86_400),
        closest_task_at: None,
        is_deleted: false,
        custom_fields_values: Some(format!(
            "[{{\"field_id\":501,\"field_name\":\"Budget\",\"values\":[{{\"value\":\"{}\"}}]}},{{\"field_id\":502,\"field_name\":\"Channel\",\"values\":[{{\"value\":\"ads\",\"enum_id\":7}}]}}]",
            pick(n, 9, 10_000)
        )),
        score: None,
        account_id: Some(31_000_000),
        labor_cost: None,
        source_id: Some(pick(n, 20, 4)),
        source_name: Some("Website".to_owned()),
        tags: if tags.is_empty() {
            None
        } else {
            Some(format!(
                "[{}]",
                join(&|t| format!("{{\"id\":{},\"name\":\"{}\",\"color\":null}}", t.id, t.name))
            ))
        },
        contacts_ids: Some(format!("{}", id * 2)),
        loss_reason: (status == 143).then(|| "Too expensive".to_owned()),
        tag_id: (!tags.is_empty()).then(|| join(&|t| t.id.to_string())),
        tag_name: (!tags.is_empty()).then(|| join(&|t| t.name.clone())),
        tag_color: (!tags.is_empty()).then(|| join(&|t| t.color.clone().unwrap_or_default())),
        tag_id_first: tags.first().map(|t| t.id.to_string()),
        tag_name_first: tags.first().map(|t| t.name.clone()),
        tag_color_first: tags.first().and_then(|t| t.color.clone()),
        tenancy: tenancy.clone(),
        document_id: String::new(),
        inserted_at: 0,
        company_id: Some(pick(n, 21, 1000)),
        status_name: Some("Stage".to_owned()),
        pipeline_name: Some(format!("Pipeline {pipeline}")),
        tag_list: tags,
    }
}

/// The pipelines of the synthetic leads: 1000 to 1009, each with the open stages
/// `pipeline * 10 + 2` to `+ 9` in that order, then won (142) and lost (143).
pub fn synthetic_pipelines(tenancy: &RowTenancy) -> Vec<PipelineRow> {
    let mut rows = Vec::new();
    for pipeline in 1000..1010 {
        let stages = (2..10)
            .map(|s| (pipeline * 10 + s, format!("Stage {s}"), s * 10))
            .chain([
                (142, "Won".to_owned(), 10_000),
                (143, "Lost".to_owned(), 11_000),
            ]);
        for (status_id, status_name, sort) in stages {
            rows.push(PipelineRow {
                pipeline_id: pipeline,
                pipeline_name: format!("Pipeline {pipeline}"),
                pipeline_sort: pipeline,
                status_id,
                status_name,
                sort,
                is_editable: status_id < 142,
                color: "#99ccff".to_owned(),
                status_type: 0,
                tenancy: tenancy.clone(),
                document_id: String::new(),
                inserted_at: 0,
                is_main: pipeline == 1000,
                is_archive: false,
            });
        }
    }
    rows
}

/// A synthetic lead's path through its pipeline ([`synthetic_pipelines`]): created in the
/// first stage, forward one stage at a time up to a drawn stage, back to its own stage when
/// that is earlier, or on to won / lost; stays of 1 to 72 hours. About five status changes a
/// lead. The status changes, and the stays they tile.
pub fn synthetic_history(lead: &LeadRow) -> (Vec<LeadStatusChangeRow>, Vec<LeadStay>) {
    let n = u64::try_from(lead.lead_id).unwrap_or(0);
    let p = lead.pipeline_id;
    let stage = |i: i64| p * 10 + 2 + i;
    let closed = lead.status_id == 142 || lead.status_id == 143;
    let own = if closed {
        None
    } else {
        Some(lead.status_id - p * 10 - 2)
    };
    let drawn = pick(n, 30, 8);
    let reach = own.map_or(drawn, |o| o.max(drawn));
    let mut path: Vec<i64> = (0..=reach).map(stage).collect();
    match own {
        Some(o) if o < reach => path.push(stage(o)),
        Some(_) => {}
        None => path.push(lead.status_id),
    }
    let created = lead.created_at.unwrap_or(BASE);
    let mut at = created;
    let mut entered = Vec::with_capacity(path.len());
    for (k, _) in path.iter().enumerate() {
        if k > 0 {
            at += 3_600 * (1 + pick(n, 40 + k as u64, 72));
        }
        entered.push(at);
    }
    let last = path.len() - 1;
    let closed_at = closed.then_some(entered[last]);
    let changes = (1..path.len())
        .map(|k| LeadStatusChangeRow {
            event_id: format!("{:016x}{k:02}", n),
            lead_id: lead.lead_id,
            pipeline_id_before: Some(p),
            status_id_before: Some(path[k - 1]),
            pipeline_id_after: p,
            status_id_after: path[k],
            pipeline_name_before: lead.pipeline_name.clone(),
            status_name_before: Some("Stage".to_owned()),
            pipeline_name_after: lead.pipeline_name.clone(),
            status_name_after: Some("Stage".to_owned()),
            changed_at: entered[k],
            changed_by: Some(9000 + pick(n, 6, 50)),
            tenancy: lead.tenancy.clone(),
            document_id: String::new(),
            inserted_at: 0,
        })
        .collect();
    let stays = (0..path.len())
        .map(|k| LeadStay {
            lead_id: lead.lead_id,
            pipeline_id: p,
            status_id: path[k],
            pipeline_name: lead.pipeline_name.clone(),
            status_name: Some("Stage".to_owned()),
            entered_at: entered[k],
            left_at: entered.get(k + 1).copied(),
            next: path.get(k + 1).map(|s| (p, *s)),
            lead_created_at: created,
            lead_status_id: path[last],
            lead_closed_at: closed_at,
            lead_is_deleted: false,
        })
        .collect();
    (changes, stays)
}

/// A synthetic contact with one or two emails and a phone.
pub fn synthetic_contact(tenancy: &RowTenancy, id: i64) -> ContactRow {
    let n = u64::try_from(id).unwrap_or(0);
    let email = format!("Person{id}@Example.com");
    let phone = format!("+55 (11) 9{:04}-{:04}", id / 10_000, id % 10_000);
    ContactRow {
        contact_id: id,
        contact_name: Some(format!("Person {id}")),
        first_name: Some("Person".to_owned()),
        last_name: Some(id.to_string()),
        responsible_user_id: Some(9000 + pick(n, 6, 50)),
        group_id: Some(0),
        created_by: Some(9000),
        updated_by: Some(9000),
        created_at: Some(BASE + id * 600 + pick(n, 3, 600)),
        updated_at: Some(BASE + id * 600 + 86_400),
        closest_task_at: None,
        is_deleted: false,
        is_unsorted: false,
        custom_fields_values: None,
        account_id: Some(31_000_000),
        email: Some(email.clone()),
        phone: Some(phone.clone()),
        emails: Some(email.clone()),
        phones: Some(phone.clone()),
        company_id: None,
        leads_ids: Some((id * 2).to_string()),
        tags: None,
        tag_id: None,
        tag_name: None,
        tag_color: None,
        tag_id_first: None,
        tag_name_first: None,
        tag_color_first: None,
        tenancy: tenancy.clone(),
        document_id: String::new(),
        inserted_at: 0,
        tag_list: vec![],
        email_list: vec![email],
        phone_list: vec![phone],
        lead_id_list: vec![id * 2],
    }
}

/// Creates an organization, workspace and integration of its own for a benchmark.
pub async fn bench_tenancy(store: &Store) -> Result<RowTenancy, StoreError> {
    // Ids as an administrator would choose them: short slugs.
    let suffix = uuid::Uuid::new_v4().simple().to_string()[..8].to_owned();
    let org = format!("bench-org-{suffix}");
    let ws = format!("bench-ws-{suffix}");
    let integration = format!("bench-int-{suffix}");
    store.create_organization(&org, "Benchmark").await?;
    store.create_workspace(&org, &ws, "Benchmark").await?;
    store
        .create_integration(NewIntegration {
            id: integration.clone(),
            workspace_id: ws.clone(),
            base_url: "https://bench.kommo.example".to_owned(),
            auth: IntegrationAuth::LongLivedToken(SecretString::from("bench")),
            rate_limit_per_second: 7,
        })
        .await?;
    Ok(RowTenancy {
        integration_id: integration,
        workspace_id: ws,
        organization_id: org,
    })
}

/// Writes `rows` synthetic leads in pages of `page_size`, each page with its checkpoint in
/// one transaction, as the sync engine does; reports rows per second.
pub async fn bench_write_leads(
    store: &Store,
    rows: u64,
    page_size: usize,
) -> Result<WriteReport, StoreError> {
    let tenancy = bench_tenancy(store).await?;
    write_leads_into(store, &tenancy, rows, page_size).await
}

async fn write_leads_into(
    store: &Store,
    tenancy: &RowTenancy,
    rows: u64,
    page_size: usize,
) -> Result<WriteReport, StoreError> {
    let page_size = page_size.max(1) as u64;
    let started = Instant::now();
    let mut written = 0u64;
    let mut pages = 0u64;
    let mut elapsed_writing = Duration::ZERO;
    while written < rows {
        let end = (written + page_size).min(rows);
        let page: Vec<LeadRow> = (written + 1..=end)
            .map(|id| synthetic_lead(tenancy, i64::try_from(id).unwrap_or(i64::MAX)))
            .collect();
        let checkpoint = Checkpoint {
            integration_id: tenancy.integration_id.clone(),
            stream: "leads".to_owned(),
            cursor_updated_at: page.last().and_then(|l| l.updated_at).unwrap_or(0),
            cursor_id: page.last().map_or(0, |l| l.lead_id),
            full_sync_done: false,
            extra: None,
        };
        // Only the store's work is timed, not the generation of the rows.
        let t = Instant::now();
        store.write_leads(tenancy, &page, Some(&checkpoint)).await?;
        elapsed_writing += t.elapsed();
        written = end;
        pages += 1;
    }
    tracing::debug!(total = ?started.elapsed(), "write benchmark done");
    Ok(WriteReport {
        rows: written,
        pages,
        elapsed: elapsed_writing,
        rows_per_second: written as f64 / elapsed_writing.as_secs_f64().max(1e-9),
        tenancy: tenancy.clone(),
    })
}

/// The data API's query mix used by [`bench_reads`], as (name, query) on a seeded workspace.
pub fn lead_query_mix(workspace_id: &str) -> Vec<(&'static str, LeadsQuery)> {
    let scope = Scope {
        workspace_id: workspace_id.to_owned(),
        organization_id: None,
        integration_ids: vec![],
    };
    let q = |filter: LeadFilter, page: u32| LeadsQuery {
        scope: scope.clone(),
        filter,
        order: None,
        page: PageRequest { page, limit: 100 },
    };
    let day = |d: i64| DateTime::from_timestamp(BASE + d * 86_400, 0);
    vec![
        ("first page, no filter", q(LeadFilter::default(), 1)),
        ("page 500, no filter", q(LeadFilter::default(), 500)),
        (
            "one pipeline in a created range",
            q(
                LeadFilter {
                    pipeline_id: vec![1003],
                    created: TimeRange {
                        start: day(100),
                        end: day(190),
                    },
                    ..LeadFilter::default()
                },
                1,
            ),
        ),
        (
            "a status list",
            q(
                LeadFilter {
                    status_id: vec![142, 143],
                    ..LeadFilter::default()
                },
                1,
            ),
        ),
        (
            "a status list, page 20",
            q(
                LeadFilter {
                    status_id: vec![10_032, 10_045],
                    ..LeadFilter::default()
                },
                20,
            ),
        ),
        (
            "a tag name",
            q(
                LeadFilter {
                    tag_name: Some("webinar".to_owned()),
                    ..LeadFilter::default()
                },
                1,
            ),
        ),
        (
            "a tag name, page 50",
            q(
                LeadFilter {
                    tag_name: Some("expo".to_owned()),
                    ..LeadFilter::default()
                },
                50,
            ),
        ),
        (
            "a lead id",
            q(
                LeadFilter {
                    lead_id: vec![4242],
                    ..LeadFilter::default()
                },
                1,
            ),
        ),
    ]
}

enum Mixed {
    Lead(LeadsQuery),
    Contact(ContactsQuery),
}

/// Seeds a workspace with `leads` synthetic leads (and a tenth as many contacts), then runs
/// the query mix `requests` times over `concurrency` tasks. `limit` is 100 throughout.
pub async fn bench_reads(
    store: &Store,
    leads: u64,
    requests: u64,
    concurrency: usize,
) -> Result<(WriteReport, ReadReport), StoreError> {
    let tenancy = bench_tenancy(store).await?;
    let write = write_leads_into(store, &tenancy, leads, 250).await?;
    let contacts = (leads / 10).max(1);
    let mut id = 1u64;
    while id <= contacts {
        let end = (id + 249).min(contacts);
        let page: Vec<ContactRow> = (id..=end)
            .map(|i| synthetic_contact(&tenancy, i64::try_from(i).unwrap_or(i64::MAX)))
            .collect();
        store.write_contacts(&tenancy, &page, None).await?;
        id = end + 1;
    }
    store.analyze().await?;
    let read = run_query_mix(store, &tenancy, requests, concurrency).await?;
    Ok((write, read))
}

/// Runs the query mix against an already seeded workspace.
pub async fn run_query_mix(
    store: &Store,
    tenancy: &RowTenancy,
    requests: u64,
    concurrency: usize,
) -> Result<ReadReport, StoreError> {
    let grant = Grant {
        client_id: "bench".to_owned(),
        organization_id: tenancy.organization_id.clone(),
        workspace_ids: vec![tenancy.workspace_id.clone()],
        requests_per_minute: 0,
    };
    let mut mix: Vec<(String, Mixed)> = lead_query_mix(&tenancy.workspace_id)
        .into_iter()
        .map(|(n, q)| (n.to_owned(), Mixed::Lead(q)))
        .collect();
    mix.push((
        "a contact by email".to_owned(),
        Mixed::Contact(ContactsQuery {
            scope: Scope {
                workspace_id: tenancy.workspace_id.clone(),
                organization_id: None,
                integration_ids: vec![],
            },
            filter: ContactFilter {
                email: Some("person77@example.COM".to_owned()),
                ..ContactFilter::default()
            },
            order: None,
            page: PageRequest {
                page: 1,
                limit: 100,
            },
        }),
    ));
    let mut latencies: Vec<QueryLatency> = Vec::new();
    for (name, query) in &mix {
        let (rows, plan) = match query {
            Mixed::Lead(q) => (
                store.leads(&grant, q).await?.rows.len(),
                store.explain_leads(&grant, q).await?,
            ),
            Mixed::Contact(q) => (
                store.contacts(&grant, q).await?.rows.len(),
                store.explain_contacts(&grant, q).await?,
            ),
        };
        latencies.push(QueryLatency {
            name: name.clone(),
            requests: 0,
            p50: Duration::ZERO,
            p99: Duration::ZERO,
            max: Duration::ZERO,
            rows,
            plan,
        });
    }
    let mix = std::sync::Arc::new(mix);
    let grant = std::sync::Arc::new(grant);
    let concurrency = concurrency.max(1);
    let per_task = requests.div_ceil(concurrency as u64);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for task in 0..concurrency {
        let (store, mix, grant) = (store.clone(), mix.clone(), grant.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples: Vec<(usize, Duration)> = Vec::with_capacity(per_task as usize);
            for i in 0..per_task {
                let which = ((i as usize) + task) % mix.len();
                let t = Instant::now();
                match &mix[which].1 {
                    Mixed::Lead(q) => {
                        store.leads(&grant, q).await?;
                    }
                    Mixed::Contact(q) => {
                        store.contacts(&grant, q).await?;
                    }
                }
                samples.push((which, t.elapsed()));
            }
            Ok::<_, StoreError>(samples)
        }));
    }
    let mut all: Vec<(usize, Duration)> = Vec::new();
    for task in tasks {
        let samples = task
            .await
            .map_err(|e| StoreError::invalid("benchmark", format!("a task failed: {e}")))??;
        all.extend(samples);
    }
    let elapsed = started.elapsed();
    for (index, latency) in latencies.iter_mut().enumerate() {
        let mut mine: Vec<Duration> = all
            .iter()
            .filter(|(w, _)| *w == index)
            .map(|(_, d)| *d)
            .collect();
        mine.sort();
        latency.requests = mine.len() as u64;
        latency.p50 = percentile(&mine, 0.50);
        latency.p99 = percentile(&mine, 0.99);
        latency.max = mine.last().copied().unwrap_or_default();
    }
    let mut every: Vec<Duration> = all.iter().map(|(_, d)| *d).collect();
    every.sort();
    Ok(ReadReport {
        requests: every.len() as u64,
        concurrency,
        elapsed,
        requests_per_second: every.len() as f64 / elapsed.as_secs_f64().max(1e-9),
        p99: percentile(&every, 0.99),
        queries: latencies,
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}
