//! The drafts of an incident's reports, written from its [`Facts`] and [`Assessment`]:
//!
//! - [`ppc_report`] — the report to the Personal Information Protection Commission (個人情報保護委員会),
//!   in Japanese, with the nine items of 施行規則8条1項 in the form's order;
//! - [`gdpr_notification`] — the notification of the supervisory authority under GDPR Art. 33, in English,
//!   with the items of Art. 33(3);
//! - [`notice_to_individuals`] — the notice to the people concerned (本人通知, 施行規則10条), in Japanese;
//! - [`public_statement`] — a public statement (お詫びとお知らせ), in Japanese.
//!
//! Guarantees: a draft states what kura knows — the figures from the access log, the dates, the grounds and
//! the deadlines — and leaves an [`Inline::Fill`] wherever a person must speak for the organisation: every
//! [`Statements`](super::Statements) item a draft uses that is still `None` becomes exactly one blank, and no
//! other blank appears (except the GDPR reasons for a late notification). No draft carries a personal value:
//! [`Facts`] holds counts, field names, classes, client company names and ids, never a person's data, and
//! the drafts add nothing else. The notice and the public statement name neither principals, exports,
//! client companies nor the synthetic detection records. Times are in Japan Standard Time.

use super::duties::{self, Assessment, Duty, Ground, Regime, Step};
use super::{Facts, FieldExposure, Scenario, Source};
use crate::render::document::{Block, Document, Inline};
use crate::schema::Classification;

const DAY: i64 = 86_400;
const JST: i64 = 9 * 3_600;

/// The nine items of the PPC report form (施行規則8条1項1号〜9号), in order.
pub const PPC_ITEMS: [&str; 9] = [
    "概要",
    "漏えい等が発生し、又は発生したおそれがある個人データの項目",
    "漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
    "原因",
    "二次被害又はそのおそれの有無及びその内容",
    "本人への対応の実施状況",
    "公表の実施状況",
    "再発防止のための措置",
    "その他参考となる事項",
];

/// The items of the notice to individuals (施行規則10条: the report's items 1, 2, 4, 5 and 9), in order.
pub const NOTICE_ITEMS: [&str; 5] = [
    "概要",
    "漏えい等が発生し、又は発生したおそれがある個人データの項目",
    "原因",
    "二次被害又はそのおそれの有無及びその内容",
    "その他参考となる事項",
];

/// The items of GDPR Art. 33(3), in order.
pub const GDPR_ITEMS: [&str; 4] = [
    "(a) Nature of the personal data breach",
    "(b) Data protection officer or other contact point",
    "(c) Likely consequences of the personal data breach",
    "(d) Measures taken or proposed",
];

/// Every draft for an incident, with the file stem it is saved under: `ppc-report`, `gdpr-notification`
/// (only when data subjects in the EU are concerned), `notice-to-individuals`, `public-statement`.
pub fn all(facts: &Facts, a: &Assessment) -> Vec<(&'static str, Document)> {
    let mut out = vec![("ppc-report", ppc_report(facts, a))];
    if a.has(Ground::EuSubjects) {
        out.push(("gdpr-notification", gdpr_notification(facts, a)));
    }
    out.push(("notice-to-individuals", notice_to_individuals(facts, a)));
    out.push(("public-statement", public_statement(facts, a)));
    out
}

/// The report to the PPC (個人データの漏えい等の報告), in Japanese: the report's kind and version, the
/// reporter, the grounds and deadlines, then the form's nine items ([`PPC_ITEMS`]) in order.
pub fn ppc_report(facts: &Facts, a: &Assessment) -> Document {
    let s = &facts.statements;
    let e = &facts.exposure;
    let kind = if facts.is_final { "確報" } else { "速報" };
    let mut b = vec![para(vec![t("個人情報保護委員会 御中")])];
    if !a.requires(Regime::Appi) {
        let why = a.duty(Step::AppiPreliminary).map(|d| d.why.ja.clone()).unwrap_or_default();
        b.push(para(vec![
            Inline::Strong("注記: ".to_owned()),
            t(format!("kuraの判定では報告義務はない（{why}）。任意の報告に用いる場合の下書きである。")),
        ]));
    }
    b.push(item_table(vec![
        ("報告の区分", vec![t(format!("{kind}（第{}版）", facts.version))]),
        ("報告者（事業者の名称）", vec![stated(&s.organisation, "事業者の名称（法人名）及び代表者の氏名")]),
        ("連絡先", vec![stated(&s.contact, "報告に関する連絡先（担当部署・担当者・電話番号・電子メールアドレス）")]),
        ("事案番号", vec![t(&facts.id)]),
        ("発覚日", vec![t(jst(facts.detected_at))]),
        ("覚知日（報告期限の起算点）", vec![t(jst(facts.learned_at))]),
    ]));

    b.push(h2("報告対象事態（施行規則7条）"));
    let appi: Vec<Ground> = a.grounds.iter().copied().filter(|g| g.is_appi()).collect();
    if appi.is_empty() {
        b.push(para(vec![t("施行規則7条各号のいずれにも該当しない。")]));
    } else {
        b.push(list(appi.iter().map(|g| vec![Inline::Strong(g.rule().to_owned()), t(format!(": {}", g.ja()))])));
    }
    if let Some(x) = a.exempt {
        b.push(para(vec![t(format!("ただし、{}に当たるため報告対象外と判断した（{}）。", x.ja(), x.basis()))]));
    }

    b.push(h2("報告期限"));
    b.push(Block::Table {
        header: cells(["手続", "要否", "期限", "根拠"]),
        rows: a
            .duties
            .iter()
            .map(|d| {
                vec![
                    vec![t(&d.label.ja)],
                    vec![t(if d.required { "要" } else { "不要" })],
                    vec![t(if d.required { deadline_ja(d) } else { d.why.ja.clone() })],
                    vec![t(&d.basis)],
                ]
            })
            .collect(),
    });

    let [i1, i2, i3, i4, i5, i6, i7, i8, i9] = PPC_ITEMS;

    // (1) 概要
    b.push(h2(format!("(1) {i1}")));
    b.push(para(vec![t(format!("{}。{}", facts.title.trim_end_matches('。'), scenario_ja(facts)))]));
    let mut summary = vec![
        vec![t(format!("発覚日時: {}", jst(facts.detected_at)))],
        vec![t(format!("覚知日時: {}", jst(facts.learned_at)))],
    ];
    if let Some((from, to)) = facts.window {
        summary.push(vec![t(format!("対象期間: {} 〜 {}", jst(from), jst(to)))]);
    }
    if !facts.principals.is_empty() {
        summary.push(vec![t(format!("関与した利用者アカウント: {}件", num(len(&facts.principals))))]);
    }
    if !facts.exports.is_empty() {
        summary.push(vec![t(format!(
            "対象の出力ファイル（エクスポート）: {}件（{}）",
            num(len(&facts.exports)),
            facts.exports.join("、")
        ))]);
    }
    summary.push(vec![t(format!(
        "漏えい等が発生した本人の数: {}名（漏えい等が発生したおそれがある本人を含め{}名）",
        num(e.subjects),
        num(e.could_have_viewed.max(e.subjects))
    ))]);
    b.push(Block::List(summary));
    b.push(h3("時系列"));
    b.push(timeline(facts, ["日時", "出典", "内容"], jst, |src| match src {
        Source::Log => "アクセスログ",
        Source::Manual => "記録",
    }));

    // (2) 項目
    b.push(h2(format!("(2) {i2}")));
    if e.fields.is_empty() {
        b.push(para(vec![t("項目ごとの記録はない。")]));
    } else {
        b.push(Block::Table {
            header: cells(["項目", "区分", "対象の本人数", "うち平文で閲覧・出力された本人数"]),
            rows: e
                .fields
                .iter()
                .map(|f| {
                    vec![
                        vec![t(field_ja(f, true))],
                        vec![t(class_ja(f.classification))],
                        vec![t(format!("{}名", num(f.subjects)))],
                        vec![t(plain_ja(facts, f))],
                    ]
                })
                .collect(),
        });
    }
    if !e.by_class.is_empty() {
        b.push(para(vec![t("区分別の本人数（一人の本人は、漏えい等した項目のすべての区分に数える）:")]));
        b.push(list(e.by_class.iter().map(|(c, n)| vec![t(format!("{}: {}名", class_ja(*c), num(*n)))])));
    }
    if e.fields.iter().any(|f| !duties::in_clear(facts, f) && f.subjects > 0) {
        b.push(para(vec![t(
            "平文でない項目はマスク表示（カード番号は先頭6桁と末尾4桁、住所は市区町村まで等）で表示されたもので、値の全体は含まれない。",
        )]));
    }
    if let Scenario::StolenDatabase { .. } = facts.scenario {
        b.push(para(vec![t(readable_ja(facts))]));
    }

    // (3) 本人の数
    b.push(h2(format!("(3) {i3}")));
    let mut counts = vec![
        vec![t(format!(
            "漏えい等が発生した本人の数（アクセスログ上、閲覧・出力が確認された本人）: {}名",
            num(e.subjects)
        ))],
        vec![t(format!(
            "漏えい等が発生したおそれがある本人の数（対象の利用者が閲覧可能であった本人）: {}名",
            num(e.could_have_viewed)
        ))],
    ];
    if e.eu_subjects > 0 {
        counts.push(vec![t(format!("うちEU域内の本人: {}名", num(e.eu_subjects)))]);
    }
    b.push(Block::List(counts));
    if !e.by_company.is_empty() {
        b.push(para(vec![t("取引先企業別の本人数:")]));
        b.push(Block::Table {
            header: cells(["取引先企業", "本人数"]),
            rows: e.by_company.iter().map(|(c, n)| vec![vec![t(c)], vec![t(format!("{}名", num(*n)))]]).collect(),
        });
    }
    if e.honey > 0 || e.canaries > 0 {
        b.push(para(vec![t(format!(
            "検知用の合成レコード（ハニーレコード{}件、カナリアレコード{}件）も閲覧・出力されたが、実在しない架空の人物であり、本人の数には含めていない。",
            num(e.honey),
            num(e.canaries)
        ))]));
    }

    // (4) 原因
    b.push(h2(format!("(4) {i4}")));
    b.push(para(vec![t(log_cause_ja(facts))]));
    b.push(para(vec![t("組織として把握している原因: "), stated(&s.cause, CAUSE_JA)]));

    // (5) 二次被害
    b.push(h2(format!("(5) {i5}")));
    b.push(para(vec![t(harm_ja(a))]));
    b.push(para(vec![t("二次被害の有無及びその内容: "), stated(&s.secondary_damage, HARM_JA)]));

    // (6) 本人への対応
    b.push(h2(format!("(6) {i6}")));
    if let Some(d) = a.duty(Step::AppiNotice) {
        let status =
            if d.required { format!("要（{}）", deadline_ja(d)) } else { format!("不要（{}）", d.why.ja) };
        b.push(para(vec![t(format!("本人への通知（{}）: {status}", d.basis))]));
    }
    b.push(list([
        vec![
            t("実施状況: "),
            stated(&s.response_to_individuals, "本人への通知・連絡の実施状況（実施日・方法・対象者数）"),
        ],
        vec![t("問合せ窓口: "), stated(&s.inquiry_desk, DESK_JA)],
    ]));

    // (7) 公表
    b.push(h2(format!("(7) {i7}")));
    b.push(para(vec![stated(&s.publication, "公表の実施状況（公表日・方法。公表しない場合はその理由）")]));

    // (8) 再発防止
    b.push(h2(format!("(8) {i8}")));
    b.push(para(vec![stated(&s.prevention, PREVENTION_JA)]));

    // (9) その他
    b.push(h2(format!("(9) {i9}")));
    let mut other = vec![vec![t(
        "上記の数値は、kuraのアクセスログ（RFC 6962 方式の改ざん検知可能な記録。署名付きチェックポイントと包含証明により第三者が検証できる）から算出した。",
    )]];
    for d in a.required().filter(|d| d.regime != Regime::Appi) {
        other.push(vec![t(format!("{}: 要（{}、{}）", d.label.ja, deadline_ja(d), d.basis))]);
    }
    b.push(Block::List(other));
    b.push(para(vec![stated(&s.other, "その他参考となる事項（委託元・委託先との関係、捜査機関への相談状況など）")]));

    Document {
        title: format!("個人データの漏えい等の報告書（{kind}）"), lang: "ja".to_owned(), blocks: b
    }
}

/// The notification of the supervisory authority under GDPR Art. 33, in English: the controller and the
/// timing, then the items of Art. 33(3) ([`GDPR_ITEMS`]) and the timeline. The notification is taken to be
/// sent at the latest moment the facts know of (the last timeline entry, or the moment of awareness); use
/// [`gdpr_notification_at`] when the sending time is known.
pub fn gdpr_notification(facts: &Facts, a: &Assessment) -> Document {
    let as_of = facts.timeline.iter().map(|e| e.at).fold(facts.learned_at, i64::max);
    gdpr_notification_at(facts, a, as_of)
}

/// [`gdpr_notification`] as sent at `now`: when that is past the 72-hour deadline, the draft asks for the
/// reasons for the delay (Art. 33(1)).
pub fn gdpr_notification_at(facts: &Facts, a: &Assessment, now: i64) -> Document {
    let s = &facts.statements;
    let e = &facts.exposure;
    let mut b = vec![para(vec![t("To: the competent supervisory authority")])];
    b.push(Block::Table {
        header: cells(["Item", "Content"]),
        rows: vec![
            row("Controller", vec![stated(&s.organisation, "name of the controller")]),
            row("Reference", vec![t(&facts.id)]),
            row(
                "Notification",
                vec![t(if facts.is_final {
                    format!("final (version {})", facts.version)
                } else {
                    format!(
                        "initial (version {}); further information will follow in phases (Art. 33(4))",
                        facts.version
                    )
                })],
            ),
            row("Detected", vec![t(jst_en(facts.detected_at))]),
            row("Controller became aware", vec![t(jst_en(facts.learned_at))]),
        ],
    });

    b.push(h2("Timing"));
    match a.duty(Step::GdprAuthority) {
        Some(d) if d.required => {
            if let Some(due) = d.due_at {
                b.push(para(vec![t(format!(
                    "Deadline under Art. 33(1): {} (72 hours after the controller became aware).",
                    jst_en(due)
                ))]));
            }
            if d.overdue(now) {
                b.push(para(vec![
                    t("This notification is made after the 72-hour deadline. Reasons for the delay (Art. 33(1)): "),
                    Inline::Fill("the reasons for the delay".to_owned()),
                ]));
            }
        }
        Some(d) => b.push(para(vec![
            Inline::Strong("Note: ".to_owned()),
            t(format!("kura assesses this notification as not required ({}).", d.why.en)),
        ])),
        None => {}
    }

    let [ia, ib, ic, id] = GDPR_ITEMS;
    b.push(h2(ia));
    b.push(para(vec![t(format!("Incident {}: {}", facts.id, facts.title.trim())), t(" "), t(scenario_en(facts))]));
    let classes: Vec<String> = e.by_class.iter().map(|(c, n)| format!("{} ({})", class_en(*c), num(*n))).collect();
    let values: u64 = e.fields.iter().map(|f| f.subjects).sum();
    let mut nature = vec![
        vec![t(format!(
            "Categories of data subjects: people whose records the controller holds{}.",
            if e.by_company.is_empty() {
                String::new()
            } else {
                format!(" for {} client companies", num(len(&e.by_company)))
            }
        ))],
        vec![t(format!(
            "Approximate number of data subjects concerned: {} (of whom {} in the EU); {} could have been viewed by the principals in scope.",
            num(e.subjects),
            num(e.eu_subjects),
            num(e.could_have_viewed)
        ))],
        vec![t(format!(
            "Categories of personal data concerned: {}.",
            if classes.is_empty() { "none recorded".to_owned() } else { classes.join(", ") }
        ))],
        vec![t(format!(
            "Approximate number of personal data records concerned: {} (one per data subject), holding {} field values.",
            num(e.subjects),
            num(values)
        ))],
    ];
    if !e.fields.is_empty() {
        let fields: Vec<String> = e
            .fields
            .iter()
            .map(|f| {
                let clear = if duties::in_clear(facts, f) { "in the clear" } else { "masked only" };
                format!("{} ({}, {}: {})", field_en(f), class_en(f.classification), clear, num(f.subjects))
            })
            .collect();
        nature.push(vec![t(format!("Fields concerned: {}.", fields.join("; ")))]);
    }
    if e.honey > 0 || e.canaries > 0 {
        nature.push(vec![t(format!(
            "Synthetic detection records ({} honey, {} canary) were also concerned; they are not people and are not counted.",
            num(e.honey),
            num(e.canaries)
        ))]);
    }
    nature.push(vec![
        t("Cause: "),
        t(log_cause_en(facts)),
        t(" "),
        stated(&s.cause, "the cause as the controller understands it"),
    ]);
    b.push(Block::List(nature));

    b.push(h2(ib));
    b.push(para(vec![stated(
        &s.contact,
        "name and contact details of the data protection officer or other contact point",
    )]));

    b.push(h2(ic));
    b.push(list(consequences_en(a).into_iter().map(|c| vec![t(c)])));
    b.push(para(vec![
        t("Consequences observed so far: "),
        stated(&s.secondary_damage, "consequences observed so far (fraud, phishing, unsolicited contact)"),
    ]));

    b.push(h2(id));
    let mut measures = Vec::new();
    if let Some(d) = a.duty(Step::GdprSubjects) {
        let status = if d.required { format!("required, {} ({})", d.due_text.en, d.why.en) } else { d.why.en.clone() };
        measures.push(vec![t(format!("Communication to the data subjects (Art. 34): {status}."))]);
    }
    measures.push(vec![
        t("Measures for the data subjects: "),
        stated(&s.response_to_individuals, "measures taken or proposed for the data subjects"),
    ]);
    measures.push(vec![
        t("Measures to address the breach and prevent recurrence: "),
        stated(&s.prevention, "measures taken or proposed to address the breach and prevent recurrence"),
    ]);
    b.push(Block::List(measures));

    b.push(h2("Timeline"));
    b.push(timeline(facts, ["Time (JST)", "Source", "Event"], jst_en, |src| match src {
        Source::Log => "access log",
        Source::Manual => "recorded",
    }));

    Document {
        title: "Notification of a personal data breach to the supervisory authority (GDPR Art. 33)".to_owned(),
        lang: "en".to_owned(),
        blocks: b,
    }
}

/// The notice to the people concerned (本人通知), in Japanese: the items of 施行規則10条 ([`NOTICE_ITEMS`])
/// and the inquiry desk. One text for every recipient: nothing in it is about one person.
pub fn notice_to_individuals(facts: &Facts, a: &Assessment) -> Document {
    let s = &facts.statements;
    let mut b = vec![para(vec![t(
        "平素より格別のご高配を賜り、厚く御礼申し上げます。このたび、当社が取り扱うお客様の個人情報について、漏えい等が発生した、又はそのおそれがあることが判明いたしました。ご迷惑とご心配をおかけしますことを、深くお詫び申し上げます。下記のとおりお知らせいたします。",
    )])];
    let [n1, n2, n3, n4, n5] = NOTICE_ITEMS;
    b.push(h2(format!("1. {n1}")));
    b.push(para(vec![t(format!(
        "{}に判明いたしました。{}",
        jst_date(facts.learned_at),
        public_scenario_ja(facts, a)
    ))]));
    b.push(h2(format!("2. {n2}")));
    b.push(list(public_fields_ja(facts)));
    b.push(h2(format!("3. {n3}")));
    b.push(para(vec![stated(&s.cause, CAUSE_JA)]));
    b.push(h2(format!("4. {n4}")));
    b.push(para(vec![t(harm_public_ja(a))]));
    b.push(para(vec![stated(&s.secondary_damage, HARM_JA)]));
    b.push(h2(format!("5. {n5}")));
    b.push(list(advice_ja(a).into_iter().map(|x| vec![t(x)])));
    b.push(h2("お問い合わせ窓口"));
    b.push(para(vec![stated(&s.inquiry_desk, DESK_JA)]));
    b.push(para(vec![t("以上")]));
    b.push(para(vec![stated(&s.organisation, "事業者の名称")]));
    Document {
        title: "個人情報の漏えい等に関するお知らせ".to_owned(), lang: "ja".to_owned(), blocks: b
    }
}

/// A public statement (お詫びとお知らせ), in Japanese: what happened, what data, how many people, what is
/// being done, and where to ask.
pub fn public_statement(facts: &Facts, a: &Assessment) -> Document {
    let s = &facts.statements;
    let e = &facts.exposure;
    let mut b = vec![para(vec![t(
        "このたび、当社が取り扱うお客様の個人情報について、漏えい等が発生した、又はそのおそれがあることが判明いたしました。お客様及び関係者の皆様に多大なるご迷惑とご心配をおかけしますことを、深くお詫び申し上げます。現時点で判明している内容を、下記のとおりお知らせいたします。",
    )])];
    b.push(h2("1. 発生した事象の概要"));
    b.push(para(vec![t(format!(
        "{}に判明いたしました。{}",
        jst_date(facts.learned_at),
        public_scenario_ja(facts, a)
    ))]));
    b.push(h2("2. 漏えい等のおそれがある情報"));
    b.push(list(public_fields_ja(facts)));
    b.push(h2("3. 対象となるお客様の人数"));
    b.push(list([
        vec![t(format!("漏えい等が確認されたお客様: {}名", num(e.subjects)))],
        vec![t(format!("閲覧が可能な状態にあったお客様（漏えいのおそれ）: {}名", num(e.could_have_viewed)))],
    ]));
    b.push(h2("4. 原因"));
    b.push(para(vec![stated(&s.cause, CAUSE_JA)]));
    b.push(h2("5. 当社の対応"));
    let mut done = Vec::new();
    if a.requires(Regime::Appi) {
        done.push(vec![t("個人情報保護法に基づき、個人情報保護委員会へ報告いたします。")]);
        done.push(vec![t("対象のお客様には、個別にご連絡いたします。")]);
    }
    done.push(vec![t("お客様への対応: "), stated(&s.response_to_individuals, "お客様への連絡・対応の内容")]);
    done.push(vec![t("再発防止策: "), stated(&s.prevention, PREVENTION_JA)]);
    b.push(Block::List(done));
    b.push(h2("6. お問い合わせ窓口"));
    b.push(para(vec![stated(&s.inquiry_desk, DESK_JA)]));
    b.push(para(vec![t("以上")]));
    b.push(para(vec![stated(&s.organisation, "事業者の名称")]));
    Document {
        title: "個人情報の漏えい等に関するお詫びとお知らせ".to_owned(), lang: "ja".to_owned(), blocks: b
    }
}

const CAUSE_JA: &str = "原因の詳細（経緯・動機・管理上の問題点など、組織として把握している内容）";
const HARM_JA: &str = "二次被害の有無及びその内容（不審な連絡・不正利用の報告など）";
const DESK_JA: &str = "お問い合わせ窓口（部署名・電話番号・受付時間・電子メールアドレス）";
const PREVENTION_JA: &str = "再発防止のための措置（実施済みの措置と実施予定の措置・時期）";

fn t(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}

/// A statement's text, or a blank saying what belongs there.
fn stated(value: &Option<String>, blank: &str) -> Inline {
    match value {
        Some(v) => Inline::Text(v.clone()),
        None => Inline::Fill(blank.to_owned()),
    }
}

fn para(inlines: Vec<Inline>) -> Block {
    Block::Paragraph(inlines)
}

fn list(items: impl IntoIterator<Item = Vec<Inline>>) -> Block {
    Block::List(items.into_iter().collect())
}

fn h2(s: impl Into<String>) -> Block {
    Block::Heading(2, s.into())
}

fn h3(s: impl Into<String>) -> Block {
    Block::Heading(3, s.into())
}

fn cells<const N: usize>(header: [&str; N]) -> Vec<String> {
    header.iter().map(|h| (*h).to_owned()).collect()
}

fn row(item: &str, content: Vec<Inline>) -> Vec<Vec<Inline>> {
    vec![vec![t(item)], content]
}

fn item_table(rows: Vec<(&str, Vec<Inline>)>) -> Block {
    Block::Table { header: cells(["項目", "内容"]), rows: rows.into_iter().map(|(i, c)| row(i, c)).collect() }
}

fn timeline(facts: &Facts, header: [&str; 3], when: fn(i64) -> String, source: fn(Source) -> &'static str) -> Block {
    if facts.timeline.is_empty() {
        return para(vec![t("—")]);
    }
    Block::Table {
        header: cells(header),
        rows: facts
            .timeline
            .iter()
            .map(|e| vec![vec![t(when(e.at))], vec![t(source(e.source))], vec![t(&e.text)]])
            .collect(),
    }
}

fn len<T>(v: &[T]) -> u64 {
    u64::try_from(v.len()).unwrap_or(u64::MAX)
}

/// A count with thousands separators: `130,000`.
fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

use crate::alerts::rules::civil;

/// Japan-time date and clock of a Unix time: (year, month, day, hour, minute).
fn jst_parts(at: i64) -> (i64, i64, i64, i64, i64) {
    let local = at.saturating_add(JST);
    let (y, m, d) = civil(local.div_euclid(DAY));
    let s = local.rem_euclid(DAY);
    (y, m, d, s / 3_600, s / 60 % 60)
}

/// `2026年11月28日 14時05分` (JST).
fn jst(at: i64) -> String {
    let (y, mo, d, h, mi) = jst_parts(at);
    format!("{y}年{mo}月{d}日 {h}時{mi:02}分")
}

/// `2026年11月28日` (JST).
fn jst_date(at: i64) -> String {
    let (y, mo, d, _, _) = jst_parts(at);
    format!("{y}年{mo}月{d}日")
}

/// `2026-11-28 14:05 JST`.
pub fn jst_en(at: i64) -> String {
    let (y, mo, d, h, mi) = jst_parts(at);
    format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02} JST")
}

fn deadline_ja(d: &Duty) -> String {
    match d.due_at {
        Some(at) => format!("{}まで（{}）", jst(at), d.due_text.ja),
        None => d.due_text.ja.clone(),
    }
}

fn class_ja(c: Classification) -> &'static str {
    match c {
        Classification::Internal => "内部情報（会社名等）",
        Classification::Personal => "個人情報",
        Classification::Sensitive => "要配慮個人情報",
        Classification::Payment => "クレジットカード情報",
    }
}

fn class_en(c: Classification) -> &'static str {
    match c {
        Classification::Internal => "internal (e.g. company name)",
        Classification::Personal => "personal data",
        Classification::Sensitive => "special category data (要配慮個人情報)",
        Classification::Payment => "payment card data",
    }
}

fn plain_ja(facts: &Facts, f: &FieldExposure) -> String {
    match facts.scenario {
        Scenario::StolenDatabase { .. } if duties::in_clear(facts, f) => "鍵なしで読める".to_owned(),
        Scenario::StolenDatabase { .. } => "暗号化".to_owned(),
        Scenario::Access | Scenario::Export => format!("{}名", num(f.plain)),
    }
}

fn readable_ja(facts: &Facts) -> String {
    let e = &facts.exposure;
    match facts.scenario {
        Scenario::StolenDatabase { keys_separate: false } => {
            "暗号鍵がデータベースと同じ場所に保管されていたため、鍵も持ち出されたものとして、すべての項目を読めるものとして扱った。"
                .to_owned()
        }
        _ if e.readable_without_keys.is_empty() => {
            "暗号鍵はデータベースとは別に管理されており、鍵なしで読める項目はない（すべての項目が暗号化されている）。".to_owned()
        }
        _ => format!("鍵なしで読める項目: {}", e.readable_without_keys.join("、")),
    }
}

fn scenario_ja(facts: &Facts) -> String {
    let base = match facts.scenario {
        Scenario::Access => {
            "kuraで管理する個人データが、対象の利用者アカウントにより閲覧・出力された事案である。閲覧・出力の範囲はkuraのアクセスログから特定した。"
        }
        Scenario::Export => {
            "kuraから出力された個人データのファイル（エクスポート）が組織外に流出した事案である。流出元のエクスポートと含まれる本人はkuraの出力記録から特定した。"
        }
        Scenario::StolenDatabase { keys_separate: true } => {
            "kuraのデータベースファイルの複製が持ち出された事案である。個人データは項目ごとに暗号化され、暗号鍵はデータベースとは別に管理されている。"
        }
        Scenario::StolenDatabase { keys_separate: false } => {
            "kuraのデータベースファイルの複製が持ち出された事案である。個人データは項目ごとに暗号化されているが、暗号鍵がデータベースと同じ場所に保管されていた。"
        }
    };
    if facts.unauthorised_purpose {
        format!("{base}不正の目的をもって行われたおそれがある。")
    } else {
        base.to_owned()
    }
}

fn scenario_en(facts: &Facts) -> &'static str {
    match facts.scenario {
        Scenario::Access => {
            "Personal data held in the vault was read or exported by the accounts in scope; the extent was established from the vault's tamper-evident access log."
        }
        Scenario::Export => {
            "Files exported from the vault left the organisation; the exports and the data subjects in them were established from the vault's export records."
        }
        Scenario::StolenDatabase { keys_separate: true } => {
            "A copy of the database files was taken; personal data in it is encrypted field by field and the keys are kept apart from the database."
        }
        Scenario::StolenDatabase { keys_separate: false } => {
            "A copy of the database files was taken; personal data in it is encrypted field by field, but the keys were kept with the database and are presumed taken."
        }
    }
}

fn log_cause_ja(facts: &Facts) -> String {
    let e = &facts.exposure;
    let who = match facts.scenario {
        Scenario::Access => format!(
            "アクセスログによれば、利用者アカウント{}件が本人{}名の個人データを閲覧・出力した。",
            num(len(&facts.principals)),
            num(e.subjects)
        ),
        Scenario::Export => format!(
            "出力記録によれば、エクスポート{}件に含まれる本人{}名の個人データが流出した。",
            num(len(&facts.exports)),
            num(e.subjects)
        ),
        Scenario::StolenDatabase { .. } => {
            format!("データベースファイルの複製（本人{}名分）が持ち出された。", num(e.subjects))
        }
    };
    if facts.unauthorised_purpose {
        format!("{who}不正の目的をもって行われたおそれがある。")
    } else {
        who
    }
}

fn log_cause_en(facts: &Facts) -> String {
    let e = &facts.exposure;
    let who = match facts.scenario {
        Scenario::Access => format!(
            "the access log shows {} accounts reading or exporting the personal data of {} data subjects.",
            num(len(&facts.principals)),
            num(e.subjects)
        ),
        Scenario::Export => format!(
            "the export records show {} exports holding the personal data of {} data subjects.",
            num(len(&facts.exports)),
            num(e.subjects)
        ),
        Scenario::StolenDatabase { .. } => {
            format!("a copy of the database files holding {} data subjects was taken.", num(e.subjects))
        }
    };
    if facts.unauthorised_purpose {
        format!("{who} It was, or may have been, done with an unauthorised purpose.")
    } else {
        who
    }
}

fn harm_ja(a: &Assessment) -> String {
    let mut out = Vec::new();
    if a.has(Ground::Payment) {
        out.push("クレジットカード番号が平文で含まれるため、不正利用による財産的被害のおそれがある。");
    }
    if a.has(Ground::Sensitive) {
        out.push("要配慮個人情報が含まれるため、差別・偏見その他の不利益が生じるおそれがある。");
    }
    if a.has(Ground::UnauthorisedPurpose) {
        out.push("不正の目的によるおそれがあるため、なりすまし・詐欺的な連絡等に悪用されるおそれがある。");
    }
    if out.is_empty() {
        "アクセスログからは二次被害の有無は判断できない。".to_owned()
    } else {
        out.concat()
    }
}

fn harm_public_ja(a: &Assessment) -> String {
    let mut out = Vec::new();
    if a.has(Ground::Payment) {
        out.push("クレジットカード番号が含まれるため、不正利用のおそれがあります。");
    }
    if a.has(Ground::UnauthorisedPurpose) || a.has(Ground::Sensitive) {
        out.push("漏えいした情報が悪用されるおそれがあります。");
    }
    if out.is_empty() {
        "現時点で、二次被害は確認されておりません。".to_owned()
    } else {
        out.concat()
    }
}

fn advice_ja(a: &Assessment) -> Vec<&'static str> {
    let mut out = vec!["当社を装った不審な電話・郵便物・電子メールにご注意ください。当社からお客様の暗証番号やパスワードをお尋ねすることはありません。"];
    if a.has(Ground::Payment) {
        out.push("クレジットカードのご利用明細に身に覚えのない請求がないか、ご確認ください。お心当たりのない請求がある場合は、カード会社にご連絡ください。");
    }
    out
}

fn consequences_en(a: &Assessment) -> Vec<&'static str> {
    let mut out = Vec::new();
    if a.has(Ground::Payment) {
        out.push("Card numbers in the clear: fraudulent card use and financial loss.");
    }
    if a.has(Ground::Sensitive) {
        out.push("Special-category data: discrimination, damage to reputation, distress.");
    }
    if a.has(Ground::UnauthorisedPurpose) {
        out.push("An unauthorised purpose: misuse of the data for fraud, impersonation or unsolicited contact.");
    }
    out.push("Identifying and contact data: phishing, scam letters and calls, unsolicited contact.");
    if a.exempt.is_some() {
        out.push("The data taken is encrypted with keys kept apart: the risk to the data subjects is unlikely.");
    }
    out
}

/// A field's name for readers: by its type in Japanese (`自宅の住所`), with the schema's name after it when
/// `technical` (`自宅の住所（home_address）`); the schema's name alone when the type is not known.
fn field_ja(f: &FieldExposure, technical: bool) -> String {
    use crate::schema::FieldType as T;
    let Some(kind) = f.kind else { return f.name.clone() };
    let label = match kind {
        T::Identifier => "識別番号",
        T::PersonNameJa => "氏名",
        T::PersonNameRomaji => "氏名（ローマ字）",
        T::Kana => "氏名（カナ）",
        T::Email => "メールアドレス",
        T::Phone => "電話番号",
        T::JpAddress => "住所",
        T::UsAddress => "住所（米国）",
        T::PostalCode => "郵便番号",
        T::Date => "日付（生年月日等）",
        T::Organisation => "会社名",
        T::Department => "部署名",
        T::CardNumber => "クレジットカード番号",
        T::CardExpiry => "クレジットカードの有効期限",
        T::CardBrand => "クレジットカードのブランド",
        T::FreeText => "自由記述",
    };
    let base = f.name.rsplit('.').next().unwrap_or(&f.name);
    let whose = if base.starts_with("home_") {
        "自宅の"
    } else if base.starts_with("company_") && kind != T::Organisation {
        "勤務先の"
    } else {
        ""
    };
    if technical {
        format!("{whose}{label}（{}）", f.name)
    } else {
        format!("{whose}{label}")
    }
}

/// A field's name in English for the GDPR notification: its type, with the schema's name.
fn field_en(f: &FieldExposure) -> String {
    use crate::schema::FieldType as T;
    let Some(kind) = f.kind else { return f.name.clone() };
    let label = match kind {
        T::Identifier => "identifier",
        T::PersonNameJa | T::PersonNameRomaji => "name",
        T::Kana => "name reading",
        T::Email => "e-mail address",
        T::Phone => "phone number",
        T::JpAddress | T::UsAddress => "postal address",
        T::PostalCode => "postal code",
        T::Date => "date (e.g. of birth)",
        T::Organisation => "company name",
        T::Department => "department",
        T::CardNumber => "card number",
        T::CardExpiry => "card expiry",
        T::CardBrand => "card brand",
        T::FreeText => "free text",
    };
    format!("{label} `{}`", f.name)
}

/// The fields concerned, for people outside the organisation: names and classes, masked ones marked so.
fn public_fields_ja(facts: &Facts) -> Vec<Vec<Inline>> {
    let fields: Vec<Vec<Inline>> = facts
        .exposure
        .fields
        .iter()
        .filter(|f| f.subjects > 0 || duties::in_clear(facts, f))
        .map(|f| {
            let how = match facts.scenario {
                Scenario::StolenDatabase { .. } if !duties::in_clear(facts, f) => "（暗号化された状態）",
                _ if !duties::in_clear(facts, f) => "（一部を伏せた表示のみ）",
                _ => "",
            };
            vec![t(format!("{}（{}）{how}", field_ja(f, false), class_ja(f.classification)))]
        })
        .collect();
    if fields.is_empty() {
        facts.exposure.by_class.iter().map(|(c, _)| vec![t(class_ja(*c))]).collect()
    } else {
        fields
    }
}

fn public_scenario_ja(facts: &Facts, a: &Assessment) -> String {
    let base = match facts.scenario {
        Scenario::Access => {
            "当社の業務システムにおいて、お客様の個人情報が不適切に閲覧・出力された、又はそのおそれがあります。"
        }
        Scenario::Export => "当社が業務のために作成したお客様の個人情報を含むファイルが、外部に流出しました。",
        Scenario::StolenDatabase { .. } => "当社システムのデータベースの複製が、外部に持ち出されました。",
    };
    if a.exempt.is_some() {
        format!("{base}なお、お客様の情報は暗号化されており、暗号鍵は別に管理しているため、内容が読み取られるおそれは低いと考えております。")
    } else {
        base.to_owned()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;
    use crate::incident::duties::assess;
    use crate::incident::{Event, Exposure, Statements};

    /// 2026-11-28 14:05 JST.
    const LEARNED: i64 = 1_795_842_300;

    fn facts() -> Facts {
        Facts {
            id: "INC-20261128-3F9A".to_owned(),
            title: "委託先社員による顧客リストの持ち出し".to_owned(),
            detected_at: LEARNED - 2 * 3_600,
            learned_at: LEARNED,
            scenario: Scenario::Access,
            unauthorised_purpose: true,
            principals: vec!["op.tanaka".to_owned(), "op.suzuki".to_owned()],
            exports: vec!["EXP-0042".to_owned()],
            window: Some((LEARNED - 30 * DAY, LEARNED - DAY)),
            exposure: Exposure {
                subjects: 130_000,
                could_have_viewed: 131_250,
                by_company: vec![
                    ("株式会社さくら商事".to_owned(), 90_000),
                    ("ひまわり物産株式会社".to_owned(), 40_000),
                ],
                by_class: vec![(Classification::Personal, 130_000), (Classification::Payment, 1_200)],
                fields: vec![
                    FieldExposure {
                        name: "home_address".to_owned(),
                        kind: Some(crate::schema::FieldType::JpAddress),
                        classification: Classification::Personal,
                        subjects: 130_000,
                        plain: 129_000,
                    },
                    FieldExposure {
                        name: "card_number".to_owned(),
                        kind: None,
                        classification: Classification::Payment,
                        subjects: 1_200,
                        plain: 17,
                    },
                ],
                eu_subjects: 12,
                readable_without_keys: Vec::new(),
                honey: 3,
                canaries: 2,
            },
            timeline: vec![
                Event { at: LEARNED - 30 * DAY, source: Source::Log, text: "log #1024: bulk read begins".to_owned() },
                Event { at: LEARNED, source: Source::Manual, text: "canary letter reported".to_owned() },
            ],
            statements: Statements::default(),
            version: 1,
            is_final: false,
        }
    }

    fn filled() -> Statements {
        Statements {
            organisation: Some("ORG-TEXT".to_owned()),
            contact: Some("CONTACT-TEXT".to_owned()),
            cause: Some("CAUSE-TEXT".to_owned()),
            secondary_damage: Some("DAMAGE-TEXT".to_owned()),
            response_to_individuals: Some("RESPONSE-TEXT".to_owned()),
            publication: Some("PUBLICATION-TEXT".to_owned()),
            prevention: Some("PREVENTION-TEXT".to_owned()),
            other: Some("OTHER-TEXT".to_owned()),
            inquiry_desk: Some("DESK-TEXT".to_owned()),
        }
    }

    /// Statements with exactly one item left blank, by index in the order of [`Statements`].
    fn all_but(i: usize) -> Statements {
        let mut s = filled();
        let slots = [
            &mut s.organisation,
            &mut s.contact,
            &mut s.cause,
            &mut s.secondary_damage,
            &mut s.response_to_individuals,
            &mut s.publication,
            &mut s.prevention,
            &mut s.other,
            &mut s.inquiry_desk,
        ];
        *slots.into_iter().nth(i).unwrap() = None;
        s
    }

    fn inlines(d: &Document) -> Vec<&Inline> {
        let mut out = Vec::new();
        for b in &d.blocks {
            match b {
                Block::Heading(..) => {}
                Block::Paragraph(v) => out.extend(v),
                Block::List(items) => items.iter().for_each(|i| out.extend(i)),
                Block::Table { rows, .. } => rows.iter().flatten().for_each(|c| out.extend(c)),
            }
        }
        out
    }

    fn fills(d: &Document) -> Vec<String> {
        inlines(d)
            .into_iter()
            .filter_map(|i| match i {
                Inline::Fill(s) => Some(s.clone()),
                _ => None,
            })
            .collect()
    }

    fn text(d: &Document) -> String {
        let mut out = d.title.clone();
        for b in &d.blocks {
            match b {
                Block::Heading(_, h) => out.push_str(h),
                Block::Table { header, .. } => header.iter().for_each(|h| out.push_str(h)),
                _ => {}
            }
            out.push('\n');
        }
        for i in inlines(d) {
            match i {
                Inline::Text(s) | Inline::Strong(s) | Inline::Fill(s) => out.push_str(s),
            }
            out.push('\n');
        }
        out
    }

    fn headings(d: &Document) -> Vec<&str> {
        d.blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading(_, h) => Some(h.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether `items` appear as headings in order (each heading ending with the item).
    fn in_order(d: &Document, items: &[&str]) -> bool {
        let hs = headings(d);
        let mut at = 0;
        for item in items {
            match hs.iter().skip(at).position(|h| h.ends_with(item)) {
                Some(p) => at += p + 1,
                None => return false,
            }
        }
        true
    }

    #[test]
    fn fields_are_named_by_their_type_for_readers() {
        let f = facts();
        let a = duties::assess(&f);
        let notice = text(&notice_to_individuals(&f, &a));
        assert!(notice.contains("自宅の住所（個人情報）"), "{notice}");
        assert!(!notice.contains("home_address"), "the schema's names are for the regulator's report");
        let ppc = text(&ppc_report(&f, &a));
        assert!(ppc.contains("自宅の住所（home_address）"), "{ppc}");
        assert!(ppc.contains("card_number"), "a field of unknown type keeps its schema name");
        let gdpr = text(&gdpr_notification(&f, &a));
        assert!(gdpr.contains("postal address `home_address`"), "{gdpr}");
    }

    #[test]
    fn dates_are_japan_time() {
        assert_eq!(jst(LEARNED), "2026年11月28日 14時05分");
        assert_eq!(jst_en(LEARNED), "2026-11-28 14:05 JST");
        assert_eq!(jst_date(LEARNED - 14 * 3_600 - 5 * 60 - 1), "2026年11月27日");
        assert_eq!(jst(0), "1970年1月1日 9時00分");
        assert_eq!(jst(951_782_400 - JST), "2000年2月29日 0時00分");
        assert_eq!(num(0), "0");
        assert_eq!(num(999), "999");
        assert_eq!(num(1_001), "1,001");
        assert_eq!(num(130_000), "130,000");
        assert_eq!(num(1_234_567), "1,234,567");
    }

    #[test]
    fn ppc_report_has_the_nine_items_in_order_and_the_figures() {
        let f = facts();
        let a = assess(&f);
        let d = ppc_report(&f, &a);
        assert_eq!(d.lang, "ja");
        assert_eq!(d.title, "個人データの漏えい等の報告書（速報）");
        let numbered: Vec<String> = PPC_ITEMS.iter().enumerate().map(|(i, h)| format!("({}) {h}", i + 1)).collect();
        let hs = headings(&d);
        let positions: Vec<usize> =
            numbered.iter().map(|n| hs.iter().position(|h| h == n).unwrap_or_else(|| panic!("{n}"))).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{hs:?}");

        let body = text(&d);
        for needle in [
            "速報（第1版）",
            "2026年11月28日 14時05分",
            "2026年11月28日 12時05分",
            "施行規則7条2号",
            "施行規則7条3号",
            "施行規則7条4号",
            // The preliminary report: 5 days after awareness.
            "2026年12月3日 14時05分まで（速やかに（覚知から概ね3〜5日以内））",
            // The final report: 60 days (unauthorised purpose), day 1 being 28 November.
            "2027年1月26日 23時59分",
            "130,000名",
            "131,250名",
            "うちEU域内の本人: 12名",
            "株式会社さくら商事",
            "90,000名",
            "home_address",
            "129,000名",
            "ハニーレコード3件、カナリアレコード2件",
            "本人の数には含めていない",
            "log #1024: bulk read begins",
            "利用者アカウント2件",
            "EXP-0042",
            "監督機関への通知（GDPR 33条）: 要",
        ] {
            assert!(body.contains(needle), "missing {needle:?} in\n{body}");
        }
        assert!(!body.contains("op.tanaka"), "principal names stay out of the drafts");
    }

    #[test]
    fn blanks_appear_exactly_for_unstated_items() {
        let mut f = facts();
        let a = assess(&f);
        // Which statements each draft uses, in the order of `Statements`.
        let used: [(&str, [bool; 9]); 4] = [
            ("ppc-report", [true; 9]),
            ("gdpr-notification", [true, true, true, true, true, false, true, false, false]),
            ("notice-to-individuals", [true, false, true, true, false, false, false, false, true]),
            ("public-statement", [true, false, true, false, true, false, true, false, true]),
        ];
        f.statements = Statements::default();
        let docs = all(&f, &a);
        assert_eq!(docs.iter().map(|(n, _)| *n).collect::<Vec<_>>(), used.map(|(n, _)| n));
        for ((name, doc), (_, uses)) in docs.iter().zip(&used) {
            let n = uses.iter().filter(|u| **u).count();
            assert_eq!(fills(doc).len(), n, "{name}: {:?}", fills(doc));
        }
        f.statements = filled();
        for (name, doc) in all(&f, &a) {
            assert!(fills(&doc).is_empty(), "{name}: {:?}", fills(&doc));
        }
        for i in 0..9 {
            f.statements = all_but(i);
            for ((name, doc), (_, uses)) in all(&f, &a).iter().zip(&used) {
                assert_eq!(fills(doc).len(), usize::from(uses[i]), "{name}, statement {i}: {:?}", fills(doc));
            }
        }
        // A filled statement appears as given.
        f.statements = filled();
        let body = text(&ppc_report(&f, &a));
        for s in ["ORG-TEXT", "CONTACT-TEXT", "CAUSE-TEXT", "DAMAGE-TEXT", "RESPONSE-TEXT", "PUBLICATION-TEXT"] {
            assert!(body.contains(s), "{s}");
        }
        assert!(body.contains("PREVENTION-TEXT") && body.contains("OTHER-TEXT") && body.contains("DESK-TEXT"));
    }

    #[test]
    fn gdpr_notification_has_items_a_to_d_and_the_deadline() {
        let mut f = facts();
        f.timeline.truncate(1);
        let a = assess(&f);
        let d = gdpr_notification(&f, &a);
        assert_eq!(d.lang, "en");
        assert!(in_order(&d, &GDPR_ITEMS), "{:?}", headings(&d));
        let body = text(&d);
        for needle in [
            "2026-12-01 14:05 JST",
            "Approximate number of data subjects concerned: 130,000 (of whom 12 in the EU)",
            "payment card data (1,200)",
            "card_number (payment card data, in the clear: 1,200)",
            "fraudulent card use",
            "Communication to the data subjects (Art. 34): required",
        ] {
            assert!(body.contains(needle), "missing {needle:?} in\n{body}");
        }
        assert!(!body.contains("reasons for the delay"));
        // Sent after the deadline: the reasons are asked for.
        let late = gdpr_notification_at(&f, &a, LEARNED + 72 * 3_600 + 1);
        assert!(fills(&late).contains(&"the reasons for the delay".to_owned()));
        let on_time = gdpr_notification_at(&f, &a, LEARNED + 72 * 3_600);
        assert!(!fills(&on_time).contains(&"the reasons for the delay".to_owned()));
        // The facts' own latest event past the deadline makes it late too.
        f.timeline.push(Event { at: LEARNED + 4 * DAY, source: Source::Manual, text: "scope widened".to_owned() });
        assert!(fills(&gdpr_notification(&f, &a)).contains(&"the reasons for the delay".to_owned()));
    }

    #[test]
    fn no_gdpr_draft_without_eu_subjects() {
        let mut f = facts();
        f.exposure.eu_subjects = 0;
        let a = assess(&f);
        let names: Vec<&str> = all(&f, &a).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["ppc-report", "notice-to-individuals", "public-statement"]);
        let d = gdpr_notification(&f, &a);
        assert!(text(&d).contains("not required"));
    }

    #[test]
    fn notice_has_its_items_and_no_internal_detail() {
        let f = facts();
        let a = assess(&f);
        let d = notice_to_individuals(&f, &a);
        assert_eq!(d.lang, "ja");
        let numbered: Vec<String> = NOTICE_ITEMS.iter().enumerate().map(|(i, h)| format!("{}. {h}", i + 1)).collect();
        let refs: Vec<&str> = numbered.iter().map(String::as_str).collect();
        assert!(in_order(&d, &[refs.as_slice(), &["お問い合わせ窓口"]].concat()), "{:?}", headings(&d));
        let body = text(&d);
        assert!(body.contains("2026年11月28日に判明"));
        assert!(body.contains("card_number（クレジットカード情報）"));
        assert!(body.contains("ご利用明細"));
        for internal in ["op.", "EXP-0042", "さくら商事", "ハニー", "カナリア", "log #1024"] {
            assert!(!body.contains(internal), "{internal} in the notice");
        }
    }

    #[test]
    fn public_statement_says_what_how_many_and_where_to_ask() {
        let f = facts();
        let a = assess(&f);
        let d = public_statement(&f, &a);
        assert!(d.title.contains("お詫びとお知らせ"));
        assert!(in_order(
            &d,
            &[
                "発生した事象の概要",
                "漏えい等のおそれがある情報",
                "対象となるお客様の人数",
                "原因",
                "当社の対応",
                "お問い合わせ窓口"
            ]
        ));
        let body = text(&d);
        assert!(body.contains("漏えい等が確認されたお客様: 130,000名"));
        assert!(body.contains("個人情報保護委員会へ報告"));
        for internal in ["op.", "EXP-0042", "さくら商事", "ハニー", "カナリア"] {
            assert!(!body.contains(internal), "{internal} in the statement");
        }
    }

    #[test]
    fn exempt_stolen_database_drafts_say_so() {
        let mut f = facts();
        f.scenario = Scenario::StolenDatabase { keys_separate: true };
        for field in &mut f.exposure.fields {
            field.plain = 0;
        }
        let a = assess(&f);
        assert!(a.exempt.is_some());
        let body = text(&ppc_report(&f, &a));
        assert!(body.contains("kuraの判定では報告義務はない"), "{body}");
        assert!(body.contains("鍵なしで読める項目はない"));
        assert!(body.contains("暗号化"));
        let notice = text(&notice_to_individuals(&f, &a));
        assert!(notice.contains("（暗号化された状態）"));
        assert!(!text(&public_statement(&f, &a)).contains("個人情報保護委員会へ報告"));
    }
}
