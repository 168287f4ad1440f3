"""Fixtures for the admin command line tests."""

from __future__ import annotations

import pytest

from .helpers import Cli


@pytest.fixture
def cli(app) -> Cli:
    return Cli(app)


@pytest.fixture
def fresh(db_session):
    """The test's session, with everything it cached forgotten (the command changed the rows)."""

    def _fresh():
        db_session.expire_all()
        return db_session

    return _fresh
