//! CSV import must never panic on any bytes, in any encoding mode.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for name in ["corporate-mobile", "consumer-wireless"] {
        if let Some(schema) = kura::schema::builtin(name) {
            for enc in [kura::import::Encoding::Auto, kura::import::Encoding::Utf8, kura::import::Encoding::ShiftJis] {
                let _ = kura::import::parse("fuzz.csv", data, &schema, enc);
            }
        }
    }
});
