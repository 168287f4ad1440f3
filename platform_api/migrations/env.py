"""Alembic environment: the URL comes from the app's settings (DATABASE_URL)."""

from alembic import context

from platform_api.db import Base
from platform_api.models import import_all

import_all()
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        from platform_api.config import load_settings
        from platform_api.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url") or load_settings().database_url)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _include_name(name, type_, parent_names) -> bool:
    # The full-text index is dialect-specific DDL written by hand in its migration.
    return not (type_ == "table" and name and name.startswith("technology_search"))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run platform-admin db upgrade")
run_migrations_online()
