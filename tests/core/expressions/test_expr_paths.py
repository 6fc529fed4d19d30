"""Paths, predicates, repeats, secondary instances and relevance over a dict instance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qi_capture.forms.expressions import DictContext, ExpressionError, parse

Ev = Callable[..., object]

HOUSEHOLD: dict[str, Any] = {
    "hh_name": "Smith",
    "people": [
        {"pname": "Ann", "age": "34", "pet_count": "2", "visits": [{"vdate": "a"}]},
        {"pname": "Bob", "age": "12", "pet_count": "1", "visits": [{"vdate": "b"}, {"vdate": "c"}]},
        {"pname": "Cid", "age": "7", "pet_count": "4", "visits": []},
    ],
    "summary": {"total": "3", "note": "ok"},
}


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("/data/hh_name", "Smith"),
        ("/data/summary/total + 1", 4.0),
        ("/data/people[2]/pname", "Bob"),
        ("count(/data/people)", 3.0),
        ("count(/data/*)", 6.0),  # hh_name, 3 people, summary and the context field
        ("/wrong/hh_name", ""),
        ("${people}[age < 18]/pname", "Bob"),
        ("sum(${people}[age < 18]/pet_count)", 5.0),
        ("count(${people}[age < 18][pet_count > 3])", 1.0),
        ("${people}[pname = 'Cid']/age", "7"),
        ("count(${people}[last-name = ''])", 0.0),  # a missing child equals nothing
        ("count(${vdate})", 3.0),
        ("count(${people}[2]/visits)", 2.0),
        ("${summary}/note", "ok"),
        ("string(${summary})", "3ok"),
        ("count(${people}/pname | ${hh_name})", 4.0),
        ("(${people}/pname | ${hh_name})[1]", "Smith"),  # document order
        ("count(${hh_name} | ${hh_name})", 1.0),
        ("count(/data/people/..)", 1.0),
        ("name(/data)", None),
    ],
)
def test_paths(ev: Ev, expr: str, expected: object) -> None:
    if expected is None:
        with pytest.raises(ExpressionError):
            ev(expr, HOUSEHOLD)
        return
    assert ev(expr, HOUSEHOLD) == expected


def _inside(index: int, **extra: Any) -> dict[str, Any]:
    return {**HOUSEHOLD, "__current__": {"repeat": "people", "index": index}, **extra}


def test_references_resolve_in_the_current_repeat_instance(ev: Ev) -> None:
    assert ev("${pname}", _inside(2)) == "Bob"
    assert ev("../pname", _inside(3)) == "Cid"
    assert ev("position(..)", _inside(3)) == 3.0
    assert ev("count(${vdate})", _inside(2)) == 2.0
    assert ev("${hh_name}", _inside(2)) == "Smith"  # outside the repeat: the one node
    assert ev("count(${people})", _inside(2)) == 3.0  # the repeat itself: every instance
    assert ev("indexed-repeat(${pname}, ${people}, 1)", _inside(3)) == "Ann"
    assert ev("../../hh_name", _inside(1)) == "Smith"


def test_current_inside_predicates(ev: Ev) -> None:
    values = {
        **_inside(2),
        "__instances__": {
            "pets": [
                {"name": "cat", "owner": "Ann"},
                {"name": "dog", "owner": "Bob"},
                {"name": "eel", "owner": "Bob"},
            ]
        },
    }
    expr = "count(instance('pets')/root/item[owner = current()/../pname])"
    assert ev(expr, values) == 2.0
    # without current(), '../pname' is relative to the item: no such node
    assert ev("count(instance('pets')/root/item[owner = ../pname])", values) == 0.0
    assert ev("instance('pets')/root/item[position() = 2]/name", values) == "dog"
    assert ev("instance('pets')/root/item[2]/name", values) == "dog"
    assert ev("count(instance('pets')/root/item[owner = 'Bob'][2])", values) == 1.0


def test_self_and_parent_axes(ev: Ev) -> None:
    values = _inside(1, **{".": "me"})
    assert ev("self::node()", values) == "me"
    assert ev("string(self::__self__)", values) == "me"
    assert ev("count(self::other)", values) == 0.0
    assert ev("parent::people/pname", values) == "Ann"
    assert ev("count(parent::other)", values) == 0.0
    assert ev("count(./..)", values) == 1.0


def test_non_relevant_nodes(ev: Ev) -> None:
    # A single field that is not relevant reads as '' (still one node) ...
    values = {"a": "5", "b": "x", "__relevant__": {"a": False}}
    assert ev("${a}", values) == ""
    assert ev("${a} = ''", values) is True
    assert ev("count(${a})", values) == 1.0
    # ... while non-relevant repeat instances leave node-sets.
    rep = {"rep": [{"v": "1"}, {"v": "2"}], "__relevant__": {"v": False}}
    assert ev("count(${v})", rep) == 0.0
    assert ev("sum(${v})", rep) == 0.0


def test_last_saved(ev: Ev) -> None:
    assert ev("${last-saved#age} + 1", {"last-saved#age": "40"}) == 41.0
    assert ev("${last-saved#age}", {}) == ""
    assert parse("${last-saved#age}").references == frozenset()


def test_evaluate_nodes_and_typed_helpers() -> None:
    ctx = DictContext(HOUSEHOLD)
    e = parse("${people}[age > 10]")
    nodes = e.evaluate_nodes(ctx)
    assert [n.position() for n in nodes] == [1, 2]
    assert parse("${people}/age").evaluate_number(ctx) == 34.0
    assert parse("${people}/age").evaluate_string(ctx) == "34"
    assert parse("${people}").evaluate_boolean(ctx) is True
    assert parse("1 div 0").evaluate_stored(ctx) == "Infinity"
    assert parse("0 div 0").evaluate_stored(ctx) == ""
    with pytest.raises(ExpressionError):
        parse("1 + 1").evaluate_nodes(ctx)


def test_unknown_function_raises_only_when_called(ev: Ev) -> None:
    assert ev("true() or duration()") is True
    with pytest.raises(ExpressionError) as info:
        ev("1 + duration()")
    assert info.value.code == "expression_unknown_function"
    assert info.value.position == 4
    assert info.value.source == "1 + duration()"


def test_evaluation_errors_carry_position_and_source(ev: Ev) -> None:
    with pytest.raises(ExpressionError) as info:
        ev("1 + date('nope')")
    assert info.value.position == 4
    assert info.value.source == "1 + date('nope')"
    assert info.value.code == "expression_eval"


class _Exploding:
    """A context whose every method fails: evaluation must still raise ExpressionError."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"boom: {name}")


def test_a_broken_context_gives_expression_error() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("${a} + 1").evaluate(_Exploding())  # type: ignore[arg-type]
    assert info.value.code == "expression_eval"


def test_evaluate_with_python_values(ev: Ev) -> None:
    import datetime as dt

    values = {"n": 3, "f": 2.5, "t": True, "none": None, "d": dt.date(2020, 1, 2)}
    assert ev("${n} * ${f}", values) == 7.5
    assert ev("${t}", values) == "true"
    assert ev("${none} = ''", values) is True
    assert ev("${d} + 0", values) == 18263.0


def test_choice_filter_with_an_explicit_context_node() -> None:
    # A choice filter runs per choice item: '.'/bare names are the item, current() the field.
    values = {
        "state": "ca",
        ".": "",
        "__instances__": {
            "cities": [
                {"name": "la", "state": "ca"},
                {"name": "ny", "state": "ny"},
                {"name": "sf", "state": "ca"},
            ]
        },
    }
    ctx = DictContext(values)
    root = ctx.instance("cities")
    assert root is not None
    keep = parse("state = ${state} and count(current()) = 1")
    kept = [item for item in root.children() if keep.evaluate_boolean(ctx, item)]
    assert [item.children()[0].value() for item in kept] == ["la", "sf"]
    whole = parse("instance('cities')/root/item[state = ${state}]/name")
    assert [n.value() for n in whole.evaluate_nodes(ctx)] == ["la", "sf"]


def test_tokenizer_accepts_unicode_names_and_spaces(ev: Ev) -> None:
    assert ev("${नाम} + 1", {"नाम": "2"}) == 3.0  # Devanagari with combining vowel sign
    assert ev("1\u00a0+\u00a02") == 3.0  # no-break spaces pasted from a spreadsheet
    assert ev("/data/ünïcode", {"ünïcode": "x"}) == "x"


@pytest.mark.parametrize(
    "wrap",
    [
        lambda s: f"({s} + 1)",
        lambda s: f"abs({s})",
        lambda s: f"-{s}",
        lambda s: f"if(true(), {s}, 0)",
        lambda s: f"${{rep}}[{s}]",
    ],
)
def test_deepest_accepted_nesting_evaluates(ev: Ev, wrap: Callable[[str], str]) -> None:
    source = "1"
    for _ in range(95):  # the parser refuses more than 100 levels
        source = wrap(source)
    ev(source, {"rep": [{}]})


def test_long_flat_chains_evaluate(ev: Ev) -> None:
    assert ev(" + ".join(["1"] * 5000)) == 5000.0
    assert ev(" and ".join(["1 = 1"] * 3000)) is True
    assert ev(" - ".join(["1"] * 3000)) == -2998.0
