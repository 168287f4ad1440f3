"""openapi.yaml's Markdown descriptions rendered to safe HTML for the docs pages.

markdown-it-py (CommonMark) with raw HTML disabled: a description can never inject markup, and
its default link validation refuses javascript: and similar URLs.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markupsafe import Markup


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False})


def render(text: str | None, *, heading_offset: int = 0) -> Markup:
    """HTML for `text`; `heading_offset` shifts heading levels to fit the page's outline."""
    if not text:
        return Markup("")
    md = _parser()
    tokens = md.parse(text)
    if heading_offset:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(6, int(token.tag[1]) + heading_offset)}"
    return Markup(md.renderer.render(tokens, md.options, {}))


def sections(text: str | None) -> list[tuple[str, str]]:
    """Split a description at its `##` headings: [(title, body)], the intro with title ''."""
    out: list[tuple[str, str]] = [("", "")]
    for line in (text or "").splitlines():
        match = re.match(r"^##\s+(.*)$", line.strip())
        if match:
            out.append((match.group(1), ""))
        else:
            title, body = out[-1]
            out[-1] = (title, body + line + "\n")
    return [(t, b) for t, b in out if t or b.strip()]


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
