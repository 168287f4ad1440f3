"""The weighted terms of a profile's keywords and description, for text similarity.

Terms are the platform's search tokens (technologies.search.tokens): folded words of alphabetic
scripts and overlapping bigrams of CJK runs, so that 固态电池 shares 固态 and 电池 with
固态锂电池. Keyword terms weigh 1.0 and description terms 0.5: keywords are what the investor
chose to say; descriptions carry more filler.
"""

from __future__ import annotations

from ..technologies.search import tokens

KEYWORD_WEIGHT = 1.0
DESCRIPTION_WEIGHT = 0.5
MAX_TERMS = 400

# Words that say nothing about a technology, in the languages listings are mostly written in.
STOPWORDS = frozenset(
    """a an and are as at be by for from has have in into is it its of on or our that the their this to
    we with who which will can all any not no new more most such other than over per via also
    de des du la le les et en un une pour par sur dans au aux est
    der die das und in im mit fur von zu den dem ein eine ist auf
    el los las y para por con del una""".split()
)


def is_term(token: str) -> bool:
    """Whether a search token is worth comparing (not a stop word, a lone letter or a number)."""
    if token in STOPWORDS or token.isdigit():
        return False
    return len(token) > 1 or not token.isascii()


def _texts(value) -> list[str]:
    if isinstance(value, dict):
        return [str(v) for v in value.values()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def profile_terms(keywords: list[str] | None, description: dict | None) -> dict[str, float]:
    """{term: weight} for a profile; a term in both keywords and description keeps the higher weight."""
    out: dict[str, float] = {}
    for text in _texts(description):
        for tok in tokens(text):
            if is_term(tok) and len(out) < MAX_TERMS:
                out.setdefault(tok, DESCRIPTION_WEIGHT)
    for text in _texts(keywords):
        for tok in tokens(text):
            if is_term(tok):
                out[tok] = KEYWORD_WEIGHT
    return out
