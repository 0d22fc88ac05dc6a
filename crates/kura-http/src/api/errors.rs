//! The vault's errors as HTTP answers. Messages are the vault's own, which never carry personal values; a
//! server fault is a generic 5xx whose cause is logged with the request id.

use http::StatusCode;
use kura::desk::order::OrderError;
use kura::vault::alerts::AlertError;
use kura::vault::desk::DeskError;
use kura::vault::gate::PolicyChangeError;
use kura::vault::incidents::IncidentError;
use kura::vault::principals::{AuthError, PrincipalError};
use kura::vault::trace::TraceError;
use kura::vault::{AccessError, CollectionError, EraseError, ReadError, WriteError};

use crate::ApiError;

fn denied(message: String) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "denied", message)
}

fn not_found(message: String) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
}

fn invalid(code: &'static str, message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> ApiError {
        ApiError::bad_request("invalid_purpose", e.to_string())
    }
}

impl From<ReadError> for ApiError {
    fn from(e: ReadError) -> ApiError {
        match e {
            ReadError::Denied(_) => denied(e.to_string()),
            // Names typed into the request are not repeated (they may be personal data).
            ReadError::UnknownCollection(_) => not_found("no such collection".to_owned()),
            ReadError::UnknownField { .. } => not_found("the collection has no such field".to_owned()),
            ReadError::NotFound(_) | ReadError::UnknownExternalId(_) => not_found(e.to_string()),
            ReadError::Erased(_) => ApiError::new(StatusCode::GONE, "erased", e.to_string()),
            ReadError::NotSearchable(_) | ReadError::Query { .. } => invalid("invalid_query", e.to_string()),
            ReadError::Log(_) => ApiError::unavailable(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> ApiError {
        match e {
            WriteError::Read(r) => r.into(),
            WriteError::Invalid(_) => invalid("invalid_values", e.to_string()),
            WriteError::DuplicateExternal(..) | WriteError::ExternalTaken => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            WriteError::Log(_) => ApiError::unavailable(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<EraseError> for ApiError {
    fn from(e: EraseError) -> ApiError {
        match e {
            EraseError::Read(r) => r.into(),
            EraseError::Log(_) => ApiError::unavailable(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<PrincipalError> for ApiError {
    fn from(e: PrincipalError) -> ApiError {
        match e {
            PrincipalError::Denied(_) => denied(e.to_string()),
            PrincipalError::Unknown(_) => not_found("no such principal".to_owned()),
            PrincipalError::UnknownToken => not_found(e.to_string()),
            // The body is fine; the principal is of the wrong kind for it.
            PrincipalError::Invalid(kura::principal::Invalid::ServicePassword) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            PrincipalError::Invalid(_) | PrincipalError::Password(_) | PrincipalError::Credential(_) => {
                invalid("invalid_principal", e.to_string())
            }
            PrincipalError::Access(a) => a.into(),
            PrincipalError::Store(kura::store::Error::PrincipalExists(_)) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            PrincipalError::Log(_) => ApiError::unavailable(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<PolicyChangeError> for ApiError {
    fn from(e: PolicyChangeError) -> ApiError {
        match e {
            PolicyChangeError::Denied(_) => denied(e.to_string()),
            PolicyChangeError::Invalid(_) => invalid("invalid_policy", e.to_string()),
            PolicyChangeError::Conflict => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            PolicyChangeError::Log(_) => ApiError::unavailable(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<CollectionError> for ApiError {
    fn from(e: CollectionError) -> ApiError {
        match e {
            CollectionError::Denied(_) => denied(e.to_string()),
            CollectionError::Schema(_) => invalid("invalid_schema", e.to_string()),
            CollectionError::Log(_) => ApiError::unavailable(e.to_string()),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        match e {
            AuthError::Principal(PrincipalError::Log(_)) => ApiError::unavailable(e.to_string()),
            AuthError::Principal(p) => ApiError::internal(p.to_string()),
            // Every refusal looks the same (which factor failed, or whether the name exists, is not said).
            _ => ApiError::unauthorized("sign-in refused"),
        }
    }
}

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> ApiError {
        match e {
            AlertError::Denied(_) => denied(e.to_string()),
            AlertError::Invalid(_) => ApiError::bad_request("invalid_request", e.to_string()),
            // The reported contact point is not repeated, nor is it said whether it is anyone's.
            AlertError::NotCanary => not_found("no such canary".to_owned()),
            AlertError::Export(x) => x.into(),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<TraceError> for ApiError {
    fn from(e: TraceError) -> ApiError {
        match e {
            TraceError::Denied(_) => denied(e.to_string()),
            TraceError::Invalid(_) => ApiError::bad_request("invalid_trace", e.to_string()),
            TraceError::Read(r) => r.into(),
            TraceError::Export(x) => x.into(),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<DeskError> for ApiError {
    fn from(e: DeskError) -> ApiError {
        match e {
            DeskError::Denied(_) => denied(e.to_string()),
            DeskError::Unknown => not_found("no such order".to_owned()),
            DeskError::Invalid(_) => invalid("invalid_order", e.to_string()),
            DeskError::Intake(_) => invalid("invalid_orders_file", e.to_string()),
            // A move the order's status does not allow: the body is fine, the order is not there (yet, or any more).
            DeskError::Order(
                OrderError::Final(_)
                | OrderError::NotAllowed { .. }
                | OrderError::AlreadyEscalated(_)
                | OrderError::NotEscalated
                | OrderError::Backwards,
            ) => ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            DeskError::Order(_) => invalid("invalid_order", e.to_string()),
            DeskError::Read(r) => r.into(),
            DeskError::Access(a) => a.into(),
            DeskError::Store(x) => x.into(),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

impl From<IncidentError> for ApiError {
    fn from(e: IncidentError) -> ApiError {
        match e {
            IncidentError::Denied(_) => denied(e.to_string()),
            IncidentError::Unknown => not_found(e.to_string()),
            // The vault's messages name fields, counts and limits, never a value of the request.
            IncidentError::Invalid(_) | IncidentError::Scan(_) => invalid("invalid_incident", e.to_string()),
            IncidentError::Read(r) => r.into(),
            IncidentError::Store(x) => x.into(),
            _ => ApiError::internal(e.to_string()),
        }
    }
}

/// The documented answers of operations the vault decides: 403 `denied`, 404 `not_found`, 410 `erased`.
#[derive(Debug)]
pub struct VaultResponses;

impl utoipa::IntoResponses for VaultResponses {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Response>> {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let r = |d: &str| {
            let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorResponse"))).build();
            ResponseBuilder::new().description(d).content("application/json", content).build().into()
        };
        [
            ("403", r("The policy, a role or the token's scopes do not allow it (`denied`, `forbidden`); logged")),
            ("404", r("No such collection, record, principal or field (`not_found`)")),
            ("410", r("The record was erased (`erased`)")),
            ("409", r("A conflicting change (`conflict`)")),
            ("422", r("A value, query or name the vault refuses (`invalid_values`, `invalid_query`, …); values are not repeated")),
        ]
        .into_iter()
        .map(|(s, r)| (s.to_owned(), r))
        .collect()
    }
}
