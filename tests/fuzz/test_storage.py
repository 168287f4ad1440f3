"""hypothesis's caches and example database stay out of the checkout (tests/conftest.py)."""

from pathlib import Path

from hypothesis.configuration import storage_directory


def test_hypothesis_keeps_nothing_in_the_checkout():
    checkout = Path(__file__).resolve().parents[2]
    assert not storage_directory(intent_to_write=False).path.resolve().is_relative_to(checkout)
