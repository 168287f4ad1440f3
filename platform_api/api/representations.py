"""Output representations shared by every feature: the value types the contract defines once.

Each feature builds its responses with typed functions in `<feature>/representations.py`, one
per resource; the TypedDicts are named after the openapi.yaml component schemas they produce.
"""

from __future__ import annotations

from typing import TypedDict


class Money(TypedDict):
    """openapi.yaml Money: a decimal string (never a float) and its ISO 4217 currency."""

    amount: str
    currency: str


def money(amount, currency) -> Money | None:
    """An amount and its currency as the API shows them; None without an amount."""
    if amount is None:
        return None
    return {"amount": f"{amount:.2f}", "currency": currency}
