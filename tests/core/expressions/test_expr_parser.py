"""Parser: precedence, XPath lexical disambiguation, paths, error positions, analysis."""

from __future__ import annotations

import pytest

from qi_capture.forms.expressions import ExpressionError, parse
from qi_capture.forms.expressions import ast as A
from qi_capture.forms.expressions.printer import to_source


def tree(source: str) -> A.Node:
    return parse(source).tree


def n(v: float) -> A.Number:
    return A.Number(v)


# --- precedence and associativity ------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", A.Binary("+", n(1), A.Binary("*", n(2), n(3)))),
        ("1 - 2 - 3", A.Binary("-", A.Binary("-", n(1), n(2)), n(3))),
        ("1 - (2 - 3)", A.Binary("-", n(1), A.Binary("-", n(2), n(3)))),
        ("6 div 3 mod 2", A.Binary("mod", A.Binary("div", n(6), n(3)), n(2))),
        ("3 < 4 < 5", A.Binary("<", A.Binary("<", n(3), n(4)), n(5))),
        (
            "-3 < 3 = 6 >= 6",
            A.Binary("=", A.Binary("<", A.Unary(n(3)), n(3)), A.Binary(">=", n(6), n(6))),
        ),
        (
            "1 or 2 and 3",
            A.Binary("or", n(1), A.Binary("and", n(2), n(3))),
        ),
        ("1 = 2 and 3", A.Binary("and", A.Binary("=", n(1), n(2)), n(3))),
        ("1 + 2 < 3", A.Binary("<", A.Binary("+", n(1), n(2)), n(3))),
        ("- 2 * 3", A.Binary("*", A.Unary(n(2)), n(3))),
        ("--2", A.Unary(A.Unary(n(2)))),
        (
            "-a | b",
            A.Unary(
                A.Binary(
                    "|",
                    A.Path("context", (A.Step("child", "a"),)),
                    A.Path("context", (A.Step("child", "b"),)),
                )
            ),
        ),
        ("1 != 2 = 3", A.Binary("=", A.Binary("!=", n(1), n(2)), n(3))),
    ],
)
def test_precedence(source: str, expected: A.Node) -> None:
    assert tree(source) == expected


# --- XPath 1.0 section 3.7: operator names vs name tests -------------------------------
def _path(*names: str) -> A.Path:
    return A.Path("context", tuple(A.Step("child", x) for x in names))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("div div div", A.Binary("div", _path("div"), _path("div"))),
        ("mod mod mod", A.Binary("mod", _path("mod"), _path("mod"))),
        ("and and or", A.Binary("and", _path("and"), _path("or"))),
        ("* * *", A.Binary("*", _path("*"), _path("*"))),
        ("a/*", _path("a", "*")),
        ("2*3", A.Binary("*", n(2), n(3))),
        ("count(*)", A.Call("count", (_path("*"),))),
        ("(1)*2", A.Binary("*", n(1), n(2))),
        ("a[1]*2", A.Binary("*", A.Path("context", (A.Step("child", "a", (n(1),)),)), n(2))),
        ("'1'and'1'", A.Binary("and", A.String("1"), A.String("1"))),
        ("a-b", _path("a-b")),
        ("a - b", A.Binary("-", _path("a"), _path("b"))),
        ("5-3", A.Binary("-", n(5), n(3))),
        ("div(", None),
    ],
)
def test_disambiguation(source: str, expected: A.Node | None) -> None:
    if expected is None:
        with pytest.raises(ExpressionError):
            parse(source)
    else:
        assert tree(source) == expected


def test_operator_name_followed_by_paren_is_still_an_operator() -> None:
    assert tree("4 div (2)") == A.Binary("div", n(4), n(2))


# --- paths ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "/data/a/b",
        "/",
        "../x",
        ".",
        "..",
        "../../sectionb/G",
        "name/child",
        "instance('id')/root/item[name = current()/../x]/label",
        "${repeat}[age < 18]/pet_count",
        "self::node()",
        "parent::node()/x",
        "child::x[2]",
        "(a | b)[1]",
        "jr:choice-name(${x}, '${q}')",
        "${last-saved#name} + 1",
        "/data/*",
        "x:*",
        "current()/.",
    ],
)
def test_paths_parse_and_print_round_trip(source: str) -> None:
    t = tree(source)
    assert tree(to_source(t)) == t


def test_instance_path_shape() -> None:
    t = tree("instance('c')/root/item[name = ${x}]/label")
    assert isinstance(t, A.Path)
    assert t.start == A.Call("instance", (A.String("c"),))
    assert [s.test for s in t.steps] == ["root", "item", "label"]
    assert t.steps[1].predicates == (A.Binary("=", _path("name"), A.Ref("x")),)


def test_literals() -> None:
    assert tree(".557586") == n(0.557586)
    assert tree("123456.0000") == n(123456.0)
    assert tree("5.") == n(5.0)
    assert tree('"it\'s"') == A.String("it's")
    assert tree("'say \"hi\"'") == A.String('say "hi"')
    assert tree("${last-saved#age}") == A.Ref("age", last_saved=True)


# --- errors and their positions ------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "position", "code", "fragment"),
    [
        ("concat('a', 'b'", 15, "expression_syntax", "expected ',' or ')'"),
        ("(1 + 2", 6, "expression_syntax", "expected ')'"),
        ("1 +", 3, "expression_syntax", "expected a value"),
        ("1 2", 2, "expression_syntax", "expected an operator"),
        ("${a} = ", 7, "expression_syntax", "expected a value"),
        ("'abc", 0, "expression_syntax", "unterminated string"),
        ("${age", 0, "expression_syntax", "unterminated reference"),
        ("${1abc}", 0, "expression_syntax", "invalid field name"),
        ("a[1", 3, "expression_syntax", "expected ']'"),
        ("1 + (2))", 7, "expression_syntax", "unexpected ')'"),
        ("a # b", 2, "expression_syntax", "unexpected character '#'"),
        ("1 ! 2", 2, "expression_syntax", "unexpected '!'"),
        ("", 0, "expression_syntax", "expected a value"),
        ("substr('hello')", 0, "expression_arity", "takes 2 to 3 arguments"),
        ("1 + if(1, 2)", 4, "expression_arity", "takes 3 arguments"),
        ("weighted-checklist(1, 2, 3)", 0, "expression_arity", "even"),
        ("true(1)", 0, "expression_arity", "takes 0 arguments"),
        ("//a", 0, "expression_unsupported", "'//'"),
        ("/data//a", 5, "expression_unsupported", "'//'"),
        ("a/@id", 2, "expression_unsupported", "attributes"),
        ("ancestor::a", 0, "expression_unsupported", "ancestor axis"),
        ("a/text()", 2, "expression_unsupported", "text()"),
        ("$x + 1", 0, "expression_unsupported", "XPath variables"),
        ("(1)/", 4, "expression_syntax", "expected a name, '.' or '..'"),
    ],
)
def test_error_positions(source: str, position: int, code: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        parse(source)
    err = info.value
    assert err.position == position, str(err)
    assert err.code == code
    assert err.source == source
    assert fragment in str(err)
    assert f"at position {position}" in str(err)


def test_deep_nesting_is_a_clean_error() -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("(" * 5000 + "1" + ")" * 5000)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse("-" * 5000 + "1")


def test_long_flat_expressions_are_fine() -> None:
    source = " + ".join(["1"] * 3000)
    e = parse(source)
    assert to_source(e.tree) == source
    assert parse(" and ".join(["1 = 1"] * 3000)).tree is not None


# --- analysis --------------------------------------------------------------------------------
def test_references_functions_unknowns() -> None:
    e = parse("if(selected(${a}, 'x'), duration() + ${b}, count-if(${c})) + ${last-saved#d}")
    assert e.references == {"a", "b", "c"}
    assert e.last_saved_references == {"d"}
    assert e.functions == {"if", "selected", "duration", "count-if"}
    assert e.unknown_functions == {"duration", "count-if"}
    assert not e.volatile


@pytest.mark.parametrize(
    "name",
    [
        "duration",
        "device-info",
        "difference-in-months",
        "add-date",
        "count-if",
        "choice-label",
        "de-duplicate",
        "phone-call-log",
        "index",
        "substring",
    ],
)
def test_platform_functions_are_unknown_not_syntax_errors(name: str) -> None:
    assert parse(f"{name}(1, 2)").unknown_functions == {name}


def test_known_functions_are_not_unknown() -> None:
    assert parse("pulldata('f', 'c', 'k', ${x})").unknown_functions == frozenset()
    assert parse("jr:choice-name(${x}, '${q}')").references == {"x", "q"}


@pytest.mark.parametrize(
    ("source", "volatile"),
    [
        ("now()", True),
        ("today() - 1", True),
        ("random()", True),
        ("uuid()", True),
        ("randomize(${r})", True),
        ("randomize(${r}, 4)", False),
        ("once(now())", True),
        ("${a} + 1", False),
    ],
)
def test_volatile(source: str, volatile: bool) -> None:
    assert parse(source).volatile is volatile


def test_context_and_instance_flags() -> None:
    assert parse(". > 3").uses_context
    assert parse("string-length()").uses_context
    assert not parse("${a}[x = 1]").uses_context  # relative only inside the predicate
    e = parse("instance('cities')/root/item[state = current()/../s]/name")
    assert e.uses_instance and e.uses_current and e.instance_ids == {"cities"}
    assert parse("pulldata('hh', 'n', 'id', ${i})").instance_ids == {"hh"}


def test_parse_is_cached() -> None:
    assert parse("1 + ${cache_me}") is parse("1 + ${cache_me}")
