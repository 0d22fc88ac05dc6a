//! Normalisation must never panic, and must be idempotent on what it accepts.
#![no_main]
use kura::schema::FieldType;
use libfuzzer_sys::fuzz_target;

const KINDS: &[FieldType] = &FieldType::ALL;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for kind in KINDS {
        if let Ok(c) = kura::normalize::canonical(*kind, text) {
            assert_eq!(kura::normalize::canonical(*kind, &c).ok().as_deref(), Some(c.as_str()), "{kind:?} not idempotent");
        }
    }
});
