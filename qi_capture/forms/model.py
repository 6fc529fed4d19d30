"""The compiled form model: an immutable, JSON-serialisable description of one form version.

The loader (``qi_capture.forms.loader``) builds it from pyxform's JSON once, when a form is
imported; the store keeps its JSON beside every record, so a record always knows the exact
definition it was captured with and opening a form never needs pyxform again.

Expressions are kept as their XLSForm source (``${name}`` references intact) together with
the names they reference. They are parsed and compiled lazily, through a cache keyed by
source text, the first time a form session evaluates them: opening a stored form is then
little more than ``json.loads``.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: The language key used for untranslated columns (a plain ``label`` column), as pyxform does.
DEFAULT_LANGUAGE = "default"

ElementKind = Literal["field", "group", "repeat"]


@dataclass(frozen=True, slots=True)
class Text:
    """A translatable text: language name -> text. Untranslated text uses ``"default"``."""

    values: Mapping[str, str]

    def get(self, language: str | None) -> str | None:
        """The text in ``language``; falls back to the untranslated text, then None.

        FORMS.md: there is no fallback between real languages (a missing translation shows
        as ``-`` in ODK); callers decide how to show None.
        """
        if language is not None and language in self.values:
            return self.values[language]
        return self.values.get(DEFAULT_LANGUAGE)

    def to_json(self) -> dict[str, str]:
        return dict(self.values)

    @staticmethod
    def from_json(data: Mapping[str, str] | None) -> Text | None:
        return Text(dict(data)) if data else None


@dataclass(frozen=True, slots=True)
class Expr:
    """One expression as written in the form, with the field names it references."""

    source: str
    references: tuple[str, ...] = ()

    def to_json(self) -> list[Any]:
        return [self.source, list(self.references)]

    @staticmethod
    def from_json(data: list[Any] | None) -> Expr | None:
        if data is None:
            return None
        return Expr(data[0], tuple(data[1]))


@dataclass(frozen=True, slots=True)
class Choice:
    name: str
    label: Text | None
    media: Mapping[str, Text] = field(default_factory=dict)
    #: Other columns of the choices sheet (used by choice_filter and instance() lookups).
    extras: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name}
        if self.label is not None:
            out["label"] = self.label.to_json()
        if self.media:
            out["media"] = {k: v.to_json() for k, v in self.media.items()}
        if self.extras:
            out["extras"] = dict(self.extras)
        return out

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Choice:
        return Choice(
            name=data["name"],
            label=Text.from_json(data.get("label")),
            media={k: Text(v) for k, v in data.get("media", {}).items()},
            extras=dict(data.get("extras", {})),
        )


@dataclass(frozen=True, slots=True)
class Element:
    """A field, group or repeat of the survey sheet.

    ``kind`` says which. Attributes that do not apply to a kind stay at their defaults
    (a group has no ``calculation``; a field has no ``children``).
    """

    kind: ElementKind
    name: str
    #: Names from the root (excluded) to this element, e.g. ("household", "member", "age").
    path: tuple[str, ...]
    #: Canonical XLSForm type: "text", "integer", "select_one", "group", "repeat", ...
    type: str
    #: XForm data type: "string", "int", "decimal", "date", "time", "dateTime", "geopoint",
    #: "geotrace", "geoshape", "binary", "barcode", "odk:rank"; "" for groups/repeats.
    data_type: str = ""
    #: Survey-sheet row (1-based, as spreadsheets number them) for messages.
    row: int = 0
    label: Text | None = None
    hint: Text | None = None
    guidance_hint: Text | None = None
    relevant: Expr | None = None
    required: Expr | None = None
    required_message: Text | None = None
    constraint: Expr | None = None
    constraint_message: Text | None = None
    calculation: Expr | None = None
    #: Static default (a literal written into the instance) ...
    default: str | None = None
    #: ... or dynamic default (evaluated on first load / new repeat instance).
    dynamic_default: Expr | None = None
    #: Field names whose change re-runs ``calculation`` (XLSForm ``trigger``).
    trigger: tuple[str, ...] = ()
    read_only: Expr | None = None
    choice_filter: Expr | None = None
    appearance: tuple[str, ...] = ()
    parameters: Mapping[str, str] = field(default_factory=dict)
    #: Label media: "image" | "big-image" | "audio" | "video" -> translatable file name.
    media: Mapping[str, Text] = field(default_factory=dict)
    #: For selects and rank: the choice list name (choices sheet), if any.
    list_name: str | None = None
    #: For ``select_one ${field}``: choices are that repeated field's values.
    choices_from: str | None = None
    #: For ``select_*_from_file``: the attached file name.
    choices_file: str | None = None
    or_other: bool = False
    #: Preload: "start", "end", "today", "deviceid", "username", "instanceID", ...
    preload: str | None = None
    #: For repeats: fixed or computed number of instances.
    repeat_count: Expr | None = None
    children: tuple[Element, ...] = ()
    #: Columns our engine keeps but does not interpret (bind::x, instance::x, body::x).
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def path_str(self) -> str:
        return "/".join(self.path)

    def walk(self) -> Iterator[Element]:
        """This element and every descendant, in form order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "name": self.name, "path": list(self.path),
                               "type": self.type}
        for attr in _SCALAR_ATTRS:
            value = getattr(self, attr)
            if value not in (None, "", 0, False):
                out[attr] = value
        for attr in _TEXT_ATTRS:
            text = getattr(self, attr)
            if text is not None:
                out[attr] = text.to_json()
        for attr in _EXPR_ATTRS:
            expr = getattr(self, attr)
            if expr is not None:
                out[attr] = expr.to_json()
        if self.trigger:
            out["trigger"] = list(self.trigger)
        if self.appearance:
            out["appearance"] = list(self.appearance)
        if self.parameters:
            out["parameters"] = dict(self.parameters)
        if self.media:
            out["media"] = {k: v.to_json() for k, v in self.media.items()}
        if self.extra:
            out["extra"] = dict(self.extra)
        if self.children:
            out["children"] = [c.to_json() for c in self.children]
        return out

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Element:
        # One pass over the keys present (a stored form has thousands of elements with a
        # handful of keys each): opening a stored form must stay far cheaper than importing.
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            decode = _DECODERS[key]
            kwargs[key] = value if decode is None else decode(value)
        return Element(**kwargs)


_SCALAR_ATTRS = ("data_type", "row", "default", "list_name", "choices_from", "choices_file",
                 "or_other", "preload")
_TEXT_ATTRS = ("label", "hint", "guidance_hint", "required_message", "constraint_message")
_EXPR_ATTRS = ("relevant", "required", "constraint", "calculation", "dynamic_default",
               "read_only", "choice_filter", "repeat_count")


def _decode_expr(value: list[Any]) -> Expr:
    return Expr(value[0], tuple(value[1]))


def _decode_media(value: Mapping[str, Mapping[str, str]]) -> dict[str, Text]:
    return {k: Text(v) for k, v in value.items()}


def _decode_children(value: list[Mapping[str, Any]]) -> tuple[Element, ...]:
    return tuple(Element.from_json(c) for c in value)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: JSON key -> how to turn its value back into the attribute (None: as it is).
_DECODERS: dict[str, Callable[[Any], Any] | None] = {
    "kind": None, "name": None, "type": None, "path": tuple,
    **dict.fromkeys(_SCALAR_ATTRS),
    **dict.fromkeys(_TEXT_ATTRS, Text),
    **dict.fromkeys(_EXPR_ATTRS, _decode_expr),
    "trigger": tuple, "appearance": tuple, "parameters": dict, "extra": dict,
    "media": _decode_media, "children": _decode_children,
}


@dataclass(frozen=True, slots=True)
class FormIssue:
    """One problem in a form, located like pyxform's messages (sheet, row, column)."""

    code: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (
                f"sheet '{self.sheet}'" if self.sheet else "",
                f"row {self.row}" if self.row else "",
                f"column '{self.column}'" if self.column else "",
            ) if part
        )
        return f"[{where}] {self.message}" if where else self.message

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "sheet": self.sheet,
                "row": self.row, "column": self.column}

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> FormIssue:
        return FormIssue(data["code"], data["message"], data.get("sheet"), data.get("row"),
                         data.get("column"))


#: Version of the compiled-form JSON layout; bump when it changes incompatibly.
MODEL_VERSION = 1


@dataclass(frozen=True, slots=True)
class Form:
    """One version of one form, compiled. Immutable; build sessions with ``new_session()``."""

    form_id: str
    title: str
    version: str
    #: XML root element name (settings ``name``, default "data").
    root_name: str
    #: Languages in column order; ``default_language`` is the initial one.
    languages: tuple[str, ...]
    default_language: str | None
    #: settings ``style`` ("pages", "theme-grid", "interview", ...), "" if none.
    style: str
    instance_name: Expr | None
    children: tuple[Element, ...]
    choice_lists: Mapping[str, tuple[Choice, ...]]
    #: Every other settings-sheet value, as text.
    settings: Mapping[str, str]
    #: Field name -> names of the elements whose expressions reference it (the dependency
    #: graph built at load time; a session re-evaluates only these when the field changes).
    dependents: Mapping[str, tuple[str, ...]]
    #: Names of elements with a calculation, in an order where each comes after what it uses.
    calculation_order: tuple[str, ...]
    warnings: tuple[FormIssue, ...] = ()
    #: SHA-256 (hex) of the source workbook bytes, if known.
    source_sha256: str = ""
    #: Secondary instances the form reads, id -> attachment file name: ``select_*_from_file``
    #: lists, ``csv-external``/``xml-external`` rows (``instance('id')``, ``pulldata('id')``).
    secondary_instances: Mapping[str, str] = field(default_factory=dict)
    _by_name: dict[str, Element] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        index = self._by_name
        if not index:
            for top in self.children:
                for element in top.walk():
                    index[element.name] = element

    # --- lookups -------------------------------------------------------------------------
    def element(self, name: str) -> Element:
        """The field, group or repeat called ``name`` (names are unique in a form)."""
        return self._by_name[name]

    def find(self, name: str) -> Element | None:
        return self._by_name.get(name)

    def elements(self) -> Iterator[Element]:
        """Every element, in form order."""
        for top in self.children:
            yield from top.walk()

    def fields(self) -> Iterator[Element]:
        return (e for e in self.elements() if e.kind == "field")

    def choices(self, list_name: str) -> tuple[Choice, ...]:
        return tuple(self.choice_lists.get(list_name, ()))

    def new_session(self, language: str | None = None, **options: Any) -> Any:
        """Start filling this form: a ``qi_capture.forms.session.FormSession``.

        Typed ``Any`` because the model does not import the session (the session builds on
        the model); the session registers itself (``register_session_factory``) when
        ``qi_capture.forms`` is imported, which importing this module always does first.
        """
        if _session_factory is None:
            raise RuntimeError("qi_capture.forms.session is not loaded")
        return _session_factory(self, language=language, **options)

    # --- serialisation -------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "model_version": MODEL_VERSION,
            "form_id": self.form_id,
            "title": self.title,
            "version": self.version,
            "root_name": self.root_name,
            "languages": list(self.languages),
            "default_language": self.default_language,
            "style": self.style,
            "instance_name": self.instance_name.to_json() if self.instance_name else None,
            "children": [c.to_json() for c in self.children],
            "choice_lists": {name: [c.to_json() for c in choices]
                             for name, choices in self.choice_lists.items()},
            "settings": dict(self.settings),
            "dependents": {k: list(v) for k, v in self.dependents.items()},
            "calculation_order": list(self.calculation_order),
            "warnings": [w.to_json() for w in self.warnings],
            "source_sha256": self.source_sha256,
            "secondary_instances": dict(self.secondary_instances),
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Form:
        # Thousands of small, long-lived objects are made here; pausing the cyclic garbage
        # collector keeps it from scanning the whole (large) heap several times meanwhile.
        with _gc_paused():
            return Form._from_json(data)

    @staticmethod
    def from_json_text(text: str | bytes) -> Form:
        """Open a stored compiled form (the JSON text ``to_json`` was dumped to): decoding
        and building happen with the garbage collector paused, for the same reason."""
        with _gc_paused():
            return Form._from_json(json.loads(text))

    @staticmethod
    def _from_json(data: Mapping[str, Any]) -> Form:
        if data.get("model_version") != MODEL_VERSION:
            raise ValueError(
                f"compiled form layout {data.get('model_version')!r} is not supported "
                f"(this version reads {MODEL_VERSION})"
            )
        return Form(
            form_id=data["form_id"],
            title=data["title"],
            version=data["version"],
            root_name=data["root_name"],
            languages=tuple(data["languages"]),
            default_language=data["default_language"],
            style=data["style"],
            instance_name=Expr.from_json(data["instance_name"]),
            children=tuple(Element.from_json(c) for c in data["children"]),
            choice_lists={name: tuple(Choice.from_json(c) for c in choices)
                          for name, choices in data["choice_lists"].items()},
            settings=dict(data["settings"]),
            dependents={k: tuple(v) for k, v in data["dependents"].items()},
            calculation_order=tuple(data["calculation_order"]),
            warnings=tuple(FormIssue.from_json(w) for w in data["warnings"]),
            source_sha256=data.get("source_sha256", ""),
            secondary_instances=dict(data.get("secondary_instances", {})),
        )


#: Builds a form session for ``Form.new_session()``; set by ``qi_capture.forms.session``.
_session_factory: Callable[..., Any] | None = None


def register_session_factory(factory: Callable[..., Any]) -> None:
    """Let ``Form.new_session()`` build sessions with ``factory`` (the session module
    calls this on import, so the model needs no import of it)."""
    global _session_factory
    _session_factory = factory
