# Run: `cargo run -- serve --listen 127.0.0.1:9107 &` then `python3 tests/python/boto3_smoke.py [ENDPOINT [ACCESS_KEY SECRET_KEY]]` (pip install boto3).
"""boto3 smoke test of the embedded server (`s3cors serve`).

AWS's own Python SDK, with ordinary credentials, against the server: create a bucket, put and
get an object, put/get/delete a CORS configuration, presign a URL, send a browser-style
preflight and an unsigned GET of a private object (refused as S3 refuses it), then clean up.
Exits non-zero on the first failed check. Defaults: http://127.0.0.1:9000, test/test.
"""

import sys
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import boto3
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def raw(method, url, headers=None):
    """An unsigned HTTP request, the way a browser sends it: (status, headers, body)."""
    req = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def error_code(body):
    try:
        return ET.fromstring(body).findtext("Code")
    except ET.ParseError:
        return None


def main():
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9000"
    key_id = sys.argv[2] if len(sys.argv) > 2 else "test"
    secret = sys.argv[3] if len(sys.argv) > 3 else "test"
    # s3v4: boto3 otherwise presigns with legacy SigV2 against custom endpoints, which the
    # server refuses as S3 does for buckets created since 2020 (InvalidRequest, use AWS4-HMAC-SHA256).
    cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, signature_version="s3v4")
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=cfg,
    )
    bucket = f"s3cors-boto3-{uuid.uuid4().hex[:12]}"
    origin = "http://localhost:8000"

    s3.create_bucket(Bucket=bucket)
    check(bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]], "create_bucket + list_buckets")

    put = s3.put_object(Bucket=bucket, Key="dir/hello.txt", Body=b"hello world", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="dir/hello.txt")
    check(got["Body"].read() == b"hello world", "put_object + get_object body")
    check(got["ETag"] == put["ETag"] == '"5eb63bbbe01eeed093cb22bb8f5acdc3"', "ETag is the quoted MD5")
    check(got["ContentType"] == "text/plain", "Content-Type kept")
    check(s3.head_object(Bucket=bucket, Key="dir/hello.txt")["ContentLength"] == 11, "head_object")

    rules = [
        {
            "ID": "web",
            "AllowedHeaders": ["*"],
            "AllowedMethods": ["GET", "HEAD"],
            "AllowedOrigins": [origin],
            "ExposeHeaders": ["ETag"],
            "MaxAgeSeconds": 3000,
        }
    ]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    check(s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules, "put_bucket_cors + get_bucket_cors round trip")

    status, headers, _ = raw(
        "OPTIONS",
        f"{endpoint}/{bucket}/dir/hello.txt",
        {"Origin": origin, "Access-Control-Request-Method": "GET"},
    )
    check(status == 200 and headers.get("Access-Control-Allow-Origin") == origin, "browser preflight allowed")

    status, headers, body = raw("GET", f"{endpoint}/{bucket}/dir/hello.txt", {"Origin": origin})
    check(status == 403 and error_code(body) == "AccessDenied", "unsigned GET of a private object refused (403 AccessDenied)")
    check(headers.get("Access-Control-Allow-Origin") == origin, "the refusal still carries CORS headers")

    anonymous = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                             config=cfg.merge(Config(signature_version=UNSIGNED)))
    try:
        anonymous.get_object(Bucket=bucket, Key="dir/hello.txt")
        check(False, "unsigned SDK get_object refused")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "AccessDenied", "unsigned SDK get_object refused")

    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "dir/hello.txt"}, ExpiresIn=60)
    status, _, body = raw("GET", url)
    check(status == 200 and body == b"hello world", "presigned GET")

    s3.put_object_acl(Bucket=bucket, Key="dir/hello.txt", ACL="public-read")
    status, _, body = raw("GET", f"{endpoint}/{bucket}/dir/hello.txt")
    check(status == 200 and body == b"hello world", "unsigned GET of a public-read object allowed")

    s3.delete_bucket_cors(Bucket=bucket)
    try:
        s3.get_bucket_cors(Bucket=bucket)
        check(False, "get_bucket_cors after delete is NoSuchCORSConfiguration")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "NoSuchCORSConfiguration",
              "get_bucket_cors after delete is NoSuchCORSConfiguration")

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    check(keys == ["dir/hello.txt"], "list_objects_v2")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    s3.delete_bucket(Bucket=bucket)
    check(bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]], "cleanup (delete_objects + delete_bucket)")
    print("boto3 smoke test passed")


if __name__ == "__main__":
    main()
