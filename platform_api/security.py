"""Secrets, tokens and passwords: what is stored is only ever a hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# Tokens, codes and client secrets are 256-bit random values that we generate: a fast hash
# is enough (nothing to brute-force), and it keeps client authentication, which runs on every
# token call, cheap. argon2 is for people's passwords only.
_DOMAIN = b"platform-api/v1:"

_password_hasher = PasswordHasher()  # argon2id, memory-hard, library defaults (RFC 9106 profile)


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def secret_hash(value: str) -> str:
    return hashlib.sha256(_DOMAIN + value.encode("utf-8", "surrogatepass")).hexdigest()


def secret_matches(value: str, stored_hash: str | None) -> bool:
    if not stored_hash or not isinstance(value, str):
        return False
    return hmac.compare_digest(secret_hash(value), stored_hash)


def hash_password(password: str) -> str:
    return _password_hasher.hash(password)


def check_password(password: str, stored_hash: str) -> bool:
    try:
        return _password_hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH: str | None = None


def burn_password_check(password: str) -> None:
    """Spend the time of a real check, so an unknown e-mail cannot be told from a wrong password."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _password_hasher.hash(secrets.token_urlsafe(16))
    check_password(password, _DUMMY_HASH)
