"""Regular expressions for ``regex()``, with a bounded cost whatever the form says.

A form is untrusted input: ``regex(., '(a+)+$')`` on a 35-character answer takes minutes
in a backtracking engine (Python's ``re``, Java's ``java.util.regex``), doubling with each
character. So:

- Patterns run on RE2 (``google-re2``), whose matching time is linear in the answer's
  length for every pattern: the evil pattern above answers at once, correctly.
- RE2 has no lookaround and no backreferences (they cannot be matched in linear time).
  Patterns that need them run on the ``regex`` module (the syntax of Python's ``re``)
  under a time limit of ``TIMEOUT_SECONDS`` per evaluation; when the limit is hit the
  evaluation raises ``ExpressionError`` with code ``expression_regex_limit``, so only
  that expression fails and the session goes on.
- ``fullmatch`` keeps ODK Collect's whole-string semantics (JavaRosa's
  ``Pattern.matches``). As in Java, ``\\d``, ``\\w`` and ``\\s`` are ASCII classes on RE2.

``backtracking_risks(pattern)`` says why a pattern would be slow in a backtracking engine
(nested unbounded quantifiers; lookaround or backreferences): ``form check`` warns about
such patterns, since the same form would hang ODK Collect on the interviewers' phones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import re2

#: Time limit of one backtracking evaluation. Legitimate patterns take microseconds; a
#: quarter of a second is thousands of times that, and still no wait a person notices.
TIMEOUT_SECONDS = 0.25
#: Longest pattern accepted (a form's pattern is a line of a spreadsheet cell).
MAX_PATTERN_CHARS = 4096

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 prints refused patterns to stderr otherwise
_OPTIONS.max_mem = 8 << 20  # RE2's own bound on a compiled pattern's memory (8 MiB)


class PatternInvalid(ValueError):
    """The pattern is not a regular expression either engine accepts."""


class PatternTooCostly(Exception):
    """A backtracking evaluation hit ``TIMEOUT_SECONDS``."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """A compiled pattern; ``linear`` tells which engine runs it."""

    source: str
    linear: bool
    _compiled: object

    def fullmatch(self, text: str) -> bool:
        """Does the pattern match the whole of ``text``? Raises ``PatternTooCostly``."""
        if self.linear:
            return self._compiled.fullmatch(text) is not None  # type: ignore[attr-defined]
        try:
            return (
                self._compiled.fullmatch(text, timeout=TIMEOUT_SECONDS)  # type: ignore[attr-defined]
                is not None
            )
        except TimeoutError as exc:
            raise PatternTooCostly(self.source) from exc


@lru_cache(maxsize=256)
def compile_pattern(source: str) -> Pattern:
    """The pattern compiled on RE2, or on ``regex`` when it needs what RE2 lacks.

    Raises ``PatternInvalid`` with a message naming the problem."""
    if len(source) > MAX_PATTERN_CHARS:
        raise PatternInvalid(
            f"the pattern is {len(source)} characters long (at most {MAX_PATTERN_CHARS})")
    try:
        return Pattern(source, True, re2.compile(source, _OPTIONS))
    except re2.error:
        pass  # lookaround, backreferences, huge counted repeats... or not a pattern at all
    import regex  # only for the rare pattern RE2 refuses; costs 30 ms to import

    try:
        return Pattern(source, False, regex.compile(source, regex.VERSION0))
    except (regex.error, RecursionError, OverflowError, ValueError) as exc:
        raise PatternInvalid(str(getattr(exc, "msg", None) or exc)) from exc


def backtracking_risks(source: str) -> list[str]:
    """Why ``source`` is slow in a backtracking engine, as short phrases ([] if it is not)."""
    risks: list[str] = []
    if _nested_unbounded_quantifier(source):
        risks.append("a repeated group that itself holds an unbounded repeat, "
                     "such as (a+)+, can take exponential time in ODK Collect")
    try:
        linear = compile_pattern(source).linear
    except PatternInvalid:
        return risks
    if not linear:
        risks.append("lookaround or backreferences need a backtracking engine, "
                     f"limited here to {TIMEOUT_SECONDS:g} s per evaluation")
    return risks


def _nested_unbounded_quantifier(source: str) -> bool:
    """Is a group with an unbounded repeat inside (``+``, ``*``, ``{n,}``) itself repeated?

    A small scan, not a parser: escapes and character classes are skipped, groups are
    tracked on a stack. It errs on the side of silence for constructs it does not know.
    """
    stack: list[bool] = []  # per open group: does it hold an unbounded repeat?
    inner = False  # the same, for the group just closed (what a quantifier would repeat)
    closed_group = False
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch == "\\":
            i += 2
            closed_group = False
            continue
        if ch == "[":
            i = _skip_class(source, i)
            closed_group = False
            continue
        if ch == "(":
            stack.append(False)
            closed_group = False
        elif ch == ")":
            inner = stack.pop() if stack else False
            closed_group = True
            i += 1
            continue
        else:
            unbounded, width = _quantifier(source, i)
            if width:
                repeats = unbounded or _counted_max(source, i) > 1
                if closed_group and inner and repeats:
                    return True
                if (unbounded or (closed_group and inner)) and stack:
                    stack[-1] = True
                i += width
                closed_group = False
                continue
        closed_group = False
        i += 1
    return False


def _skip_class(source: str, start: int) -> int:
    """The index after the character class opening at ``start``."""
    i = start + 1
    if i < len(source) and source[i] == "^":
        i += 1
    if i < len(source) and source[i] == "]":
        i += 1  # a ']' first in the class is a literal
    while i < len(source) and source[i] != "]":
        i += 2 if source[i] == "\\" else 1
    return i + 1


def _quantifier(source: str, i: int) -> tuple[bool, int]:
    """(is it unbounded, its width) for a quantifier at ``i``; width 0 if there is none."""
    ch = source[i]
    if ch in "*+":
        return True, 1
    if ch == "?":
        return False, 1
    if ch == "{":
        end = source.find("}", i)
        body = source[i + 1 : end] if end > 0 else ""
        if body and all(c.isdigit() or c == "," for c in body) and body[0] != ",":
            return body.endswith(","), end - i + 1
    return False, 0


def _counted_max(source: str, i: int) -> int:
    """The upper bound of a ``{m,n}`` quantifier at ``i`` (1 for ``?`` and others)."""
    if source[i] != "{":
        return 1
    body = source[i + 1 : source.find("}", i)]
    top = body.rpartition(",")[2] if "," in body else body
    return int(top) if top.isdigit() else 1
