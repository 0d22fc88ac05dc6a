//! Which reporting duties an incident triggers, on what grounds, and by when.
//!
//! [`assess`] reads [`Facts`] and answers for three regimes:
//!
//! - **APPI** (個人情報保護法26条, 施行規則7条・8条・10条): a report to the Personal Information Protection
//!   Commission in two steps — the preliminary report (速報) and the final report (確報) — and a notice to
//!   the people concerned (本人通知), when any of the four categories of 規則7条 applies: special-care data
//!   (要配慮個人情報, 1号), data whose misuse may cause financial loss (財産的被害のおそれ, 2号), an
//!   unauthorised purpose (不正の目的のおそれ, 3号), more than 1,000 people (4号). Data under advanced
//!   encryption with the keys kept apart (高度な暗号化等の秘匿化) is outside the rule.
//! - **GDPR**: notification of the supervisory authority within 72 hours (Art. 33) and communication to the
//!   data subjects when the risk is high (Art. 34), for data subjects in the EU.
//! - **PCI DSS**: notification of the acquirer and the card brands when card numbers were exposed
//!   (v4.0 requirement 12.10.1, the incident-response plan).
//!
//! Guarantees: the assessment always lists every step of every regime, each with `required` and the reason,
//! so "no duty" is an explicit answer with its why, never an absence; a duty is required only when a rule
//! in this module says so from the facts; deadlines are computed from the moment the organisation learned
//! of the incident (覚知), never from detection. kura does not know whether a report has been sent: the
//! deadlines say when it is due, not whether it is done.
//!
//! Two readings of the rules are kura's, and stated here so that they can be challenged:
//!
//! - A field counts as exposed for categories 1 and 2 (and for PCI DSS and the GDPR's high risk) only in the
//!   clear: read or exported unmasked (`plain > 0`), or, for a stolen database, readable without the keys.
//!   A card number shown as BIN and last four is not a card number. When the log gave no per-field figures
//!   but the class was exposed, kura cannot show that it was masked and counts it.
//! - For a stolen database whose keys were kept with it, the keys are presumed taken too: every field is
//!   readable.
//!
//! The final report's deadline follows the PPC's guidance on counting: the day of awareness is day 1 and
//! the report is due by the end of day 30 (or 60) in Japan time, weekends and holidays included.

use serde::{Deserialize, Serialize};

use super::{Facts, FieldExposure, Scenario};
use crate::schema::Classification;

const HOUR: i64 = 3_600;
const DAY: i64 = 24 * HOUR;
/// Japan Standard Time, UTC+9 (no daylight saving).
const JST: i64 = 9 * HOUR;

/// The preliminary report's deadline: the guidance's "about 3–5 days", at its outer end.
const PRELIMINARY_DAYS: i64 = 5;
/// The final report's deadline in days, counting the day of awareness as day 1.
const FINAL_DAYS: i64 = 30;
/// The final report's deadline when an unauthorised purpose is among the grounds (規則8条2項括弧書).
const FINAL_DAYS_UNAUTHORISED: i64 = 60;
/// The GDPR Art. 33 deadline.
const GDPR_HOURS: i64 = 72;
/// kura's internal default for "immediately" under PCI DSS.
const PCI_HOURS: i64 = 24;
/// More than this many people makes APPI category 4 (exactly this many does not).
const APPI_PEOPLE: u64 = 1_000;

/// A text in Japanese and in English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Text {
    /// Japanese.
    pub ja: String,
    /// English.
    pub en: String,
}

impl Text {
    fn new(ja: impl Into<String>, en: impl Into<String>) -> Self {
        Self { ja: ja.into(), en: en.into() }
    }
}

/// A body of rules under which a duty arises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Regime {
    /// Japan's Act on the Protection of Personal Information (個人情報保護法).
    Appi,
    /// The EU General Data Protection Regulation.
    Gdpr,
    /// The Payment Card Industry Data Security Standard.
    Pci,
}

impl Regime {
    /// Every regime, in the order an assessment lists them.
    pub const ALL: [Regime; 3] = [Regime::Appi, Regime::Gdpr, Regime::Pci];

    /// The regime's name in Japanese.
    pub fn ja(self) -> &'static str {
        match self {
            Regime::Appi => "個人情報保護法",
            Regime::Gdpr => "GDPR",
            Regime::Pci => "PCI DSS",
        }
    }

    /// The regime's name in English.
    pub fn en(self) -> &'static str {
        match self {
            Regime::Appi => "APPI",
            Regime::Gdpr => "GDPR",
            Regime::Pci => "PCI DSS",
        }
    }
}

/// One step a regime may require.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    /// APPI: the preliminary report to the PPC (速報).
    AppiPreliminary,
    /// APPI: the final report to the PPC (確報).
    AppiFinal,
    /// APPI: the notice to the people concerned (本人通知).
    AppiNotice,
    /// GDPR Art. 33: notification of the supervisory authority.
    GdprAuthority,
    /// GDPR Art. 34: communication to the data subjects.
    GdprSubjects,
    /// PCI DSS: notification of the acquirer and the card brands.
    PciNotification,
}

impl Step {
    /// Every step, in the order an assessment lists them.
    pub const ALL: [Step; 6] = [
        Step::AppiPreliminary,
        Step::AppiFinal,
        Step::AppiNotice,
        Step::GdprAuthority,
        Step::GdprSubjects,
        Step::PciNotification,
    ];

    /// The regime the step belongs to.
    pub fn regime(self) -> Regime {
        match self {
            Step::AppiPreliminary | Step::AppiFinal | Step::AppiNotice => Regime::Appi,
            Step::GdprAuthority | Step::GdprSubjects => Regime::Gdpr,
            Step::PciNotification => Regime::Pci,
        }
    }

    /// A short label in Japanese.
    pub fn ja(self) -> &'static str {
        match self {
            Step::AppiPreliminary => "個人情報保護委員会への報告（速報）",
            Step::AppiFinal => "個人情報保護委員会への報告（確報）",
            Step::AppiNotice => "本人への通知",
            Step::GdprAuthority => "監督機関への通知（GDPR 33条）",
            Step::GdprSubjects => "データ主体への連絡（GDPR 34条）",
            Step::PciNotification => "アクワイアラ及びカードブランドへの通知（PCI DSS）",
        }
    }

    /// A short label in English.
    pub fn en(self) -> &'static str {
        match self {
            Step::AppiPreliminary => "preliminary report to the PPC (速報)",
            Step::AppiFinal => "final report to the PPC (確報)",
            Step::AppiNotice => "notice to the individuals (本人通知)",
            Step::GdprAuthority => "notification of the supervisory authority (Art. 33)",
            Step::GdprSubjects => "communication to the data subjects (Art. 34)",
            Step::PciNotification => "notification of the acquirer and the card brands",
        }
    }

    /// The legal basis.
    pub fn basis(self) -> &'static str {
        match self {
            Step::AppiPreliminary => "個人情報保護法26条1項, 施行規則7条・8条1項",
            Step::AppiFinal => "個人情報保護法26条1項, 施行規則7条・8条2項",
            Step::AppiNotice => "個人情報保護法26条2項, 施行規則10条",
            Step::GdprAuthority => "GDPR Art. 33(1)",
            Step::GdprSubjects => "GDPR Art. 34(1)",
            Step::PciNotification => "PCI DSS v4.0 Req. 12.10.1",
        }
    }
}

/// A condition of the facts that brings a duty into play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Ground {
    /// Special-care personal information exposed in the clear (要配慮個人情報, 規則7条1号).
    Sensitive,
    /// Data whose misuse may cause financial loss — card numbers — exposed in the clear (規則7条2号).
    Payment,
    /// Done, or possibly done, with an unauthorised purpose (不正の目的, 規則7条3号).
    UnauthorisedPurpose,
    /// More than 1,000 people concerned (規則7条4号).
    OverThousand,
    /// Data subjects in the EU among those concerned (GDPR).
    EuSubjects,
}

impl Ground {
    /// The rule the ground comes from.
    pub fn rule(self) -> &'static str {
        match self {
            Ground::Sensitive => "施行規則7条1号",
            Ground::Payment => "施行規則7条2号",
            Ground::UnauthorisedPurpose => "施行規則7条3号",
            Ground::OverThousand => "施行規則7条4号",
            Ground::EuSubjects => "GDPR Art. 3",
        }
    }

    /// The item (号) of APPI enforcement rule 7 the ground is, if it is one of APPI's categories.
    pub fn item(self) -> Option<u8> {
        match self {
            Ground::Sensitive => Some(1),
            Ground::Payment => Some(2),
            Ground::UnauthorisedPurpose => Some(3),
            Ground::OverThousand => Some(4),
            Ground::EuSubjects => None,
        }
    }

    /// What the ground means, in Japanese.
    pub fn ja(self) -> &'static str {
        match self {
            Ground::Sensitive => "要配慮個人情報が含まれる個人データの漏えい等",
            Ground::Payment => "不正に利用されることにより財産的被害が生じるおそれがある個人データの漏えい等",
            Ground::UnauthorisedPurpose => "不正の目的をもって行われたおそれがある個人データの漏えい等",
            Ground::OverThousand => "個人データに係る本人の数が1,000人を超える漏えい等",
            Ground::EuSubjects => "EU域内の本人の個人データの漏えい等",
        }
    }

    /// What the ground means, in English.
    pub fn en(self) -> &'static str {
        match self {
            Ground::Sensitive => "special-care (special category) personal data exposed",
            Ground::Payment => "data whose misuse may cause financial loss (card numbers) exposed",
            Ground::UnauthorisedPurpose => "done, or possibly done, with an unauthorised purpose",
            Ground::OverThousand => "more than 1,000 people concerned",
            Ground::EuSubjects => "data subjects in the EU concerned",
        }
    }

    /// Whether the ground is one of APPI's four categories.
    pub fn is_appi(self) -> bool {
        self.item().is_some()
    }
}

/// A reason the rules relieve a duty that the grounds would otherwise trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Exemption {
    /// A stolen copy of the database in which nothing is readable without keys that were kept apart:
    /// advanced encryption (高度な暗号化等の秘匿化) under APPI, "unlikely to result in a risk" under GDPR
    /// Art. 33(1) and Art. 34(3)(a).
    Encrypted,
}

impl Exemption {
    /// The legal basis.
    pub fn basis(self) -> &'static str {
        match self {
            Exemption::Encrypted => "施行規則7条1号括弧書, GDPR Art. 33(1), Art. 34(3)(a)",
        }
    }

    /// What it means, in Japanese.
    pub fn ja(self) -> &'static str {
        match self {
            Exemption::Encrypted => {
                "高度な暗号化等の秘匿化がされた個人データ（鍵は別に管理され、鍵なしで読める項目はない）"
            }
        }
    }

    /// What it means, in English.
    pub fn en(self) -> &'static str {
        match self {
            Exemption::Encrypted => {
                "the data taken is encrypted, the keys were kept apart and no field is readable without them"
            }
        }
    }
}

/// One step of one regime, with whether it is required, why and by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    /// The regime.
    pub regime: Regime,
    /// The step.
    pub step: Step,
    /// Whether the step is required.
    pub required: bool,
    /// The grounds that bring the step into play. With `required: false` and grounds present, an exemption
    /// or the absence of high risk relieves the step (see `why`).
    pub grounds: Vec<Ground>,
    /// When it is due (seconds since the epoch): the last moment it is on time. `None` when the rule says
    /// only "promptly" or the step is not required; `due_text` then says so.
    pub due_at: Option<i64>,
    /// The deadline as the rule puts it.
    pub due_text: Text,
    /// The legal basis, e.g. `個人情報保護法26条1項, 施行規則7条・8条1項`.
    pub basis: String,
    /// A short label.
    pub label: Text,
    /// Why the step is, or is not, required.
    pub why: Text,
}

impl Duty {
    fn new(step: Step, required: bool, grounds: Vec<Ground>, due_at: Option<i64>, due_text: Text, why: Text) -> Self {
        Self {
            regime: step.regime(),
            step,
            required,
            grounds,
            due_at: if required { due_at } else { None },
            due_text,
            basis: step.basis().to_owned(),
            label: Text::new(step.ja(), step.en()),
            why,
        }
    }

    /// Seconds left until the deadline at `now` (negative once past it); `None` when the step is not
    /// required or has no fixed deadline.
    pub fn remaining(&self, now: i64) -> Option<i64> {
        if !self.required {
            return None;
        }
        self.due_at.map(|due| due.saturating_sub(now))
    }

    /// Whether the step is required and its deadline has passed at `now`.
    pub fn overdue(&self, now: i64) -> bool {
        self.remaining(now).is_some_and(|left| left < 0)
    }
}

/// The result of [`assess`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assessment {
    /// Every step of every regime, in [`Step::ALL`] order, required or not.
    pub duties: Vec<Duty>,
    /// The conditions the facts meet, whether or not an exemption then relieves the duties.
    pub grounds: Vec<Ground>,
    /// The exemption that applies, if any.
    pub exempt: Option<Exemption>,
}

impl Assessment {
    /// The duty for a step.
    pub fn duty(&self, step: Step) -> Option<&Duty> {
        self.duties.iter().find(|d| d.step == step)
    }

    /// Whether any step of a regime is required.
    pub fn requires(&self, regime: Regime) -> bool {
        self.duties.iter().any(|d| d.regime == regime && d.required)
    }

    /// The required duties.
    pub fn required(&self) -> impl Iterator<Item = &Duty> {
        self.duties.iter().filter(|d| d.required)
    }

    /// Whether the facts meet a ground.
    pub fn has(&self, ground: Ground) -> bool {
        self.grounds.contains(&ground)
    }
}

/// Classify an incident's facts against the APPI, GDPR and PCI DSS reporting rules.
pub fn assess(facts: &Facts) -> Assessment {
    let exempt = exemption(facts);
    let grounds = grounds(facts);
    let mut duties = appi(facts, &grounds, exempt);
    duties.extend(gdpr(facts, &grounds, exempt));
    duties.push(pci(facts, &grounds, exempt));
    Assessment { duties, grounds, exempt }
}

/// The conditions met, in the order of [`Ground`].
fn grounds(facts: &Facts) -> Vec<Ground> {
    let e = &facts.exposure;
    let mut out = Vec::new();
    if exposed_in_clear(facts, Classification::Sensitive) {
        out.push(Ground::Sensitive);
    }
    if exposed_in_clear(facts, Classification::Payment) {
        out.push(Ground::Payment);
    }
    // An unauthorised purpose matters only once someone's data is out: a thief who read nothing leaked nothing.
    if facts.unauthorised_purpose && e.subjects > 0 {
        out.push(Ground::UnauthorisedPurpose);
    }
    if e.subjects > APPI_PEOPLE {
        out.push(Ground::OverThousand);
    }
    if e.eu_subjects > 0 {
        out.push(Ground::EuSubjects);
    }
    out
}

/// Whether a field of the class was exposed in the clear (see the module documentation).
fn exposed_in_clear(facts: &Facts, class: Classification) -> bool {
    let e = &facts.exposure;
    let of_class: Vec<&FieldExposure> = e.fields.iter().filter(|f| f.classification == class).collect();
    if of_class.iter().any(|f| in_clear(facts, f)) {
        return true;
    }
    // No per-field figures at all, yet the class was exposed: nothing shows it was masked.
    e.fields.is_empty() && e.by_class.iter().any(|(c, n)| *c == class && *n > 0)
}

/// Whether a field was exposed in the clear: read or exported unmasked, or readable in a stolen copy of the
/// database (every field is, when the keys were kept with it).
pub fn in_clear(facts: &Facts, f: &FieldExposure) -> bool {
    if f.plain > 0 {
        return true;
    }
    match facts.scenario {
        Scenario::StolenDatabase { keys_separate } => {
            !keys_separate || facts.exposure.readable_without_keys.contains(&f.name)
        }
        Scenario::Access | Scenario::Export => false,
    }
}

fn exemption(facts: &Facts) -> Option<Exemption> {
    match facts.scenario {
        Scenario::StolenDatabase { keys_separate: true } if facts.exposure.readable_without_keys.is_empty() => {
            Some(Exemption::Encrypted)
        }
        _ => None,
    }
}

/// The last second of the `days`-th day in Japan time, counting the day of `at` as day 1.
fn end_of_jst_day(at: i64, days: i64) -> i64 {
    let day = at.saturating_add(JST).div_euclid(DAY);
    (day + days) * DAY - JST - 1
}

fn appi(facts: &Facts, grounds: &[Ground], exempt: Option<Exemption>) -> Vec<Duty> {
    let appi: Vec<Ground> = grounds.iter().copied().filter(|g| g.is_appi()).collect();
    let items: Vec<String> = appi.iter().filter_map(|g| g.item()).map(|n| n.to_string()).collect();
    let rules = format!("施行規則7条{}号", items.join("号・"));
    let rules_en = format!("APPI enforcement rules art. 7 item {}", items.join(", "));
    let required = !appi.is_empty() && exempt.is_none();
    let why = match (exempt, appi.is_empty()) {
        (Some(x), _) => Text::new(
            format!("報告対象外: {}（{}）", x.ja(), x.basis()),
            format!("not required: {} ({})", x.en(), x.basis()),
        ),
        (None, true) => Text::new(
            "報告対象外: 施行規則7条各号（要配慮個人情報、財産的被害のおそれ、不正の目的のおそれ、1,000人超）のいずれにも該当しない",
            "not required: none of the four APPI categories applies (special-care data, financial loss, \
             unauthorised purpose, more than 1,000 people)",
        ),
        (None, false) => Text::new(format!("{rules}に該当"), format!("required: {rules_en}")),
    };
    let not_required = || Text::new("対象外", "not required");
    let learned = facts.learned_at;

    let preliminary = Duty::new(
        Step::AppiPreliminary,
        required,
        appi.clone(),
        Some(learned.saturating_add(PRELIMINARY_DAYS * DAY)),
        if required {
            Text::new(
                "速やかに（覚知から概ね3〜5日以内）",
                "promptly (about 3 to 5 days after awareness, per the PPC's guidance)",
            )
        } else {
            not_required()
        },
        why.clone(),
    );

    let days = if appi.contains(&Ground::UnauthorisedPurpose) { FINAL_DAYS_UNAUTHORISED } else { FINAL_DAYS };
    let final_text = if !required {
        not_required()
    } else if days == FINAL_DAYS_UNAUTHORISED {
        Text::new(
            "覚知日を1日目として60日以内（不正の目的によるおそれがあるため、施行規則8条2項）",
            "within 60 days of awareness, the day of awareness being day 1 (unauthorised purpose, rule 8(2))",
        )
    } else {
        Text::new(
            "覚知日を1日目として30日以内（施行規則8条2項）",
            "within 30 days of awareness, the day of awareness being day 1 (rule 8(2))",
        )
    };
    let final_report = Duty::new(
        Step::AppiFinal,
        required,
        appi.clone(),
        Some(end_of_jst_day(learned, days)),
        final_text,
        why.clone(),
    );

    let notice = Duty::new(
        Step::AppiNotice,
        required,
        appi,
        None,
        if required {
            Text::new("速やかに（当該事態の状況に応じて）", "promptly, as the situation allows")
        } else {
            not_required()
        },
        if required {
            Text::new(
                format!("委員会への報告と同じく{rules}に該当（法26条2項）"),
                format!("required whenever the PPC report is: {rules_en}"),
            )
        } else {
            why
        },
    );
    vec![preliminary, final_report, notice]
}

fn gdpr(facts: &Facts, grounds: &[Ground], exempt: Option<Exemption>) -> Vec<Duty> {
    let learned = facts.learned_at;
    if !grounds.contains(&Ground::EuSubjects) {
        let why = Text::new("対象外: EU域内の本人は含まれない", "not required: no data subjects in the EU");
        let none = || Text::new("対象外", "not required");
        return vec![
            Duty::new(Step::GdprAuthority, false, Vec::new(), None, none(), why.clone()),
            Duty::new(Step::GdprSubjects, false, Vec::new(), None, none(), why),
        ];
    }
    let authority = match exempt {
        Some(x) => Duty::new(
            Step::GdprAuthority,
            false,
            vec![Ground::EuSubjects],
            None,
            Text::new("通知不要。33条5項により記録を残す", "no notification; document the breach under Art. 33(5)"),
            Text::new(
                format!("リスクが生じる可能性が低い: {}", x.ja()),
                format!("unlikely to result in a risk: {}", x.en()),
            ),
        ),
        None => Duty::new(
            Step::GdprAuthority,
            true,
            vec![Ground::EuSubjects],
            Some(learned.saturating_add(GDPR_HOURS * HOUR)),
            Text::new(
                "不当な遅滞なく、覚知から72時間以内",
                "without undue delay and within 72 hours of becoming aware",
            ),
            Text::new(
                format!("EU域内の本人{}名の個人データ", facts.exposure.eu_subjects),
                format!("personal data of {} data subjects in the EU", facts.exposure.eu_subjects),
            ),
        ),
    };

    let mut high: Vec<Ground> = grounds
        .iter()
        .copied()
        .filter(|g| matches!(g, Ground::Sensitive | Ground::Payment | Ground::UnauthorisedPurpose))
        .collect();
    let subjects = match exempt {
        Some(x) => Duty::new(
            Step::GdprSubjects,
            false,
            {
                high.push(Ground::EuSubjects);
                high
            },
            None,
            Text::new("対象外", "not required"),
            Text::new(
                format!("対象外（34条3項(a)）: {}", x.ja()),
                format!("not required (Art. 34(3)(a)): {}", x.en()),
            ),
        ),
        None if high.is_empty() => Duty::new(
            Step::GdprSubjects,
            false,
            vec![Ground::EuSubjects],
            None,
            Text::new("対象外（高いリスクが判明した時点で不当な遅滞なく）", "not required unless a high risk emerges"),
            Text::new(
                "高いリスクは認められない（支払・要配慮情報の平文での漏えい、不正の目的のいずれもなし）。継続して評価する",
                "no high risk found (no payment or special-category data in the clear, no unauthorised purpose); \
                 keep under review",
            ),
        ),
        None => {
            let (ja, en): (Vec<&str>, Vec<&str>) = high.iter().map(|g| (g.ja(), g.en())).unzip();
            high.push(Ground::EuSubjects);
            Duty::new(
                Step::GdprSubjects,
                true,
                high,
                None,
                Text::new("不当な遅滞なく", "without undue delay"),
                Text::new(
                    format!("高いリスク: {}", ja.join("、")),
                    format!("high risk: {}", en.join("; ")),
                ),
            )
        }
    };
    vec![authority, subjects]
}

fn pci(facts: &Facts, grounds: &[Ground], exempt: Option<Exemption>) -> Duty {
    let none = || Text::new("対象外", "not required");
    if grounds.contains(&Ground::Payment) {
        return Duty::new(
            Step::PciNotification,
            true,
            vec![Ground::Payment],
            Some(facts.learned_at.saturating_add(PCI_HOURS * HOUR)),
            Text::new(
                "直ちに（インシデント対応計画とアクワイアラとの契約に従う。kuraの既定では覚知から24時間以内）",
                "immediately; follow the acquirer's contract (kura's default: within 24 hours of awareness)",
            ),
            Text::new("カード番号が平文で漏えい等した", "card numbers exposed in the clear"),
        );
    }
    let payment_seen =
        facts.exposure.fields.iter().any(|f| f.classification == Classification::Payment && f.subjects > 0);
    let why = match exempt {
        Some(x) => Text::new(format!("対象外: {}", x.ja()), format!("not required: {}", x.en())),
        None if payment_seen => Text::new(
            "対象外: カード情報はマスクされた形（先頭6桁と末尾4桁）でのみ閲覧・出力された",
            "not required: card data was seen only masked (BIN and last four), which is not a card number",
        ),
        None => Text::new("対象外: カード情報は含まれない", "not required: no card data concerned"),
    };
    Duty::new(Step::PciNotification, false, Vec::new(), None, none(), why)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;
    use crate::incident::{Exposure, Statements};

    /// 2026-11-28 14:05 JST.
    const LEARNED: i64 = 1_795_842_300;

    fn field(name: &str, classification: Classification, subjects: u64, plain: u64) -> FieldExposure {
        FieldExposure { name: name.to_owned(), kind: None, classification, subjects, plain }
    }

    fn facts(subjects: u64, fields: Vec<FieldExposure>) -> Facts {
        Facts {
            id: "INC-20261128-3F9A".to_owned(),
            title: "test".to_owned(),
            detected_at: LEARNED - 3_600,
            learned_at: LEARNED,
            scenario: Scenario::Access,
            unauthorised_purpose: false,
            principals: vec!["op.a".to_owned()],
            exports: Vec::new(),
            window: None,
            exposure: Exposure {
                subjects,
                could_have_viewed: subjects * 2,
                fields: {
                    let mut f = vec![field("name", Classification::Personal, subjects, subjects)];
                    f.extend(fields);
                    f
                },
                ..Exposure::default()
            },
            timeline: Vec::new(),
            statements: Statements::default(),
            version: 1,
            is_final: false,
        }
    }

    fn required(a: &Assessment) -> Vec<Step> {
        a.required().map(|d| d.step).collect()
    }

    const APPI: [Step; 3] = [Step::AppiPreliminary, Step::AppiFinal, Step::AppiNotice];

    #[test]
    fn learned_constant_is_the_documented_time() {
        // 2026-11-28 05:05 UTC.
        let days = LEARNED.div_euclid(DAY);
        assert_eq!(LEARNED.rem_euclid(DAY), 5 * HOUR + 5 * 60);
        assert_eq!(days, 20_785);
    }

    #[test]
    fn each_appi_category_alone_triggers() {
        let sensitive = facts(3, vec![field("health", Classification::Sensitive, 1, 1)]);
        let payment = facts(3, vec![field("card", Classification::Payment, 2, 2)]);
        let mut purpose = facts(3, Vec::new());
        purpose.unauthorised_purpose = true;
        let many = facts(1_001, Vec::new());
        for (f, ground) in [
            (sensitive, Ground::Sensitive),
            (payment, Ground::Payment),
            (purpose, Ground::UnauthorisedPurpose),
            (many, Ground::OverThousand),
        ] {
            let a = assess(&f);
            assert_eq!(a.grounds, [ground], "{ground:?}");
            assert_eq!(a.exempt, None);
            for step in APPI {
                let d = a.duty(step).unwrap();
                assert!(d.required, "{ground:?} {step:?}");
                assert_eq!(d.grounds, [ground]);
                assert!(d.why.ja.contains(ground.rule()), "{}", d.why.ja);
                assert!(d.why.en.starts_with("required"), "{}", d.why.en);
            }
        }
    }

    #[test]
    fn combined_grounds_all_appear() {
        let mut f = facts(
            5_000,
            vec![field("health", Classification::Sensitive, 10, 10), field("card", Classification::Payment, 20, 1)],
        );
        f.unauthorised_purpose = true;
        let a = assess(&f);
        let all = [Ground::Sensitive, Ground::Payment, Ground::UnauthorisedPurpose, Ground::OverThousand];
        assert_eq!(a.grounds, all);
        assert_eq!(a.duty(Step::AppiPreliminary).unwrap().grounds, all);
        assert_eq!(a.duty(Step::AppiPreliminary).unwrap().why.ja, "施行規則7条1号・2号・3号・4号に該当");
        assert_eq!(required(&a), [APPI.as_slice(), &[Step::PciNotification]].concat());
    }

    #[test]
    fn a_thousand_people_is_not_more_than_a_thousand() {
        let a = assess(&facts(1_000, Vec::new()));
        assert!(a.grounds.is_empty());
        assert!(!a.requires(Regime::Appi));
        let a = assess(&facts(1_001, Vec::new()));
        assert_eq!(a.grounds, [Ground::OverThousand]);
        assert!(a.requires(Regime::Appi));
    }

    #[test]
    fn nothing_triggers_lists_every_step_as_not_required_with_why() {
        let a = assess(&facts(12, Vec::new()));
        assert!(a.grounds.is_empty());
        assert_eq!(a.duties.iter().map(|d| d.step).collect::<Vec<_>>(), Step::ALL);
        for d in &a.duties {
            assert!(!d.required, "{:?}", d.step);
            assert!(d.due_at.is_none());
            assert!(d.why.en.starts_with("not required"), "{}", d.why.en);
            assert!(!d.why.ja.is_empty());
            assert_eq!(d.remaining(LEARNED), None);
            assert!(!d.overdue(i64::MAX));
        }
        // An unauthorised purpose with nobody's data out leaks nothing.
        let mut f = facts(0, Vec::new());
        f.unauthorised_purpose = true;
        assert!(assess(&f).required().next().is_none());
    }

    #[test]
    fn encrypted_stolen_database_is_exempt() {
        let mut f = facts(130_000, vec![field("card", Classification::Payment, 130_000, 0)]);
        f.scenario = Scenario::StolenDatabase { keys_separate: true };
        f.unauthorised_purpose = true;
        f.exposure.eu_subjects = 40;
        let a = assess(&f);
        assert_eq!(a.exempt, Some(Exemption::Encrypted));
        // The facts still meet grounds 3 and 4; the exemption relieves them.
        assert_eq!(a.grounds, [Ground::UnauthorisedPurpose, Ground::OverThousand, Ground::EuSubjects]);
        assert!(required(&a).is_empty());
        let appi = a.duty(Step::AppiPreliminary).unwrap();
        assert!(appi.why.ja.contains("高度な暗号化"), "{}", appi.why.ja);
        let art33 = a.duty(Step::GdprAuthority).unwrap();
        assert!(!art33.required);
        assert!(art33.due_text.en.contains("Art. 33(5)"));
        assert!(!a.duty(Step::GdprSubjects).unwrap().required);
        assert!(!a.duty(Step::PciNotification).unwrap().required);
    }

    #[test]
    fn exemption_needs_separate_keys_and_nothing_readable() {
        let card = || vec![field("card", Classification::Payment, 100, 0)];
        // A field readable without the keys.
        let mut f = facts(100, card());
        f.scenario = Scenario::StolenDatabase { keys_separate: true };
        f.exposure.readable_without_keys = vec!["card".to_owned()];
        let a = assess(&f);
        assert_eq!(a.exempt, None);
        assert_eq!(a.grounds, [Ground::Payment]);
        assert_eq!(required(&a), [APPI.as_slice(), &[Step::PciNotification]].concat());
        // A non-payment field readable: no exemption, but no card ground either.
        f.exposure.readable_without_keys = vec!["name".to_owned()];
        let a = assess(&f);
        assert_eq!(a.exempt, None);
        assert!(a.grounds.is_empty());
        // Keys kept with the database: presumed taken, every field readable.
        let mut f = facts(100, card());
        f.scenario = Scenario::StolenDatabase { keys_separate: false };
        let a = assess(&f);
        assert_eq!(a.exempt, None);
        assert_eq!(a.grounds, [Ground::Payment]);
        assert!(a.requires(Regime::Appi) && a.requires(Regime::Pci));
    }

    #[test]
    fn final_report_60_days_for_unauthorised_purpose_else_30() {
        // Learned 2026-11-28 14:05 JST: day 1 is 28 November; day 30 ends 2026-12-27 24:00 JST.
        let end_27_dec_jst = LEARNED - (14 * HOUR + 5 * 60) + 30 * DAY - 1;
        let a = assess(&facts(2_000, Vec::new()));
        let fin = a.duty(Step::AppiFinal).unwrap();
        assert_eq!(fin.due_at, Some(end_27_dec_jst));
        assert!(fin.due_text.ja.contains("30日以内"));
        let mut f = facts(2_000, Vec::new());
        f.unauthorised_purpose = true;
        let a = assess(&f);
        let fin = a.duty(Step::AppiFinal).unwrap();
        assert_eq!(fin.due_at, Some(end_27_dec_jst + 30 * DAY));
        assert!(fin.due_text.ja.contains("60日以内"));
    }

    #[test]
    fn deadline_arithmetic() {
        let mut f = facts(2_000, vec![field("card", Classification::Payment, 5, 5)]);
        f.exposure.eu_subjects = 3;
        let a = assess(&f);
        let pre = a.duty(Step::AppiPreliminary).unwrap();
        assert_eq!(pre.due_at, Some(LEARNED + 5 * 86_400));
        assert!(pre.due_text.ja.contains("概ね3〜5日以内"));
        assert_eq!(a.duty(Step::AppiNotice).unwrap().due_at, None);
        assert!(a.duty(Step::AppiNotice).unwrap().due_text.ja.contains("速やかに"));
        let art33 = a.duty(Step::GdprAuthority).unwrap();
        assert_eq!(art33.due_at, Some(LEARNED + 72 * 3_600));
        assert_eq!(art33.remaining(LEARNED), Some(259_200));
        assert!(!art33.overdue(LEARNED + 259_200));
        assert!(art33.overdue(LEARNED + 259_201));
        assert_eq!(art33.remaining(LEARNED + 259_201), Some(-1));
        let pci = a.duty(Step::PciNotification).unwrap();
        assert_eq!(pci.due_at, Some(LEARNED + 86_400));
        assert!(pci.due_text.en.contains("immediately; follow the acquirer's contract"));
        // The final report: a learning just before midnight JST still has day 1 end at that midnight.
        let midnight_jst = LEARNED - (14 * HOUR + 5 * 60) + DAY;
        let mut late = facts(2_000, Vec::new());
        late.learned_at = midnight_jst - 1;
        assert_eq!(assess(&late).duty(Step::AppiFinal).unwrap().due_at, Some(midnight_jst + 29 * DAY - 1));
        late.learned_at = midnight_jst;
        assert_eq!(assess(&late).duty(Step::AppiFinal).unwrap().due_at, Some(midnight_jst + 30 * DAY - 1));
    }

    #[test]
    fn gdpr_present_absent_and_high_risk() {
        // Absent: no EU subjects.
        let a = assess(&facts(2_000, vec![field("card", Classification::Payment, 5, 5)]));
        assert!(!a.requires(Regime::Gdpr));
        assert!(a.duty(Step::GdprAuthority).unwrap().why.en.contains("no data subjects in the EU"));
        // Present, low risk: Art. 33 only, even below every APPI threshold.
        let mut f = facts(10, Vec::new());
        f.exposure.eu_subjects = 2;
        let a = assess(&f);
        assert_eq!(required(&a), [Step::GdprAuthority]);
        assert_eq!(a.duty(Step::GdprAuthority).unwrap().grounds, [Ground::EuSubjects]);
        assert!(a.duty(Step::GdprSubjects).unwrap().why.en.contains("no high risk"));
        // High risk: sensitive data in the clear, or an unauthorised purpose.
        let mut f = facts(10, vec![field("health", Classification::Sensitive, 1, 1)]);
        f.exposure.eu_subjects = 1;
        let art34 = assess(&f).duty(Step::GdprSubjects).unwrap().clone();
        assert!(art34.required);
        assert_eq!(art34.grounds, [Ground::Sensitive, Ground::EuSubjects]);
        assert_eq!(art34.due_at, None);
        assert_eq!(art34.due_text.en, "without undue delay");
        let mut f = facts(10, Vec::new());
        f.exposure.eu_subjects = 1;
        f.unauthorised_purpose = true;
        assert!(assess(&f).duty(Step::GdprSubjects).unwrap().required);
    }

    #[test]
    fn pci_needs_card_numbers_in_the_clear() {
        let a = assess(&facts(50, vec![field("card", Classification::Payment, 50, 3)]));
        assert_eq!(required(&a), [APPI.as_slice(), &[Step::PciNotification]].concat());
        // Masked last four only: not a card number, no APPI category 2, no PCI.
        let a = assess(&facts(50, vec![field("card", Classification::Payment, 50, 0)]));
        assert!(a.grounds.is_empty());
        assert!(required(&a).is_empty());
        assert!(a.duty(Step::PciNotification).unwrap().why.en.contains("masked"));
        // No card field at all.
        let a = assess(&facts(50, Vec::new()));
        assert!(a.duty(Step::PciNotification).unwrap().why.en.contains("no card data"));
    }

    #[test]
    fn class_without_field_figures_counts_as_exposed() {
        let mut f = facts(5, Vec::new());
        f.exposure.fields.clear();
        f.exposure.by_class = vec![(Classification::Payment, 5)];
        assert_eq!(assess(&f).grounds, [Ground::Payment]);
    }

    #[test]
    fn assessment_round_trips_through_json() {
        let mut f = facts(2_000, vec![field("card", Classification::Payment, 5, 5)]);
        f.exposure.eu_subjects = 1;
        let a = assess(&f);
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains("\"appi_preliminary\""), "{json}");
        assert_eq!(serde_json::from_str::<Assessment>(&json).unwrap(), a);
    }
}
