//! Anomaly rules over the access log: a [`Detector`] watches access [`Event`]s and raises [`Alert`]s.
//!
//! The rules, each configured in its own TOML section (see [`Config`]):
//!
//! - **read rate** ([`Rule::ReadRateMinute`], [`Rule::ReadRateHour`], [`Rule::ReadRateDay`]): records read by
//!   one principal in a UTC minute, or in the sliding hour or day ending with the event's minute, above an
//!   absolute limit;
//! - **own history** ([`Rule::OwnHistory`]): records read on the current local day above `factor` times the
//!   principal's own mean over its previous active days (days on which it read anything), once it has
//!   `min_history_days` of them;
//! - **team baseline** ([`Rule::TeamBaseline`]): the same day total above `factor` times the mean daily total
//!   of the *other* members of its team (the team named on its events), once the team has `min_members`
//!   other members with history;
//! - **off hours** ([`Rule::OffHours`]): an allowed access to personal data outside working hours, in the
//!   configured local time (default +09:00, Japan), optionally with weekends off;
//! - **denied burst** ([`Rule::DeniedBurst`]): `count` denied requests by one principal within
//!   `window_minutes`;
//! - **download after expiry** ([`Rule::DownloadAfterExpiry`]): an export download attempted after the export
//!   expired;
//! - **tripwires** ([`Rule::Honey`], [`Rule::CanaryHit`]): a honey record was touched or a canary was hit.
//!   These are always on and always [`Severity::Critical`]: nobody has a legitimate reason to touch one, so
//!   the configuration can only choose whether the principal is suspended (default yes), not switch them off.
//!
//! Guarantees:
//!
//! - **One alert per incident.** A rule fires for a principal when the incident starts and stays quiet until
//!   it has ended: for a read-rate rule, until one full window (a minute, an hour, a day) has passed with no
//!   event over the limit; for own history and team baseline, until the next local day; for off hours,
//!   until the next off-hours stretch (the time from the end of one working day to the start of the next);
//!   for a denied burst, until `window_minutes` pass with no denied request; for download after expiry,
//!   until `quiet_minutes` pass with no such attempt. Tripwires fire on every event: each touch is evidence.
//! - **Bounded memory.** Per principal: at most one day of per-minute buckets (only minutes with reads), one
//!   daily total per local day for `history_days` + 1 days, and the last `count` denied times. Principals
//!   idle for longer than the history (at least eight days) are forgotten.
//! - **Deterministic.** No clock is read: time comes from the events. The access log is in order; events
//!   that arrive slightly late are counted in their own minute and day (a minute more than a day behind the
//!   principal's newest is dropped from the rate windows but still counts in its day's total).
//! - **No personal values in alerts.** [`Alert::detail`] holds counts, thresholds, times and export ids only.
//!
//! History: [`Detector::observe`] builds each principal's daily totals as days pass; the vault can warm a
//! fresh detector from the audit log with [`Detector::seed_day`] so the history rules apply at once.

use std::collections::{HashMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

const SECONDS_PER_MINUTE: i64 = 60;
const MINUTES_PER_HOUR: i64 = 60;
const MINUTES_PER_DAY: i64 = 1_440;
const SECONDS_PER_DAY: i64 = 86_400;
/// Principals idle this many days or more are always forgotten, whatever the history length: longer than
/// any off-hours stretch (a long weekend), so forgetting never reopens an incident.
const MIN_IDLE_DAYS: i64 = 8;
/// Upper bound on `denied_burst.count`, which is also the number of denied times kept per principal.
const MAX_BURST_COUNT: u32 = 10_000;

// ---------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------

/// The alert rules' configuration. Every section and key is optional; absent ones take the defaults shown
/// on each field.
///
/// ```toml
/// utc_offset_minutes = 540   # local time for working hours and day boundaries (+09:00)
/// history_days = 14
///
/// [read_rate]
/// per_minute = 100
/// per_hour = 2000
/// per_day = 10000
///
/// [off_hours]
/// start = "07:00"
/// end = "22:00"
/// weekends_off = true
///
/// [honey]
/// suspend = true
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Local time as an offset from UTC in minutes, for working hours and day boundaries. Default 540 (+09:00).
    pub utc_offset_minutes: i32,
    /// Local days of daily totals kept per principal for the history rules. Default 14.
    pub history_days: u32,
    /// Absolute read-rate limits.
    pub read_rate: ReadRate,
    /// Day total against the principal's own history.
    pub own_history: OwnHistory,
    /// Day total against the team's history.
    pub team_baseline: TeamBaseline,
    /// Access outside working hours.
    pub off_hours: OffHours,
    /// Bursts of denied requests.
    pub denied_burst: DeniedBurst,
    /// Downloads of expired exports.
    pub download_after_expiry: DownloadAfterExpiry,
    /// Honey records touched.
    pub honey: Tripwire,
    /// Canaries hit.
    pub canary_hit: Tripwire,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            utc_offset_minutes: 9 * 60,
            history_days: 14,
            read_rate: ReadRate::default(),
            own_history: OwnHistory::default(),
            team_baseline: TeamBaseline::default(),
            off_hours: OffHours::default(),
            denied_burst: DeniedBurst::default(),
            download_after_expiry: DownloadAfterExpiry::default(),
            honey: Tripwire::default(),
            canary_hit: Tripwire::default(),
        }
    }
}

/// `[read_rate]`: records read by one principal per minute, hour and day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadRate {
    /// Default true.
    pub enabled: bool,
    /// Most records in one UTC minute. Default 100.
    pub per_minute: u64,
    /// Most records in any 60 consecutive minutes. Default 2,000.
    pub per_hour: u64,
    /// Most records in any 1,440 consecutive minutes. Default 10,000.
    pub per_day: u64,
    /// Suspend the principal when a limit is exceeded. Default false: bulk jobs exceed limits legitimately.
    pub suspend: bool,
}

impl Default for ReadRate {
    fn default() -> Self {
        Self { enabled: true, per_minute: 100, per_hour: 2_000, per_day: 10_000, suspend: false }
    }
}

/// `[own_history]`: the day's total against the principal's own mean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OwnHistory {
    /// Default true.
    pub enabled: bool,
    /// Fire when the day's total exceeds this multiple of the mean over previous active days. Default 10.
    pub factor: f64,
    /// Active days (with at least one record read) needed in the history before the rule applies. Default 5.
    pub min_history_days: u32,
    /// Day totals below this never fire, however quiet the history. Default 200.
    pub min_records: u64,
    /// Default false.
    pub suspend: bool,
}

impl Default for OwnHistory {
    fn default() -> Self {
        Self { enabled: true, factor: 10.0, min_history_days: 5, min_records: 200, suspend: false }
    }
}

/// `[team_baseline]`: the day's total against the mean of the other members of the principal's team.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeamBaseline {
    /// Default true.
    pub enabled: bool,
    /// Fire when the day's total exceeds this multiple of the team's mean daily total. Default 10.
    pub factor: f64,
    /// Other team members with history needed before the rule applies. Default 3.
    pub min_members: u32,
    /// Day totals below this never fire. Default 200.
    pub min_records: u64,
    /// Default false.
    pub suspend: bool,
}

impl Default for TeamBaseline {
    fn default() -> Self {
        Self { enabled: true, factor: 10.0, min_members: 3, min_records: 200, suspend: false }
    }
}

/// `[off_hours]`: allowed access to personal data outside working hours (local time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OffHours {
    /// Default true.
    pub enabled: bool,
    /// Working hours start, `"HH:MM"`. Default `"07:00"`.
    pub start: TimeOfDay,
    /// Working hours end (exclusive), `"HH:MM"`, up to `"24:00"`, after `start`. Default `"22:00"`.
    pub end: TimeOfDay,
    /// Saturdays and Sundays are off hours all day. Default true. Public holidays are not known.
    pub weekends_off: bool,
    /// Default false: overtime is common and rarely malicious.
    pub suspend: bool,
}

impl Default for OffHours {
    fn default() -> Self {
        Self { enabled: true, start: TimeOfDay(7 * 60), end: TimeOfDay(22 * 60), weekends_off: true, suspend: false }
    }
}

/// `[denied_burst]`: `count` denied requests within `window_minutes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeniedBurst {
    /// Default true.
    pub enabled: bool,
    /// Denied requests that make a burst, 1 to 10,000. Default 10.
    pub count: u32,
    /// The burst's span, 1 to 1,440; also the quiet gap that ends it. Default 5.
    pub window_minutes: u32,
    /// Default false.
    pub suspend: bool,
}

impl Default for DeniedBurst {
    fn default() -> Self {
        Self { enabled: true, count: 10, window_minutes: 5, suspend: false }
    }
}

/// `[download_after_expiry]`: an export download attempted after the export expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DownloadAfterExpiry {
    /// Default true.
    pub enabled: bool,
    /// Further attempts within this many minutes of the previous one belong to the same incident, 1 to
    /// 1,440. Default 60.
    pub quiet_minutes: u32,
    /// Default false: usually an old link clicked again.
    pub suspend: bool,
}

impl Default for DownloadAfterExpiry {
    fn default() -> Self {
        Self { enabled: true, quiet_minutes: 60, suspend: false }
    }
}

/// `[honey]` and `[canary_hit]`: tripwires, always on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Tripwire {
    /// Suspend the principal named on the event. Default true: touching a honey record, or using a canary
    /// value from inside, has no innocent explanation, and suspension stops further reads while a person
    /// looks.
    pub suspend: bool,
}

impl Default for Tripwire {
    fn default() -> Self {
        Self { suspend: true }
    }
}

/// A local time of day in minutes since midnight, written `"HH:MM"` (`"00:00"` to `"24:00"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    /// The time `hours:minutes`, if it is between `00:00` and `24:00`.
    pub fn new(hours: u16, minutes: u16) -> Option<Self> {
        (minutes < 60 && (hours < 24 || (hours == 24 && minutes == 0))).then_some(Self(hours * 60 + minutes))
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.0
    }
}

impl std::fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl From<TimeOfDay> for String {
    fn from(t: TimeOfDay) -> Self {
        t.to_string()
    }
}

impl TryFrom<String> for TimeOfDay {
    type Error = TimeOfDayError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl std::str::FromStr for TimeOfDay {
    type Err = TimeOfDayError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || TimeOfDayError::Invalid(s.to_owned());
        let (h, m) = s.split_once(':').ok_or_else(invalid)?;
        let two_digits = |p: &str| (p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok());
        let (Some(Some(h)), Some(Some(m))) = (two_digits(h), two_digits(m)) else {
            return Err(invalid());
        };
        Self::new(h, m).ok_or_else(invalid)
    }
}

/// Error reading a [`TimeOfDay`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeOfDayError {
    /// Not `HH:MM` between `00:00` and `24:00`.
    #[error("`{0}` is not a time of day between `00:00` and `24:00` written `HH:MM`")]
    Invalid(String),
}

/// Error reading the alert configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// Not TOML, an unknown key, or a value of the wrong type.
    #[error("cannot read the alert configuration: {0}")]
    Parse(#[from] toml::de::Error),
    /// A value out of range.
    #[error("`{field}` {reason}")]
    Invalid {
        /// The key, e.g. `own_history.factor`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl Config {
    /// Reads a configuration from TOML, rejecting unknown keys and values out of range.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: Self = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Checks that every value is in range (a [`Detector`] never panics on a bad configuration, but its
    /// rules may then never fire, or fire on everything).
    pub fn validate(&self) -> Result<(), ConfigError> {
        fn invalid(field: &'static str, reason: String) -> Result<(), ConfigError> {
            Err(ConfigError::Invalid { field, reason })
        }
        fn factor(field: &'static str, f: f64) -> Result<(), ConfigError> {
            if f.is_finite() && f >= 1.0 {
                Ok(())
            } else {
                invalid(field, format!("must be a number of at least 1, not `{f}`"))
            }
        }
        fn at_least_one(field: &'static str, n: u64) -> Result<(), ConfigError> {
            if n >= 1 {
                Ok(())
            } else {
                invalid(field, "must be at least 1".to_owned())
            }
        }
        fn within(field: &'static str, n: u32, max: u32) -> Result<(), ConfigError> {
            if (1..=max).contains(&n) {
                Ok(())
            } else {
                invalid(field, format!("must be between 1 and {max}, not `{n}`"))
            }
        }

        if !(-12 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            invalid("utc_offset_minutes", format!("must be between -720 and 840, not `{}`", self.utc_offset_minutes))?;
        }
        within("history_days", self.history_days, 366)?;
        at_least_one("read_rate.per_minute", self.read_rate.per_minute)?;
        at_least_one("read_rate.per_hour", self.read_rate.per_hour)?;
        at_least_one("read_rate.per_day", self.read_rate.per_day)?;
        factor("own_history.factor", self.own_history.factor)?;
        within("own_history.min_history_days", self.own_history.min_history_days, self.history_days)?;
        factor("team_baseline.factor", self.team_baseline.factor)?;
        at_least_one("team_baseline.min_members", u64::from(self.team_baseline.min_members))?;
        if self.off_hours.start >= self.off_hours.end {
            invalid(
                "off_hours.end",
                format!("`{}` must come after `off_hours.start` `{}`", self.off_hours.end, self.off_hours.start),
            )?;
        }
        within("denied_burst.count", self.denied_burst.count, MAX_BURST_COUNT)?;
        within("denied_burst.window_minutes", self.denied_burst.window_minutes, 1_440)?;
        within("download_after_expiry.quiet_minutes", self.download_after_expiry.quiet_minutes, 1_440)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------------
// Events and alerts
// ---------------------------------------------------------------------------------------------------------

/// One access, as the vault logged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unix seconds, UTC.
    pub at: i64,
    /// Who.
    pub principal: String,
    /// The principal's team, for the team baseline (`None` keeps the team last named).
    pub team: Option<String>,
    /// What.
    pub kind: EventKind,
    /// The request was refused.
    pub denied: bool,
    /// Records returned (read, found, exported or downloaded).
    pub records: u32,
}

/// What an [`Event`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// Records read.
    Read,
    /// A search returning records.
    Search,
    /// An export created.
    Export,
    /// An export file downloaded; `expired` if the export had expired when it was attempted.
    Download {
        /// The export had expired.
        expired: bool,
    },
    /// A read that touched a honey record (its `records` count every record read, honey or not).
    Honey,
    /// A canary value from the export `export` was used.
    CanaryHit {
        /// The export the canary was planted in.
        export: String,
    },
    /// Anything else (sign-in, configuration); counts only towards denied bursts.
    Other,
}

impl EventKind {
    /// Records read by an allowed event of this kind count towards the read-rate and history rules. A
    /// download is not counted: its records were counted when the export was made.
    fn reads(&self) -> bool {
        matches!(self, Self::Read | Self::Search | Self::Export | Self::Honey)
    }

    /// An allowed event of this kind is an access to personal data for the off-hours rule.
    fn accesses(&self) -> bool {
        matches!(self, Self::Read | Self::Search | Self::Export | Self::Download { .. } | Self::Honey)
    }
}

/// The rule that raised an [`Alert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Rule {
    /// `read_rate.per_minute` exceeded.
    ReadRateMinute,
    /// `read_rate.per_hour` exceeded.
    ReadRateHour,
    /// `read_rate.per_day` exceeded.
    ReadRateDay,
    /// The day's total far above the principal's own history.
    OwnHistory,
    /// The day's total far above the team's.
    TeamBaseline,
    /// Access outside working hours.
    OffHours,
    /// A burst of denied requests.
    DeniedBurst,
    /// A download of an expired export.
    DownloadAfterExpiry,
    /// A honey record touched.
    Honey,
    /// A canary hit.
    CanaryHit,
    /// A break-glass read outside the orders (raised by the vault, reviewed by a security officer).
    BreakGlass,
    /// A reporting duty of an open incident is due within a day, or overdue.
    IncidentDeadline,
}

/// How urgent an [`Alert`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth a look: off hours.
    Low,
    /// Unusual: history and team baselines, denied bursts, expired downloads.
    Medium,
    /// Probably bulk extraction: absolute read-rate limits.
    High,
    /// A tripwire: honey records and canaries.
    Critical,
}

/// An alert, sent to the webhook as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// The rule that fired.
    pub rule: Rule,
    /// How urgent.
    pub severity: Severity,
    /// Who.
    pub principal: String,
    /// Unix seconds of the event that started the incident.
    pub at: i64,
    /// Counts, thresholds, times and export ids; never personal values.
    pub detail: String,
    /// The vault should suspend the principal (the rule's `suspend` setting).
    pub suspend: bool,
}

// ---------------------------------------------------------------------------------------------------------
// Detector
// ---------------------------------------------------------------------------------------------------------

/// The rules' state: per principal, recent reads, daily totals and open incidents.
#[derive(Debug)]
pub struct Detector {
    config: Config,
    principals: HashMap<String, State>,
    /// Team name → members (principals whose latest event named that team).
    teams: HashMap<String, HashSet<String>>,
    /// Team name → totals over its members' history, for one local day.
    team_cache: HashMap<String, TeamTotals>,
    /// Newest local day seen, to forget idle principals once per day.
    newest_day: Option<i64>,
}

#[derive(Debug, Default)]
struct State {
    team: Option<String>,
    last_at: i64,
    /// (UTC minute, records), ascending, spanning at most a day.
    minutes: VecDeque<(i64, u64)>,
    /// (local day, records), ascending, spanning at most `history_days` + 1 days.
    days: VecDeque<(i64, u64)>,
    /// Per read-rate window: the newest minute at which the window was over its limit.
    rate_over: [Option<i64>; 3],
    own_history_day: Option<i64>,
    team_baseline_day: Option<i64>,
    off_hours_stretch: Option<i64>,
    /// The last `denied_burst.count` denied times, ascending.
    denied: VecDeque<i64>,
    last_denied: Option<i64>,
    burst_open: bool,
    last_expired_download: Option<i64>,
}

#[derive(Debug, Clone, Copy)]
struct TeamTotals {
    day: i64,
    /// Sum of daily totals over all members' active history days.
    sum: u64,
    /// Number of (member, active day) pairs.
    days: u64,
    /// Members with at least one active history day.
    members: u64,
}

/// Sum and number of active days in the history before `day`.
#[derive(Debug, Clone, Copy, Default)]
struct History {
    sum: u64,
    days: u64,
}

impl Detector {
    /// A detector with no history.
    pub fn new(config: Config) -> Self {
        Self { config, principals: HashMap::new(), teams: HashMap::new(), team_cache: HashMap::new(), newest_day: None }
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Adds `records` read by `principal` to its total for the local day containing `at`, without
    /// evaluating any rule: for warming the history rules from the audit log. Days older than
    /// `history_days` before the principal's newest day are ignored.
    pub fn seed_day(&mut self, principal: &str, team: Option<&str>, at: i64, records: u64) {
        let day = self.local_day(at);
        if let Some(team) = team {
            self.join_team(principal, team);
        }
        let keep = i64::from(self.config.history_days) + 1;
        let state = self.principals.entry(principal.to_owned()).or_default();
        state.last_at = state.last_at.max(at);
        add_bucket(&mut state.days, day, records, keep);
        self.team_cache.clear();
    }

    /// Feeds one event and returns the alerts it raises (usually none).
    pub fn observe(&mut self, e: &Event) -> Vec<Alert> {
        let day = self.local_day(e.at);
        self.forget_idle(day, e.at);
        if let Some(team) = &e.team {
            self.join_team(&e.principal, team);
        }

        let mut alerts = Vec::new();
        let config = &self.config;
        let offset = config.utc_offset_minutes;
        let state = self.principals.entry(e.principal.clone()).or_default();
        state.last_at = state.last_at.max(e.at);
        let mut raise = |rule: Rule, severity: Severity, suspend: bool, detail: String| {
            alerts.push(Alert { rule, severity, principal: e.principal.clone(), at: e.at, detail, suspend });
        };

        // Tripwires first: they are the most urgent.
        match &e.kind {
            EventKind::Honey => raise(
                Rule::Honey,
                Severity::Critical,
                config.honey.suspend,
                format!(
                    "honey record touched in {} request at {}",
                    if e.denied { "a denied" } else { "an allowed" },
                    utc(e.at)
                ),
            ),
            EventKind::CanaryHit { export } => raise(
                Rule::CanaryHit,
                Severity::Critical,
                config.canary_hit.suspend,
                format!("canary from export `{export}` hit at {}", utc(e.at)),
            ),
            EventKind::Download { expired: true } if config.download_after_expiry.enabled => {
                let quiet = i64::from(config.download_after_expiry.quiet_minutes) * SECONDS_PER_MINUTE;
                let open = state.last_expired_download.is_some_and(|t| e.at.saturating_sub(t) < quiet);
                state.last_expired_download = Some(state.last_expired_download.map_or(e.at, |t| t.max(e.at)));
                if !open {
                    raise(
                        Rule::DownloadAfterExpiry,
                        Severity::Medium,
                        config.download_after_expiry.suspend,
                        format!(
                            "download of an expired export attempted at {} ({})",
                            utc(e.at),
                            if e.denied { "denied" } else { "allowed" }
                        ),
                    );
                }
            }
            _ => {}
        }

        if e.denied {
            if config.denied_burst.enabled {
                let rule = &config.denied_burst;
                let window = i64::from(rule.window_minutes) * SECONDS_PER_MINUTE;
                let count = usize::try_from(rule.count.max(1)).unwrap_or(usize::MAX);
                if state.last_denied.is_some_and(|t| e.at.saturating_sub(t) >= window) {
                    // A quiet gap of a whole window ends the burst.
                    state.burst_open = false;
                    state.denied.clear();
                }
                state.last_denied = Some(state.last_denied.map_or(e.at, |t| t.max(e.at)));
                let i = state.denied.iter().rposition(|&t| t <= e.at).map_or(0, |i| i + 1);
                state.denied.insert(i, e.at);
                while state.denied.len() > count {
                    state.denied.pop_front();
                }
                if let (false, Some(&first), Some(&last)) =
                    (state.burst_open, state.denied.front(), state.denied.back())
                {
                    if state.denied.len() == count && last.saturating_sub(first) < window {
                        state.burst_open = true;
                        raise(
                            Rule::DeniedBurst,
                            Severity::Medium,
                            rule.suspend,
                            format!(
                                "{count} denied requests between {} and {} (limit {count} in {} minutes)",
                                utc(first),
                                utc(last),
                                rule.window_minutes
                            ),
                        );
                    }
                }
            }
            return alerts;
        }

        if config.off_hours.enabled && e.kind.accesses() {
            if let Some(stretch) = off_hours_stretch(&config.off_hours, offset, e.at) {
                if state.off_hours_stretch != Some(stretch) {
                    state.off_hours_stretch = Some(stretch);
                    raise(
                        Rule::OffHours,
                        Severity::Low,
                        config.off_hours.suspend,
                        format!(
                            "access at {} local time ({}) outside working hours {}–{}{}",
                            local_clock(e.at, offset),
                            utc(e.at),
                            config.off_hours.start,
                            config.off_hours.end,
                            if config.off_hours.weekends_off { " on weekdays" } else { "" }
                        ),
                    );
                }
            }
        }

        if !e.kind.reads() || e.records == 0 {
            return alerts;
        }
        let records = u64::from(e.records);
        let minute = e.at.div_euclid(SECONDS_PER_MINUTE);
        add_bucket(&mut state.minutes, minute, records, MINUTES_PER_DAY);
        add_bucket(&mut state.days, day, records, i64::from(config.history_days) + 1);

        if config.read_rate.enabled {
            let rate = &config.read_rate;
            let windows = [
                (Rule::ReadRateMinute, 1, rate.per_minute, "minute"),
                (Rule::ReadRateHour, MINUTES_PER_HOUR, rate.per_hour, "hour"),
                (Rule::ReadRateDay, MINUTES_PER_DAY, rate.per_day, "day"),
            ];
            for ((rule, width, limit, name), over) in windows.into_iter().zip(state.rate_over.iter_mut()) {
                let sum = window_sum(&state.minutes, minute, width);
                if sum <= limit {
                    continue;
                }
                // The incident stays open until a whole window has passed with no event over the limit.
                let open = over.is_some_and(|m| minute.saturating_sub(m) <= width);
                *over = Some(over.map_or(minute, |m| m.max(minute)));
                if !open {
                    let start = minute.saturating_sub(width - 1).saturating_mul(SECONDS_PER_MINUTE);
                    raise(
                        rule,
                        Severity::High,
                        rate.suspend,
                        format!(
                            "{sum} records read in the {name} from {} to {} (limit {limit})",
                            utc(start),
                            utc(minute.saturating_add(1).saturating_mul(SECONDS_PER_MINUTE))
                        ),
                    );
                }
            }
        }

        let today = state.days.iter().find(|(d, _)| *d == day).map_or(0, |&(_, n)| n);
        let own = history(&state.days, day, config.history_days);
        let history_rule = &config.own_history;
        if history_rule.enabled
            && state.own_history_day != Some(day)
            && today >= history_rule.min_records
            && own.days >= u64::from(history_rule.min_history_days)
        {
            let mean = own.sum as f64 / own.days as f64;
            if today as f64 > history_rule.factor * mean {
                state.own_history_day = Some(day);
                raise(
                    Rule::OwnHistory,
                    Severity::Medium,
                    history_rule.suspend,
                    format!(
                        "{today} records read on the local day of {}, above {} times its mean of {mean:.1} \
                         over {} active day(s)",
                        local_date(e.at, offset),
                        history_rule.factor,
                        own.days
                    ),
                );
            }
        }

        let team_rule = &config.team_baseline;
        let team = match &state.team {
            Some(team)
                if team_rule.enabled && state.team_baseline_day != Some(day) && today >= team_rule.min_records =>
            {
                team.clone()
            }
            _ => return alerts,
        };
        let totals = team_totals(&mut self.team_cache, &self.teams, &self.principals, &team, day, config.history_days);
        let others = History { sum: totals.sum.saturating_sub(own.sum), days: totals.days.saturating_sub(own.days) };
        let other_members = totals.members.saturating_sub(u64::from(own.days > 0));
        if other_members < u64::from(team_rule.min_members) || others.days == 0 {
            return alerts;
        }
        let mean = others.sum as f64 / others.days as f64;
        if today as f64 > team_rule.factor * mean {
            if let Some(state) = self.principals.get_mut(&e.principal) {
                state.team_baseline_day = Some(day);
            }
            alerts.push(Alert {
                rule: Rule::TeamBaseline,
                severity: Severity::Medium,
                principal: e.principal.clone(),
                at: e.at,
                detail: format!(
                    "{today} records read on the local day of {}, above {} times the team's mean of {mean:.1} \
                     ({other_members} other member(s), {} active day(s))",
                    local_date(e.at, offset),
                    team_rule.factor,
                    others.days
                ),
                suspend: team_rule.suspend,
            });
        }
        alerts
    }

    fn local_day(&self, at: i64) -> i64 {
        local_seconds(at, self.config.utc_offset_minutes).div_euclid(SECONDS_PER_DAY)
    }

    fn join_team(&mut self, principal: &str, team: &str) {
        let state = self.principals.entry(principal.to_owned()).or_default();
        if state.team.as_deref() == Some(team) {
            return;
        }
        if let Some(old) = state.team.replace(team.to_owned()) {
            if let Some(members) = self.teams.get_mut(&old) {
                members.remove(principal);
                if members.is_empty() {
                    self.teams.remove(&old);
                }
            }
        }
        self.teams.entry(team.to_owned()).or_default().insert(principal.to_owned());
        self.team_cache.clear();
    }

    /// Once per new local day, forgets principals idle for longer than the history.
    fn forget_idle(&mut self, day: i64, at: i64) {
        if self.newest_day.is_some_and(|d| d >= day) {
            return;
        }
        self.newest_day = Some(day);
        let idle_days = (i64::from(self.config.history_days) + 1).max(MIN_IDLE_DAYS);
        let cutoff = at.saturating_sub(idle_days * SECONDS_PER_DAY);
        let teams = &mut self.teams;
        self.principals.retain(|name, state| {
            let keep = state.last_at >= cutoff;
            if let (false, Some(team)) = (keep, &state.team) {
                if let Some(members) = teams.get_mut(team) {
                    members.remove(name);
                }
            }
            keep
        });
        self.teams.retain(|_, members| !members.is_empty());
        self.team_cache.clear();
    }
}

/// Totals over every member's history before `day`, computed once per team and day.
fn team_totals(
    cache: &mut HashMap<String, TeamTotals>,
    teams: &HashMap<String, HashSet<String>>,
    principals: &HashMap<String, State>,
    team: &str,
    day: i64,
    history_days: u32,
) -> TeamTotals {
    if let Some(totals) = cache.get(team).filter(|t| t.day == day) {
        return *totals;
    }
    let mut totals = TeamTotals { day, sum: 0, days: 0, members: 0 };
    for state in teams.get(team).into_iter().flatten().filter_map(|member| principals.get(member)) {
        let h = history(&state.days, day, history_days);
        totals.sum = totals.sum.saturating_add(h.sum);
        totals.days += h.days;
        totals.members += u64::from(h.days > 0);
    }
    cache.insert(team.to_owned(), totals);
    totals
}

/// Adds `n` to the bucket `key` of an ascending bucket list that keeps the `keep` newest keys. A key older
/// than that is dropped.
fn add_bucket(buckets: &mut VecDeque<(i64, u64)>, key: i64, n: u64, keep: i64) {
    if buckets.back().is_some_and(|&(newest, _)| key <= newest.saturating_sub(keep)) {
        return;
    }
    match buckets.iter().rposition(|&(k, _)| k <= key) {
        Some(i) => match buckets.get_mut(i) {
            Some((k, total)) if *k == key => *total = total.saturating_add(n),
            _ => buckets.insert(i + 1, (key, n)),
        },
        None => buckets.push_front((key, n)),
    }
    let Some(&(newest, _)) = buckets.back() else { return };
    while buckets.front().is_some_and(|&(k, _)| k <= newest.saturating_sub(keep)) {
        buckets.pop_front();
    }
}

/// Records in the `width` minutes ending with `minute`.
fn window_sum(minutes: &VecDeque<(i64, u64)>, minute: i64, width: i64) -> u64 {
    let first = minute.saturating_sub(width - 1);
    minutes.iter().filter(|&&(m, _)| (first..=minute).contains(&m)).fold(0, |sum, &(_, n)| sum.saturating_add(n))
}

/// Active days (total above zero) among the `history_days` local days before `day`.
fn history(days: &VecDeque<(i64, u64)>, day: i64, history_days: u32) -> History {
    let first = day.saturating_sub(i64::from(history_days));
    days.iter()
        .filter(|&&(d, n)| d >= first && d < day && n > 0)
        .fold(History::default(), |h, &(_, n)| History { sum: h.sum.saturating_add(n), days: h.days + 1 })
}

fn local_seconds(at: i64, offset_minutes: i32) -> i64 {
    at.saturating_add(i64::from(offset_minutes) * SECONDS_PER_MINUTE)
}

/// Monday is 0. 1970-01-01 was a Thursday.
fn weekday(day: i64) -> i64 {
    (day + 3).rem_euclid(7)
}

/// If `at` is off hours, the local minute at which that off-hours stretch began (the end of the last
/// working day); `None` during working hours.
fn off_hours_stretch(rule: &OffHours, offset_minutes: i32, at: i64) -> Option<i64> {
    let minute = local_seconds(at, offset_minutes).div_euclid(SECONDS_PER_MINUTE);
    let (day, of_day) = (minute.div_euclid(MINUTES_PER_DAY), minute.rem_euclid(MINUTES_PER_DAY));
    let (start, end) = (i64::from(rule.start.minutes()), i64::from(rule.end.minutes()));
    let working_day = |d: i64| !rule.weekends_off || weekday(d) < 5;
    if working_day(day) && (start..end).contains(&of_day) {
        return None;
    }
    if working_day(day) && of_day >= end {
        return Some(day * MINUTES_PER_DAY + end);
    }
    // Before the start of a working day, or on a day off: the stretch began at the last working day's end.
    let last = (1..=7).map(|k| day - k).find(|&d| working_day(d)).unwrap_or(day);
    Some(last * MINUTES_PER_DAY + end)
}

/// Year, month, day of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's `civil_from_days`).
pub(crate) fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// RFC 3339 UTC time to the second.
fn utc(at: i64) -> String {
    let (y, mo, d) = civil(at.div_euclid(SECONDS_PER_DAY));
    let s = at.rem_euclid(SECONDS_PER_DAY);
    format!("{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z", s / 3_600, s / 60 % 60, s % 60)
}

/// Local date, `YYYY-MM-DD`.
fn local_date(at: i64, offset_minutes: i32) -> String {
    let (y, m, d) = civil(local_seconds(at, offset_minutes).div_euclid(SECONDS_PER_DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Local wall-clock time with its offset, `HH:MM+09:00`.
fn local_clock(at: i64, offset_minutes: i32) -> String {
    let s = local_seconds(at, offset_minutes).rem_euclid(SECONDS_PER_DAY);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.unsigned_abs();
    format!("{:02}:{:02}{sign}{:02}:{:02}", s / 3_600, s / 60 % 60, off / 60, off % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-06-04T00:00:00Z, a Tuesday (09:00 in Japan).
    const TUESDAY_UTC: i64 = 1_717_459_200;

    /// Unix time of `h:m` Japan time on 2024-06-04 plus `day` days.
    fn jst(day: i64, h: i64, m: i64) -> i64 {
        TUESDAY_UTC - 9 * 3_600 + day * SECONDS_PER_DAY + h * 3_600 + m * 60
    }

    fn event(at: i64, principal: &str, kind: EventKind, records: u32) -> Event {
        Event { at, principal: principal.to_owned(), team: None, kind, denied: false, records }
    }

    fn read(at: i64, principal: &str, records: u32) -> Event {
        event(at, principal, EventKind::Read, records)
    }

    fn rules(alerts: &[Alert]) -> Vec<Rule> {
        alerts.iter().map(|a| a.rule).collect()
    }

    /// Feeds `events`; returns (index of the event, alert) for every alert of `rule`.
    fn fired(detector: &mut Detector, events: &[Event], rule: Rule) -> Vec<(usize, Alert)> {
        let mut out = Vec::new();
        for (i, e) in events.iter().enumerate() {
            out.extend(detector.observe(e).into_iter().filter(|a| a.rule == rule).map(|a| (i, a)));
        }
        out
    }

    fn indices(fired: &[(usize, Alert)]) -> Vec<usize> {
        fired.iter().map(|(i, _)| *i).collect()
    }

    fn only(rule: Rule) -> Config {
        let mut c = Config::default();
        c.read_rate.enabled = rule == Rule::ReadRateMinute || rule == Rule::ReadRateHour || rule == Rule::ReadRateDay;
        c.own_history.enabled = rule == Rule::OwnHistory;
        c.team_baseline.enabled = rule == Rule::TeamBaseline;
        c.off_hours.enabled = rule == Rule::OffHours;
        c.denied_burst.enabled = rule == Rule::DeniedBurst;
        c.download_after_expiry.enabled = rule == Rule::DownloadAfterExpiry;
        c
    }

    #[test]
    fn per_minute_limit_fires_at_the_101st_record_once_per_incident() {
        let mut d = Detector::new(Config::default());
        let start = jst(0, 10, 0);
        // 101 single-record reads within one UTC minute: the 100th is at the limit, the 101st over it.
        let first: Vec<Event> = (0..101).map(|i| read(start + i / 2, "alice", 1)).collect();
        let mut all = Vec::new();
        for (i, e) in first.iter().enumerate() {
            let alerts = d.observe(e);
            if i < 100 {
                assert!(alerts.is_empty(), "record {} raised {alerts:?}", i + 1);
            } else {
                assert_eq!(rules(&alerts), [Rule::ReadRateMinute]);
                all.extend(alerts);
            }
        }
        // Nine more minutes at 150 a minute: the same incident.
        for minute in 1..10 {
            for i in 0..150 {
                all.extend(d.observe(&read(start + minute * 60 + i / 3, "alice", 1)));
            }
        }
        assert_eq!(all.len(), 1, "{all:?}");
        let alert = all.first().cloned();
        assert_eq!(alert.as_ref().map(|a| (a.severity, a.suspend, a.at)), Some((Severity::High, false, start + 50)));
        assert!(alert.is_some_and(|a| a.detail.contains("101 records") && a.detail.contains("limit 100")));

        // Minute 10 stays below the limit; a whole quiet minute ends the incident, so minute 11 fires again.
        for i in 0..50 {
            assert!(d.observe(&read(start + 600 + i, "alice", 1)).is_empty());
        }
        let again =
            fired(&mut d, &[read(start + 660, "alice", 60), read(start + 661, "alice", 41)], Rule::ReadRateMinute);
        assert_eq!(indices(&again), [1]);
    }

    #[test]
    fn per_minute_limit_is_per_principal() {
        let mut d = Detector::new(Config::default());
        let at = jst(0, 10, 0);
        assert!(d.observe(&read(at, "alice", 100)).is_empty());
        assert!(d.observe(&read(at, "bob", 100)).is_empty());
        assert_eq!(rules(&d.observe(&read(at + 1, "bob", 1))), [Rule::ReadRateMinute]);
    }

    #[test]
    fn hourly_limit_slides_and_fires_once_while_the_rate_stays_high() {
        let mut c = only(Rule::ReadRateHour);
        c.read_rate.per_hour = 500;
        let mut d = Detector::new(c);
        // 10 records a minute for three hours: the hour passes 500 at the 51st minute and stays at 600.
        let events: Vec<Event> = (0..180).map(|m| read(jst(0, 9, 0) + m * 60, "alice", 10)).collect();
        let hour = fired(&mut d, &events, Rule::ReadRateHour);
        assert_eq!(indices(&hour), [50]);
        assert!(hour.first().is_some_and(|(_, a)| a.detail.contains("510 records")));
    }

    #[test]
    fn daily_limit_counts_the_sliding_day() {
        let mut c = only(Rule::ReadRateDay);
        c.read_rate.per_day = 1_000;
        let mut d = Detector::new(c);
        // 100 records every hour, around the clock for two days: the 11th read passes 1,000 and the sliding
        // day then stays at 2,400.
        let events: Vec<Event> = (0..48).map(|h| read(jst(0, 0, 30) + h * 3_600, "alice", 100)).collect();
        assert_eq!(indices(&fired(&mut d, &events, Rule::ReadRateDay)), [10]);
    }

    #[test]
    fn normal_work_spread_over_the_day_raises_nothing() {
        let mut d = Detector::new(Config::default());
        let team = ["aiko", "daichi", "emi", "haruto", "kenta"];
        // Three weeks of weekdays, 09:00 to 18:00 Japan time, a handful of records every five minutes.
        for day in 0..21 {
            if weekday(d.local_day(jst(day, 12, 0))) >= 5 {
                continue;
            }
            for slot in 0..108 {
                for (i, who) in team.iter().enumerate() {
                    let mut e = read(jst(day, 9, 0) + slot * 300 + i as i64 * 7, who, 3 + (slot % 5) as u32);
                    e.team = Some("support".to_owned());
                    if slot % 20 == 0 {
                        e.kind = EventKind::Search;
                    }
                    let alerts = d.observe(&e);
                    assert!(alerts.is_empty(), "day {day} slot {slot}: {alerts:?}");
                }
            }
        }
    }

    #[test]
    fn own_history_fires_on_a_jump_from_50_to_2000_a_day_but_not_for_a_heavy_reader() {
        let mut d = Detector::new(only(Rule::OwnHistory));
        // "light" builds 14 days of 50 a day through observe; "heavy" is seeded with 2,000 a day.
        for day in 0..14 {
            assert!(d.observe(&read(jst(day, 10, 0), "light", 50)).is_empty());
            d.seed_day("heavy", None, jst(day, 12, 0), 2_000);
        }
        let today: Vec<Event> = (0..40).map(|m| read(jst(14, 10, m), "light", 50)).collect();
        let light = fired(&mut d, &today, Rule::OwnHistory);
        // Mean 50, factor 10: 550 > 500 at the 11th read, and only once that day.
        assert_eq!(indices(&light), [10]);
        assert!(light
            .first()
            .is_some_and(|(_, a)| a.detail.contains("550 records") && a.detail.contains("mean of 50.0")));
        let heavy: Vec<Event> = (0..40).map(|m| read(jst(14, 10, m), "heavy", 50)).collect();
        assert!(fired(&mut d, &heavy, Rule::OwnHistory).is_empty());
    }

    #[test]
    fn own_history_needs_enough_history_and_the_floor() {
        let mut d = Detector::new(only(Rule::OwnHistory));
        for day in 0..4 {
            d.seed_day("new", None, jst(day, 10, 0), 50);
            d.seed_day("quiet", None, jst(day, 10, 0), 2);
            d.seed_day("quiet", None, jst(day + 4, 10, 0), 2);
        }
        // Four active days are fewer than the five needed.
        assert!(d.observe(&read(jst(4, 10, 0), "new", 2_000)).is_empty());
        // 150 is 75 times the mean of 2, but below the floor of 200; 201 is not.
        assert!(d.observe(&read(jst(8, 10, 0), "quiet", 150)).is_empty());
        assert_eq!(rules(&d.observe(&read(jst(8, 10, 1), "quiet", 51))), [Rule::OwnHistory]);
    }

    #[test]
    fn team_baseline_fires_for_a_newcomer_far_above_the_team() {
        let mut d = Detector::new(only(Rule::TeamBaseline));
        for day in 0..14 {
            for who in ["ren", "sora", "yui", "kai"] {
                d.seed_day(who, Some("sales"), jst(day, 10, 0), 100);
            }
            d.seed_day("riku", Some("audit"), jst(day, 10, 0), 100);
        }
        let team = |who: &str, m: i64| Event { team: Some("sales".to_owned()), ..read(jst(14, 10, m), who, 100) };
        // The team's mean is 100 a day: the newcomer's 11th read of 100 passes 10 × 100.
        let newcomer: Vec<Event> = (0..15).map(|m| team("hina", m)).collect();
        let hina = fired(&mut d, &newcomer, Rule::TeamBaseline);
        assert_eq!(indices(&hina), [10]);
        assert!(hina.first().is_some_and(|(_, a)| a.detail.contains("4 other member(s)")));
        // A member at five times the usual does not fire.
        let member: Vec<Event> = (0..5).map(|m| team("ren", m)).collect();
        assert!(fired(&mut d, &member, Rule::TeamBaseline).is_empty());
        // A team with one other member is too small for a baseline.
        let mut lone = read(jst(14, 11, 0), "mio", 5_000);
        lone.team = Some("audit".to_owned());
        assert!(d.observe(&lone).is_empty());
    }

    #[test]
    fn off_hours_uses_japan_time_and_fires_once_per_night() {
        let mut d = Detector::new(only(Rule::OffHours));
        // 10:00 Japan time on a Tuesday is working time.
        assert!(d.observe(&read(TUESDAY_UTC + 3_600, "kaito", 5)).is_empty());
        // 14:30 UTC is 23:30 in Japan.
        let night = TUESDAY_UTC + 14 * 3_600 + 30 * 60;
        let alerts = d.observe(&read(night, "kaito", 5));
        assert_eq!(rules(&alerts), [Rule::OffHours]);
        let alert = alerts.first().cloned();
        assert!(alert
            .as_ref()
            .is_some_and(|a| a.detail.contains("23:30+09:00") && a.detail.contains("2024-06-04T14:30:00Z")));
        assert_eq!(alert.map(|a| (a.severity, a.suspend)), Some((Severity::Low, false)));
        // The same night, before and after midnight: the same incident.
        assert!(d.observe(&read(jst(0, 23, 45), "kaito", 5)).is_empty());
        assert!(d.observe(&read(jst(1, 6, 30), "kaito", 5)).is_empty());
        // Back at work at 07:30, then the next night is a new incident.
        assert!(d.observe(&read(jst(1, 7, 30), "kaito", 5)).is_empty());
        assert_eq!(rules(&d.observe(&read(jst(1, 22, 10), "kaito", 5))), [Rule::OffHours]);
        // A denied request accessed nothing; an access on Saturday morning is off hours.
        let mut denied = read(jst(3, 23, 0), "mei", 5);
        denied.denied = true;
        assert!(d.observe(&denied).is_empty());
        assert_eq!(rules(&d.observe(&read(jst(4, 10, 0), "mei", 5))), [Rule::OffHours]);
    }

    #[test]
    fn off_hours_weekends_and_suspend_follow_the_config() {
        let mut c = only(Rule::OffHours);
        c.off_hours.weekends_off = false;
        c.off_hours.suspend = true;
        let mut d = Detector::new(c);
        assert!(d.observe(&read(jst(4, 10, 0), "mei", 5)).is_empty());
        let alerts = d.observe(&read(jst(4, 5, 0), "mei", 5));
        assert_eq!(alerts.iter().map(|a| (a.rule, a.suspend)).collect::<Vec<_>>(), [(Rule::OffHours, true)]);
    }

    #[test]
    fn denied_burst_fires_once_per_burst_and_again_after_a_quiet_gap() {
        let mut c = only(Rule::DeniedBurst);
        c.denied_burst.count = 5;
        c.denied_burst.window_minutes = 5;
        let mut d = Detector::new(c);
        let denied = |at: i64| Event { denied: true, ..read(at, "sho", 0) };
        let start = jst(0, 10, 0);
        // Eight denials 20 s apart: the fifth completes the burst, the rest belong to it.
        let first: Vec<Event> = (0..8).map(|i| denied(start + i * 20)).collect();
        assert_eq!(indices(&fired(&mut d, &first, Rule::DeniedBurst)), [4]);
        // Six quiet minutes end it; the next five denials are a second burst.
        let second: Vec<Event> = (0..5).map(|i| denied(start + 140 + 360 + i * 20)).collect();
        assert_eq!(indices(&fired(&mut d, &second, Rule::DeniedBurst)), [4]);
        // One denial every two minutes never puts five within five minutes.
        let slow: Vec<Event> = (0..20).map(|i| denied(jst(1, 10, 0) + i * 120)).collect();
        assert!(fired(&mut d, &slow, Rule::DeniedBurst).is_empty());
    }

    #[test]
    fn download_after_expiry_fires_once_per_incident() {
        let mut d = Detector::new(only(Rule::DownloadAfterExpiry));
        let download = |at: i64, expired: bool| event(at, "nao", EventKind::Download { expired }, 0);
        assert!(d.observe(&download(jst(0, 10, 0), false)).is_empty());
        let alerts = d.observe(&Event { denied: true, ..download(jst(0, 10, 1), true) });
        assert_eq!(
            alerts.iter().map(|a| (a.rule, a.severity, a.suspend)).collect::<Vec<_>>(),
            [(Rule::DownloadAfterExpiry, Severity::Medium, false)]
        );
        assert!(d.observe(&download(jst(0, 10, 11), true)).is_empty());
        assert_eq!(rules(&d.observe(&download(jst(0, 12, 30), true))), [Rule::DownloadAfterExpiry]);
    }

    #[test]
    fn honey_and_canary_always_fire_critical() {
        // Every other rule off: the tripwires cannot be switched off.
        let mut c = only(Rule::Honey);
        c.read_rate.enabled = false;
        let mut d = Detector::new(c.clone());
        let honey = event(jst(0, 10, 0), "taro", EventKind::Honey, 3);
        for _ in 0..2 {
            let alerts = d.observe(&honey);
            assert_eq!(
                alerts.iter().map(|a| (a.rule, a.severity, a.suspend)).collect::<Vec<_>>(),
                [(Rule::Honey, Severity::Critical, true)]
            );
        }
        assert_eq!(rules(&d.observe(&Event { denied: true, ..honey.clone() })), [Rule::Honey]);
        let canary = event(jst(0, 10, 5), "taro", EventKind::CanaryHit { export: "exp-42".to_owned() }, 0);
        let alerts = d.observe(&canary);
        assert_eq!(
            alerts.iter().map(|a| (a.rule, a.severity, a.suspend)).collect::<Vec<_>>(),
            [(Rule::CanaryHit, Severity::Critical, true)]
        );
        assert!(alerts.first().is_some_and(|a| a.detail.contains("`exp-42`")));

        c.honey.suspend = false;
        c.canary_hit.suspend = false;
        let mut d = Detector::new(c);
        assert!(d.observe(&honey).iter().chain(d.observe(&canary).iter()).all(|a| !a.suspend));
        assert_eq!(d.observe(&honey).len(), 1);
    }

    #[test]
    fn suspend_flags_follow_the_config() {
        let mut c = Config::default();
        c.read_rate.suspend = true;
        let mut d = Detector::new(c);
        let alerts = d.observe(&read(jst(0, 10, 0), "alice", 101));
        assert_eq!(alerts.iter().map(|a| (a.rule, a.suspend)).collect::<Vec<_>>(), [(Rule::ReadRateMinute, true)]);
        let defaults = Config::default();
        assert!(defaults.honey.suspend && defaults.canary_hit.suspend);
        assert!(!defaults.off_hours.suspend && !defaults.read_rate.suspend && !defaults.denied_burst.suspend);
    }

    #[test]
    fn alerts_serialise_with_snake_case_names() {
        let mut d = Detector::new(Config::default());
        let alerts = d.observe(&read(jst(0, 10, 0), "alice", 101));
        let json = serde_json::to_value(&alerts).ok();
        assert_eq!(json.as_ref().and_then(|j| j.pointer("/0/rule")).and_then(|v| v.as_str()), Some("read_rate_minute"));
        assert_eq!(json.as_ref().and_then(|j| j.pointer("/0/severity")).and_then(|v| v.as_str()), Some("high"));
        assert_eq!(json.as_ref().and_then(|j| j.pointer("/0/principal")).and_then(|v| v.as_str()), Some("alice"));
    }

    #[test]
    fn memory_stays_bounded_over_days_of_reading() {
        let c = Config {
            history_days: 3,
            own_history: OwnHistory { min_history_days: 3, ..OwnHistory::default() },
            ..Config::default()
        };
        let mut d = Detector::new(c);
        for minute in 0..(5 * MINUTES_PER_DAY) {
            d.observe(&read(jst(0, 0, 0) + minute * 60, "bot", 1));
        }
        let state = d.principals.get("bot");
        assert!(state.is_some_and(|s| s.minutes.len() == 1_440 && s.days.len() == 4));
        // Idle principals are forgotten once their history is over.
        d.observe(&read(jst(20, 10, 0), "other", 1));
        assert!(!d.principals.contains_key("bot"));
    }

    #[test]
    fn slightly_late_events_count_in_their_own_minute() {
        let mut d = Detector::new(only(Rule::ReadRateMinute));
        let at = jst(0, 10, 0);
        assert!(d.observe(&read(at + 60, "alice", 100)).is_empty());
        assert!(d.observe(&read(at, "alice", 100)).is_empty());
        assert_eq!(rules(&d.observe(&read(at + 5, "alice", 1))), [Rule::ReadRateMinute]);
    }

    #[test]
    fn config_reads_toml_with_defaults_for_absent_sections() {
        assert_eq!(Config::from_toml("").ok(), Some(Config::default()));
        let c = Config::from_toml(
            r#"
            utc_offset_minutes = 0
            history_days = 30

            [read_rate]
            per_minute = 50
            suspend = true

            [off_hours]
            start = "08:30"
            end = "24:00"
            weekends_off = false

            [honey]
            suspend = false
            "#,
        );
        let c = c.ok();
        assert_eq!(c.as_ref().map(|c| (c.utc_offset_minutes, c.history_days)), Some((0, 30)));
        assert_eq!(
            c.as_ref().map(|c| (c.read_rate.per_minute, c.read_rate.per_hour, c.read_rate.suspend)),
            Some((50, 2_000, true))
        );
        assert_eq!(c.as_ref().map(|c| (c.off_hours.start.minutes(), c.off_hours.end.minutes())), Some((510, 1_440)));
        assert_eq!(c.as_ref().map(|c| (c.honey.suspend, c.canary_hit.suspend)), Some((false, true)));
    }

    #[test]
    fn config_rejects_unknown_keys_and_nonsense() {
        let parse = |text: &str| Config::from_toml(text);
        assert!(matches!(parse("[read_rate]\nper_second = 5"), Err(ConfigError::Parse(_))));
        assert!(matches!(parse("[honey]\nenabled = false"), Err(ConfigError::Parse(_))));
        assert!(matches!(parse("[off_hours]\nstart = \"25:00\""), Err(ConfigError::Parse(_))));
        assert!(matches!(parse("[off_hours]\nstart = \"7:00\""), Err(ConfigError::Parse(_))));
        assert!(matches!(parse("[denied_burst]\ncount = -1"), Err(ConfigError::Parse(_))));
        let invalid = |text: &str| match parse(text) {
            Err(ConfigError::Invalid { field, .. }) => Some(field),
            _ => None,
        };
        assert_eq!(invalid("[own_history]\nfactor = 0.5"), Some("own_history.factor"));
        assert_eq!(invalid("[team_baseline]\nfactor = nan"), Some("team_baseline.factor"));
        assert_eq!(invalid("[denied_burst]\nwindow_minutes = 0"), Some("denied_burst.window_minutes"));
        assert_eq!(invalid("[read_rate]\nper_minute = 0"), Some("read_rate.per_minute"));
        assert_eq!(invalid("[off_hours]\nstart = \"22:00\"\nend = \"07:00\""), Some("off_hours.end"));
        assert_eq!(invalid("utc_offset_minutes = 1000"), Some("utc_offset_minutes"));
        assert_eq!(invalid("history_days = 0"), Some("history_days"));
        assert_eq!(invalid("[own_history]\nmin_history_days = 15"), Some("own_history.min_history_days"));
        let message = parse("[own_history]\nfactor = 0.5").err().map(|e| e.to_string());
        assert_eq!(message.as_deref(), Some("`own_history.factor` must be a number of at least 1, not `0.5`"));
    }

    #[test]
    fn times_of_day_parse_and_print() {
        assert_eq!("07:05".parse::<TimeOfDay>().ok().map(TimeOfDay::minutes), Some(425));
        assert_eq!(TimeOfDay::new(24, 0).map(|t| t.to_string()).as_deref(), Some("24:00"));
        for bad in ["24:01", "12:60", "1200", "12:5", "ab:cd", "+1:00"] {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad}");
        }
        assert_eq!(utc(TUESDAY_UTC), "2024-06-04T00:00:00Z");
        assert_eq!(local_clock(TUESDAY_UTC, -330), "18:30-05:30");
    }
}
