"""The expression language of XLSForm: XPath 1.0 as ODK restricts it, plus ``${name}``.

``parse(source)`` gives an ``Expression`` (cached by source) that knows what it references
and calls and evaluates against any ``EvalContext``; ``evaluate(expr, values)`` is the
one-shot form over a dict of values. Evaluation raises nothing but ``ExpressionError``.

Modules: ``tokens`` (lexer), ``parser`` (Pratt parser), ``ast`` (syntax tree), ``printer``,
``signatures`` (known functions and arities), ``expression`` (``Expression``, ``parse``),
``compiler`` (tree -> closures), ``functions/`` (the library), ``coerce`` (type
conversion), ``values``, ``datetimes``, ``dictcontext`` (``evaluate`` over a dict).

Where ODK engines disagree we follow ODK Collect (JavaRosa) unless FORMS.md says otherwise;
each module's docstring lists its choices. The main ones (FORMS.md section 10):
``regex()`` matches the whole string; ``round()`` rounds negative halves toward zero
(``round(-0.5) = -0``, ``round(-1.5) = -1``); a ``,`` in text is a decimal point
(``round('4,6') = 5``); ``number('1.1e6')`` is NaN; ``date('1983-09-31')`` is an error and
``date('')`` is ``''``; ``date(6.5)`` is the date 1970-01-07; ``coalesce()`` treats NaN as
empty; ``selected-at()`` is 0-based; ``=`` and boolean conversion use JavaRosa's 1e-12
tolerance. Following FORMS.md section 7 rather than JavaRosa: a node-set is true when it
is non-empty (JavaRosa looks at the first node's value), ``sum``/``min``/``max`` are NaN
when a member is empty, and ``boolean-from-string`` accepts only ``'true'`` and ``'1'``.
"""

from __future__ import annotations

from qi_capture.forms.expressions.coerce import to_boolean, to_number, to_stored, to_string
from qi_capture.forms.expressions.context import EvalContext, XNode
from qi_capture.forms.expressions.dictcontext import DictContext, DictNode, evaluate, evaluate_in
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
    "evaluate_in",
    "parse",
    "to_boolean",
    "to_number",
    "to_stored",
    "to_string",
]
