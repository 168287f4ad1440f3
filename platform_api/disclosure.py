"""Counts over confidential records, published so that no single case can be inferred.

The rule (README, "Statistics on confidential records"; applied to /v1/stats' referral totals,
and to every later count over confidential objects):

1. A count from 1 to THRESHOLD - 1 is not shown (null). Zeros are shown: they name no case.
2. A total under THRESHOLD is not shown, and then neither is any non-zero cell under it.
3. Where a breakdown hides a cell, it also hides its smallest shown non-zero cell, so that no
   hidden cell is the total minus the shown ones, and the hidden cells are never all known to be
   small.
"""

from __future__ import annotations

from collections.abc import Sequence

THRESHOLD = 5


def _small(count: int) -> bool:
    return 0 < count < THRESHOLD


def breakdown(total: int, cells: Sequence[int]) -> tuple[int | None, list[int | None]]:
    """(total or None, each cell or None) for one breakdown of `total` into `cells`."""
    if _small(total):
        return None, [None if count else 0 for count in cells]
    hidden = {i for i, count in enumerate(cells) if _small(count)}
    if hidden:
        shown = [i for i, count in enumerate(cells) if count and i not in hidden]
        if shown:
            hidden.add(min(shown, key=lambda i: (cells[i], i)))
    return total, [None if i in hidden else count for i, count in enumerate(cells)]
