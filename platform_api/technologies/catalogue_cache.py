"""A per-process cache of search rankings over the published catalogue, keyed by its version.

Ranking every match of a query (ts_rank on PostgreSQL, bm25 on SQLite) is the costliest thing
search does: a common word matches thousands of listings. What published listings a query finds,
in what order, and how each is shown change only when the catalogue version changes, and the
database bumps that version itself (triggers, see the catalogue_state migration) whenever a
listing that is or was published changes, or the name or country of a member shown with one.

So each worker keeps, for the version it last saw, the top published matches of recent queries
and the views of listings it has shown. Every search reads the current version from the database
first, so nothing is served from a ranking older than the data: there is no expiry window to
tune, and a withdrawn listing disappears from the next search. The caller's own unpublished
listings are never cached; they are searched on every request and merged in.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

CAP = 200  # published matches kept per query: ten pages of the default size
MAX_RANKINGS = 256
MAX_VIEWS = 4096


class CatalogueCache:
    def __init__(self, *, max_rankings: int = MAX_RANKINGS, max_views: int = MAX_VIEWS):
        self._lock = threading.Lock()
        self._version: int | None = None
        self._rankings: OrderedDict = OrderedDict()
        self._views: OrderedDict = OrderedDict()
        self.max_rankings = max_rankings
        self.max_views = max_views

    def _current(self, version: int) -> bool:
        """Move on to `version` if it is newer; False if it is older than what is kept (a request
        that read the version just before a change must neither use nor overwrite newer entries)."""
        if self._version is None or version > self._version:
            self._version = version
            self._rankings.clear()
            self._views.clear()
        return version == self._version

    def ranking(self, version: int, key: tuple):
        """(rows, complete) stored for this query at this version, or None."""
        with self._lock:
            if not self._current(version):
                return None
            found = self._rankings.get(key)
            if found is not None:
                self._rankings.move_to_end(key)
            return found

    def put_ranking(self, version: int, key: tuple, rows: list, complete: bool) -> None:
        with self._lock:
            if self._current(version):
                self._rankings[key] = (rows, complete)
                while len(self._rankings) > self.max_rankings:
                    self._rankings.popitem(last=False)

    def views(self, version: int, ids) -> dict:
        with self._lock:
            if not self._current(version):
                return {}
            return {i: v for i in ids if (v := self._views.get(i)) is not None}

    def put_views(self, version: int, views: dict) -> None:
        with self._lock:
            if self._current(version):
                self._views.update(views)
                while len(self._views) > self.max_views:
                    self._views.popitem(last=False)


def init_app(app) -> None:
    app.extensions["platform_catalogue_cache"] = CatalogueCache()


def cache(app=None) -> CatalogueCache:
    from flask import current_app

    return (app or current_app).extensions["platform_catalogue_cache"]
