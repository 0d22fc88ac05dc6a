//! Employees of the client companies of a corporate mobile service desk (schema `corporate-mobile`).
//!
//! Companies come from their own random stream, so their names, head offices, departments and e-mail
//! conventions depend on the seed and the number of companies only; employees come from a second stream.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;

use rand::seq::SliceRandom;
use rand::Rng;

use super::data::{self, JpName, JpTown};
use super::{
    chance, pick, stream, CorporateParams, Error, Output, Rand, Summary, Weighted, CORPORATE_COLUMNS, MAX_COMPANIES,
    MAX_EMPLOYEES, MAX_EMPLOYEES_PER_COMPANY,
};

const COMPANY_STREAM: u64 = 1;
const EMPLOYEE_STREAM: u64 = 2;

/// Share of all employees with a home address on file.
const HOME_ADDRESS_SHARE: f64 = 0.30;
/// Employee numbers start below this and stay below [`MAX_EMPLOYEE_NUMBER`].
const FIRST_NUMBER_BELOW: u32 = 1_000;
const MAX_EMPLOYEE_NUMBER: u32 = 999_999;

/// How a company forms its employees' e-mail addresses.
#[derive(Debug, Clone, Copy, Default)]
enum EmailStyle {
    /// `t.sato4512`: initial, surname and employee number; unique by construction.
    #[default]
    InitialSurnameNumber,
    /// `taro.sato`, `taro.sato2`, …
    GivenDotSurname,
    /// `sato.taro`
    SurnameDotGiven,
    /// `sato-t`
    SurnameHyphenInitial,
    /// `taro_sato`
    GivenUnderscoreSurname,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LegalForm {
    /// 株式会社〇〇 (前株)
    KabushikiBefore,
    /// 〇〇株式会社 (後株)
    KabushikiAfter,
    /// 〇〇合同会社
    Godo,
    /// 有限会社〇〇
    Yugen,
}

#[derive(Debug)]
struct Company {
    /// 1-based, as in `C017`.
    number: usize,
    name: String,
    domain: String,
    postal_code: &'static str,
    address: String,
    departments: Weighted<&'static str>,
    email_style: EmailStyle,
    /// Relative share of the employees (Zipf-like by rank, with some noise).
    share: f64,
}

pub(super) fn write<W: Write>(p: &CorporateParams, out: W, progress: &mut dyn FnMut(u64)) -> Result<Summary, Error> {
    if p.companies == 0 || p.companies > MAX_COMPANIES {
        return Err(Error::Companies { got: p.companies, max: MAX_COMPANIES });
    }
    if p.employees > MAX_EMPLOYEES {
        return Err(Error::Employees { got: p.employees, max: MAX_EMPLOYEES });
    }
    let companies = plan_companies(p.seed, p.companies);
    let shares: Vec<f64> = companies.iter().map(|c| c.share).collect();
    let sizes = allocate(p.employees, &shares);
    let largest = sizes.iter().copied().max().unwrap_or(0);
    if largest > MAX_EMPLOYEES_PER_COMPANY {
        return Err(Error::CompanyTooLarge { size: largest, max: MAX_EMPLOYEES_PER_COMPANY });
    }
    // The client that shipped battery packs to homes is the largest; the rest of the home addresses are
    // spread over the other clients so that about 30% of all employees have one.
    let battery_client = sizes.iter().position(|&s| s == largest);
    let others = p.employees.saturating_sub(largest);
    let home_share_of_others = if others == 0 {
        0.0
    } else {
        ((HOME_ADDRESS_SHARE * p.employees as f64 - largest as f64) / others as f64).clamp(0.0, 1.0)
    };

    let mut people = People::new(p.seed, p.employees);
    let mut out = Output::new(out, CORPORATE_COLUMNS)?;
    let mut home_addresses = 0u64;
    for (index, (company, &size)) in companies.iter().zip(&sizes).enumerate() {
        let home_share = if Some(index) == battery_client { 1.0 } else { home_share_of_others };
        people.start_company(size);
        for _ in 0..size {
            let has_home = people.employee(company, home_share);
            home_addresses += u64::from(has_home);
            out.row(
                [
                    people.employee_id.as_str(),
                    company.name.as_str(),
                    people.department,
                    people.user_name.as_str(),
                    people.user_name_kana.as_str(),
                    people.mobile.as_str(),
                    people.email.as_str(),
                    company.postal_code,
                    company.address.as_str(),
                    people.home_postal_code,
                    people.home_address.as_str(),
                ],
                progress,
            )?;
        }
    }
    let (rows, bytes) = out.finish(progress)?;
    Ok(Summary { rows, bytes, companies: companies.len() as u64, home_addresses, phones: 0 })
}

/// Names, head offices, departments and e-mail conventions of `n` companies.
fn plan_companies(seed: u64, n: usize) -> Vec<Company> {
    let mut rng = stream(seed, COMPANY_STREAM);
    let mut ranks: Vec<usize> = (0..n).collect();
    ranks.shuffle(&mut rng);

    let districts = Weighted::new(data::JP_BUSINESS_DISTRICTS.iter().map(|t| (*t, t.weight)));
    let styles = Weighted::new([
        (EmailStyle::InitialSurnameNumber, 35),
        (EmailStyle::GivenDotSurname, 25),
        (EmailStyle::SurnameDotGiven, 15),
        (EmailStyle::SurnameHyphenInitial, 15),
        (EmailStyle::GivenUnderscoreSurname, 10),
    ]);
    let stems = data::COMPANY_STEMS;
    let industries = data::COMPANY_INDUSTRIES;
    let combinations = stems.len().saturating_mul(industries.len()).max(1);
    let mut used_names = HashSet::new();

    let mut companies = Vec::with_capacity(n);
    for (index, &rank) in ranks.iter().enumerate() {
        // Zipf-like: the company of rank r gets a share proportional to 1/(r+1), give or take 20%.
        let share = rng.gen_range(0.8..1.25) / (rank as f64 + 1.0);

        // Distinct (stem, industry) pairs; on a clash take the next free pair. MAX_COMPANIES is below the number
        // of pairs (a test checks), so a free pair always exists.
        let mut pair = rng.gen_range(0..u32::try_from(combinations).unwrap_or(u32::MAX)) as usize;
        while !used_names.insert(pair) {
            pair = (pair + 1) % combinations;
        }
        let stem = stems.get(pair / industries.len()).copied().unwrap_or_default();
        let industry = industries.get(pair % industries.len()).copied().unwrap_or_default();

        let large = rank < n.div_ceil(2);
        let form = match rng.gen_range(0..100u32) {
            0..60 if large => LegalForm::KabushikiBefore,
            _ if large => LegalForm::KabushikiAfter,
            0..45 => LegalForm::KabushikiBefore,
            45..80 => LegalForm::KabushikiAfter,
            80..90 => LegalForm::Godo,
            _ => LegalForm::Yugen,
        };
        let base = format!("{}{}", stem.text, industry.text);
        let name = match form {
            LegalForm::KabushikiBefore => format!("株式会社{base}"),
            LegalForm::KabushikiAfter => format!("{base}株式会社"),
            LegalForm::Godo => format!("{base}合同会社"),
            LegalForm::Yugen => format!("有限会社{base}"),
        };
        // A subdomain of the reserved example.co.jp, so that no generated address reaches a real company.
        let domain = format!("{}-{}.example.co.jp", stem.romaji, industry.romaji);

        let office = districts.sample(&mut rng);
        let mut address = String::new();
        write_town(&mut address, &office);
        write_house_number(&mut rng, &office, &mut address);
        if chance(&mut rng, 85) {
            address.push(' ');
            write_office_building(&mut rng, stem.text, &mut address);
        }

        // Larger companies have more departments: 24 for the largest, 4 for the smallest.
        let department_count = 4 + 20 * (n - rank) / n;
        let mut order: Vec<usize> = (0..data::DEPARTMENTS.len()).collect();
        order.shuffle(&mut rng);
        let departments = Weighted::new(order.iter().take(department_count).filter_map(|&i| {
            let &(name, weight) = data::DEPARTMENTS.get(i)?;
            Some((name, weight * rng.gen_range(1..=3u32)))
        }));

        companies.push(Company {
            number: index + 1,
            name,
            domain,
            postal_code: office.postal_code,
            address,
            departments,
            email_style: styles.sample(&mut rng),
            share,
        });
    }
    companies
}

/// Splits `total` in proportion to `shares` (largest remainder), giving every company at least one employee
/// when there are enough.
fn allocate(total: usize, shares: &[f64]) -> Vec<usize> {
    let n = shares.len();
    let sum: f64 = shares.iter().sum();
    if n == 0 || total == 0 || sum <= 0.0 {
        return vec![0; n];
    }
    let floor_each = usize::from(total >= n);
    let rest = total - floor_each * n;
    let quotas: Vec<f64> = shares.iter().map(|s| rest as f64 * s / sum).collect();
    let mut sizes: Vec<usize> = quotas.iter().map(|q| floor_each + q.floor() as usize).collect();
    let assigned: usize = sizes.iter().sum();
    let mut order: Vec<usize> = (0..n).collect();
    let fraction = |i: usize| quotas.get(i).map_or(0.0, |q| q - q.floor());
    order.sort_by(|&a, &b| fraction(b).total_cmp(&fraction(a)).then(a.cmp(&b)));
    for &i in order.iter().cycle().take(total.saturating_sub(assigned)) {
        if let Some(size) = sizes.get_mut(i) {
            *size += 1;
        }
    }
    sizes
}

/// Per-employee state: reusable buffers for one row, and the sets that keep mobile numbers and e-mail
/// addresses unique.
struct People {
    rng: Rand,
    surnames: Weighted<JpName>,
    male: Weighted<JpName>,
    female: Weighted<JpName>,
    towns: Weighted<JpTown>,
    mobile_prefixes: Weighted<u64>,
    mobiles: HashSet<u64>,
    /// Local parts used so far in the current company, with how often.
    locals: HashMap<String, u32>,
    number: u32,
    max_gap: u32,
    local: String,

    employee_id: String,
    department: &'static str,
    user_name: String,
    user_name_kana: String,
    mobile: String,
    email: String,
    home_postal_code: &'static str,
    home_address: String,
}

impl People {
    fn new(seed: u64, employees: usize) -> Self {
        People {
            rng: stream(seed, EMPLOYEE_STREAM),
            surnames: Weighted::new(data::JP_SURNAMES.iter().map(|n| (*n, n.weight))),
            male: Weighted::new(data::JP_MALE_NAMES.iter().map(|n| (*n, n.weight))),
            female: Weighted::new(data::JP_FEMALE_NAMES.iter().map(|n| (*n, n.weight))),
            towns: Weighted::new(data::JP_RESIDENTIAL_TOWNS.iter().map(|t| (*t, t.weight))),
            mobile_prefixes: Weighted::new([(9, 50), (8, 35), (7, 15)]),
            mobiles: HashSet::with_capacity(employees),
            locals: HashMap::new(),
            number: 0,
            max_gap: 1,
            local: String::new(),
            employee_id: String::new(),
            department: "",
            user_name: String::new(),
            user_name_kana: String::new(),
            mobile: String::new(),
            email: String::new(),
            home_postal_code: "",
            home_address: String::new(),
        }
    }

    /// Resets the per-company state for a company of `size` employees.
    fn start_company(&mut self, size: usize) {
        self.locals.clear();
        self.number = self.rng.gen_range(0..FIRST_NUMBER_BELOW);
        // Gaps (people who left) up to 5, as long as the numbers stay within six digits.
        let room = (MAX_EMPLOYEE_NUMBER - FIRST_NUMBER_BELOW) as usize / size.max(1);
        self.max_gap = room.clamp(1, 5) as u32;
    }

    /// Fills the row buffers with the next employee of `company`; returns whether they have a home address.
    fn employee(&mut self, company: &Company, home_share: f64) -> bool {
        let rng = &mut self.rng;
        self.number += rng.gen_range(1..=self.max_gap);
        self.employee_id.clear();
        let _ = write!(self.employee_id, "C{:03}-{:06}", company.number, self.number);

        self.department = company.departments.sample(rng);
        let surname = self.surnames.sample(rng);
        let given = if chance(rng, 58) { self.male.sample(rng) } else { self.female.sample(rng) };
        self.user_name.clear();
        let _ = write!(self.user_name, "{} {}", surname.kanji, given.kanji);
        self.user_name_kana.clear();
        let _ = write!(self.user_name_kana, "{} {}", surname.kana, given.kana);

        // 0X0-NNNN-NNNN with a non-zero first subscriber digit; 2.7e8 numbers for at most 1e7 people, so a
        // fresh number is found in about one draw.
        loop {
            let prefix = self.mobile_prefixes.sample(rng);
            let middle = rng.gen_range(1_000..=9_999u64);
            let last = rng.gen_range(0..=9_999u64);
            if self.mobiles.insert(prefix * 100_000_000 + middle * 10_000 + last) {
                self.mobile.clear();
                let _ = write!(self.mobile, "0{prefix}0-{middle:04}-{last:04}");
                break;
            }
        }

        self.write_email(company, surname, given);

        let has_home = home_share >= 1.0 || (home_share > 0.0 && self.rng.gen_bool(home_share));
        self.home_address.clear();
        self.home_postal_code = "";
        if has_home {
            let town = self.towns.sample(&mut self.rng);
            self.home_postal_code = town.postal_code;
            write_town(&mut self.home_address, &town);
            write_house_number(&mut self.rng, &town, &mut self.home_address);
            if chance(&mut self.rng, 45) {
                self.home_address.push(' ');
                write_home_building(&mut self.rng, &mut self.home_address);
            }
        }
        has_home
    }

    /// A business address in the company's own convention; unique within the company (hence overall, since
    /// every company has its own domain).
    fn write_email(&mut self, company: &Company, surname: JpName, given: JpName) {
        let initial = given.romaji.get(..1).unwrap_or_default();
        self.email.clear();
        self.local.clear();
        let (sur, giv) = (surname.romaji, given.romaji);
        match company.email_style {
            EmailStyle::InitialSurnameNumber => {
                let _ = write!(self.email, "{initial}.{sur}{}@{}", self.number, company.domain);
                return;
            }
            EmailStyle::GivenDotSurname => {
                let _ = write!(self.local, "{giv}.{sur}");
            }
            EmailStyle::SurnameDotGiven => {
                let _ = write!(self.local, "{sur}.{giv}");
            }
            EmailStyle::SurnameHyphenInitial => {
                let _ = write!(self.local, "{sur}-{initial}");
            }
            EmailStyle::GivenUnderscoreSurname => {
                let _ = write!(self.local, "{giv}_{sur}");
            }
        }
        // Local parts are letters and punctuation only, so `sato-t` + `2` never equals another base.
        let seen = match self.locals.get_mut(self.local.as_str()) {
            Some(count) => {
                *count += 1;
                *count
            }
            None => {
                self.locals.insert(self.local.clone(), 1);
                1
            }
        };
        self.email.push_str(&self.local);
        if seen > 1 {
            let _ = write!(self.email, "{seen}");
        }
        let _ = write!(self.email, "@{}", company.domain);
    }
}

fn write_town(out: &mut String, town: &JpTown) {
    out.push_str(town.prefecture);
    out.push_str(town.city);
    out.push_str(town.town);
}

/// Block numbers, mostly small, the way they cluster in real addresses.
fn block(rng: &mut Rand, max: u32) -> u32 {
    if chance(rng, 70) {
        rng.gen_range(1..=max.min(12))
    } else {
        rng.gen_range(1..=max)
    }
}

/// `2丁目4番1号`, `2-4-1`, `2丁目4-1`; or for towns without 丁目 `721番地3`, `721-3`, `721番地`, `721番3号`.
fn write_house_number(rng: &mut Rand, town: &JpTown, out: &mut String) {
    if town.chome > 0 {
        let chome = rng.gen_range(1..=u32::from(town.chome));
        let ban = block(rng, 30);
        let go = block(rng, 25);
        let _ = match rng.gen_range(0..100u32) {
            0..40 => write!(out, "{chome}丁目{ban}番{go}号"),
            40..75 => write!(out, "{chome}-{ban}-{go}"),
            _ => write!(out, "{chome}丁目{ban}-{go}"),
        };
    } else {
        let banchi = rng.gen_range(1..=1_500u32);
        let edaban = block(rng, 20);
        let _ = match rng.gen_range(0..100u32) {
            0..30 => write!(out, "{banchi}番地{edaban}"),
            30..70 => write!(out, "{banchi}-{edaban}"),
            70..85 => write!(out, "{banchi}番地"),
            _ => write!(out, "{banchi}番{edaban}号"),
        };
    }
}

/// `東和ビル 5F`, `グリーンビルディング 12階`, `第二桜ビル 3階`, `サクラタワー 23F`.
fn write_office_building(rng: &mut Rand, company_stem: &str, out: &mut String) {
    let stem = if chance(rng, 30) { company_stem } else { pick(rng, data::JP_BUILDING_STEMS) };
    let floor = rng.gen_range(1..=15u32);
    let _ = match rng.gen_range(0..100u32) {
        0..40 => write!(out, "{stem}ビル {floor}F"),
        40..65 => write!(out, "{stem}ビルディング {floor}階"),
        65..80 => write!(out, "{stem}タワー {}F", floor + rng.gen_range(5..=30u32)),
        _ => write!(out, "第{}{stem}ビル {floor}階", pick(rng, &["一", "二", "三", "五"])),
    };
}

/// `グリーンマンション 301号室`, `桜ハイツ 203`, `メゾン若葉 502`, `朝日荘 102号室`.
fn write_home_building(rng: &mut Rand, out: &mut String) {
    let stem = pick(rng, data::JP_BUILDING_STEMS);
    // (kind, written before the stem, highest floor, room suffix)
    let (kind, before, floors, suffix) = pick(
        rng,
        &[
            ("マンション", false, 12, "号室"),
            ("ハイツ", false, 3, ""),
            ("コーポ", false, 3, "号"),
            ("荘", false, 2, "号室"),
            ("レジデンス", false, 14, ""),
            ("コート", false, 4, ""),
            ("メゾン", true, 6, ""),
            ("パレス", true, 10, "号室"),
        ],
    );
    let room = rng.gen_range(1..=floors) * 100 + rng.gen_range(1..=8u32);
    let (first, second) = if before { (kind, stem) } else { (stem, kind) };
    let _ = write!(out, "{first}{second} {room}{suffix}");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use std::collections::{HashMap, HashSet};

    use super::super::{corporate, CorporateParams, Error, CORPORATE_COLUMNS};
    use super::*;

    fn generate(p: &CorporateParams) -> Vec<u8> {
        let mut out = Vec::new();
        corporate(p, &mut out, &mut |_| {}).unwrap();
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

    fn params(companies: usize, employees: usize, seed: u64) -> CorporateParams {
        CorporateParams { companies, employees, seed }
    }

    #[test]
    fn same_parameters_give_identical_bytes_and_seeds_differ() {
        let a = generate(&params(7, 3_000, 42));
        let b = generate(&params(7, 3_000, 42));
        let c = generate(&params(7, 3_000, 43));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn header_is_the_schema_field_order() {
        let (header, rows) = rows(&generate(&params(3, 10, 1)));
        assert_eq!(header, CORPORATE_COLUMNS);
        assert_eq!(rows.len(), 10);
        assert!(rows.iter().all(|r| r.len() == CORPORATE_COLUMNS.len()));
    }

    #[test]
    fn ids_mobiles_and_emails_are_unique_and_well_formed() {
        let (header, rows) = rows(&generate(&params(30, 20_000, 5)));
        assert_eq!(rows.len(), 20_000);
        for name in ["employee_id", "mobile", "email"] {
            let i = column(&header, name);
            let distinct: HashSet<&str> = rows.iter().map(|r| r[i].as_str()).collect();
            assert_eq!(distinct.len(), rows.len(), "{name} is not unique");
        }
        let (id, mobile, email) = (column(&header, "employee_id"), column(&header, "mobile"), column(&header, "email"));
        let (name, kana) = (column(&header, "user_name"), column(&header, "user_name_kana"));
        for r in &rows {
            let id = r[id].as_bytes();
            assert!(id.len() == 11 && id[0] == b'C' && id[4] == b'-', "{}", r[0]);
            let m = r[mobile].as_bytes();
            assert!(
                m.len() == 13
                    && matches!(&m[..4], b"090-" | b"080-" | b"070-")
                    && m[8] == b'-'
                    && m[4] != b'0'
                    && m.iter().enumerate().all(|(i, c)| i == 3 || i == 8 || c.is_ascii_digit()),
                "{}",
                r[mobile]
            );
            let (local, domain) = r[email].split_once('@').unwrap();
            assert!(!local.is_empty() && domain.ends_with(".example.co.jp"), "{}", r[email]);
            assert_eq!(r[name].split(' ').count(), 2, "{}", r[name]);
            assert_eq!(r[kana].split(' ').count(), 2, "{}", r[kana]);
            assert!(r[kana].chars().all(|c| c == ' ' || ('\u{30A1}'..='\u{30FC}').contains(&c)), "{}", r[kana]);
        }
    }

    #[test]
    fn about_30_percent_have_a_home_address_from_all_over_japan() {
        let (header, rows) = rows(&generate(&params(72, 20_000, 1)));
        let (postal, address) = (column(&header, "home_postal_code"), column(&header, "home_address"));
        let homes: Vec<&Vec<String>> = rows.iter().filter(|r| !r[address].is_empty()).collect();
        assert!(rows.iter().all(|r| r[postal].is_empty() == r[address].is_empty()));
        let share = homes.len() as f64 / rows.len() as f64;
        assert!((0.27..=0.33).contains(&share), "home share {share}");
        let prefectures: HashSet<&str> = homes
            .iter()
            .map(|r| {
                let a = r[address].as_str();
                data::JP_RESIDENTIAL_TOWNS.iter().find(|t| a.starts_with(t.prefecture)).unwrap().prefecture
            })
            .collect();
        assert!(prefectures.len() >= 40, "{} prefectures", prefectures.len());
    }

    #[test]
    fn employees_are_spread_unevenly_over_distinct_companies() {
        let (header, rows) = rows(&generate(&params(72, 13_000, 3)));
        let company = column(&header, "company");
        let mut sizes: HashMap<&str, usize> = HashMap::new();
        for r in &rows {
            *sizes.entry(r[company].as_str()).or_default() += 1;
        }
        assert_eq!(sizes.len(), 72);
        let largest = sizes.values().max().unwrap();
        let smallest = sizes.values().min().unwrap();
        assert!(*largest > 10 * smallest, "largest {largest}, smallest {smallest}");
        assert!(sizes.keys().all(|n| n.contains("株式会社") || n.contains("合同会社") || n.contains("有限会社")));
        // Every company has one head office and one postal code.
        let (postal, address) = (column(&header, "company_postal_code"), column(&header, "company_address"));
        let offices: HashSet<(&str, &str, &str)> =
            rows.iter().map(|r| (r[company].as_str(), r[postal].as_str(), r[address].as_str())).collect();
        assert_eq!(offices.len(), 72);
    }

    #[test]
    fn companies_do_not_depend_on_the_number_of_employees() {
        let names = |employees| {
            let (header, rows) = rows(&generate(&params(10, employees, 9)));
            let (company, address) = (column(&header, "company"), column(&header, "company_address"));
            rows.iter().map(|r| (r[company].clone(), r[address].clone())).collect::<HashSet<_>>()
        };
        assert_eq!(names(100), names(2_000));
    }

    #[test]
    fn progress_reports_every_thousand_rows_and_at_the_end() {
        let mut calls = Vec::new();
        let summary = corporate(&params(4, 2_500, 1), Vec::new(), &mut |n| calls.push(n)).unwrap();
        assert_eq!(calls, [1_000, 2_000, 2_500]);
        assert_eq!(summary.rows, 2_500);
        assert_eq!(summary.companies, 4);
        assert!(summary.bytes > 2_500 * 50);
    }

    #[test]
    fn summary_counts_bytes_and_home_addresses() {
        let mut out = Vec::new();
        let summary = corporate(&params(5, 1_000, 2), &mut out, &mut |_| {}).unwrap();
        assert_eq!(summary.bytes, out.len() as u64);
        let (header, rows) = rows(&out);
        let address = column(&header, "home_address");
        assert_eq!(summary.home_addresses, rows.iter().filter(|r| !r[address].is_empty()).count() as u64);
    }

    #[test]
    fn zero_employees_writes_only_the_header() {
        let out = generate(&params(3, 0, 1));
        assert_eq!(String::from_utf8(out).unwrap(), format!("{}\n", CORPORATE_COLUMNS.join(",")));
    }

    #[test]
    fn bad_parameters_are_refused() {
        let refuse = |p: CorporateParams| corporate(&p, Vec::new(), &mut |_| {}).unwrap_err();
        assert!(matches!(refuse(params(0, 10, 1)), Error::Companies { got: 0, .. }));
        assert!(matches!(refuse(params(MAX_COMPANIES + 1, 10, 1)), Error::Companies { .. }));
        assert!(matches!(refuse(params(1, MAX_EMPLOYEES + 1, 1)), Error::Employees { .. }));
        assert!(matches!(refuse(params(1, MAX_EMPLOYEES_PER_COMPANY + 1, 1)), Error::CompanyTooLarge { .. }));
        assert_eq!(refuse(params(0, 10, 1)).to_string(), "the number of companies must be between 1 and 999, got `0`");
    }

    #[test]
    fn there_are_enough_distinct_company_names() {
        assert!(data::COMPANY_STEMS.len() * data::COMPANY_INDUSTRIES.len() > MAX_COMPANIES);
        let stems: HashSet<&str> = data::COMPANY_STEMS.iter().map(|w| w.romaji).collect();
        let industries: HashSet<&str> = data::COMPANY_INDUSTRIES.iter().map(|w| w.romaji).collect();
        assert_eq!(stems.len(), data::COMPANY_STEMS.len(), "stem romaji must be unique for unique domains");
        assert_eq!(industries.len(), data::COMPANY_INDUSTRIES.len());
        for w in data::COMPANY_STEMS.iter().chain(data::COMPANY_INDUSTRIES) {
            assert!(w.romaji.bytes().all(|b| b.is_ascii_lowercase()), "{}", w.romaji);
        }
        let mut out = Vec::new();
        corporate(&params(MAX_COMPANIES, MAX_COMPANIES, 4), &mut out, &mut |_| {}).unwrap();
        let (header, rows) = rows(&out);
        let company = column(&header, "company");
        let names: HashSet<&str> = rows.iter().map(|r| r[company].as_str()).collect();
        assert_eq!(names.len(), MAX_COMPANIES);
    }

    #[test]
    fn allocation_sums_to_the_total() {
        for total in [0, 1, 5, 72, 1_000, 130_000] {
            let sizes = allocate(total, &[1.0, 0.5, 0.33, 0.25, 0.2]);
            assert_eq!(sizes.iter().sum::<usize>(), total);
        }
        assert_eq!(allocate(3, &[1.0, 1.0, 1.0, 1.0, 1.0]).iter().sum::<usize>(), 3);
        assert!(allocate(10, &[]).is_empty());
    }
}
