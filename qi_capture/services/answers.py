"""Answers as the store keeps them: a flat map of question path -> stored text.

Paths are the form session's (``household[2]/member[1]/age``, groups by name, repeat
instances from 1), so an autosaved draft row, a ``ValueChanged`` event and a revision's
snapshot all name a question the same way. Empty answers are left out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from qi_capture.storage.canonical import JsonValue

_INDEXED = re.compile(r"^(?P<name>[^\[\]/]+)\[(?P<index>[1-9]\d*)\]$")


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, JsonValue]:
    """``to_state()["data"]`` / ``to_submission()["data"]`` -> {path: text}."""
    out: dict[str, JsonValue] = {}
    for name, value in data.items():
        path = f"{prefix}{name}"
        if isinstance(value, list):
            for index, instance in enumerate(value, start=1):
                if isinstance(instance, Mapping):
                    out.update(flatten(instance, f"{path}[{index}]/"))
        elif isinstance(value, Mapping):
            out.update(flatten(value, f"{path}/"))
        elif value is not None and value != "":
            out[path] = value
    return out


def unflatten(answers: Mapping[str, JsonValue]) -> dict[str, Any]:
    """The inverse of `flatten`, for ``FormSession.from_submission``: repeat instances
    before the highest index named are created empty, so positions are kept."""
    root: dict[str, Any] = {}
    for path, value in answers.items():
        node: dict[str, Any] = root
        parts = path.split("/")
        for depth, part in enumerate(parts):
            last = depth == len(parts) - 1
            match = _INDEXED.match(part)
            if match is not None:
                instances = node.setdefault(match["name"], [])
                if not isinstance(instances, list) or last:
                    break
                index = int(match["index"])
                while len(instances) < index:
                    instances.append({})
                node = instances[index - 1]
            elif last:
                node[part] = value
            else:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    break
                node = child
    return root


def snapshot(submission: Mapping[str, Any]) -> dict[str, JsonValue]:
    """What a revision keeps: the submission's relevant, non-empty values, plus ODK's
    ``meta/deprecatedID`` when the record is an edit (forms rarely declare that field)."""
    answers = flatten(submission.get("data", {}))
    meta = submission.get("meta", {})
    deprecated = meta.get("deprecatedID") if isinstance(meta, Mapping) else None
    if deprecated:
        answers.setdefault("meta/deprecatedID", deprecated)
    return answers
