//! Validation of incoming values: every value is checked and normalised before anything is encrypted or
//! written. Problems name the field and the reason, never the value (it is personal data).

use zeroize::Zeroizing;

use super::Plain;
use crate::card::{self, Pan};
use crate::normalize;
use crate::schema::{FieldType, Schema};

/// One value that was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field (schema name).
    pub field: String,
    /// Why, without the value.
    pub reason: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "field `{}`: {}", self.field, self.reason)
    }
}

/// A validated set of values for one record, by schema position.
#[derive(Debug, Clone)]
pub struct Values {
    /// The value to store (as given, trimmed; card numbers as digits; card brands derived).
    pub values: Vec<Option<Plain>>,
    /// The canonical form, for indexed fields.
    pub canonical: Vec<Option<Plain>>,
}

impl Values {
    /// The canonical form of the external id.
    pub fn external_id(&self, schema: &Schema) -> Option<&str> {
        self.canonical.get(schema.external_id_position()).and_then(|c| c.as_ref()).map(Plain::expose)
    }
}

/// Validates raw values given by schema position (`None` or empty means absent).
pub fn validate(schema: &Schema, raw: &[Option<&str>]) -> Result<Values, Vec<Problem>> {
    let n = schema.fields.len();
    let mut values: Vec<Option<Plain>> = vec![None; n];
    let mut canonical: Vec<Option<Plain>> = vec![None; n];
    let mut problems = Vec::new();
    let mut brands: Vec<(usize, String)> = Vec::new();
    for (pos, field) in schema.fields.iter().enumerate() {
        let value = raw.get(pos).copied().flatten().map(str::trim).filter(|s| !s.is_empty());
        let problem = |reason: String| Problem { field: field.name.clone(), reason };
        if field.kind == FieldType::CardBrand {
            if let Some(v) = value {
                match normalize::canonical(FieldType::CardBrand, v) {
                    Ok(c) => brands.push((pos, c)),
                    Err(e) => problems.push(problem(e.to_string())),
                }
            }
            continue;
        }
        let Some(v) = value else {
            if field.required {
                problems.push(problem("a value is required".to_owned()));
            }
            continue;
        };
        if v.chars().count() > 1000 {
            problems.push(problem("value is longer than 1,000 characters".to_owned()));
            continue;
        }
        if field.kind == FieldType::CardNumber {
            match Pan::parse(v) {
                Ok(pan) => {
                    set(&mut canonical, pos, Some(Plain::new(pan.digits().to_owned())));
                    set(&mut values, pos, Some(Plain::new(pan.digits().to_owned())));
                }
                Err(e) => problems.push(problem(e.to_string())),
            }
            continue;
        }
        match normalize::canonical(field.kind, v) {
            Ok(c) => {
                if field.indexed() {
                    set(&mut canonical, pos, Some(Plain::new(c)));
                }
                set(&mut values, pos, Some(Plain::new(v.to_owned())));
            }
            Err(e) => problems.push(problem(e.to_string())),
        }
    }
    // Derived card brands: computed from the card number's BIN; a given brand must agree.
    for (pos, field) in schema.fields.iter().enumerate() {
        let Some(src) = field.derived_from.as_deref() else { continue };
        let derived = schema
            .position(src)
            .and_then(|p| values.get(p))
            .and_then(|v| v.as_ref())
            .and_then(|v| Pan::parse(v.expose()).ok())
            .map(|pan| pan.brand());
        if let Some((_, given)) = brands.iter().find(|(p, _)| *p == pos) {
            if let Some(b) = derived {
                if b != card::Brand::Unknown && given != b.as_str() {
                    problems.push(Problem {
                        field: field.name.clone(),
                        reason: format!("brand `{given}` does not match the card number's BIN ({})", b.as_str()),
                    });
                }
            }
        }
        if let Some(slot) = values.get_mut(pos) {
            *slot = derived.map(|b| Plain::new(b.as_str().to_owned()));
        }
    }
    if problems.is_empty() {
        Ok(Values { values, canonical })
    } else {
        Err(problems)
    }
}

fn set(v: &mut [Option<Plain>], pos: usize, value: Option<Plain>) {
    if let Some(slot) = v.get_mut(pos) {
        *slot = value;
    }
}

/// Zeroising string alias for canonical queries.
pub type Canonical = Zeroizing<String>;
