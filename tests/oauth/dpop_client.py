"""A DPoP client for the tests: a key pair, and proofs made with it (correct by default; any
header member or claim can be changed or removed to make a bad one)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
import warnings

from joserfc import jws
from joserfc.jwk import ECKey, OctKey, OKPKey, RSAKey, SecurityWarning

ISSUER = "http://127.0.0.1:8000"  # the issuer of the test settings (config.Settings.issuer)
TOKEN_URL = f"{ISSUER}/oauth/token"
DROP = object()

_KEYS = {
    "ES256": lambda: ECKey.generate_key("P-256"),
    "ES384": lambda: ECKey.generate_key("P-384"),
    "PS256": lambda: RSAKey.generate_key(2048),
    "RS256": lambda: RSAKey.generate_key(2048),
    "Ed25519": lambda: OKPKey.generate_key("Ed25519"),
    "EdDSA": lambda: OKPKey.generate_key("Ed25519"),
}
_ALL = list(_KEYS)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def ath(access_token: str) -> str:
    return b64url(hashlib.sha256(access_token.encode()).digest())


class DPoPKey:
    def __init__(self, alg: str = "ES256", key=None):
        self.alg = alg
        self.key = key if key is not None else _KEYS[alg]()

    @property
    def jkt(self) -> str:
        return self.key.thumbprint()

    def public_jwk(self) -> dict:
        return self.key.as_dict(private=False)

    def proof(self, htm: str = "POST", htu: str = TOKEN_URL, *, token: str | None = None, header: dict | None = None,
              claims: dict | None = None, sign_with=None, alg: str | None = None) -> str:
        protected = {"typ": "dpop+jwt", "alg": alg or self.alg, "jwk": self.public_jwk()}
        payload = {"jti": str(uuid.uuid4()), "htm": htm, "htu": htu, "iat": int(time.time())}
        if token is not None:
            payload["ath"] = ath(token)
        for target, changes in ((protected, header), (payload, claims)):
            for name, value in (changes or {}).items():
                if value is DROP:
                    target.pop(name, None)
                else:
                    target[name] = value
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)  # the name EdDSA is deprecated (RFC 9864)
            return jws.serialize_compact(protected, json.dumps(payload), sign_with or self.key,
                                         algorithms=_ALL + ["HS256"])

    def headers(self, htm: str = "POST", htu: str = TOKEN_URL, **kw) -> dict:
        return {"DPoP": self.proof(htm, htu, **kw)}

    def resource(self, token: str, path: str = "/v1/me", method: str = "GET", **kw) -> dict:
        """Authorization and DPoP headers for a request to the API with a DPoP-bound token."""
        return {"Authorization": f"DPoP {token}", "DPoP": self.proof(method, f"{ISSUER}{path}", token=token, **kw)}


def unsigned(header: dict, claims: dict) -> str:
    """A JWT with alg none: no signature at all."""
    return f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}."


def hmac_key() -> OctKey:
    return OctKey.generate_key(256)
