"""docs/information-governance.md backs every statement with a test named beside it: each
row of its tables names at least one test, and every test it names exists (the file, and
a test function of that name in it)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.needs import PROJECT_ROOT

PAGE = PROJECT_ROOT / "docs" / "information-governance.md"
NODE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(\[[^\]`]*\])?`")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")}


def test_every_statement_names_a_test() -> None:
    rows = [line for line in PAGE.read_text(encoding="utf-8").splitlines()
            if line.startswith("|") and not re.fullmatch(r"\|[-| ]+\|", line)]
    headers = [line for line in rows if line.rstrip().endswith("| test |")]
    assert len(headers) >= 5  # the tables are there
    missing = [line for line in rows if line not in headers and not NODE.search(line)]
    assert missing == []


def test_every_named_test_exists() -> None:
    named = NODE.findall(PAGE.read_text(encoding="utf-8"))
    assert len(named) >= 30
    absent = []
    for file, name, _param in named:
        path = PROJECT_ROOT / file
        if not path.is_file() or name not in _tests_in(path):
            absent.append(f"{file}::{name}")
    assert absent == []
