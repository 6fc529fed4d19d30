"""Compiling pyxform's JSON into the immutable form model (``qi_capture.forms.model``).

pyxform's JSON is what its XForm writer consumes: nested children, ``bind``/``control``
dicts, translations already merged into ``{language: text}``. It lacks row numbers and
rewrites a few things for XForm rendering, so the compiler also reads the survey rows:

- row numbers come from matching element names to survey rows in order;
- ``appearance`` and ``parameters`` come from the row as written (pyxform rewrites
  ``table-list`` into ``field-list`` plus generated label rows, which are dropped here);
- elements pyxform adds because the data needs them are kept: the meta block
  (``instanceID``, ``instanceName``), ``<repeat>_count`` calculations for repeat_count
  expressions, and the ``<select>_other`` text of ``or_other``;
- ``begin loop over L`` is expanded as pyxform's survey builder expands it (its JSON keeps
  the loop unexpanded): one group per choice of ``L`` (a choice named ``none`` is
  skipped), named after the choice and labelled with its label, each holding a copy of
  the loop's rows in which ``%(name)s`` and ``%(label)s`` become the choice's name and
  label (in each language); the loop's own row keeps its label as written.

Every expression becomes ``Expr(source, references)`` with references from our parser.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any

from qi_capture.forms import errors as codes
from qi_capture.forms.analysis import ExpressionCache
from qi_capture.forms.depgraph import build_dependents, calculation_order
from qi_capture.forms.model import DEFAULT_LANGUAGE, Choice, Element, Expr, Form, FormIssue, Text
from qi_capture.forms.pyxform_reader import BINDING_CONVERSIONS, SurveyRow, parse_parameters
from qi_capture.forms.types import EXTERNAL_INSTANCE_TYPES, FILE_EXTENSIONS, type_info

#: Name given to a user group called ``meta`` so pyxform accepts it (see loader).
RENAMED_META = "_qi_reserved_meta"
_GENERATED_TABLE_LIST = ("reserved_name_for_field_list_labels_", "generated_table_list_label_")
_GENERATED_NOTE = re.compile(r"^generated_note_name_(\d+)$")
_OR_OTHER = re.compile(r"\s(or_other|or other|or specify other)\s*$")
_SETTINGS_IN_MODEL = {"form_title", "title", "form_id", "id_string", "version",
                      "instance_name", "default_language", "style", "name"}
_KNOWN_BIND = {"relevant", "required", "constraint", "calculate", "readonly", "type",
               "jr:requiredMsg", "jr:constraintMsg", "jr:preload", "jr:preloadParams"}
_KNOWN_CONTROL = {"appearance", "jr:count", "bodyless", "start", "end", "step", "rows"}


@dataclass(slots=True)
class _State:
    cache: ExpressionCache
    rows_by_name: dict[str, deque[SurveyRow]]
    warnings: list[FormIssue]
    languages: dict[str, None] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)
    media_files: frozenset[str] = frozenset()
    #: Rows of elements compiled so far, to locate the ones pyxform generates.
    row_of: dict[str, int] = field(default_factory=dict)


def compile_form(
    data: Mapping[str, Any],
    rows: list[SurveyRow],
    settings: Mapping[str, Any],
    cache: ExpressionCache,
    warnings: list[FormIssue],
    *,
    media_files: frozenset[str] = frozenset(),
    source_sha256: str = "",
) -> tuple[Form, list[list[str]]]:
    """The Form, and the calculation cycles found (the loader turns those into errors)."""
    rows_by_name: dict[str, deque[SurveyRow]] = {}
    for row in rows:
        if row.name and not row.type.startswith(("end ", "end_")):
            rows_by_name.setdefault(row.name, deque()).append(row)
    state = _State(cache, rows_by_name, warnings, media_files=media_files)

    children = _merge_meta(_compile_children(data.get("children", []), (), state)[0])

    choice_lists = {
        str(name): tuple(_choice(c, state) for c in choices)
        for name, choices in (data.get("choices") or {}).items()
    }
    languages = tuple(state.languages)
    default_language = settings.get("default_language")
    instance_name_src = settings.get("instance_name")
    instance_name = (_expr(str(instance_name_src), state)
                     if isinstance(instance_name_src, str) and instance_name_src else None)

    elements = [e for top in children for e in top.walk()]
    dependents = build_dependents(elements)
    calcs = {e.name: list(e.calculation.references) for e in elements if e.calculation}
    order, cycles = calculation_order(calcs)
    form = Form(
        form_id=str(data.get("id_string", "")),
        title=str(data.get("title", "")),
        version=str(data.get("version", "") or ""),
        root_name=str(data.get("name", "data")),
        languages=languages,
        default_language=str(default_language) if default_language else None,
        style=str(data.get("style", "") or ""),
        instance_name=instance_name,
        children=tuple(children),
        choice_lists=choice_lists,
        settings=_other_settings(settings),
        dependents=dependents,
        calculation_order=order,
        warnings=tuple(warnings),
        source_sha256=source_sha256,
        secondary_instances=dict(state.instances),
    )
    return form, cycles


def _compile_children(items: list[dict[str, Any]], parent: tuple[str, ...],
                      state: _State, loop_choice: Mapping[str, Any] | None = None,
                      ) -> tuple[list[Element], dict[str, Any]]:
    """The elements, and the label/hint pyxform moved out of a table-list group (if any).

    ``loop_choice``: the items are the rows of a ``begin loop`` copied for this choice
    (``%(name)s``/``%(label)s`` are substituted in them, not in their descendants, as
    pyxform does)."""
    out: list[Element] = []
    moved: dict[str, Any] = {}
    for item in items:
        if loop_choice is not None:
            item = _loop_substituted(item, loop_choice)
        name = str(item.get("name", ""))
        item_type = str(item.get("type", ""))
        if name.startswith(_GENERATED_TABLE_LIST) and name not in state.rows_by_name:
            # pyxform's table-list rendering; the group gets its label back instead.
            if name.startswith("generated_table_list_label_"):
                moved = item
            continue
        if item_type in EXTERNAL_INSTANCE_TYPES:
            row = _row_for(name, state)
            ext = ".csv" if item_type == "csv-external" else ".xml"
            _declare_instance(name, name + ext, state, item_type,
                              row=row.number if row else 0)
            continue
        element = _element(item, parent, state, loop_choice)
        if element is not None:
            out.append(element)
    return out, moved


def _row_for(name: str, state: _State) -> SurveyRow | None:
    lookup = "meta" if name == RENAMED_META else name
    queue = state.rows_by_name.get(lookup)
    return queue.popleft() if queue else None


def _generated_row(name: str, state: _State) -> int:
    """The row that made pyxform generate this element (a note without a name, a
    repeat_count calculation, an or_other text), for messages."""
    if match := _GENERATED_NOTE.match(name):
        return int(match[1])
    base, _, suffix = name.rpartition("_")
    if suffix == "count" and base:
        return next((r.number for r in state.rows_by_name.get(base, ())), 0)
    if suffix == "other" and base:
        return state.row_of.get(base, 0)
    return 0


def _element(item: dict[str, Any], parent: tuple[str, ...], state: _State,
             loop_choice: Mapping[str, Any] | None = None) -> Element | None:
    name = str(item["name"])
    item_type = str(item.get("type", ""))
    row = _row_for(name, state)
    raw = row.data if row else {}
    if loop_choice is not None and raw:
        raw = _loop_substituted(raw, loop_choice)
    bind: dict[str, Any] = dict(item.get("bind") or {})
    control: dict[str, Any] = dict(item.get("control") or {})
    path = (*parent, "meta" if name == RENAMED_META else name)
    number = row.number if row else _generated_row(name, state)
    state.row_of[name] = number
    common: dict[str, Any] = {
        "name": path[-1],
        "path": path,
        "row": number,
        "label": _text(item.get("label"), state),
        "hint": _text(item.get("hint"), state),
        "guidance_hint": _text(item.get("guidance_hint"), state),
        "relevant": _expr_opt(bind.get("relevant"), state),
        "appearance": tuple(str((raw.get("control") or control).get("appearance", "")).split()),
        "media": _media(item.get("media"), state),
        "extra": _extras(raw),
    }
    if item_type == "loop":
        list_name = str(raw.get("type", "")).split()[-1] if raw else None
        return Element(kind="group", type="loop", list_name=list_name,
                       children=_loop_groups(item, path, number, state), **common)
    if item_type in ("group", "repeat"):
        compiled, moved = _compile_children(item.get("children", []), path, state)
        children = tuple(compiled)
        if moved:
            common["label"] = _text(moved.get("label"), state)
            common["hint"] = _text(moved.get("hint"), state)
        if item_type == "repeat":
            return Element(kind="repeat", type="repeat", children=children,
                           repeat_count=_expr_opt(control.get("jr:count"), state), **common)
        return Element(kind="group", type="group", children=children, **common)
    return _field(item, raw, bind, common, state)


def _loop_groups(item: Mapping[str, Any], path: tuple[str, ...], row: int,
                 state: _State) -> tuple[Element, ...]:
    """A ``begin loop over L``: one group per choice of ``L``, as pyxform builds it.

    pyxform's JSON lists the choices under ``columns`` (``or_other`` has added ``other``
    by then, so the loop covers it too) and the loop's rows once under ``children``.
    Each copy is compiled from the same survey rows, so the row queue of every name in
    the loop is rewound before each copy."""
    template = list(item.get("children") or [])
    names = _names_below(template)
    saved = {n: list(state.rows_by_name[n]) for n in names if n in state.rows_by_name}
    groups: list[Element] = []
    for choice in item.get("columns") or ():
        choice_name = str(choice.get("name", ""))
        if not choice_name or choice_name == "none":
            continue  # pyxform leaves a "none" choice out of loops
        for name, rows in saved.items():
            state.rows_by_name[name] = deque(rows)
        group_path = (*path, choice_name)
        children, _ = _compile_children(template, group_path, state, loop_choice=choice)
        groups.append(Element(
            kind="group", type="group", name=choice_name, path=group_path, row=row,
            label=_text(choice.get("label"), state), media=_media(choice.get("media"), state),
            children=tuple(children),
        ))
    return tuple(groups)


def _names_below(items: list[Mapping[str, Any]]) -> set[str]:
    names: set[str] = set()
    for item in items:
        names.add(str(item.get("name", "")))
        names.update(_names_below(list(item.get("children") or [])))
    return names


def _loop_substituted(data: Mapping[str, Any], choice: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` (a loop row, as pyxform's JSON or as the survey sheet has it) with
    ``%(name)s``, ``%(label)s`` (and any other ``%(column)s`` of the choice) replaced in
    its text values and one level into its dicts (translations, ``bind``, ``control``).

    In a translated text the label is the choice's label in that language; elsewhere it
    is the choice's untranslated label, else its first. (pyxform then writes the Python
    repr of the label dict, which no form means.)"""
    label = choice.get("label")
    plain: dict[str, Any] = {k: v for k, v in choice.items() if isinstance(v, str)}
    if isinstance(label, Mapping):
        plain["label"] = str(label.get(DEFAULT_LANGUAGE, next(iter(label.values()), "")))
    elif label is None:
        plain["label"] = plain.get("name", "")
    out = dict(data)
    for key, value in data.items():
        if isinstance(value, str):
            out[key] = _fill(value, plain)
        elif isinstance(value, Mapping):
            inner = {}
            for sub, text in value.items():
                if isinstance(text, str):
                    values = plain
                    if isinstance(label, Mapping) and sub in label:
                        values = {**plain, "label": str(label[sub])}
                    inner[sub] = _fill(text, values)
                else:
                    inner[sub] = text
            out[key] = inner
    return out


def _fill(text: str, values: Mapping[str, Any]) -> str:
    """Python %-formatting with a mapping, as pyxform applies it to loop rows; text it
    cannot format (a stray ``%``) is kept as written."""
    if "%" not in text:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):
        return text


def _field(item: dict[str, Any], raw: Mapping[str, Any], bind: dict[str, Any],
           common: dict[str, Any], state: _State) -> Element | None:
    item_type = str(item.get("type", ""))
    info = type_info(item_type)
    if info is None:
        # Unknown types are reported by the checks before compiling; never crash here.
        return None
    canonical, data_type, preload = info.canonical, info.data_type, info.preload
    if bind.get("type") in ("decimal", "int") and canonical == "range":
        data_type = str(bind["type"])
    if bind.get("jr:preload") == "uid":
        preload = "instanceID"
    itemset = item.get("itemset")
    list_name = choices_from = choices_file = None
    if isinstance(itemset, str) and canonical in ("select_one", "select_multiple", "rank",
                                                  "select_one_external"):
        if itemset.startswith("${") and itemset.endswith("}"):
            choices_from = itemset[2:-1].strip()
        elif PurePath(itemset).suffix in FILE_EXTENSIONS:
            choices_file = itemset
            canonical = f"{canonical}_from_file"
            _declare_instance(PurePath(itemset).stem, itemset, state, canonical,
                              row=common["row"])
        else:
            list_name = itemset
    if info.support == "limited":
        state.warnings.append(FormIssue(
            codes.LIMITED_TYPE, f"Type '{canonical}' is only partly supported: {info.note}.",
            sheet="survey", row=common["row"] or None, column="type",
        ))
    name = common["name"]
    relevant = common["relevant"]
    if name.endswith("_other") and not raw and relevant is not None:
        # or_other's generated text: pyxform wrote a relative path; say the same with ${}.
        base = name[: -len("_other")]
        relevant = _expr(f"selected(${{{base}}}, 'other')", state)
    default_src = item.get("default")
    dynamic = bool(item.get("_dynamic_default"))
    static_default = raw.get("default", default_src) if not dynamic else None
    return Element(
        kind="field",
        type=canonical,
        data_type=data_type,
        required=_flag(bind.get("required"), state),
        required_message=_text(bind.get("jr:requiredMsg"), state),
        constraint=_expr_opt(bind.get("constraint"), state),
        constraint_message=_text(bind.get("jr:constraintMsg"), state),
        calculation=_expr_opt(bind.get("calculate"), state),
        default=str(static_default) if static_default not in (None, "") else None,
        dynamic_default=_expr(str(default_src), state) if dynamic and default_src else None,
        trigger=tuple(str(t) for t in (item.get("trigger") or ())),
        read_only=_flag(bind.get("readonly"), state),
        choice_filter=_expr_opt(item.get("choice_filter"), state),
        parameters=_parameters(item, raw),
        list_name=list_name,
        choices_from=choices_from,
        choices_file=choices_file,
        or_other=bool(_OR_OTHER.search(str(raw.get("type", "")))),
        preload=preload,
        **{**common, "relevant": relevant},
    )


def _declare_instance(instance_id: str, filename: str, state: _State, kind: str,
                      row: int = 0) -> None:
    state.instances[instance_id] = filename
    if filename not in state.media_files:
        state.warnings.append(FormIssue(
            codes.LIMITED_TYPE,
            f"'{kind}' needs the attachment '{filename}', which is not in the form's media; "
            "its choices or lookups stay empty until the file is attached.",
            sheet="survey", row=row or None, column="type",
        ))


def _merge_meta(children: list[Element]) -> list[Element]:
    """A user ``meta`` group (CHT forms) and pyxform's meta block become one group."""
    metas = [i for i, e in enumerate(children) if e.name == "meta" and e.kind == "group"]
    if len(metas) < 2:
        return children
    first, *rest = metas
    merged = children[first]
    extra_children = [c for i in rest for c in children[i].children]
    children[first] = replace(merged, children=(*merged.children, *extra_children))
    return [e for i, e in enumerate(children) if i not in rest]


def _choice(data: Mapping[str, Any], state: _State) -> Choice:
    extras = {}
    for key, value in data.items():
        if key in ("name", "label", "media", "__row"):
            continue
        if isinstance(value, str):
            extras[str(key)] = value
        elif isinstance(value, dict):
            # A translated extra column (rare): keep it flattened as "column::language".
            for lang, text in value.items():
                extras[f"{key}::{lang}"] = str(text)
    return Choice(
        name=str(data.get("name", "")),
        label=_text(data.get("label"), state),
        media=_media(data.get("media"), state),
        extras=extras,
    )


def _text(value: Any, state: _State) -> Text | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        values = {str(k): str(v) for k, v in value.items()}
    else:
        values = {DEFAULT_LANGUAGE: str(value)}
    for language in values:
        state.languages.setdefault(language, None)
    return Text(values)


def _media(value: Any, state: _State) -> dict[str, Text]:
    if not isinstance(value, dict):
        return {}
    out = {}
    for kind, files in value.items():
        text = _text(files, state)
        if text is not None:
            out[str(kind)] = text
    return out


def _expr(source: str, state: _State) -> Expr:
    return Expr(source, state.cache.references(source))


def _expr_opt(value: Any, state: _State) -> Expr | None:
    if value is None:
        return None
    source = str(value).strip()
    return _expr(source, state) if source else None


def _flag(value: Any, state: _State) -> Expr | None:
    """required / read_only: yes/no words become true()/false(); false() means unset."""
    if value is None or value == "":
        return None
    source = BINDING_CONVERSIONS.get(str(value).strip(), str(value).strip())
    if source == "false()":
        return None
    return _expr(source, state)


def _parameters(item: Mapping[str, Any], raw: Mapping[str, Any]) -> dict[str, str]:
    raw_params = raw.get("parameters")
    if isinstance(raw_params, str):
        return parse_parameters(raw_params)
    params = item.get("parameters")
    if isinstance(params, dict):
        return {str(k): str(v) for k, v in params.items()}
    return {}


def _extras(raw: Mapping[str, Any]) -> dict[str, str]:
    """``bind::x``, ``body::x`` and ``instance::x`` columns, kept verbatim."""
    out: dict[str, str] = {}
    raw_bind = raw.get("bind") or {}
    raw_control = raw.get("control") or {}
    for key, value in raw_bind.items():
        if key not in _KNOWN_BIND and isinstance(value, str):
            out[f"bind::{key}"] = value
    for key, value in raw_control.items():
        if key not in _KNOWN_CONTROL and isinstance(value, str):
            out[f"body::{key}"] = value
    for key, value in (raw.get("instance") or {}).items():
        if isinstance(value, str):
            out[f"instance::{key}"] = value
    return out


def _other_settings(settings: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in settings.items():
        if key in _SETTINGS_IN_MODEL:
            continue
        if isinstance(value, dict):
            for sub, text in value.items():
                out[f"{key}::{sub}"] = str(text)
        else:
            out[str(key)] = str(value)
    return out
