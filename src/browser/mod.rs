//! What a browser makes of a response: the CORS checks of the WHATWG Fetch standard.
//!
//! CONTRACT: [`Verdict`] is stored in results; the browser helper owns the evaluation.

use serde::{Deserialize, Serialize};

/// A browser's verdict on one cross-origin exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Verdict {
    /// True when the browser lets the response through to the page.
    pub allowed: bool,
    /// Why, in the words a browser console would use (empty when allowed).
    pub reason: String,
    /// Response header names the script can read (lower-cased, sorted), when allowed.
    pub readable_headers: Vec<String>,
}
