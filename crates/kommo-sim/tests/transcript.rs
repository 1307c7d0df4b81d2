//! Every endpoint's answers, pinned: a scripted session of reads, writes, rejected writes,
//! control-surface changes and background activity steps, answer by answer (status, content
//! type, body), hashed against a value recorded before the simulator's modules were re-laid,
//! so that moving code around cannot change what a client sees.
//!
//! The history ends in 2096, so every write is stamped with that anchor rather than the wall
//! clock and the session is the same on every run. On a mismatch the transcript is in
//! `CARGO_TARGET_TMPDIR/transcript.txt`, to diff against one written by the recorded code.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::fmt::Write as _;

use axum::body::Body;
use axum::http::Request;
use kommo_sim::{Activity, Control, SimConfig, SimState};
use serde_json::{Value, json};
use tower::ServiceExt as _;

/// The recorded hash of the whole transcript.
const EXPECTED: u64 = 0x68ef_6568_8059_5f5b;

struct Session {
    state: SimState,
    token: String,
    transcript: String,
}

impl Session {
    fn new() -> Self {
        let mut config = SimConfig::unlimited().with_leads(300);
        config.anchor = 4_000_000_000;
        let state = SimState::new(config);
        let token = Control::new(state.clone()).access_token();
        Self {
            state,
            token,
            transcript: String::new(),
        }
    }

    fn control(&self) -> Control {
        Control::new(self.state.clone())
    }

    async fn call(&mut self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let raw = body.map(|b| b.to_string());
        self.raw(method, path, raw.as_deref(), true).await
    }

    async fn raw(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
        auth: bool,
    ) -> (u16, Value) {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "sim.test");
        if auth {
            request = request.header("authorization", format!("Bearer {}", self.token));
        }
        if body.is_some() {
            request = request.header("content-type", "application/json");
        }
        let request = request
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .unwrap();
        let response = kommo_sim::app(self.state.clone())
            .oneshot(request)
            .await
            .unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes);
        writeln!(
            self.transcript,
            "{method} {path} {}\n=> {status} {content_type}\n{text}\n",
            body.unwrap_or("")
        )
        .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn get(&mut self, path: &str) -> Value {
        self.call("GET", path, None).await.1
    }

    /// Every page of a list, so the final state of every entity is in the transcript.
    async fn all_pages(&mut self, path: &str) {
        let join = if path.contains('?') { '&' } else { '?' };
        for page in 1.. {
            let (status, _) = self
                .call("GET", &format!("{path}{join}limit=250&page={page}"), None)
                .await;
            if status != 200 {
                break;
            }
        }
    }
}

fn fnv(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn id(value: &Value, pointer: &str) -> i64 {
    value
        .pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{pointer} in {value}"))
}

async fn account_users_and_dictionaries(s: &mut Session) {
    s.get("/api/v4/account").await;
    s.get("/api/v4/account?with=users_groups,task_types,amojo_rights,amojo_id,version,datetime_settings")
        .await;
    let users = s.get("/api/v4/users").await;
    let user = id(&users, "/_embedded/users/1/id");
    s.get("/api/v4/users?with=role,group&limit=2&page=2").await;
    s.get(&format!("/api/v4/users?filter[id]={user}")).await;
    s.get(&format!("/api/v4/users/{user}?with=role,group"))
        .await;
    s.get("/api/v4/users/abc").await;
    s.get("/api/v4/users/1").await;
    s.get("/api/v4/roles").await;
    s.get("/api/v4/roles?page=5").await;

    let reasons = s.get("/api/v4/leads/loss_reasons").await;
    let reason = id(&reasons, "/_embedded/loss_reasons/0/id");
    s.get("/api/v4/leads/loss_reasons?limit=2&page=2").await;
    s.get(&format!("/api/v4/leads/loss_reasons/{reason}")).await;
    s.get("/api/v4/leads/loss_reasons/1").await;
    let sources = s.get("/api/v4/sources").await;
    let source = id(&sources, "/_embedded/sources/1/id");
    let external = sources
        .pointer("/_embedded/sources/1/external_id")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    s.get(&format!("/api/v4/sources?filter[external_id]={external}"))
        .await;
    s.get(&format!("/api/v4/sources/{source}")).await;
    s.get("/api/v4/sources/x").await;

    for kind in ["leads", "contacts", "companies"] {
        let fields = s.get(&format!("/api/v4/{kind}/custom_fields")).await;
        let field = id(&fields, "/_embedded/custom_fields/0/id");
        s.get(&format!(
            "/api/v4/{kind}/custom_fields?filter[type][]=select&filter[type][]=multitext"
        ))
        .await;
        s.get(&format!("/api/v4/{kind}/custom_fields?limit=2&page=2"))
            .await;
        s.get(&format!("/api/v4/{kind}/custom_fields/{field}"))
            .await;
        s.get(&format!("/api/v4/{kind}/custom_fields/1")).await;
        let tags = s.get(&format!("/api/v4/{kind}/tags")).await;
        let tag = id(&tags, "/_embedded/tags/0/id");
        let name = tags
            .pointer("/_embedded/tags/0/name")
            .and_then(Value::as_str)
            .unwrap()
            .to_owned();
        s.get(&format!("/api/v4/{kind}/tags?filter[id]={tag}"))
            .await;
        s.get(&format!(
            "/api/v4/{kind}/tags?filter[name]={}",
            encode(&name.to_uppercase())
        ))
        .await;
        s.get(&format!("/api/v4/{kind}/tags?query=a&limit=3")).await;
    }
    s.call(
        "POST",
        "/api/v4/contacts/tags",
        Some(
            &json!([{"name": "Fresh", "color": "#abcdef"}, {"name": "Second", "request_id": "r2"}]),
        ),
    )
    .await;
    s.call(
        "POST",
        "/api/v4/contacts/tags",
        Some(&json!([{"name": "fresh"}, {"name": " "}])),
    )
    .await;
    s.raw("POST", "/api/v4/leads/tags", Some("{}"), true).await;
    s.get("/api/v4/contacts/tags?query=fre").await;
}

async fn lead_reads(s: &mut Session) {
    let pipelines = s.get("/api/v4/leads/pipelines").await;
    let main = id(&pipelines, "/_embedded/pipelines/0/id");
    let other = id(&pipelines, "/_embedded/pipelines/1/id");
    let fields = s.get("/api/v4/leads/custom_fields").await;
    let select = id(&fields, "/_embedded/custom_fields/0/id");
    let option = id(&fields, "/_embedded/custom_fields/0/enums/1/id");
    let users = s.get("/api/v4/users").await;
    let user = id(&users, "/_embedded/users/0/id");
    for query in [
        String::new(),
        "?limit=50&page=2".to_owned(),
        "?with=contacts,loss_reason,source_id,is_price_modified_by_robot,catalog_elements&limit=40"
            .to_owned(),
        "?with=source&limit=5&page=3".to_owned(),
        "?order[updated_at]=desc&filter[updated_at][from]=3990000000&limit=30".to_owned(),
        "?order[created_at]=asc&filter[created_at][from]=3960000000&filter[created_at][to]=3990000000"
            .to_owned(),
        "?order[created_at]=desc&filter[updated_at][from]=3990000000".to_owned(),
        format!("?filter[statuses][0][pipeline_id]={main}&filter[statuses][0][status_id]=142"),
        format!("?filter[pipeline_id]={other}&order[id]=desc"),
        "?filter[price][from]=100&filter[price][to]=5000&limit=20".to_owned(),
        format!("?filter[responsible_user_id]={user}&filter[created_by]=0"),
        "?filter[id][]=20000005&filter[id][]=20000003&filter[id][]=1&order[id]=desc".to_owned(),
        "?filter[id][]=20000005&filter[id][]=20000003&order[updated_at]=asc".to_owned(),
        "?query=an&limit=10".to_owned(),
        "?query=20000010".to_owned(),
        format!("?filter[custom_fields_values][{select}][]={option}"),
        format!("?filter[custom_fields_values][{}][from]=100", select + 4),
        "?filter[closed_at][from]=3980000000&filter[closest_task_at][from]=1".to_owned(),
        "?order[name]=asc".to_owned(),
        "?limit=0".to_owned(),
        "?page=0".to_owned(),
        "?limit=251".to_owned(),
        "?page=100".to_owned(),
        "?filter[custom_fields_values][x][]=1".to_owned(),
        "?filter[custom_fields_values][12][from]=y".to_owned(),
    ] {
        s.get(&format!("/api/v4/leads{query}")).await;
    }
    let page = s.get("/api/v4/leads?limit=3").await;
    let name = encode(
        page.pointer("/_embedded/leads/2/name")
            .and_then(Value::as_str)
            .unwrap(),
    );
    s.get(&format!("/api/v4/leads?filter[name]={name}")).await;
    s.get("/api/v4/leads/20000001").await;
    s.get("/api/v4/leads/20000002?with=contacts,loss_reason")
        .await;
    s.get("/api/v4/leads/abc").await;
    s.get("/api/v4/leads/1").await;
    s.get(&format!("/api/v4/leads/pipelines/{main}")).await;
    s.get("/api/v4/leads/pipelines/1").await;
    s.get(&format!("/api/v4/leads/pipelines/{main}/statuses"))
        .await;
    let statuses = s
        .get(&format!("/api/v4/leads/pipelines/{other}/statuses"))
        .await;
    let status = id(&statuses, "/_embedded/statuses/1/id");
    s.get(&format!(
        "/api/v4/leads/pipelines/{other}/statuses/{status}"
    ))
    .await;
    s.get(&format!("/api/v4/leads/pipelines/{other}/statuses/1"))
        .await;
    s.get("/api/v4/leads/pipelines/1/statuses").await;
}

async fn lead_writes(s: &mut Session) {
    let pipelines = s.get("/api/v4/leads/pipelines").await;
    let other = id(&pipelines, "/_embedded/pipelines/1/id");
    let other_stage = id(&pipelines, "/_embedded/pipelines/1/_embedded/statuses/2/id");
    let fields = s.get("/api/v4/leads/custom_fields").await;
    let select = id(&fields, "/_embedded/custom_fields/0/id");
    let label = fields
        .pointer("/_embedded/custom_fields/0/enums/2/value")
        .and_then(Value::as_str)
        .unwrap()
        .to_lowercase();
    let sources = s.get("/api/v4/sources").await;
    let external = sources
        .pointer("/_embedded/sources/2/external_id")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let reasons = s.get("/api/v4/leads/loss_reasons").await;
    let reason = id(&reasons, "/_embedded/loss_reasons/1/id");
    let users = s.get("/api/v4/users").await;
    let user = id(&users, "/_embedded/users/1/id");

    let (_, added) = s
        .call(
            "POST",
            "/api/v4/leads",
            Some(&json!([
                {"name": "Plain", "price": 100, "request_id": "first"},
                {"name": "Staged", "pipeline_id": other, "responsible_user_id": user,
                 "custom_fields_values": [{"field_id": select, "values": [{"value": label}]}],
                 "_embedded": {"tags": [{"name": "vip"}, {"name": "brand new"}],
                               "contacts": [{"id": 30000001}, {"id": 30000002, "is_main": true}],
                               "companies": [{"id": 50000001}]}},
                {"name": "Sourced", "_embedded": {"source": {"external_id": external}}},
                {"status_id": other_stage, "created_at": 3_900_000_000_i64, "tags_to_add": [{"name": "x"}]},
                {"name": "Lost", "status_id": 143, "loss_reason_id": reason, "closed_at": 3_950_000_000_i64}
            ])),
        )
        .await;
    let plain = id(&added, "/_embedded/leads/0/id");
    let staged = id(&added, "/_embedded/leads/1/id");
    s.call(
        "POST",
        "/api/v4/leads",
        Some(&json!([
            {"name": "ok"},
            {"name": "x".repeat(300), "price": -1, "pipeline_id": 1, "request_id": "bad"},
            {"status_id": 5, "responsible_user_id": 1, "created_by": 2, "updated_by": 0,
             "created_at": -5, "loss_reason_id": 9, "custom_fields_values": [{"field_id": 1, "values": [{"value": 1}]}],
             "_embedded": {"tags": [{"id": 1}, {}], "contacts": [{"id": 1}], "companies": [{"id": 1}, {"id": 2}],
                           "source": {"external_id": "nope"}}},
            {"custom_fields_values": [{"field_code": "NOPE", "values": []}], "tags_to_add": [{"name": ""}]}
        ])),
    )
    .await;
    s.raw("POST", "/api/v4/leads", Some("[]"), true).await;
    s.raw("POST", "/api/v4/leads", Some("not json"), true).await;
    s.raw("POST", "/api/v4/leads", Some("[{\"name\": 5}]"), true)
        .await;
    let many: Vec<Value> = (0..251).map(|i| json!({"name": format!("n{i}")})).collect();
    s.call("POST", "/api/v4/leads", Some(&Value::Array(many)))
        .await;
    s.get(&format!("/api/v4/leads/{staged}?with=contacts,source_id"))
        .await;

    s.call(
        "PATCH",
        "/api/v4/leads",
        Some(&json!([
            {"id": plain, "name": "Renamed", "price": 250, "request_id": "u1",
             "tags_to_add": [{"name": "added"}], "custom_fields_values": [{"field_id": select + 4, "values": [{"value": 12}]}]},
            {"id": staged, "status_id": 142, "responsible_user_id": user, "tags_to_delete": [{"name": "VIP"}],
             "updated_at": 3_990_000_000_i64},
            {"id": 20000010, "status_id": 143, "loss_reason_id": reason, "closed_at": 3_970_000_000_i64,
             "_embedded": {"tags": [{"name": "replaced"}], "contacts": [{"id": 30000003}], "companies": [{"id": 50000002}]}},
            {"id": 20000011, "pipeline_id": other, "created_at": 3_000_000_000_i64, "created_by": 0,
             "custom_fields_values": [{"field_id": select, "values": null}]}
        ])),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/leads",
        Some(&json!([{"id": plain, "name": "Never"}, {"id": 1}, {"name": "no id"}])),
    )
    .await;
    s.call(
        "PATCH",
        &format!("/api/v4/leads/{plain}"),
        Some(&json!({"price": 999, "request_id": "ignored"})),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/leads/20000012",
        Some(&json!({"status_id": 142})),
    )
    .await;
    s.call("PATCH", "/api/v4/leads/1", Some(&json!({"name": "x"})))
        .await;
    s.call("PATCH", "/api/v4/leads/abc", Some(&json!({"name": "x"})))
        .await;
    s.raw("PATCH", "/api/v4/leads/20000012", Some("[1"), true)
        .await;
    for lead in [plain, staged, 20000010, 20000011, 20000012] {
        s.get(&format!(
            "/api/v4/leads/{lead}?with=contacts,loss_reason,source_id"
        ))
        .await;
    }

    let contact_fields = s.get("/api/v4/contacts/custom_fields").await;
    let phone = id(&contact_fields, "/_embedded/custom_fields/0/id");
    let contact = s.get("/api/v4/contacts/30000004").await;
    let known_phone = contact
        .pointer("/custom_fields_values/0/values/0/value")
        .and_then(Value::as_str)
        .unwrap_or("+55 11 0000-0000")
        .to_owned();
    s.call(
        "POST",
        "/api/v4/leads/complex",
        Some(&json!([
            {"name": "Complex new", "price": 10,
             "_embedded": {"contacts": [{"first_name": "Ana", "last_name": "Lima",
                                          "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+55 21 99999-0001"}]},
                                                                   {"field_code": "EMAIL", "values": [{"value": "Ana@Example.com", "enum_code": "WORK"}]}]}],
                           "companies": [{"name": "Lima Ltda"}], "tags": [{"name": "complex"}]}},
            {"name": "Complex duplicate", "request_id": "dup",
             "_embedded": {"contacts": [{"name": "Again", "custom_fields_values": [{"field_id": phone, "values": [{"value": known_phone}]}]}],
                           "companies": [{"name": "Ignored"}]}},
            {"name": "Complex again", "_embedded": {"contacts": [{"name": "Ana 2",
                "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "ana@example.com"}]}]}]}},
            {"name": "Lead only"}
        ])),
    )
    .await;
    s.call(
        "POST",
        "/api/v4/leads/complex",
        Some(&json!([
            {"_embedded": {"contacts": [{"name": "a"}, {"name": "b"}], "companies": [{}, {}]}},
            {"custom_fields_values": (0..41).map(|_| json!({"field_id": select, "values": [{"enum_id": 1}]})).collect::<Vec<_>>()}
        ])),
    )
    .await;
    let many: Vec<Value> = (0..51).map(|_| json!({"name": "n"})).collect();
    s.call("POST", "/api/v4/leads/complex", Some(&Value::Array(many)))
        .await;
    s.get("/api/v4/leads?order[id]=desc&limit=8&with=contacts")
        .await;
}

async fn contacts_and_companies(s: &mut Session) {
    for kind in ["contacts", "companies"] {
        let base = format!("/api/v4/{kind}");
        let users = s.get("/api/v4/users").await;
        let user = id(&users, "/_embedded/users/0/id");
        for query in [
            String::new(),
            "?limit=20&page=3&with=leads".to_owned(),
            "?with=leads,contacts&limit=10".to_owned(),
            "?order[updated_at]=desc&filter[updated_at][from]=3990000000".to_owned(),
            "?order[created_at]=asc&filter[created_at][to]=3940000000&limit=10".to_owned(),
            format!("?filter[responsible_user_id]={user}&filter[updated_by]=0"),
            "?filter[id][]=30000003&filter[id][]=50000003&filter[id][]=30000001".to_owned(),
            "?query=a&limit=5".to_owned(),
            "?query=9999".to_owned(),
            "?filter[closest_task_at][from]=1".to_owned(),
            "?order[name]=desc".to_owned(),
            "?page=99".to_owned(),
        ] {
            s.get(&format!("{base}{query}")).await;
        }
        let page = s.get(&format!("{base}?limit=2")).await;
        let name = encode(
            page.pointer(&format!("/_embedded/{kind}/1/name"))
                .and_then(Value::as_str)
                .unwrap(),
        );
        s.get(&format!("{base}?filter[name]={name}")).await;
    }
    s.get("/api/v4/contacts/30000001?with=leads").await;
    s.get("/api/v4/contacts/30000001").await;
    s.get("/api/v4/contacts/1").await;
    s.get("/api/v4/contacts/abc").await;
    s.get("/api/v4/companies/50000001?with=leads,contacts")
        .await;
    s.get("/api/v4/companies/1").await;

    let (_, added) = s
        .call(
            "POST",
            "/api/v4/contacts",
            Some(&json!([
                {"first_name": "Rui", "last_name": "Costa", "request_id": "c1",
                 "custom_fields_values": [{"field_code": "EMAIL", "values": [{"value": "rui@x.example"}]}],
                 "_embedded": {"tags": [{"name": "new contact tag"}], "companies": [{"id": 50000002}]}},
                {"name": "Only Name", "responsible_user_id": 0, "tags_to_add": [{"name": "t"}]},
                {}
            ])),
        )
        .await;
    let contact = id(&added, "/_embedded/contacts/0/id");
    s.call(
        "POST",
        "/api/v4/contacts",
        Some(&json!([{"responsible_user_id": 5, "_embedded": {"companies": [{"id": 1}], "tags": [{"id": 1}]}},
                     {"custom_fields_values": [{"field_code": "PHONE", "values": [{"value": ""}]}]}])),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/contacts",
        Some(&json!([
            {"id": contact, "first_name": "Rafael", "request_id": "p1"},
            {"id": 30000005, "name": "Full Name Only", "responsible_user_id": 0,
             "_embedded": {"tags": [{"name": "patched"}], "companies": [{"id": 50000003}]}},
            {"id": 30000006, "updated_at": 3_000_000_000_i64,
             "custom_fields_values": [{"field_code": "PHONE", "values": [{"value": "+1 555 0100", "enum_code": "MOB"}]}]}
        ])),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/contacts",
        Some(&json!([{"id": 1}, {"id": contact, "created_by": 77}])),
    )
    .await;
    s.call(
        "PATCH",
        &format!("/api/v4/contacts/{contact}"),
        Some(&json!({"last_name": "Souza", "request_id": "dropped"})),
    )
    .await;
    s.call("PATCH", "/api/v4/contacts/1", Some(&json!({"name": "x"})))
        .await;
    s.raw("PATCH", "/api/v4/contacts/30000001", Some("nope"), true)
        .await;
    for c in [contact, 30000005, 30000006] {
        s.get(&format!("/api/v4/contacts/{c}?with=leads")).await;
    }

    let (_, added) = s
        .call(
            "POST",
            "/api/v4/companies",
            Some(&json!([
                {"name": "Acme", "custom_fields_values": [{"field_code": "WEB", "values": [{"value": "https://acme.example"}]}],
                 "_embedded": {"tags": [{"name": "partner"}]}},
                {"request_id": "anon", "created_at": 3_500_000_000_i64}
            ])),
        )
        .await;
    let company = id(&added, "/_embedded/companies/0/id");
    s.call(
        "POST",
        "/api/v4/companies",
        Some(&json!([{"created_by": 3, "custom_fields_values": [{"field_id": 5}]}])),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/companies",
        Some(&json!([
            {"id": company, "name": "Acme Inc", "request_id": "x"},
            {"id": 50000004, "responsible_user_id": 0, "tags_to_add": [{"name": "more"}]}
        ])),
    )
    .await;
    s.call(
        "PATCH",
        &format!("/api/v4/companies/{company}"),
        Some(&json!({"name": "Acme Corp"})),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/companies",
        Some(&json!([{"id": 30000001}])),
    )
    .await;
    s.get(&format!("/api/v4/companies/{company}?with=leads,contacts"))
        .await;
    s.get("/api/v4/companies/50000004").await;
}

async fn tasks(s: &mut Session) {
    let users = s.get("/api/v4/users").await;
    let user = id(&users, "/_embedded/users/2/id");
    for query in [
        String::new(),
        "?limit=30&page=2".to_owned(),
        "?filter[entity_type]=leads&filter[entity_id][]=20000004".to_owned(),
        "?filter[entity_type]=contacts,companies&limit=10".to_owned(),
        "?filter[is_completed]=0&order[complete_till]=desc&limit=15".to_owned(),
        "?order[updated_at]=asc&filter[updated_at][from]=3960000000".to_owned(),
        "?order[created_at]=desc&filter[created_at][to]=3950000000&limit=5".to_owned(),
        "?order[id]=desc&limit=5&page=2".to_owned(),
        format!("?filter[responsible_user_id]={user}&filter[task_type]=2"),
        "?filter[id][]=60000003&filter[id][]=60000001".to_owned(),
        "?order[text]=asc".to_owned(),
        "?page=50".to_owned(),
    ] {
        s.get(&format!("/api/v4/tasks{query}")).await;
    }
    s.get("/api/v4/tasks/60000001").await;
    s.get("/api/v4/tasks/1").await;
    s.get("/api/v4/tasks/x").await;
    let (_, added) = s
        .call(
            "POST",
            "/api/v4/tasks",
            Some(&json!([
                {"text": "Call back", "complete_till": 3_995_000_000_i64, "entity_type": "leads", "entity_id": 20000004,
                 "request_id": "t1"},
                {"text": "Meet", "complete_till": 3_996_000_000_i64, "entity_type": "contacts", "entity_id": 30000002,
                 "task_type_id": 2, "duration": 1800, "responsible_user_id": user, "is_completed": true,
                 "result": {"text": "done"}},
                {"text": "Loose", "complete_till": 3_997_000_000_i64, "created_at": 3_900_000_000_i64}
            ])),
        )
        .await;
    let task = id(&added, "/_embedded/tasks/0/id");
    s.call(
        "POST",
        "/api/v4/tasks",
        Some(&json!([
            {"text": "", "entity_type": "deals", "task_type_id": 9},
            {"text": "x", "complete_till": 1, "entity_type": "leads", "entity_id": 1, "responsible_user_id": 2}
        ])),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/tasks",
        Some(&json!([
            {"id": task, "is_completed": true, "result": {"text": "talked"}, "request_id": "p"},
            {"id": 60000002, "text": "Rewritten", "complete_till": 3_999_000_000_i64, "task_type_id": 3,
             "duration": 60, "responsible_user_id": user, "updated_at": 3_998_000_000_i64}
        ])),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/tasks",
        Some(&json!([{"id": 1}, {"id": task, "task_type_id": 7}])),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/tasks/60000003",
        Some(&json!({"is_completed": true, "request_id": "kept"})),
    )
    .await;
    s.call("PATCH", "/api/v4/tasks/1", Some(&json!({"text": "x"})))
        .await;
    s.raw("PATCH", "/api/v4/tasks/60000003", Some("{"), true)
        .await;
    for t in [task, task + 1, task + 2, 60000002, 60000003] {
        s.get(&format!("/api/v4/tasks/{t}")).await;
    }
    s.get("/api/v4/leads/20000004").await;
}

async fn pipelines(s: &mut Session) {
    let list = s.get("/api/v4/leads/pipelines").await;
    let main = id(&list, "/_embedded/pipelines/0/id");
    let other = id(&list, "/_embedded/pipelines/1/id");
    let (_, added) = s
        .call(
            "POST",
            "/api/v4/leads/pipelines",
            Some(&json!([
                {"name": "Extra", "sort": 20, "is_main": false, "is_unsorted_on": true, "request_id": "123",
                 "_embedded": {"statuses": [{"id": 142, "name": "Won custom"}, {"name": "Initial", "sort": 10, "color": "#fffeb2"},
                                            {"name": "Second", "sort": 5}]}},
                {"name": "Becomes main", "sort": 1, "is_main": true, "is_unsorted_on": false},
                {"name": "Then not", "sort": 2, "is_main": true, "is_unsorted_on": false,
                 "_embedded": {"statuses": [{"id": 143, "name": "Lost here"}]}}
            ])),
        )
        .await;
    let extra = id(&added, "/_embedded/pipelines/0/id");
    let empty = id(&added, "/_embedded/pipelines/1/id");
    s.call(
        "POST",
        "/api/v4/leads/pipelines",
        Some(&json!([
            {"name": ""},
            {"name": "x", "sort": 1, "is_main": false, "is_unsorted_on": true,
             "_embedded": {"statuses": [{"id": 5, "name": ""}, {"name": "c", "color": "#000000"}]}}
        ])),
    )
    .await;
    let many: Vec<Value> = (0..48)
        .map(|i| json!({"name": format!("p{i}"), "sort": i, "is_main": false, "is_unsorted_on": true}))
        .collect();
    s.call("POST", "/api/v4/leads/pipelines", Some(&Value::Array(many)))
        .await;
    s.get("/api/v4/leads/pipelines").await;

    for body in [
        json!({"name": "Renamed", "sort": 99}),
        json!({}),
        json!({"name": ""}),
        json!({"is_main": false}),
    ] {
        s.call(
            "PATCH",
            &format!("/api/v4/leads/pipelines/{extra}"),
            Some(&body),
        )
        .await;
    }
    s.call(
        "PATCH",
        &format!("/api/v4/leads/pipelines/{main}"),
        Some(&json!({"is_main": true, "is_unsorted_on": false})),
    )
    .await;
    s.call(
        "PATCH",
        "/api/v4/leads/pipelines/1",
        Some(&json!({"name": "x"})),
    )
    .await;
    s.raw(
        "PATCH",
        &format!("/api/v4/leads/pipelines/{extra}"),
        Some("x"),
        true,
    )
    .await;

    let (_, statuses) = s
        .call(
            "POST",
            &format!("/api/v4/leads/pipelines/{extra}/statuses"),
            Some(&json!([
                {"name": "Later", "sort": 300, "request_id": "s1"},
                {"name": "Earlier", "sort": 100, "color": "#99ccff",
                 "descriptions": [{"level": "newbie", "description": "first"}]}
            ])),
        )
        .await;
    let added_status = id(&statuses, "/_embedded/statuses/0/id");
    s.call(
        "POST",
        &format!("/api/v4/leads/pipelines/{extra}/statuses"),
        Some(&json!([
            {"name": "", "color": "#123456"},
            {"name": "d", "sort": 1, "descriptions": [{"level": "boss", "description": "x"},
                {"level": "newbie", "description": "a"}, {"level": "newbie", "description": "b"},
                {"level": "master", "description": "c"}]}
        ])),
    )
    .await;
    s.call(
        "POST",
        "/api/v4/leads/pipelines/1/statuses",
        Some(&json!([{"name": "x", "sort": 1}])),
    )
    .await;
    let many: Vec<Value> = (0..95)
        .map(|i| json!({"name": format!("s{i}"), "sort": i}))
        .collect();
    s.call(
        "POST",
        &format!("/api/v4/leads/pipelines/{extra}/statuses"),
        Some(&Value::Array(many)),
    )
    .await;
    for (status, body) in [
        (
            added_status,
            json!({"name": "Edited", "color": "#fffeb2", "sort": 1}),
        ),
        (added_status, json!({})),
        (added_status, json!({"color": "#000000", "name": ""})),
        (142, json!({"name": "Won!"})),
        (1, json!({"name": "x"})),
    ] {
        s.call(
            "PATCH",
            &format!("/api/v4/leads/pipelines/{extra}/statuses/{status}"),
            Some(&body),
        )
        .await;
    }
    s.get(&format!("/api/v4/leads/pipelines/{extra}")).await;

    // A stage with leads in it: its leads move to the first stage.
    let other_pipeline = s.get(&format!("/api/v4/leads/pipelines/{other}")).await;
    let stages: Vec<i64> = other_pipeline["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|st| st["type"] == 0 && st["id"] != 142 && st["id"] != 143)
        .map(|st| st["id"].as_i64().unwrap())
        .collect();
    let doomed = stages[1];
    s.get(&format!(
        "/api/v4/leads?filter[statuses][0][pipeline_id]={other}&filter[statuses][0][status_id]={doomed}"
    ))
    .await;
    s.call(
        "DELETE",
        &format!("/api/v4/leads/pipelines/{other}/statuses/{doomed}"),
        None,
    )
    .await;
    s.get(&format!(
        "/api/v4/leads?filter[pipeline_id]={other}&limit=100"
    ))
    .await;
    s.call(
        "DELETE",
        &format!("/api/v4/leads/pipelines/{other}/statuses/142"),
        None,
    )
    .await;
    s.call(
        "DELETE",
        &format!("/api/v4/leads/pipelines/{other}/statuses/1"),
        None,
    )
    .await;
    s.call(
        "DELETE",
        &format!("/api/v4/leads/pipelines/{empty}/statuses/{}", 1),
        None,
    )
    .await;
    let empty_pipeline = s.get(&format!("/api/v4/leads/pipelines/{empty}")).await;
    let only = empty_pipeline["_embedded"]["statuses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|st| st["is_editable"] == true)
        .map(|st| st["id"].as_i64().unwrap());
    if let Some(only) = only {
        s.call(
            "DELETE",
            &format!("/api/v4/leads/pipelines/{empty}/statuses/{only}"),
            None,
        )
        .await;
    }
    s.call("DELETE", &format!("/api/v4/leads/pipelines/{other}"), None)
        .await;
    s.call("DELETE", &format!("/api/v4/leads/pipelines/{empty}"), None)
        .await;
    s.call("DELETE", "/api/v4/leads/pipelines/1", None).await;
    s.get("/api/v4/leads/pipelines").await;
}

async fn events(s: &mut Session) {
    let page = s.get("/api/v4/events?limit=20").await;
    let event = page
        .pointer("/_embedded/events/3/id")
        .and_then(Value::as_str)
        .unwrap()
        .to_owned();
    let users = s.get("/api/v4/users").await;
    let user = id(&users, "/_embedded/users/0/id");
    for query in [
        "?limit=20&page=2".to_owned(),
        "?filter[type]=lead_added,lead_status_changed&limit=10".to_owned(),
        "?filter[type][]=task_completed&filter[type][]=contact_added".to_owned(),
        "?filter[entity]=leads&filter[entity_id]=20000010".to_owned(),
        "?filter[entity]=companies,contacts&limit=5".to_owned(),
        "?order[created_at]=asc&limit=7".to_owned(),
        "?order[id]=desc&limit=3&page=3".to_owned(),
        "?order[entity_id]=asc".to_owned(),
        "?filter[created_at][from]=3990000000&filter[created_at][to]=4000000000".to_owned(),
        format!("?filter[created_by]={user}&limit=5"),
        format!("?filter[id][]={event}"),
        "?page=999".to_owned(),
    ] {
        s.get(&format!("/api/v4/events{query}")).await;
    }
    s.get(&format!("/api/v4/events/{event}")).await;
    s.get("/api/v4/events/nope").await;
    s.get("/api/v4/events/types").await;
}

async fn control_activity_and_edges(s: &mut Session) {
    s.raw("POST", "/_sim/leads/20000020/delete", None, false)
        .await;
    s.raw("POST", "/_sim/leads/20000021/delete", None, false)
        .await;
    s.raw("POST", "/_sim/leads/20000021/delete", None, false)
        .await;
    s.raw("POST", "/_sim/leads/20000021/restore", None, false)
        .await;
    s.raw("POST", "/_sim/leads/1/restore", None, false).await;
    let control = s.control();
    let done = [
        control.delete_contact(30000010),
        control.delete_contact(30000010),
        control.delete_contact(30000011),
        control.restore_contact(30000011),
        control.move_lead(20000022, None, 143),
        control.move_lead(20000022, Some(1), 143),
        control.unlink_lead_contact(20000023, 30000001),
        control.unlink_lead_contact(20000023, 30000023),
        control.link_lead_contact(20000023, 30000012, true),
        control.link_lead_contact(20000023, 30000013, false),
        control.touch_lead(20000024),
        control.touch_lead(20000020),
        control.touch_contact(30000013),
    ];
    control.run_activity_steps(&Activity::per_second(5.0), 300, 9);
    writeln!(
        s.transcript,
        "control: {done:?}, {} events, {} leads, {} deleted",
        control.event_count(),
        control.lead_count(),
        control.deleted_lead_count()
    )
    .unwrap();
    s.get("/api/v4/leads?with=only_deleted").await;
    s.get("/api/v4/leads?with=only_deleted&order[updated_at]=desc&limit=2")
        .await;
    s.get("/api/v4/leads?with=only_deleted&filter[id][]=20000020")
        .await;
    s.get("/api/v4/contacts?with=only_deleted").await;
    s.get("/api/v4/companies?with=only_deleted").await;
    s.get("/api/v4/leads/20000020").await;
    s.raw("GET", "/api/v4/leads", None, false).await;
    s.raw("GET", "/api/v4/nothing", None, true).await;
    s.raw("POST", "/oauth2/access_token", Some("{}"), false)
        .await;
    s.raw("POST", "/oauth2/access_token", Some("[]"), false)
        .await;
    s.raw("GET", "/oauth2/account/current/subdomain", None, false)
        .await;
    s.raw("GET", "/_sim", None, false).await;
}

#[tokio::test]
async fn every_endpoint_answers_as_recorded() {
    let mut s = Session::new();
    account_users_and_dictionaries(&mut s).await;
    lead_reads(&mut s).await;
    lead_writes(&mut s).await;
    contacts_and_companies(&mut s).await;
    tasks(&mut s).await;
    pipelines(&mut s).await;
    events(&mut s).await;
    control_activity_and_edges(&mut s).await;
    // The final state of every entity.
    for list in [
        "/api/v4/leads?with=contacts,loss_reason,source_id,is_price_modified_by_robot",
        "/api/v4/contacts?with=leads",
        "/api/v4/companies?with=leads,contacts",
        "/api/v4/tasks",
        "/api/v4/events",
        "/api/v4/leads/tags",
        "/api/v4/contacts/tags",
        "/api/v4/companies/tags",
    ] {
        s.all_pages(list).await;
    }
    s.get("/api/v4/leads/pipelines").await;
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("transcript.txt");
    std::fs::write(&path, &s.transcript).unwrap();
    assert_eq!(
        fnv(&s.transcript),
        EXPECTED,
        "the answers changed; the transcript is in {}",
        path.display()
    );
}
