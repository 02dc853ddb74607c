//! Fuzzes `CorsConfiguration::from_xml`, the parser every PutBucketCors body goes through.
//!
//! Beyond "never panics", an accepted configuration must survive a round trip: what
//! GetBucketCors renders (`to_xml`) parses back to the same configuration, since the
//! embedded server stores the parsed form and serves the rendered one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s3cors::cors::CorsConfiguration;

fuzz_target!(|data: &[u8]| {
    if let Ok(config) = CorsConfiguration::from_xml(data) {
        let rendered = config.to_xml();
        match CorsConfiguration::from_xml(rendered.as_bytes()) {
            Ok(again) => assert_eq!(again, config, "round trip changed the configuration"),
            Err(e) => panic!("rendered configuration rejected: {e:?}\n{rendered}"),
        }
    }
});
