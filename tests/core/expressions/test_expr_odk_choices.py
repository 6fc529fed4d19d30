"""Where ODK Collect and plain XPath 1.0 part ways, and what we do: a single node is true
only when answered; floor() and ceiling() run as XPath 1.0 defines them."""

from __future__ import annotations

from qi_capture.forms.expressions import evaluate


def test_unanswered_field_is_false() -> None:
    assert evaluate("if(${x}, 'a', 'b')", {"x": ""}) == "b"
    assert evaluate("boolean(${x})", {"x": None}) is False
    assert evaluate("not(${x})", {"x": ""}) is True


def test_answered_field_is_true() -> None:
    assert evaluate("if(${x}, 'a', 'b')", {"x": "z"}) == "a"
    assert evaluate("boolean(${x})", {"x": "0"}) is True  # a non-empty string, as ODK


def test_repeat_node_sets_are_true_when_non_empty() -> None:
    values = {"r": [{"v": ""}, {"v": ""}]}
    assert evaluate("boolean(${v})", values) is True
    assert evaluate("boolean(${v})", {"r": []}) is False


def test_floor_and_ceiling_follow_xpath() -> None:
    assert evaluate("floor(3.7)", {}) == 3
    assert evaluate("floor(-3.2)", {}) == -4
    assert evaluate("ceiling(3.2)", {}) == 4
    assert evaluate("ceiling(${x})", {"x": ""}) != evaluate("ceiling(${x})", {"x": ""})  # NaN
