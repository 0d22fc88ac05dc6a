//! What each order type needs: the fields an operator may read of the order's people, the purpose kind the
//! work maps to, each partner kind's narrower view, and the SLA hours per type and priority.
//!
//! Configuration is TOML, checked against the collection's [`Schema`]:
//!
//! ```toml
//! [order.battery_shipment]
//! fields = ["user_name", "home_postal_code", "home_address"]
//! purpose = "shipping"
//!
//! [partner.courier]
//! fields = ["user_name", "home_postal_code", "home_address"]
//!
//! [sla.battery_shipment]   # hours from arrival; absent priorities keep the default
//! normal = 48
//! urgent = 8
//! ```
//!
//! Guarantees:
//! - **Every named field exists** in the schema, once per list; order types, partner kinds and priorities
//!   are known names; unknown keys are refused.
//! - **Deny by default.** An order type or partner kind the file does not mention needs no field at all
//!   (purpose `support`); only the SLA falls back to the defaults ([`DEFAULT_SLA_HOURS`]).
//! - **Home addresses only for shipping.** A field marked `home` in the schema may only be needed by an
//!   order type whose purpose is `shipping`, as the default policy would refuse it for anything else.
//! - [`Needs::default_for`] gives the defaults for `corporate-mobile` ([`DEFAULT_TOML`]), keeping only the
//!   fields a given schema has, so it is always valid.

use std::collections::{BTreeMap, HashSet};

use serde::Deserialize;

use super::order::{OrderType, PartnerKind, Priority};
use crate::schema::Schema;

/// The purpose kind of work on an order type the file does not name.
pub const DEFAULT_PURPOSE: &str = "support";
/// The purpose kind home addresses need.
pub const SHIPPING: &str = "shipping";
/// The longest SLA: a year.
pub const MAX_SLA_HOURS: u32 = 24 * 366;

/// Default SLA hours, by [`OrderType::index`] then [`Priority::index`] (low, normal, high, urgent).
pub const DEFAULT_SLA_HOURS: [[u32; 4]; 7] = [
    [120, 72, 48, 24], // new_line
    [72, 48, 24, 8],   // device_change
    [120, 72, 48, 24], // repair
    [72, 48, 24, 8],   // battery_shipment
    [72, 48, 24, 8],   // cancellation
    [72, 48, 24, 8],   // address_change
    [24, 8, 4, 1],     // inquiry
];

/// The defaults for `corporate-mobile`, as a configuration file.
pub const DEFAULT_TOML: &str = r#"# What each order type of the corporate mobile service desk needs.
[order.new_line]
fields = ["user_name", "user_name_kana", "department", "email", "company_postal_code", "company_address"]
purpose = "provisioning"

[order.device_change]
fields = ["user_name", "mobile"]
purpose = "support"

[order.repair]
fields = ["user_name", "mobile", "company_postal_code", "company_address"]
purpose = "repair"

[order.battery_shipment]
fields = ["user_name", "home_postal_code", "home_address"]
purpose = "shipping"

[order.cancellation]
fields = ["user_name", "mobile"]
purpose = "support"

[order.address_change]
fields = ["user_name", "company_postal_code", "company_address"]
purpose = "support"

[order.inquiry]
fields = []
purpose = "support"

# A partner sees at most its view, and never more than the order needs.
[partner.courier]
fields = ["user_name", "home_postal_code", "home_address"]

[partner.handset_maker]
fields = ["user_name", "mobile"]

[partner.carrier]
fields = ["mobile"]
"#;

/// The defaults per order type: fields and purpose, in [`OrderType::ALL`] order.
const DEFAULT_ORDERS: [(&[&str], &str); 7] = [
    (&["user_name", "user_name_kana", "department", "email", "company_postal_code", "company_address"], "provisioning"),
    (&["user_name", "mobile"], "support"),
    (&["user_name", "mobile", "company_postal_code", "company_address"], "repair"),
    (&["user_name", "home_postal_code", "home_address"], SHIPPING),
    (&["user_name", "mobile"], "support"),
    (&["user_name", "company_postal_code", "company_address"], "support"),
    (&[], "support"),
];

/// The default partner views, in [`PartnerKind::ALL`] order.
const DEFAULT_PARTNERS: [&[&str]; 3] =
    [&["user_name", "home_postal_code", "home_address"], &["user_name", "mobile"], &["mobile"]];

/// SLA hours per order type and priority.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sla {
    hours: [[u32; 4]; 7],
}

impl Default for Sla {
    fn default() -> Self {
        Sla { hours: DEFAULT_SLA_HOURS }
    }
}

impl Sla {
    /// Hours from arrival to the due time.
    pub fn hours(&self, kind: OrderType, priority: Priority) -> u32 {
        self.hours.get(kind.index()).and_then(|row| row.get(priority.index())).copied().unwrap_or(0)
    }

    /// Seconds from arrival to the due time.
    pub fn seconds(&self, kind: OrderType, priority: Priority) -> i64 {
        i64::from(self.hours(kind, priority)) * 3600
    }
}

/// What one order type needs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TypeNeeds {
    fields: Vec<String>,
    purpose: String,
}

/// The data needs of every order type and partner kind, and the SLA, for one collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needs {
    collection: String,
    schema_fields: Vec<String>,
    orders: Vec<TypeNeeds>,
    partners: Vec<Vec<String>>,
    sla: Sla,
}

/// Why a needs configuration was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum NeedsError {
    /// The TOML does not parse or has unknown keys.
    #[error("needs file is not valid: {0}")]
    Syntax(String),
    /// An `[order.…]` section names an unknown order type.
    #[error(
        "unknown order type `{0}` (new_line, device_change, repair, battery_shipment, cancellation, \
         address_change, inquiry)"
    )]
    UnknownOrderType(String),
    /// A `[partner.…]` section names an unknown partner kind.
    #[error("unknown partner kind `{0}` (courier, handset_maker, carrier)")]
    UnknownPartnerKind(String),
    /// A field is not in the schema.
    #[error("`{section}` names field `{field}`, which collection `{collection}` does not have")]
    UnknownField {
        /// The section, e.g. `order.repair`.
        section: String,
        /// The field.
        field: String,
        /// The collection.
        collection: String,
    },
    /// A field is named twice in one list.
    #[error("`{section}` names field `{field}` twice")]
    DuplicateField {
        /// The section.
        section: String,
        /// The field.
        field: String,
    },
    /// A purpose kind is malformed.
    #[error("`{section}`: purpose kind `{purpose}` must be 1 to 32 lower-case letters or `-`")]
    Purpose {
        /// The section.
        section: String,
        /// The purpose given.
        purpose: String,
    },
    /// A home-address field is needed for work other than shipping.
    #[error("`{section}` needs home-address field `{field}`, which only `shipping` work may read")]
    HomeNotShipping {
        /// The section.
        section: String,
        /// The field.
        field: String,
    },
    /// An SLA is zero or longer than a year.
    #[error("`sla.{kind}.{priority}` must be between 1 and {max} hours, got {hours}")]
    SlaHours {
        /// The order type.
        kind: OrderType,
        /// The priority.
        priority: Priority,
        /// The hours given.
        hours: u32,
        /// The most allowed.
        max: u32,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    order: BTreeMap<String, OrderSection>,
    #[serde(default)]
    partner: BTreeMap<String, PartnerSection>,
    #[serde(default)]
    sla: BTreeMap<String, SlaSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OrderSection {
    #[serde(default)]
    fields: Vec<String>,
    #[serde(default)]
    purpose: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartnerSection {
    #[serde(default)]
    fields: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlaSection {
    low: Option<u32>,
    normal: Option<u32>,
    high: Option<u32>,
    urgent: Option<u32>,
}

fn valid_purpose(p: &str) -> bool {
    (1..=32).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
}

impl Needs {
    /// Parses and validates a needs file for the collection `schema`.
    pub fn from_toml(text: &str, schema: &Schema) -> Result<Needs, NeedsError> {
        let file: File = toml::from_str(text).map_err(|e| NeedsError::Syntax(e.message().to_owned()))?;
        let mut needs = Needs::empty(schema);
        for (name, section) in file.order {
            let kind = OrderType::parse(&name).ok_or_else(|| NeedsError::UnknownOrderType(name.clone()))?;
            let purpose = section.purpose.unwrap_or_else(|| DEFAULT_PURPOSE.to_owned());
            if let Some(slot) = needs.orders.get_mut(kind.index()) {
                *slot = TypeNeeds { fields: section.fields, purpose };
            }
        }
        for (name, section) in file.partner {
            let kind = PartnerKind::parse(&name).ok_or_else(|| NeedsError::UnknownPartnerKind(name.clone()))?;
            if let Some(slot) = needs.partners.get_mut(partner_index(kind)) {
                *slot = section.fields;
            }
        }
        for (name, section) in file.sla {
            let kind = OrderType::parse(&name).ok_or_else(|| NeedsError::UnknownOrderType(name.clone()))?;
            if let Some(row) = needs.sla.hours.get_mut(kind.index()) {
                let given = [section.low, section.normal, section.high, section.urgent];
                for (cell, value) in row.iter_mut().zip(given) {
                    if let Some(v) = value {
                        *cell = v;
                    }
                }
            }
        }
        needs.validate(schema)?;
        Ok(needs)
    }

    /// The defaults ([`DEFAULT_TOML`], SLA [`DEFAULT_SLA_HOURS`]), keeping only the fields `schema` has.
    pub fn default_for(schema: &Schema) -> Needs {
        let present = |fields: &[&str]| -> Vec<String> {
            fields.iter().filter(|f| schema.field(f).is_some()).map(|f| (*f).to_owned()).collect()
        };
        let mut needs = Needs::empty(schema);
        needs.orders = DEFAULT_ORDERS
            .iter()
            .map(|(fields, purpose)| TypeNeeds { fields: present(fields), purpose: (*purpose).to_owned() })
            .collect();
        needs.partners = DEFAULT_PARTNERS.iter().map(|fields| present(fields)).collect();
        // A schema could mark one of the default fields as a home address: drop it rather than be invalid.
        for t in &mut needs.orders {
            if t.purpose != SHIPPING {
                t.fields.retain(|f| !schema.field(f).is_some_and(|f| f.home));
            }
        }
        needs
    }

    /// Nothing needed, default SLA.
    fn empty(schema: &Schema) -> Needs {
        Needs {
            collection: schema.name.clone(),
            schema_fields: schema.fields.iter().map(|f| f.name.clone()).collect(),
            orders: OrderType::ALL
                .iter()
                .map(|_| TypeNeeds { fields: Vec::new(), purpose: DEFAULT_PURPOSE.to_owned() })
                .collect(),
            partners: PartnerKind::ALL.iter().map(|_| Vec::new()).collect(),
            sla: Sla::default(),
        }
    }

    fn validate(&self, schema: &Schema) -> Result<(), NeedsError> {
        let check_list = |section: &str, fields: &[String]| -> Result<(), NeedsError> {
            let mut seen = HashSet::new();
            for f in fields {
                if schema.field(f).is_none() {
                    return Err(NeedsError::UnknownField {
                        section: section.to_owned(),
                        field: f.clone(),
                        collection: schema.name.clone(),
                    });
                }
                if !seen.insert(f.as_str()) {
                    return Err(NeedsError::DuplicateField { section: section.to_owned(), field: f.clone() });
                }
            }
            Ok(())
        };
        for kind in OrderType::ALL {
            let section = format!("order.{kind}");
            check_list(&section, self.fields(kind))?;
            let purpose = self.purpose(kind);
            if !valid_purpose(purpose) {
                return Err(NeedsError::Purpose { section, purpose: purpose.to_owned() });
            }
            if purpose != SHIPPING {
                if let Some(f) = self.fields(kind).iter().find(|f| schema.field(f).is_some_and(|f| f.home)) {
                    return Err(NeedsError::HomeNotShipping { section, field: f.clone() });
                }
            }
            for priority in Priority::ALL {
                let hours = self.sla.hours(kind, priority);
                if !(1..=MAX_SLA_HOURS).contains(&hours) {
                    return Err(NeedsError::SlaHours { kind, priority, hours, max: MAX_SLA_HOURS });
                }
            }
        }
        for kind in PartnerKind::ALL {
            check_list(&format!("partner.{}", kind.as_str()), self.partner_fields(kind))?;
        }
        Ok(())
    }

    /// The collection the needs were checked against.
    pub fn collection(&self) -> &str {
        &self.collection
    }

    /// Every field of the collection, in schema order.
    pub fn schema_fields(&self) -> &[String] {
        &self.schema_fields
    }

    /// The fields an operator may read of an order's people, for an order of type `kind`.
    pub fn fields(&self, kind: OrderType) -> &[String] {
        self.orders.get(kind.index()).map_or(&[], |t| t.fields.as_slice())
    }

    /// Whether an order of type `kind` needs `field`.
    pub fn needs(&self, kind: OrderType, field: &str) -> bool {
        self.fields(kind).iter().any(|f| f == field)
    }

    /// The purpose kind work on `kind` maps to (e.g. `shipping`).
    pub fn purpose(&self, kind: OrderType) -> &str {
        self.orders.get(kind.index()).map_or(DEFAULT_PURPOSE, |t| t.purpose.as_str())
    }

    /// The most a partner of kind `kind` may see of an order's people.
    pub fn partner_fields(&self, kind: PartnerKind) -> &[String] {
        self.partners.get(partner_index(kind)).map_or(&[], Vec::as_slice)
    }

    /// Whether a partner of kind `partner` working on an order of type `kind` may see `field`: it is in the
    /// partner's view and the order needs it.
    pub fn partner_needs(&self, partner: PartnerKind, kind: OrderType, field: &str) -> bool {
        self.partner_fields(partner).iter().any(|f| f == field) && self.needs(kind, field)
    }

    /// The SLA hours.
    pub fn sla(&self) -> &Sla {
        &self.sla
    }
}

fn partner_index(kind: PartnerKind) -> usize {
    match kind {
        PartnerKind::Courier => 0,
        PartnerKind::HandsetMaker => 1,
        PartnerKind::Carrier => 2,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

    use super::*;

    fn corporate() -> Schema {
        crate::schema::builtin("corporate-mobile").unwrap()
    }

    #[test]
    fn defaults_for_corporate_mobile() {
        let n = Needs::default_for(&corporate());
        assert_eq!(n.collection(), "corporate-mobile");
        assert_eq!(n.fields(OrderType::BatteryShipment), ["user_name", "home_postal_code", "home_address"]);
        assert_eq!(n.fields(OrderType::DeviceChange), ["user_name", "mobile"]);
        assert!(n.fields(OrderType::Inquiry).is_empty());
        assert_eq!(n.purpose(OrderType::BatteryShipment), "shipping");
        assert_eq!(n.partner_fields(PartnerKind::Courier), ["user_name", "home_postal_code", "home_address"]);
        assert!(n.partner_needs(PartnerKind::Courier, OrderType::BatteryShipment, "home_address"));
        assert!(!n.partner_needs(PartnerKind::Courier, OrderType::BatteryShipment, "mobile"));
        // The view never exceeds what the order needs.
        assert!(!n.partner_needs(PartnerKind::Courier, OrderType::DeviceChange, "home_address"));
        // No order type but shipping reads home addresses.
        for kind in OrderType::ALL {
            if n.purpose(kind) != SHIPPING {
                assert!(!n.needs(kind, "home_address") && !n.needs(kind, "home_postal_code"), "{kind}");
            }
        }
        assert_eq!(n.sla(), &Sla::default());
        n.validate(&corporate()).unwrap();
    }

    #[test]
    fn the_default_file_is_the_defaults() {
        let s = corporate();
        assert_eq!(Needs::from_toml(DEFAULT_TOML, &s).unwrap(), Needs::default_for(&s));
    }

    #[test]
    fn defaults_keep_only_fields_the_schema_has() {
        let s = crate::schema::builtin("consumer-wireless").unwrap();
        let n = Needs::default_for(&s);
        for kind in OrderType::ALL {
            assert!(n.fields(kind).iter().all(|f| s.field(f).is_some()), "{kind}");
        }
        n.validate(&s).unwrap();
    }

    #[test]
    fn parse_overrides_and_absent_types_need_nothing() {
        let text = r#"
[order.repair]
fields = ["user_name", "mobile"]
purpose = "repair"

[partner.handset_maker]
fields = ["mobile"]

[sla.repair]
urgent = 4
"#;
        let n = Needs::from_toml(text, &corporate()).unwrap();
        assert_eq!(n.fields(OrderType::Repair), ["user_name", "mobile"]);
        assert!(n.fields(OrderType::BatteryShipment).is_empty());
        assert_eq!(n.purpose(OrderType::BatteryShipment), DEFAULT_PURPOSE);
        assert!(n.partner_fields(PartnerKind::Courier).is_empty());
        assert_eq!(n.partner_fields(PartnerKind::HandsetMaker), ["mobile"]);
        assert_eq!(n.sla().hours(OrderType::Repair, Priority::Urgent), 4);
        assert_eq!(n.sla().hours(OrderType::Repair, Priority::Normal), DEFAULT_SLA_HOURS[2][1]);
    }

    #[test]
    fn validation_errors() {
        let s = corporate();
        let err = |text: &str| Needs::from_toml(text, &s).unwrap_err();
        assert_eq!(
            err("[order.repair]\nfields = [\"imei\"]\n"),
            NeedsError::UnknownField {
                section: "order.repair".into(),
                field: "imei".into(),
                collection: "corporate-mobile".into()
            }
        );
        assert!(matches!(err("[partner.courier]\nfields = [\"parcel\"]\n"), NeedsError::UnknownField { .. }));
        assert_eq!(err("[order.teleport]\nfields = []\n"), NeedsError::UnknownOrderType("teleport".into()));
        assert_eq!(err("[sla.teleport]\nlow = 1\n"), NeedsError::UnknownOrderType("teleport".into()));
        assert_eq!(err("[partner.drone]\nfields = []\n"), NeedsError::UnknownPartnerKind("drone".into()));
        assert!(matches!(err("[order.repair]\nfield = [\"mobile\"]\n"), NeedsError::Syntax(_)));
        assert!(matches!(err("colour = 1\n"), NeedsError::Syntax(_)));
        assert!(matches!(err("[sla.repair]\nsoon = 1\n"), NeedsError::Syntax(_)));
        assert!(matches!(
            err("[order.repair]\nfields = [\"mobile\", \"mobile\"]\n"),
            NeedsError::DuplicateField { .. }
        ));
        assert_eq!(
            err("[order.device_change]\nfields = [\"home_address\"]\npurpose = \"support\"\n"),
            NeedsError::HomeNotShipping { section: "order.device_change".into(), field: "home_address".into() }
        );
        assert!(matches!(err("[order.repair]\npurpose = \"Fix It\"\n"), NeedsError::Purpose { .. }));
        assert!(matches!(err("[sla.inquiry]\nurgent = 0\n"), NeedsError::SlaHours { hours: 0, .. }));
        let msg = err("[order.repair]\nfields = [\"imei\"]\n").to_string();
        assert!(msg.contains("`imei`") && msg.contains("`corporate-mobile`"), "{msg}");
    }
}
