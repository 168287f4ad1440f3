"""DPoP (RFC 9449): checking the proofs a client sends, and remembering the ones already used.

A DPoP proof is a JWT the client signs, for one HTTP request, with a key pair of its own; its
header carries the public key (`jwk`). A token issued against a proof is bound to that key by
its RFC 7638 SHA-256 thumbprint (`jkt`), and is accepted only with a fresh proof signed by the
same key: a stolen token is useless without the private key. docs/dpop.md tells clients how.

`check_proof` is RFC 9449 section 4.3, in its order: one compact JWS with `typ: dpop+jwt`, an
asymmetric algorithm of ALGORITHMS, a public `jwk` (no private part) that verifies the
signature, `jti`, `htm` and `htu` matching this request (`htu` against the configured issuer's
URL, never the Host header; query and fragment ignored), `iat` within the window, and `ath`
(the hash of the access token) where there is one. `remember` then records the proof as used:
a replay is refused by every worker of every host, since the record is a row of
oauth_dpop_proofs, written on a connection of its own and committed at once (it holds even if
the request fails afterwards). Server-provided nonces (`DPoP-Nonce`, section 8) are not used.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import warnings
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from flask import current_app, g, request
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey
from sqlalchemy.dialects import postgresql, sqlite

from ..db import get_db, session, set_write_intent, utcnow
from .models import DPoPProof

#: Asymmetric algorithms only (RFC 9449 4.2: never `none`, never a MAC). Ed25519 is RFC 9864's
#: name for what older libraries call EdDSA (with an Ed25519 key); both are accepted.
ALGORITHMS = ["ES256", "ES384", "PS256", "RS256", "Ed25519", "EdDSA"]
#: How old a proof's `iat` may be, and how far in the future (clock skew), in seconds.
MAX_AGE = 300
MAX_AHEAD = 60
MAX_PROOF_LENGTH = 8000  # openapi.yaml's DPoP maxLength: within gunicorn's 8,190-byte header line
MIN_RSA_BITS = 2048
# Members that only a private (or symmetric) key has (RFC 7518 6.2.2, 6.3.2, 6.4; RFC 8037 2).
_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
_JKT = re.compile(r"^[A-Za-z0-9_-]{43}$")
_B64URL_SHA256 = _JKT


class _Registry(jws.JWSRegistry):
    # joserfc's default (512 bytes) is too short for a header with an RSA key in it; the whole
    # proof is limited to MAX_PROOF_LENGTH before it gets here.
    max_header_length = MAX_PROOF_LENGTH
    max_signature_length = 1024


class DPoPError(Exception):
    """A proof that is missing where one is needed, malformed, or does not fit the request."""

    def __init__(self, description: str):
        super().__init__(description)
        self.description = description


@dataclass(frozen=True, slots=True)
class Proof:
    jkt: str  # the RFC 7638 SHA-256 thumbprint of the proof's public key
    jti: str
    iat: int


def is_jkt(value) -> bool:
    """Whether `value` has the form of a base64url SHA-256 JWK thumbprint (dpop_jkt)."""
    return isinstance(value, str) and _JKT.match(value) is not None


def access_token_hash(access_token: str) -> str:
    """The `ath` a proof must carry for this access token: base64url SHA-256 of its ASCII."""
    digest = hashlib.sha256(access_token.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def expected_url(path: str) -> str:
    """The URL this request was made to, as the server names itself (its issuer), without query."""
    return current_app.config["PLATFORM"].issuer + path


def proof_header() -> str | None:
    """The request's DPoP header, or None when there is none; more than one is refused (4.3 step 1)."""
    values = request.headers.getlist("DPoP")
    if not values:
        return None
    # Several header lines reach a WSGI app joined with commas, which no compact JWS holds.
    if len(values) > 1 or "," in values[0]:
        raise DPoPError("Send one DPoP header, not several.")
    return values[0]


def _b64url_json(segment: str, what: str) -> dict:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        raise DPoPError(f"The DPoP proof's {what} is not base64url-encoded JSON.") from None
    if not isinstance(value, dict):
        raise DPoPError(f"The DPoP proof's {what} is not a JSON object.")
    return value


def _public_key(jwk) -> ECKey | RSAKey | OKPKey:
    if not isinstance(jwk, dict):
        raise DPoPError("The DPoP proof's header must carry the public key as a JWK in 'jwk'.")
    if any(member in jwk for member in _PRIVATE_MEMBERS):
        raise DPoPError("The DPoP proof's 'jwk' holds a private or symmetric key; send only the public key.")
    if jwk.get("kty") not in ("EC", "RSA", "OKP"):
        raise DPoPError("The DPoP proof's 'jwk' must be an EC, RSA or OKP public key.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc warns of weak keys; refused just below
            key = JWKRegistry.import_key(jwk)
    except Exception:  # noqa: BLE001 - joserfc and cryptography raise many kinds
        raise DPoPError("The DPoP proof's 'jwk' is not a valid public key.") from None
    if key.is_private:
        raise DPoPError("The DPoP proof's 'jwk' holds a private key; send only the public key.")
    if isinstance(key, RSAKey) and key.raw_value.key_size < MIN_RSA_BITS:
        raise DPoPError(f"The DPoP proof's RSA key is too short; use at least {MIN_RSA_BITS} bits.")
    return key


def _same_url(htu: str, expected: str) -> bool:
    """RFC 9449 4.3 step 9: the same URI without query and fragment, after syntax-based
    normalisation (scheme and host case, default port, percent-encoding)."""
    try:
        a, b = urlsplit(htu), urlsplit(expected)
        ports = (a.port, b.port)
    except ValueError:
        return False

    def norm(parts, port):
        scheme = parts.scheme.lower()
        default = {"https": 443, "http": 80}.get(scheme)
        return (scheme, (parts.hostname or "").lower(), None if port == default else port,
                unquote(parts.path or "/"))

    return bool(a.scheme and a.netloc) and "@" not in a.netloc and norm(a, ports[0]) == norm(b, ports[1])


def check_proof(proof: str, *, method: str, url: str, access_token: str | None = None) -> Proof:
    """The checked proof for a request of `method` to `url` (and `access_token`, at a resource),
    or DPoPError saying what is wrong. Does not record it: call remember() next."""
    if not isinstance(proof, str) or not proof or len(proof) > MAX_PROOF_LENGTH:
        raise DPoPError("The DPoP header must hold one DPoP proof JWT.")
    parts = proof.split(".")
    if len(parts) != 3 or not all(parts):
        raise DPoPError("The DPoP proof is not a signed JWT (JWS compact serialization).")
    header = _b64url_json(parts[0], "header")
    if header.get("typ") != "dpop+jwt":
        raise DPoPError("The DPoP proof's 'typ' header must be 'dpop+jwt'.")
    alg = header.get("alg")
    if alg not in ALGORITHMS:
        raise DPoPError(f"The DPoP proof's 'alg' must be one of: {' '.join(ALGORITHMS)} (asymmetric only).")
    if "crit" in header:
        raise DPoPError("The DPoP proof carries critical header parameters this server does not understand.")
    key = _public_key(header.get("jwk"))
    try:
        # Only the header's own alg (checked above); header members beyond the registered ones are
        # allowed, as RFC 7515 does, but a `crit` was refused above.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # joserfc's note that the name EdDSA is deprecated
            verified = jws.deserialize_compact(proof, key,
                                               registry=_Registry(algorithms=[alg], strict_check_header=False))
    except JoseError as exc:
        if exc.error in ("invalid_key_type", "invalid_key_curve"):
            raise DPoPError(f"The DPoP proof's key does not fit its algorithm {alg}.") from None
        raise DPoPError("The DPoP proof's signature does not verify with the key in its header.") from None
    except Exception:  # noqa: BLE001 - malformed input the library did not map
        raise DPoPError("The DPoP proof's signature does not verify with the key in its header.") from None
    try:
        claims = json.loads(verified.payload)
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise DPoPError("The DPoP proof's payload is not a JSON object.")

    jti, htm, htu, iat = claims.get("jti"), claims.get("htm"), claims.get("htu"), claims.get("iat")
    if not isinstance(jti, str) or not 1 <= len(jti) <= 256:
        raise DPoPError("The DPoP proof must carry a unique 'jti' (a string of 1 to 256 characters).")
    if htm != method:
        raise DPoPError(f"The DPoP proof's 'htm' must be the request's method, {method}.")
    if not isinstance(htu, str) or not _same_url(htu, url):
        raise DPoPError(f"The DPoP proof's 'htu' must be the request's URL, {url} (without query or fragment).")
    if isinstance(iat, bool) or not isinstance(iat, (int, float)):
        raise DPoPError("The DPoP proof must carry 'iat', its creation time in seconds since the epoch.")
    now = utcnow().timestamp()
    if iat < now - MAX_AGE:
        raise DPoPError(f"The DPoP proof is too old: make a new proof for every request (at most {MAX_AGE} s old).")
    if iat > now + MAX_AHEAD:
        raise DPoPError("The DPoP proof's 'iat' is in the future: check the client's clock.")
    if access_token is not None:
        ath = claims.get("ath")
        if ath is None:
            raise DPoPError("The DPoP proof must carry 'ath', the base64url SHA-256 hash of the access token.")
        if ath != access_token_hash(access_token):
            raise DPoPError("The DPoP proof's 'ath' is not the hash of this access token.")
    return Proof(jkt=key.thumbprint(), jti=jti, iat=int(iat))


def remember(proof: Proof) -> None:
    """Record the proof as used (until it would be too old anyway); DPoPError if it already was.

    Keyed by the key's thumbprint and the jti, so that nobody can spend another key's jti. The
    row is committed on a connection of its own (under the test harness: in its transaction),
    whatever becomes of the request, so that every worker refuses the proof from now on.
    """
    digest = hashlib.sha256(f"{proof.jkt}\x00{proof.jti}".encode()).hexdigest()
    expires = utcnow() + timedelta(seconds=MAX_AGE + MAX_AHEAD)
    db = get_db()
    dialect = db.engine.dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DPoPProof.__table__).values(
        id=digest, expires_at=expires)
    # RETURNING tells whether the row went in (the autocommit pool's cursor reports rowcount -1).
    stmt = stmt.on_conflict_do_nothing(index_elements=["id"]).returning(DPoPProof.id)
    current = g.get("db_session")
    if db.harness_bound() or (dialect == "sqlite" and current is not None and current.in_transaction()):
        # The harness's one transaction; or (not the case today: the proof is checked before the
        # request's first query) a SQLite request that already holds the write lock, which a
        # connection of our own would wait for until busy_timeout.
        inserted = session().execute(stmt).first() is not None
    elif dialect == "postgresql":
        with db.extra_engine("autocommit").connect() as conn:
            inserted = conn.execute(stmt).first() is not None
    else:
        set_write_intent(True)  # SQLite: BEGIN IMMEDIATE, as for any write
        try:
            with db.engine.begin() as conn:
                inserted = conn.execute(stmt).first() is not None
        finally:
            set_write_intent(request.method not in ("GET", "HEAD", "OPTIONS"))
    if not inserted:
        raise DPoPError("This DPoP proof was already used: make a new proof (a new jti) for every request.")


def check_request(*, access_token: str | None = None) -> Proof | None:
    """The request's DPoP proof, checked and recorded as used; None when it sends none."""
    value = proof_header()
    if value is None:
        return None
    proof = check_proof(value, method=request.method, url=expected_url(request.path), access_token=access_token)
    remember(proof)
    return proof


# --- the token endpoint's proof, for the grants and the token's storage ------------------------


def set_token_request_proof(proof: Proof | None) -> None:
    g.dpop_proof = proof


def token_request_proof() -> Proof | None:
    """The checked proof of this token request, or None (no DPoP header)."""
    return g.get("dpop_proof")
