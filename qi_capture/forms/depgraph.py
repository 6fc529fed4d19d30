"""The dependency graph of a form: who must be re-evaluated when a field changes.

``dependents`` maps a field name to the elements whose expressions (relevant, required,
constraint, calculation, read_only, choice_filter, repeat_count, dynamic default, trigger,
and ``${}`` outputs in labels/hints/messages) reference it; a form session re-evaluates only
those. ``calculation_order`` orders calculations so each comes after the calculations it
uses (JavaRosa and Web Forms build the same DAG); a cycle makes the form invalid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from qi_capture.forms.analysis import text_references
from qi_capture.forms.model import Element, Expr

_EXPR_ATTRS = ("relevant", "required", "constraint", "calculation", "dynamic_default",
               "read_only", "choice_filter", "repeat_count")
_TEXT_ATTRS = ("label", "hint", "guidance_hint", "required_message", "constraint_message")


def element_references(element: Element) -> set[str]:
    """Every name ``element`` depends on, whatever column it is used in."""
    refs: set[str] = set()
    for attr in _EXPR_ATTRS:
        expr: Expr | None = getattr(element, attr)
        if expr is not None:
            refs.update(expr.references)
    refs.update(element.trigger)
    if element.choices_from:
        refs.add(element.choices_from)
    for attr in _TEXT_ATTRS:
        text = getattr(element, attr)
        if text is not None:
            for value in text.values.values():
                refs.update(text_references(value))
    return refs


def build_dependents(elements: Iterable[Element]) -> dict[str, tuple[str, ...]]:
    """Field name -> names of the elements that reference it, in form order."""
    graph: dict[str, list[str]] = {}
    for element in elements:
        for ref in sorted(element_references(element)):
            users = graph.setdefault(ref, [])
            if element.name not in users:
                users.append(element.name)
    return {name: tuple(users) for name, users in graph.items()}


def calculation_order(calcs: Mapping[str, Sequence[str]]) -> tuple[tuple[str, ...],
                                                                   list[list[str]]]:
    """Topological order of calculations (name -> names referenced), and the cycles found.

    Only edges between calculations matter: a calculation reading a plain question needs
    nothing computed first. Form order is kept wherever the graph allows it, so the order
    is stable and readable. Each cycle is listed once, in dependency order.
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    cycles: list[list[str]] = []
    seen_cycles: set[frozenset[str]] = set()

    # Iterative DFS: real forms chain hundreds of calculations, deeper than Python's stack
    # is comfortable with.
    for start in calcs:
        if state.get(start):
            continue
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            name, index = stack.pop()
            if index == 0:
                state[name] = 1
                path.append(name)
            deps = [d for d in calcs[name] if d in calcs]
            if index < len(deps):
                stack.append((name, index + 1))
                dep = deps[index]
                if state.get(dep) == 1:
                    cycle = path[path.index(dep):]
                    key = frozenset(cycle)
                    if key not in seen_cycles:
                        seen_cycles.add(key)
                        cycles.append([*cycle, dep])
                elif not state.get(dep):
                    stack.append((dep, 0))
            else:
                state[name] = 2
                path.pop()
                order.append(name)
    return tuple(order), cycles
