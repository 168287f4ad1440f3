"""Many rows into one table at once, for imports.

On PostgreSQL through COPY: one statement for the whole batch, so that the server neither parses
a statement per row nor runs a statement trigger per row (the catalogue version's, say), and the
client does not render thousands of placeholders (psycopg parses a long statement anew on every
execution). Values go through each column type's own bind processing first, as SQLAlchemy would
bind them. Elsewhere (SQLite) an ordinary executemany INSERT.
"""

from __future__ import annotations

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def bulk_insert(session: Session, table: Table, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys, column names of `table`) in the session's transaction."""
    if not rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    names = list(rows[0])
    processors = [table.c[name].type.dialect_impl(conn.dialect).bind_processor(conn.dialect) for name in names]
    columns = ", ".join(conn.dialect.identifier_preparer.quote(name) for name in names)
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {conn.dialect.identifier_preparer.format_table(table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] if process is None else process(row[name])
                                for name, process in zip(names, processors)])
