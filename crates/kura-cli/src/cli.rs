//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// kura — a personal-data vault.
///
/// Stores customer personal data encrypted field by field under per-person keys, finds it through keyed blind
/// indexes over normalised values, and erases a person by destroying their key.
///
/// The vault lives in a directory (`--vault`, default `./kura-vault`); the root key in a passphrase-protected
/// key file (`--key-file`, default `<vault>/root.key`; keep it on other storage than the database). The
/// passphrase is read from `KURA_PASSPHRASE` or prompted for.
#[derive(Debug, Parser)]
#[command(name = "kura", version, propagate_version = true, max_term_width = 110)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// Vault directory (configuration, SQLite files, default key file location).
    #[arg(long, global = true, env = "KURA_VAULT", default_value = "kura-vault")]
    pub vault: PathBuf,
    /// Key file holding the passphrase-protected root key [default: the one named at `kura init`].
    #[arg(long, global = true, env = "KURA_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Sign in as this person (password from `KURA_PASSWORD` and TOTP code from `KURA_TOTP_CODE`, or
    /// prompts). Without it, `KURA_TOKEN` (a session token from `kura login`, or a service's API token) signs
    /// in; without either, commands run as the custodian, who reads no personal data.
    #[arg(long = "as", global = true, env = "KURA_PRINCIPAL", value_name = "NAME")]
    pub sign_in_as: Option<String>,
    /// Do not show progress bars.
    #[arg(long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new vault and its key file.
    Init(InitArgs),
    /// Create, list and show collections.
    #[command(subcommand)]
    Collection(CollectionCmd),
    /// Import a CSV file into a collection (all or nothing by default).
    Import(ImportArgs),
    /// Read one record.
    Get(GetArgs),
    /// Find records by exact match on a searchable field (normalised: any notation of the value matches).
    Find(FindArgs),
    /// Change fields of one record.
    Update(UpdateArgs),
    /// Show the card number behind a card token (for staff allowed to see full numbers).
    Detokenise(DetokeniseArgs),
    /// Erase one person by destroying their key (crypto-shredding).
    Erase(EraseArgs),
    /// Write synthetic, realistic personal data as CSV.
    #[command(subcommand)]
    Generate(GenerateCmd),
    /// Cedar policies: show the default, validate a file, run policy test cases.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// People and service accounts: roles, assigned companies, passwords, TOTP, API tokens.
    #[command(subcommand)]
    Principal(PrincipalCmd),
    /// Sign in with password and TOTP code; prints a session token for `KURA_TOKEN`.
    Login(LoginArgs),
    /// End the session whose token is in `KURA_TOKEN`.
    Logout,
    /// The tamper-evident access log: checkpoints, verification, proofs, witnesses, questions.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Scan files for plaintext personal values taken from a CSV (what a thief of the files would see).
    Scan(ScanArgs),
    /// Tell the whole story on synthetic data, in a fresh directory.
    Demo(DemoArgs),
    /// Measure import and lookup speed against baselines measured in the same run.
    Bench(BenchArgs),
    /// Serve the HTTP API (records, sessions, principals, policies, audit) until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Governed exports and print jobs: request, approve or deny, download, attest disposal.
    #[command(subcommand)]
    Export(ExportCmd),
    /// Trace a leak (CSV, TSV, JSON, SQL dump or letters typed as text) to the export and people it came
    /// from (security officers).
    Trace(TraceArgs),
    /// Alerts: list them, show or set the anomaly rules.
    #[command(subcommand)]
    Alerts(AlertsCmd),
    /// Canary contact points: report a hit (mail, a call or an e-mail reached one).
    #[command(subcommand)]
    Canary(CanaryCmd),
    /// Honey records: synthetic people in the live vault that no legitimate work touches.
    #[command(subcommand)]
    Honey(HoneyCmd),
    /// Service-desk orders: take, assign, move, escalate; read personal data through an order; break-glass.
    #[command(subcommand)]
    Order(OrderCmd),
    /// The service desk's reports from its orders and the access log (security officers and auditors).
    #[command(subcommand)]
    Desk(DeskCmd),
    /// Incident response: scope, exposure from the access log, reporting duties and deadlines, report drafts,
    /// the notice list (security officers; auditors read).
    #[command(subcommand)]
    Incident(IncidentCmd),
}

/// Why an incident command accesses the vault. Commands about one incident default to its id.
#[derive(Debug, Args)]
pub struct IncidentPurposeArg {
    /// Why you access the vault: a case or ticket number [default: the incident's id, for commands about one
    /// incident].
    #[arg(long, env = "KURA_PURPOSE")]
    pub purpose: Option<String>,
    /// What kind of work it is.
    #[arg(long, env = "KURA_PURPOSE_KIND", default_value = kura::vault::DEFAULT_PURPOSE_KIND)]
    pub purpose_kind: String,
}

/// What kind of incident it is, which decides what "exposed" means.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ScenarioArg {
    /// Personal data read through the vault by principals in scope (an insider, a stolen token).
    Access,
    /// Exported files left the organisation (e.g. a leak traced to an export).
    Export,
    /// A copy of the database files was taken: exposed is what is readable without the keys.
    StolenDatabase,
}

/// The notice list's file format.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum NoticeFormatArg {
    /// CSV, UTF-8 with BOM.
    CsvUtf8,
    /// CSV, Shift_JIS/CP932 (Japanese Excel).
    CsvShiftJis,
    /// Excel workbook.
    Xlsx,
}

/// A report draft's file format.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, PartialOrd, Ord)]
pub enum DraftFormatArg {
    /// Markdown (CommonMark with pipe tables).
    Md,
    /// One self-contained HTML file (no scripts, no outside resources).
    Html,
    /// A4 PDF in a Japanese font, embedded as a subset.
    Pdf,
}

/// `open`, `reported` or `closed`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IncidentStatusArg {
    /// Being investigated.
    Open,
    /// A report has gone out; amendments may follow.
    Reported,
    /// The final report is out.
    Closed,
}

/// Times (`--from`, `--to`, `--detected-at`, `--learned-at`, `--at`) are RFC 3339 (`2026-11-28T10:00:00+09:00`,
/// `2026-11-28T01:00:00Z`) or `YYYY-MM-DD HH:MM` in Japan time.
#[derive(Debug, Subcommand)]
pub enum IncidentCmd {
    /// Open an incident: its scope (collections, principals, exports, a time window, or the files of a stolen
    /// copy of the database) and when it was detected and learned of (the start of every deadline). Prints the
    /// id.
    ///
    /// Without --scenario: `stolen-database` if --copy or --keys-separate is given, `export` if --export is,
    /// else `access`. A stolen database without --copy is taken to be this vault's own directory.
    Open {
        /// A collection whose people are concerned. Repeatable (a stolen database usually holds them all).
        #[arg(long = "collection", required_unless_present = "from_trace")]
        collections: Vec<String>,
        /// The JSON report of `kura trace --json`: its collection, the exports it accused, and its time as the
        /// detection time (unless --detected-at is given).
        #[arg(long, value_name = "FILE")]
        from_trace: Option<PathBuf>,
        /// A short title, without personal data.
        #[arg(long)]
        title: String,
        /// A principal whose accesses are in scope. Repeatable.
        #[arg(long = "principal", value_name = "NAME")]
        principals: Vec<String>,
        /// An export whose files are in scope (e.g. from `kura trace`). Repeatable.
        #[arg(long = "export", value_name = "ID")]
        exports: Vec<String>,
        /// Start of the time window in scope.
        #[arg(long, value_name = "TIME", requires = "to")]
        from: Option<String>,
        /// End of the time window in scope (included).
        #[arg(long, value_name = "TIME", requires = "from")]
        to: Option<String>,
        /// When it was detected [default: now].
        #[arg(long, value_name = "TIME")]
        detected_at: Option<String>,
        /// When the organisation learned of it (覚知), from which every deadline runs [default: now].
        #[arg(long, value_name = "TIME")]
        learned_at: Option<String>,
        /// It was, or may have been, done with an unauthorised purpose (不正の目的: theft, misuse, an attack).
        #[arg(long)]
        unauthorised: bool,
        /// The kind of incident [default: inferred, see above].
        #[arg(long, value_enum)]
        scenario: Option<ScenarioArg>,
        /// A file of the stolen copy (database, WAL, backup). Repeatable [default: the vault's own files].
        #[arg(long = "copy", value_name = "FILE")]
        copy: Vec<PathBuf>,
        /// For a stolen database: the keys were kept apart from it (a key file or HSM elsewhere).
        #[arg(long)]
        keys_separate: bool,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Every incident, oldest first (security officers and auditors).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// One incident: status, scope, which statements are present, notes, report versions, history.
    Show {
        /// The incident id (`INC-…`).
        id: String,
        /// Print the stored incident as JSON (with the statements' and notes' text).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        purpose: IncidentPurposeArg,
    },
    /// Whose data is out, computed from the access log: did view against could have viewed, by company, by
    /// class, per field (plain or masked), EU data subjects, honey records and canaries, the timeline.
    Exposure {
        /// The incident id.
        id: String,
        /// Print JSON (counts and timeline; no record ids).
        #[arg(long)]
        json: bool,
        /// Write the exposed people's record ids here, one per line (a new file, mode 0600).
        #[arg(long, value_name = "FILE")]
        subjects: Option<PathBuf>,
        #[command(flatten)]
        purpose: IncidentPurposeArg,
    },
    /// The reporting duties (APPI, GDPR, PCI DSS): every step, whether required and why, and the deadline in
    /// Japan time with the time left.
    Duties {
        /// The incident id.
        id: String,
        /// Print JSON (the assessment).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        purpose: IncidentPurposeArg,
    },
    /// Add an entry to the incident's timeline (kept sealed; the log says only that a note was added).
    Note {
        /// The incident id.
        id: String,
        /// When it happened.
        #[arg(long, value_name = "TIME")]
        at: String,
        /// What happened (no personal data; at most 4,000 characters).
        #[arg(long)]
        text: String,
        #[command(flatten)]
        purpose: IncidentPurposeArg,
    },
    /// State what kura cannot know (the statements), whether the purpose was unauthorised, the number of EU
    /// data subjects, or move the incident.
    ///
    /// The statements file is TOML with any of the keys organisation, contact, cause, secondary_damage,
    /// response_to_individuals, publication, prevention, other, inquiry_desk (strings). A key given replaces that
    /// statement, an empty string clears it, a key left out keeps it; unknown keys are refused.
    State {
        /// The incident id.
        id: String,
        /// The statements (TOML).
        #[arg(long, value_name = "FILE.toml")]
        statements: Option<PathBuf>,
        /// Whether it was done with an unauthorised purpose.
        #[arg(long, value_name = "true|false")]
        unauthorised: Option<bool>,
        /// EU data subjects: a number stated by a person, or `counted` (from phone numbers' country codes).
        #[arg(long, value_name = "N|counted")]
        eu: Option<String>,
        /// Move the incident.
        #[arg(long, value_enum)]
        status: Option<IncidentStatusArg>,
        #[command(flatten)]
        purpose: IncidentPurposeArg,
    },
    /// Draft the reports as a new version (the PPC report, the GDPR notification when EU data subjects are
    /// concerned, the notice to individuals, the public statement) and write them as
    /// `DIR/<id>-v<version>-<name>.<md|html|pdf>` (new files, mode 0600). Prints the files, the blanks left to
    /// fill and the required duties with their deadlines.
    Report {
        /// The incident id.
        id: String,
        /// The directory to write into (created if missing).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// This version is the final report (確報).
        #[arg(long = "final")]
        is_final: bool,
        /// The formats, comma-separated.
        #[arg(long, value_enum, value_delimiter = ',', default_value = "md,html,pdf")]
        format: Vec<DraftFormatArg>,
        /// Font for the PDF [default: IPAex Gothic from Debian's `fonts-ipaexfont`].
        #[arg(long, value_name = "PATH")]
        font: Option<PathBuf>,
        #[command(flatten)]
        purpose: IncidentPurposeArg,
    },
    /// Request the notice list — the given contact fields of every person concerned — as a governed export
    /// under the incident's id (purpose kind `incident-notice`): a second security officer or a supervisor
    /// approves it, you download it once, then attest its disposal, with `kura export`.
    NoticeList {
        /// The incident id.
        id: String,
        /// The collection of the people to notify (needed when the incident concerns more than one).
        #[arg(long)]
        collection: Option<String>,
        /// A field to export, in output order (personal or internal fields only). Repeatable.
        #[arg(long = "field", required = true)]
        fields: Vec<String>,
        /// File format.
        #[arg(long, value_enum, default_value = "csv-utf8")]
        format: NoticeFormatArg,
        /// Who receives it (a team or mailing house reference).
        #[arg(long)]
        recipient: String,
    },
    /// Raise a deadline alert for every required duty of every open incident due within a day or overdue
    /// (once per duty; `kura serve` does it every few minutes). Prints the alerts raised now.
    Deadlines {
        #[command(flatten)]
        purpose: PurposeArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum DeskCmd {
    /// Orders by type, company and status; per hour; SLA; escalations; backlog; reads against what the
    /// orders needed (findings). CSV files and SVG charts into a new directory.
    Report {
        /// The collection whose needs the reads are held against.
        #[arg(long)]
        collection: String,
        /// A new directory for the CSV files and charts.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        purpose: PurposeArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum OrderCmd {
    /// Take an order from a client company for some of its people (prints the order id).
    Create {
        /// Collection of the people.
        #[arg(long)]
        collection: String,
        /// The client company.
        #[arg(long)]
        company: String,
        /// new_line, device_change, repair, battery_shipment, cancellation, address_change or inquiry.
        #[arg(long = "type")]
        kind: String,
        /// A record id of a person the order concerns. Repeatable.
        #[arg(long = "person")]
        people: Vec<String>,
        /// low, normal, high or urgent.
        #[arg(long, default_value = "normal")]
        priority: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Take every order of a CSV file (columns company, type, people, priority; or 会社, 種別, 対象者, 優先度).
    /// The whole file is checked first: any problem takes none of it, and every problem is listed by line.
    Import {
        /// Collection of the people.
        #[arg(long)]
        collection: String,
        /// The CSV file (UTF-8 or Shift_JIS). `people` holds record ids separated by `;`.
        file: PathBuf,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// The caller's companies' orders (security officers and auditors: all).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Assign an order to a principal and/or a team.
    Assign {
        /// The order id (`ORD-…`).
        id: String,
        /// The assignee.
        #[arg(long)]
        to: Option<String>,
        /// The team.
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Move an order to a status: in_progress, escalated, waiting, done, cancelled.
    Move {
        /// The order id.
        id: String,
        /// The new status.
        status: String,
        /// A note (no personal data).
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Escalate to an internal team (`--team`) or a partner (`--partner NAME --partner-kind courier|handset_maker|carrier`).
    Escalate {
        /// The order id.
        id: String,
        /// An internal team.
        #[arg(long, conflicts_with = "partner")]
        team: Option<String>,
        /// A partner's name (its principals' team).
        #[arg(long, requires = "partner_kind")]
        partner: Option<String>,
        /// The partner's kind.
        #[arg(long)]
        partner_kind: Option<String>,
        /// Hours until the escalation (and the partner's view) ends.
        #[arg(long, default_value_t = 72)]
        hours: i64,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// End an order's running escalation.
    EndEscalation {
        /// The order id.
        id: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Read one of an order's people through the order (only the fields its type needs).
    Read {
        /// The order id.
        id: String,
        /// The person's record id.
        record: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Emergency read outside the orders, with a written reason; alerts the security officers.
    BreakGlass {
        /// Collection.
        collection: String,
        /// The record id.
        record: String,
        /// Why (at least 20 characters; kept in the alert for review).
        #[arg(long)]
        reason: String,
        /// The order it relates to, if any.
        #[arg(long)]
        order: Option<String>,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Request a shipping order's labels as a governed print job (a supervisor approves it; download it with
    /// `kura export download ID --purpose ORD-… --purpose-kind shipping`).
    Ship {
        /// The order id.
        id: String,
        /// Who receives the labels (the courier or print room).
        #[arg(long)]
        recipient: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Require desk staff to read personal data only through orders (administrators): on or off.
    Require {
        /// on or off.
        state: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AlertsCmd {
    /// Every alert, newest first (security officers and auditors).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Print the anomaly rules in force (TOML; empty means the defaults, see docs/ALERTS.md).
    Rules {
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Replace the anomaly rules from a TOML file (administrators and security officers).
    SetRules {
        /// The rules file.
        file: PathBuf,
        #[command(flatten)]
        purpose: PurposeArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum CanaryCmd {
    /// Report that a canary contact point was reached: names the export at once and raises an alert.
    Hit {
        /// The phone number, e-mail address or postal address that was reached, in any notation.
        contact: String,
        /// How it was reached: mail, phone, email, …
        #[arg(long, default_value = "mail")]
        channel: String,
        /// A note for the alert (one line; no personal data of real people).
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum HoneyCmd {
    /// Plant N honey records in a collection (administrators; contact points come from the canary pools).
    Plant {
        /// How many (1 to 1000).
        count: usize,
        /// The collection.
        #[arg(long)]
        collection: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCmd {
    /// Request an export (decided by the policy; a second person approves it).
    Request {
        /// Collection.
        #[arg(long)]
        collection: String,
        /// A client company whose records are exported. Repeatable.
        #[arg(long = "company", required = true)]
        companies: Vec<String>,
        /// Keep only this department. Repeatable.
        #[arg(long = "department")]
        departments: Vec<String>,
        /// Keep only this record (its id). Repeatable.
        #[arg(long = "record")]
        records: Vec<String>,
        /// A field to export, in output order. Repeatable.
        #[arg(long = "field", required = true)]
        fields: Vec<String>,
        /// File format.
        #[arg(long, value_enum, default_value = "csv-utf8")]
        format: ExportFormatArg,
        /// Who receives it (a team, partner or print shop reference).
        #[arg(long)]
        recipient: String,
        /// Days until it expires (1 to 90).
        #[arg(long, default_value_t = 7)]
        expires_days: i64,
        /// How many times it may be downloaded (1 to 10).
        #[arg(long, default_value_t = 1)]
        downloads: u32,
        /// Days after expiry by which its disposal must be attested (1 to 90).
        #[arg(long, default_value_t = 7)]
        dispose_days: u32,
        /// Canary records mixed into the file (1 to 20).
        #[arg(long, default_value_t = 1)]
        canaries: u32,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Approve a requested export (a supervisor other than the requester).
    Approve {
        /// Export id.
        id: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Deny a requested export.
    Deny {
        /// Export id.
        id: String,
        /// Why (a reference, e.g. a ticket).
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Download an approved export to a file (its requester; counted, logged with the file's digest).
    Download {
        /// Export id.
        id: String,
        /// Where to write it (must not exist) [default: export-<id>.<csv|xlsx|pdf>].
        #[arg(long)]
        out: Option<PathBuf>,
        /// Font for mailing labels [default: IPAex Gothic from Debian's `fonts-ipaexfont`].
        #[arg(long)]
        font: Option<PathBuf>,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Attest that every copy of an export was destroyed (its requester).
    Dispose {
        /// Export id.
        id: String,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// List exports (your own, or all for supervisors, security officers, auditors and administrators).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Set the contact points the organisation controls for canaries (TOML: phones, e-mail domains, mail
    /// drops, card BINs; administrators). Exports are approved only once these exist.
    Pools {
        /// The pools file.
        file: PathBuf,
    },
    /// List exports whose disposal is overdue, logging an alert for each (security officers, auditors).
    Overdue {
        #[command(flatten)]
        purpose: PurposeArg,
    },
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    /// What leaked: a file, or `-` for standard input. Free text holds one person per block, blocks separated
    /// by blank lines, fields in any order.
    pub input: PathBuf,
    /// The collection the leaked people are in.
    #[arg(long)]
    pub collection: String,
    /// How the input is laid out (auto: sniffed).
    #[arg(long, value_enum, default_value = "auto")]
    pub format: LeakFormatArg,
    /// The largest acceptable probability of accusing an innocent export.
    #[arg(long, default_value_t = kura::fingerprint::tardos::DEFAULT_EPSILON)]
    pub epsilon: f64,
    /// Write the JSON report, with inclusion proofs against a checkpoint signed now, to this new file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write the Markdown report to this new file (default: standard output, unless --json is given).
    #[arg(long)]
    pub markdown: Option<PathBuf>,
    #[command(flatten)]
    pub purpose: PurposeArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LeakFormatArg {
    /// Sniffed from the content.
    Auto,
    /// Comma-separated values (UTF-8 or Shift_JIS), with or without a header.
    Csv,
    /// Tab-separated values.
    Tsv,
    /// A JSON array of objects, or JSON Lines.
    Json,
    /// SQL `INSERT` statements or PostgreSQL `COPY` blocks.
    Dump,
    /// Free text, one person per block.
    Text,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormatArg {
    /// CSV, UTF-8 with BOM.
    CsvUtf8,
    /// CSV, Shift_JIS/CP932 (Japanese Excel).
    CsvShiftJis,
    /// Excel workbook.
    Xlsx,
    /// PDF mailing labels (a print job).
    Labels,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Server configuration (TOML; every key can also be set as `KURA_HTTP_<KEY>`, see docs/HTTP.md).
    #[arg(long, env = "KURA_HTTP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Seconds between checkpoints the server signs while the log grows (0: only at shutdown).
    #[arg(long, default_value_t = 10)]
    pub checkpoint_every: u64,
    /// Print the OpenAPI document and exit (no vault needed).
    #[arg(long)]
    pub openapi: bool,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Store data in PostgreSQL instead of SQLite (e.g. `postgres://user@host/db`).
    #[arg(long, env = "KURA_DATABASE")]
    pub database: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum CollectionCmd {
    /// Create a collection from a schema file, or from a shipped schema.
    Create {
        /// Schema file (TOML).
        #[arg(long, conflicts_with = "builtin", required_unless_present = "builtin")]
        schema: Option<PathBuf>,
        /// A shipped schema: `corporate-mobile` or `consumer-wireless`.
        #[arg(long)]
        builtin: Option<String>,
    },
    /// List collections with their record counts.
    List,
    /// Show a collection's schema.
    Show {
        /// Collection name.
        name: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    /// UTF-8 if valid, else Shift_JIS.
    Auto,
    /// UTF-8 (BOM optional).
    #[value(name = "utf-8", alias = "utf8")]
    Utf8,
    /// Shift_JIS / CP932 (Japanese Excel).
    #[value(name = "shift_jis", alias = "sjis", alias = "cp932")]
    ShiftJis,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Collection to import into.
    pub collection: String,
    /// CSV file with a header row naming the fields.
    pub file: PathBuf,
    /// Text encoding of the file.
    #[arg(long, value_enum, default_value = "auto")]
    pub encoding: EncodingArg,
    /// Import the valid rows and list the invalid ones in a rejects file instead of importing nothing.
    #[arg(long)]
    pub skip_invalid: bool,
    /// Where to write the rejects (line, column, reason; no values) [default: FILE.rejects.csv].
    #[arg(long, requires = "skip_invalid")]
    pub rejects: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum CardArg {
    /// `4111 11•• •••• 1111`.
    #[default]
    Masked,
    /// The FF1 token (same shape, BIN and last four kept).
    Token,
    /// The full card number.
    Full,
}

#[derive(Debug, Args)]
pub struct Target {
    /// Collection.
    pub collection: String,
    /// Record id (UUID), or the external id with `--external-id`.
    pub id: String,
    /// Treat ID as the record's external id (e.g. the employee number).
    #[arg(long)]
    pub external_id: bool,
}

#[derive(Debug, Args)]
pub struct PurposeArg {
    /// Why you access this data: a ticket or order number. Required.
    #[arg(long, env = "KURA_PURPOSE")]
    pub purpose: String,
    /// What kind of work it is (the policy decides on it: home addresses need `shipping`).
    #[arg(long, env = "KURA_PURPOSE_KIND", default_value = kura::vault::DEFAULT_PURPOSE_KIND)]
    pub purpose_kind: String,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub purpose: PurposeArg,
    /// How to show card numbers.
    #[arg(long, value_enum, default_value = "masked")]
    pub card: CardArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct FindArgs {
    /// Collection.
    pub collection: String,
    /// A searchable field.
    pub field: String,
    /// The value, in any notation (e.g. `090-1234-5678` or `+81 90 1234 5678`); `-` reads it from standard
    /// input, which keeps it out of the process list and shell history.
    pub value: String,
    #[command(flatten)]
    pub purpose: PurposeArg,
    /// At most this many records.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// How to show card numbers.
    #[arg(long, value_enum, default_value = "masked")]
    pub card: CardArg,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub purpose: PurposeArg,
    /// `field=value` to set (an empty value clears an optional field; `field=-` reads the value from standard
    /// input, keeping it out of the process list). Repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE", required = true)]
    pub set: Vec<String>,
}

#[derive(Debug, Args)]
pub struct DetokeniseArgs {
    /// Collection whose tokenisation key made the token.
    pub collection: String,
    /// The token (`-` reads it from standard input).
    pub token: String,
    #[command(flatten)]
    pub purpose: PurposeArg,
}

#[derive(Debug, Args)]
pub struct EraseArgs {
    #[command(flatten)]
    pub target: Target,
    #[command(flatten)]
    pub purpose: PurposeArg,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum GenerateCmd {
    /// Employees of client companies (schema `corporate-mobile`).
    Corporate {
        /// Number of client companies.
        #[arg(long, default_value_t = 72)]
        companies: usize,
        /// Number of employees.
        #[arg(long, default_value_t = 130_000)]
        employees: usize,
        /// Random seed: the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file [default: standard output].
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Consumer customers with payment cards (schema `consumer-wireless`).
    Consumer {
        /// Number of customers.
        #[arg(long, default_value_t = 10_000)]
        count: usize,
        /// Random seed: the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file [default: standard output].
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// CSV whose values to look for (every cell, as given and normalised).
    #[arg(long)]
    pub values: PathBuf,
    /// Schema of the CSV, to compute canonical forms: a shipped schema name or a schema file.
    #[arg(long, default_value = "corporate-mobile")]
    pub schema: String,
    /// Files or directories to scan [default: the vault directory].
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Directory for the demo vault (must not exist) [default: a fresh temporary directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Employees to generate.
    #[arg(long, default_value_t = 130_000)]
    pub employees: usize,
    /// Client companies.
    #[arg(long, default_value_t = 72)]
    pub companies: usize,
    /// Keep the demo directory afterwards.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum BenchPart {
    /// Everything.
    All,
    /// Import and lookups (vault core).
    Import,
    /// The access log: appends, proofs, verification, the cost added to a read.
    Log,
    /// Audited record reads over HTTP against plain SQLite reads on the same server; Cedar decision time.
    Http,
    /// A fingerprinted CSV export of the dataset against a plain decrypted CSV dump.
    Export,
    /// The fingerprint decoder's evaluation: identification and false accusations per attack and leak size.
    Trace,
    /// Leak tracing at scale: `--exports` governed exports through the whole workflow, then traces of 14 rows.
    Registry,
    /// The service desk: order-bound reads against the plain policy path; the report over 1,000,000 orders.
    Desk,
    /// Incident response: an incident's exact exposure (log walk, policy, a stolen copy scanned) against a
    /// plain scan of the log.
    Incident,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which benchmarks to run.
    #[arg(value_enum, default_value = "all")]
    pub part: BenchPart,
    /// Entries in the on-disk log for proof and verification figures.
    #[arg(long, default_value_t = 1_000_000)]
    pub log_entries: u64,
    /// Entries in the in-memory tree for the large proof figures.
    #[arg(long, default_value_t = 10_000_000)]
    pub tree_entries: u64,
    /// Employees in the dataset.
    #[arg(long, default_value_t = 130_000)]
    pub employees: usize,
    /// PostgreSQL URL for the pgcrypto baseline (skipped if unreachable).
    #[arg(long, env = "KURA_BENCH_POSTGRES", default_value = "postgres://root@127.0.0.1:5432/test")]
    pub postgres: String,
    /// Rows for the pgcrypto baseline (it is slow; the rate is extrapolated).
    #[arg(long, default_value_t = 5_000)]
    pub pgcrypto_rows: usize,
    /// Lookups to time.
    #[arg(long, default_value_t = 20_000)]
    pub lookups: usize,
    /// Concurrent keep-alive connections of the HTTP benchmark's load generator.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Exports in the registry of the leak-tracing benchmark.
    #[arg(long, default_value_t = 10_000)]
    pub exports: usize,
}

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Sign a checkpoint of the log's current tree head (refused if the log is not an extension of the last).
    Checkpoint,
    /// Recompute the whole log, check every checkpoint, the signer's record and witness copies.
    /// Needs no passphrase: an auditor can run it without access to personal data.
    Verify {
        /// Witness directories to compare against (see `kura audit witness`).
        #[arg(long = "witness", value_name = "DIR")]
        witnesses: Vec<PathBuf>,
        /// The signer's verifier key [default: the vault's `log-verifier.pub`].
        #[arg(long)]
        verifier: Option<String>,
    },
    /// Print an inclusion proof of one entry against the newest signed checkpoint, as JSON a third party can
    /// check (`kura audit check-proof`, or any RFC 6962 verifier).
    Prove {
        /// Entry index.
        #[arg(long)]
        entry: u64,
        /// Write the proof here instead of standard output.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Check a proof file offline, with only the signer's verifier key (no vault needed).
    CheckProof {
        /// The proof file from `kura audit prove`.
        file: PathBuf,
        /// The signer's verifier key string (`name+id+key`), or a file holding it.
        #[arg(long)]
        verifier: String,
    },
    /// Record the newest checkpoint in a witness directory after checking it extends the last one recorded.
    Witness {
        /// The witness directory (on other storage or another host).
        #[arg(long)]
        dir: PathBuf,
    },
    /// Publish the log as C2SP tlog-tiles static files (checkpoint, tiles, entry bundles).
    Publish {
        /// Output directory.
        dir: PathBuf,
    },
    /// Every access to one person's record: by whom, when, why.
    WhoSaw {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        purpose: PurposeArg,
    },
    /// Everything one principal did, optionally within dates (`YYYY-MM-DD`, UTC, `--to` exclusive).
    Activity {
        /// The principal (staff member, contractor or service account).
        principal: String,
        /// From this day.
        #[arg(long)]
        from: Option<String>,
        /// Until this day (exclusive).
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        purpose: PurposeArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum PrincipalCmd {
    /// Create a principal.
    Add {
        /// Login name (lower-case letters, digits, `.`, `_`, `-`).
        name: String,
        /// employee, dispatched, contractor or service.
        #[arg(long)]
        kind: String,
        /// operator, supervisor, auditor, security-officer or administrator. Repeatable.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        /// Team.
        #[arg(long)]
        team: Option<String>,
        /// An assigned client company. Repeatable.
        #[arg(long = "company")]
        companies: Vec<String>,
    },
    /// List principals (no credential material).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Suspend a principal: no sign-in, no token use.
    Suspend {
        /// Name.
        name: String,
    },
    /// Lift a suspension and a lockout.
    Resume {
        /// Name.
        name: String,
    },
    /// Set a password (from `KURA_NEW_PASSWORD` or a prompt).
    SetPassword {
        /// Name.
        name: String,
    },
    /// Enrol a TOTP authenticator; prints the otpauth:// URI once.
    EnrollTotp {
        /// Name.
        name: String,
    },
    /// Issue an API token for a service account; prints it once.
    IssueToken {
        /// Name.
        name: String,
        /// A scope, e.g. `records:read`. Repeatable.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// Days until it expires.
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Revoke an API token by its id.
    RevokeToken {
        /// Name.
        name: String,
        /// Token id (the part after `kura_`).
        id: String,
    },
    /// Check a sign-in (password from `KURA_LOGIN_PASSWORD` or a prompt; `--code` for TOTP).
    CheckLogin {
        /// Name.
        name: String,
        /// TOTP code (or `KURA_LOGIN_CODE`, which keeps it out of the process list).
        #[arg(long, env = "KURA_LOGIN_CODE")]
        code: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Who signs in.
    pub name: String,
    /// Hours until the session expires (at most 12).
    #[arg(long, default_value_t = 8)]
    pub hours: i64,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Print kura's Cedar schema and the default policy set (`--active`: the vault's policy in force).
    Show {
        /// Show the vault's active policy and its version instead.
        #[arg(long)]
        active: bool,
    },
    /// Make a policy file the vault's policy: validated first, logged, stored as the next version
    /// (administrators).
    Set {
        /// Cedar policy file.
        file: PathBuf,
    },
    /// List the vault's policy versions with their SHA-256 (administrators, auditors, security officers).
    History,
    /// Parse a policy file and validate it against kura's schema.
    Validate {
        /// Cedar policy file.
        file: PathBuf,
    },
    /// Run policy test cases (TOML: principal, action, field, purpose, expected outcome).
    Test {
        /// The cases.
        file: PathBuf,
        /// Policy file to test [default: the default policy].
        #[arg(long)]
        policy: Option<PathBuf>,
    },
}
