//! The seeded generator: a realistic account from a `SimConfig`, the same one for the same seed.
//!
//! Entities are generated in id order from per-entity random streams, timestamps spread over
//! the two years before the anchor (ids grow with creation time, as in Kommo), and only
//! fixed-size records are stored. One file per entity; the account-wide draws (ids, users,
//! pipelines, tag colours) come from one stream, so the order of the steps below is part of
//! what makes a seed give its account.

use std::collections::HashMap;

use crate::config::SimConfig;
use crate::fast::FieldFrag;
use crate::index::{Index, Links};
use crate::rng::{Rng, stream};
use crate::store::{Account, TWO_YEARS, Table};

mod companies;
mod contacts;
mod dictionaries;
mod events;
mod fields;
mod leads;
mod pipelines;
mod tasks;
mod users;

const DAY: i64 = 86_400;
const LEAD_BASE: u32 = 20_000_001;
const CONTACT_BASE: u32 = 30_000_001;
const COMPANY_BASE: u32 = 50_000_001;
const TASK_BASE: u32 = 60_000_001;

/// What every entity's records are drawn within.
struct History<'a> {
    seed: u64,
    /// The history spans [start, anchor).
    start: i64,
    anchor: i64,
    /// Who can own a record.
    active_users: &'a [u32],
}

/// The `i`-th of `n` creation times, spread evenly with jitter over [start, anchor).
fn spread(i: u32, n: u32, start: i64, rng: &mut Rng) -> u32 {
    let n = i64::from(n.max(1));
    let slot = TWO_YEARS / n;
    let at = start + i64::from(i) * TWO_YEARS / n + rng.range(0, slot.max(1));
    at as u32
}

pub(crate) fn generate(config: &SimConfig) -> Account {
    let seed = config.seed;
    let size = config.size;
    let anchor = config.anchor;
    let start = anchor - TWO_YEARS;
    let mut rng = Rng::new(seed, stream::ACCOUNT, 0);
    let account_id = 31_000_000 + rng.below(9_000_000) as i64;
    let team = users::team(seed, &config.subdomain, size.users, &mut rng);
    let active_users: Vec<u32> = team
        .users
        .iter()
        .filter(|u| u.is_active)
        .map(|u| u.id)
        .collect();
    let pipes = pipelines::pipelines(size.pipelines, &mut rng);
    let loss_reasons = dictionaries::loss_reasons(start);
    let sources = dictionaries::sources(&pipes.pipelines);
    let (tags, next_tag_id) = dictionaries::tags(&mut rng);
    let fields = fields::definitions(account_id);

    let history = History {
        seed,
        start,
        anchor,
        active_users: &active_users,
    };
    let mut companies = companies::companies(&history, size.companies, tags[2].len());
    let mut contacts = contacts::contacts(&history, size.contacts, size.companies, tags[1].len());
    let mut leads = leads::leads(
        &history,
        size.leads,
        &leads::Refs {
            pipelines: &pipes.pipelines,
            contacts: &contacts,
            companies: size.companies,
            loss_reasons: &loss_reasons,
            sources: &sources,
            tag_count: tags[0].len(),
        },
    );
    let tasks = tasks::tasks(
        &history,
        size.tasks,
        &mut leads,
        &mut contacts,
        &mut companies,
    );

    // Link tables, keyed by position.
    let contact_leads = Links::build(
        contacts.len(),
        leads
            .iter()
            .filter(|l| l.contact_id != 0)
            .map(|l| (l.contact_id - CONTACT_BASE, l.id))
            .collect(),
    );
    let company_leads = Links::build(
        companies.len(),
        leads
            .iter()
            .filter(|l| l.company_id != 0)
            .map(|l| (l.company_id - COMPANY_BASE, l.id))
            .collect(),
    );
    let company_contacts = Links::build(
        companies.len(),
        contacts
            .iter()
            .filter(|c| c.company_id != 0)
            .map(|c| (c.company_id - COMPANY_BASE, c.id))
            .collect(),
    );

    let field_frags = fields.each_ref().map(|defs| FieldFrag::all(defs));
    let mut account = Account {
        seed,
        id: account_id,
        name: format!("{} CRM", capitalise(&config.subdomain)),
        subdomain: config.subdomain.clone(),
        created_at: start - 30 * DAY,
        anchor,
        users: team.users,
        groups: team.groups,
        roles: team.roles,
        pipelines: pipes.pipelines,
        loss_reasons,
        sources,
        tags,
        fields,
        field_frags,
        leads: table(leads, LEAD_BASE + size.leads, |l| {
            (l.id, l.created_at, l.updated_at, false)
        }),
        contacts: table(contacts, CONTACT_BASE + size.contacts, |c| {
            (c.id, c.created_at, c.updated_at, false)
        }),
        companies: table(companies, COMPANY_BASE + size.companies, |c| {
            (c.id, c.created_at, c.updated_at, false)
        }),
        tasks: table(tasks, TASK_BASE + size.tasks, |t| {
            (t.id, t.created_at, t.updated_at, false)
        }),
        task_extra: HashMap::new(),
        contact_leads,
        company_leads,
        company_contacts,
        events: Vec::new(),
        next_status_id: pipes.next_status_id,
        next_pipeline_id: pipes.next_pipeline_id,
        next_tag_id,
        dup_index: None,
    };
    events::history(&mut account);
    account
}

fn table<R>(recs: Vec<R>, next_id: u32, key: impl Fn(&R) -> (u32, u32, u32, bool)) -> Table<R> {
    let index = Index::build(recs.iter().map(key));
    Table {
        recs,
        index,
        extra: HashMap::new(),
        next_id,
    }
}

/// Up to N tag indexes (+1) drawn by the weights of 0, 1, 2, ... tags.
fn packed_tags<const N: usize>(r: &mut Rng, dict: usize, weights: &[u32]) -> [u16; N] {
    let mut out = [0u16; N];
    if dict == 0 {
        return out;
    }
    let count = r.weighted(weights).min(N);
    let mut n = 0;
    while n < count {
        let t = (r.index(dict) + 1) as u16;
        if !out[..n].contains(&t) {
            out[n] = t;
            n += 1;
        } else if dict <= n {
            break;
        }
    }
    out[..n].sort_unstable();
    out
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    //! The generator's output, pinned: a hash of every record and of every rendered entity
    //! for a few seeds and sizes, recorded from the generator as it was before it was split
    //! per entity, so any change to the draws or their order shows here.

    use std::fmt::Write as _;

    use super::generate;
    use crate::config::{AccountSize, SimConfig};
    use crate::render::LeadWith;

    /// FNV-1a 64: stable across Rust versions, unlike `DefaultHasher`.
    struct Fnv(u64);

    impl Fnv {
        fn new() -> Self {
            Self(0xcbf2_9ce4_8422_2325)
        }

        fn bytes(&mut self, bytes: &[u8]) {
            for b in bytes {
                self.0 ^= u64::from(*b);
                self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
            }
        }
    }

    impl std::fmt::Write for Fnv {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.bytes(s.as_bytes());
            Ok(())
        }
    }

    impl std::io::Write for Fnv {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.bytes(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The raw records (Debug) and every entity as the API renders it.
    fn account_hash(config: &SimConfig) -> u64 {
        let acc = generate(config);
        let mut h = Fnv::new();
        write!(h, "{acc:?}").unwrap();
        let base = "http://h";
        let all = LeadWith {
            contacts: true,
            loss_reason: true,
            source_id: true,
            price_by_robot: true,
            catalog_elements: true,
        };
        for l in &acc.leads.recs {
            serde_json::to_writer(&mut h, &acc.lead_model(l, all, base)).unwrap();
        }
        for c in &acc.contacts.recs {
            serde_json::to_writer(&mut h, &acc.contact_model(c, true, base)).unwrap();
        }
        for c in &acc.companies.recs {
            serde_json::to_writer(&mut h, &acc.company_model(c, true, true, base)).unwrap();
        }
        for t in &acc.tasks.recs {
            serde_json::to_writer(&mut h, &acc.task_model(t, base)).unwrap();
        }
        for p in &acc.pipelines {
            serde_json::to_writer(&mut h, &acc.pipeline_model(p, base)).unwrap();
        }
        for u in &acc.users {
            serde_json::to_writer(&mut h, &acc.user_model(u, true, true, base)).unwrap();
        }
        for e in &acc.events {
            serde_json::to_writer(&mut h, &acc.event_model(e, base)).unwrap();
        }
        h.0
    }

    #[test]
    fn the_same_seed_gives_the_same_account_byte_for_byte() {
        let odd = [
            AccountSize {
                leads: 300,
                contacts: 0,
                companies: 0,
                tasks: 200,
                users: 0,
                pipelines: 50,
            },
            AccountSize {
                leads: 0,
                contacts: 120,
                companies: 30,
                tasks: 90,
                users: 70,
                pipelines: 2,
            },
        ];
        let expected: [(u64, &str, u64); 18] = [
            (1, "0", 0xe985_e483_b3a3_0bd0),
            (1, "1", 0xe42f_1865_4ef8_f718),
            (1, "500", 0x3bdf_96ec_d69b_10c3),
            (1, "5000", 0x017c_2b9d_48ce_1b7c),
            (1, "odd0", 0xa0a6_e42d_a37f_c01c),
            (1, "odd1", 0x728a_51fb_fd87_dccf),
            (7, "0", 0xadc1_48d2_3aa3_9458),
            (7, "1", 0x6538_f9e5_6835_9b74),
            (7, "500", 0xd1ad_8fe3_35f0_2ed3),
            (7, "5000", 0x6f9c_5774_f31d_a826),
            (7, "odd0", 0x2bb1_e501_e03a_d3b6),
            (7, "odd1", 0xd059_4449_9655_ca45),
            (42, "0", 0x613c_0344_c122_8135),
            (42, "1", 0x799f_3e11_e5e2_a043),
            (42, "500", 0x170e_5e23_d12f_ad85),
            (42, "5000", 0x229a_bfa9_cc46_43ed),
            (42, "odd0", 0x4b30_78b7_056b_ec77),
            (42, "odd1", 0x9496_8a46_042d_3f88),
        ];
        let mut got = String::new();
        for (seed, size, _) in expected {
            let size = match size {
                "odd0" => odd[0],
                "odd1" => odd[1],
                leads => AccountSize::for_leads(leads.parse().unwrap()),
            };
            let mut config = SimConfig::default().with_seed(seed);
            config.size = size;
            if seed == 7 {
                // Another history end and subdomain, which names and e-mails derive from.
                config.anchor = 1_600_000_000;
                config.subdomain = "otherco".to_owned();
            }
            writeln!(got, "{:#018x}", account_hash(&config)).unwrap();
        }
        let want: String = expected
            .iter()
            .map(|(_, _, hash)| format!("{hash:#018x}\n"))
            .collect();
        assert_eq!(got, want);
    }
}
