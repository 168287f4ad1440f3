"""Listings are built through the service, so that the search index and office rows follow."""

from __future__ import annotations

import itertools

from platform_api.db import utcnow
from platform_api.technologies import services

from .base import current_session
from .members import MemberFactory

_seq = itertools.count(1)


def technology_body(**overrides) -> dict:
    """A valid create body (API shape)."""
    n = next(_seq)
    body = {
        "title": {"en": f"Solid-state lithium battery electrolyte {n}", "zh": "固态锂电池电解质"},
        "summary": {"en": "A sulfide electrolyte with high ionic conductivity at room temperature."},
        "keywords": ["solid-state battery", "electrolyte"],
        "field": "new_energy",
        "ipc": ["H01M 10/0562"],
        "trl": 6,
        "ip_rights": [{"kind": "invention_patent", "number": "ZL201910123456.7", "office": "CN", "status": "granted",
                       "filed_on": "2019-02-01", "expires_on": "2039-02-01"}],
        "deal_types": ["exclusive_license", "assignment"],
        "asking_price": {"amount": "2500000.00", "currency": "CNY"},
        "origin_country": "CN",
        "countries_available": ["CN", "DE"],
    }
    body.update(overrides)
    return body


def make_technology(owner=None, *, status: str = "published", **overrides):
    """A stored listing in the given status."""
    from platform_api.technologies.schemas import TechnologyCreateSchema

    session = current_session()
    owner = owner or MemberFactory()
    data = TechnologyCreateSchema().load(technology_body(**overrides))
    tech = services.create(session=session, owner=owner, data=data)
    if status != "draft":
        tech.status = status
        tech.submitted_at = utcnow()
        if status in ("published", "withdrawn", "transacted"):
            tech.published_at = utcnow()
        session.flush()
    return tech
