"""Technology listings: the lifecycle, who may see what, search and filters, review."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import and_, delete, desc, or_, select, text
from sqlalchemy.orm import Session

from .. import events
from ..db import is_id, utcnow
from ..exceptions import Forbidden, InvalidState, NotFound
from ..members.models import Member
from . import catalogue_cache, search
from .representations import technology_own, technology_public
from .models import ACTIONS_BY_STATUS, Technology, TechnologyOffice, deal_mask

# action -> (states it may start from, state it leads to); review actions are the admins'.
TRANSITIONS = {
    "submit": (("draft",), "submitted"),
    "withdraw": (("published",), "withdrawn"),
    "approve": (("submitted",), "published"),
    "reject": (("submitted",), "rejected"),
    "transact": (("published",), "transacted"),
}
EDITABLE = ("draft", "rejected")
# action -> the event it emits
EVENTS = {"submit": "technology.submitted", "withdraw": "technology.withdrawn", "approve": "technology.published",
          "reject": "technology.rejected", "transact": "technology.transacted"}


def get(*, session: Session, technology_id: str) -> Technology | None:
    """The listing with this ID, in any status, or None."""
    if not is_id(technology_id):
        return None
    return session.get(Technology, technology_id)


def visible_to(tech: Technology, member_id: str | None) -> bool:
    return tech.status == "published" or (member_id is not None and tech.owner_id == member_id)


def get_visible(*, session: Session, technology_id: str, member_id: str) -> Technology:
    """A listing the member may see (published, or its own); 404 as for a missing ID otherwise."""
    tech = get(session=session, technology_id=technology_id)
    if tech is None or not visible_to(tech, member_id):
        raise NotFound("technology")
    return tech


def get_own(*, session: Session, technology_id: str, member_id: str) -> Technology:
    """A listing the member may change: its own; others' visible ones are 403, the rest 404."""
    tech = get_visible(session=session, technology_id=technology_id, member_id=member_id)
    if tech.owner_id != member_id:
        raise Forbidden("Only the owner of a listing may change it.")
    return tech


def column_values(data: dict) -> dict:
    """The column values a validated body (create or patch) sets; one place for the stored shapes."""
    out = {k: data[k] for k in ("title", "summary", "keywords", "field", "ipc", "trl", "origin_country",
                                "countries_available") if k in data}
    if "deal_types" in data:
        out["deal_types"] = data["deal_types"]
        out["deal_mask"] = deal_mask(data["deal_types"])
    if "asking_price" in data:
        price = data["asking_price"]
        out["price_amount"] = price["amount"] if price else None
        out["price_currency"] = price["currency"] if price else None
    if "ip_rights" in data:
        out["ip_rights"] = [
            {
                **right,
                "filed_on": right["filed_on"].isoformat() if right.get("filed_on") else None,
                "expires_on": right["expires_on"].isoformat() if right.get("expires_on") else None,
            }
            for right in data["ip_rights"]
        ]
    return out


def _apply(tech: Technology, data: dict) -> None:
    for key, value in column_values(data).items():
        setattr(tech, key, value)


def _sync_offices(session: Session, tech: Technology) -> None:
    session.execute(delete(TechnologyOffice).where(TechnologyOffice.technology_id == tech.id))
    for office in sorted({r["office"] for r in tech.ip_rights or []}):
        session.add(TechnologyOffice(technology_id=tech.id, office=office))


def create(*, session: Session, owner: Member, data: dict, client_id: str | None = None) -> Technology:
    """A new draft owned by `owner`."""
    tech = Technology(owner_id=owner.id, owner=owner, status="draft", created_by_client_id=client_id,
                      keywords=[], ipc=[], ip_rights=[], countries_available=[])
    _apply(tech, data)
    session.add(tech)
    session.flush()
    _sync_offices(session, tech)
    search.index(session, tech)
    session.flush()
    _tell(session, tech, "technology.created")
    return tech


def _tell(session: Session, tech: Technology, event_type: str) -> None:
    """The event of a listing's change: its owner sees its own view; every member sees a
    listing that is published, and learns that one it could see is gone (its ID and status)."""
    home = events.home_country()
    public = None
    if event_type == "technology.published":
        public = {"object": technology_public(tech, home)}
    elif event_type in ("technology.withdrawn", "technology.transacted"):
        public = {"object": {"id": tech.id, "status": tech.status}}
    events.emit(session, event_type, subject=("technology", tech.id),
                recipients={tech.owner_id: {"object": technology_own(tech, home)}}, public=public)


def tell_imported(session: Session, techs) -> None:
    """The events of listings an import wrote directly: created (a draft, to its owner) or published."""
    for tech in techs:
        _tell(session, tech, "technology.published" if tech.status == "published" else "technology.created")


def conflict(tech: Technology, action: str) -> InvalidState:
    allowed = ACTIONS_BY_STATUS[tech.status]
    return InvalidState(
        f"Cannot {action} a listing in status '{tech.status}'"
        + (f"; allowed now: {', '.join(allowed)}." if allowed else "; no action is allowed in this status."),
        allowed_actions=allowed,
    )


def update(*, session: Session, tech: Technology, data: dict) -> Technology:
    """Apply a validated patch; editing a rejected listing returns it to draft."""
    if tech.status not in EDITABLE:
        raise conflict(tech, "update")
    _apply(tech, data)
    if tech.status == "rejected":
        tech.status = "draft"
    session.flush()
    if "ip_rights" in data:
        _sync_offices(session, tech)
    search.index(session, tech)
    session.flush()
    _tell(session, tech, "technology.updated")
    return tech


def remove(*, session: Session, tech: Technology) -> None:
    """Delete a draft for good."""
    if tech.status != "draft":
        raise conflict(tech, "delete")
    search.remove(session, tech.id)
    session.delete(tech)
    session.flush()
    events.emit(session, "technology.deleted", subject=("technology", tech.id),
                recipients={tech.owner_id: {"object": {"id": tech.id, "status": "deleted"}}})


def transition(*, session: Session, tech: Technology, action: str, note: str | None = None) -> Technology:
    """Move a listing through its lifecycle; 409 naming the allowed actions when the state forbids it."""
    sources, target = TRANSITIONS[action]
    if tech.status not in sources:
        raise conflict(tech, action)
    tech.status = target
    now = utcnow()
    if action == "submit":
        tech.submitted_at = now
    elif action == "approve":
        tech.published_at = now
        tech.review_note = note
    elif action == "reject":
        tech.review_note = note
    session.flush()
    _tell(session, tech, EVENTS[action])
    return tech


def review_queue(*, session: Session) -> list[Technology]:
    """Submitted listings, oldest submission first."""
    stmt = select(Technology).where(Technology.status == "submitted").order_by(Technology.submitted_at, Technology.id)
    return list(session.scalars(stmt))


def _filters(params: dict) -> list:
    conds = []
    if params.get("field"):
        conds.append(Technology.field == params["field"])
    if params.get("trl_min"):
        conds.append(Technology.trl >= params["trl_min"])
    if params.get("trl_max"):
        conds.append(Technology.trl <= params["trl_max"])
    if params.get("deal_type"):
        conds.append(Technology.deal_mask.op("&")(deal_mask([params["deal_type"]])) != 0)
    if params.get("office"):
        conds.append(
            Technology.id.in_(select(TechnologyOffice.technology_id).where(TechnologyOffice.office == params["office"]))
        )
    if params.get("country"):
        conds.append(Technology.origin_country == params["country"])
    if params.get("owner"):
        conds.append(Technology.owner_id == params["owner"])
    if params.get("price_max"):
        conds.append(Technology.price_currency == params["currency"])
        conds.append(Technology.price_amount <= Decimal(params["price_max"]))
    return conds


def _visibility(member_id: str, params: dict) -> list:
    """The visible sets, as separate conditions so that each can use its own index."""
    own = Technology.owner_id == member_id
    if params.get("status"):
        return [and_(own, Technology.status == params["status"])]
    if params.get("mine"):
        return [own]
    return [Technology.status == "published", and_(own, Technology.status != "published")]


def newest_branches(*, member_id: str, params: dict) -> list:
    """Selects of (created_at, id), one per visible set, for a newest-first page."""
    conds = _filters(params)
    return [
        select(Technology.created_at, Technology.id).where(visible, *conds) for visible in _visibility(member_id, params)
    ]


def ranked_ids(session: Session, *, member_id: str, params: dict):
    """(id, score) of visible listings matching `q`, best first; None when q has no searchable term."""
    visible = _visibility(member_id, params)
    return _ranked(session, params, or_(*visible) if len(visible) > 1 else visible[0])


def _ranked(session: Session, params: dict, visible, *extra):
    match = search.matches(session, params["q"])
    if match is None:
        return None
    return (
        select(Technology.id, match.c.score, *extra)
        .join(match, match.c.technology_id == Technology.id)
        .where(visible, *_filters(params))
        .order_by(desc(match.c.score), Technology.created_at.desc(), Technology.id.desc())
    )


# --- relevance search through the catalogue cache ---------------------------------------------

_CATALOGUE_VERSION = text(
    "SELECT version, EXISTS (SELECT 1 FROM technologies WHERE owner_id = :member_id AND status <> 'published') "
    "FROM catalogue_state WHERE id = 1"
)


def catalogue_version(session: Session, *, member_id: str) -> tuple[int, bool]:
    """The catalogue version, and whether the member has listings that are not published
    (most members, most of the time, have none: then their own part of a search is empty)."""
    version, has_unpublished = session.connection().execute(_CATALOGUE_VERSION, {"member_id": member_id}).one()
    return version, bool(has_unpublished)


def search_key(params: dict) -> tuple:
    """What decides the published part of a search: its terms and public filters (not paging)."""
    public = sorted((k, str(v)) for k, v in params.items() if k not in ("q", "cursor", "limit", "sort", "mine", "status"))
    return (tuple(search.query_terms(params["q"])), tuple(public))


def relevance_rows(session: Session, cache, *, member_id: str, params: dict, need: int) -> tuple[int, list[tuple]]:
    """(catalogue version, the first `need` rows of a relevance search), rows being
    (score, created_at, id, owner_id) best first: published matches through `cache`
    (a CatalogueCache), merged with the member's own unpublished matches, searched live."""
    version, has_unpublished = catalogue_version(session, member_id=member_id)
    key = search_key(params)
    found = cache.ranking(version, key)
    if found is None:
        rows = _ranked_rows(session, params, Technology.status == "published", catalogue_cache.CAP + 1)
        found = (rows[: catalogue_cache.CAP], len(rows) <= catalogue_cache.CAP)
        cache.put_ranking(version, key, *found)
    public, complete = found
    if not complete and need > len(public):  # deeper than the cache keeps: ask the database
        public = _ranked_rows(session, params, Technology.status == "published", need)
    if not has_unpublished:
        return version, public[:need]
    own = _ranked_rows(session, params, and_(Technology.owner_id == member_id, Technology.status != "published"), need)
    return version, sorted(public[:need] + own, reverse=True)[:need]


def _ranked_rows(session: Session, params: dict, visible, limit: int) -> list[tuple]:
    stmt = _ranked(session, params, visible, Technology.created_at, Technology.owner_id)
    return [(score, created, ident, owner) for ident, score, created, owner in session.execute(stmt.limit(limit))]


def load_in_order(session: Session, ids: list[str], *, visible_to_member: str | None = None) -> list[Technology]:
    """The listings with these IDs (and their owners), in the order given.

    With `visible_to_member`, only those that member may see now: reads without a transaction
    see each statement's own snapshot, and a listing withdrawn since its ID was found must not
    be shown to others.
    """
    if not ids:
        return []
    stmt = select(Technology).where(Technology.id.in_(ids))
    if visible_to_member is not None:
        stmt = stmt.where(or_(Technology.status == "published", Technology.owner_id == visible_to_member))
    rows = {t.id: t for t in session.scalars(stmt)}
    return [rows[i] for i in ids if i in rows]
