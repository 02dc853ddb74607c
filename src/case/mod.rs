//! case (being built).
