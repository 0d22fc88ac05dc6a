//! Stable exit codes and hints.
//!
//! 0 success · 1 other failure · 2 usage (from clap) · 3 invalid input data (nothing written) ·
//! 4 record or collection not found, or erased · 5 wrong passphrase or key file · 6 the access log failed
//! verification (tampering) · 7 refused: the policy, a role or a token scope does not allow it, or a
//! sign-in failed.

use kura::vault::{EraseError, OpenError, ReadError, WriteError};

pub fn code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.downcast_ref::<crate::command::LogTampered>().is_some() {
            return 6;
        }
        if denied(cause) {
            return 7;
        }
        if cause.downcast_ref::<kura::import::Error>().is_some()
            || matches!(
                cause.downcast_ref::<WriteError>(),
                Some(WriteError::Invalid(_) | WriteError::DuplicateExternal(..) | WriteError::ExternalTaken)
            )
            || cause.downcast_ref::<kura::schema::Error>().is_some()
            || matches!(
                cause.downcast_ref::<kura::vault::exports::ExportError>(),
                Some(kura::vault::exports::ExportError::Invalid(_))
            )
        {
            return 3;
        }
        if matches!(
            cause.downcast_ref::<kura::vault::exports::ExportError>(),
            Some(kura::vault::exports::ExportError::Unknown)
        ) || matches!(
            cause.downcast_ref::<kura::vault::alerts::AlertError>(),
            Some(kura::vault::alerts::AlertError::NotCanary)
        ) || matches!(
            cause.downcast_ref::<kura::vault::desk::DeskError>(),
            Some(kura::vault::desk::DeskError::Unknown)
        ) {
            return 4;
        }
        if matches!(
            cause.downcast_ref::<kura::vault::desk::DeskError>(),
            Some(kura::vault::desk::DeskError::Invalid(_) | kura::vault::desk::DeskError::Order(_))
        ) {
            return 3;
        }
        {
            use kura::vault::exports::ExportError;
            use kura::vault::incidents::IncidentError;
            // The library's wrapped errors are transparent: their own variants are not in the chain.
            match cause.downcast_ref::<IncidentError>() {
                Some(
                    IncidentError::Unknown
                    | IncidentError::Read(ReadError::UnknownCollection(_) | ReadError::NotFound(_)),
                ) => return 4,
                Some(IncidentError::Invalid(_) | IncidentError::Store(ExportError::Invalid(_))) => return 3,
                _ => {}
            }
        }
        if cause.downcast_ref::<kura::trace::parse::ParseError>().is_some()
            || matches!(
                cause.downcast_ref::<kura::vault::alerts::AlertError>(),
                Some(kura::vault::alerts::AlertError::Invalid(_))
            )
            || matches!(
                cause.downcast_ref::<kura::vault::trace::TraceError>(),
                Some(kura::vault::trace::TraceError::Invalid(_))
            )
        {
            return 3;
        }
        if matches!(
            cause.downcast_ref::<ReadError>(),
            Some(
                ReadError::NotFound(_)
                    | ReadError::Erased(_)
                    | ReadError::UnknownCollection(_)
                    | ReadError::UnknownExternalId(_)
            )
        ) || matches!(cause.downcast_ref::<EraseError>(), Some(EraseError::Read(ReadError::NotFound(_))))
        {
            return 4;
        }
        if cause.downcast_ref::<kura::keys::keyfile::Error>().is_some()
            || matches!(cause.downcast_ref::<OpenError>(), Some(OpenError::WrongKey))
        {
            return 5;
        }
    }
    1
}

fn denied(cause: &(dyn std::error::Error + 'static)) -> bool {
    use kura::vault::exports::ExportError;
    use kura::vault::gate::PolicyChangeError;
    use kura::vault::principals::{AuthError, PrincipalError};
    use kura::vault::CollectionError;
    cause.downcast_ref::<AuthError>().is_some()
        || matches!(cause.downcast_ref::<ReadError>(), Some(ReadError::Denied(_)))
        || matches!(cause.downcast_ref::<WriteError>(), Some(WriteError::Read(ReadError::Denied(_))))
        || matches!(cause.downcast_ref::<EraseError>(), Some(EraseError::Read(ReadError::Denied(_))))
        || matches!(cause.downcast_ref::<PrincipalError>(), Some(PrincipalError::Denied(_)))
        || matches!(cause.downcast_ref::<PolicyChangeError>(), Some(PolicyChangeError::Denied(_)))
        || matches!(cause.downcast_ref::<CollectionError>(), Some(CollectionError::Denied(_)))
        || matches!(cause.downcast_ref::<ExportError>(), Some(ExportError::Denied(_)))
        || matches!(
            cause.downcast_ref::<kura::vault::alerts::AlertError>(),
            Some(kura::vault::alerts::AlertError::Denied(_))
        )
        || matches!(
            cause.downcast_ref::<kura::vault::trace::TraceError>(),
            Some(kura::vault::trace::TraceError::Denied(_))
        )
        || matches!(cause.downcast_ref::<kura::vault::desk::DeskError>(), Some(kura::vault::desk::DeskError::Denied(_)))
        || matches!(
            cause.downcast_ref::<kura::vault::incidents::IncidentError>(),
            Some(
                kura::vault::incidents::IncidentError::Denied(_)
                    | kura::vault::incidents::IncidentError::Read(ReadError::Denied(_))
                    | kura::vault::incidents::IncidentError::Store(ExportError::Denied(_))
            )
        )
}

pub fn hint(err: &anyhow::Error) -> Option<&'static str> {
    for cause in err.chain() {
        if let Some(kura::keys::keyfile::Error::Passphrase(_)) = cause.downcast_ref() {
            return Some("check KURA_PASSPHRASE, and that --key-file names this vault's key file");
        }
        if let Some(kura::import::Error::Invalid(_)) = cause.downcast_ref() {
            return Some("fix the rows above, or pass --skip-invalid to import the valid rows and list the rest");
        }
        if matches!(
            cause.downcast_ref::<kura::vault::incidents::IncidentError>(),
            Some(kura::vault::incidents::IncidentError::Denied(_))
        ) {
            return Some(
                "incidents are handled by security officers (auditors read them): sign in as one with `--as NAME` or KURA_TOKEN",
            );
        }
        if matches!(
            cause.downcast_ref::<kura::vault::incidents::IncidentError>(),
            Some(kura::vault::incidents::IncidentError::Unknown)
        ) {
            return Some("`kura incident list` shows the incidents and their ids");
        }
        if denied(cause) {
            return Some(
                "reads need a principal: sign in with `--as NAME` or a token in KURA_TOKEN; the custodian reads no personal data",
            );
        }
        if let Some(ReadError::UnknownCollection(_)) = cause.downcast_ref() {
            return Some("create it with `kura collection create --builtin corporate-mobile` or `--schema FILE`");
        }
    }
    None
}
