//! The sales team: users, their groups and roles.

use kommo_model::{Group, Role};

use crate::names::{self, Locale};
use crate::rng::{Rng, stream};
use crate::store::{UserRec, derive_person};

pub(super) struct Team {
    pub(super) groups: Vec<Group>,
    pub(super) roles: Vec<Role>,
    pub(super) users: Vec<UserRec>,
}

/// `count` users (at least the admin, the first); their ids draw from the account stream.
pub(super) fn team(seed: u64, subdomain: &str, count: u32, rng: &mut Rng) -> Team {
    let n_users = count.max(1);
    let n_groups = (1 + n_users as usize / 6).min(names::GROUP_NAMES.len());
    let groups: Vec<Group> = (0..n_groups)
        .map(|g| Group {
            id: if g == 0 { 0 } else { 350_000 + g as i64 },
            name: names::GROUP_NAMES[g].to_owned(),
            uuid: None,
        })
        .collect();
    let roles: Vec<Role> = ["Sales manager", "Team lead", "Marketing"]
        .iter()
        .enumerate()
        .map(|(i, name)| Role {
            id: 60_001 + i as i64,
            name: (*name).to_owned(),
            rights: None,
        })
        .collect();
    let user_base = 8_000_000 + rng.below(900_000) as u32;
    let users: Vec<UserRec> = (0..n_users)
        .map(|i| {
            let id = user_base + i * 7;
            let mut r = Rng::new(seed, stream::USER, u64::from(id));
            let (first, last) = derive_person(seed, stream::USER, id);
            let locale = Locale::from_draw(r.next_u64());
            let admin = i == 0;
            UserRec {
                id,
                name: format!("{first} {last}"),
                email: format!(
                    "{}.{}@{}.example",
                    names::ascii_slug(&first),
                    names::ascii_slug(&last),
                    subdomain
                ),
                lang: locale.lang().to_owned(),
                is_admin: admin || r.percent(10),
                is_active: admin || r.percent(90),
                group_id: if admin {
                    0
                } else {
                    groups[r.index(groups.len())].id
                },
                role_id: if admin || r.percent(30) {
                    None
                } else {
                    Some(roles[r.index(roles.len())].id)
                },
            }
        })
        .collect();
    Team {
        groups,
        roles,
        users,
    }
}
