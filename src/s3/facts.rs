//! What the harness knows about a place it runs cases against, for reports: its name, kind,
//! endpoint and version ([`TargetInfo`]) and what it can do ([`Capabilities`]).
//!
//! Plain data (no secrets). It lives in the bottom layer because results and reports carry it
//! without needing the `target` layer that produces it.

use serde::{Deserialize, Serialize};

/// Facts about a target for reports (no secrets!).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TargetInfo {
    /// Name used in trial names and reports (`embedded`, `endpoint`, `minio`, `aws`, or a label).
    pub name: String,
    /// Kind (`embedded`, `endpoint`, `minio`, `aws`).
    pub kind: String,
    /// Endpoint URL (credentials never included).
    pub endpoint: Option<String>,
    /// Implementation version when it tells (the `Server` header, a container tag, …).
    pub version: Option<String>,
}

/// What a target can do, probed once before the cases run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Capabilities {
    /// `None` when supported; `Some(reason)` when per-bucket CORS configuration is not.
    pub bucket_cors: Option<String>,
    /// `None` when canned ACLs can make objects public; `Some(reason)` otherwise.
    pub public_acl: Option<String>,
    /// `None` when virtual-hosted addressing works; `Some(reason)` otherwise.
    pub virtual_hosted: Option<String>,
}
