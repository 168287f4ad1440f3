"""Full-text search over listings in every language, on SQLite FTS5 and PostgreSQL tsvector.

Text is tokenised here, the same way for both databases: words of alphabetic scripts are
lower-cased and stripped of accents; runs of CJK characters become overlapping bigrams, so that
a two-character term such as 光刻 matches inside 半导体光刻技术 (neither database's own
tokenizer does that). The databases then do what they are good at: an inverted index and ranking
(FTS5 bm25 with column weights; PostgreSQL ts_rank with lexeme weights A/B/C).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from sqlalchemy import Float, String, bindparam, text
from sqlalchemy.orm import Session

# Han, kana, hangul: scripts written without spaces.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+", re.UNICODE)
_IS_CJK = re.compile(rf"^[{_CJK}]")
MAX_QUERY_TOKENS = 16


@functools.lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    if word.isascii():  # nothing to decompose (most words of most catalogues)
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(value: str) -> list[str]:
    """The search tokens of a text."""
    out: list[str] = []
    for run in _TOKEN.findall(unicodedata.normalize("NFKC", value or "")):
        if _IS_CJK.match(run):
            out.extend(run if len(run) == 1 else (run[i : i + 2] for i in range(len(run) - 1)))
        else:
            out.append(_fold(run))
    return out


def _texts(value) -> str:
    if isinstance(value, dict):
        return " ".join(str(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value or "")


def document_parts(tech) -> dict[str, list[str]]:
    """Tokens per weighted part: title, keywords (with IPC classes), body (summary)."""
    ipc = [code.split(" ")[0] for code in (tech.ipc or [])]
    return {
        "title": tokens(_texts(tech.title)),
        "keywords": tokens(_texts(tech.keywords)) + [c.lower() for c in ipc],
        "body": tokens(_texts(tech.summary)),
    }


@functools.lru_cache(maxsize=65536)
def _quote(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


_LAST_POSITION = 16383  # PostgreSQL's largest position
_MAX_POSITIONS = 256  # positions kept per lexeme (PostgreSQL's limit is 256 too)
_POSITION = {w: [f"{i}{w}" for i in range(_LAST_POSITION + 1)] for w in "ABC"}  # "17A", prebuilt


def _tsvector_literal(parts: dict[str, list[str]]) -> str:
    positions: dict[str, list[str]] = {}
    pos = 0
    for part, weight in (("title", "A"), ("keywords", "B"), ("body", "C")):
        labels = _POSITION[weight]
        for tok in parts[part]:
            if pos < _LAST_POSITION:
                pos += 1
            found = positions.get(tok)
            if found is None:
                positions[tok] = [labels[pos]]
            elif len(found) < _MAX_POSITIONS:
                found.append(labels[pos])
    return " ".join(f"{_quote(tok)}:{','.join(p)}" for tok, p in positions.items())


def index(session: Session, tech) -> None:
    """Write (or rewrite) one listing's entry in the full-text index."""
    parts = document_parts(tech)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("DELETE FROM technology_search WHERE technology_id = :id"), {"id": tech.id})
        session.execute(
            text("INSERT INTO technology_search (technology_id, title, keywords, body) VALUES (:id, :t, :k, :b)"),
            {"id": tech.id, "t": " ".join(parts["title"]), "k": " ".join(parts["keywords"]), "b": " ".join(parts["body"])},
        )
    else:
        session.execute(
            text(
                "INSERT INTO technology_search (technology_id, document) VALUES (:id, CAST(:doc AS tsvector)) "
                "ON CONFLICT (technology_id) DO UPDATE SET document = EXCLUDED.document"
            ),
            {"id": tech.id, "doc": _tsvector_literal(parts)},
        )


def index_many(session: Session, techs) -> None:
    """Index a batch of listings (bulk import)."""
    rows = [(t.id, document_parts(t)) for t in techs]
    if not rows:
        return
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            text("INSERT INTO technology_search (technology_id, title, keywords, body) VALUES (:id, :t, :k, :b)"),
            [{"id": i, "t": " ".join(p["title"]), "k": " ".join(p["keywords"]), "b": " ".join(p["body"])} for i, p in rows],
        )
    else:
        session.execute(
            text("INSERT INTO technology_search (technology_id, document) VALUES (:id, CAST(:doc AS tsvector))"),
            [{"id": i, "doc": _tsvector_literal(p)} for i, p in rows],
        )


def remove(session: Session, technology_id: str) -> None:
    session.execute(text("DELETE FROM technology_search WHERE technology_id = :id"), {"id": technology_id})


def query_terms(q: str) -> list[tuple[str, bool]]:
    """(token, is_prefix) for a user's query; longer alphabetic words also match as prefixes."""
    out: list[tuple[str, bool]] = []
    seen = set()
    for tok in tokens(q):
        if tok in seen:
            continue
        seen.add(tok)
        out.append((tok, not _IS_CJK.match(tok) and len(tok) >= 4))
    return out[:MAX_QUERY_TOKENS]


def matches(session: Session, q: str):
    """A subquery (technology_id, score) of listings matching every term of `q`, or None."""
    terms = query_terms(q)
    if not terms:
        return None
    if session.get_bind().dialect.name == "sqlite":
        expr = " AND ".join('"' + tok.replace('"', '""') + '"' + ("*" if prefix else "") for tok, prefix in terms)
        stmt = text(
            "SELECT technology_id, -bm25(technology_search, 0.0, 10.0, 4.0, 1.0) AS score "
            "FROM technology_search WHERE technology_search MATCH :q"
        ).bindparams(bindparam("q", expr))
    else:
        expr = " & ".join(_quote(tok) + (":*" if prefix else "") for tok, prefix in terms)
        stmt = text(
            "SELECT technology_id, ts_rank(document, CAST(:q AS tsquery)) AS score "
            "FROM technology_search WHERE document @@ CAST(:q AS tsquery)"
        ).bindparams(bindparam("q", expr))
    return stmt.columns(technology_id=String(36), score=Float()).subquery("search_match")
