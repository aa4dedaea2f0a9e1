#!/usr/bin/env python3
"""Loopback S3 proxy that checks every request's AWS SigV4 signature, then forwards it to moto.

moto's standalone server accepts any signature, so this proxy sits in front of it and recomputes
each request's signature with botocore's own signer (botocore.auth.S3SigV4Auth, as shipped with the
AWS CLI). A mismatch is answered with 403 SignatureDoesNotMatch (an unknown access key with 403
InvalidAccessKeyId) and never reaches moto. The canonical request is rebuilt from the request as
received, re-encoding the path and query the way S3 does, so a client that signs a differently
encoded URL than it sends is caught too. A signed x-amz-content-sha256 is checked against the body, and
so are the integrity headers S3 checks (moto does not): x-amz-checksum-sha256 (base64 SHA-256) and
Content-MD5 are answered with 400 BadDigest when they do not match; stats count the requests that carried
each (checksum_sha256, content_md5).

It can also inject faults for tests, through an admin API on the same port (loopback only):
    POST /__proxy/fault?kind=status&code=503&count=2[&match=partNumber]   answer 503 (SlowDown for 503)
    POST /__proxy/fault?kind=drop&after=65536&count=1[&match=...]         send headers and `after` body bytes, then close
    POST /__proxy/fault?kind=reset&count=1                                 close the connection without answering
    POST /__proxy/fault?kind=slow&delay=2&count=1                          wait `delay` seconds before answering
    POST /__proxy/reset                                                    clear faults and counters
    GET  /__proxy/stats                                                    JSON: requests, rejected, faults_left
`match` is a substring of "METHOD PATH?QUERY" the fault applies to. With `bucket=NAME` (path-style
addressing: the path's first segment), a fault applies to that bucket's requests only, and `reset`
and `stats` clear and count that bucket's faults and requests only: tests that run at once, each with
its own bucket, do not see each other's faults or counts.

Usage: sigv4-proxy.py --listen PORT --upstream http://127.0.0.1:MOTO_PORT --credentials FILE
                      [--tls-cert CERT.pem --tls-key KEY.pem]
FILE holds lines "ACCESS_KEY_ID SECRET_ACCESS_KEY" (read from a file so no secret is in argv).
With --tls-cert/--tls-key it serves HTTPS (for tests of certificate verification and AWS_CA_BUNDLE).
"""
import argparse
import base64
import datetime
import hashlib
import hmac
import http.client
import json
import socket
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

STATE_LOCK = threading.Lock()
FAULTS = []  # dicts: kind, count, match, code, after, delay, bucket ("" for any)
STATS = {"requests": 0, "rejected": 0, "forwarded": 0, "faults_injected": 0, "checksum_sha256": 0, "content_md5": 0}
BUCKET_STATS = {}  # bucket -> the same counters, for that bucket's requests


def new_stats():
    return {k: 0 for k in STATS}


def bucket_of(target):
    """The bucket of a path-style request target ("" for the service root)."""
    path = target.split("?", 1)[0]
    return urllib.parse.unquote(path.lstrip("/").split("/", 1)[0])


def count(target, key):
    """Adds one to a counter, globally and for the request's bucket (callers hold STATE_LOCK)."""
    STATS[key] += 1
    BUCKET_STATS.setdefault(bucket_of(target), new_stats())[key] += 1
CREDENTIALS = {}
UPSTREAM = None


def s3_quote(text, safe):
    return urllib.parse.quote(text, safe=safe)


def error_xml(code, message):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code><Message>%s</Message>'
        "<RequestId>sigv4-proxy</RequestId></Error>" % (code, message)
    ).encode()


def parse_authorization(value):
    if not value.startswith("AWS4-HMAC-SHA256 "):
        return None
    fields = {}
    for part in value[len("AWS4-HMAC-SHA256 "):].split(","):
        k, _, v = part.strip().partition("=")
        fields[k] = v
    if not {"Credential", "SignedHeaders", "Signature"} <= fields.keys():
        return None
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return None
    return scope, fields["SignedHeaders"].split(";"), fields["Signature"]


def verify(method, raw_target, headers, body):
    """Returns None when the signature is right, else (status, code, message)."""
    auth = headers.get("Authorization")
    if not auth:
        return 403, "AccessDenied", "Anonymous requests are not accepted by this proxy"
    parsed = parse_authorization(auth)
    if parsed is None:
        return 400, "AuthorizationHeaderMalformed", "The authorization header is malformed"
    (access_key, day, region, service, _), signed_headers, signature = parsed
    secret = CREDENTIALS.get(access_key)
    if secret is None:
        return 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
    amz_date = headers.get("X-Amz-Date")
    if not amz_date or not amz_date.startswith(day):
        return 403, "SignatureDoesNotMatch", "x-amz-date missing or not matching the credential scope"
    try:
        when = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return 403, "AccessDenied", "invalid x-amz-date"
    if abs((datetime.datetime.now(datetime.timezone.utc) - when).total_seconds()) > 900:
        return 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."
    if "host" not in signed_headers:
        return 403, "SignatureDoesNotMatch", "the host header must be signed"
    content_sha = headers.get("X-Amz-Content-SHA256")
    if content_sha is None:
        return 400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"
    digest = hashlib.sha256(body).digest()
    if len(content_sha) == 64 and digest.hex() != content_sha:
        return 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."
    checksum = headers.get("x-amz-checksum-sha256")
    if checksum is not None and checksum != base64.b64encode(digest).decode():
        return 400, "BadDigest", "The SHA256 you specified did not match the calculated checksum."
    content_md5 = headers.get("Content-MD5")
    if content_md5 is not None and content_md5 != base64.b64encode(hashlib.md5(body).digest()).decode():
        return 400, "BadDigest", "The Content-MD5 you specified did not match what we received."

    # Canonical form of what was sent: decode the path and query, re-encode them as S3 does.
    path, _, query = raw_target.partition("?")
    canonical_path = s3_quote(urllib.parse.unquote(path), safe="/~")
    params = []
    if query:
        for pair in query.split("&"):
            k, _, v = pair.partition("=")
            params.append((urllib.parse.unquote(k), urllib.parse.unquote(v)))
    canonical_query = "&".join(
        "%s=%s" % kv
        for kv in sorted((s3_quote(k, safe="-_.~"), s3_quote(v, safe="-_.~")) for k, v in params)
    )
    signed = {}
    for name in signed_headers:
        values = headers.get_all(name) or []
        if not values:
            return 403, "SignatureDoesNotMatch", "signed header %s is missing" % name
        signed[name] = ",".join(values)
    request = AWSRequest(method=method, url="http://" + headers.get("Host", "") + canonical_path, headers=signed, data=body)
    request.context["timestamp"] = amz_date
    auth_impl = S3SigV4Auth(Credentials(access_key, secret), service, region)
    # botocore's canonical_query_string trusts the URL; give it the re-encoded query instead.
    auth_impl._canonical_query_string_url = lambda parts: canonical_query
    auth_impl.headers_to_sign = lambda req: _headers_to_sign(req, signed_headers)
    canonical = auth_impl.canonical_request(request)
    expected = auth_impl.signature(auth_impl.string_to_sign(request, canonical), request)
    if not hmac.compare_digest(expected, signature):
        return 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    return None


def _headers_to_sign(request, names):
    from botocore.awsrequest import HTTPHeaders

    out = HTTPHeaders()
    for name in names:
        out[name] = request.headers[name]
    return out


def take_fault(method, target):
    with STATE_LOCK:
        for fault in FAULTS:
            if fault["count"] > 0 and fault["match"] in "%s %s" % (method, target) \
                    and fault["bucket"] in ("", bucket_of(target)):
                fault["count"] -= 1
                count(target, "faults_injected")
                return dict(fault)
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sigv4-proxy"

    def log_message(self, fmt, *args):  # quiet; never log headers
        pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _admin(self, body):
        path, _, query = self.path.partition("?")
        args = dict(urllib.parse.parse_qsl(query))
        bucket = args.get("bucket", "")
        if path == "/__proxy/stats":
            with STATE_LOCK:
                counters = BUCKET_STATS.get(bucket, new_stats()) if bucket else STATS
                data = dict(counters, faults_left=sum(f["count"] for f in FAULTS if not bucket or f["bucket"] == bucket))
            return self._send(200, json.dumps(data).encode(), [("Content-Type", "application/json")])
        if path == "/__proxy/reset":
            with STATE_LOCK:
                if bucket:
                    FAULTS[:] = [f for f in FAULTS if f["bucket"] != bucket]
                    BUCKET_STATS.pop(bucket, None)
                else:
                    FAULTS.clear()
                    BUCKET_STATS.clear()
                    for k in STATS:
                        STATS[k] = 0
            return self._send(200, b"{}")
        if path == "/__proxy/fault":
            fault = {
                "kind": args.get("kind", "status"),
                "count": int(args.get("count", "1")),
                "match": args.get("match", ""),
                "code": int(args.get("code", "503")),
                "after": int(args.get("after", "0")),
                "delay": float(args.get("delay", "0")),
                "bucket": bucket,
            }
            with STATE_LOCK:
                FAULTS.append(fault)
            return self._send(200, json.dumps(fault).encode())
        return self._send(404, b"unknown admin path")

    def _handle(self):
        body = self._read_body()
        if self.path.startswith("/__proxy/"):
            return self._admin(body)
        with STATE_LOCK:
            count(self.path, "requests")
        problem = verify(self.command, self.path, self.headers, body)
        if problem:
            with STATE_LOCK:
                count(self.path, "rejected")
            status, code, message = problem
            return self._send(status, error_xml(code, message), [("Content-Type", "application/xml")])
        with STATE_LOCK:
            if "x-amz-checksum-sha256" in self.headers:
                count(self.path, "checksum_sha256")
            if "Content-MD5" in self.headers:
                count(self.path, "content_md5")
        fault = take_fault(self.command, self.path)
        if fault and fault["kind"] == "reset":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if fault and fault["kind"] == "status":
            code = "SlowDown" if fault["code"] == 503 else "InternalError"
            return self._send(fault["code"], error_xml(code, "injected by sigv4-proxy"), [("Content-Type", "application/xml")])
        if fault and fault["kind"] == "slow":
            import time

            time.sleep(fault["delay"])

        conn = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=300)
        forward = {k: v for k, v in self.headers.items() if k.lower() not in ("transfer-encoding", "connection", "content-length")}
        forward["Content-Length"] = str(len(body))
        conn.request(self.command, self.path, body=body, headers=forward)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        with STATE_LOCK:
            count(self.path, "forwarded")
        self.send_response(response.status)
        for k, v in response.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                self.send_header(k, v)
        length = len(data)
        if self.command == "HEAD":
            length = int(response.getheader("Content-Length") or 0)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault and fault["kind"] == "drop":
            self.wfile.write(data[: fault["after"]])
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle


def main():
    global UPSTREAM
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", type=int, required=True)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--credentials", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args()
    UPSTREAM = urllib.parse.urlsplit(args.upstream)
    with open(args.credentials) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2:
                CREDENTIALS[parts[0]] = parts[1]
    if not CREDENTIALS:
        sys.exit("sigv4-proxy: no credentials in %s" % args.credentials)
    server = ThreadingHTTPServer(("127.0.0.1", args.listen), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        import ssl

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
