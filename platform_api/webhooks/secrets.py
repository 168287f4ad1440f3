"""Signing secrets, derived rather than stored, and Standard Webhooks signatures.

An endpoint's secret is `whsec_` + base64(HMAC-SHA256(key, "<endpoint id>:<nonce>")), where
`key` = HMAC-SHA256(the app's SECRET_KEY, a fixed label). Only the random nonce is stored (the
current one, and the previous one with its expiry after a rotation): a copy of the database
alone signs nothing. Rotating SECRET_KEY therefore changes every webhook secret at once; members
must then be given new ones (rotate-secret on each endpoint, or tell them).

The signature (https://www.standardwebhooks.com): `v1,` + base64(HMAC-SHA256(secret bytes,
"{webhook-id}.{webhook-timestamp}.{body}")), where the secret bytes are the base64-decoded part
after `whsec_`; while two secrets are live, `webhook-signature` lists both, space-separated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
_LABEL = b"platform.webhooks.signing-secret.v1"


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), _LABEL, hashlib.sha256).digest()


def secret_bytes(secret_key: str, endpoint_id: str, nonce: str) -> bytes:
    return hmac.new(_key(secret_key), f"{endpoint_id}:{nonce}".encode(), hashlib.sha256).digest()


def secret(secret_key: str, endpoint_id: str, nonce: str) -> str:
    """The secret shown to the member (once, at creation or rotation)."""
    return PREFIX + base64.b64encode(secret_bytes(secret_key, endpoint_id, nonce)).decode()


def sign(key: bytes, msg_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(keys: list[bytes], msg_id: str, timestamp: int, body: str) -> str:
    return " ".join(sign(k, msg_id, timestamp, body) for k in keys)
