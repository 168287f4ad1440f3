"""IP right numbers: pure functions, no Flask (issue 18, first part; groundwork only).

So far this module holds the CNIPA application-number check digit. It is not yet
wired into the schema, the migration or the CLI.

CN application numbers:
- since 2003, 12 digits: year (4), type (1: invention, 2: utility model, 3: design,
  8/9: PCT national phase), serial (7); then a dot and a check digit;
- before 2003, 8 digits: year (2), type (1), serial (5); then a dot and a check digit.
The check digit is the sum of the digits weighted 2,3,4,5,6,7,8,9,2,3,4,5 (the 8-digit
form uses the first eight weights), modulo 11, with 10 written as X.
"""

from __future__ import annotations

_CN_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def cn_check_digit(digits: str) -> str:
    """The check digit of a CN application number given as its 8 or 12 digits."""
    if len(digits) not in (8, 12) or not digits.isascii() or not digits.isdigit():
        raise ValueError("a CN application number has 8 or 12 digits before its check digit")
    total = sum(int(d) * w for d, w in zip(digits, _CN_WEIGHTS))
    rest = total % 11
    return "X" if rest == 10 else str(rest)
