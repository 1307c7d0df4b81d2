//! The hot path: lead pages written straight into one buffer, without building the model
//! structs first. The output is byte for byte what `serde_json` makes of
//! `kommo_model::Collection<Lead>` in Kommo's read shape (`crate::shape`; a unit test holds
//! the two together), so the shared wire type stays the definition and this is only a faster
//! way to write it.
//!
//! Generated values are written from their compact draws ([`Drawn`], the lead name's pieces)
//! and fragments made once per account ([`FieldFrag`]): nothing is allocated per lead.

use kommo_model::Links;

use crate::render::LeadWith;
use crate::store::{Account, DELETED, Drawn, Extra, FieldDef, Kind, LeadRec, PRICE_BY_ROBOT};

/// Two digits per step, from this table.
const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// A non-negative integer.
pub(crate) fn num(out: &mut Vec<u8>, n: u64) {
    let len = n.checked_ilog10().map_or(1, |d| d as usize + 1);
    let at = out.len();
    // Room for any u64 with one fixed-size write (a few moves, where a variable-size one is
    // a call to memset), then the digits straight into place, last pair first.
    out.extend_from_slice(&[0u8; 20]);
    let digits = &mut out[at..at + len];
    let mut end = len;
    let mut v = n;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        end -= 2;
        digits[end..end + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        digits[..2].copy_from_slice(&PAIRS[pair..pair + 2]);
    } else {
        digits[0] = b'0' + v as u8;
    }
    out.truncate(at + len);
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

/// The inside of a JSON string, escaped exactly as serde_json does: `"`, `\\` and control
/// characters (`\b \t \n \f \r` short, the others as `\u00xx`), nothing else.
pub(crate) fn escaped(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let short: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0A => b"\\n",
            0x0C => b"\\f",
            0x0D => b"\\r",
            0x00..=0x1F => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xF)]);
        } else {
            out.extend_from_slice(short);
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

/// A JSON string.
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    escaped(out, s);
    out.push(b'"');
}

fn key(out: &mut Vec<u8>, k: &str) {
    out.push(b'"');
    out.extend_from_slice(k.as_bytes());
    out.extend_from_slice(b"\":");
}

/// A custom field's constant JSON, made once per account: everything around its values, and
/// each of its options as a value.
#[derive(Debug, Clone)]
pub(crate) struct FieldFrag {
    /// `{"field_id":..,"field_name":..,"field_code":..,"field_type":..,"values":[`
    head: Box<[u8]>,
    /// `],"is_computed":false}`
    tail: Box<[u8]>,
    /// `{"value":"..","enum_id":..}` per option.
    options: Vec<Box<[u8]>>,
}

impl FieldFrag {
    pub(crate) fn all(defs: &[FieldDef]) -> Vec<Self> {
        defs.iter().map(Self::new).collect()
    }

    fn new(field: &FieldDef) -> Self {
        let mut head = Vec::with_capacity(128);
        head.extend_from_slice(b"{\"field_id\":");
        int(&mut head, field.def.id);
        head.extend_from_slice(b",\"field_name\":");
        string(&mut head, &field.def.name);
        head.extend_from_slice(b",\"field_code\":");
        match &field.def.code {
            Some(code) => string(&mut head, code),
            None => head.extend_from_slice(b"null"),
        }
        head.extend_from_slice(b",\"field_type\":");
        string(&mut head, field.kind.wire());
        head.extend_from_slice(b",\"values\":[");
        let options = field
            .def
            .enums
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .map(|e| {
                let mut v = Vec::with_capacity(48);
                v.extend_from_slice(b"{\"value\":");
                string(&mut v, &e.value);
                v.extend_from_slice(b",\"enum_id\":");
                int(&mut v, e.id);
                v.push(b'}');
                v.into_boxed_slice()
            })
            .collect();
        Self {
            head: head.into_boxed_slice(),
            tail: Box::from(&b"],\"is_computed\":false}"[..]),
            options,
        }
    }

    /// One field with its drawn values.
    fn write(&self, out: &mut Vec<u8>, drawn: &Drawn) {
        out.extend_from_slice(&self.head);
        match drawn {
            Drawn::Nothing => {}
            Drawn::Bool(true) => out.extend_from_slice(b"{\"value\":true}"),
            Drawn::Bool(false) => out.extend_from_slice(b"{\"value\":false}"),
            Drawn::NumberText(n) => {
                out.extend_from_slice(b"{\"value\":\"");
                int(out, *n);
                out.extend_from_slice(b"\"}");
            }
            Drawn::Number(n) => {
                out.extend_from_slice(b"{\"value\":");
                int(out, *n);
                out.push(b'}');
            }
            Drawn::Enum(i) => {
                if let Some(option) = self.options.get(*i) {
                    out.extend_from_slice(option);
                }
            }
            Drawn::Enums(mask) => {
                let mut first = true;
                for (_, option) in self
                    .options
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i < 64 && mask & (1 << i) != 0)
                {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    out.extend_from_slice(option);
                }
            }
            Drawn::Text(text) => {
                out.extend_from_slice(b"{\"value\":");
                string(out, text);
                out.push(b'}');
            }
            Drawn::LandingPage(n) => {
                out.extend_from_slice(b"{\"value\":\"https://www.lp");
                num(out, *n);
                out.extend_from_slice(b".example/\"}");
            }
            Drawn::Values(values) => {
                for (i, value) in values.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    if serde_json::to_writer(&mut *out, value).is_err() {
                        out.extend_from_slice(b"{}");
                    }
                }
            }
        }
        out.extend_from_slice(&self.tail);
    }
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

/// What every lead of a page shares, made once per page: the `_links` of its leads and of
/// their embedded entities up to the id (the base URL escaped once), the leads' tags as JSON,
/// and each user's group.
#[derive(Debug)]
pub(crate) struct PageCtx {
    lead: Vec<u8>,
    contact: Vec<u8>,
    company: Vec<u8>,
    loss_reason: Vec<u8>,
    /// The leads' tag dictionary written out, and where each tag is in it.
    tags: Vec<u8>,
    tag_spans: Vec<(i64, usize, usize)>,
    groups: Vec<(u32, i64)>,
}

impl PageCtx {
    pub(crate) fn new(acc: &Account, base: &str) -> Self {
        let prefix = |path: &str| {
            let mut out = Vec::with_capacity(base.len() + 48);
            out.extend_from_slice(b"{\"self\":{\"href\":\"");
            escaped(&mut out, base);
            escaped(&mut out, path);
            out
        };
        let dict = acc.kind_tags(Kind::Leads);
        let mut tags = Vec::with_capacity(dict.len() * 48);
        let mut tag_spans = Vec::with_capacity(dict.len());
        for t in dict {
            let start = tags.len();
            tags.extend_from_slice(b"{\"id\":");
            int(&mut tags, t.id);
            tags.extend_from_slice(b",\"name\":");
            string(&mut tags, &t.name);
            tags.extend_from_slice(b",\"color\":");
            match &t.color {
                Some(c) => string(&mut tags, c),
                None => tags.extend_from_slice(b"null"),
            }
            tags.push(b'}');
            tag_spans.push((t.id, start, tags.len()));
        }
        Self {
            lead: prefix("/api/v4/leads/"),
            contact: prefix("/api/v4/contacts/"),
            company: prefix("/api/v4/companies/"),
            loss_reason: prefix("/api/v4/leads/loss_reasons/"),
            tags,
            tag_spans,
            groups: acc.users.iter().map(|u| (u.id, u.group_id)).collect(),
        }
    }

    fn group_of(&self, user: u32) -> i64 {
        self.groups
            .iter()
            .find(|(id, _)| *id == user)
            .map_or(0, |(_, group)| *group)
    }

    /// The tag at `position` in the dictionary, written out.
    fn tag_at(&self, position: usize) -> Option<&[u8]> {
        let (_, start, end) = self.tag_spans.get(position)?;
        self.tags.get(*start..*end)
    }

    fn tag_by_id(&self, id: i64) -> Option<&[u8]> {
        let (_, start, end) = self.tag_spans.iter().find(|(t, _, _)| *t == id)?;
        self.tags.get(*start..*end)
    }
}

/// `{"self":{"href":"<prefix><id>"}}`.
fn link(out: &mut Vec<u8>, prefix: &[u8], id: u64) {
    out.extend_from_slice(prefix);
    num(out, id);
    out.extend_from_slice(b"\"}}");
}

impl Account {
    /// One lead, exactly as `serde_json` writes `self.lead_model(..)` in the read shape.
    pub(crate) fn write_lead(
        &self,
        out: &mut Vec<u8>,
        rec: &LeadRec,
        with: LeadWith,
        page: &PageCtx,
    ) {
        let id = rec.id;
        // Only leads a write touched have an extra: skip the lookup for the others.
        let extra: Option<&Extra> = if self.leads.extra.is_empty() {
            None
        } else {
            self.leads.extra.get(&id)
        };
        out.extend_from_slice(b"{\"id\":");
        num(out, u64::from(id));
        out.extend_from_slice(b",\"name\":\"");
        match extra.and_then(|e| e.name.as_deref()) {
            Some(name) => escaped(out, name),
            None => crate::store::lead_name_pieces(self.seed, id, |piece| escaped(out, piece)),
        }
        out.extend_from_slice(b"\",\"price\":");
        num(out, u64::from(rec.price));
        out.extend_from_slice(b",\"responsible_user_id\":");
        num(out, u64::from(rec.responsible));
        out.extend_from_slice(b",\"group_id\":");
        int(out, page.group_of(rec.responsible));
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
        match extra.and_then(|e| e.fields.as_deref()) {
            Some([]) => out.extend_from_slice(b"null"),
            Some(written) => field_values(out, written),
            None => {
                let frags = &self.field_frags[Kind::Leads as usize];
                let mut any = false;
                self.draw_fields(Kind::Leads, id, |n, field, drawn| {
                    out.push(if any { b',' } else { b'[' });
                    any = true;
                    match frags.get(n) {
                        Some(frag) => frag.write(out, &drawn),
                        None => FieldFrag::new(field).write(out, &drawn),
                    }
                });
                out.extend_from_slice(if any { b"]" } else { b"null" });
            }
        }
        out.extend_from_slice(b",\"score\":null,\"account_id\":");
        int(out, self.id);
        out.extend_from_slice(b",\"labor_cost\":null,\"is_price_computed\":false");
        if with.price_by_robot {
            out.extend_from_slice(if rec.flags & PRICE_BY_ROBOT != 0 {
                b",\"is_price_modified_by_robot\":true"
            } else {
                b",\"is_price_modified_by_robot\":false"
            });
        }
        out.extend_from_slice(b",\"_links\":");
        link(out, &page.lead, u64::from(id));
        out.extend_from_slice(b",\"_embedded\":{\"tags\":[");
        let mut first = true;
        let mut tag = |out: &mut Vec<u8>, json: &[u8]| {
            if !first {
                out.push(b',');
            }
            first = false;
            out.extend_from_slice(json);
        };
        match extra.and_then(|e| e.tags.as_ref()) {
            Some(ids) => {
                for json in ids.iter().filter_map(|tid| page.tag_by_id(*tid)) {
                    tag(out, json);
                }
            }
            None => {
                for json in rec
                    .tags
                    .iter()
                    .filter(|t| **t != 0)
                    .filter_map(|t| page.tag_at(usize::from(*t) - 1))
                {
                    tag(out, json);
                }
            }
        }
        out.push(b']');
        if with.contacts {
            out.extend_from_slice(b",\"contacts\":[");
            let main = [(rec.contact_id, true)];
            let contacts: &[(u32, bool)] = match extra.and_then(|e| e.contacts.as_deref()) {
                Some(list) => list,
                None if rec.contact_id != 0 => &main,
                None => &[],
            };
            for (i, (cid, main)) in contacts.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"id\":");
                num(out, u64::from(*cid));
                out.extend_from_slice(if *main {
                    b",\"is_main\":true,\"_links\":"
                } else {
                    b",\"is_main\":false,\"_links\":"
                });
                link(out, &page.contact, u64::from(*cid));
                out.push(b'}');
            }
            out.push(b']');
        }
        out.extend_from_slice(b",\"companies\":[");
        if rec.company_id != 0 {
            out.extend_from_slice(b"{\"id\":");
            num(out, u64::from(rec.company_id));
            out.extend_from_slice(b",\"_links\":");
            link(out, &page.company, u64::from(rec.company_id));
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
                    out.extend_from_slice(b",\"_links\":");
                    link(out, &page.loss_reason, r.id.unsigned_abs());
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

    /// A page of leads, exactly as `serde_json` writes `Collection<Lead>` in the read shape.
    pub(crate) fn write_lead_page(
        &self,
        out: &mut Vec<u8>,
        ids: &[u32],
        with: LeadWith,
        base: &str,
        page: u32,
        links: &Links,
    ) {
        out.reserve(ids.len() * 1_100 + 512);
        out.extend_from_slice(b"{\"_page\":");
        num(out, u64::from(page));
        out.extend_from_slice(b",\"_links\":");
        if serde_json::to_writer(&mut *out, links).is_err() {
            out.extend_from_slice(b"{}");
        }
        out.extend_from_slice(b",\"_embedded\":{\"leads\":[");
        let ctx = PageCtx::new(self, base);
        let recs = &self.leads.recs;
        // Pages mostly walk ids in order: try the record after the last one first.
        let mut next = 0;
        let mut first = true;
        for id in ids {
            let at = if recs.get(next).is_some_and(|r| r.id == *id) {
                Some(next)
            } else {
                self.leads.pos(*id)
            };
            let Some(at) = at else { continue };
            next = at + 1;
            if !first {
                out.push(b',');
            }
            first = false;
            self.write_lead(out, &recs[at], with, &ctx);
        }
        out.extend_from_slice(b"]}}");
    }
}

#[cfg(test)]
mod tests {
    use kommo_model::{Collection, CustomFieldValue, CustomFieldValues, TagRef};

    use super::*;
    use crate::config::SimConfig;
    use crate::mutate::leads::LeadPlan;
    use crate::shape::{ReadShape, Shaped};

    #[test]
    fn numbers_are_written_as_serde_json_does() {
        let mut samples = vec![0, u64::MAX, u64::MAX - 1, 1_800_000_000];
        for p in 0..20 {
            let power = 10u64.pow(p);
            samples.extend([
                power - 1,
                power,
                power + 1,
                power.saturating_mul(3).saturating_add(7),
            ]);
        }
        for n in samples {
            let mut out = b"x".to_vec();
            num(&mut out, n);
            assert_eq!(out, format!("x{n}").into_bytes());
            let mut out = Vec::new();
            int(&mut out, -(n as i64 / 2) - 1);
            assert_eq!(out, (-(n as i64 / 2) - 1).to_string().into_bytes());
        }
    }

    #[test]
    fn strings_are_escaped_as_serde_json_does() {
        let mut all: String = (0u32..0x250).filter_map(char::from_u32).collect();
        all.push_str("\u{2028}\u{1F600}\\\"end");
        for s in [all.as_str(), "", "plain", "\"", "a\u{7f}b"] {
            let mut out = Vec::new();
            string(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }

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
                let mut fast = Vec::new();
                acc.write_lead_page(&mut fast, chunk, with, "http://h", 3, &links);
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
