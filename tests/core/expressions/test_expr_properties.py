"""Property tests: the parser never fails with anything but ExpressionError, generated
expressions print and re-parse to the same tree, and evaluation never raises anything but
ExpressionError whatever the expression and the values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.forms.expressions import DictContext, ExpressionError, parse
from qi_capture.forms.expressions import ast as A
from qi_capture.forms.expressions.parser import parse_ast
from qi_capture.forms.expressions.printer import to_source
from qi_capture.forms.expressions.signatures import SIGNATURES

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- any text ---------------------------------------------------------------------------------
_XPATH_CHARS = "abcxyz_-.$ {}[]()'\",:*|=!<>+/@0123456789 \t\n#"
_TOKENS = [
    "and",
    "or",
    "div",
    "mod",
    "*",
    "/",
    "//",
    "..",
    ".",
    "${a}",
    "${",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    "'x'",
    '"y"',
    "1",
    "2.5",
    ".5",
    "-",
    "+",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "|",
    "concat",
    "if",
    "selected",
    "jr:choice-name",
    "::",
    "child",
    "self",
    "@",
    "node()",
    "text()",
    "instance('i')",
    "current()",
    "${last-saved#a}",
    " ",
    "$x",
    "count(",
]


@FAST
@given(st.text())
def test_parse_any_unicode_text(text: str) -> None:
    try:
        parse_ast(text)
    except ExpressionError as err:
        assert 0 <= err.position <= len(text)
        assert err.source == text


@FAST
@given(st.text(alphabet=_XPATH_CHARS, max_size=40))
def test_parse_xpath_like_text(text: str) -> None:
    try:
        parse_ast(text)
    except ExpressionError as err:
        assert 0 <= err.position <= len(text)


@FAST
@given(st.lists(st.sampled_from(_TOKENS), max_size=25).map("".join))
def test_parse_token_soup(text: str) -> None:
    try:
        tree = parse_ast(text)
    except ExpressionError as err:
        assert 0 <= err.position <= len(text)
    else:
        assert parse_ast(to_source(tree)) == tree


# --- generated valid trees -----------------------------------------------------------------
FIELDS = ["a", "b", "num", "when", "geo", "multi", "age", "rep", "grp", "inner", "missing"]
NAMES = ["a", "age", "rep", "grp", "inner", "item", "name", "*"]
OPS = ["or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "|"]
UNKNOWN = ["duration", "substring", "count-if", "pulldata2"]


def _string_value() -> st.SearchStrategy[str]:
    return st.text(max_size=8).filter(lambda s: not ("'" in s and '"' in s))


leaves: st.SearchStrategy[A.Node] = st.one_of(
    st.floats(min_value=0, max_value=1e300, allow_nan=False, allow_infinity=False).map(
        lambda v: A.Number(float(repr(v)) if "e" not in repr(v) else float(int(v)))
    ),
    st.integers(min_value=0, max_value=10**6).map(lambda v: A.Number(float(v))),
    _string_value().map(A.String),
    st.sampled_from(FIELDS).map(A.Ref),
    st.sampled_from(FIELDS).map(lambda n: A.Ref(n, last_saved=True)),
    st.just(A.Path("context", (A.Step("self", "node()", (), True),))),
    st.just(A.Path("context", (A.Step("parent", "node()", (), True),))),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(
        lambda ns: A.Path("root", (A.Step("child", "data"), *tuple(A.Step("child", n) for n in ns)))
    ),
)


def _extend(children: st.SearchStrategy[A.Node]) -> st.SearchStrategy[A.Node]:
    def call(name: str) -> st.SearchStrategy[A.Node]:
        sig = SIGNATURES.get(name)
        lo = sig.min_args if sig else 0
        hi = min(sig.max_args if sig and sig.max_args is not None else lo + 3, lo + 3)
        counts = [k for k in range(lo, hi + 1) if sig is None or sig.accepts(k)]
        return st.sampled_from(counts).flatmap(
            lambda k: st.lists(children, min_size=k, max_size=k).map(
                lambda args: A.Call(name, tuple(args))
            )
        )

    return st.one_of(
        st.tuples(st.sampled_from(OPS), children, children).map(lambda t: A.Binary(*t)),
        children.map(A.Unary),
        st.sampled_from(sorted(SIGNATURES) + UNKNOWN).flatmap(call),
        st.tuples(st.sampled_from(FIELDS), st.lists(children, min_size=1, max_size=2)).map(
            lambda t: A.Filter(A.Ref(t[0]), tuple(t[1]))
        ),
        st.tuples(st.sampled_from(FIELDS), st.sampled_from(NAMES), children).map(
            lambda t: A.Path(A.Ref(t[0]), (A.Step("child", t[1], (t[2],)),))
        ),
        st.tuples(st.sampled_from(NAMES), children).map(
            lambda t: A.Path("context", (A.Step("child", t[0], (t[1],)),))
        ),
        children.map(
            lambda p: A.Path(
                A.Call("instance", (A.String("items"),)),
                (A.Step("child", "root"), A.Step("child", "item", (p,)), A.Step("child", "name")),
            )
        ),
    )


trees = st.recursive(leaves, _extend, max_leaves=12)

field_values = st.one_of(
    st.text(max_size=10),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "2.5",
            "1e3",
            "4,6",
            "2020-02-29",
            "2021-13-01",
            "1970-01-01T10:00:00Z",
            "10:30",
            "a b c",
            "0 0; 0 1; 1 1; 0 0",
            "12.5 -3.2 10 5",
            "NaN",
            "true",
            "false",
        ]
    ),
)


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    v = lambda: draw(field_values)  # noqa: E731
    values: dict[str, Any] = {
        "a": v(),
        "b": v(),
        "num": v(),
        "when": v(),
        "geo": v(),
        "multi": v(),
        "rep": [{"age": v(), "inner": v()} for _ in range(draw(st.integers(0, 3)))],
        "grp": {"inner": v()},
        ".": v(),
        "last-saved#a": v(),
        "__instances__": {"items": [{"name": v(), "label": v()} for _ in range(2)]},
    }
    if values["rep"] and draw(st.booleans()):
        values["__current__"] = {"repeat": "rep", "index": len(values["rep"])}
    return values


@FAST
@given(trees)
def test_print_parse_round_trip(tree: A.Node) -> None:
    source = to_source(tree)
    assert parse_ast(source) == tree, source


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees, instances())
def test_evaluation_raises_only_expression_error(tree: A.Node, values: dict[str, Any]) -> None:
    source = to_source(tree)
    expression = parse(source)
    ctx = DictContext(values, now=dt.datetime(2024, 1, 2, 3, 4, tzinfo=dt.UTC))
    for method in (
        expression.evaluate,
        expression.evaluate_string,
        expression.evaluate_number,
        expression.evaluate_boolean,
        expression.evaluate_stored,
    ):
        try:
            method(ctx)
        except ExpressionError as err:
            assert err.source == source
