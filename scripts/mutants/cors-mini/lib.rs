//! s3cors's CORS model alone, for fast mutation testing (see Cargo.toml). `src` here is a
//! symbolic link to the repository's `src/`, so file names (and so mutant names) are the same
//! as in the s3cors crate: `src/cors/config.rs:…`.
#![allow(dead_code)]

#[path = "src/s3/error.rs"]
mod s3_error;

/// What `crate::s3` provides to the CORS model in s3cors.
pub mod s3 {
    pub use super::s3_error::*;
}

#[path = "src/cors/mod.rs"]
pub mod cors;
