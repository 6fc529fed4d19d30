"""A record's answers as the questionnaire reads them: the compiled form walked in
order, each answer under its question's label (in the chosen language), groups and
repeat instances as headed sections, choice labels instead of choice names, notes.

Pure: a `Form` and a flat answer map (path -> stored value, as revisions keep them) in,
frozen `DisplaySection`s out. Relevance is not re-evaluated (the revision holds only
relevant answers), so a note shows only in a section that holds at least one answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from qi_capture.forms.model import Element, Form
from qi_capture.services.admin.dto import DisplayItem, DisplaySection
from qi_capture.storage.canonical import JsonValue

_SELECT_ONE = {"select_one", "select_one_from_file"}
_MANY = {"select_multiple", "select_multiple_from_file", "rank"}
_CALCULATED = {"calculate", "hidden"}
_REF = re.compile(r"\$\{([^}]+)\}")
_INDEX = re.compile(r"^(?P<name>[^\[\]/]+)\[(?P<index>[1-9]\d*)\]$")
#: The heading of answers the form version does not describe.
OTHER_VALUES = "Other values"


def label_of(element: Element, language: str | None) -> str:
    if element.label is not None:
        text = element.label.get(language)
        if text:
            return text
    return element.name


def value_text(form: Form, element: Element, value: JsonValue, language: str | None) -> str:
    """A stored value as a person reads it: choice labels for selects."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if element.list_name and (element.type in _SELECT_ONE or element.type in _MANY):
        labels = {c.name: (c.label.get(language) if c.label else None) or c.name
                  for c in form.choices(element.list_name)}
        if element.type in _SELECT_ONE:
            return labels.get(text, text)
        return ", ".join(labels.get(part, part) for part in text.split())
    return text


class _Renderer:
    def __init__(self, form: Form, answers: Mapping[str, JsonValue], language: str | None):
        self.form = form
        self.answers = answers
        self.language = language
        self.used: set[str] = set()
        self.sections: list[DisplaySection] = []
        self.repeats = {e.name for e in form.elements() if e.kind == "repeat"}

    def run(self) -> list[DisplaySection]:
        self._walk(self.form.children, prefix="", title=None, depth=0, instance=None)
        return [s for s in self.sections if any(i.kind != "note" for i in s.items)]

    def _walk(self, elements: Sequence[Element], *, prefix: str, title: str | None,
              depth: int, instance: int | None) -> None:
        items: list[DisplayItem] = []

        def flush() -> None:
            if items:
                self.sections.append(DisplaySection(title, prefix.rstrip("/"), depth, instance,
                                                    tuple(items)))
                items.clear()

        for element in elements:
            if not prefix and element.kind == "group" and element.name == "meta":
                # ODK's metadata (instanceID, instanceName): the listing shows the name.
                self.used.update(k for k in self.answers if k.startswith("meta/"))
                continue
            if element.kind == "group":
                flush()
                self._walk(element.children, prefix=f"{prefix}{element.name}/",
                           title=self._label(element, prefix), depth=depth + 1, instance=None)
            elif element.kind == "repeat":
                flush()
                for index in self._instances(f"{prefix}{element.name}"):
                    self._walk(element.children, prefix=f"{prefix}{element.name}[{index}]/",
                               title=f"{self._label(element, prefix)} {index}",
                               depth=depth + 1, instance=index)
            else:
                item = self._item(element, prefix)
                if item is not None:
                    items.append(item)
        flush()

    def _instances(self, path: str) -> list[int]:
        """The instance numbers of the repeat at ``path`` that hold an answer."""
        start = path + "["
        found = set()
        for key in self.answers:
            if key.startswith(start):
                index = key[len(start):].split("]", 1)[0]
                if index.isdigit():
                    found.add(int(index))
        return sorted(found)

    def _item(self, element: Element, prefix: str) -> DisplayItem | None:
        path = f"{prefix}{element.name}"
        label = self._label(element, prefix)
        if element.type == "note":
            return DisplayItem(path, label, "note", None, None)
        if path not in self.answers:
            return None
        self.used.add(path)
        value = self.answers[path]
        kind = "calculated" if element.type in _CALCULATED or element.preload else "answer"
        return DisplayItem(path, label, kind,
                           value_text(self.form, element, value, self.language), value)

    def _label(self, element: Element, prefix: str) -> str:
        """The label with its ``${name}`` references filled in from the answers (in the
        same repeat instance when the referenced field is in one)."""
        text = label_of(element, self.language)
        if "${" not in text:
            return text
        context = {}
        for part in prefix.rstrip("/").split("/"):
            match = _INDEX.match(part)
            if match is not None:
                context[match["name"]] = match["index"]

        def fill(match: re.Match[str]) -> str:
            target = self.form.find(match[1])
            if target is None:
                return match[0]
            parts = [f"{p}[{context[p]}]" if p in self.repeats and p in context else p
                     for p in target.path]
            value = self.answers.get("/".join(parts))
            return value_text(self.form, target, value, self.language)

        return _REF.sub(fill, text)


def render(form: Form | None, answers: Mapping[str, JsonValue],
           language: str | None) -> tuple[DisplaySection, ...]:
    """The record's sections in form order, then any answer the form does not describe
    (all of them, by path, when there is no form)."""
    sections: list[DisplaySection] = []
    used: set[str] = set()
    if form is not None:
        renderer = _Renderer(form, answers, language)
        sections = renderer.run()
        used = renderer.used
    rest = tuple(DisplayItem(path, path, "unknown", _plain(value), value)
                 for path, value in sorted(answers.items()) if path not in used)
    if rest:
        sections.append(DisplaySection(OTHER_VALUES if form is not None else None, "", 0,
                                       None, rest))
    return tuple(sections)


def _plain(value: JsonValue) -> str:
    return "" if value is None else value if isinstance(value, str) else str(value)
