"""The integrator guides (docs/*.md in the repository) rendered as pages under /docs/<name>.

The same Markdown files read well on a code host and here: links between guides (`conventions.md#errors`)
become links to their pages (`/docs/conventions#errors`), `openapi.yaml` becomes `/openapi.yaml`,
and any other relative link (a file of the repository, which the service does not serve) is left as
its text. Raw HTML is off (markdown-it-py escapes it) and its link check refuses javascript: URLs.
Headings get IDs from their text, so that every section can be linked to.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markupsafe import Markup

from .markdown import slugify

# name -> (file, title in the page's menu); the order of the menu.
GUIDES = {
    "domain": ("domain.md", "Domain words and code lists"),
    "conventions": ("conventions.md", "API conventions"),
    "dpop": ("dpop.md", "DPoP: tokens bound to a key"),
    "performance": ("performance.md", "Performance and robustness"),
    "architecture": ("architecture.md", "Architecture (for the code's maintainers)"),
}
_BY_FILE = {file: name for name, (file, _title) in GUIDES.items()}


@dataclass(frozen=True)
class Guide:
    name: str
    title: str
    html: Markup
    sections: list[tuple[str, str]]  # (anchor, title) of its ## headings


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def _href(target: str) -> str | None:
    """Where a link of a guide leads on this site; None for a file the service does not serve."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith(("/", "#")):
        return target
    file = parts.path.rsplit("/", 1)[-1]
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    if file in _BY_FILE:
        return f"/docs/{_BY_FILE[file]}{fragment}"
    if file == "openapi.yaml":
        return "/openapi.yaml"
    return None


def _unlink(children: list) -> list:
    """The inline tokens with links rewritten, and links to unserved files reduced to their text."""
    out, dropped = [], []
    for token in children:
        if token.type == "link_open":
            href = _href(token.attrGet("href") or "")
            dropped.append(href is None)
            if href is None:
                continue
            token.attrSet("href", href)
        elif token.type == "link_close":
            if dropped.pop():
                continue
        out.append(token)
    return out


def render(text: str) -> tuple[Markup, list[tuple[str, str]]]:
    """HTML for a guide, and the anchors of its second-level headings."""
    md = _parser()
    tokens = md.parse(text)
    used: dict[str, int] = {}
    sections = []
    for i, token in enumerate(tokens):
        if token.type == "inline" and token.children is not None:
            token.children = _unlink(token.children)
        if token.type == "heading_open":
            title = tokens[i + 1].content
            anchor = slugify(title) or "section"
            used[anchor] = used.get(anchor, 0) + 1
            if used[anchor] > 1:
                anchor = f"{anchor}-{used[anchor]}"
            token.attrSet("id", anchor)
            if token.tag == "h2":
                sections.append((anchor, title))
    return Markup(md.renderer.render(tokens, md.options, {})), sections


def load(folder: str | Path, name: str) -> Guide | None:
    """The guide called `name` from `folder`, rendered; None if there is none by that name."""
    if name not in GUIDES:
        return None
    file, title = GUIDES[name]
    html, sections = render((Path(folder) / file).read_text(encoding="utf-8"))
    return Guide(name=name, title=title, html=html, sections=sections)
