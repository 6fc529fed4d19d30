"""``Expression`` (one parsed expression, what it depends on, how to evaluate it) and the
cached ``parse()`` the rest of the application calls.

Parsing is cheap and cached by source text: forms repeat the same expressions a lot, and
the form model keeps expressions as source so a stored form opens without any parsing.
Compiling to closures happens on the first evaluation, so the loader, which only needs
``references`` and ``unknown_functions``, never pays for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.errors import EVAL, ExpressionError
from qi_capture.forms.expressions.parser import parse_ast
from qi_capture.forms.expressions.signatures import NOT_RUNNABLE, signature

if TYPE_CHECKING:
    from qi_capture.forms.expressions.compiler import Compiled
    from qi_capture.forms.expressions.context import EvalContext, XNode
    from qi_capture.forms.expressions.values import Value

#: ``jr:choice-name(value, '${q}')`` names its field inside a string literal.
_REF_IN_LITERAL = re.compile(r"^\s*\$\{([^}]+)\}\s*$")

#: Calls whose result depends on the context node itself (no-argument forms).
_CONTEXT_CALLS = frozenset({"string", "string-length", "normalize-space", "number", "position"})


class _Analysis:
    """What a syntax tree references and calls, gathered in one walk."""

    def __init__(self, tree: ast.Node) -> None:
        self.references: set[str] = set()
        self.last_saved: set[str] = set()
        self.functions: set[str] = set()
        self.instance_ids: set[str] = set()
        self.volatile = False
        self.uses_current = False
        self.uses_context = False
        self.uses_paths = False
        self._visit(tree, in_predicate=False)

    def _visit(self, node: ast.Node, in_predicate: bool) -> None:
        # Iterative over siblings, recursive only into predicates (bounded by MAX_DEPTH).
        stack: list[tuple[ast.Node, bool]] = [(node, in_predicate)]
        while stack:
            cur, pred = stack.pop()
            if isinstance(cur, ast.Ref):
                (self.last_saved if cur.last_saved else self.references).add(cur.name)
            elif isinstance(cur, ast.Unary):
                stack.append((cur.operand, pred))
            elif isinstance(cur, ast.Binary):
                stack.append((cur.left, pred))
                stack.append((cur.right, pred))
            elif isinstance(cur, ast.Call):
                self._call(cur, pred)
                stack.extend((a, pred) for a in cur.args)
            elif isinstance(cur, ast.Filter):
                stack.append((cur.primary, pred))
                stack.extend((p, True) for p in cur.predicates)
            elif isinstance(cur, ast.Path):
                self.uses_paths = True
                if cur.start == "context" and not pred:
                    self.uses_context = True
                elif not isinstance(cur.start, str):
                    stack.append((cur.start, pred))
                for step in cur.steps:
                    stack.extend((p, True) for p in step.predicates)

    def _call(self, call: ast.Call, in_predicate: bool) -> None:
        name = call.name
        self.functions.add(name)
        sig = signature(name)
        if sig is not None and sig.volatile:
            self.volatile = True
        if name == "randomize" and len(call.args) == 1:
            self.volatile = True  # unseeded: a new order every time
        if name == "current":
            self.uses_current = True
        if name in _CONTEXT_CALLS and not call.args and not in_predicate:
            self.uses_context = True
        if name == "once":
            self.uses_context = True
        if name in ("instance", "pulldata") and call.args:
            first = call.args[0]
            if isinstance(first, ast.String):
                self.instance_ids.add(first.value)
        if name == "jr:choice-name" and len(call.args) == 2:
            second = call.args[1]
            if isinstance(second, ast.String):
                m = _REF_IN_LITERAL.match(second.value)
                if m:
                    self.references.add(m.group(1))


class Expression:
    """One parsed expression. Immutable; share it freely (``parse`` caches by source)."""

    __slots__ = (
        "_compiled",
        "functions",
        "instance_ids",
        "last_saved_references",
        "references",
        "source",
        "tree",
        "unknown_functions",
        "uses_context",
        "uses_current",
        "uses_instance",
        "uses_paths",
        "volatile",
    )

    def __init__(self, source: str, tree: ast.Node) -> None:
        info = _Analysis(tree)
        self.source = source
        self.tree = tree
        #: ``${name}`` names: the dependencies the incremental engine tracks.
        self.references: frozenset[str] = frozenset(info.references)
        #: ``${last-saved#name}`` names (values from the last saved record; never change
        #: during a session, so not dependencies - but the loader checks they exist).
        self.last_saved_references: frozenset[str] = frozenset(info.last_saved)
        #: Every function called.
        self.functions: frozenset[str] = frozenset(info.functions)
        #: Functions we cannot run: evaluating a call to one raises ExpressionError.
        self.unknown_functions: frozenset[str] = frozenset(
            f for f in info.functions if signature(f) is None or f in NOT_RUNNABLE
        )
        #: Calls now(), today(), random(), uuid() or unseeded randomize().
        self.volatile: bool = info.volatile
        #: Reads secondary instances (instance(), pulldata()); ``instance_ids`` lists the
        #: literal ids named.
        self.uses_instance: bool = bool({"instance", "pulldata"} & info.functions)
        self.instance_ids: frozenset[str] = frozenset(info.instance_ids)
        #: Calls current().
        self.uses_current: bool = info.uses_current
        #: Reads the context node itself (``.``, ``..``, relative paths, ``once()``,
        #: ``position()``...), so it depends on the field it belongs to.
        self.uses_context: bool = info.uses_context
        #: Holds a path (``/data/a``, ``../b``, ``current()/c``): it may read nodes that
        #: ``references`` does not name.
        self.uses_paths: bool = info.uses_paths
        self._compiled: Compiled | None = None

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"

    # --- evaluation -------------------------------------------------------------------------
    def _compile(self) -> Compiled:
        compiled = self._compiled
        if compiled is None:
            from qi_capture.forms.expressions.compiler import compile_tree

            compiled = compile_tree(self.tree)
            self._compiled = compiled
        return compiled

    def _run(
        self, fn: Callable[[EvalContext, XNode], object], ctx: EvalContext, node: XNode | None
    ) -> object:
        try:
            return fn(ctx, ctx.node if node is None else node)
        except ExpressionError as err:
            raise err.with_source(self.source) from err.__cause__
        except RecursionError as exc:
            raise ExpressionError(
                "expression too deeply nested to evaluate", code=EVAL, source=self.source
            ) from exc
        except Exception as exc:
            # Contract: evaluation raises nothing but ExpressionError, whatever the input
            # or the context object does.
            raise ExpressionError(
                f"evaluation failed: {exc.__class__.__name__}: {exc}", code=EVAL, source=self.source
            ) from exc

    def evaluate(self, ctx: EvalContext, node: XNode | None = None) -> Value:
        """The value: str, float, bool, date, datetime or a node-set (list of XNode).

        ``node`` is the XPath context node (``.``) when it is not ``ctx.node``: a choice
        filter evaluated per choice item, where ``current()`` stays the field. The typed
        helpers below take it too."""
        return self._run(self._compile().value, ctx, node)  # type: ignore[return-value]

    def evaluate_string(self, ctx: EvalContext, node: XNode | None = None) -> str:
        return self._run(self._compile().string, ctx, node)  # type: ignore[return-value]

    def evaluate_number(self, ctx: EvalContext, node: XNode | None = None) -> float:
        return self._run(self._compile().number, ctx, node)  # type: ignore[return-value]

    def evaluate_boolean(self, ctx: EvalContext, node: XNode | None = None) -> bool:
        return self._run(self._compile().boolean, ctx, node)  # type: ignore[return-value]

    def evaluate_nodes(self, ctx: EvalContext, node: XNode | None = None) -> list[XNode]:
        """The node-set (choice filters, repeat node-sets). A non-node-set result raises."""
        return self._run(self._compile().nodes, ctx, node)  # type: ignore[return-value]

    def evaluate_stored(self, ctx: EvalContext, node: XNode | None = None) -> str:
        """What a calculation writes into the instance (``to_stored`` of the value)."""
        from qi_capture.forms.expressions.coerce import to_stored

        return to_stored(self.evaluate(ctx, node))


@lru_cache(maxsize=8192)
def parse(source: str) -> Expression:
    """Parse ``source`` (XPath 1.0 as ODK restricts it, plus ``${name}``).

    Raises ``ExpressionError`` (code ``expression_syntax``, ``expression_arity`` or
    ``expression_unsupported``) with ``.position`` and ``.source``. Calls to unknown
    functions do not fail here: see ``Expression.unknown_functions``.
    """
    return Expression(source, parse_ast(source))
