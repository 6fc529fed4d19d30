"""Which functions exist and how many arguments each takes.

This table is what the parser checks calls against (a wrong argument count is a syntax
error with the call's position) and what decides ``Expression.unknown_functions``. The set
is FORMS.md section 6 (ODK XForms functions, as JavaRosa runs them) plus JavaRosa's aliases
``is-selected`` and ``enclosed-area``, and XPath 1.0's ``floor`` and ``ceiling`` (Enketo and
CHT forms use them; their meaning is not in doubt). Other XPath 1.0 functions (``substring``,
``last``, ``name``...) are deliberately *unknown*: the loader reports them like any
platform-specific function (SurveyCTO ``duration()``, CHT ``difference-in-months()``...).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signature:
    min_args: int
    #: None: no upper bound.
    max_args: int | None
    #: Extra constraint on the count: "even" (weighted-checklist) or "odd" (indexed-repeat).
    parity: str | None = None
    #: The result changes between evaluations with the same inputs (now(), random()...).
    volatile: bool = False

    def accepts(self, count: int) -> bool:
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            return False
        if self.parity == "even":
            return count % 2 == 0
        if self.parity == "odd":
            return count % 2 == 1
        return True

    def describe(self) -> str:
        if self.max_args == self.min_args:
            n = self.min_args
            return f"{n} argument{'s' if n != 1 else ''}"
        if self.max_args is None:
            what = f"at least {self.min_args} arguments"
        else:
            what = f"{self.min_args} to {self.max_args} arguments"
        if self.parity:
            what += f" (an {self.parity} number)"
        return what


def _s(lo: int, hi: int | None, parity: str | None = None, volatile: bool = False) -> Signature:
    return Signature(lo, hi, parity, volatile)


SIGNATURES: dict[str, Signature] = {
    # logic / control
    "if": _s(3, 3),
    "not": _s(1, 1),
    "true": _s(0, 0),
    "false": _s(0, 0),
    "boolean": _s(1, 1),
    "boolean-from-string": _s(1, 1),
    "coalesce": _s(2, 2),
    "once": _s(1, 1),
    "checklist": _s(2, None),
    "weighted-checklist": _s(2, None, "even"),
    # selects
    "selected": _s(2, 2),
    "is-selected": _s(2, 2),
    "count-selected": _s(1, 1),
    "selected-at": _s(2, 2),
    "jr:choice-name": _s(2, 2),
    # strings
    "concat": _s(0, None),
    "join": _s(1, None),
    "string": _s(0, 1),
    "string-length": _s(0, 1),
    "substr": _s(2, 3),
    "substring-before": _s(2, 2),
    "substring-after": _s(2, 2),
    "translate": _s(3, 3),
    "normalize-space": _s(0, 1),
    "contains": _s(2, 2),
    "starts-with": _s(2, 2),
    "ends-with": _s(2, 2),
    "regex": _s(2, 2),
    "uuid": _s(0, 1, volatile=True),
    "digest": _s(2, 3),
    "base64-decode": _s(1, 1),
    "pulldata": _s(4, 4),
    "extract-signed": _s(2, 2),
    # numbers
    "number": _s(0, 1),
    "int": _s(1, 1),
    "round": _s(1, 2),
    "abs": _s(1, 1),
    "floor": _s(1, 1),
    "ceiling": _s(1, 1),
    "pow": _s(2, 2),
    "sqrt": _s(1, 1),
    "exp": _s(1, 1),
    "exp10": _s(1, 1),
    "log": _s(1, 1),
    "log10": _s(1, 1),
    "sin": _s(1, 1),
    "cos": _s(1, 1),
    "tan": _s(1, 1),
    "asin": _s(1, 1),
    "acos": _s(1, 1),
    "atan": _s(1, 1),
    "atan2": _s(2, 2),
    "pi": _s(0, 0),
    "random": _s(0, 0, volatile=True),
    "sum": _s(1, 1),
    "min": _s(1, None),
    "max": _s(1, None),
    # node-sets / repeats
    "count": _s(1, 1),
    "count-non-empty": _s(1, 1),
    "position": _s(0, 1),
    "indexed-repeat": _s(3, 11, "odd"),
    "instance": _s(1, 1),
    "current": _s(0, 0),
    "randomize": _s(1, 2),
    # dates
    "today": _s(0, 0, volatile=True),
    "now": _s(0, 0, volatile=True),
    "date": _s(1, 1),
    "date-time": _s(1, 1),
    "decimal-date-time": _s(1, 1),
    "decimal-time": _s(1, 1),
    "format-date": _s(2, 2),
    "format-date-time": _s(2, 2),
    # geo
    "area": _s(1, 1),
    "enclosed-area": _s(1, 1),
    "distance": _s(1, None),
    "geofence": _s(2, 2),
    "intersects": _s(1, 1),
    # text / translation
    "jr:itext": _s(1, 1),
}

#: Functions ODK defines that we know but cannot run (reported like unknown ones). Empty
#: today; kept so a function can be parked here without touching the parser.
NOT_RUNNABLE: frozenset[str] = frozenset()


def signature(name: str) -> Signature | None:
    """The signature of a function we can run, or None for an unknown one."""
    return SIGNATURES.get(name)
