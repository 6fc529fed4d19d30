"""The expression language of XLSForm: XPath 1.0 as ODK restricts it, plus ``${name}``.

``parse(source)`` gives an ``Expression`` (cached by source) that knows what it references
and calls and evaluates against any ``EvalContext``; ``evaluate(expr, values)`` is the
one-shot form over a dict of values. Evaluation raises nothing but ``ExpressionError``.

Modules: ``tokens`` (lexer), ``parser`` (Pratt parser), ``ast`` (syntax tree), ``printer``,
``signatures`` (known functions and arities), ``expression`` (``Expression``, ``parse``).
"""

from __future__ import annotations

from qi_capture.forms.expressions.context import EvalContext, XNode
from qi_capture.forms.expressions.errors import ExpressionError
from qi_capture.forms.expressions.expression import Expression, parse

__all__ = ["EvalContext", "Expression", "ExpressionError", "XNode", "parse"]
