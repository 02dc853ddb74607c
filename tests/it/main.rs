//! The integration tests, one module per area (see `tests/it/<area>.rs`), in one binary so
//! `cargo test` links s3cors once for all of them.

mod anywhere;
