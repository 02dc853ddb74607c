# Run: `cargo run -- serve --listen 127.0.0.1:9107 &` then `python3 tests/python/boto3_uploads.py [ENDPOINT [ACCESS_KEY SECRET_KEY]]` (pip install boto3).
"""boto3 upload flows against the embedded server (`s3cors serve`), as a browser app's back end
drives them (issue 14):

1. a presigned POST made with `generate_presigned_post` and posted the way a page posts it
   (multipart/form-data, no Authorization header, with an Origin): 204, the CORS headers of the
   bucket's rule, the object stored under `${filename}`; then the same form with a file over
   the policy's content-length-range is refused with 400 EntityTooLarge;
2. a multipart upload with the low-level calls (5 MiB + a small last part, ETag
   "<md5 of md5s>-2"), ListParts, and boto3's managed `upload_fileobj` with a small multipart
   threshold; then an abort and NoSuchUpload.

Exits non-zero on the first failed check. Defaults: http://127.0.0.1:9000, test/test.
"""

import hashlib
import io
import sys
import urllib.error
import urllib.request
import uuid

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from boto3.s3.transfer import TransferConfig

ORIGIN = "http://localhost:8000"


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    print(f"ok: {what}")


def post_form(url, fields, filename, data, headers):
    """POSTs a multipart/form-data form as a browser does: (status, headers, body)."""
    boundary = "----boto3uploads" + uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
    body.write(
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: text/plain\r\n\r\n".encode()
    )
    body.write(data)
    body.write(f"\r\n--{boundary}--\r\n".encode())
    req = urllib.request.Request(url, data=body.getvalue(), method="POST")
    req.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    for k, v in headers.items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def presigned_post(s3, bucket):
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={"CORSRules": [{"AllowedOrigins": [ORIGIN], "AllowedMethods": ["GET", "POST"]}]},
    )
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Conditions=[["starts-with", "$key", "uploads/"], ["content-length-range", 1, 1024]],
        ExpiresIn=600,
    )
    status, headers, body = post_form(post["url"], post["fields"], "notes.txt", b"hello form", {"Origin": ORIGIN})
    check(status == 204, f"presigned POST answers 204 (got {status} {body[:200]!r})")
    check(headers.get("Access-Control-Allow-Origin") == ORIGIN, "the 204 carries Access-Control-Allow-Origin")
    check(headers.get("Access-Control-Allow-Methods") == "GET, POST", "the 204 carries the rule's methods")
    check(headers.get("ETag") == '"%s"' % hashlib.md5(b"hello form").hexdigest(), "the 204 carries the ETag")
    got = s3.get_object(Bucket=bucket, Key="uploads/notes.txt")["Body"].read()
    check(got == b"hello form", "${filename} became the file name and the object is stored")
    status, headers, body = post_form(post["url"], post["fields"], "big.txt", b"x" * 1025, {"Origin": ORIGIN})
    check(status == 400 and b"<Code>EntityTooLarge</Code>" in body, f"a file over content-length-range is 400 EntityTooLarge (got {status})")
    check(headers.get("Access-Control-Allow-Origin") == ORIGIN, "the policy error is readable cross-origin")


def multipart(s3, bucket):
    key = "big.bin"
    part1 = b"a" * (5 * 1024 * 1024)
    part2 = b"tail"
    up = s3.create_multipart_upload(Bucket=bucket, Key=key, ContentType="application/octet-stream")
    uid = up["UploadId"]
    e1 = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=1, Body=part1)["ETag"]
    e2 = s3.upload_part(Bucket=bucket, Key=key, UploadId=uid, PartNumber=2, Body=part2)["ETag"]
    parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=uid)["Parts"]
    check([p["PartNumber"] for p in parts] == [1, 2], "ListParts lists both parts")
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=uid,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]},
    )
    want = hashlib.md5(hashlib.md5(part1).digest() + hashlib.md5(part2).digest()).hexdigest() + "-2"
    check(done["ETag"] == f'"{want}"', f"CompleteMultipartUpload ETag is md5-of-md5s-2 (got {done['ETag']})")
    obj = s3.get_object(Bucket=bucket, Key=key)
    check(obj["Body"].read() == part1 + part2, "the completed object is the parts joined")

    data = bytes(range(256)) * (6 * 1024 * 4)  # 6 MiB: two parts at a 5 MiB chunk size
    cfg = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
    s3.upload_fileobj(io.BytesIO(data), bucket, "managed.bin", Config=cfg)
    head = s3.head_object(Bucket=bucket, Key="managed.bin")
    check(head["ETag"].endswith('-2"'), f"upload_fileobj made a 2-part multipart upload (ETag {head['ETag']})")
    check(s3.get_object(Bucket=bucket, Key="managed.bin")["Body"].read() == data, "the managed upload round-trips")

    uid = s3.create_multipart_upload(Bucket=bucket, Key="aborted.bin")["UploadId"]
    s3.abort_multipart_upload(Bucket=bucket, Key="aborted.bin", UploadId=uid)
    try:
        s3.upload_part(Bucket=bucket, Key="aborted.bin", UploadId=uid, PartNumber=1, Body=b"x")
        check(False, "UploadPart after abort is refused")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "NoSuchUpload", "UploadPart after abort is NoSuchUpload")


def main():
    endpoint = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:9000"
    key_id = sys.argv[2] if len(sys.argv) > 2 else "test"
    secret = sys.argv[3] if len(sys.argv) > 3 else "test"
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    bucket = f"boto3-uploads-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    try:
        presigned_post(s3, bucket)
        multipart(s3, bucket)
    finally:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for o in page.get("Contents", []):
                s3.delete_object(Bucket=bucket, Key=o["Key"])
        s3.delete_bucket(Bucket=bucket)
    print("boto3 upload flows: all checks passed")


if __name__ == "__main__":
    main()
