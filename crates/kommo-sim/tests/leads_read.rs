//! Reading leads: HAL pages, 204 past the end, `_links.next` only when more, limits, filters,
//! ordering, `with`, auth.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

mod common;

use common::*;

#[tokio::test]
async fn pages_are_hal_and_end_with_204() {
    let sim = start_small(120).await;
    let response = get(&sim, "/api/v4/leads?limit=50").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/hal+json");
    let page: serde_json::Value = response.json().await.unwrap();
    assert_eq!(page["_page"], 1);
    assert_eq!(ids(&page, "leads").len(), 50);
    let next = page["_links"]["next"]["href"].as_str().unwrap();
    assert!(
        next.starts_with(&sim.base_url()) && next.contains("page=2") && next.contains("limit=50"),
        "{next}"
    );
    let self_href = page["_links"]["self"]["href"].as_str().unwrap();
    assert!(self_href.starts_with("http://127.0.0.1:"), "{self_href}");

    let last = get_json(&sim, "/api/v4/leads?limit=50&page=3").await;
    assert_eq!(ids(&last, "leads").len(), 20);
    assert!(
        last["_links"].get("next").is_none(),
        "no next on the last page"
    );

    let past = get(&sim, "/api/v4/leads?limit=50&page=4").await;
    assert_eq!(past.status(), 204);
    assert!(past.headers().get("content-type").is_none());
    assert!(past.bytes().await.unwrap().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn bearer_token_is_required() {
    let sim = start_small(10).await;
    let response = client()
        .get(format!("{}/api/v4/leads", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], 401);
    let response = client()
        .get(format!("{}/api/v4/leads", sim.base_url()))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    sim.shutdown().await;
}

#[tokio::test]
async fn bad_parameters_are_400_problems() {
    let sim = start_small(10).await;
    for path in [
        "/api/v4/leads?limit=251",
        "/api/v4/leads?limit=0",
        "/api/v4/leads?page=0",
        "/api/v4/leads?limit=lots",
        "/api/v4/leads?order[name]=asc",
        "/api/v4/leads?filter[updated_at][from]=yesterday",
    ] {
        let response = get(&sim, path).await;
        assert_eq!(response.status(), 400, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{path}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn missing_lead_by_id_is_204_and_present_one_is_the_lead() {
    let sim = start_small(20).await;
    let id = sim.control().lead_ids()[3];
    let lead = get_json(&sim, &format!("/api/v4/leads/{id}")).await;
    assert_eq!(lead["id"], id);
    assert_eq!(
        lead["_links"]["self"]["href"],
        format!("{}/api/v4/leads/{id}", sim.base_url())
    );
    let missing = get(&sim, "/api/v4/leads/999999999").await;
    assert_eq!(missing.status(), 204);
    assert!(missing.bytes().await.unwrap().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn default_limit_is_50_and_no_match_is_204() {
    let sim = start_small(80).await;
    let page = get_json(&sim, "/api/v4/leads").await;
    assert_eq!(ids(&page, "leads").len(), 50);
    let none = get(&sim, "/api/v4/leads?query=zzzz-no-such-lead").await;
    assert_eq!(none.status(), 204);
    sim.shutdown().await;
}

#[tokio::test]
async fn filters_select_exactly_the_matching_leads() {
    let sim = start_small(400).await;
    let all: Vec<serde_json::Value> = {
        let mut out = Vec::new();
        for page in 1..=2 {
            let p = get_json(&sim, &format!("/api/v4/leads?limit=250&page={page}")).await;
            out.extend(p["_embedded"]["leads"].as_array().unwrap().iter().cloned());
        }
        out
    };
    assert_eq!(all.len(), 400);
    let pick = &all[17];
    let (pipeline, status, resp) = (
        pick["pipeline_id"].as_i64().unwrap(),
        pick["status_id"].as_i64().unwrap(),
        pick["responsible_user_id"].as_i64().unwrap(),
    );

    let expect = |pred: &dyn Fn(&serde_json::Value) -> bool| -> Vec<i64> {
        all.iter()
            .filter(|l| pred(l))
            .map(|l| l["id"].as_i64().unwrap())
            .collect()
    };
    let fetch = |q: String| {
        let sim = &sim;
        async move {
            let r = get(sim, &format!("/api/v4/leads?limit=250&{q}")).await;
            if r.status() == 204 {
                Vec::new()
            } else {
                ids(&r.json().await.unwrap(), "leads")
            }
        }
    };
    assert_eq!(
        fetch(format!(
            "filter[statuses][0][pipeline_id]={pipeline}&filter[statuses][0][status_id]={status}"
        ))
        .await,
        expect(&|l| l["pipeline_id"] == pipeline && l["status_id"] == status)
    );
    assert_eq!(
        fetch(format!("filter[responsible_user_id]={resp}")).await,
        expect(&|l| l["responsible_user_id"] == resp)
    );
    assert_eq!(
        fetch(format!("filter[pipeline_id][]={pipeline}")).await,
        expect(&|l| l["pipeline_id"] == pipeline)
    );
    assert_eq!(
        fetch("filter[price][from]=1000&filter[price][to]=5000".into()).await,
        expect(&|l| (1000..=5000).contains(&l["price"].as_i64().unwrap()))
    );
    let from = all[200]["updated_at"].as_i64().unwrap();
    let mut by_updated = expect(&|l| l["updated_at"].as_i64().unwrap() >= from);
    by_updated.sort_by_key(|id| {
        (
            all.iter().find(|l| l["id"] == *id).unwrap()["updated_at"]
                .as_i64()
                .unwrap(),
            *id,
        )
    });
    assert_eq!(
        fetch(format!(
            "filter[updated_at][from]={from}&order[updated_at]=asc"
        ))
        .await,
        by_updated
    );
    let two = [
        all[5]["id"].as_i64().unwrap(),
        all[9]["id"].as_i64().unwrap(),
    ];
    assert_eq!(
        fetch(format!("filter[id][]={}&filter[id][]={}", two[0], two[1])).await,
        two.to_vec()
    );
    let name = pick["name"].as_str().unwrap().to_owned();
    let by_query = fetch(format!("query={}", urlencode(&name))).await;
    assert!(by_query.contains(&pick["id"].as_i64().unwrap()));
    sim.shutdown().await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn ordering_by_id_created_and_updated() {
    let sim = start_small(300).await;
    let asc = ids(
        &get_json(&sim, "/api/v4/leads?limit=250&order[id]=asc").await,
        "leads",
    );
    assert!(asc.windows(2).all(|w| w[0] < w[1]));
    let desc = ids(
        &get_json(&sim, "/api/v4/leads?limit=250&order[id]=desc").await,
        "leads",
    );
    assert!(desc.windows(2).all(|w| w[0] > w[1]));
    for field in ["created_at", "updated_at"] {
        for dir in ["asc", "desc"] {
            let page = get_json(
                &sim,
                &format!("/api/v4/leads?limit=250&order[{field}]={dir}"),
            )
            .await;
            let values: Vec<i64> = page["_embedded"]["leads"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l[field].as_i64().unwrap())
                .collect();
            let sorted = values.windows(2).all(|w| {
                if dir == "asc" {
                    w[0] <= w[1]
                } else {
                    w[0] >= w[1]
                }
            });
            assert!(sorted, "order[{field}]={dir}");
        }
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn with_adds_contacts_loss_reason_and_source_id() {
    let sim = start_small(300).await;
    let plain = get_json(&sim, "/api/v4/leads?limit=250").await;
    let leads = plain["_embedded"]["leads"].as_array().unwrap();
    assert!(
        leads
            .iter()
            .all(|l| l.get("source_id").is_none() && l["_embedded"].get("contacts").is_none())
    );
    let rich = get_json(
        &sim,
        "/api/v4/leads?limit=250&with=contacts,loss_reason,source_id,is_price_modified_by_robot",
    )
    .await;
    let leads = rich["_embedded"]["leads"].as_array().unwrap();
    assert!(
        leads
            .iter()
            .all(|l| l.get("is_price_modified_by_robot").is_some())
    );
    assert!(
        leads
            .iter()
            .any(|l| l["_embedded"]["contacts"][0]["is_main"] == true)
    );
    assert!(
        leads
            .iter()
            .any(|l| l["_embedded"]["loss_reason"][0]["name"].is_string())
    );
    assert!(leads.iter().any(|l| l["source_id"].is_i64()));
    assert!(
        leads
            .iter()
            .filter(|l| l["status_id"] == 143 && l["loss_reason_id"].is_i64())
            .all(|l| l["_embedded"]["loss_reason"][0]["id"] == l["loss_reason_id"])
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn only_deleted_lists_deleted_leads_as_minimal_rows() {
    let sim = start_small(50).await;
    assert_eq!(
        get(&sim, "/api/v4/leads?with=only_deleted").await.status(),
        204
    );
    let victims = &sim.control().lead_ids()[..3];
    for id in victims {
        assert!(sim.control().delete_lead(*id));
    }
    let page = get_json(&sim, "/api/v4/leads?with=only_deleted").await;
    let rows = page["_embedded"]["leads"].as_array().unwrap();
    assert_eq!(ids(&page, "leads"), victims.to_vec());
    for row in rows {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, vec!["id", "is_deleted", "updated_at"]);
        assert_eq!(row["is_deleted"], true);
    }
    assert_eq!(
        get(&sim, &format!("/api/v4/leads/{}", victims[0]))
            .await
            .status(),
        204
    );
    let live = get_json(&sim, "/api/v4/leads?limit=250").await;
    assert!(!ids(&live, "leads").contains(&victims[0]));
    assert!(sim.control().restore_lead(victims[0]));
    assert_eq!(
        ids(
            &get_json(&sim, "/api/v4/leads?with=only_deleted").await,
            "leads"
        ),
        victims[1..].to_vec()
    );
    assert_eq!(
        get(&sim, &format!("/api/v4/leads/{}", victims[0]))
            .await
            .status(),
        200
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn same_seed_same_bytes_and_another_seed_differs() {
    let a = start(
        kommo_sim::SimConfig::unlimited()
            .with_leads(300)
            .with_seed(7),
    )
    .await;
    let b = start(
        kommo_sim::SimConfig::unlimited()
            .with_leads(300)
            .with_seed(7),
    )
    .await;
    let c = start(
        kommo_sim::SimConfig::unlimited()
            .with_leads(300)
            .with_seed(8),
    )
    .await;
    for path in [
        "/api/v4/leads?limit=250&with=contacts,loss_reason,source_id",
        "/api/v4/contacts?limit=250&with=leads",
        "/api/v4/companies?limit=100",
        "/api/v4/tasks?limit=100",
        "/api/v4/leads/pipelines",
        "/api/v4/users?with=role,group",
        "/api/v4/leads/custom_fields",
        "/api/v4/events?limit=100",
    ] {
        let body = |sim: &kommo_sim::RunningSimulator| {
            let url = format!("{}{path}", sim.base_url());
            let token = sim.access_token();
            let base = sim.base_url();
            async move {
                let text = client()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                text.replace(&base, "BASE")
            }
        };
        let (x, y, z) = (body(&a).await, body(&b).await, body(&c).await);
        assert!(!x.is_empty(), "{path}");
        assert_eq!(x, y, "{path} differs between two runs of one seed");
        if path.starts_with("/api/v4/leads?") {
            assert_ne!(x, z, "another seed gives another account");
        }
    }
    a.shutdown().await;
    b.shutdown().await;
    c.shutdown().await;
}

#[tokio::test]
async fn app_router_answers_without_a_socket() {
    use tower::ServiceExt as _;
    let state = kommo_sim::SimState::new(kommo_sim::SimConfig::unlimited().with_leads(5));
    let token = kommo_sim::Control::new(state.clone()).access_token();
    let request = axum::http::Request::builder()
        .uri("/api/v4/leads")
        .header("host", "example.test")
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let response = kommo_sim::app(state).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(ids(&page, "leads").len(), 5);
    assert!(
        page["_links"]["self"]["href"]
            .as_str()
            .unwrap()
            .starts_with("http://example.test/api/v4/leads")
    );
}
