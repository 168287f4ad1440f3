"""Referral references, REF-<year>-<ten random characters>: readable, and telling nothing.

A reference from a sequence (REF-2026-000002) told a new claimant how many referrals others had
filed that year. These are ten characters of Crockford's base32 (no I, L, O, U: nothing to misread
on the phone), 50 random bits: a repeat is practically impossible, and the unique column would
refuse one anyway; a reference already in use is drawn again. References given before this
change keep their numbered form.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Referral

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 10


def new_reference(year: int) -> str:
    return f"REF-{year}-" + "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def next_reference(session: Session, year: int) -> str:
    """A reference no referral has yet."""
    for _attempt in range(5):
        reference = new_reference(year)
        if session.scalar(select(Referral.id).where(Referral.reference == reference)) is None:
            return reference
    raise RuntimeError("five random references in a row were taken")  # 2**-250: a broken generator
