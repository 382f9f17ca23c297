#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""SigV4-verifying reverse proxy for tests: s3rver does not check SigV4
signatures (../shared/reference/test-peers.md §2, gotcha 3), so this proxy
sits in front of it and recomputes every request's signature with botocore,
the reference signer vendored by Debian's awscli.

  /usr/bin/python3 tests/s3/sigv4_proxy.py --port P --upstream-port U \
      [--keys access=secret,S3RVER=S3RVER] [--log FILE]

Like real S3, the canonical request is built from the *decoded* path and
query re-encoded per RFC 3986 (so a client that signs a non-canonical
encoding fails), the query sorted with `key=` for empty values, the headers
the client lists in SignedHeaders, and its x-amz-content-sha256, which must
also match the body. A mismatch gets 403 SignatureDoesNotMatch and the
canonical request is logged (and every verified request as "verified
METHOD PATH?QUERY", so tests can see what was sent); an unknown key 403 InvalidAccessKeyId; no
Authorization 403 AccessDenied. Matching requests are forwarded to
127.0.0.1:U; if that is down, 503 ServiceUnavailable. Prints
"sigv4 proxy listening on 127.0.0.1:P" once it accepts.
"""
import argparse
import hashlib
import http.client
import http.server
import re
import sys
import threading
import urllib.parse

import awscli  # noqa: F401  (puts the vendored botocore on the path first)
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,"
    r"\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$")
SAFE = "-_.~"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te",
              "trailer", "upgrade", "proxy-connection"}
log_lock = threading.Lock()
log_file = sys.stderr
stats = {"verified": 0, "rejected": 0}


def log(msg):
    with log_lock:
        log_file.write(msg + "\n")
        log_file.flush()


def canonical_path(raw):
    segs = raw.split("/")
    return "/".join(urllib.parse.quote(urllib.parse.unquote(s), safe=SAFE)
                    for s in segs)


def canonical_query(raw):
    if not raw:
        return ""
    pairs = []
    for part in raw.split("&"):
        k, _, v = part.partition("=")
        pairs.append((urllib.parse.quote(urllib.parse.unquote(k), safe=SAFE),
                      urllib.parse.quote(urllib.parse.unquote(v), safe=SAFE)))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def error_xml(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>").encode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    keys = {}
    upstream_port = 0

    def log_message(self, fmt, *args):  # quiet access log
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        sent = set()
        for k, v in headers:
            if k.lower() in HOP_BY_HOP or k.lower() == "content-length":
                continue
            self.send_header(k, v)
            sent.add(k.lower())
        if "content-type" not in sent and body:
            self.send_header("Content-Type", "application/xml")
        length = str(len(body))
        if self.command == "HEAD":  # the upstream's length of the object
            length = dict((k.lower(), v) for k, v in headers).get(
                "content-length", length)
        self.send_header("Content-Length", length)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def verify(self, body):
        """None when the signature matches, else (status, code, message)."""
        auth = self.headers.get("Authorization")
        if not auth:
            return 403, "AccessDenied", "anonymous requests are refused"
        m = AUTH_RE.match(auth.strip())
        if not m:
            return 400, "AuthorizationHeaderMalformed", "bad Authorization"
        key_id, date, region, service, signed, signature = m.groups()
        secret = self.keys.get(key_id)
        if secret is None:
            return 403, "InvalidAccessKeyId", f"unknown access key {key_id}"
        amz_date = self.headers.get("X-Amz-Date", "")
        if not amz_date.startswith(date):
            return 403, "SignatureDoesNotMatch", "x-amz-date vs credential date"
        content_sha = self.headers.get("X-Amz-Content-SHA256")
        if content_sha is None:
            return 400, "InvalidRequest", "missing x-amz-content-sha256"
        if content_sha != "UNSIGNED-PAYLOAD" and \
                content_sha != hashlib.sha256(body).hexdigest():
            return 400, "XAmzContentSHA256Mismatch", "body hash mismatch"
        names = signed.split(";")
        if "host" not in names or "x-amz-date" not in names:
            return 403, "SignatureDoesNotMatch", "host/x-amz-date not signed"
        raw_path, _, raw_query = self.path.partition("?")
        url = "http://" + self.headers.get("Host", "") + \
            canonical_path(raw_path)
        query = canonical_query(raw_query)
        if query:
            url += "?" + query
        headers = {}
        for n in names:
            vals = self.headers.get_all(n)
            if vals is None:
                return 403, "SignatureDoesNotMatch", f"signed header {n} absent"
            headers[n] = ",".join(vals)
        req = AWSRequest(method=self.command, url=url, headers=headers,
                         data=body)
        req.context["timestamp"] = amz_date
        signer = S3SigV4Auth(Credentials(key_id, secret), service, region)
        canonical = signer.canonical_request(req)
        expected = signer.signature(signer.string_to_sign(req, canonical), req)
        if expected != signature:
            log(f"SignatureDoesNotMatch {self.command} {self.path}\n"
                f"--- canonical request (server side) ---\n{canonical}\n---")
            return 403, "SignatureDoesNotMatch", \
                "The request signature we calculated does not match"
        return None

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        bad = self.verify(body)
        if bad:
            stats["rejected"] += 1
            status, code, message = bad
            self.reply(status, error_xml(code, message))
            return
        stats["verified"] += 1
        log(f"verified {self.command} {self.path}")
        fwd = {k: v for k, v in self.headers.items()
               if k.lower() not in HOP_BY_HOP and k.lower() != "expect"}
        fwd["Content-Length"] = str(len(body))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port,
                                              timeout=60)
            conn.request(self.command, self.path, body=body, headers=fwd)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
        except OSError as e:
            self.reply(503, error_xml("ServiceUnavailable",
                                      f"upstream down: {e.__class__.__name__}"))
            return
        self.reply(resp.status, data, resp.getheaders())

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def main():
    global log_file
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--upstream-port", type=int, required=True)
    p.add_argument("--keys", default="access=secret,S3RVER=S3RVER")
    p.add_argument("--log")
    a = p.parse_args()
    if a.log:
        log_file = open(a.log, "a", encoding="utf-8")
    Handler.keys = dict(kv.split("=", 1) for kv in a.keys.split(",") if kv)
    Handler.upstream_port = a.upstream_port
    server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    print(f"sigv4 proxy listening on 127.0.0.1:{a.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
