"""The hash chain of a referral's timeline: what is hashed, how, and how to check it.

An event as the API returns it is a JSON object. Its `hash` is computed as:

    hash = lowercase hex SHA-256 of UTF-8( prev_hash + canonical_json(document) )

where `prev_hash` is the previous event's `hash` (64 zeros for event 1) and `document` is the
event object exactly as the API returns it without its `prev_hash` and `hash` members, that is:
`referral_id`, `sequence`, `type`, `actor` ({member_id, member_name, person: {id, email} | null}),
`occurred_at` (RFC 3339 UTC with milliseconds, as shown) and the fields of its type's content.
`canonical_json` sorts object keys, uses no whitespace (separators "," and ":"), and writes
non-ASCII characters as UTF-8 rather than \\u escapes. Every value is a string, an integer,
a boolean, null, an object or an array (amounts are decimal strings), so this is also the
RFC 8785 (JCS) serialisation: an auditor can recompute every hash from the API's responses.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from ..api.schemas import rfc3339
from . import rules
from .models import Referral, ReferralEvent

GENESIS = "0" * 64


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def compute_hash(prev_hash: str, document: dict) -> str:
    return hashlib.sha256((prev_hash + canonical_json(document)).encode("utf-8")).hexdigest()


def actor_view(event: ReferralEvent) -> dict:
    person = None
    if event.actor_user_id is not None:
        person = {"id": event.actor_user_id, "email": event.actor_user_email}
    return {"member_id": event.actor_member_id, "member_name": event.actor_member_name, "person": person}


def document(event: ReferralEvent) -> dict:
    """The hashed part of an event: everything the API shows except prev_hash and hash."""
    return {
        "referral_id": event.referral_id,
        "sequence": event.sequence,
        "type": event.type,
        "actor": actor_view(event),
        "occurred_at": rfc3339(event.occurred_at),
        **event.data,
    }


def seal(event: ReferralEvent, prev_hash: str) -> None:
    """Set the event's prev_hash and hash; every other field must be final."""
    event.prev_hash = prev_hash
    event.hash = compute_hash(prev_hash, document(event))


@dataclass(frozen=True)
class Break:
    """One place where a stored timeline does not match what it should be."""

    referral_id: str
    reference: str
    sequence: int | None
    problem: str
    expected: str | None = None
    stored: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"event {self.sequence}" if self.sequence is not None else "referral"
        text = f"{self.reference} ({self.referral_id}) {where}: {self.problem}"
        if self.expected is not None or self.stored is not None:
            text += f": expected {self.expected}, stored {self.stored}"
        return text


def verify(referral: Referral, events: list[ReferralEvent], facts: dict) -> list[Break]:
    """Every break in one referral's timeline (events in sequence order); `facts` are the case
    facts the referral's row gives now (representations.submitted_content).

    Besides the chain itself, event 1 must be `submitted` and carry the referral's case facts as
    stored, and the timeline must lead to the stored status: editing the referral's row behind
    the API's back shows up too. Case facts are confidential, so a difference names the fields only.
    """
    found: list[Break] = []

    def add(sequence, problem, expected=None, stored=None):
        found.append(Break(referral.id, referral.reference, sequence, problem, expected, stored))

    if not events:
        add(None, "the timeline is empty")
        return found
    prev = GENESIS
    for position, event in enumerate(events, start=1):
        if event.sequence != position:
            add(event.sequence, "sequence out of order", str(position), str(event.sequence))
        if event.prev_hash != prev:
            add(event.sequence, "prev_hash is not the previous event's hash", prev, event.prev_hash)
        expected = compute_hash(event.prev_hash, document(event))
        if event.hash != expected:
            add(event.sequence, "hash does not match the event's content", expected, event.hash)
        # Go on from the stored hash, so that one edited event is reported once.
        prev = event.hash
    first = events[0]
    if first.type != "submitted":
        add(first.sequence, "the first event is not 'submitted'", "submitted", first.type)
    else:
        differ = sorted(k for k in set(facts) | set(first.data) if facts.get(k) != first.data.get(k))
        if differ:
            add(first.sequence, "the referral's case facts differ from its submitted event in: " + ", ".join(differ))
    status = rules.replay(events)
    if status != (referral.status, referral.outcome):
        add(None, "the referral's status is not the one its timeline leads to",
            "/".join(s or "-" for s in status), f"{referral.status}/{referral.outcome or '-'}")
    return found
