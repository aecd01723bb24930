#!/usr/bin/env python3
"""A stand-in Web Push service that checks what Ringlet sends with implementations nobody here wrote.

It makes a user agent's subscription (P-256 key pair and 16-byte auth secret, with `cryptography`), listens on
127.0.0.1 on a free port, and prints the subscription as one JSON line: {"endpoint", "keys": {"p256dh", "auth"}}.
For every POST to /push/<id> it answers STATUS (default 201) and prints one JSON line with what it found:

- the headers RFC 8030 asks for: TTL, Urgency, Topic, Content-Encoding;
- the VAPID Authorization (RFC 8292): `vapid t=JWT, k=KEY` split per RFC 8292 section 3, the JWT's signature
  verified with py_vapid (Vapid02.verify_token) and again with `cryptography` (ES256: r||s → DER), its header and
  claims decoded;
- the body decrypted with http_ece (aes128gcm, RFC 8188/8291) to the plaintext.

Usage: webpush-peer.py [--status N]. It runs until its standard input closes (or it is killed).
"""
import argparse
import base64
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import py_vapid
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def check_vapid(header):
    """Splits and verifies a VAPID Authorization header; returns what was found."""
    found = {"header": header}
    scheme, _, params = header.partition(" ")
    found["scheme"] = scheme
    parts = {}
    for item in params.split(","):
        key, _, value = item.strip().partition("=")
        parts[key] = value
    token, key = parts.get("t", ""), parts.get("k", "")
    found["k"] = key
    pieces = token.split(".")
    if len(pieces) != 3:
        found["error"] = "the token is not a JWT"
        return found
    found["jwtHeader"] = json.loads(unb64url(pieces[0]))
    found["claims"] = json.loads(unb64url(pieces[1]))
    # py_vapid: the library web push senders and push services use.
    try:
        vapid = py_vapid.Vapid02.from_raw_public(key.encode())
        found["pyVapid"] = bool(vapid.verify_token(validation_token=(pieces[0] + "." + pieces[1]).encode(),
                                                   verification_token=pieces[2]))
    except Exception as error:  # noqa: BLE001 - report whatever the library says
        found["pyVapid"] = False
        found["pyVapidError"] = repr(error)
    # cryptography directly: ES256 with the raw r||s signature turned into DER.
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
        raw = unb64url(pieces[2])
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        public.verify(der, (pieces[0] + "." + pieces[1]).encode(), ec.ECDSA(hashes.SHA256()))
        found["cryptography"] = len(raw) == 64
    except (InvalidSignature, ValueError) as error:
        found["cryptography"] = False
        found["cryptographyError"] = repr(error)
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--status", type=int, default=201)
    args = parser.parse_args()

    private_key = ec.generate_private_key(ec.SECP256R1())
    public = private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
    auth = os.urandom(16)
    subscription_id = b64url(os.urandom(9))

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            found = {
                "path": self.path,
                "ttl": self.headers.get("TTL"),
                "urgency": self.headers.get("Urgency"),
                "topic": self.headers.get("Topic"),
                "contentEncoding": self.headers.get("Content-Encoding"),
                "contentType": self.headers.get("Content-Type"),
                "bodyLength": len(body),
                "vapid": check_vapid(self.headers.get("Authorization", "")),
            }
            try:
                plaintext = http_ece.decrypt(body, private_key=private_key, auth_secret=auth, version="aes128gcm")
                found["plaintext"] = plaintext.decode("utf-8")
            except Exception as error:  # noqa: BLE001 - report the decryption failure
                found["decryptError"] = repr(error)
            self.send_response(args.status)
            self.send_header("Content-Length", "0")
            if args.status == 201:
                self.send_header("Location", "/message/" + b64url(os.urandom(6)))
            self.end_headers()
            emit(found)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    emit({"endpoint": "http://127.0.0.1:%d/push/%s" % (port, subscription_id),
          "keys": {"p256dh": b64url(public), "auth": b64url(auth)}})
    threading.Thread(target=server.serve_forever, daemon=True).start()
    for _ in sys.stdin:
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
