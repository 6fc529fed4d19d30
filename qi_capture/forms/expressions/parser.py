"""The parser: tokens -> syntax tree, by precedence climbing (a Pratt parser).

Grammar: XPath 1.0 restricted as FORMS.md section 6 says (child, self and parent axes;
no ``//``, attributes, ``text()`` or variables), plus XLSForm ``${name}`` references as
primary expressions. Binding powers follow XPath 1.0 precedence, lowest first:
``or`` < ``and`` < ``= !=`` < ``< <= > >=`` < ``+ -`` < ``* div mod`` < unary ``-`` < ``|``.
All binary operators are left-associative (``1 - 2 - 3`` = -4, ``3 < 4 < 5`` is
``(3 < 4) < 5``).

Errors are ``ExpressionError`` naming what was expected and where: "expected ')' at
position 12, found end of expression". Calls to known functions are checked for their
argument count here, so a form with ``substr('a')`` fails to load instead of failing later.
"""

from __future__ import annotations

from qi_capture.forms.expressions import ast
from qi_capture.forms.expressions.errors import ARITY, SYNTAX, UNSUPPORTED, ExpressionError
from qi_capture.forms.expressions.signatures import signature
from qi_capture.forms.expressions.tokens import (
    AT,
    AXIS,
    COLONCOLON,
    COMMA,
    DOT,
    DOTDOT,
    EOF,
    FUNC,
    LAST_SAVED_PREFIX,
    LBRACK,
    LPAREN,
    NAME,
    NODETYPE,
    NUMBER,
    OP,
    RBRACK,
    REF,
    RPAREN,
    STRING,
    Token,
    tokenize,
)

#: Left binding power of each binary operator.
BINDING_POWER: dict[str, int] = {
    "or": 10,
    "and": 20,
    "=": 30,
    "!=": 30,
    "<": 40,
    "<=": 40,
    ">": 40,
    ">=": 40,
    "+": 50,
    "-": 50,
    "*": 60,
    "div": 60,
    "mod": 60,
    "|": 80,
}
UNARY_BINDING_POWER = 70

#: Deeper nesting than this is refused with a clear error instead of a RecursionError.
#: Real forms nest a dozen levels at most; 100 keeps parsing, compiling and evaluating
#: well inside Python's default recursion limit, even under a deep caller stack.
MAX_DEPTH = 100

_AXES = ("child", "self", "parent")
_STEP_START = frozenset({NAME, AXIS, DOT, DOTDOT, AT, NODETYPE})


class _Parser:
    __slots__ = ("depth", "i", "source", "tokens")

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    # --- helpers ------------------------------------------------------------------------
    def peek(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != EOF:
            self.i += 1
        return tok

    def error(self, message: str, tok: Token, code: str = SYNTAX) -> ExpressionError:
        return ExpressionError(
            f"{message} at position {tok.pos}", code=code, position=tok.pos, source=self.source
        )

    def expected(self, what: str) -> ExpressionError:
        tok = self.peek()
        return ExpressionError(
            f"expected {what} at position {tok.pos}, found {tok.describe()}",
            code=SYNTAX,
            position=tok.pos,
            source=self.source,
        )

    def expect(self, kind: str, what: str) -> Token:
        if self.peek().kind != kind:
            raise self.expected(what)
        return self.advance()

    # --- grammar ------------------------------------------------------------------------
    def parse(self) -> ast.Node:
        node = self.expr(0)
        tok = self.peek()
        if tok.kind != EOF:
            if tok.kind == RPAREN:
                raise self.error("unexpected ')' (no matching '(')", tok)
            if tok.kind == RBRACK:
                raise self.error("unexpected ']' (no matching '[')", tok)
            raise self.expected("an operator or the end of the expression")
        return node

    def expr(self, rbp: int) -> ast.Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("expression nested too deeply", self.peek())
        left = self.unary()
        while True:
            tok = self.peek()
            if tok.kind != OP:
                break
            lbp = BINDING_POWER.get(tok.text)
            if lbp is None:
                # '/' or '//' after something that cannot start a path (a number, ')'...).
                raise self.error(f"unexpected {tok.text!r}", tok)
            if lbp <= rbp:
                break
            self.advance()
            right = self.expr(lbp)
            left = ast.Binary(tok.text, left, right, tok.pos)
        self.depth -= 1
        return left

    def unary(self) -> ast.Node:
        tok = self.peek()
        if tok.kind == OP and tok.text == "-":
            self.advance()
            operand = self.expr(UNARY_BINDING_POWER)
            return ast.Unary(operand, tok.pos)
        return self.path_expr()

    def path_expr(self) -> ast.Node:
        tok = self.peek()
        if tok.kind == OP and tok.text == "/":
            self.advance()
            steps = self.relative_path() if self.peek().kind in _STEP_START else ()
            return ast.Path("root", steps, tok.pos)
        if tok.kind == OP and tok.text == "//":
            raise self.error("'//' (descendant paths) is not supported", tok, UNSUPPORTED)
        if tok.kind in _STEP_START:
            return ast.Path("context", self.relative_path(), tok.pos)
        primary = self.primary()
        predicates = self.predicates()
        start: ast.Node = ast.Filter(primary, predicates, tok.pos) if predicates else primary
        nxt = self.peek()
        if nxt.kind == OP and nxt.text == "/":
            self.advance()
            return ast.Path(start, self.relative_path(), tok.pos)
        if nxt.kind == OP and nxt.text == "//":
            raise self.error("'//' (descendant paths) is not supported", nxt, UNSUPPORTED)
        return start

    def primary(self) -> ast.Node:
        tok = self.peek()
        kind = tok.kind
        if kind == NUMBER:
            self.advance()
            assert isinstance(tok.value, float)
            return ast.Number(tok.value, tok.pos)
        if kind == STRING:
            self.advance()
            return ast.String(str(tok.value), tok.pos)
        if kind == REF:
            self.advance()
            name = str(tok.value)
            if name.startswith(LAST_SAVED_PREFIX):
                return ast.Ref(name[len(LAST_SAVED_PREFIX) :], True, tok.pos)
            return ast.Ref(name, False, tok.pos)
        if kind == LPAREN:
            self.advance()
            inner = self.expr(0)
            self.expect(RPAREN, "')'")
            return inner
        if kind == FUNC:
            return self.call()
        if kind == EOF:
            raise self.expected("a value, ${name}, a path or a function call")
        if kind == OP:
            raise self.error(f"expected a value before {tok.text!r}", tok)
        raise self.expected("a value, ${name}, a path or a function call")

    def call(self) -> ast.Node:
        tok = self.advance()
        name = tok.text
        self.expect(LPAREN, "'('")
        args: list[ast.Node] = []
        if self.peek().kind != RPAREN:
            while True:
                args.append(self.expr(0))
                if self.peek().kind == COMMA:
                    self.advance()
                    continue
                if self.peek().kind != RPAREN:
                    raise self.expected("',' or ')'")
                break
        self.advance()
        sig = signature(name)
        if sig is not None and not sig.accepts(len(args)):
            raise self.error(
                f"function {name}() takes {sig.describe()}, not {len(args)},", tok, ARITY
            )
        return ast.Call(name, tuple(args), tok.pos)

    def predicates(self) -> tuple[ast.Node, ...]:
        preds: list[ast.Node] = []
        while self.peek().kind == LBRACK:
            self.advance()
            preds.append(self.expr(0))
            self.expect(RBRACK, "']'")
        return tuple(preds)

    def relative_path(self) -> tuple[ast.Step, ...]:
        steps = [self.step()]
        while True:
            tok = self.peek()
            if tok.kind == OP and tok.text == "/":
                self.advance()
                steps.append(self.step())
            elif tok.kind == OP and tok.text == "//":
                raise self.error("'//' (descendant paths) is not supported", tok, UNSUPPORTED)
            else:
                return tuple(steps)

    def step(self) -> ast.Step:
        tok = self.peek()
        if tok.kind == DOT:
            self.advance()
            return ast.Step("self", "node()", (), True, tok.pos)
        if tok.kind == DOTDOT:
            self.advance()
            return ast.Step("parent", "node()", (), True, tok.pos)
        if tok.kind == AT:
            raise self.error("attributes ('@') are not supported", tok, UNSUPPORTED)
        axis: ast.Axis = "child"
        if tok.kind == AXIS:
            if tok.text not in _AXES:
                raise self.error(f"the {tok.text} axis is not supported", tok, UNSUPPORTED)
            self.advance()
            self.expect(COLONCOLON, "'::'")
            axis = "self" if tok.text == "self" else "parent" if tok.text == "parent" else "child"
        test_tok = self.peek()
        if test_tok.kind == NAME:
            self.advance()
            test = test_tok.text
        elif test_tok.kind == NODETYPE:
            if test_tok.text != "node":
                raise self.error(f"{test_tok.text}() is not supported", test_tok, UNSUPPORTED)
            self.advance()
            self.expect(LPAREN, "'('")
            self.expect(RPAREN, "')'")
            test = "node()"
        else:
            raise self.expected("a name, '.' or '..'")
        return ast.Step(axis, test, self.predicates(), False, tok.pos)


def parse_ast(source: str) -> ast.Node:
    """Parse ``source`` into a syntax tree. Raises ``ExpressionError``."""
    if not isinstance(source, str):
        raise ExpressionError("an expression must be text", code=SYNTAX, source=repr(source))
    try:
        return _Parser(source).parse()
    except RecursionError as exc:  # pragma: no cover - MAX_DEPTH should prevent it
        raise ExpressionError(
            "expression nested too deeply at position 0", code=SYNTAX, position=0, source=source
        ) from exc
