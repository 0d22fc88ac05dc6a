//! Stable exit codes and hints.
//!
//! 0 success · 1 other failure · 2 usage (from clap) · 3 invalid input data (nothing written) ·
//! 4 record or collection not found, or erased · 5 wrong passphrase or key file · 6 the access log failed
//! verification (tampering).

use kura::vault::{EraseError, OpenError, ReadError, WriteError};

pub fn code(err: &anyhow::Error) -> i32 {
    for cause in err.chain() {
        if cause.downcast_ref::<crate::command::LogTampered>().is_some() {
            return 6;
        }
        if cause.downcast_ref::<kura::import::Error>().is_some()
            || matches!(
                cause.downcast_ref::<WriteError>(),
                Some(WriteError::Invalid(_) | WriteError::DuplicateExternal(..) | WriteError::ExternalTaken)
            )
            || cause.downcast_ref::<kura::schema::Error>().is_some()
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

pub fn hint(err: &anyhow::Error) -> Option<&'static str> {
    for cause in err.chain() {
        if let Some(kura::keys::keyfile::Error::Passphrase(_)) = cause.downcast_ref() {
            return Some("check KURA_PASSPHRASE, and that --key-file names this vault's key file");
        }
        if let Some(kura::import::Error::Invalid(_)) = cause.downcast_ref() {
            return Some("fix the rows above, or pass --skip-invalid to import the valid rows and list the rest");
        }
        if let Some(ReadError::UnknownCollection(_)) = cause.downcast_ref() {
            return Some("create it with `kura collection create --builtin corporate-mobile` or `--schema FILE`");
        }
    }
    None
}
