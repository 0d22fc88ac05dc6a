//! Collections and their typed schemas.
//!
//! A collection is defined in a TOML file (see `schemas/` in the repository and the README). The schema names
//! every field, its [`FieldType`], its [`Classification`], whether it can be searched through a blind index and
//! whether it scopes access (for example the client company an operator is assigned to).
//!
//! Guarantees: a schema that would store a card security code is refused ([`Error::SecurityCode`]); every
//! schema has exactly one external-id field so that imports are idempotent; field names are unique and safe to
//! use as CSV headers and identifiers.

use serde::{Deserialize, Serialize};

/// The kind of value a field holds. It decides how the value is validated and normalised, and how it may be
/// written in equivalent notations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FieldType {
    /// An opaque identifier such as an employee or customer number.
    Identifier,
    /// A person's name in Japanese script (kanji, kana), e.g. `山田 太郎`.
    PersonNameJa,
    /// A person's name in Latin script, e.g. `YAMADA Taro` or `Taro Yamada`.
    PersonNameRomaji,
    /// A reading in kana, e.g. `ヤマダ タロウ`.
    Kana,
    /// An e-mail address.
    Email,
    /// A phone number: Japanese national notation or E.164 for other countries.
    Phone,
    /// A Japanese postal address (prefecture, municipality, town, 丁目/番地/号, building and room).
    JpAddress,
    /// A US postal address (street, city, state, ZIP).
    UsAddress,
    /// A postal code: Japanese `123-4567` or US ZIP / ZIP+4.
    PostalCode,
    /// A calendar date such as a birth date; Western or Japanese era (和暦) notation.
    Date,
    /// An organisation name, e.g. `株式会社サンプル`.
    Organisation,
    /// A department within an organisation.
    Department,
    /// A payment card number (PAN). Tokenised with FF1 and encrypted.
    CardNumber,
    /// A card's expiry month, e.g. `12/27`.
    CardExpiry,
    /// A card brand; derived from the card number's BIN, never trusted from input.
    CardBrand,
    /// Free text. Never searchable.
    FreeText,
}

impl FieldType {
    /// Every field type.
    pub const ALL: [FieldType; 16] = [
        FieldType::Identifier,
        FieldType::PersonNameJa,
        FieldType::PersonNameRomaji,
        FieldType::Kana,
        FieldType::Email,
        FieldType::Phone,
        FieldType::JpAddress,
        FieldType::UsAddress,
        FieldType::PostalCode,
        FieldType::Date,
        FieldType::Organisation,
        FieldType::Department,
        FieldType::CardNumber,
        FieldType::CardExpiry,
        FieldType::CardBrand,
        FieldType::FreeText,
    ];

    /// The name used in schema files.
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::Identifier => "identifier",
            FieldType::PersonNameJa => "person_name_ja",
            FieldType::PersonNameRomaji => "person_name_romaji",
            FieldType::Kana => "kana",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::JpAddress => "jp_address",
            FieldType::UsAddress => "us_address",
            FieldType::PostalCode => "postal_code",
            FieldType::Date => "date",
            FieldType::Organisation => "organisation",
            FieldType::Department => "department",
            FieldType::CardNumber => "card_number",
            FieldType::CardExpiry => "card_expiry",
            FieldType::CardBrand => "card_brand",
            FieldType::FreeText => "free_text",
        }
    }
}

/// How sensitive a field is; drives policy defaults and incident reporting duties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Classification {
    /// Not personal on its own (e.g. a company name), still encrypted at rest.
    Internal,
    /// Personal information (個人情報).
    Personal,
    /// Special-care personal information (要配慮個人情報).
    Sensitive,
    /// Payment card data (PCI DSS scope).
    Payment,
}

/// One field of a collection, as written in the schema file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Field name: lower-case ASCII letters, digits and `_`, starting with a letter. Also the CSV header.
    pub name: String,
    /// The kind of value.
    #[serde(rename = "type")]
    pub kind: FieldType,
    /// How sensitive the value is.
    pub classification: Classification,
    /// Whether exact-match search through a blind index is offered.
    #[serde(default)]
    pub searchable: bool,
    /// Whether the field scopes access (e.g. the client company an operator is assigned to).
    #[serde(default)]
    pub scope: bool,
    /// Whether the field is (part of) a home address: policies show it only for shipping work.
    #[serde(default)]
    pub home: bool,
    /// Whether the field holds the record's external id (exactly one field per schema does).
    #[serde(default)]
    pub external_id: bool,
    /// Whether an import row must give a value. Defaults to true.
    #[serde(default = "yes")]
    pub required: bool,
    /// For derived fields (card brand): the field the value is computed from.
    #[serde(default)]
    pub derived_from: Option<String>,
}

fn yes() -> bool {
    true
}

impl Field {
    /// Whether a blind index is kept for the field: searchable, scoping and external-id fields.
    pub fn indexed(&self) -> bool {
        self.searchable || self.scope || self.external_id
    }
}

/// A collection's schema: its name and its fields in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    /// Collection name: lower-case ASCII letters, digits and `-`.
    pub name: String,
    /// What the collection is for.
    #[serde(default)]
    pub description: String,
    /// The fields, in order.
    #[serde(rename = "field")]
    pub fields: Vec<Field>,
}

/// Why a schema was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The TOML could not be parsed or has unknown keys.
    #[error("schema file is not valid: {0}")]
    Syntax(String),
    /// A field would hold a card security code.
    #[error(
        "field `{0}` looks like a card security code (CVV/CVC/CID); kura refuses to store security codes \
         (PCI DSS 3.3.1.2 forbids keeping them after authorisation)"
    )]
    SecurityCode(String),
    /// A name is not a valid identifier.
    #[error("invalid name `{0}`: use lower-case ASCII letters, digits and `_` (fields) or `-` (collections), starting with a letter")]
    Name(String),
    /// Two fields share a name.
    #[error("field `{0}` is defined twice")]
    Duplicate(String),
    /// The external-id rule is broken.
    #[error("a schema needs exactly one field with `external_id = true` (found {0})")]
    ExternalId(usize),
    /// The external id field is unsuitable.
    #[error("external-id field `{0}` must be required and of type `identifier`")]
    ExternalIdKind(String),
    /// A derived field is inconsistent.
    #[error("field `{field}`: {reason}")]
    Derived {
        /// The derived field.
        field: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// Free text cannot be searched.
    #[error("field `{0}` is free text and cannot be searchable or scope access")]
    FreeTextIndexed(String),
    /// Too many fields.
    #[error("a schema has at most 255 fields (found {0})")]
    TooManyFields(usize),
}

/// Names that denote a card security code, compared after removing `_`, `-` and spaces.
const SECURITY_CODE_NAMES: &[&str] = &[
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "cid",
    "csc",
    "cav2",
    "securitycode",
    "cardsecuritycode",
    "cardcvv",
    "cardcvc",
    "cardverificationvalue",
    "cardverificationcode",
    "セキュリティコード",
];

/// Whether a field or column name denotes a card security code.
pub fn is_security_code_name(name: &str) -> bool {
    let folded: String =
        name.chars().filter(|c| !matches!(c, '_' | '-' | ' ' | '.')).flat_map(char::to_lowercase).collect();
    SECURITY_CODE_NAMES.contains(&folded.as_str())
        || folded.ends_with("cvv")
        || folded.ends_with("cvc")
        || folded.ends_with("cvv2")
        || folded.ends_with("cvc2")
        || folded.ends_with("securitycode")
}

fn valid_ident(name: &str, sep: char) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && name.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == sep)
}

impl Schema {
    /// Parses and validates a schema from TOML text.
    pub fn from_toml(text: &str) -> Result<Schema, Error> {
        let schema: Schema = toml::from_str(text).map_err(|e| Error::Syntax(e.message().to_owned()))?;
        schema.validate()?;
        Ok(schema)
    }

    /// Checks every rule a schema must follow.
    pub fn validate(&self) -> Result<(), Error> {
        if !valid_ident(&self.name, '-') {
            return Err(Error::Name(self.name.clone()));
        }
        if self.fields.len() > 255 {
            return Err(Error::TooManyFields(self.fields.len()));
        }
        let mut seen = std::collections::HashSet::new();
        for f in &self.fields {
            if is_security_code_name(&f.name) {
                return Err(Error::SecurityCode(f.name.clone()));
            }
            if !valid_ident(&f.name, '_') {
                return Err(Error::Name(f.name.clone()));
            }
            if !seen.insert(f.name.as_str()) {
                return Err(Error::Duplicate(f.name.clone()));
            }
            if f.kind == FieldType::FreeText && f.indexed() {
                return Err(Error::FreeTextIndexed(f.name.clone()));
            }
            match (f.kind, &f.derived_from) {
                (FieldType::CardBrand, Some(src)) => {
                    let ok = self.fields.iter().any(|g| &g.name == src && g.kind == FieldType::CardNumber);
                    if !ok {
                        return Err(Error::Derived {
                            field: f.name.clone(),
                            reason: "`derived_from` must name a `card_number` field of this schema",
                        });
                    }
                }
                (FieldType::CardBrand, None) => {
                    return Err(Error::Derived {
                        field: f.name.clone(),
                        reason: "a `card_brand` field must be `derived_from` a card number field",
                    })
                }
                (_, Some(_)) => {
                    return Err(Error::Derived {
                        field: f.name.clone(),
                        reason: "only `card_brand` fields can be derived",
                    })
                }
                (_, None) => {}
            }
        }
        let ext: Vec<&Field> = self.fields.iter().filter(|f| f.external_id).collect();
        match ext.as_slice() {
            [one] => {
                if one.kind != FieldType::Identifier || !one.required {
                    return Err(Error::ExternalIdKind(one.name.clone()));
                }
            }
            other => return Err(Error::ExternalId(other.len())),
        }
        Ok(())
    }

    /// The field with this name.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The position of the field with this name.
    pub fn position(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The external-id field (validated to exist).
    pub fn external_id_position(&self) -> usize {
        self.fields.iter().position(|f| f.external_id).unwrap_or(0)
    }
}

/// The schemas shipped with kura, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("corporate-mobile", include_str!("../../../../schemas/corporate-mobile.toml")),
    ("consumer-wireless", include_str!("../../../../schemas/consumer-wireless.toml")),
];

/// A shipped schema by name.
pub fn builtin(name: &str) -> Option<Schema> {
    BUILTIN.iter().find(|(n, _)| *n == name).and_then(|(_, text)| Schema::from_toml(text).ok())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;

    #[test]
    fn builtin_schemas_are_valid() {
        for (name, text) in BUILTIN {
            let s = Schema::from_toml(text).unwrap();
            assert_eq!(&s.name, name);
        }
        let c = builtin("consumer-wireless").unwrap();
        assert_eq!(c.field("card_number").unwrap().kind, FieldType::CardNumber);
    }

    #[test]
    fn security_code_fields_are_refused() {
        for name in ["cvv", "card_cvv", "CVC2", "security_code", "cid"] {
            let text = format!(
                "name = \"x\"\n[[field]]\nname = \"id\"\ntype = \"identifier\"\nclassification = \"internal\"\nexternal_id = true\n[[field]]\nname = \"{}\"\ntype = \"free_text\"\nclassification = \"payment\"\n",
                name.to_lowercase()
            );
            let err = Schema::from_toml(&text).unwrap_err();
            assert!(matches!(err, Error::SecurityCode(_)), "{name}: {err}");
            assert!(err.to_string().contains("security code"));
        }
        assert!(!is_security_code_name("civic_name"));
    }

    #[test]
    fn schema_rules() {
        let base = "name = \"x\"\n[[field]]\nname = \"id\"\ntype = \"identifier\"\nclassification = \"internal\"\nexternal_id = true\n";
        assert!(Schema::from_toml(base).is_ok());
        let dup = format!("{base}[[field]]\nname = \"id\"\ntype = \"email\"\nclassification = \"personal\"\n");
        assert!(matches!(Schema::from_toml(&dup), Err(Error::Duplicate(_))));
        let no_ext = "name = \"x\"\n[[field]]\nname = \"id\"\ntype = \"identifier\"\nclassification = \"internal\"\n";
        assert!(matches!(Schema::from_toml(no_ext), Err(Error::ExternalId(0))));
        let unknown_key = format!("{base}colour = \"red\"\n");
        assert!(matches!(Schema::from_toml(&unknown_key), Err(Error::Syntax(_))));
        let bad_type = format!("{base}[[field]]\nname = \"a\"\ntype = \"blob\"\nclassification = \"personal\"\n");
        assert!(matches!(Schema::from_toml(&bad_type), Err(Error::Syntax(_))));
        let brand = format!("{base}[[field]]\nname = \"b\"\ntype = \"card_brand\"\nclassification = \"payment\"\n");
        assert!(matches!(Schema::from_toml(&brand), Err(Error::Derived { .. })));
        let text_idx = format!(
            "{base}[[field]]\nname = \"n\"\ntype = \"free_text\"\nclassification = \"personal\"\nsearchable = true\n"
        );
        assert!(matches!(Schema::from_toml(&text_idx), Err(Error::FreeTextIndexed(_))));
        let bad_name = format!("{base}[[field]]\nname = \"Nope\"\ntype = \"email\"\nclassification = \"personal\"\n");
        assert!(matches!(Schema::from_toml(&bad_name), Err(Error::Name(_))));
    }
}
