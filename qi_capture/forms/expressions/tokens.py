"""The tokenizer: expression text -> a list of ``Token`` with their source positions.

It implements XPath 1.0's lexical rules (section 3.7), including the one that makes the
grammar context-sensitive: after a token that ends an operand, ``*`` is multiplication and
``and``/``or``/``div``/``mod`` are operators; anywhere else they are name tests. A name
directly followed by ``(`` is a function call (or a node type test such as ``node()``), and
by ``::`` an axis. ``${name}`` and ``${last-saved#name}`` (XLSForm references) are single
tokens. Positions are 0-based character offsets, so errors can point at the character.
White space is any Unicode white space: XPath only names space, tab, CR and LF, but a
no-break space pasted from a spreadsheet should not make a form fail.
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from qi_capture.forms.expressions.errors import SYNTAX, UNSUPPORTED, ExpressionError

# Token kinds. Plain strings: cheap to compare and readable in error messages and tests.
NUMBER = "number"
STRING = "string"
REF = "ref"  # ${name}; value = name, or "last-saved#name"
NAME = "name"  # a name test: NCName, QName, "*" or "prefix:*"
FUNC = "func"  # a function name (followed by "(")
NODETYPE = "nodetype"  # node / text / comment / processing-instruction followed by "("
AXIS = "axis"  # an axis name (followed by "::")
OP = "op"  # and or div mod * + - = != < <= > >= | / //
LPAREN = "("
RPAREN = ")"
LBRACK = "["
RBRACK = "]"
COMMA = ","
DOT = "."
DOTDOT = ".."
AT = "@"
COLONCOLON = "::"
EOF = "end"

OPERATOR_NAMES = frozenset({"and", "or", "div", "mod"})
NODE_TYPES = frozenset({"node", "text", "comment", "processing-instruction"})
LAST_SAVED_PREFIX = "last-saved#"

# After @ :: ( [ , and operators an operand (not an operator) follows: XPath 1.0 s3.7.


class Token(NamedTuple):
    kind: str
    text: str
    pos: int
    #: NUMBER: the float; STRING: the unquoted text; REF: the referenced name; else the text.
    value: object = None

    def describe(self) -> str:
        """How error messages name this token."""
        if self.kind == EOF:
            return "end of expression"
        return repr(self.text)


def is_name_start(c: str) -> bool:
    return c.isalpha() or c == "_"


def is_name_char(c: str) -> bool:
    if c.isalnum() or c in "._-":
        return True
    # Combining marks and extenders are NCName characters too (XML Namespaces NCNameChar).
    return c > "\x7f" and unicodedata.category(c) in ("Mn", "Mc", "Lm")


def valid_field_name(name: str) -> bool:
    """An XLSForm ``name``: starts with a letter or ``_``; letters, digits, ``-_.``."""
    return bool(name) and is_name_start(name[0]) and all(is_name_char(c) for c in name)


# One regular expression finds the next token (the tokenizer runs once per distinct
# expression at form load, where it was the hot spot); context-dependent decisions are made
# afterwards in Python.
_TOKEN = re.compile(
    r"""
     (?P<space>\s+)
    |(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)
    |(?P<string>'[^']*'|"[^"]*")
    |(?P<ref>\$\{[^}]*\})
    |(?P<name>[^\W\d][\w.\-]*(?::(?:[^\W\d][\w.\-]*|\*))?)
    |(?P<op2>!=|<=|>=|//|::|\.\.)
    |(?P<op1>[*+\-=<>|/()\[\],.@])
    """,
    re.VERBOSE,
)
_PAREN_AHEAD = re.compile(r"\s*\(")
_AXIS_AHEAD = re.compile(r"\s*::")
_PUNCT_KIND = {"(": LPAREN, ")": RPAREN, "[": LBRACK, "]": RBRACK, ",": COMMA, ".": DOT, "@": AT}
_OP2_KIND = {"!=": OP, "<=": OP, ">=": OP, "//": OP, "::": COLONCOLON, "..": DOTDOT}


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with an EOF token. Raises ExpressionError."""
    tokens: list[Token] = []
    append = tokens.append
    n = len(source)
    i = 0
    match = _TOKEN.match
    # Whether the previous token lets an operand (rather than an operator) follow.
    operand_follows = True

    def error(message: str, pos: int, code: str = SYNTAX) -> ExpressionError:
        return ExpressionError(
            f"{message} at position {pos}", code=code, position=pos, source=source
        )

    while i < n:
        m = match(source, i)
        if m is None:
            c = source[i]
            if c in "'\"":
                raise error(f"unterminated string (missing closing {c})", i)
            if source.startswith("${", i):
                raise error("unterminated reference (missing '}')", i)
            if c == "$":
                raise error(
                    "XPath variables ($name) are not supported; use ${name}", i, UNSUPPORTED
                )
            if c == "!":
                raise error("unexpected '!' (did you mean '!=' or not(...)?)", i)
            raise error(f"unexpected character {c!r}", i)
        kind = m.lastgroup
        text = m.group()
        start = i
        i = m.end()
        if kind == "space":
            continue
        if kind == "number":
            append(Token(NUMBER, text, start, float(text)))
            operand_follows = False
        elif kind == "string":
            append(Token(STRING, text, start, text[1:-1]))
            operand_follows = False
        elif kind == "ref":
            name = text[2:-1]
            bare = name[len(LAST_SAVED_PREFIX) :] if name.startswith(LAST_SAVED_PREFIX) else name
            if not valid_field_name(bare):
                raise error(f"invalid field name {name!r} in ${{...}}", start)
            append(Token(REF, text, start, name))
            operand_follows = False
        elif kind == "name":
            # Names may also hold combining marks, which \w does not cover.
            while i < n and is_name_char(source[i]):
                i += 1
            text = source[start:i]
            if not operand_follows and text in OPERATOR_NAMES:
                append(Token(OP, text, start, text))
                operand_follows = True
                continue
            # A name where an operator is required stays a name: the parser then reports
            # "expected an operator" at its position.
            if not text.endswith(":*") and _PAREN_AHEAD.match(source, i):
                append(Token(NODETYPE if text in NODE_TYPES else FUNC, text, start, text))
                operand_follows = True  # "(" follows
            elif ":" not in text and _AXIS_AHEAD.match(source, i):
                append(Token(AXIS, text, start, text))
                operand_follows = True
            else:
                append(Token(NAME, text, start, text))
                operand_follows = False
        elif kind == "op2":
            tk = _OP2_KIND[text]
            append(Token(tk, text, start, text))
            operand_follows = tk != DOTDOT
        else:  # op1
            if text == "*":
                if operand_follows:
                    append(Token(NAME, text, start, text))
                    operand_follows = False
                else:
                    append(Token(OP, text, start, text))
                    operand_follows = True
            elif text in _PUNCT_KIND:
                tk = _PUNCT_KIND[text]
                append(Token(tk, text, start, text))
                operand_follows = tk not in (RPAREN, RBRACK, DOT)
            else:
                append(Token(OP, text, start, text))
                operand_follows = True
    append(Token(EOF, "", n))
    return tokens
