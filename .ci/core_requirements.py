"""Print the requirements of the core suite's run with Qt not installed (one per line).

The project's dependencies and test extra from pyproject.toml, minus what only the Qt
front end and its tests need (PySide6, pytest-qt), the packaging tool and the linters
(make test runs them once, in the main venv). Used by
``make test-core-without-qt`` (run by .ci/run), so the list never drifts from pyproject.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

#: Distributions the core must not need (their names as pyproject.toml spells them).
WITHOUT = {"pyside6-essentials", "pyside6", "pytest-qt", "pyinstaller", "import-linter", "ruff",
           "mypy"}

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml")
                        .read_text(encoding="utf-8"))["project"]
for requirement in [*project["dependencies"], *project["optional-dependencies"]["test"]]:
    name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
    if name.lower() not in WITHOUT:
        print(requirement)
