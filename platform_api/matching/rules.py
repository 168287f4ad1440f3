"""What each side of a match may do in each status."""

from __future__ import annotations

from .models import Match

# What each side may do in each status: (action, who) where who is "proposer", "responder" or "either".
ACTIONS = {
    "accept": ("proposed", "responder"),
    "decline": ("proposed", "responder"),
    "withdraw": ("proposed", "proposer"),
    "close": ("accepted", "either"),
}


def role_of(match: Match, member_id: str) -> str:
    return "technology_owner" if match.technology_owner_id == member_id else "investor"


def may(match: Match, role: str, action: str) -> bool:
    """Whether `role` may take `action` on the match in its current status."""
    status, who = ACTIONS[action]
    if match.status != status:
        return False
    proposer = match.proposed_by == role
    return who == "either" or (who == "proposer") == proposer


def allowed_actions(match: Match, role: str) -> list[str]:
    return [action for action in ACTIONS if may(match, role, action)]
