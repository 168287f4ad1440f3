"""The disclosure rule for counts over confidential records (platform_api/disclosure.py)."""

from __future__ import annotations

import itertools

from platform_api.disclosure import THRESHOLD, breakdown, two_levels


def test_small_cells_and_their_complement_are_hidden():
    assert breakdown(12, [1, 0, 11, 0]) == (12, [None, 0, None, 0])
    assert breakdown(20, [2, 3, 5, 10]) == (20, [None, None, None, 10])  # the smallest shown one goes too
    assert breakdown(10, [5, 5, 0]) == (10, [5, 5, 0])


def test_a_small_total_hides_everything_but_zeros():
    assert breakdown(2, [1, 1, 0]) == (None, [None, None, 0])
    assert breakdown(0, [0, 0]) == (0, [0, 0])


def test_no_hidden_cell_can_be_recomputed_from_the_total():
    """Every breakdown of every total up to 14 into three cells: a hidden cell is never alone,
    and every shown non-zero count is at least THRESHOLD."""
    for cells in itertools.product(range(15), repeat=3):
        total, shown = breakdown(sum(cells), list(cells))
        hidden = [i for i, c in enumerate(shown) if c is None]
        if total is not None:
            assert len(hidden) != 1, cells
        assert all(c is None or c == 0 or c >= THRESHOLD for c in shown), cells
        assert all(shown[i] in (None, cells[i]) for i in range(3)), cells


def test_two_levels_leave_no_hidden_cell_alone_in_any_breakdown():
    """Every split of up to 12 deals over two years with two groups each."""
    for a, b, c, d in itertools.product(range(9), repeat=4):
        parents = {1: a + b, 2: c + d}
        children = {(1, "x"): a, (1, "y"): b, (2, "x"): c, (2, "y"): d}
        total, hidden_parents, hidden_children = two_levels(a + b + c + d, parents, children)
        if total is None:
            continue
        for hidden, counts in ((hidden_parents, parents), (hidden_children, children)):
            assert len(hidden) != 1 and all(counts[k] >= THRESHOLD for k in counts if counts[k] and k not in hidden)
        for parent in parents:
            if parent not in hidden_parents:
                assert len([k for k in hidden_children if k[0] == parent]) != 1, (a, b, c, d)
