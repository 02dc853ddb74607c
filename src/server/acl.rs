//! Canned ACLs and the access decisions they imply.
//!
//! The server has exactly one account (the configured credentials), which owns every bucket
//! and object and may do anything. Anonymous callers (no signature; what a browser sends) get
//! what S3's canned ACLs grant `AllUsers`:
//!
//! - a bucket ACL of `public-read` or `public-read-write` lets them list the bucket;
//! - `public-read-write` on the bucket also lets them put and delete objects;
//! - an object ACL of `public-read` or `public-read-write` lets them GET and HEAD that object
//!   (on S3 the *object's* ACL governs reads, not the bucket's);
//! - nothing else (ACL and CORS subresources included) is ever anonymous.

use crate::s3::S3Error;

/// A canned ACL (`x-amz-acl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CannedAcl {
    #[default]
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    AwsExecRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
    LogDeliveryWrite,
}

impl CannedAcl {
    /// Parses an `x-amz-acl` value; S3's 400 `InvalidArgument` for unknown names.
    pub fn parse(value: &str) -> Result<CannedAcl, S3Error> {
        Ok(match value {
            "private" => CannedAcl::Private,
            "public-read" => CannedAcl::PublicRead,
            "public-read-write" => CannedAcl::PublicReadWrite,
            "authenticated-read" => CannedAcl::AuthenticatedRead,
            "aws-exec-read" => CannedAcl::AwsExecRead,
            "bucket-owner-read" => CannedAcl::BucketOwnerRead,
            "bucket-owner-full-control" => CannedAcl::BucketOwnerFullControl,
            "log-delivery-write" => CannedAcl::LogDeliveryWrite,
            other => {
                return Err(S3Error::new(400, "InvalidArgument", "")
                    .with_field("ArgumentName", "x-amz-acl")
                    .with_field("ArgumentValue", other));
            }
        })
    }

    /// Whether `AllUsers` may read (list a bucket / get an object).
    pub fn public_read(self) -> bool {
        matches!(self, CannedAcl::PublicRead | CannedAcl::PublicReadWrite)
    }

    /// Whether `AllUsers` may write (put/delete objects in a bucket).
    pub fn public_write(self) -> bool {
        matches!(self, CannedAcl::PublicReadWrite)
    }
}

/// Who is calling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// A valid signature with the configured credentials.
    Owner,
    /// No authentication.
    Anonymous,
}

/// What a request wants to do, as far as ACLs care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// ListObjects (v1 or v2).
    ListBucket,
    /// GetObject / HeadObject.
    ReadObject,
    /// PutObject.
    WriteObject,
    /// DeleteObject (and DeleteObjects).
    DeleteObject,
    /// Anything else (bucket management, ACLs, CORS configuration, ListBuckets).
    Admin,
}

/// Whether `who` may do `action` given the bucket's ACL and, for object reads, the object's.
pub fn allows(
    who: Principal,
    action: Action,
    bucket: CannedAcl,
    object: Option<CannedAcl>,
) -> bool {
    match who {
        Principal::Owner => true,
        Principal::Anonymous => match action {
            Action::ListBucket => bucket.public_read(),
            Action::ReadObject => object.is_some_and(CannedAcl::public_read),
            Action::WriteObject | Action::DeleteObject => bucket.public_write(),
            Action::Admin => false,
        },
    }
}

/// S3's refusal for a caller without permission.
pub fn access_denied() -> S3Error {
    S3Error::new(403, "AccessDenied", "Access Denied")
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use CannedAcl::*;
    use Principal::*;

    #[test]
    fn owner_may_do_everything() {
        for a in [ListBucket, ReadObject, WriteObject, DeleteObject, Admin] {
            assert!(allows(Owner, a, Private, Some(Private)));
        }
    }

    #[test]
    fn anonymous_is_refused_on_private_resources() {
        for a in [ListBucket, ReadObject, WriteObject, DeleteObject, Admin] {
            assert!(!allows(Anonymous, a, Private, Some(Private)), "{a:?}");
        }
    }

    #[test]
    fn public_read_object_is_readable_in_a_private_bucket() {
        assert!(allows(Anonymous, ReadObject, Private, Some(PublicRead)));
        assert!(!allows(Anonymous, ListBucket, Private, Some(PublicRead)));
    }

    #[test]
    fn public_read_bucket_lists_but_does_not_expose_private_objects() {
        assert!(allows(Anonymous, ListBucket, PublicRead, None));
        assert!(!allows(Anonymous, ReadObject, PublicRead, Some(Private)));
        assert!(!allows(Anonymous, WriteObject, PublicRead, None));
    }

    #[test]
    fn public_read_write_bucket_accepts_anonymous_writes_and_deletes() {
        assert!(allows(Anonymous, WriteObject, PublicReadWrite, None));
        assert!(allows(Anonymous, DeleteObject, PublicReadWrite, None));
        assert!(!allows(Anonymous, Admin, PublicReadWrite, None));
    }

    #[test]
    fn canned_acl_names() {
        assert_eq!(CannedAcl::parse("public-read").unwrap(), PublicRead);
        assert_eq!(
            CannedAcl::parse("public-read-write").unwrap(),
            PublicReadWrite
        );
        let e = CannedAcl::parse("public").unwrap_err();
        assert_eq!((e.status, e.code.as_str()), (400, "InvalidArgument"));
    }
}
