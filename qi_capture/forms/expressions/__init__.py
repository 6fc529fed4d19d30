"""The expression language of XLSForm: XPath 1.0 as ODK restricts it, plus ``${name}``.

``parse(source)`` gives an ``Expression`` (cached by source) that knows what it references
and calls and evaluates against any ``EvalContext``; ``evaluate(expr, values)`` is the
one-shot form over a dict of values. Evaluation raises nothing but ``ExpressionError``.

Modules: ``tokens`` (lexer), ``parser`` (Pratt parser), ``ast`` (syntax tree), ``printer``,
``signatures`` (known functions and arities), ``expression`` (``Expression``, ``parse``),
``compiler`` (tree -> closures), ``functions/`` (the library), ``coerce`` (type
conversion), ``values``, ``datetimes``, ``dictcontext`` (``evaluate`` over a dict).
"""

from __future__ import annotations

from qi_capture.forms.expressions.coerce import to_boolean, to_number, to_stored, to_string
from qi_capture.forms.expressions.context import EvalContext, XNode
from qi_capture.forms.expressions.dictcontext import DictContext, DictNode, evaluate
from qi_capture.forms.expressions.errors import ExpressionError
from qi_capture.forms.expressions.expression import Expression, parse
from qi_capture.forms.expressions.values import NodeSet, Value

__all__ = [
    "DictContext",
    "DictNode",
    "EvalContext",
    "Expression",
    "ExpressionError",
    "NodeSet",
    "Value",
    "XNode",
    "evaluate",
    "parse",
    "to_boolean",
    "to_number",
    "to_stored",
    "to_string",
]
