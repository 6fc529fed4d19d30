"""The tokenizer: expression text -> a list of ``Token`` with their source positions.

It implements XPath 1.0's lexical rules (section 3.7), including the one that makes the
grammar context-sensitive: after a token that ends an operand, ``*`` is multiplication and
``and``/``or``/``div``/``mod`` are operators; anywhere else they are name tests. A name
directly followed by ``(`` is a function call (or a node type test such as ``node()``), and
by ``::`` an axis. ``${name}`` and ``${last-saved#name}`` (XLSForm references) are single
tokens. Positions are 0-based character offsets, so errors can point at the character.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

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

# Tokens after which an operand (not an operator) must follow: XPath 1.0 section 3.7.
_OPERAND_FOLLOWS = frozenset({AT, COLONCOLON, LPAREN, LBRACK, COMMA, OP})


@dataclass(frozen=True, slots=True)
class Token:
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


def _is_digit(c: str) -> bool:
    return "0" <= c <= "9"


def _is_space(c: str) -> bool:
    # XPath only names space, tab, CR and LF; other Unicode spaces (NBSP pasted from a
    # spreadsheet) are accepted too, since treating them as errors helps nobody.
    return c in " \t\r\n" or c.isspace()


def valid_field_name(name: str) -> bool:
    """An XLSForm ``name``: starts with a letter or ``_``; letters, digits, ``-_.``."""
    return bool(name) and is_name_start(name[0]) and all(is_name_char(c) for c in name)


def tokenize(source: str) -> list[Token]:
    """Split ``source`` into tokens, ending with an EOF token. Raises ExpressionError."""
    tokens: list[Token] = []
    n = len(source)
    i = 0

    def error(message: str, pos: int, code: str = SYNTAX) -> ExpressionError:
        return ExpressionError(
            f"{message} at position {pos}", code=code, position=pos, source=source
        )

    def operand_follows() -> bool:
        return not tokens or tokens[-1].kind in _OPERAND_FOLLOWS

    def skip_space(j: int) -> int:
        while j < n and _is_space(source[j]):
            j += 1
        return j

    while True:
        i = skip_space(i)
        if i >= n:
            tokens.append(Token(EOF, "", n))
            return tokens
        c = source[i]
        start = i

        if _is_digit(c) or (c == "." and i + 1 < n and _is_digit(source[i + 1])):
            while i < n and _is_digit(source[i]):
                i += 1
            if i < n and source[i] == ".":
                i += 1
                while i < n and _is_digit(source[i]):
                    i += 1
            text = source[start:i]
            tokens.append(Token(NUMBER, text, start, float(text)))
            continue

        if c in "'\"":
            end = source.find(c, i + 1)
            if end < 0:
                raise error(f"unterminated string (missing closing {c})", start)
            tokens.append(Token(STRING, source[start : end + 1], start, source[start + 1 : end]))
            i = end + 1
            continue

        if c == "$":
            if i + 1 < n and source[i + 1] == "{":
                end = source.find("}", i + 2)
                if end < 0:
                    raise error("unterminated reference (missing '}')", start)
                name = source[i + 2 : end]
                bare = (
                    name[len(LAST_SAVED_PREFIX) :] if name.startswith(LAST_SAVED_PREFIX) else name
                )
                if not valid_field_name(bare):
                    raise error(f"invalid field name {name!r} in ${{...}}", start)
                tokens.append(Token(REF, source[start : end + 1], start, name))
                i = end + 1
                continue
            raise error(
                "XPath variables ($name) are not supported; use ${name}", start, UNSUPPORTED
            )

        if is_name_start(c):
            i += 1
            while i < n and is_name_char(source[i]):
                i += 1
            # A QName (jr:choice-name) or prefix:* - a single ':' followed by a name or '*'.
            if i + 1 < n and source[i] == ":" and source[i + 1] != ":":
                if is_name_start(source[i + 1]):
                    i += 2
                    while i < n and is_name_char(source[i]):
                        i += 1
                elif source[i + 1] == "*":
                    i += 2
            text = source[start:i]
            if not operand_follows() and text in OPERATOR_NAMES:
                tokens.append(Token(OP, text, start, text))
                continue
            # A name where an operator is required stays a name: the parser then reports
            # "expected an operator" at its position.
            after = skip_space(i)
            if after < n and source[after] == "(" and not text.endswith(":*"):
                kind = NODETYPE if text in NODE_TYPES else FUNC
                tokens.append(Token(kind, text, start, text))
            elif source.startswith("::", after) and ":" not in text:
                tokens.append(Token(AXIS, text, start, text))
            else:
                tokens.append(Token(NAME, text, start, text))
            continue

        two = source[i : i + 2]
        if two in ("!=", "<=", ">=", "//"):
            tokens.append(Token(OP, two, start, two))
            i += 2
            continue
        if two == "::":
            tokens.append(Token(COLONCOLON, two, start, two))
            i += 2
            continue
        if two == "..":
            tokens.append(Token(DOTDOT, two, start, two))
            i += 2
            continue
        if c == "*":
            kind = NAME if operand_follows() else OP
            tokens.append(Token(kind, c, start, c))
            i += 1
            continue
        if c in "+-=<>|/":
            tokens.append(Token(OP, c, start, c))
            i += 1
            continue
        if c in "()[],.@":
            tokens.append(Token(c, c, start, c))
            i += 1
            continue
        if c == "!":
            raise error("unexpected '!' (did you mean '!=' or not(...)?)", start)
        raise error(f"unexpected character {c!r}", start)
