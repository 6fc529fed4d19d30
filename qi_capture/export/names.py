"""Column names and labels that each file format can hold, made by rule.

- csv, xlsx and parquet: a select_multiple choice column is ``field/choice`` (the ODK and
  Kobo convention: ``/`` cannot occur in an XLSForm name, so it never meets a field).
- SPSS and Stata: names made deterministically from the form's names (ASCII letters,
  digits and ``_``, a letter first, within the length limit, not a reserved word),
  unique within the file whatever the form's names; the codebook maps them back.
- Labels longer than a format allows are shortened by one rule (`shorten`), and the
  codebook lists them whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

STATA_RESERVED = frozenset(
    {
        "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int",
        "long", "_n", "_N", "_pi", "_pred", "_rc", "_skip", "str", "strL", "using", "with",
    }
)
#: SPSS reserved keywords (they cannot name a variable); compared upper-case.
SPSS_RESERVED = frozenset(
    {"ALL", "AND", "BY", "EQ", "GE", "GT", "LE", "LT", "NE", "NOT", "OR", "TO", "WITH"}
)
#: Stata allows 32 characters, but pyreadstat names a variable's value-label set after the
#: variable with the set's number appended (``name`` + ``123``), and a set name may not pass
#: 32 either. A .dta holds at most 32,767 variables (5 digits): 27 characters for every
#: variable, one rule whatever the file.
STATA_NAME_MAX = 27
SPSS_NAME_MAX = 64
#: Stata: variable labels of at most 80 characters.
STATA_LABEL_CHARS = 80
#: SPSS: variable labels of at most 256 bytes, value labels of at most 120 bytes (UTF-8).
SPSS_LABEL_BYTES = 256
SPSS_VALUE_LABEL_BYTES = 120
#: Stata value labels: at most 32,000 characters.
STATA_VALUE_LABEL_CHARS = 32_000
ELLIPSIS = "…"


def unique(preferred: Iterable[str]) -> list[str]:
    """Each name kept if free, else suffixed `` (2)``, `` (3)``... in order: the first
    column to ask for a name gets it (callers list the columns that matter most first)."""
    taken: set[str] = set()
    out: list[str] = []
    for name in preferred:
        candidate, n = name, 1
        while candidate in taken:
            n += 1
            candidate = f"{name} ({n})"
        taken.add(candidate)
        out.append(candidate)
    return out


def _ascii(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if ch.isascii())


def stat_name(name: str, taken: set[str], *, stata: bool) -> str:
    """A valid variable name for Stata (``stata``) or SPSS, not yet in ``taken`` (compared
    case-insensitively, which suits both), added to it.

    Rule: accents dropped, every other character that is not an ASCII letter, digit or
    ``_`` becomes ``_``; a name that does not start with a letter gets a ``v`` in front;
    a reserved word gets ``v_`` in front; cut to the length limit; a taken name gets
    ``_2``, ``_3``... (cut further to stay within the limit)."""
    limit = STATA_NAME_MAX if stata else SPSS_NAME_MAX
    base = re.sub(r"[^A-Za-z0-9_]", "_", _ascii(name)) or "v"
    if not ("a" <= base[0].lower() <= "z"):
        base = "v" + base
    if (stata and base in STATA_RESERVED) or (not stata and base.upper() in SPSS_RESERVED):
        base = "v_" + base
    base = base[:limit]
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"_{n}"
        candidate = base[: limit - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def _fits(text: str, limit: int, by_bytes: bool) -> bool:
    return len(text.encode("utf-8")) <= limit if by_bytes else len(text) <= limit


def _cut(text: str, limit: int, by_bytes: bool) -> str:
    """The longest prefix of ``text`` that, with the ellipsis, fits ``limit``."""
    if not by_bytes:
        return text[: max(0, limit - len(ELLIPSIS))] + ELLIPSIS
    room = limit - len(ELLIPSIS.encode("utf-8"))
    cut = text.encode("utf-8")[: max(0, room)].decode("utf-8", errors="ignore")
    return cut + ELLIPSIS


def shorten(label: str, limit: int, *, by_bytes: bool = False, keep: str = "") -> str:
    """``label`` if it fits ``limit`` (characters, or UTF-8 bytes when ``by_bytes``).

    Else the rule: the end ``keep`` (a choice column's ``: choice``) is kept whole when it
    leaves room for a few characters of the rest; the rest is cut at a character boundary
    and ends with ``…``."""
    if _fits(label, limit, by_bytes):
        return label
    if keep and label.endswith(keep):
        head = label[: len(label) - len(keep)]
        size = len(keep.encode("utf-8")) if by_bytes else len(keep)
        if size + 10 <= limit:
            return _cut(head, limit - size, by_bytes) + keep
    return _cut(label, limit, by_bytes)
