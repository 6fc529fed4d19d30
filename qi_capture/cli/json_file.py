"""Reading a JSON object that a person wrote or another program made (an answers file
for ``record fill`` and ``form run``, a merged answer set for ``conflicts resolve``):
one clear `CliError` naming the file for anything that is not a bounded JSON object,
never a RecursionError or a traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qi_capture.cli.common import EXIT_INVALID, CliError

#: Far beyond any answers file (attachments are named by path, never inlined).
MAX_JSON_BYTES = 16 * 1024 * 1024


def read_json_object(path: str | Path, what: str, *, exit_code: int = EXIT_INVALID,
                     max_bytes: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """The JSON object in ``path`` (``what`` names it in messages: "the answer file").
    Unreadable files are a usage error (exit 2); anything else wrong exits ``exit_code``."""
    try:
        with Path(path).open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise CliError(f"cannot read {what} {path}: {exc.strerror}") from None
    if len(raw) > max_bytes:
        raise CliError(f"{what} {path} is larger than {max_bytes // 1024 // 1024} MiB",
                       exit_code)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"{what} {path} is not UTF-8 text", exit_code) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                       f"{exc.msg})", exit_code) from None
    except ValueError:  # an integer past Python's digit limit
        raise CliError(f"{path} is not valid JSON (a number is too long)", exit_code) from None
    except RecursionError:
        raise CliError(f"{path} is not valid JSON (nested too deeply)", exit_code) from None
    if not isinstance(value, dict):
        raise CliError(f"{path} must hold a JSON object of path -> value", exit_code)
    return value
