//! The integration-test binary: one module per area (see the project's test layout).

mod containers;
