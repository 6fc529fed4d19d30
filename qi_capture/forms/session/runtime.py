"""What a session needs to know about a form, computed once per form and shared.

From the immutable ``Form`` this derives: each element's enclosing repeats, which
elements must be recomputed eagerly when a field changes (relevance, calculations,
repeat counts), which fire on ``trigger``, and a rank that orders recomputation so each
element comes after everything it reads (dependencies through group relevance included).
"""

from __future__ import annotations

import heapq
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from qi_capture.forms.expressions import ExpressionError, ast, parse
from qi_capture.forms.model import Element, Expr, Form

# Element types that never appear on a screen (metadata, hidden values).
HIDDEN_TYPES = frozenset({
    "calculate", "hidden", "start", "end", "today", "deviceid", "username", "phonenumber",
    "email", "simserial", "subscriberid", "audit", "start-geopoint", "background-geopoint",
    "background-audio", "instanceID", "csv-external", "xml-external",
})
#: Types that show on a screen but take no input.
DISPLAY_ONLY_TYPES = frozenset({"note"})


@dataclass(slots=True)
class FormRuntime:
    form: Form
    #: element name -> names of enclosing repeats, outermost first (the element excluded).
    repeat_chain: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: field name -> elements whose relevance / calculation / repeat_count read it.
    eager: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: field name -> elements whose ``trigger`` lists it.
    triggered: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: element name -> recomputation order (lower first).
    rank: dict[str, int] = field(default_factory=dict)
    #: Elements with an eager expression that reads values through paths rather than
    #: ``${}`` (``../x``, ``/data/x``): recomputed after every change they can see.
    path_readers: tuple[str, ...] = ()
    #: group/repeat name -> elements that read its members' *values* through ``${name}``
    #: (``join(' ', ${rep})``); readers that only count it (``count(${rep})``) are left
    #: out, since a value typed inside the repeat does not change a count.
    group_value_readers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Elements with an eager expression that reads only positions or ancestors
    #: (``position(..)``): recomputed when repeat instances are added or removed.
    structure_readers: tuple[str, ...] = ()
    #: Names given to more than one element (in different groups; CHT forms do this).
    recurring_names: frozenset[str] = frozenset()
    #: field name -> selects from a choice list whose ``choice_filter`` reads it: when it
    #: changes, the copy of the select that sees the change drops choices no longer
    #: offered.
    choice_readers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: field name -> selects of a repeat's answers (``select_one ${q}``) that read it as
    #: the source or in their filter: every copy of them is checked when it changes
    #: (each offers the answers of every instance).
    choice_source_readers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: Names of the selects of a repeat's answers (checked when instances come or go).
    repeat_answer_selects: tuple[str, ...] = ()

    def element(self, name: str) -> Element:
        return self.form.element(name)

    def is_visible(self, element: Element) -> bool:
        """Does this field get a place on a screen?"""
        if element.kind != "field":
            return False
        if element.type in HIDDEN_TYPES:
            # A calculation with a label is shown read-only (XLSForm "Calculation").
            return element.type == "calculate" and element.label is not None
        # Any type with a calculation and neither label nor hint is hidden (XLSForm
        # "Calculation"; pyxform's trigger tests: an integer with 1+1 and no label).
        return element.calculation is None or element.label is not None \
            or element.hint is not None


def has_dynamic_choices(element: Element) -> bool:
    """Can the choices this select offers change with other answers? (A select with a
    ``choice_filter`` over a choice list, or one offering a repeat's answers; a
    calculated select holds what its calculation says, not an answer.) Such a select's
    answer keeps only choices still offered."""
    if element.kind != "field" or element.type not in ("select_one", "select_multiple"):
        return False
    if element.calculation is not None:
        return False
    if element.choices_from is not None:
        return True
    return (element.choice_filter is not None and element.list_name is not None
            and element.choices_file is None)


def eager_exprs(element: Element) -> Iterable[Expr]:
    """Expressions whose result changes the instance (and so must run at once)."""
    for expr in (element.relevant, element.repeat_count):
        if expr is not None:
            yield expr
    if element.calculation is not None and not element.trigger:
        yield element.calculation


def _build(form: Form) -> FormRuntime:
    runtime = FormRuntime(form)
    eager: dict[str, list[str]] = {}
    group_values: dict[str, list[str]] = {}
    triggered: dict[str, list[str]] = {}
    path_readers: list[str] = []
    structure_readers: list[str] = []
    choice_readers: dict[str, list[str]] = {}
    choice_source_readers: dict[str, list[str]] = {}
    repeat_answer_selects: list[str] = []
    ancestors: dict[str, tuple[str, ...]] = {}

    def visit(element: Element, groups: tuple[str, ...], repeats: tuple[str, ...]) -> None:
        runtime.repeat_chain[element.name] = repeats
        ancestors[element.name] = groups
        for expr in eager_exprs(element):
            for ref in expr.references:
                eager.setdefault(ref, []).append(element.name)
                target = form.find(ref)
                if target is not None and target.kind != "field" and not _only_counted(expr, ref):
                    group_values.setdefault(ref, []).append(element.name)
            reads_values, reads_structure = _path_reads(expr)
            if reads_values:
                path_readers.append(element.name)
            elif reads_structure:
                structure_readers.append(element.name)
        for ref in element.trigger:
            triggered.setdefault(ref, []).append(element.name)
        if has_dynamic_choices(element):
            filter_refs = element.choice_filter.references if element.choice_filter else ()
            if element.choices_from is not None:
                repeat_answer_selects.append(element.name)
                for ref in (element.choices_from, *filter_refs):
                    choice_source_readers.setdefault(ref, []).append(element.name)
            else:
                for ref in filter_refs:
                    choice_readers.setdefault(ref, []).append(element.name)
        inner_groups = (*groups, element.name) if element.kind != "field" else groups
        inner_repeats = (*repeats, element.name) if element.kind == "repeat" else repeats
        for child in element.children:
            visit(child, inner_groups, inner_repeats)

    for top in form.children:
        visit(top, (), ())
    runtime.eager = {k: tuple(dict.fromkeys(v)) for k, v in eager.items()}
    runtime.triggered = {k: tuple(dict.fromkeys(v)) for k, v in triggered.items()}
    runtime.group_value_readers = {k: tuple(dict.fromkeys(v)) for k, v in group_values.items()}
    runtime.path_readers = tuple(dict.fromkeys(path_readers))
    runtime.structure_readers = tuple(dict.fromkeys(structure_readers))
    runtime.choice_readers = {k: tuple(dict.fromkeys(v)) for k, v in choice_readers.items()}
    runtime.choice_source_readers = {k: tuple(dict.fromkeys(v))
                                     for k, v in choice_source_readers.items()}
    runtime.repeat_answer_selects = tuple(dict.fromkeys(repeat_answer_selects))
    runtime.rank = _rank(form, eager, ancestors)
    counts = Counter(e.name for e in form.elements())
    runtime.recurring_names = frozenset(name for name, n in counts.items() if n > 1)
    return runtime


def _only_counted(expr: Expr, name: str) -> bool:
    """Is every ``${name}`` in ``expr`` the whole argument of ``count()``?"""
    try:
        tree = parse(expr.source).tree
    except ExpressionError:
        return False
    counted = sum(1 for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and node.name == "count"
                  and len(node.args) == 1 and isinstance(node.args[0], ast.Ref)
                  and node.args[0].name == name)
    total = sum(1 for node in ast.walk(tree) if isinstance(node, ast.Ref) and node.name == name)
    return total > 0 and counted == total


def _path_reads(expr: Expr) -> tuple[bool, bool]:
    """(reads other nodes' values through paths, reads only positions/ancestry)."""
    try:
        tree = parse(expr.source).tree
    except ExpressionError:
        return False, False
    values = structure = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Path):
            start = node.start
            if start == "root":
                values = True
            elif start == "context" or (isinstance(start, ast.Call) and start.name == "current"):
                if any(step.axis == "child" for step in node.steps):
                    values = True
                elif any(step.axis == "parent" for step in node.steps):
                    structure = True
        elif isinstance(node, ast.Call) and node.name == "position":
            structure = True
    return values, structure


def _rank(form: Form, eager: dict[str, list[str]],
          ancestors: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Kahn's algorithm over "X must be recomputed before Y" edges.

    Edges: a referenced field before its readers; an element's groups before the element
    (a group's relevance decides its members' values); and the groups around a referenced
    field before its readers. Elements left in a cycle keep form order after the rest
    (the loader reports real calculation cycles; relevance-only cycles still terminate
    because propagation stops when nothing changes).
    """
    names = [e.name for e in form.elements()]
    succ: dict[str, set[str]] = {n: set() for n in names}
    for ref, readers in eager.items():
        sources = [ref, *ancestors.get(ref, ())] if ref in succ else []
        for src in sources:
            for reader in readers:
                if reader != src:
                    succ[src].add(reader)
    for name in names:
        for group in ancestors.get(name, ()):
            succ[group].add(name)
    indegree = dict.fromkeys(names, 0)
    for targets in succ.values():
        for t in targets:
            indegree[t] += 1
    order_index = {n: i for i, n in enumerate(names)}
    ready = sorted((n for n in names if indegree[n] == 0), key=order_index.__getitem__)
    rank: dict[str, int] = {}
    heap = [(order_index[n], n) for n in ready]
    heapq.heapify(heap)
    while heap:
        _, name = heapq.heappop(heap)
        rank[name] = len(rank)
        for t in succ[name]:
            indegree[t] -= 1
            if indegree[t] == 0:
                heapq.heappush(heap, (order_index[t], t))
    for name in names:
        if name not in rank:
            rank[name] = len(rank)
    return rank


_CACHE: OrderedDict[int, FormRuntime] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 32


def runtime_for(form: Form) -> FormRuntime:
    """The (cached) runtime of ``form``; keyed by identity, checked against the form."""
    key = id(form)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached.form is form:
            _CACHE.move_to_end(key)
            return cached
    runtime = _build(form)
    with _CACHE_LOCK:
        _CACHE[key] = runtime
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return runtime
