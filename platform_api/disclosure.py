"""Counts over confidential records, published so that no single case can be inferred.

The rule (README, "Statistics on confidential records"; applied to /v1/stats' referral, match
and deal figures, and to every later count over confidential objects):

1. A count from 1 to THRESHOLD - 1 is not shown (null). Zeros are shown: they name no case.
2. A total under THRESHOLD is not shown, and then neither is any non-zero cell under it.
3. Where a breakdown hides a cell, it also hides its smallest shown non-zero cell, so that no
   hidden cell is the total minus the shown ones, and the hidden cells are never all known to be
   small. For a two-level breakdown (years, and groups within each year) this holds for the
   groups against the whole, for the years against the whole, and for each shown year's groups
   against that year (`two_levels`).
"""

from __future__ import annotations

from collections.abc import Sequence

THRESHOLD = 5


def _small(count: int) -> bool:
    return 0 < count < THRESHOLD


def _complement(hidden: set, counts: dict) -> bool:
    """Rule 3 on one breakdown (`counts` by key): hide one more if exactly one is hidden."""
    if len(hidden) != 1:
        return False
    shown = [k for k, n in counts.items() if n and k not in hidden]
    if not shown:
        return False
    hidden.add(min(shown, key=lambda k: (counts[k], str(k))))
    return True


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


def two_levels(total: int, parents: dict, children: dict) -> tuple[int | None, set, set]:
    """(total or None, hidden parent keys, hidden child keys) for parents (e.g. years) that break
    down `total` and children keyed (parent, ...) that break down their parent and the total."""
    if _small(total):
        return None, {k for k, n in parents.items() if n}, {k for k, n in children.items() if n}
    hidden_parents = {k for k, n in parents.items() if _small(n)}
    hidden_children = {k for k, n in children.items() if _small(n)}
    changed = True
    while changed:
        changed = _complement(hidden_parents, parents) | _complement(hidden_children, children)
        for parent in parents:
            if parent in hidden_parents:
                continue
            own = {k: n for k, n in children.items() if k[0] == parent}
            mine = hidden_children & set(own)
            if len(mine) == 1:
                if _complement(mine, own):
                    hidden_children |= mine
                else:
                    hidden_parents.add(parent)
                changed = True
    return total, hidden_parents, hidden_children
