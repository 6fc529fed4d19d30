"""``ExpressionError``: the only exception parsing or evaluating an expression raises.

It carries a machine-readable ``code`` (see the constants below), the expression ``source``
and the 0-based character ``position`` the problem was found at, so the loader can report
"row 12, column relevant, position 7" and the UI can point at the offending character.
"""

from __future__ import annotations

from typing import Any

from qi_capture.errors import QICaptureError

#: The text is not a valid expression (unexpected character/token, unclosed bracket...).
SYNTAX = "expression_syntax"
#: A construct XPath has but ODK forms do not (``//``, other axes, ``text()``, ``$var``).
UNSUPPORTED = "expression_unsupported"
#: A known function called with the wrong number of arguments.
ARITY = "expression_arity"
#: A call to a function QI Capture cannot run (raised only when the call is evaluated).
UNKNOWN_FUNCTION = "expression_unknown_function"
#: Evaluation failed: a value of the wrong type (``count('a')``), an invalid date...
EVAL = "expression_eval"
#: A ``regex()`` pattern that needs the backtracking engine hit its time limit.
REGEX_LIMIT = "expression_regex_limit"


class ExpressionError(QICaptureError):
    """A problem with one expression, located by ``position`` (0-based) in ``source``."""

    code = SYNTAX

    def __init__(
        self,
        message: str,
        *,
        code: str = SYNTAX,
        position: int = 0,
        source: str = "",
        **params: Any,
    ) -> None:
        super().__init__(message, position=position, source=source, **params)
        self.code = code
        self.position = position
        self.source = source

    def with_source(self, source: str) -> ExpressionError:
        """The same error, located in ``source`` (used when the error was raised deep inside
        evaluation, where only the position of the failing node was known)."""
        if self.source == source:
            return self
        extra = {k: v for k, v in self.params.items() if k not in ("position", "source")}
        err = ExpressionError(
            self.message, code=self.code, position=self.position, source=source, **extra
        )
        err.__cause__ = self.__cause__
        return err
