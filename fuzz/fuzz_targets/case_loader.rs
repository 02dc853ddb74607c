//! Fuzzes the case-file loader (`s3cors::case::parse_case`): YAML parsing, the serde model
//! and the validation pass that turns a file into a runnable `Case`. Case files come from
//! users and other projects, so a malformed one must produce errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        if let Err(errors) = s3cors::case::parse_case("fuzz/case", "fuzz.yaml", src) {
            // Every error must render (file:line: message) without panicking.
            for e in errors {
                let _ = e.to_string();
            }
        }
    }
});
