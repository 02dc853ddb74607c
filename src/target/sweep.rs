//! `s3cors sweep`'s logic: find the buckets earlier runs left behind and remove them — and
//! only them.
//!
//! The safety argument, in order of the checks made for each listed bucket:
//! 1. the name must have s3cors's exact shape ([`BucketName`]: `s3cors-YYYYMMDD-HHMMSS-xxxx-N`);
//!    a bucket merely starting with `s3cors-` is kept;
//! 2. when the listing says which region a bucket is in, it must be the target's region
//!    (requests elsewhere would be redirected, and we do not follow them);
//! 3. with `older_than`, the bucket must be at least that old (so a sweep does not pull the
//!    buckets out from under a run still in progress);
//! 4. with `require_tag` (always on AWS), the bucket must carry the tag `s3cors=run-<run id>`
//!    matching the run id in its own name.
//!
//! Only then is the bucket emptied and deleted. Every decision carries its reason, so the
//! command can print what it removed and what it kept and why.

use std::time::Duration;

use super::cleanup::{self, BucketName, CleanupError, RetryPolicy, TAG_KEY, error_code};
use super::{Auth, S3Request, Target};

/// What to sweep and how carefully.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SweepOptions {
    /// Decide and report, remove nothing.
    pub dry_run: bool,
    /// Keep buckets younger than this.
    pub older_than: Option<Duration>,
    /// Remove only buckets tagged `s3cors=run-<run id>` (AWS).
    pub require_tag: bool,
    /// The target's region: buckets the listing places elsewhere are kept.
    pub region: Option<String>,
}

/// What happened to one listed bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Emptied (this many objects) and deleted.
    Removed { objects: usize },
    /// Would have been removed (dry run).
    WouldRemove,
    /// Left alone, and why.
    Kept { reason: String },
    /// Ours, but removing it failed.
    Failed { reason: String },
}

/// One listed bucket and its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepEntry {
    pub bucket: String,
    pub decision: Decision,
}

/// A bucket as ListBuckets shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedBucket {
    pub name: String,
    pub created: Option<time::OffsetDateTime>,
    /// `BucketRegion` (AWS lists it; most others do not).
    pub region: Option<String>,
}

/// ListBuckets, following continuation tokens.
pub async fn list_buckets(target: &dyn Target) -> Result<Vec<ListedBucket>, CleanupError> {
    let policy = RetryPolicy::default();
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..1_000 {
        let mut req = S3Request::new("GET", None, None, Auth::Signed);
        if let Some(t) = &token {
            req.query
                .push(("continuation-token".into(), Some(t.clone())));
        }
        let resp = cleanup::retry_setup(target, &req, &policy).await?;
        let unreadable = || CleanupError::Body {
            op: "ListBuckets",
            bucket: String::new(),
        };
        if resp.status != 200 {
            return Err(CleanupError::Status {
                op: "ListBuckets",
                bucket: String::new(),
                status: resp.status,
                code: error_code(&resp),
            });
        }
        let root = super::s3xml::parse(&resp.body).ok_or_else(unreadable)?;
        if root.name != "ListAllMyBucketsResult" {
            return Err(unreadable());
        }
        if let Some(buckets) = root.child("Buckets") {
            for b in buckets.children_named("Bucket") {
                let Some(name) = b.child_text("Name") else {
                    continue;
                };
                out.push(ListedBucket {
                    name: name.to_string(),
                    created: b.child_text("CreationDate").and_then(|d| {
                        time::OffsetDateTime::parse(
                            d,
                            &time::format_description::well_known::Rfc3339,
                        )
                        .ok()
                    }),
                    region: b.child_text("BucketRegion").map(str::to_string),
                });
            }
        }
        match root.child_text("ContinuationToken") {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// The bucket's tag set (empty when it has none).
pub async fn bucket_tags(
    target: &dyn Target,
    bucket: &str,
) -> Result<Vec<(String, String)>, CleanupError> {
    let mut req = S3Request::new("GET", Some(bucket), None, Auth::Signed);
    req.query.push(("tagging".into(), None));
    let resp = cleanup::retry_setup(target, &req, &RetryPolicy::default()).await?;
    if resp.status == 404 && error_code(&resp).as_deref() == Some("NoSuchTagSet") {
        return Ok(Vec::new());
    }
    if resp.status != 200 {
        return Err(CleanupError::Status {
            op: "GetBucketTagging",
            bucket: bucket.to_string(),
            status: resp.status,
            code: error_code(&resp),
        });
    }
    let root = super::s3xml::parse(&resp.body).ok_or(CleanupError::Body {
        op: "GetBucketTagging",
        bucket: bucket.to_string(),
    })?;
    let tags = root
        .child("TagSet")
        .map(|set| {
            set.children_named("Tag")
                .filter_map(|t| {
                    Some((
                        t.child_text("Key")?.to_string(),
                        t.child_text("Value")?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(tags)
}

/// The pure part of the decision: name shape, region and age. `Ok` means "ours so far"
/// (the tag check, which needs a request, comes after); `Err` carries why it is kept.
pub fn prefilter(
    bucket: &ListedBucket,
    opts: &SweepOptions,
    now: time::OffsetDateTime,
) -> Result<BucketName, String> {
    let Some(parsed) = BucketName::parse(&bucket.name) else {
        return Err("not an s3cors bucket name".to_string());
    };
    if let (Some(theirs), Some(ours)) = (&bucket.region, &opts.region)
        && theirs != ours
    {
        return Err(format!(
            "in region {theirs}, not {ours}; sweep again with AWS_REGION={theirs}"
        ));
    }
    if let Some(min_age) = opts.older_than {
        let created = bucket.created.or_else(|| parsed.run.started_at());
        match created {
            Some(c) => {
                let age = now - c;
                if age < min_age {
                    return Err(format!(
                        "created {}s ago, younger than --older-than {}s",
                        age.whole_seconds().max(0),
                        min_age.as_secs()
                    ));
                }
            }
            None => return Err("creation time unknown and --older-than given".to_string()),
        }
    }
    Ok(parsed)
}

/// Lists the target's buckets and removes s3cors's own leftovers (see the module docs for
/// the checks). Returns one entry per listed bucket, in listing order.
pub async fn sweep(
    target: &dyn Target,
    opts: &SweepOptions,
) -> Result<Vec<SweepEntry>, CleanupError> {
    let now = time::OffsetDateTime::now_utc();
    let mut entries = Vec::new();
    for bucket in list_buckets(target).await? {
        let decision = decide(target, &bucket, opts, now).await;
        entries.push(SweepEntry {
            bucket: bucket.name,
            decision,
        });
    }
    Ok(entries)
}

async fn decide(
    target: &dyn Target,
    bucket: &ListedBucket,
    opts: &SweepOptions,
    now: time::OffsetDateTime,
) -> Decision {
    let parsed = match prefilter(bucket, opts, now) {
        Ok(p) => p,
        Err(reason) => return Decision::Kept { reason },
    };
    if opts.require_tag {
        let want = parsed.run.tag_value();
        match bucket_tags(target, &bucket.name).await {
            Ok(tags) => match tags.iter().find(|(k, _)| k == TAG_KEY) {
                Some((_, v)) if *v == want => {}
                Some((_, v)) => {
                    return Decision::Kept {
                        reason: format!("tag {TAG_KEY}={v} does not match the name ({want})"),
                    };
                }
                None => {
                    return Decision::Kept {
                        reason: format!("no {TAG_KEY} tag"),
                    };
                }
            },
            Err(e) => {
                return Decision::Kept {
                    reason: format!("tags unreadable ({e})"),
                };
            }
        }
    }
    if opts.dry_run {
        return Decision::WouldRemove;
    }
    match cleanup::delete_bucket_fully(target, &bucket.name).await {
        Ok(objects) => Decision::Removed { objects },
        Err(e) => Decision::Failed {
            reason: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(name: &str, created: Option<&str>, region: Option<&str>) -> ListedBucket {
        ListedBucket {
            name: name.into(),
            created: created.and_then(|d| {
                time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
            }),
            region: region.map(str::to_string),
        }
    }

    fn now() -> time::OffsetDateTime {
        time::macros::datetime!(2026-11-28 12:00 UTC)
    }

    #[test]
    fn foreign_names_are_kept() {
        let opts = SweepOptions::default();
        for name in ["prod-data", "s3cors-prod", "s3cors-20261128-101530-abcd"] {
            let b = listed(name, None, None);
            assert!(prefilter(&b, &opts, now()).is_err(), "{name}");
        }
        let ours = listed("s3cors-20261128-101530-abcd-3", None, None);
        assert!(prefilter(&ours, &opts, now()).is_ok());
    }

    #[test]
    fn young_buckets_are_kept_with_older_than() {
        let opts = SweepOptions {
            older_than: Some(Duration::from_secs(3600)),
            ..SweepOptions::default()
        };
        let young = listed(
            "s3cors-20261128-113000-abcd-1",
            Some("2026-11-28T11:30:00.000Z"),
            None,
        );
        let err = prefilter(&young, &opts, now()).expect_err("too young");
        assert!(err.contains("younger"), "{err}");
        let old = listed(
            "s3cors-20261128-100000-abcd-1",
            Some("2026-11-28T10:00:00.000Z"),
            None,
        );
        assert!(prefilter(&old, &opts, now()).is_ok());
        // Without a listed date, the run id's own time counts.
        let undated = listed("s3cors-20261128-100000-abcd-2", None, None);
        assert!(prefilter(&undated, &opts, now()).is_ok());
    }

    #[test]
    fn other_regions_are_kept() {
        let opts = SweepOptions {
            region: Some("eu-west-1".into()),
            ..SweepOptions::default()
        };
        let b = listed("s3cors-20261128-100000-abcd-1", None, Some("us-east-1"));
        let err = prefilter(&b, &opts, now()).expect_err("other region");
        assert!(err.contains("AWS_REGION=us-east-1"), "{err}");
    }
}
