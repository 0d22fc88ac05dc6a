//! The staff of a corporate mobile service desk: the 299 principals of the second incident in the mission —
//! employees, dispatched staff (派遣) and a subcontractor's staff (委託先) — with roles, teams and the client
//! companies each one is assigned to.
//!
//! The organisation chart is fixed; the seed decides names, who of a desk team is an employee or dispatched,
//! and which companies each operator handles:
//! - `desk-1` … `desk-8` handle the client companies, each desk its own portfolio (every company belongs to
//!   exactly one desk when there are at least eight). Two supervisors per desk hold the whole portfolio; each
//!   operator holds two to four of its companies, and every company of the portfolio has an operator.
//!   `desk-7` and `desk-8` are run by a subcontractor: their operators and supervisors are its staff.
//! - `escalation` takes over difficult orders from every desk: its operators hold a handful of companies each,
//!   its two supervisors half of the desks' portfolios each.
//! - `security` (security officers, employees: the default policy lets only employees investigate),
//!   `audit` (auditors) and `it` (administrators) hold no company.
//! - Three service accounts: `svc.crm-sync` loads the CRM's records (an administrator, so it writes and never
//!   reads), `svc.client-portal` answers client companies' own administrators (an operator of every company)
//!   and `svc.log-monitor` watches the access log (an auditor).
//!
//! Guarantees: exactly [`COUNT`] principals; the same companies and seed give the same principals; login
//! names (`h.sato`, `h.sato2`, …) are unique and valid; every principal passes
//! [`Principal::validate`](crate::principal::Principal::validate) (separation of duties); every company is
//! held by at least one desk operator and one desk supervisor.

use std::collections::{BTreeSet, HashSet};

use rand::Rng;

use super::data::{self, JpName};
use super::{chance, stream, Rand, Weighted};
use crate::principal::{Invalid, Kind, Principal, Role};
use crate::schema::FieldType;

/// How many principals [`service_desk()`] returns.
pub const COUNT: usize = 299;
/// The desk teams that handle client companies (`desk-1` … `desk-8`).
pub const DESKS: usize = 8;

const STAFF_STREAM: u64 = 4;

/// Desks run by the subcontractor: the last two.
const OUTSOURCED_DESKS: usize = 2;
const SUPERVISORS_PER_DESK: usize = 2;
const ESCALATION_OPERATORS: usize = 14;
const ESCALATION_SUPERVISORS: usize = 2;
const SECURITY_OFFICERS: usize = 6;
const AUDITORS: usize = 3;
const ADMINISTRATORS: usize = 4;
/// Service accounts: name, role, team, whether it holds every company.
const SERVICES: [(&str, Role, &str, bool); 3] = [
    ("svc.crm-sync", Role::Administrator, "it", false),
    ("svc.client-portal", Role::Operator, "it", true),
    ("svc.log-monitor", Role::Auditor, "audit", false),
];
/// Everybody but the desk operators.
const OTHERS: usize = SERVICES.len()
    + ADMINISTRATORS
    + AUDITORS
    + SECURITY_OFFICERS
    + ESCALATION_SUPERVISORS
    + ESCALATION_OPERATORS
    + DESKS * SUPERVISORS_PER_DESK;
/// Operators of the desk teams, spread evenly over the desks.
const DESK_OPERATORS: usize = COUNT - OTHERS;

/// Percentage of an in-house desk's operators who are dispatched staff (the rest are employees).
const DISPATCHED_PERCENT: u32 = 60;
/// Percentage of escalation operators who are dispatched staff.
const ESCALATION_DISPATCHED_PERCENT: u32 = 20;

/// Why the staff cannot be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No client companies were given.
    #[error("the service desk needs at least one client company")]
    NoCompanies,
    /// A company name is not a valid organisation name.
    #[error("`{0}` is not a valid company name")]
    Company(String),
    /// A generated principal was refused (a defect of the generator).
    #[error("generated principal refused: {0}")]
    Principal(#[from] Invalid),
}

/// The name of desk `i` (0-based): `desk-1` … `desk-8`.
pub fn desk_team(i: usize) -> String {
    format!("desk-{}", i + 1)
}

/// The [`COUNT`] principals of the service desk for `companies` (names as in the records' `company` field;
/// duplicates and notation variants count once), deterministic for `seed`. Assigned companies are stored in
/// their canonical form, as records' scope fields are compared.
pub fn service_desk(companies: &[String], seed: u64) -> Result<Vec<Principal>, Error> {
    let mut clients: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    for name in companies {
        let canonical =
            crate::normalize::canonical(FieldType::Organisation, name).map_err(|_| Error::Company(name.clone()))?;
        if seen.insert(canonical.clone()) {
            clients.push(canonical);
        }
    }
    if clients.is_empty() {
        return Err(Error::NoCompanies);
    }
    let mut rng = stream(seed, STAFF_STREAM);
    let portfolios = portfolios(&mut rng, &clients);
    let mut names = Names::new(SERVICES.iter().map(|s| s.0));
    let mut out = Vec::with_capacity(COUNT);
    let all: BTreeSet<String> = clients.iter().cloned().collect();

    for (name, role, team, every) in SERVICES {
        let held = if every { all.clone() } else { BTreeSet::new() };
        out.push(principal(name, Kind::Service, role, team, held)?);
    }
    for (role, team, count) in [
        (Role::Administrator, "it", ADMINISTRATORS),
        (Role::Auditor, "audit", AUDITORS),
        (Role::SecurityOfficer, "security", SECURITY_OFFICERS),
    ] {
        for _ in 0..count {
            out.push(principal(&names.next(&mut rng), Kind::Employee, role, team, BTreeSet::new())?);
        }
    }

    for k in 0..ESCALATION_SUPERVISORS {
        let held: BTreeSet<String> = portfolios
            .iter()
            .enumerate()
            .filter(|(d, _)| d % ESCALATION_SUPERVISORS == k)
            .flat_map(|(_, p)| p.iter().cloned())
            .collect();
        out.push(principal(&names.next(&mut rng), Kind::Employee, Role::Supervisor, "escalation", held)?);
    }
    for _ in 0..ESCALATION_OPERATORS {
        let kind = if chance(&mut rng, ESCALATION_DISPATCHED_PERCENT) { Kind::Dispatched } else { Kind::Employee };
        let take = 4 + below(&mut rng, 5);
        let held = choose(&mut rng, &clients, take);
        out.push(principal(&names.next(&mut rng), kind, Role::Operator, "escalation", held)?);
    }

    for (d, portfolio) in portfolios.iter().enumerate() {
        let team = desk_team(d);
        let outsourced = d >= DESKS - OUTSOURCED_DESKS;
        let supervisor_kind = if outsourced { Kind::Contractor } else { Kind::Employee };
        for _ in 0..SUPERVISORS_PER_DESK {
            out.push(principal(
                &names.next(&mut rng),
                supervisor_kind,
                Role::Supervisor,
                &team,
                portfolio.iter().cloned().collect(),
            )?);
        }
        let operators = DESK_OPERATORS / DESKS + usize::from(d < DESK_OPERATORS % DESKS);
        let mut desk: Vec<(String, Kind, BTreeSet<String>)> = Vec::with_capacity(operators);
        for _ in 0..operators {
            let kind = if outsourced {
                Kind::Contractor
            } else if chance(&mut rng, DISPATCHED_PERCENT) {
                Kind::Dispatched
            } else {
                Kind::Employee
            };
            let take = 2 + below(&mut rng, 3);
            desk.push((names.next(&mut rng), kind, choose(&mut rng, portfolio, take)));
        }
        // Every company of the portfolio has an operator: one nobody drew goes to the least loaded.
        for company in portfolio {
            if desk.iter().any(|(_, _, held)| held.contains(company)) {
                continue;
            }
            if let Some((_, _, held)) = desk.iter_mut().min_by_key(|(_, _, held)| held.len()) {
                held.insert(company.clone());
            }
        }
        for (name, kind, held) in desk {
            out.push(principal(&name, kind, Role::Operator, &team, held)?);
        }
    }
    Ok(out)
}

fn principal(name: &str, kind: Kind, role: Role, team: &str, companies: BTreeSet<String>) -> Result<Principal, Error> {
    Ok(Principal::new(name, kind, [role].into_iter().collect(), Some(team.to_owned()), companies)?)
}

/// The desks' portfolios: the companies in a seeded order, dealt out to the desks in turn. With fewer
/// companies than desks, a desk left empty shares a company with another desk.
fn portfolios(rng: &mut Rand, clients: &[String]) -> Vec<Vec<String>> {
    let mut order: Vec<&String> = clients.iter().collect();
    shuffle(rng, &mut order);
    let mut desks: Vec<Vec<String>> = vec![Vec::new(); DESKS];
    for (i, company) in order.iter().enumerate() {
        if let Some(desk) = desks.get_mut(i % DESKS) {
            desk.push((*company).clone());
        }
    }
    for (d, desk) in desks.iter_mut().enumerate() {
        if desk.is_empty() {
            if let Some(company) = order.get(d % order.len().max(1)) {
                desk.push((*company).clone());
            }
        }
    }
    desks
}

/// A uniform draw from `0..n` (0 when `n` is 0), with 64-bit draws so results do not depend on the platform.
fn below(rng: &mut Rand, n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    usize::try_from(rng.gen_range(0..n as u64)).unwrap_or(0)
}

/// Fisher–Yates with portable draws.
fn shuffle<T>(rng: &mut Rand, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}

/// `take` distinct elements of `from` (all of them if it has fewer).
fn choose(rng: &mut Rand, from: &[String], take: usize) -> BTreeSet<String> {
    let mut order: Vec<&String> = from.iter().collect();
    shuffle(rng, &mut order);
    order.into_iter().take(take).cloned().collect()
}

/// Login names: given name's initial, a dot and the surname in romaji, numbered from 2 when taken.
struct Names {
    used: HashSet<String>,
    surnames: Weighted<JpName>,
    male: Weighted<JpName>,
    female: Weighted<JpName>,
}

impl Names {
    fn new<'a>(reserved: impl IntoIterator<Item = &'a str>) -> Names {
        Names {
            used: reserved.into_iter().map(str::to_owned).collect(),
            surnames: Weighted::new(data::JP_SURNAMES.iter().map(|n| (*n, n.weight))),
            male: Weighted::new(data::JP_MALE_NAMES.iter().map(|n| (*n, n.weight))),
            female: Weighted::new(data::JP_FEMALE_NAMES.iter().map(|n| (*n, n.weight))),
        }
    }

    fn next(&mut self, rng: &mut Rand) -> String {
        let surname = self.surnames.sample(rng);
        let given = if chance(rng, 50) { self.male.sample(rng) } else { self.female.sample(rng) };
        let initial = given.romaji.chars().next().unwrap_or('x');
        let base = format!("{initial}.{}", surname.romaji);
        let mut name = base.clone();
        let mut n = 2u32;
        while self.used.contains(&name) {
            name = format!("{base}{n}");
            n += 1;
        }
        self.used.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::collections::BTreeMap;

    use super::*;

    /// The company names of a generated corporate file, in order of first appearance.
    fn companies(n: usize) -> Vec<String> {
        let mut buf = Vec::new();
        let p = crate::generate::CorporateParams { companies: n, employees: n * 20, seed: 2014 };
        crate::generate::corporate(&p, &mut buf, &mut |_| {}).unwrap();
        let mut reader = csv::Reader::from_reader(buf.as_slice());
        let mut out: Vec<String> = Vec::new();
        for r in reader.records() {
            let c = r.unwrap()[1].to_owned();
            if !out.contains(&c) {
                out.push(c);
            }
        }
        assert_eq!(out.len(), n);
        out
    }

    fn canonical(names: &[String]) -> BTreeSet<String> {
        names.iter().map(|n| crate::normalize::canonical(FieldType::Organisation, n).unwrap()).collect()
    }

    fn role(p: &Principal) -> Role {
        assert_eq!(p.roles.len(), 1, "{}", p.name);
        *p.roles.first().unwrap()
    }

    #[test]
    fn exactly_299_for_any_number_of_companies() {
        for n in [1, 3, 8, 12, 72] {
            assert_eq!(service_desk(&companies(n), 1).unwrap().len(), COUNT, "{n} companies");
        }
    }

    #[test]
    fn deterministic_for_a_seed() {
        let c = companies(72);
        let show = |staff: Vec<Principal>| -> Vec<String> {
            staff
                .iter()
                .map(|p| format!("{} {:?} {:?} {:?} {:?}", p.name, p.kind, p.roles, p.team, p.companies))
                .collect()
        };
        let a = show(service_desk(&c, 7).unwrap());
        assert_eq!(a, show(service_desk(&c, 7).unwrap()));
        assert_ne!(a, show(service_desk(&c, 8).unwrap()));
    }

    #[test]
    fn separation_of_duties_holds() {
        for p in service_desk(&companies(72), 1).unwrap() {
            p.validate().unwrap();
            let r = role(&p);
            if matches!(r, Role::Administrator | Role::Auditor | Role::SecurityOfficer) {
                assert!(p.companies.is_empty(), "{} holds companies", p.name);
            }
            // The default policy lets only employees investigate.
            if r == Role::SecurityOfficer {
                assert_eq!(p.kind, Kind::Employee);
            }
        }
    }

    #[test]
    fn every_company_is_covered_by_its_desk() {
        for n in [1, 5, 12, 72] {
            let c = companies(n);
            let staff = service_desk(&c, 3).unwrap();
            let on_desks = |r: Role| -> BTreeSet<String> {
                staff
                    .iter()
                    .filter(|p| p.kind != Kind::Service && role(p) == r)
                    .filter(|p| p.team.as_deref().is_some_and(|t| t.starts_with("desk-")))
                    .flat_map(|p| p.companies.iter().cloned())
                    .collect()
            };
            assert_eq!(on_desks(Role::Operator), canonical(&c), "{n} companies");
            assert_eq!(on_desks(Role::Supervisor), canonical(&c), "{n} companies");
            // An operator holds only companies of its own desk, which its supervisors hold too.
            let mut portfolio: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
            for p in staff.iter().filter(|p| role(p) == Role::Supervisor) {
                portfolio.entry(p.team.as_deref().unwrap()).or_default().extend(p.companies.iter().cloned());
            }
            for p in staff.iter().filter(|p| p.kind != Kind::Service && role(p) == Role::Operator) {
                let team = p.team.as_deref().unwrap();
                assert!(!p.companies.is_empty(), "{}", p.name);
                if team.starts_with("desk-") {
                    assert!(p.companies.is_subset(&portfolio[team]), "{} of {team}", p.name);
                }
            }
        }
    }

    #[test]
    fn names_are_unique_and_valid() {
        let staff = service_desk(&companies(72), 1).unwrap();
        let names: HashSet<&str> = staff.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names.len(), COUNT);
        assert!(staff.iter().all(|p| crate::principal::valid_name(&p.name)));
        assert!(names.contains("svc.crm-sync") && names.contains("svc.client-portal"));
        assert!(staff.iter().filter(|p| p.kind != Kind::Service).all(|p| p.name.split_once('.').is_some()));
    }

    #[test]
    fn a_realistic_mix() {
        let staff = service_desk(&companies(72), 1).unwrap();
        let mut kinds: BTreeMap<Kind, usize> = BTreeMap::new();
        let mut roles: BTreeMap<Role, usize> = BTreeMap::new();
        for p in &staff {
            *kinds.entry(p.kind).or_default() += 1;
            *roles.entry(role(p)).or_default() += 1;
        }
        assert_eq!(kinds[&Kind::Service], SERVICES.len());
        assert_eq!(kinds[&Kind::Contractor], OUTSOURCED_DESKS * (SUPERVISORS_PER_DESK + DESK_OPERATORS / DESKS));
        assert!(kinds[&Kind::Dispatched] > 60 && kinds[&Kind::Employee] > 60, "{kinds:?}");
        assert!(roles[&Role::Operator] > 250, "{roles:?}");
        assert_eq!(roles[&Role::Supervisor], DESKS * SUPERVISORS_PER_DESK + ESCALATION_SUPERVISORS);
        assert_eq!(roles[&Role::SecurityOfficer], SECURITY_OFFICERS);
        assert_eq!(roles[&Role::Auditor], AUDITORS + 1);
        assert_eq!(roles[&Role::Administrator], ADMINISTRATORS + 1);
    }

    #[test]
    fn refuses_no_companies_and_bad_names() {
        assert!(matches!(service_desk(&[], 1), Err(Error::NoCompanies)));
        assert!(matches!(service_desk(&[String::new()], 1), Err(Error::Company(_))));
    }
}
