//! The integration tests, one binary (one link instead of one per file); one module per area.

mod crosscheck;
