//! The hot path: lead pages written straight into one buffer, without building the model
//! structs first. The output is byte for byte what `serde_json` makes of
//! `kommo_model::Collection<Lead>` in Kommo's read shape (`crate::shape`; a unit test holds
//! the two together), so the shared wire type stays the definition and this is only a faster
//! way to write it.

use kommo_model::Links;

use crate::render::LeadWith;
use crate::store::{Account, DELETED, Kind, LeadRec, PRICE_BY_ROBOT};

pub(crate) fn num(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// A signed integer.
pub(crate) fn int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    num(out, n.unsigned_abs());
}

fn opt_num(out: &mut Vec<u8>, n: u32) {
    if n == 0 {
        out.extend_from_slice(b"null")
    } else {
        num(out, u64::from(n))
    }
}

/// A JSON string; plain text is copied as is, anything needing escapes goes through serde_json.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else if serde_json::to_writer(&mut *out, s).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

/// `,"_links":{"self":{"href":"{base}/api/v4/{path}/{id}"}}` of an embedded entity.
fn embedded_links(out: &mut Vec<u8>, base: &str, path: &str, id: u64) {
    out.extend_from_slice(b",\"_links\":{\"self\":{\"href\":");
    string(out, &format!("{base}/api/v4/{path}/{id}"));
    out.extend_from_slice(b"}}");
}

/// Custom field values in Kommo's read shape: `field_code` is `null` when there is none.
fn field_values(out: &mut Vec<u8>, fields: &[kommo_model::CustomFieldValues]) {
    out.push(b'[');
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        let mut sep = false;
        let mut field_key = |out: &mut Vec<u8>, k: &str| {
            if sep {
                out.push(b',');
            }
            sep = true;
            key(out, k);
        };
        if let Some(id) = f.field_id {
            field_key(out, "field_id");
            int(out, id);
        }
        if let Some(name) = &f.field_name {
            field_key(out, "field_name");
            string(out, name);
        }
        field_key(out, "field_code");
        match &f.field_code {
            Some(code) => string(out, code),
            None => out.extend_from_slice(b"null"),
        }
        if let Some(kind) = &f.field_type {
            field_key(out, "field_type");
            string(out, kind);
        }
        field_key(out, "values");
        match &f.values {
            Some(values) => {
                if serde_json::to_writer(&mut *out, values).is_err() {
                    out.extend_from_slice(b"[]");
                }
            }
            None => out.extend_from_slice(b"null"),
        }
        if let Some(computed) = f.is_computed {
            field_key(out, "is_computed");
            out.extend_from_slice(if computed { b"true" } else { b"false" });
        }
        out.push(b'}');
    }
    out.push(b']');
}

fn href(out: &mut Vec<u8>, base: &str, path: &str, id: u32) {
    out.extend_from_slice(b"{\"self\":{\"href\":");
    let mut s = String::with_capacity(base.len() + path.len() + 12);
    s.push_str(base);
    s.push_str(path);
    let mut digits = Vec::with_capacity(10);
    num(&mut digits, u64::from(id));
    s.push_str(std::str::from_utf8(&digits).unwrap_or("0"));
    string(out, &s);
    out.extend_from_slice(b"}}");
}

impl Account {
    /// One lead, exactly as `serde_json::to_writer(&self.lead_model(..))` writes it.
    pub(crate) fn write_lead(&self, out: &mut Vec<u8>, rec: &LeadRec, with: LeadWith, base: &str) {
        let id = rec.id;
        out.extend_from_slice(b"{\"id\":");
        num(out, u64::from(id));
        out.extend_from_slice(b",\"name\":");
        string(out, &self.lead_name(id));
        out.extend_from_slice(b",\"price\":");
        num(out, u64::from(rec.price));
        out.extend_from_slice(b",\"responsible_user_id\":");
        num(out, u64::from(rec.responsible));
        out.extend_from_slice(b",\"group_id\":");
        let group = self.group_of(rec.responsible);
        if group < 0 {
            out.push(b'-');
        }
        num(out, group.unsigned_abs());
        out.extend_from_slice(b",\"status_id\":");
        num(out, u64::from(rec.status_id));
        out.extend_from_slice(b",\"pipeline_id\":");
        num(out, u64::from(rec.pipeline_id));
        out.extend_from_slice(b",\"loss_reason_id\":");
        opt_num(out, rec.loss_reason_id);
        if with.source_id {
            out.extend_from_slice(b",\"source_id\":");
            opt_num(out, rec.source_id);
        }
        out.extend_from_slice(b",\"created_by\":");
        num(out, u64::from(rec.created_by));
        out.extend_from_slice(b",\"updated_by\":");
        num(out, u64::from(rec.updated_by));
        out.extend_from_slice(b",\"created_at\":");
        num(out, u64::from(rec.created_at));
        out.extend_from_slice(b",\"updated_at\":");
        num(out, u64::from(rec.updated_at));
        out.extend_from_slice(b",\"closed_at\":");
        opt_num(out, rec.closed_at);
        out.extend_from_slice(b",\"closest_task_at\":");
        opt_num(out, rec.closest_task_at);
        out.extend_from_slice(if rec.flags & DELETED != 0 {
            b",\"is_deleted\":true"
        } else {
            b",\"is_deleted\":false"
        });
        out.extend_from_slice(b",\"custom_fields_values\":");
        match self.field_values(Kind::Leads, id) {
            Some(values) => field_values(out, &values),
            None => out.extend_from_slice(b"null"),
        }
        out.extend_from_slice(b",\"score\":null,\"account_id\":");
        num(out, self.id.unsigned_abs());
        out.extend_from_slice(b",\"labor_cost\":null,\"is_price_computed\":false");
        if with.price_by_robot {
            out.extend_from_slice(if rec.flags & PRICE_BY_ROBOT != 0 {
                b",\"is_price_modified_by_robot\":true"
            } else {
                b",\"is_price_modified_by_robot\":false"
            });
        }
        out.extend_from_slice(b",\"_links\":");
        href(out, base, "/api/v4/leads/", id);
        out.extend_from_slice(b",\"_embedded\":{\"tags\":[");
        let dict = self.kind_tags(Kind::Leads);
        let mut first = true;
        let mut tag = |out: &mut Vec<u8>, t: &kommo_model::Tag| {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(b"{\"id\":");
            if t.id < 0 {
                out.push(b'-');
            }
            num(out, t.id.unsigned_abs());
            out.extend_from_slice(b",\"name\":");
            string(out, &t.name);
            out.extend_from_slice(b",\"color\":");
            match &t.color {
                Some(c) => string(out, c),
                None => out.extend_from_slice(b"null"),
            }
            out.push(b'}');
        };
        match self.leads.extra.get(&id).and_then(|e| e.tags.as_ref()) {
            Some(ids) => {
                for t in ids
                    .iter()
                    .filter_map(|tid| dict.iter().find(|t| t.id == *tid))
                {
                    tag(out, t);
                }
            }
            None => {
                for t in rec
                    .tags
                    .iter()
                    .filter(|t| **t != 0)
                    .filter_map(|t| dict.get(usize::from(*t) - 1))
                {
                    tag(out, t);
                }
            }
        }
        out.push(b']');
        if with.contacts {
            out.extend_from_slice(b",\"contacts\":[");
            for (i, (cid, main)) in self.lead_contacts(rec).iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"id\":");
                num(out, u64::from(*cid));
                out.extend_from_slice(if *main {
                    b",\"is_main\":true"
                } else {
                    b",\"is_main\":false"
                });
                embedded_links(out, base, "contacts", u64::from(*cid));
                out.push(b'}');
            }
            out.push(b']');
        }
        out.extend_from_slice(b",\"companies\":[");
        if rec.company_id != 0 {
            out.extend_from_slice(b"{\"id\":");
            num(out, u64::from(rec.company_id));
            embedded_links(out, base, "companies", u64::from(rec.company_id));
            out.push(b'}');
        }
        out.push(b']');
        if with.loss_reason {
            out.extend_from_slice(b",\"loss_reason\":[");
            if rec.loss_reason_id != 0 {
                let mut first = true;
                for r in self
                    .loss_reasons
                    .iter()
                    .filter(|r| r.id == i64::from(rec.loss_reason_id))
                {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(b"{\"id\":");
                    int(out, r.id);
                    out.extend_from_slice(b",\"name\":");
                    string(out, &r.name);
                    for (k, v) in [
                        (&b",\"sort\":"[..], r.sort),
                        (b",\"created_at\":", r.created_at),
                        (b",\"updated_at\":", r.updated_at),
                    ] {
                        out.extend_from_slice(k);
                        int(out, v);
                    }
                    embedded_links(out, base, "leads/loss_reasons", r.id.unsigned_abs());
                    out.push(b'}');
                }
            }
            out.push(b']');
        }
        if with.catalog_elements {
            out.extend_from_slice(b",\"catalog_elements\":[]");
        }
        out.extend_from_slice(b"}}");
    }

    /// A page of leads, exactly as `serde_json` writes `Collection<Lead>`.
    pub(crate) fn write_lead_page(
        &self,
        ids: &[u32],
        with: LeadWith,
        base: &str,
        page: u32,
        links: &Links,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(ids.len() * 1_200 + 512);
        out.extend_from_slice(b"{\"_page\":");
        num(&mut out, u64::from(page));
        out.extend_from_slice(b",\"_links\":");
        if serde_json::to_writer(&mut out, links).is_err() {
            out.extend_from_slice(b"{}");
        }
        out.extend_from_slice(b",\"_embedded\":{");
        key(&mut out, "leads");
        out.push(b'[');
        let mut first = true;
        for rec in ids.iter().filter_map(|id| self.leads.get(*id)) {
            if !first {
                out.push(b',');
            }
            first = false;
            self.write_lead(&mut out, rec, with, base);
        }
        out.extend_from_slice(b"]}}");
        out
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::{Collection, CustomFieldValue, CustomFieldValues, TagRef};

    use super::*;
    use crate::api::lead_write::LeadPlan;
    use crate::config::SimConfig;
    use crate::shape::{ReadShape, Shaped};

    #[test]
    fn fast_pages_equal_the_model_serialisation_byte_for_byte() {
        let mut acc = crate::generate::generate(&SimConfig::default().with_leads(400));
        // Written leads too: names needing escapes, written tags, fields and contacts.
        let contact = acc.contacts.index.live[0];
        let field = acc.fields(Kind::Leads)[5].def.id;
        let plan = LeadPlan {
            name: Some("Quote \"big\" \\ deal \u{1} — ação".to_owned()),
            price: Some(5),
            tags: Some(vec![TagRef {
                id: None,
                name: Some("new \"tag\"".to_owned()),
            }]),
            fields: vec![CustomFieldValues {
                field_id: Some(field),
                field_name: Some("Comment".into()),
                field_code: None,
                field_type: Some("text".into()),
                values: Some(vec![CustomFieldValue {
                    value: Some("line\nbreak".into()),
                    enum_id: None,
                    enum_code: None,
                }]),
                is_computed: Some(false),
            }],
            contacts: vec![(contact, true)],
            ..LeadPlan::default()
        };
        let id = acc.create_lead(plan, acc.admin_id(), 1_800_000_000);
        acc.delete_lead(acc.leads.index.live[3], 0, 1_800_000_001);
        let mut ids: Vec<u32> = acc.leads.recs.iter().map(|l| l.id).collect();
        ids.push(id);
        let links = Links::to_self("http://h/api/v4/leads?page=1&limit=250");
        for with in [
            LeadWith::default(),
            LeadWith {
                contacts: true,
                loss_reason: true,
                source_id: true,
                price_by_robot: true,
                catalog_elements: true,
            },
            LeadWith {
                contacts: true,
                loss_reason: false,
                source_id: true,
                price_by_robot: false,
                catalog_elements: false,
            },
        ] {
            for chunk in ids.chunks(97) {
                let fast = acc.write_lead_page(chunk, with, "http://h", 3, &links);
                let model = Collection {
                    page: Some(3),
                    page_count: None,
                    total_items: None,
                    links: links.clone(),
                    items: chunk
                        .iter()
                        .filter_map(|id| acc.leads.get(*id))
                        .map(|r| acc.lead_model(r, with, "http://h"))
                        .collect(),
                };
                let shape = ReadShape {
                    base: "http://h",
                    with,
                };
                let slow = serde_json::to_vec(&Shaped::new(&model, shape)).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&fast),
                    String::from_utf8_lossy(&slow)
                );
            }
        }
    }
}
