"""Parsing each expression of a form once, and pulling ``${name}`` out of display text.

Loading a big form parses thousands of expressions, many identical (``${consent} = 'yes'``
guards whole sections), so results are cached by source text for the duration of one load.
The parser itself belongs to ``qi_capture.forms.expressions``; this module only asks it
what an expression references and which functions it calls.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qi_capture.forms.expressions import ExpressionError, ast, parse
from qi_capture.forms.expressions.regexes import backtracking_risks

#: ``${name}`` / ``${last-saved#name}`` inside labels, hints and messages (rendered as the
#: field's current value, so the text depends on the field).
_TEXT_REF = re.compile(r"\$\{\s*(?:last-saved#)?([^}\s]+)\s*\}")
_LAST_SAVED = "last-saved#"


@dataclass(frozen=True, slots=True)
class Analysed:
    """What one expression needs: the names it references, the functions we cannot run."""

    references: tuple[str, ...]
    unknown_functions: tuple[str, ...]
    #: (pattern, why it backtracks) for each literal ``regex()`` pattern that would.
    regex_risks: tuple[tuple[str, str], ...] = ()


class ExpressionCache:
    """Parses each distinct source once; keeps the error for sources that do not parse."""

    def __init__(self) -> None:
        self._results: dict[str, Analysed | ExpressionError] = {}

    def analyse(self, source: str) -> Analysed | ExpressionError:
        result = self._results.get(source)
        if result is None:
            try:
                parsed = parse(source)
            except ExpressionError as err:
                result = err
            else:
                refs = sorted({_strip_last_saved(r) for r in parsed.references})
                result = Analysed(tuple(refs), tuple(sorted(parsed.unknown_functions)),
                                  _regex_risks(parsed.tree) if "regex" in parsed.functions
                                  else ())
            self._results[source] = result
        return result

    def references(self, source: str) -> tuple[str, ...]:
        """The references of a source that parses; () for one that does not (the checks
        report the syntax error separately)."""
        result = self.analyse(source)
        return result.references if isinstance(result, Analysed) else ()


def text_references(text: str) -> tuple[str, ...]:
    """``${name}`` references in display text (labels, hints, messages), in order."""
    if "${" not in text:
        return ()
    return tuple(dict.fromkeys(_TEXT_REF.findall(text)))


def _regex_risks(tree: ast.Node) -> tuple[tuple[str, str], ...]:
    """Literal ``regex()`` patterns that backtrack, with the reason."""
    risks: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and node.name == "regex" and len(node.args) == 2
                and isinstance(node.args[1], ast.String)):
            pattern = node.args[1].value
            risks.extend((pattern, why) for why in backtracking_risks(pattern))
    return tuple(risks)


def _strip_last_saved(name: str) -> str:
    # ${last-saved#x} reads x of the last saved record: it still names the field x.
    return name[len(_LAST_SAVED):] if name.startswith(_LAST_SAVED) else name
