"""Human-readable referral references, REF-<year>-<number>, unique under concurrency."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import ReferralCounter


def next_reference(session: Session, year: int) -> str:
    """Take the next number of the year.

    One upsert that increments and returns the year's counter: on PostgreSQL the row stays
    locked until the transaction ends, so concurrent creations queue and never share a number;
    SQLite serialises writers anyway (BEGIN IMMEDIATE). The unique reference column backs it up.
    """
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(ReferralCounter).values(year=year, last_value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ReferralCounter.year], set_={"last_value": ReferralCounter.last_value + 1}
    ).returning(ReferralCounter.last_value)
    number = session.execute(stmt).scalar_one()
    return f"REF-{year}-{number:06d}"
