//! Authorisation with Cedar: per action and per field, plain, masked or hidden. Default deny.
//!
//! The schema ([`SCHEMA`]) describes principals (with their roles as parents, kind, assigned companies and
//! suspension), one field of one record as the resource (collection, field name and type, classification,
//! and the record's client company), and the request's purpose as context. The default policy set
//! ([`DEFAULT_POLICY`]) encodes the job-scope rules; any replacement is parsed and validated against the
//! schema (strict mode) before it can take effect. A decision is a value, never an error: anything that
//! cannot be evaluated is denied.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicySet, Request,
    RestrictedExpression, Schema, ValidationMode, Validator,
};

use crate::principal::Summary;
use crate::schema::{Classification, FieldType};

/// kura's Cedar schema.
pub const SCHEMA: &str = include_str!("schema.cedarschema");
/// The default policy set.
pub const DEFAULT_POLICY: &str = include_str!("default.cedar");

/// What may be done with one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Visibility {
    /// Not shown at all.
    Hidden,
    /// Shown masked (see [`crate::mask`]).
    Masked,
    /// Shown in the clear.
    Plain,
}

/// Actions other than reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Act {
    /// Store a new record's field (import, create).
    Create,
    /// Change a field.
    Update,
    /// Erase the record.
    Erase,
    /// Include the field in a bulk export.
    Export,
}

impl Act {
    fn name(self) -> &'static str {
        match self {
            Act::Create => "create",
            Act::Update => "update",
            Act::Erase => "erase",
            Act::Export => "export",
        }
    }
}

/// One field of one record, as the policy sees it. No value.
#[derive(Debug, Clone)]
pub struct FieldRef<'a> {
    /// Collection.
    pub collection: &'a str,
    /// Field name.
    pub name: &'a str,
    /// Field type.
    pub kind: FieldType,
    /// Classification.
    pub classification: Classification,
    /// The record's client company (canonical), or "" when the collection has no scope field.
    pub company: &'a str,
    /// Whether the field is part of a home address.
    pub home: bool,
}

/// Why: the request's purpose and its kind (e.g. `support`, `shipping`), and the service-desk order the
/// request goes through, if any.
#[derive(Debug, Clone)]
pub struct Purpose<'a> {
    /// The ticket or order reference ("" when none was given).
    pub reference: &'a str,
    /// What kind of work it is.
    pub kind: &'a str,
    /// The order, for a read through one (`context.order` in Cedar).
    pub order: Option<&'a OrderContext>,
}

/// A service-desk order as policies see it (`context.order`): no people, only their number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderContext {
    /// The order id, e.g. `ORD-00012345`.
    pub id: String,
    /// The order type, e.g. `battery_shipment`.
    pub kind: String,
    /// The client company (canonical).
    pub company: String,
    /// The current status, e.g. `in_progress`.
    pub status: String,
    /// The priority, e.g. `urgent`.
    pub priority: String,
    /// Whether the order is assigned to the requester or the requester's team.
    pub assigned: bool,
    /// Whether an escalation is running.
    pub escalated: bool,
    /// The partner the order is escalated to ("" when none).
    pub partner: String,
    /// How many people the order concerns.
    pub people: u32,
}

impl OrderContext {
    fn expression(&self) -> Option<RestrictedExpression> {
        let s = |v: &str| RestrictedExpression::new_string(v.to_owned());
        let fields = [
            ("id".to_owned(), s(&self.id)),
            ("type".to_owned(), s(&self.kind)),
            ("company".to_owned(), s(&self.company)),
            ("status".to_owned(), s(&self.status)),
            ("priority".to_owned(), s(&self.priority)),
            ("assigned".to_owned(), RestrictedExpression::new_bool(self.assigned)),
            ("escalated".to_owned(), RestrictedExpression::new_bool(self.escalated)),
            ("partner".to_owned(), s(&self.partner)),
            ("people".to_owned(), RestrictedExpression::new_long(i64::from(self.people))),
        ];
        RestrictedExpression::new_record(fields).ok()
    }
}

/// A policy set could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// Cedar syntax.
    #[error("policy does not parse: {0}")]
    Parse(String),
    /// Not valid against kura's schema.
    #[error("policy is not valid against kura's schema: {0}")]
    Invalid(String),
    /// The schema itself (a build defect).
    #[error("kura's Cedar schema does not load: {0}")]
    Schema(String),
}

/// A validated policy set with kura's schema.
#[derive(Debug, Clone)]
pub struct Policy {
    set: PolicySet,
    schema: Schema,
}

fn classification_name(c: Classification) -> &'static str {
    match c {
        Classification::Internal => "internal",
        Classification::Personal => "personal",
        Classification::Sensitive => "sensitive",
        Classification::Payment => "payment",
    }
}

fn uid(kind: &str, id: &str) -> Option<EntityUid> {
    let t = EntityTypeName::from_str(kind).ok()?;
    Some(EntityUid::from_type_name_and_id(t, EntityId::new(id)))
}

impl Policy {
    /// The default policy set.
    pub fn default_policy() -> Result<Policy, PolicyError> {
        Policy::from_text(DEFAULT_POLICY)
    }

    /// Parses a policy set and validates it against kura's schema (strict) before it can be used.
    pub fn from_text(text: &str) -> Result<Policy, PolicyError> {
        let (schema, _) = Schema::from_cedarschema_str(SCHEMA).map_err(|e| PolicyError::Schema(e.to_string()))?;
        let set = PolicySet::from_str(text).map_err(|e| PolicyError::Parse(e.to_string()))?;
        let result = Validator::new(schema.clone()).validate(&set, ValidationMode::Strict);
        if !result.validation_passed() {
            let errors: Vec<String> = result.validation_errors().map(ToString::to_string).collect();
            return Err(PolicyError::Invalid(errors.join("; ")));
        }
        Ok(Policy { set, schema })
    }

    fn decide(&self, who: &Summary, action: &str, field: &FieldRef<'_>, why: &Purpose<'_>) -> bool {
        self.try_decide(who, action, field, why).unwrap_or(false)
    }

    fn try_decide(&self, who: &Summary, action: &str, field: &FieldRef<'_>, why: &Purpose<'_>) -> Option<bool> {
        let principal = uid("Kura::Principal", &who.name)?;
        let resource = uid("Kura::Field", &format!("{}/{}", field.collection, field.name))?;
        let action = uid("Kura::Action", action)?;
        let roles: HashSet<EntityUid> = who.roles.iter().filter_map(|r| uid("Kura::Role", r.as_str())).collect();
        let mut pattrs = HashMap::new();
        pattrs.insert("kind".to_owned(), RestrictedExpression::new_string(who.kind.as_str().to_owned()));
        pattrs.insert(
            "companies".to_owned(),
            RestrictedExpression::new_set(who.companies.iter().map(|c| RestrictedExpression::new_string(c.clone()))),
        );
        pattrs.insert("suspended".to_owned(), RestrictedExpression::new_bool(who.suspended));
        let mut fattrs = HashMap::new();
        fattrs.insert("collection".to_owned(), RestrictedExpression::new_string(field.collection.to_owned()));
        fattrs.insert("name".to_owned(), RestrictedExpression::new_string(field.name.to_owned()));
        fattrs.insert("type".to_owned(), RestrictedExpression::new_string(field.kind.as_str().to_owned()));
        fattrs.insert(
            "classification".to_owned(),
            RestrictedExpression::new_string(classification_name(field.classification).to_owned()),
        );
        fattrs.insert("company".to_owned(), RestrictedExpression::new_string(field.company.to_owned()));
        fattrs.insert("home".to_owned(), RestrictedExpression::new_bool(field.home));
        let mut entities = vec![
            Entity::new(principal.clone(), pattrs, roles.clone()).ok()?,
            Entity::new(resource.clone(), fattrs, HashSet::new()).ok()?,
        ];
        entities.extend(roles.into_iter().map(Entity::with_uid));
        let entities = Entities::from_entities(entities, Some(&self.schema)).ok()?;
        let mut context = vec![
            ("purpose".to_owned(), RestrictedExpression::new_string(why.reference.to_owned())),
            ("purpose_kind".to_owned(), RestrictedExpression::new_string(why.kind.to_owned())),
        ];
        if let Some(order) = why.order {
            context.push(("order".to_owned(), order.expression()?));
        }
        let context = Context::from_pairs(context).ok()?;
        let request = Request::new(principal, action, resource, context, Some(&self.schema)).ok()?;
        let response = Authorizer::new().is_authorized(&request, &self.set, &entities);
        // A policy that errored is skipped by Cedar; a skipped `forbid` must not turn into an allow.
        if response.diagnostics().errors().next().is_some() {
            return Some(false);
        }
        Some(response.decision() == Decision::Allow)
    }

    /// How one field may be shown to `who` for `why`.
    pub fn visibility(&self, who: &Summary, field: &FieldRef<'_>, why: &Purpose<'_>) -> Visibility {
        if self.decide(who, "read_plain", field, why) {
            Visibility::Plain
        } else if self.decide(who, "read_masked", field, why) {
            Visibility::Masked
        } else {
            Visibility::Hidden
        }
    }

    /// Whether `who` may do `act` on one field for `why`.
    pub fn allows(&self, who: &Summary, act: Act, field: &FieldRef<'_>, why: &Purpose<'_>) -> bool {
        self.decide(who, act.name(), field, why)
    }
}

pub mod cases;

#[cfg(test)]
mod tests;
