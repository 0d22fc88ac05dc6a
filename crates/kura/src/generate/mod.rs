//! Deterministic synthetic personal data, written as CSV for `kura import`.
//!
//! Two generators mirror the two incidents in the mission: [`corporate()`] writes the employees of client
//! companies of a corporate mobile service desk (schema `corporate-mobile`), [`consumer()`] writes consumer
//! wireless customers with payment cards on file (schema `consumer-wireless`). The CSV header is the schema's
//! field names in schema order ([`CORPORATE_COLUMNS`], [`CONSUMER_COLUMNS`]). A third, [`staff`], makes the
//! service desk's 299 principals (employees, dispatched staff, a subcontractor's staff, service accounts) with
//! teams and client-company assignments, for the demo.
//!
//! Guarantees:
//! - **Deterministic.** The same parameters give byte-identical output on every platform: all randomness comes
//!   from ChaCha20 seeded with the seed (one stream for companies, one for employees, one for customers), and
//!   only portable sampling (32-bit ranges, IEEE arithmetic) is used. Companies (names, head offices,
//!   departments, e-mail conventions) depend on the seed and the number of companies, not on the number of
//!   employees, so a small preview shows the same companies as the full file.
//! - **Unique keys.** `employee_id`, `mobile` and `email` are unique within a corporate file; `customer_id`,
//!   `email` and every non-empty `phone` are unique within a consumer file.
//! - **Synthetic only.** No row describes a real person. E-mail addresses are under reserved example domains
//!   (`example.co.jp`, `example.com`, `.test`, …), so nothing can reach a real mailbox. US phone numbers use
//!   the fictional 555-0100..555-0199 lines. Card numbers are random Luhn-valid PANs in each brand's range, with
//!   random expiry dates and no security code; brands reserve no test range, so a number may coincide with an
//!   issued card. Japanese mobile numbers are random 070/080/090 numbers and may belong to real subscribers:
//!   never call or text them. Addresses are real towns and cities with invented house numbers.

mod consumer;
mod corporate;
pub mod staff;
// Tables are laid out by hand, several short entries to a line.
#[rustfmt::skip]
pub(crate) mod data;

use std::io::{self, Write};

use rand::Rng;

/// The columns of a corporate CSV: the fields of `schemas/corporate-mobile.toml`, in order.
pub const CORPORATE_COLUMNS: &[&str] = &[
    "employee_id",
    "company",
    "department",
    "user_name",
    "user_name_kana",
    "mobile",
    "email",
    "company_postal_code",
    "company_address",
    "home_postal_code",
    "home_address",
];

/// The columns of a consumer CSV: the fields of `schemas/consumer-wireless.toml`, in order. `card_brand` is
/// written although the vault derives it from the card number, because leaked lists carry it.
pub const CONSUMER_COLUMNS: &[&str] = &[
    "customer_id",
    "name",
    "email",
    "phone",
    "card_brand",
    "card_number",
    "card_expiry",
    "birth_date",
    "address",
    "zip",
];

/// The most companies [`corporate()`] numbers (`C001` … `C999`).
pub const MAX_COMPANIES: usize = 999;
/// The most employees [`corporate()`] writes in one file.
pub const MAX_EMPLOYEES: usize = 10_000_000;
/// The most employees one company can have: employee numbers have six digits.
pub const MAX_EMPLOYEES_PER_COMPANY: usize = 990_000;
/// The most customers [`consumer()`] writes in one file.
pub const MAX_CUSTOMERS: usize = 10_000_000;

/// How often `progress` is called, in rows.
const PROGRESS_EVERY: u64 = 1_000;

/// Parameters of [`corporate()`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorporateParams {
    /// Number of client companies (1 to [`MAX_COMPANIES`]).
    pub companies: usize,
    /// Number of employees over all companies (at most [`MAX_EMPLOYEES`]).
    pub employees: usize,
    /// Seed of the random generator.
    pub seed: u64,
}

impl Default for CorporateParams {
    fn default() -> Self {
        corporate_default()
    }
}

/// The scale of the second incident in the mission: 72 companies, 130,000 employees, seed 1.
pub fn corporate_default() -> CorporateParams {
    CorporateParams { companies: 72, employees: 130_000, seed: 1 }
}

/// Parameters of [`consumer()`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerParams {
    /// Number of customers (at most [`MAX_CUSTOMERS`]).
    pub count: usize,
    /// Seed of the random generator.
    pub seed: u64,
}

/// What a generator wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Summary {
    /// Data rows, not counting the header.
    pub rows: u64,
    /// Bytes written, header included.
    pub bytes: u64,
    /// Companies (corporate only; 0 for consumer files).
    pub companies: u64,
    /// Rows with a home address (corporate only).
    pub home_addresses: u64,
    /// Rows with a phone number (consumer only).
    pub phones: u64,
}

/// Why a generator could not write its file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The number of companies is zero or too large.
    #[error("the number of companies must be between 1 and {max}, got `{got}`")]
    Companies { got: usize, max: usize },
    /// Too many employees in total.
    #[error("at most {max} employees can be generated, got `{got}`")]
    Employees { got: usize, max: usize },
    /// The largest company would have more employees than its employee numbers can hold.
    #[error(
        "the largest company would get {size} employees, more than the {max} its employee numbers can hold; \
         use more companies"
    )]
    CompanyTooLarge { size: usize, max: usize },
    /// Too many customers.
    #[error("at most {max} customers can be generated, got `{got}`")]
    Customers { got: usize, max: usize },
    /// Writing a CSV record failed.
    #[error("cannot write the csv output")]
    Csv(#[from] csv::Error),
    /// Flushing the output failed.
    #[error("cannot write the output")]
    Io(#[from] io::Error),
}

/// Writes the employees of `p.companies` client companies as a `corporate-mobile` CSV.
///
/// Employees are spread unevenly (a few large companies, many small ones) and written company by company.
/// About 30% have a home address: every employee of the largest client, which shipped battery packs to homes,
/// and some employees of the others. `progress` is called with the number of rows written so far, every
/// thousand rows and once at the end.
pub fn corporate<W: Write>(p: &CorporateParams, out: W, progress: &mut dyn FnMut(u64)) -> Result<Summary, Error> {
    corporate::write(p, out, progress)
}

/// Writes `p.count` consumer wireless customers with payment cards as a `consumer-wireless` CSV.
///
/// About 70% of customers have a phone number; the fictional range holds about 33,000 numbers, so in much
/// larger files the share is lower. `progress` is called with the number of rows written so far, every
/// thousand rows and once at the end.
pub fn consumer<W: Write>(p: &ConsumerParams, out: W, progress: &mut dyn FnMut(u64)) -> Result<Summary, Error> {
    consumer::write(p, out, progress)
}

/// The generators' random number generator.
type Rand = rand_chacha::ChaCha20Rng;

/// A generator for one purpose: the same seed, a separate ChaCha20 stream, so that (for example) company names
/// do not change when the number of employees does.
fn stream(seed: u64, stream: u64) -> Rand {
    use rand::SeedableRng;
    let mut rng = Rand::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

/// A writer that counts the bytes that pass through it.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes = self.bytes.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A CSV writer over `out` that counts bytes and reports progress.
struct Output<W: Write> {
    csv: csv::Writer<Counting<W>>,
    rows: u64,
}

impl<W: Write> Output<W> {
    fn new(out: W, header: &[&str]) -> Result<Self, Error> {
        let mut csv = csv::Writer::from_writer(Counting { inner: out, bytes: 0 });
        csv.write_record(header)?;
        Ok(Output { csv, rows: 0 })
    }

    fn row<'a>(
        &mut self,
        fields: impl IntoIterator<Item = &'a str>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(), Error> {
        self.csv.write_record(fields)?;
        self.rows += 1;
        if self.rows.is_multiple_of(PROGRESS_EVERY) {
            progress(self.rows);
        }
        Ok(())
    }

    /// Flushes the output and returns the rows and bytes written.
    fn finish(self, progress: &mut dyn FnMut(u64)) -> Result<(u64, u64), Error> {
        let rows = self.rows;
        let mut counting = self.csv.into_inner().map_err(|e| Error::Io(e.into_error()))?;
        counting.flush()?;
        if !rows.is_multiple_of(PROGRESS_EVERY) {
            progress(rows);
        }
        Ok((rows, counting.bytes))
    }
}

/// Weighted sampling over a fixed list, with 32-bit draws so that results are the same on every platform.
#[derive(Debug, Clone)]
struct Weighted<T> {
    items: Vec<T>,
    /// Running totals of the weights; strictly increasing.
    cumulative: Vec<u32>,
    /// Returned when the list is empty; the tables are never empty (a test checks), so this is never used.
    fallback: T,
}

impl<T: Copy + Default> Weighted<T> {
    fn new(pairs: impl IntoIterator<Item = (T, u32)>) -> Self {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0u32;
        for (item, weight) in pairs {
            if weight == 0 {
                continue;
            }
            total = total.saturating_add(weight);
            items.push(item);
            cumulative.push(total);
        }
        let fallback = items.first().copied().unwrap_or_default();
        Weighted { items, cumulative, fallback }
    }

    fn sample(&self, rng: &mut Rand) -> T {
        let Some(&total) = self.cumulative.last() else {
            return self.fallback;
        };
        let x = rng.gen_range(0..total);
        let i = self.cumulative.partition_point(|&c| c <= x);
        self.items.get(i).copied().unwrap_or(self.fallback)
    }
}

/// A uniformly chosen element, or the default for an empty slice (never the case for the static tables).
fn pick<T: Copy + Default>(rng: &mut Rand, items: &[T]) -> T {
    let Ok(len) = u32::try_from(items.len()) else {
        return T::default();
    };
    if len == 0 {
        return T::default();
    }
    let i = rng.gen_range(0..len);
    items.get(i as usize).copied().unwrap_or_default()
}

/// `true` with probability `percent`/100.
fn chance(rng: &mut Rand, percent: u32) -> bool {
    rng.gen_range(0..100u32) < percent
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    fn schema_fields(toml_text: &str) -> Vec<String> {
        let value: toml::Value = toml::from_str(toml_text).unwrap();
        value["field"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_owned()).collect()
    }

    #[test]
    fn corporate_columns_are_the_schema_fields_in_order() {
        let fields = schema_fields(include_str!("../../../../schemas/corporate-mobile.toml"));
        assert_eq!(fields, CORPORATE_COLUMNS);
    }

    #[test]
    fn consumer_columns_are_the_schema_fields_in_order() {
        let fields = schema_fields(include_str!("../../../../schemas/consumer-wireless.toml"));
        assert_eq!(fields, CONSUMER_COLUMNS);
    }

    #[test]
    fn weighted_sampling_follows_weights_and_skips_zero() {
        let w = Weighted::new([("a", 1), ("b", 0), ("c", 3)]);
        let mut rng = stream(7, 0);
        let mut counts = [0u32; 3];
        for _ in 0..4000 {
            match w.sample(&mut rng) {
                "a" => counts[0] += 1,
                "b" => counts[1] += 1,
                "c" => counts[2] += 1,
                other => panic!("unexpected {other}"),
            }
        }
        assert_eq!(counts[1], 0);
        assert!((800..1200).contains(&counts[0]), "{counts:?}");
        assert!((2800..3200).contains(&counts[2]), "{counts:?}");
    }

    #[test]
    fn empty_tables_fall_back_to_default() {
        let w: Weighted<&str> = Weighted::new([]);
        let mut rng = stream(1, 0);
        assert_eq!(w.sample(&mut rng), "");
        assert_eq!(pick::<u16>(&mut rng, &[]), 0);
    }

    #[test]
    fn static_tables_are_not_empty() {
        assert!(!data::JP_SURNAMES.is_empty());
        assert!(!data::JP_MALE_NAMES.is_empty());
        assert!(!data::JP_FEMALE_NAMES.is_empty());
        assert!(!data::JP_BUSINESS_DISTRICTS.is_empty());
        assert!(!data::JP_RESIDENTIAL_TOWNS.is_empty());
        assert!(!data::JP_BUILDING_STEMS.is_empty());
        assert!(!data::COMPANY_STEMS.is_empty());
        assert!(!data::COMPANY_INDUSTRIES.is_empty());
        assert!(!data::DEPARTMENTS.is_empty());
        assert!(!data::US_SURNAMES.is_empty());
        assert!(!data::US_MALE_NAMES.is_empty());
        assert!(!data::US_FEMALE_NAMES.is_empty());
        assert!(!data::US_AREA_CODES.is_empty());
        assert!(!data::US_STREET_NAMES.is_empty());
        assert!(!data::US_STREET_SUFFIXES.is_empty());
        assert!(!data::US_EMAIL_DOMAINS.is_empty());
        for c in data::US_CITIES {
            assert!(!c.zips.is_empty() && !c.area_codes.is_empty(), "{}", c.city);
        }
    }

    #[test]
    fn jp_tables_cover_all_47_prefectures_with_well_formed_postal_codes() {
        let prefectures: std::collections::HashSet<&str> =
            data::JP_RESIDENTIAL_TOWNS.iter().map(|t| t.prefecture).collect();
        assert_eq!(prefectures.len(), 47, "{prefectures:?}");
        for t in data::JP_RESIDENTIAL_TOWNS.iter().chain(data::JP_BUSINESS_DISTRICTS) {
            let b = t.postal_code.as_bytes();
            assert!(
                b.len() == 8 && b[3] == b'-' && b.iter().enumerate().all(|(i, c)| i == 3 || c.is_ascii_digit()),
                "{}",
                t.postal_code
            );
        }
    }

    #[test]
    fn name_tables_have_readings_and_romaji() {
        for n in data::JP_SURNAMES.iter().chain(data::JP_MALE_NAMES).chain(data::JP_FEMALE_NAMES) {
            assert!(n.kana.chars().all(|c| ('\u{30A1}'..='\u{30FC}').contains(&c)), "{}", n.kana);
            assert!(!n.romaji.is_empty() && n.romaji.bytes().all(|b| b.is_ascii_lowercase()), "{}", n.romaji);
        }
        for us in data::US_CITIES {
            assert!(us.zips.iter().all(|z| z.len() == 5 && z.bytes().all(|b| b.is_ascii_digit())));
            assert_eq!(us.state.len(), 2);
        }
    }
}
