//! Sessions (people sign in with password and TOTP code), principals and their credentials.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::response::IntoResponse;
use http::StatusCode;
use kura::principal::{Kind, Principal, Role, Summary};
use kura::vault::principals::Change;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::VaultResponses;
use super::{access, blocking, ApiState, Origin, Params, PurposeHeaders};
use crate::auth::{Caller, Purpose};
use crate::error::{AuthResponses, BodyResponses, PurposeResponses};
use crate::{ApiError, Json};

pub(super) fn routes(state: ApiState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(sign_in, sign_out))
        .routes(routes!(list, add))
        .routes(routes!(show))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(set_password))
        .routes(routes!(enroll_totp))
        .routes(routes!(issue_token))
        .routes(routes!(revoke_token))
        .with_state(state)
}

/// A sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// Login name.
    pub name: String,
    /// Password.
    #[schema(format = Password)]
    pub password: String,
    /// The authenticator's current code.
    pub code: String,
    /// Session length in seconds (default 8 hours, at most 12).
    #[schema(minimum = 60, maximum = 43200)]
    pub ttl_secs: Option<u32>,
}

impl std::fmt::Debug for SignInSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInSecret(..)")
    }
}

/// Keeps the password out of `Debug`.
struct SignInSecret(SecretString);

/// A session.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// The bearer token for later requests; shown once.
    pub token: String,
    /// Who signed in.
    pub principal: String,
    /// Seconds until it expires.
    pub expires_in: u32,
}

/// Signs a person in with password and TOTP code; returns a session token. Every refusal looks the same;
/// repeated failures lock the principal out; every attempt is logged.
#[utoipa::path(post, path = "/v1/sessions", tag = "sessions", request_body = SignIn,
    responses((status = 201, description = "Signed in", body = Session),
        (status = 401, description = "Sign-in refused (`unauthorized`)", body = crate::ErrorResponse),
        (status = 503, description = "The vault is unavailable (`unavailable`)", body = crate::ErrorResponse),
        BodyResponses))]
async fn sign_in(
    State(s): State<ApiState>,
    Origin(origin): Origin,
    Json(body): Json<SignIn>,
) -> Result<impl IntoResponse, ApiError> {
    let ttl = body.ttl_secs.unwrap_or(8 * 3600).clamp(60, 43_200);
    let pass = SignInSecret(SecretString::from(body.password));
    let (who, token) = blocking(move || {
        Ok(s.vault.start_session(
            &body.name,
            &pass.0,
            Some(body.code.trim()),
            &format!("http:{origin}"),
            i64::from(ttl),
        )?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Session { token: token.expose_secret().to_owned(), principal: who.name, expires_in: ttl }),
    ))
}

/// Ends the caller's session (its token is revoked at once).
#[utoipa::path(delete, path = "/v1/sessions", tag = "sessions", security(("bearer" = [])),
    responses((status = 204, description = "Signed out"), AuthResponses))]
async fn sign_out(State(s): State<ApiState>, caller: Caller, headers: http::HeaderMap) -> Result<StatusCode, ApiError> {
    // The same parsing as the `Caller` extractor (the scheme in any case).
    let (mut parts, ()) = http::Request::new(()).into_parts();
    parts.headers = headers;
    let token = SignInSecret(SecretString::from(crate::auth::bearer_token(&parts)?));
    let origin = format!("http:{}", caller.origin);
    blocking(move || Ok(s.vault.end_session(token.0.expose_secret(), &origin)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A principal (no credential material).
#[derive(Debug, Serialize, ToSchema)]
pub struct PrincipalOut {
    /// Login name.
    pub name: String,
    /// `employee`, `dispatched`, `contractor` or `service`.
    pub kind: String,
    /// Roles.
    pub roles: Vec<String>,
    /// Team.
    pub team: Option<String>,
    /// Assigned client companies (canonical names).
    pub companies: Vec<String>,
    /// Suspended.
    pub suspended: bool,
    /// Has a password.
    pub password: bool,
    /// Has TOTP enrolled.
    pub totp: bool,
    /// Token ids (not the tokens).
    pub tokens: Vec<String>,
}

impl From<Summary> for PrincipalOut {
    fn from(p: Summary) -> PrincipalOut {
        PrincipalOut {
            name: p.name,
            kind: p.kind.as_str().to_owned(),
            roles: p.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            team: p.team,
            companies: p.companies.into_iter().collect(),
            suspended: p.suspended,
            password: p.password,
            totp: p.totp,
            tokens: p.tokens,
        }
    }
}

/// Administrators only (checked by the vault, and logged when refused).
fn admin(s: &ApiState, caller: &Caller, purpose: &Purpose) -> Result<kura::Access, ApiError> {
    caller.require_scope("principals:admin")?;
    access(&s.vault, caller, purpose)
}

/// Lists principals (administrators, auditors and security officers).
#[utoipa::path(get, path = "/v1/principals", tag = "principals", params(PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The principals", body = Vec<PrincipalOut>), AuthResponses,
        PurposeResponses, VaultResponses))]
async fn list(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
) -> Result<Json<Vec<PrincipalOut>>, ApiError> {
    let all = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.list_principals(&a)?)
    })
    .await?;
    Ok(Json(all.into_iter().map(Into::into).collect()))
}

/// A new principal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPrincipal {
    /// Login name: a lower-case letter, then lower-case letters, digits, `.`, `_`, `-` (at most 64).
    #[schema(pattern = "^[a-z][a-z0-9._-]{0,63}$")]
    pub name: String,
    /// `employee`, `dispatched`, `contractor` or `service`.
    #[schema(pattern = "^(employee|dispatched|contractor|service)$")]
    pub kind: String,
    /// Roles: `operator`, `supervisor`, `auditor`, `security-officer`, `administrator` (administrators and
    /// auditors read no personal data, so neither role goes with `operator`, `supervisor` or
    /// `security-officer`).
    #[schema(schema_with = roles_schema)]
    pub roles: Vec<String>,
    /// Team.
    pub team: Option<String>,
    /// Assigned client companies.
    #[serde(default)]
    pub companies: Vec<String>,
}

/// An array of strings each matching `pattern`, with at least `min` items.
fn names(description: &str, pattern: &str, min: usize) -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern)))
        .min_items((min > 0).then_some(min))
        .description(Some(description))
        .build()
}

fn roles_schema() -> utoipa::openapi::schema::Array {
    names(
        "Roles: `operator`, `supervisor`, `auditor`, `security-officer`, `administrator` (administrators and \
         auditors read no personal data, so neither role goes with `operator`, `supervisor` or `security-officer`).",
        "^(operator|supervisor|auditor|security-officer|administrator)$",
        1,
    )
}

fn scopes_schema() -> utoipa::openapi::schema::Array {
    names(
        "Scopes: `records:read`, `records:write`, `records:erase`, `exports:request`, `audit:read`, \
         `principals:admin`.",
        "^(records:read|records:write|records:erase|exports:request|audit:read|principals:admin)$",
        0,
    )
}

fn invalid(message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_principal", message)
}

/// Creates a principal (administrators). The caller's right is checked before the body: a refused caller
/// learns nothing about what would have been accepted.
#[utoipa::path(post, path = "/v1/principals", tag = "principals", params(PurposeHeaders), request_body = NewPrincipal,
    security(("bearer" = [])),
    responses((status = 201, description = "Created", body = PrincipalOut), AuthResponses, BodyResponses,
        PurposeResponses, VaultResponses))]
async fn add(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    Json(body): Json<NewPrincipal>,
) -> Result<impl IntoResponse, ApiError> {
    let out = blocking(move || {
        let a = admin(&s, &caller, &purpose)?;
        let kind: Kind = body.kind.parse().map_err(invalid)?;
        let roles: BTreeSet<Role> = body.roles.iter().map(|r| r.parse()).collect::<Result<_, _>>().map_err(invalid)?;
        let p = Principal::new(&body.name, kind, roles, body.team, body.companies.into_iter().collect())
            .map_err(|e| invalid(e.to_string()))?;
        s.vault.add_principal(&a, &p)?;
        Ok(s.vault.principal(&p.name)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(PrincipalOut::from(out))))
}

/// One principal (administrators, auditors and security officers).
#[utoipa::path(get, path = "/v1/principals/{name}", tag = "principals",
    params(("name" = String, Path, description = "Login name"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 200, description = "The principal", body = PrincipalOut), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn show(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<Json<PrincipalOut>, ApiError> {
    let name = p.get("name")?.to_owned();
    let out = blocking(move || {
        let a = access(&s.vault, &caller, &purpose)?;
        Ok(s.vault.show_principal(&a, &name)?)
    })
    .await?;
    Ok(Json(out.into()))
}

async fn change(
    s: ApiState,
    caller: Caller,
    purpose: Purpose,
    name: String,
    c: Change,
) -> Result<StatusCode, ApiError> {
    blocking(move || {
        let a = admin(&s, &caller, &purpose)?;
        Ok(s.vault.change_principal(&a, &name, c)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Suspends a principal: no sign-in, no token use, and every access refused from now on (administrators).
#[utoipa::path(post, path = "/v1/principals/{name}/suspend", tag = "principals",
    params(("name" = String, Path, description = "Login name"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 204, description = "Suspended"), AuthResponses, PurposeResponses, VaultResponses))]
async fn suspend(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<StatusCode, ApiError> {
    let name = p.get("name")?.to_owned();
    change(s, caller, purpose, name, Change::Suspend).await
}

/// Lifts a suspension and a lockout (administrators).
#[utoipa::path(post, path = "/v1/principals/{name}/resume", tag = "principals",
    params(("name" = String, Path, description = "Login name"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 204, description = "Resumed"), AuthResponses, PurposeResponses, VaultResponses))]
async fn resume(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<StatusCode, ApiError> {
    let name = p.get("name")?.to_owned();
    change(s, caller, purpose, name, Change::Resume).await
}

/// A new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    /// The password: 12 to 1024 characters, counted after NFKC normalisation; Argon2id-hashed. People only
    /// (a service account answers 409).
    #[schema(format = Password, min_length = 12, max_length = 1024)]
    pub password: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

/// Sets a person's password (administrators).
#[utoipa::path(put, path = "/v1/principals/{name}/password", tag = "principals",
    params(("name" = String, Path, description = "Login name"), PurposeHeaders), request_body = NewPassword,
    security(("bearer" = [])),
    responses((status = 204, description = "Set"), AuthResponses, BodyResponses, PurposeResponses, VaultResponses))]
async fn set_password(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NewPassword>,
) -> Result<StatusCode, ApiError> {
    let name = p.get("name")?.to_owned();
    let pass = SecretString::from(body.password);
    blocking(move || {
        let a = admin(&s, &caller, &purpose)?;
        Ok(s.vault.set_password(&a, &name, &pass)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A TOTP enrolment.
#[derive(Debug, Serialize, ToSchema)]
pub struct Enrolment {
    /// The `otpauth://` URI, shown once (as a QR code to the person).
    pub uri: String,
}

/// Enrols a new TOTP authenticator (administrators).
#[utoipa::path(post, path = "/v1/principals/{name}/totp", tag = "principals",
    params(("name" = String, Path, description = "Login name"), PurposeHeaders), security(("bearer" = [])),
    responses((status = 201, description = "Enrolled", body = Enrolment), AuthResponses, PurposeResponses,
        VaultResponses))]
async fn enroll_totp(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<impl IntoResponse, ApiError> {
    let name = p.get("name")?.to_owned();
    let uri = blocking(move || {
        let a = admin(&s, &caller, &purpose)?;
        Ok(s.vault.enroll_totp(&a, &name, "kura")?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Enrolment { uri: uri.expose_secret().to_owned() })))
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Scopes: `records:read`, `records:write`, `records:erase`, `exports:request`, `audit:read`,
    /// `principals:admin`.
    #[schema(schema_with = scopes_schema)]
    pub scopes: Vec<String>,
    /// Days until it expires (1 to 3650).
    #[schema(minimum = 1, maximum = 3650)]
    pub days: u32,
}

/// An issued token.
#[derive(Debug, Serialize, ToSchema)]
pub struct Issued {
    /// The token, shown once; kura keeps only its hash.
    pub token: String,
}

/// Issues an API token to a service account (administrators).
#[utoipa::path(post, path = "/v1/principals/{name}/tokens", tag = "principals",
    params(("name" = String, Path, description = "Login name"), PurposeHeaders), request_body = NewToken,
    security(("bearer" = [])),
    responses((status = 201, description = "Issued", body = Issued), AuthResponses, BodyResponses, PurposeResponses,
        VaultResponses))]
async fn issue_token(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
    Json(body): Json<NewToken>,
) -> Result<impl IntoResponse, ApiError> {
    let name = p.get("name")?.to_owned();
    if !(1..=3650).contains(&body.days) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_body", "`days` must be 1 to 3650"));
    }
    let expires = kura::store::now() + i64::from(body.days) * 86_400;
    let token = blocking(move || {
        let a = admin(&s, &caller, &purpose)?;
        Ok(s.vault.issue_token(&a, &name, body.scopes, expires)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Issued { token: token.expose_secret().to_owned() })))
}

/// Revokes an API token by id (administrators).
#[utoipa::path(delete, path = "/v1/principals/{name}/tokens/{id}", tag = "principals",
    params(("name" = String, Path, description = "Login name"), ("id" = String, Path, description = "Token id"), PurposeHeaders),
    security(("bearer" = [])),
    responses((status = 204, description = "Revoked"), AuthResponses, PurposeResponses, VaultResponses))]
async fn revoke_token(
    State(s): State<ApiState>,
    caller: Caller,
    purpose: Purpose,
    p: Params,
) -> Result<StatusCode, ApiError> {
    let name = p.get("name")?.to_owned();
    let id = p.get("id")?.to_owned();
    blocking(move || {
        let a = admin(&s, &caller, &purpose)?;
        Ok(s.vault.revoke_token(&a, &name, &id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
