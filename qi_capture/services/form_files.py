"""The form author's door, for ``qi-capture form check`` and ``form run``: load an
XLSForm file and summarise it, or fill it headlessly from a mapping of answers, with no
profile. It hands out plain values (dicts ready for JSON, tuples of issues); the form
engine stays behind it.

`FormError` (the form cannot be loaded: every problem, with where) and `AnswerError` (an
answer the form refuses) are re-exported for callers to tell them apart.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qi_capture.forms import Form, FormError, FormIssue, load_form
from qi_capture.forms.errors import FILE_UNREADABLE
from qi_capture.forms.model import Element
from qi_capture.forms.session import AnswerError
from qi_capture.forms.session.instance import FieldNode, iter_nodes
from qi_capture.forms.session.runtime import HIDDEN_TYPES

__all__ = ["AnswerError", "FormCheck", "FormError", "FormRun", "Issue", "check_form_file",
           "issues", "run_form_file"]

#: Fields pyxform adds to every form; not questions of the author's.
_GENERATED_META = frozenset({"instanceID", "instanceName"})


@dataclass(frozen=True)
class Issue:
    """A problem or warning in a form file."""

    where: str  # sheet/row/column, "-" for an unknown part
    message: str
    text: str  # as the engine words it whole
    json: Mapping[str, Any]
    unreadable: bool  # the file itself cannot be read (not its content)


def _issue(issue: FormIssue) -> Issue:
    where = "/".join(str(part) if part else "-" for part in (issue.sheet, issue.row,
                                                            issue.column))
    return Issue(where, issue.message, str(issue), issue.to_json(),
                 issue.code == FILE_UNREADABLE)


def issues(error: FormError) -> tuple[Issue, ...]:
    return tuple(_issue(i) for i in error.errors)


@dataclass(frozen=True)
class FormCheck:
    summary: Mapping[str, Any]  # title, ids, question counts, languages, warnings (JSON)
    warnings: tuple[Issue, ...]


def check_form_file(path: str | Path) -> FormCheck:
    """Load the form (raising `FormError` with every problem) and summarise it."""
    form = load_form(path)
    return FormCheck(_summarise(form), tuple(_issue(w) for w in form.warnings))


def _question_counts(form: Form) -> dict[str, int]:
    counts = Counter(
        e.type for e in form.fields()
        if not (e.path[0] == "meta" and e.name in _GENERATED_META)
    )
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _is_meta(element: Element) -> bool:
    return element.path == ("meta",) and all(c.name in _GENERATED_META
                                             for c in element.children)


def _summarise(form: Form) -> dict[str, Any]:
    counts = _question_counts(form)
    return {
        "title": form.title,
        "form_id": form.form_id,
        "version": form.version,
        "questions": sum(counts.values()),
        "questions_by_type": counts,
        "groups": sum(1 for e in form.elements() if e.kind == "group" and not _is_meta(e)),
        "repeats": sum(1 for e in form.elements() if e.kind == "repeat"),
        "languages": list(form.languages),
        "default_language": form.default_language,
        "warnings": [w.to_json() for w in form.warnings],
    }


@dataclass(frozen=True)
class FormRun:
    form_id: str
    title: str
    version: str | None
    fields: tuple[dict[str, Any], ...]  # path, value, calculated: the relevant fields
    errors: tuple[dict[str, str], ...]  # path, kind, message
    submission: dict[str, Any]


def load_form_file(path: str | Path) -> None:
    """Load the form only (`FormError` if it cannot be), e.g. before reading answers."""
    load_form(path)


def run_form_file(path: str | Path, answers: Mapping[str, Any],
                  language: str | None = None) -> FormRun:
    """Fill the form with ``answers`` (path -> value, in order; repeat instances a path
    names are added first) through a real form session. Raises `FormError` or
    `AnswerError`."""
    form = load_form(path)
    session = form.new_session(language=language)
    for answer_path, value in answers.items():
        session.ensure_instances(answer_path)
        session.set(answer_path, value)
    fields = tuple(
        {"path": node.path(), "value": node.raw,
         "calculated": node.element.calculation is not None}
        for node in iter_nodes(session.root)
        if isinstance(node, FieldNode) and node.relevant() and not _is_plumbing(node)
    )
    errors = tuple({"path": i.path, "kind": i.kind, "message": i.message}
                   for i in session.errors())
    return FormRun(form.form_id, form.title, form.version, fields, errors,
                   session.to_submission(finalise=not errors))


def _is_plumbing(node: FieldNode) -> bool:
    """Metadata the session fills itself (start, instanceID...) stays out of the listing,
    unless the form shows it."""
    element = node.element
    return element.type in HIDDEN_TYPES and element.calculation is None
