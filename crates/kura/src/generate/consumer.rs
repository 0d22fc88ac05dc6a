//! Consumer wireless customers with payment cards on file (schema `consumer-wireless`).

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::Write;

use rand::Rng;

use super::data::{self, UsCity, UsName};
use super::{
    chance, pick, stream, ConsumerParams, Error, Output, Rand, Summary, Weighted, CONSUMER_COLUMNS, MAX_CUSTOMERS,
};

const CUSTOMER_STREAM: u64 = 3;

/// Share of customers with a phone number on file, in percent.
const PHONE_PERCENT: u32 = 70;
/// Card expiry years: a fixed window, so that output does not depend on the clock.
const EXPIRY_YEARS: std::ops::RangeInclusive<u32> = 2026..=2031;
const BIRTH_YEARS: std::ops::RangeInclusive<u32> = 1940..=2006;

/// A payment card brand as written in leaked lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Brand {
    #[default]
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
}

impl Brand {
    pub(super) fn name(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Amex => "American Express",
            Brand::Discover => "Discover",
            Brand::Jcb => "JCB",
        }
    }

    pub(super) fn length(self) -> usize {
        match self {
            Brand::Amex => 15,
            _ => 16,
        }
    }

    /// A random issuer prefix in the brand's range, as (value, number of digits).
    fn prefix(self, rng: &mut Rand) -> (u32, u32) {
        match self {
            Brand::Visa => (4, 1),
            Brand::Mastercard if chance(rng, 80) => (rng.gen_range(51..=55), 2),
            Brand::Mastercard => (rng.gen_range(2221..=2720), 4),
            Brand::Amex => (if chance(rng, 50) { 34 } else { 37 }, 2),
            Brand::Discover => (6011, 4),
            Brand::Jcb => (rng.gen_range(3528..=3589), 4),
        }
    }
}

/// The Luhn check digit for `payload` (digit values 0–9, most significant first): with it appended, the number
/// passes the Luhn test.
pub(crate) fn luhn_check_digit(payload: &[u8]) -> u8 {
    let sum: u32 = payload
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d % 10);
            // The check digit will be rightmost, so the payload's rightmost digit is doubled.
            if i % 2 == 0 {
                let twice = d * 2;
                if twice > 9 {
                    twice - 9
                } else {
                    twice
                }
            } else {
                d
            }
        })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

pub(super) fn write<W: Write>(p: &ConsumerParams, out: W, progress: &mut dyn FnMut(u64)) -> Result<Summary, Error> {
    if p.count > MAX_CUSTOMERS {
        return Err(Error::Customers { got: p.count, max: MAX_CUSTOMERS });
    }
    let mut customers = Customers::new(p.seed, p.count);
    let mut out = Output::new(out, CONSUMER_COLUMNS)?;
    let mut phones = 0u64;
    for _ in 0..p.count {
        phones += u64::from(customers.next());
        let c = &customers;
        out.row(
            [
                c.customer_id.as_str(),
                c.name.as_str(),
                c.email.as_str(),
                c.phone.as_str(),
                c.brand.name(),
                c.card_number.as_str(),
                c.card_expiry.as_str(),
                c.birth_date.as_str(),
                c.address.as_str(),
                c.zip,
            ],
            progress,
        )?;
    }
    let (rows, bytes) = out.finish(progress)?;
    Ok(Summary { rows, bytes, companies: 0, home_addresses: 0, phones })
}

/// Per-customer state: reusable buffers for one row, and the sets that keep e-mail addresses and phone numbers
/// unique.
struct Customers {
    rng: Rand,
    male: Weighted<UsName>,
    female: Weighted<UsName>,
    surnames: Weighted<UsName>,
    cities: Weighted<UsCity>,
    suffixes: Weighted<&'static str>,
    domains: Weighted<&'static str>,
    brands: Weighted<Brand>,
    emails: HashSet<String>,
    /// `area code * 10_000 + line` of every phone number handed out.
    phones: HashSet<u32>,
    number: u64,
    first: String,
    last: String,
    digits: Vec<u8>,

    customer_id: String,
    name: String,
    email: String,
    phone: String,
    brand: Brand,
    card_number: String,
    card_expiry: String,
    birth_date: String,
    address: String,
    zip: &'static str,
}

impl Customers {
    fn new(seed: u64, count: usize) -> Self {
        let mut rng = stream(seed, CUSTOMER_STREAM);
        let number = rng.gen_range(100_000..1_000_000u64);
        Customers {
            rng,
            male: Weighted::new(data::US_MALE_NAMES.iter().map(|n| (*n, n.weight))),
            female: Weighted::new(data::US_FEMALE_NAMES.iter().map(|n| (*n, n.weight))),
            surnames: Weighted::new(data::US_SURNAMES.iter().map(|n| (*n, n.weight))),
            cities: Weighted::new(data::US_CITIES.iter().map(|c| (*c, c.weight))),
            suffixes: Weighted::new(data::US_STREET_SUFFIXES.iter().copied()),
            domains: Weighted::new(data::US_EMAIL_DOMAINS.iter().copied()),
            brands: Weighted::new([
                (Brand::Visa, 50),
                (Brand::Mastercard, 28),
                (Brand::Amex, 12),
                (Brand::Discover, 6),
                (Brand::Jcb, 4),
            ]),
            emails: HashSet::with_capacity(count),
            phones: HashSet::new(),
            number,
            first: String::new(),
            last: String::new(),
            digits: Vec::with_capacity(19),
            customer_id: String::new(),
            name: String::new(),
            email: String::new(),
            phone: String::new(),
            brand: Brand::Visa,
            card_number: String::new(),
            card_expiry: String::new(),
            birth_date: String::new(),
            address: String::new(),
            zip: "",
        }
    }

    /// Fills the row buffers with the next customer; returns whether they have a phone number.
    fn next(&mut self) -> bool {
        let rng = &mut self.rng;
        self.number += rng.gen_range(1..=5u64);
        self.customer_id.clear();
        let _ = write!(self.customer_id, "CU{:09}", self.number);

        let first = if chance(rng, 50) { self.male.sample(rng) } else { self.female.sample(rng) };
        let last = self.surnames.sample(rng);
        self.name.clear();
        let _ = write!(self.name, "{} {}", first.name, last.name);

        let year = rng.gen_range(BIRTH_YEARS);
        let month = rng.gen_range(1..=12u32);
        let day = rng.gen_range(1..=days_in_month(year, month));
        self.birth_date.clear();
        let _ = write!(self.birth_date, "{year:04}-{month:02}-{day:02}");

        let city = self.cities.sample(rng);
        self.zip = pick(rng, city.zips);
        self.write_address(&city);
        self.write_email(first.name, last.name, year);
        let has_phone = chance(&mut self.rng, PHONE_PERCENT) && self.write_phone(&city);
        if !has_phone {
            self.phone.clear();
        }
        self.write_card();
        has_phone
    }

    /// `1234 Maple Ave Apt 5, Springfield, IL 62704`.
    fn write_address(&mut self, city: &UsCity) {
        let rng = &mut self.rng;
        let a = &mut self.address;
        a.clear();
        let number = match rng.gen_range(0..100u32) {
            0..15 => rng.gen_range(1..=99u32),
            15..90 => rng.gen_range(100..=9_999u32),
            _ => rng.gen_range(10_000..=29_999u32),
        };
        let _ = write!(a, "{number} ");
        if chance(rng, 10) {
            let _ = write!(a, "{} ", pick(rng, &["N", "S", "E", "W"]));
        }
        let _ = write!(a, "{} {}", pick(rng, data::US_STREET_NAMES), self.suffixes.sample(rng));
        if chance(rng, 25) {
            let unit = rng.gen_range(1..=40u32);
            let _ = match rng.gen_range(0..100u32) {
                0..50 => write!(a, " Apt {unit}"),
                50..70 => write!(a, " Unit {unit}"),
                70..85 => write!(a, " #{unit}"),
                _ => write!(a, " Apt {}{}", rng.gen_range(1..=9u32), pick(rng, &['A', 'B', 'C', 'D'])),
            };
        }
        let _ = write!(a, ", {}, {} {}", city.city, city.state, self.zip);
    }

    /// A unique address under a reserved example domain, in one of the usual forms.
    fn write_email(&mut self, first: &str, last: &str, birth_year: u32) {
        self.first.clear();
        self.first.extend(first.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()));
        self.last.clear();
        self.last.extend(last.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_lowercase()));
        let (f, l) = (self.first.as_str(), self.last.as_str());
        let initial = f.get(..1).unwrap_or_default();
        for attempt in 0..8u32 {
            let rng = &mut self.rng;
            let e = &mut self.email;
            e.clear();
            // Plain forms first; later attempts add digits, as people do when their name is taken.
            let form = if attempt == 0 { rng.gen_range(0..8u32) } else { rng.gen_range(3..8u32) };
            let _ = match form {
                0 => write!(e, "{f}.{l}"),
                1 => write!(e, "{f}{l}"),
                2 => write!(e, "{initial}{l}"),
                3 => write!(e, "{f}.{l}{:02}", birth_year % 100),
                4 => write!(e, "{f}{l}{}", rng.gen_range(1..=99u32)),
                5 => write!(e, "{l}{initial}{}", rng.gen_range(1..=999u32)),
                6 => write!(e, "{f}_{l}{}", rng.gen_range(1..=99u32)),
                _ => write!(e, "{f}{}", rng.gen_range(1..=9_999u32)),
            };
            let _ = write!(e, "@{}", self.domains.sample(rng));
            if !self.emails.contains(self.email.as_str()) {
                self.emails.insert(self.email.clone());
                return;
            }
        }
        // `first.last.customernumber` is unique by construction: no other form has digits after a dot.
        self.email.clear();
        let _ = write!(self.email, "{f}.{l}.{}@{}", self.number, self.domains.sample(&mut self.rng));
        self.emails.insert(self.email.clone());
    }

    /// A fictional `+1 NPA-555-01XX` number, unique in the file: the city's area code if free, otherwise one
    /// from elsewhere (people keep their numbers when they move). Returns `false` if no free number was found.
    fn write_phone(&mut self, city: &UsCity) -> bool {
        let rng = &mut self.rng;
        for attempt in 0..24u32 {
            let area = if attempt < 3 { pick(rng, city.area_codes) } else { pick(rng, data::US_AREA_CODES) };
            let line = rng.gen_range(100..=199u32);
            if area == 0 || !self.phones.insert(u32::from(area) * 10_000 + line) {
                continue;
            }
            self.phone.clear();
            let p = &mut self.phone;
            let _ = match rng.gen_range(0..100u32) {
                0..75 => write!(p, "+1 {area}-555-{line:04}"),
                75..90 => write!(p, "+1{area}555{line:04}"),
                _ => write!(p, "+1 ({area}) 555-{line:04}"),
            };
            return true;
        }
        false
    }

    /// A random PAN in the brand's range with a valid Luhn digit, written plain or in groups; and an expiry.
    fn write_card(&mut self) {
        let rng = &mut self.rng;
        let brand = self.brands.sample(rng);
        self.brand = brand;
        let (prefix, prefix_len) = brand.prefix(rng);
        let d = &mut self.digits;
        d.clear();
        for i in (0..prefix_len).rev() {
            d.push((prefix / 10u32.pow(i) % 10) as u8);
        }
        while d.len() + 1 < brand.length() {
            d.push(rng.gen_range(0..10u8));
        }
        let check = luhn_check_digit(d);
        d.push(check);

        let groups: &[usize] = if brand == Brand::Amex { &[4, 6, 5] } else { &[4, 4, 4, 4] };
        let spaced = chance(rng, 20);
        let c = &mut self.card_number;
        c.clear();
        let mut next_space = groups.iter().scan(0, |end, g| {
            *end += g;
            Some(*end)
        });
        let mut boundary = next_space.next();
        for (i, &digit) in d.iter().enumerate() {
            if spaced && boundary == Some(i) {
                c.push(' ');
                boundary = next_space.next();
            }
            c.push(char::from(b'0' + digit));
        }

        let month = rng.gen_range(1..=12u32);
        let year = rng.gen_range(EXPIRY_YEARS);
        self.card_expiry.clear();
        let _ = write!(self.card_expiry, "{month:02}/{:02}", year % 100);
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::collections::HashSet;

    use super::super::{consumer, ConsumerParams, Error, CONSUMER_COLUMNS};
    use super::*;

    fn generate(count: usize, seed: u64) -> Vec<u8> {
        let mut out = Vec::new();
        consumer(&ConsumerParams { count, seed }, &mut out, &mut |_| {}).unwrap();
        out
    }

    fn rows(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut reader = csv::Reader::from_reader(bytes);
        let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
        (header, rows)
    }

    fn column(header: &[String], name: &str) -> usize {
        header.iter().position(|h| h == name).unwrap()
    }

    fn luhn_valid(digits: &[u8]) -> bool {
        let (&check, payload) = digits.split_last().unwrap();
        luhn_check_digit(payload) == check
    }

    #[test]
    fn luhn_check_digit_matches_known_numbers() {
        let digits = |s: &str| s.bytes().map(|b| b - b'0').collect::<Vec<u8>>();
        assert_eq!(luhn_check_digit(&digits("7992739871")), 3);
        assert_eq!(luhn_check_digit(&digits("411111111111111")), 1);
        assert_eq!(luhn_check_digit(&digits("37828224631000")), 5);
        assert_eq!(luhn_check_digit(&digits("555555555555444")), 4);
        assert_eq!(luhn_check_digit(&digits("601111111111111")), 7);
        assert_eq!(luhn_check_digit(&digits("353011133330000")), 0);
        assert_eq!(luhn_check_digit(&[]), 0);
        assert!(!luhn_valid(&digits("4111111111111112")));
    }

    #[test]
    fn same_parameters_give_identical_bytes_and_seeds_differ() {
        assert_eq!(generate(2_000, 11), generate(2_000, 11));
        assert_ne!(generate(2_000, 11), generate(2_000, 12));
    }

    #[test]
    fn header_is_the_schema_field_order() {
        let (header, rows) = rows(&generate(5, 1));
        assert_eq!(header, CONSUMER_COLUMNS);
        assert_eq!(rows.len(), 5);
    }

    #[test]
    fn ids_emails_and_phones_are_unique() {
        let (header, rows) = rows(&generate(20_000, 3));
        for name in ["customer_id", "email", "phone"] {
            let i = column(&header, name);
            let values: Vec<&str> = rows.iter().map(|r| r[i].as_str()).filter(|v| !v.is_empty()).collect();
            let distinct: HashSet<&str> = values.iter().copied().collect();
            assert_eq!(distinct.len(), values.len(), "{name} is not unique");
        }
        let phone = column(&header, "phone");
        let with_phone = rows.iter().filter(|r| !r[phone].is_empty()).count() as f64 / rows.len() as f64;
        assert!((0.66..=0.74).contains(&with_phone), "phone share {with_phone}");
        for r in &rows {
            let p = &r[phone];
            if p.is_empty() {
                continue;
            }
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            assert!(p.starts_with("+1") && digits.len() == 11 && digits[4..8] == *"5550", "{p}");
            let line: u32 = digits[7..].parse().unwrap();
            assert!((100..=199).contains(&line), "{p}");
        }
        let email = column(&header, "email");
        let domains: HashSet<&str> = data::US_EMAIL_DOMAINS.iter().map(|(d, _)| *d).collect();
        for r in &rows {
            let (local, domain) = r[email].split_once('@').unwrap();
            assert!(!local.is_empty() && domains.contains(domain), "{}", r[email]);
        }
    }

    #[test]
    fn every_card_number_passes_luhn_and_has_its_brand_prefix_and_length() {
        let (header, rows) = rows(&generate(5_000, 8));
        let (brand, number) = (column(&header, "card_brand"), column(&header, "card_number"));
        let mut brands = HashSet::new();
        let mut spaced = 0;
        for r in &rows {
            spaced += usize::from(r[number].contains(' '));
            let digits: Vec<u8> = r[number].bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
            assert!(r[number].bytes().all(|b| b == b' ' || b.is_ascii_digit()), "{}", r[number]);
            assert!(luhn_valid(&digits), "{}", r[number]);
            let prefix = |n: usize| digits[..n].iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d));
            let ok = match r[brand].as_str() {
                "Visa" => digits.len() == 16 && prefix(1) == 4,
                "Mastercard" => {
                    digits.len() == 16 && ((51..=55).contains(&prefix(2)) || (2221..=2720).contains(&prefix(4)))
                }
                "American Express" => digits.len() == 15 && matches!(prefix(2), 34 | 37),
                "Discover" => digits.len() == 16 && prefix(4) == 6011,
                "JCB" => digits.len() == 16 && (3528..=3589).contains(&prefix(4)),
                other => panic!("unknown brand {other}"),
            };
            assert!(ok, "{} {}", r[brand], r[number]);
            brands.insert(r[brand].clone());
        }
        assert_eq!(brands.len(), 5);
        assert!((500..1_500).contains(&spaced), "{spaced} spaced numbers");
    }

    #[test]
    fn dates_addresses_and_zips_are_well_formed() {
        let (header, rows) = rows(&generate(3_000, 4));
        let (expiry, birth) = (column(&header, "card_expiry"), column(&header, "birth_date"));
        let (address, zip) = (column(&header, "address"), column(&header, "zip"));
        for r in &rows {
            let (mm, yy) = r[expiry].split_once('/').unwrap();
            let (mm, yy): (u32, u32) = (mm.parse().unwrap(), yy.parse().unwrap());
            assert!((1..=12).contains(&mm) && (26..=31).contains(&yy) && r[expiry].len() == 5, "{}", r[expiry]);
            let parts: Vec<u32> = r[birth].split('-').map(|p| p.parse().unwrap()).collect();
            assert_eq!(r[birth].len(), 10);
            assert!((1940..=2006).contains(&parts[0]) && (1..=12).contains(&parts[1]), "{}", r[birth]);
            assert!(parts[2] >= 1 && parts[2] <= days_in_month(parts[0], parts[1]), "{}", r[birth]);
            assert!(r[address].ends_with(&format!(" {}", r[zip])), "{} / {}", r[address], r[zip]);
            assert!(data::US_CITIES.iter().any(|c| c.zips.contains(&r[zip].as_str())));
            assert_eq!(r[address].matches(", ").count(), 2, "{}", r[address]);
        }
    }

    #[test]
    fn progress_and_summary() {
        let mut calls = Vec::new();
        let mut out = Vec::new();
        let summary = consumer(&ConsumerParams { count: 3_000, seed: 1 }, &mut out, &mut |n| calls.push(n)).unwrap();
        assert_eq!(calls, [1_000, 2_000, 3_000]);
        assert_eq!(summary.rows, 3_000);
        assert_eq!(summary.bytes, out.len() as u64);
        let (header, rows) = rows(&out);
        let phone = column(&header, "phone");
        assert_eq!(summary.phones, rows.iter().filter(|r| !r[phone].is_empty()).count() as u64);
    }

    #[test]
    fn too_many_customers_are_refused() {
        let err = consumer(&ConsumerParams { count: MAX_CUSTOMERS + 1, seed: 1 }, Vec::new(), &mut |_| {});
        assert!(matches!(err, Err(Error::Customers { .. })));
    }

    #[test]
    fn leap_years() {
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2004, 2), 29);
        assert_eq!(days_in_month(2005, 2), 28);
        assert_eq!(days_in_month(2005, 4), 30);
    }
}
