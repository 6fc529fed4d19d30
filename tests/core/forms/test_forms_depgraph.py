"""The dependency graph: order of calculations and cycle detection, beyond small forms."""

from __future__ import annotations

from qi_capture.forms.depgraph import calculation_order


def test_long_chains_need_no_recursion() -> None:
    chain = {f"c{i}": [f"c{i - 1}"] if i else [] for i in range(5000)}
    reversed_chain = dict(reversed(list(chain.items())))
    order, cycles = calculation_order(reversed_chain)
    assert not cycles
    assert list(order) == [f"c{i}" for i in range(5000)]


def test_form_order_is_kept_where_the_graph_allows() -> None:
    order, _ = calculation_order({"a": [], "b": ["z"], "c": ["a"], "z": []})
    assert order == ("a", "z", "b", "c")


def test_references_to_plain_questions_are_not_edges() -> None:
    order, cycles = calculation_order({"a": ["question"], "b": ["a", "other"]})
    assert (order, cycles) == (("a", "b"), [])


def test_each_cycle_once() -> None:
    _, cycles = calculation_order({"a": ["b"], "b": ["a"], "c": ["a", "c"]})
    assert cycles == [["a", "b", "a"], ["c", "c"]]
