"""What other features do when a member's or a person's standing changes, in the same transaction.

Features above members (oauth, accounts) hold the credentials that must stop working; members
knows none of them. create_app connects their receivers (app.py `_connect_reactions`); a sender
refuses to run with none connected, so that a suspension can never silently leave tokens alive.
Each receiver returns a dict of effects (e.g. {"revoked_tokens": 3}) that the caller reports.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: sender: the action ("approve", "suspend", "reinstate", "terminate"); keywords: session, member.
member_status_changed = _signals.signal("member-status-changed")

#: sender: "disable"; keywords: session, user (an accounts.models.User).
user_disabled = _signals.signal("user-disabled")


def send(signal, sender: str, **kwargs) -> dict[str, int]:
    """Send `signal` and merge what its receivers report; RuntimeError if nothing listens."""
    if not signal.receivers:
        raise RuntimeError(f"nothing is connected to {signal.name}: build the app with create_app()")
    effects: dict[str, int] = {}
    for _receiver, result in signal.send(sender, **kwargs):
        effects.update(result or {})
    return effects
