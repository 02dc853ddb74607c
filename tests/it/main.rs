//! The integration tests, one module per area (see the module docs).

mod bucket_reuse;
mod signing;
