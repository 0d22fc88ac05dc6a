//! A day at the desk: a deterministic generator of orders, their progress and the reads they cause, for the
//! demo, the console and the reports' tests.
//!
//! Given client companies with their people and the desk's staff (see
//! [`generate::staff::service_desk`](crate::generate::staff::service_desk)), [`day`] makes a working day of
//! orders (JST, arrivals from 08:00 to 20:00 with morning and afternoon peaks), each:
//! - of a realistic type and priority (inquiries, device changes and repairs most common, a few urgent);
//! - about one to a few of its company's people (battery shipments and new lines in batches);
//! - assigned to an operator of its company's desk (an operator whose companies include the company), who
//!   takes it up and reads what the order type needs of its people;
//! - escalated by type: repairs and some device changes to a handset maker, battery shipments to a courier,
//!   new lines to the account team or network operations, some inquiries to network operations or the
//!   carrier; a partner reads its view during the window;
//! - sometimes waiting for the client, sometimes cancelled, otherwise done — unless the day ends first.
//!   Operators take orders up from 09:00 to 19:00 (urgent ones until 22:00); later ones wait, `Received`,
//!   for the next day.
//!
//! A small share of reads are misuse: a field the order does not need, a person it does not name, or no
//! order at all. [`Day::misuse`] lists them, and [`Day::needed`] is the ground truth of which fields of which
//! people each order legitimately needed.
//!
//! Guarantees: the same inputs and seed give the same day on every platform (ChaCha20, integer draws only);
//! orders are numbered in order of arrival; every change respects the transition table and happens before
//! [`Day::until`], the end of the simulated day (midnight JST).

use std::collections::HashMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use super::needs::Needs;
use super::order::{Order, OrderError, OrderId, OrderType, PartnerKind, Party, Priority, Status};
use super::report::Read;
use crate::id::RecordId;
use crate::principal::{Kind, Principal, Role};
use crate::schema::FieldType;

/// Friday 27 November 2026, 00:00 JST.
pub const DEFAULT_DAY_START: i64 = 1_795_705_200;
/// The default number of orders in a day.
pub const DEFAULT_ORDERS: usize = 3_000;
/// The most orders [`day`] makes.
pub const MAX_ORDERS: usize = 10_000_000;

const DESK_STREAM: u64 = 11;
const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// Internal teams orders are escalated to.
pub const ACCOUNT_TEAM: &str = "account-team";
/// Internal teams orders are escalated to.
pub const NETWORK_OPERATIONS: &str = "network-operations";
/// The outside partners, fictional: name and kind.
pub const PARTNERS: [(&str, PartnerKind); 5] = [
    ("hayate-express", PartnerKind::Courier),
    ("tsubame-logistics", PartnerKind::Courier),
    ("minato-devices", PartnerKind::HandsetMaker),
    ("kirin-mobile-works", PartnerKind::HandsetMaker),
    ("hoshizora-network", PartnerKind::Carrier),
];

/// Parameters of [`day`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Params {
    /// Midnight JST of the day, Unix seconds.
    pub day_start: i64,
    /// Number of orders (1 to [`MAX_ORDERS`]).
    pub orders: usize,
    /// Seed.
    pub seed: u64,
    /// Percentage of orders whose operator also makes one read the order does not justify.
    pub misuse_percent: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params { day_start: DEFAULT_DAY_START, orders: DEFAULT_ORDERS, seed: 1, misuse_percent: 2 }
    }
}

/// What one order legitimately needed of one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    /// The order.
    pub order: OrderId,
    /// The person.
    pub record: RecordId,
    /// The fields.
    pub fields: Vec<String>,
}

/// Which rule a misuse read breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Misuse {
    /// A field the order does not need.
    Field,
    /// A person the order does not name.
    Person,
    /// No order cited.
    NoOrder,
}

/// A simulated day.
#[derive(Debug, Clone)]
pub struct Day {
    /// The orders, in order of arrival (ids 1, 2, …).
    pub orders: Vec<Order>,
    /// Reads, grouped by order, in order of the orders.
    pub reads: Vec<Read>,
    /// Ground truth: what each order needed of each of its people (people with no needed field omitted).
    pub needed: Vec<Needed>,
    /// Ground truth: the reads (indexes into [`Day::reads`]) that no order justifies, and why.
    pub misuse: Vec<(usize, Misuse)>,
    /// The end of the simulated day: nothing happens at or after it.
    pub until: i64,
}

/// Why a day could not be simulated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulateError {
    /// No company has any people.
    #[error("the desk needs at least one client company with people")]
    NoPeople,
    /// The number of orders is zero or too large.
    #[error("the number of orders must be between 1 and {max}, got `{got}`")]
    Orders {
        /// Requested.
        got: usize,
        /// The most allowed.
        max: usize,
    },
    /// A generated change was refused (a defect of the generator).
    #[error("generated order refused: {0}")]
    Order(#[from] OrderError),
}

/// Order type mix, percent, in [`OrderType::ALL`] order.
const TYPE_WEIGHTS: [u32; 7] = [10, 18, 14, 12, 8, 8, 30];
/// Priority mix, percent, in [`Priority::ALL`] order.
const PRIORITY_WEIGHTS: [u32; 4] = [20, 60, 15, 5];
/// Arrivals per half hour from 08:00 JST (24 slots to 20:00).
const ARRIVAL_WEIGHTS: [u32; 24] = [2, 4, 9, 12, 12, 11, 10, 8, 4, 4, 7, 9, 9, 8, 7, 6, 5, 4, 3, 3, 2, 2, 1, 1];

/// Small portable helpers over ChaCha20.
struct Dice(ChaCha20Rng);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.0.gen_range(0..n)
        }
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        lo.saturating_add(i64::try_from(self.below(u64::try_from(hi - lo).unwrap_or(0))).unwrap_or(0))
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.0.gen_range(0..100u32) < percent
    }

    /// An index drawn by weight (0 for no weight).
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
        let mut x = self.below(total);
        for (i, w) in weights.iter().enumerate() {
            let w = u64::from(*w);
            if x < w {
                return i;
            }
            x -= w;
        }
        0
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = usize::try_from(self.below(items.len() as u64)).ok()?;
        items.get(i)
    }

    /// `take` distinct elements (all if fewer), by a partial Fisher–Yates over indexes.
    fn sample(&mut self, items: &[RecordId], take: usize) -> Vec<RecordId> {
        let mut idx: Vec<usize> = (0..items.len()).collect();
        let take = take.min(items.len());
        for i in 0..take {
            let j = i + usize::try_from(self.below((items.len() - i) as u64)).unwrap_or(0);
            idx.swap(i, j);
        }
        idx.iter().take(take).filter_map(|&i| items.get(i).copied()).collect()
    }
}

/// One company's people and desk operators.
struct Client<'a> {
    name: String,
    people: &'a [RecordId],
    operators: Vec<&'a Principal>,
}

fn canonical(name: &str) -> String {
    crate::normalize::canonical(FieldType::Organisation, name).unwrap_or_else(|_| name.to_owned())
}

/// Simulates a day at the desk. `companies` are the client companies (names as in the records' `company`
/// field) with their people; `staff` the desk's principals; `needs` what each order type needs.
pub fn day(
    companies: &[(String, Vec<RecordId>)],
    staff: &[Principal],
    needs: &Needs,
    p: &Params,
) -> Result<Day, SimulateError> {
    if p.orders == 0 || p.orders > MAX_ORDERS {
        return Err(SimulateError::Orders { got: p.orders, max: MAX_ORDERS });
    }
    let operators: Vec<&Principal> =
        staff.iter().filter(|s| s.roles.contains(&Role::Operator) && s.kind != Kind::Service && !s.suspended).collect();
    let clients: Vec<Client<'_>> = companies
        .iter()
        .filter(|(_, people)| !people.is_empty())
        .map(|(name, people)| {
            let name = canonical(name);
            let holds = |s: &&&Principal| s.companies.contains(&name);
            let on_desk: Vec<&Principal> = operators
                .iter()
                .filter(holds)
                .filter(|s| s.team.as_deref().is_some_and(|t| t.starts_with("desk-")))
                .copied()
                .collect();
            let operators =
                if on_desk.is_empty() { operators.iter().filter(holds).copied().collect() } else { on_desk };
            Client { name, people, operators }
        })
        .collect();
    if clients.is_empty() {
        return Err(SimulateError::NoPeople);
    }
    // Bigger companies send more orders, but not proportionally more (the square root of their size).
    let client_weights: Vec<u32> =
        clients.iter().map(|c| u32::try_from(c.people.len()).unwrap_or(u32::MAX).isqrt().max(1)).collect();

    let mut dice = Dice(ChaCha20Rng::seed_from_u64(p.seed));
    dice.0.set_stream(DESK_STREAM);
    let until = p.day_start.saturating_add(DAY);

    let mut arrivals: Vec<i64> = (0..p.orders)
        .map(|_| {
            let slot = i64::try_from(dice.weighted(&ARRIVAL_WEIGHTS)).unwrap_or(0);
            p.day_start + 8 * HOUR + slot * 30 * MINUTE + dice.between(0, 30 * MINUTE)
        })
        .collect();
    arrivals.sort_unstable();

    let mut day =
        Day { orders: Vec::with_capacity(p.orders), reads: Vec::new(), needed: Vec::new(), misuse: Vec::new(), until };
    for (n, received_at) in arrivals.into_iter().enumerate() {
        let id = OrderId(n as u64 + 1);
        let client_index = dice.weighted(&client_weights);
        let Some(client) = clients.get(client_index) else { continue };
        let kind = OrderType::ALL.get(dice.weighted(&TYPE_WEIGHTS)).copied().unwrap_or(OrderType::Inquiry);
        let priority = Priority::ALL.get(dice.weighted(&PRIORITY_WEIGHTS)).copied().unwrap_or(Priority::Normal);
        let count = people_count(&mut dice, kind);
        let people = dice.sample(client.people, count);
        let mut order = Order::new(id, &client.name, kind, people, priority, received_at, needs.sla())?;
        let assignee = dice.pick(&client.operators).copied();
        run(&mut dice, &mut order, assignee, needs, until, &mut day)?;
        if let (Some(op), Some(taken)) = (assignee, order.history.first().filter(|h| h.to == Status::InProgress)) {
            if dice.chance(p.misuse_percent) {
                // While the order is open: two minutes after it was taken up, before anything else happens.
                let at = taken.at + 2 * MINUTE;
                misuse(&mut dice, &order, op, client, &clients, needs, at, &mut day);
            }
        }
        for r in &order.people {
            let fields = needs.fields(kind);
            if !fields.is_empty() {
                day.needed.push(Needed { order: id, record: *r, fields: fields.to_vec() });
            }
        }
        day.orders.push(order);
    }
    Ok(day)
}

fn people_count(dice: &mut Dice, kind: OrderType) -> usize {
    match kind {
        OrderType::NewLine => 1 + dice.weighted(&[50, 20, 15, 10, 5]),
        OrderType::BatteryShipment => 1 + dice.weighted(&[40, 20, 15, 10, 5, 4, 3, 3]),
        OrderType::Cancellation => 1 + dice.weighted(&[70, 20, 10]),
        OrderType::Inquiry => dice.weighted(&[60, 40]),
        _ => 1,
    }
}

/// Where an order of `kind` is escalated, with what chance (percent), if at all.
fn escalation_for(dice: &mut Dice, kind: OrderType) -> Option<Party> {
    let partner = |dice: &mut Dice, want: PartnerKind| {
        let names: Vec<&str> = PARTNERS.iter().filter(|(_, k)| *k == want).map(|(n, _)| *n).collect();
        dice.pick(&names).map(|n| Party::Partner { name: (*n).to_owned(), kind: want })
    };
    let team = |t: &str| Some(Party::Team(t.to_owned()));
    match kind {
        OrderType::Repair if dice.chance(55) => partner(dice, PartnerKind::HandsetMaker),
        OrderType::DeviceChange if dice.chance(15) => partner(dice, PartnerKind::HandsetMaker),
        OrderType::BatteryShipment if dice.chance(85) => partner(dice, PartnerKind::Courier),
        OrderType::NewLine if dice.chance(40) => {
            if dice.chance(60) {
                team(ACCOUNT_TEAM)
            } else {
                team(NETWORK_OPERATIONS)
            }
        }
        OrderType::Cancellation | OrderType::AddressChange if dice.chance(8) => team(ACCOUNT_TEAM),
        OrderType::Inquiry if dice.chance(8) => {
            if dice.chance(50) {
                team(NETWORK_OPERATIONS)
            } else {
                partner(dice, PartnerKind::Carrier)
            }
        }
        _ => None,
    }
}

/// How long an escalation to `party` lasts.
fn escalation_length(dice: &mut Dice, party: &Party) -> i64 {
    match party {
        Party::Partner { kind: PartnerKind::Courier, .. } => dice.between(4 * HOUR, 30 * HOUR),
        Party::Partner { kind: PartnerKind::HandsetMaker, .. } => dice.between(3 * HOUR, 96 * HOUR),
        Party::Partner { .. } => dice.between(30 * MINUTE, 6 * HOUR),
        Party::Team(_) => dice.between(30 * MINUTE, 5 * HOUR),
    }
}

/// How long an operator works on an order of `kind`.
fn work_length(dice: &mut Dice, kind: OrderType) -> i64 {
    match kind {
        OrderType::Inquiry => dice.between(5 * MINUTE, 40 * MINUTE),
        OrderType::DeviceChange | OrderType::NewLine => dice.between(HOUR, 8 * HOUR),
        _ => dice.between(30 * MINUTE, 5 * HOUR),
    }
}

/// How long an order waits before someone takes it up.
fn pickup_delay(dice: &mut Dice, priority: Priority) -> i64 {
    match priority {
        Priority::Urgent => dice.between(2 * MINUTE, 10 * MINUTE),
        Priority::High => dice.between(5 * MINUTE, 30 * MINUTE),
        Priority::Normal => dice.between(10 * MINUTE, 90 * MINUTE),
        Priority::Low => dice.between(30 * MINUTE, 4 * HOUR),
    }
}

/// Plays an order's life until the end of the day, recording the reads it causes.
fn run(
    dice: &mut Dice,
    order: &mut Order,
    assignee: Option<&Principal>,
    needs: &Needs,
    until: i64,
    day: &mut Day,
) -> Result<(), SimulateError> {
    let cancel = dice.chance(4);
    let Some(op) = assignee else {
        // Nobody holds the company: the order waits, and some are withdrawn.
        let t = order.received_at + dice.between(HOUR, 6 * HOUR);
        if cancel && t < until {
            order.transition(Status::Cancelled, "svc.client-portal", t, "withdrawn by the client")?;
        }
        return Ok(());
    };
    let by = op.name.as_str();
    // Operators take orders up from 09:00; after 19:00 only urgent ones (until 22:00), the rest wait for
    // the next morning.
    let day_start = until - DAY;
    let cutoff = if order.priority == Priority::Urgent { 22 * HOUR } else { 19 * HOUR };
    let mut t = order.received_at.max(day_start + 9 * HOUR) + pickup_delay(dice, order.priority);
    if t >= day_start + cutoff || t >= until {
        return Ok(());
    }
    order.assign(Some(by), op.team.as_deref(), by, t)?;
    order.transition(Status::InProgress, by, t, "")?;
    let fields = needs.fields(order.kind);
    if !fields.is_empty() {
        for (k, r) in order.people.iter().enumerate() {
            let at = t + MINUTE * i64::try_from(k).unwrap_or(0);
            if at >= until {
                break;
            }
            day.reads.push(Read {
                principal: by.to_owned(),
                order: Some(order.id),
                record: *r,
                fields: fields.to_vec(),
                at,
            });
        }
    }
    if cancel {
        t += dice.between(10 * MINUTE, 2 * HOUR);
        if t < until {
            order.transition(Status::Cancelled, by, t, "withdrawn by the client")?;
        }
        return Ok(());
    }
    if dice.chance(10) {
        t += dice.between(10 * MINUTE, HOUR);
        if t >= until {
            return Ok(());
        }
        order.transition(Status::Waiting, by, t, "waiting for the client")?;
        // Most clients answer the same day; some only the next.
        t += if dice.chance(70) { dice.between(30 * MINUTE, 3 * HOUR) } else { dice.between(4 * HOUR, 24 * HOUR) };
        if t >= until {
            return Ok(());
        }
        order.transition(Status::InProgress, by, t, "client answered")?;
    }
    if let Some(party) = escalation_for(dice, order.kind) {
        t += dice.between(10 * MINUTE, HOUR);
        if t >= until {
            return Ok(());
        }
        let end = t + escalation_length(dice, &party);
        let reason = match &party {
            Party::Partner { kind: PartnerKind::Courier, .. } => "shipment",
            Party::Partner { kind: PartnerKind::HandsetMaker, .. } => "handset repair or exchange",
            Party::Partner { .. } => "network fault report",
            Party::Team(_) => "contract or line provisioning",
        };
        order.escalate(party.clone(), by, t, Some(end), reason)?;
        if let Party::Partner { name, kind } = &party {
            let view: Vec<String> =
                needs.partner_fields(*kind).iter().filter(|f| needs.needs(order.kind, f)).cloned().collect();
            let at = t + dice.between(MINUTE, 30 * MINUTE);
            if !view.is_empty() && at < end && at < until {
                for r in &order.people {
                    day.reads.push(Read {
                        principal: format!("{name}.api"),
                        order: Some(order.id),
                        record: *r,
                        fields: view.clone(),
                        at,
                    });
                }
            }
        }
        if end >= until {
            return Ok(());
        }
        order.end_escalation(by, end)?;
        t = end;
    }
    t += work_length(dice, order.kind);
    if t < until {
        order.transition(Status::Done, by, t, "")?;
    }
    Ok(())
}

/// One read by `op` that `order` does not justify.
#[expect(clippy::too_many_arguments, reason = "the generator's state, passed explicitly rather than bundled")]
fn misuse(
    dice: &mut Dice,
    order: &Order,
    op: &Principal,
    client: &Client<'_>,
    clients: &[Client<'_>],
    needs: &Needs,
    at: i64,
    day: &mut Day,
) {
    let unneeded: Vec<&String> = needs.schema_fields().iter().filter(|f| !needs.needs(order.kind, f)).collect();
    let any_field = |dice: &mut Dice| dice.pick(needs.schema_fields()).cloned().unwrap_or_default();
    let read = |record: RecordId, order_id: Option<OrderId>, fields: Vec<String>| Read {
        principal: op.name.clone(),
        order: order_id,
        record,
        fields,
        at,
    };
    let roll = dice.below(10);
    let (r, why) = if roll < 4 {
        let (Some(record), Some(field)) = (order.people.first(), dice.pick(&unneeded)) else { return };
        (read(*record, Some(order.id), vec![(*field).clone()]), Misuse::Field)
    } else if roll < 7 {
        let others: Vec<RecordId> = client.people.iter().filter(|r| !order.people.contains(r)).copied().collect();
        let Some(record) = dice.pick(&others).copied() else { return };
        let fields =
            if needs.fields(order.kind).is_empty() { vec![any_field(dice)] } else { needs.fields(order.kind).to_vec() };
        (read(record, Some(order.id), fields), Misuse::Person)
    } else {
        let held: Vec<&Client<'_>> = clients.iter().filter(|c| op.companies.contains(&c.name)).collect();
        let Some(c) = dice.pick(&held) else { return };
        let Some(record) = dice.pick(c.people).copied() else { return };
        let field = any_field(dice);
        (read(record, None, vec![field]), Misuse::NoOrder)
    };
    day.misuse.push((day.reads.len(), why));
    day.reads.push(r);
}

/// The people of each company, for callers that hold records by company: groups `(company, record)` pairs.
pub fn group_people<'a>(records: impl IntoIterator<Item = (&'a str, RecordId)>) -> Vec<(String, Vec<RecordId>)> {
    let mut order: Vec<String> = Vec::new();
    let mut by: HashMap<String, Vec<RecordId>> = HashMap::new();
    for (company, record) in records {
        by.entry(company.to_owned())
            .or_insert_with(|| {
                order.push(company.to_owned());
                Vec::new()
            })
            .push(record);
    }
    order
        .into_iter()
        .map(|c| {
            let people = by.remove(&c).unwrap_or_default();
            (c, people)
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::collections::{BTreeMap, BTreeSet, HashSet};

    use super::*;

    /// Companies (as the corporate generator names them) with synthetic record ids, and the desk's staff.
    pub(crate) fn fixture(companies: usize, per_company: usize) -> (Vec<(String, Vec<RecordId>)>, Vec<Principal>) {
        let mut buf = Vec::new();
        let params = crate::generate::CorporateParams { companies, employees: companies * 20, seed: 2014 };
        crate::generate::corporate(&params, &mut buf, &mut |_| {}).unwrap();
        let mut reader = csv::Reader::from_reader(buf.as_slice());
        let mut names: Vec<String> = Vec::new();
        for r in reader.records() {
            let c = r.unwrap()[1].to_owned();
            if !names.contains(&c) {
                names.push(c);
            }
        }
        let staff = crate::generate::staff::service_desk(&names, 5).unwrap();
        let mut next = 0u32;
        let with_people = names
            .into_iter()
            .enumerate()
            .map(|(i, name)| {
                // Uneven sizes: some companies are large.
                let n = per_company * (1 + (i % 4)) / 2 + 1;
                let people = (0..n)
                    .map(|_| {
                        next += 1;
                        let mut b = [0u8; 16];
                        b[..4].copy_from_slice(&next.to_be_bytes());
                        RecordId(b)
                    })
                    .collect();
                (name, people)
            })
            .collect();
        (with_people, staff)
    }

    pub(crate) fn needs() -> Needs {
        Needs::default_for(&crate::schema::builtin("corporate-mobile").unwrap())
    }

    fn show(d: &Day) -> Vec<String> {
        d.orders.iter().map(|o| format!("{o:?}")).chain(d.reads.iter().map(|r| format!("{r:?}"))).collect()
    }

    #[test]
    fn deterministic_for_a_seed() {
        let (companies, staff) = fixture(12, 40);
        let n = needs();
        let p = Params { orders: 500, ..Params::default() };
        let a = day(&companies, &staff, &n, &p).unwrap();
        let b = day(&companies, &staff, &n, &p).unwrap();
        assert_eq!(show(&a), show(&b));
        assert_eq!(a.misuse, b.misuse);
        let c = day(&companies, &staff, &n, &Params { seed: 2, ..p }).unwrap();
        assert_ne!(show(&a), show(&c));
    }

    #[test]
    fn a_realistic_day() {
        let (companies, staff) = fixture(24, 60);
        let n = needs();
        let p = Params::default();
        let d = day(&companies, &staff, &n, &p).unwrap();
        assert_eq!(d.orders.len(), DEFAULT_ORDERS);
        assert_eq!(d.until, p.day_start + DAY);
        let mut kinds: BTreeMap<OrderType, usize> = BTreeMap::new();
        let mut parties: BTreeSet<String> = BTreeSet::new();
        let mut statuses: BTreeSet<Status> = BTreeSet::new();
        for (i, o) in d.orders.iter().enumerate() {
            assert_eq!(o.id, OrderId(i as u64 + 1));
            *kinds.entry(o.kind).or_default() += 1;
            statuses.insert(o.status());
            // Arrivals during the working day, JST.
            assert!(o.received_at >= p.day_start + 8 * HOUR && o.received_at < p.day_start + 20 * HOUR);
            if i > 0 {
                assert!(o.received_at >= d.orders[i - 1].received_at);
            }
            // History in time order, along the table, within the day.
            let mut s = Status::Received;
            let mut last = o.received_at;
            for h in &o.history {
                assert_eq!(h.from, s);
                assert!(s.can_move(h.to));
                assert!(h.at >= last && h.at < d.until);
                s = h.to;
                last = h.at;
            }
            // Assigned to an operator who holds the company.
            if let Some(a) = &o.assignee {
                let p = staff.iter().find(|p| &p.name == a).unwrap();
                assert!(p.companies.contains(&o.company), "{a} does not hold {}", o.company);
                assert_eq!(o.team, p.team);
            }
            if let Some(e) = &o.escalation {
                parties.insert(e.to.label().split(':').next().unwrap().to_owned());
                match (&e.to, o.kind) {
                    (Party::Partner { kind: PartnerKind::Courier, .. }, k) => assert_eq!(k, OrderType::BatteryShipment),
                    (Party::Partner { kind: PartnerKind::HandsetMaker, .. }, k) => {
                        assert!(matches!(k, OrderType::Repair | OrderType::DeviceChange))
                    }
                    _ => {}
                }
            }
            if o.kind != OrderType::Inquiry {
                assert!(!o.people.is_empty());
            }
        }
        assert_eq!(kinds.len(), OrderType::ALL.len(), "{kinds:?}");
        assert!(kinds[&OrderType::Inquiry] > kinds[&OrderType::Cancellation]);
        assert_eq!(statuses.len(), Status::ALL.len(), "{statuses:?}");
        for p in ["team", "courier", "handset_maker", "carrier"] {
            assert!(parties.contains(p), "{parties:?}");
        }
        // Ground truth: exactly the order's people times its type's needs.
        let truth: HashSet<(OrderId, RecordId)> = d.needed.iter().map(|x| (x.order, x.record)).collect();
        for o in &d.orders {
            for r in &o.people {
                assert_eq!(truth.contains(&(o.id, *r)), !n.fields(o.kind).is_empty());
            }
        }
        assert!(d.needed.iter().all(|x| x.fields == n.fields(d.orders[x.order.0 as usize - 1].kind)));
        // Some misuse, all three kinds, but only a few percent.
        let kinds: HashSet<Misuse> = d.misuse.iter().map(|m| m.1).collect();
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        assert!(d.misuse.len() > 10 && d.misuse.len() < d.reads.len() / 10, "{} of {}", d.misuse.len(), d.reads.len());
    }

    #[test]
    fn refuses_empty_input() {
        let (companies, staff) = fixture(2, 5);
        let n = needs();
        let empty: Vec<(String, Vec<RecordId>)> = vec![("x".into(), vec![])];
        assert!(matches!(day(&empty, &staff, &n, &Params::default()), Err(SimulateError::NoPeople)));
        assert!(matches!(
            day(&companies, &staff, &n, &Params { orders: 0, ..Params::default() }),
            Err(SimulateError::Orders { got: 0, .. })
        ));
    }

    #[test]
    fn group_people_keeps_first_appearance() {
        let a = RecordId([1; 16]);
        let b = RecordId([2; 16]);
        let c = RecordId([3; 16]);
        let g = group_people([("y", a), ("x", b), ("y", c)]);
        assert_eq!(g, vec![("y".to_owned(), vec![a, c]), ("x".to_owned(), vec![b])]);
    }
}
