"""Who may post which event, in which status, and where each event leads."""

from __future__ import annotations

from .models import EVENT_TYPES

# Event types each party may post; `submitted` is written by creating the referral.
ROLE_EVENTS = {
    "claimant": ("withdrawn", "note"),
    "respondent": ("note",),
    "institution": ("acknowledged", "declined", "neutral_appointed", "hearing_scheduled", "closed", "note"),
}
# Event types each status allows, whoever posts them. Notes are welcome at any time, also
# after the end (an award paid, a settlement performed).
STATUS_EVENTS = {
    "submitted": ("acknowledged", "declined", "closed", "withdrawn", "note"),
    "acknowledged": ("neutral_appointed", "hearing_scheduled", "closed", "withdrawn", "note"),
    "in_progress": ("neutral_appointed", "hearing_scheduled", "closed", "withdrawn", "note"),
    "declined": ("note",),
    "closed": ("note",),
}
POSTABLE = tuple(t for t in EVENT_TYPES if t != "submitted")
# Outcomes the institution may record, by procedure; `withdrawn` only comes from the claimant.
OUTCOMES_BY_PROCEDURE = {
    "mediation": ("settled", "no_settlement"),
    "arbitration": ("settled", "award_rendered", "no_settlement"),
    "expedited_arbitration": ("settled", "award_rendered", "no_settlement"),
    "expert_determination": ("settled", "determination_issued", "no_settlement"),
}


def allowed_events(status: str, role: str | None) -> list[str]:
    """The event types this party may post now, in the order of EVENT_TYPES."""
    if role is None:
        return []
    return [t for t in EVENT_TYPES if t in ROLE_EVENTS[role] and t in STATUS_EVENTS[status]]


def next_status(status: str, outcome: str | None, event_type: str, data: dict) -> tuple[str, str | None]:
    """Where an allowed event leads: (status, outcome)."""
    if event_type == "submitted":
        return "submitted", None
    if event_type in ("acknowledged", "declined"):
        return event_type, None
    if event_type in ("neutral_appointed", "hearing_scheduled"):
        return "in_progress", None
    if event_type == "closed":
        # .get: verify replays stored timelines, which may have been tampered with.
        return "closed", data.get("outcome")
    if event_type == "withdrawn":
        return "closed", "withdrawn"
    return status, outcome


def replay(events) -> tuple[str, str | None]:
    """The (status, outcome) a timeline leads to."""
    status, outcome = "submitted", None
    for event in events:
        status, outcome = next_status(status, outcome, event.type, event.data)
    return status, outcome
