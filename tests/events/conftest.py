"""Each test reads only the events made since it began."""

import pytest

from platform_api.api.schemas import rfc3339
from platform_api.db import utcnow

from . import helpers


@pytest.fixture(autouse=True)
def _since():
    helpers.SINCE[:] = [rfc3339(utcnow())]
    yield
    helpers.SINCE.clear()
