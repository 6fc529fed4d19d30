"""Interviews as thematic coding reads them: which forms of a study are interview
guides, which of their answers are coded (notes and key quotes), in what order and under
what headings, and each interview's stakeholder group and footprint.

An interview form is one with at least one key-quote question (named ``key_quote...``,
as the built-in interview guide's are). Its codable fields are its text questions outside
repeats that are notes (multi-line) or key quotes, except those that name someone or an
organisation or hold the interviewer's own reflections (the rule the report uses too).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dataclass_field
from functools import lru_cache

import orjson

from qi_capture.central.store import CentralStore
from qi_capture.coding.model import TranscriptItem, TranscriptSection
from qi_capture.forms.model import Element, Form
from qi_capture.services.admin import render
from qi_capture.services.admin.dto import short_id
from qi_capture.services.admin.exports import version_key
from qi_capture.storage.canonical import JsonValue

ROLE = ("participant_role", "role")
FOOTPRINT = ("footprint",)
CONSENT_QUOTES = ("consent_quotes",)
_IDENTIFYING = re.compile(r"(^|_)(name|names|org|organisation|email|phone|address|"
                          r"postcode|reflections|other)(_|$)")


@dataclass(frozen=True)
class Field:
    path: str
    section: str
    question: str
    quote: bool


@dataclass(frozen=True)
class Layout:
    """One interview form's coded fields in form order, and its grouping questions."""

    form_id: str
    fields: tuple[Field, ...]
    role: str | None
    role_labels: Mapping[str, str]
    footprint: str | None
    footprint_labels: Mapping[str, str]
    consent_quotes: str | None
    #: Identifies the compiled form version (its hash): interviews read with it are cached.
    key: str = ""
    by_path: Mapping[str, Field] = dataclass_field(default_factory=dict, compare=False,
                                                   repr=False)

    def field(self, path: str) -> Field | None:
        return self.by_path.get(path)


def is_interview_form(form: Form) -> bool:
    return any(e.name.startswith("key_quote") for e in form.fields())


def layout_of(form: Form, key: str = "") -> Layout:
    language = form.default_language
    fields: list[Field] = []

    def walk(elements: tuple[Element, ...], section: str) -> None:
        for element in elements:
            if element.kind == "repeat":
                continue
            if element.children:
                walk(element.children, render.label_of(element, language))
                continue
            if element.type != "text" or _IDENTIFYING.search(element.name):
                continue
            quote = element.name.startswith("key_quote")
            if quote or "multiline" in element.appearance:
                fields.append(Field(element.path_str, section,
                                    render.label_of(element, language), quote))

    walk(form.children, form.title or form.form_id)
    role = _named(form, ROLE)
    footprint = _named(form, FOOTPRINT)
    consent = _named(form, CONSENT_QUOTES)
    return Layout(form.form_id, tuple(fields),
                  None if role is None else role.path_str, _labels(form, role, language),
                  None if footprint is None else footprint.path_str,
                  _labels(form, footprint, language),
                  None if consent is None else consent.path_str, key,
                  {f.path: f for f in fields})


def _named(form: Form, names: tuple[str, ...]) -> Element | None:
    for name in names:
        found = form.find(name)
        if found is not None and found.kind == "field":
            return found
    return None


def _labels(form: Form, element: Element | None, language: str | None) -> dict[str, str]:
    if element is None or not element.list_name:
        return {}
    return {c.name: (c.label.get(language) if c.label else None) or c.name
            for c in form.choices(element.list_name)}


def study_layouts(central: CentralStore, form_ids: tuple[str, ...]) -> dict[str, Layout]:
    """Form id -> layout (of its newest version) for the interview forms among
    ``form_ids``."""
    out = {}
    for form_id in form_ids:
        versions = central.form_versions(form_id)
        if not versions:
            continue
        newest = max(versions, key=lambda v: version_key(v.version))
        layout = _layout(newest.compiled_json, newest.sha256)
        if layout is not None:
            out[form_id] = layout
    return out


@lru_cache(maxsize=32)
def _layout(compiled_json: str, sha256: str) -> Layout | None:
    # Compiling a form takes longer than the page's queries: each version once.
    form = Form.from_json_text(compiled_json)
    return layout_of(form, f"{form.form_id}\n{form.version}\n{sha256}") \
        if is_interview_form(form) else None


@dataclass(frozen=True)
class Interview:
    """One interview's coded texts (field path -> text, non-empty only) and groups."""

    record_id: uuid.UUID
    revision: str
    form_id: str
    name: str
    review_status: str
    group: str | None
    footprint: str | None
    quotes_allowed: bool
    texts: Mapping[str, str]

    def sections(self, layout: Layout) -> tuple[TranscriptSection, ...]:
        out: list[TranscriptSection] = []
        items: list[TranscriptItem] = []
        title: str | None = None
        for f in layout.fields:
            text = self.texts.get(f.path)
            if text is None:
                continue
            if title is not None and f.section != title and items:
                out.append(TranscriptSection(title, tuple(items)))
                items = []
            title = f.section
            items.append(TranscriptItem(f.path, f.question, text, f.quote))
        if title is not None and items:
            out.append(TranscriptSection(title, tuple(items)))
        return tuple(out)


#: (layout key, revision id) -> the interview as read (review status aside). Revisions are
#: immutable (their id hashes their content), so an entry never goes stale.
_READ: OrderedDict[tuple[str, str], Interview] = OrderedDict()
_READ_MAX = 20_000
_READ_LOCK = threading.Lock()


def read_interview(layout: Layout, record_id: uuid.UUID, revision: str, status: str | None,
                   canonical_json: str) -> Interview:
    key = (layout.key, revision)
    status = status or "received"
    with _READ_LOCK:  # the console reads on several worker threads at once
        cached = _READ.get(key) if layout.key else None
        if cached is not None:
            _READ.move_to_end(key)
    if cached is not None and cached.record_id == record_id:
        return cached if cached.review_status == status else replace(cached,
                                                                      review_status=status)
    interview = _read(layout, record_id, revision, status, canonical_json)
    if layout.key:
        with _READ_LOCK:
            _READ[key] = interview
            if len(_READ) > _READ_MAX:
                _READ.popitem(last=False)
    return interview


def _read(layout: Layout, record_id: uuid.UUID, revision: str, status: str | None,
          canonical_json: str) -> Interview:
    doc = orjson.loads(canonical_json)
    answers: Mapping[str, JsonValue] = doc.get("answers") or {}
    texts = {}
    for f in layout.fields:
        value = answers.get(f.path)
        if isinstance(value, str) and value.strip():
            texts[f.path] = value
    role = answers.get(layout.role) if layout.role else None
    footprint = answers.get(layout.footprint) if layout.footprint else None
    consent = answers.get(layout.consent_quotes) if layout.consent_quotes else "yes"
    name = doc.get("instance_name")
    return Interview(
        record_id, revision, layout.form_id,
        name if isinstance(name, str) and name else f"Interview {short_id(record_id)}",
        status or "received",
        None if not isinstance(role, str) else layout.role_labels.get(role, role),
        None if not isinstance(footprint, str)
        else layout.footprint_labels.get(footprint, footprint),
        consent == "yes", texts)
