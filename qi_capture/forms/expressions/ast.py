"""The expression syntax tree: small immutable nodes, each with its source position.

Positions (``pos``, 0-based) are excluded from equality so that two trees of the same
expression compare equal however they were spaced (the printer round-trip relies on it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Axis: TypeAlias = Literal["child", "self", "parent"]


@dataclass(frozen=True, slots=True)
class Number:
    value: float
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class String:
    value: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Ref:
    """``${name}`` (``last_saved``: ``${last-saved#name}``)."""

    name: str
    last_saved: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Unary:
    """Unary minus (the only unary operator of XPath)."""

    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Binary:
    """``op`` is one of: or and = != < <= > >= + - * div mod |."""

    op: str
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Step:
    """One location step. ``test`` is a name, ``*``, ``prefix:*`` or ``node()``.

    The abbreviations ``.`` and ``..`` are ``Step("self", "node()")`` and
    ``Step("parent", "node()")``; ``abbreviated`` keeps how it was written for printing.
    """

    axis: Axis
    test: str
    predicates: tuple[Node, ...] = ()
    abbreviated: bool = False
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Filter:
    """A primary expression with predicates: ``${repeat}[age < 18]``, ``(a | b)[1]``."""

    primary: Node
    predicates: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Path:
    """A location path.

    ``start`` says where it starts: ``"root"`` (``/a/b``), ``"context"`` (``a/b``, ``../x``)
    or an expression yielding nodes (``${group}/x``, ``instance('id')/root/item``,
    ``current()/../x``). ``steps`` may be empty only for the bare root ``/``.
    """

    start: Literal["root", "context"] | Node
    steps: tuple[Step, ...]
    pos: int = field(default=0, compare=False)


Node: TypeAlias = Number | String | Ref | Unary | Binary | Call | Path | Filter


def walk(node: Node) -> list[Node]:
    """Every node of the tree, parents before children (iterative: trees can be deep)."""
    out: list[Node] = []
    stack: list[Node] = [node]
    while stack:
        cur = stack.pop()
        out.append(cur)
        if isinstance(cur, Unary):
            stack.append(cur.operand)
        elif isinstance(cur, Binary):
            stack.extend((cur.right, cur.left))
        elif isinstance(cur, Call):
            stack.extend(reversed(cur.args))
        elif isinstance(cur, Filter):
            stack.extend(reversed(cur.predicates))
            stack.append(cur.primary)
        elif isinstance(cur, Path):
            for step in reversed(cur.steps):
                stack.extend(reversed(step.predicates))
            if not isinstance(cur.start, str):
                stack.append(cur.start)
    return out
