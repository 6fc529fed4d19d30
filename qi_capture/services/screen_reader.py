"""Reads a live `FormSession` into the frozen values of `qi_capture.services.screen`.

Called only where the session may be read safely: on the serial write queue, after the
change that made the state (an autosaving record), or by the one owner of a session that
nothing writes (a finalised record shown read-only). Reading never moves the session or
emits an event, so it writes nothing.
"""

from __future__ import annotations

import re

from qi_capture.forms.analysis import text_references
from qi_capture.forms.session import FormSession, Screen, ValidationIssue
from qi_capture.forms.session.answers import AnswerError
from qi_capture.services.screen import (
    ANSWERED,
    INTRODUCTION,
    INVALID,
    SECTION,
    UNANSWERED,
    FormView,
    IndexEntry,
    Problem,
    QuestionValue,
    RepeatInstance,
    RepeatPosition,
    ScreenValue,
    SectionEntry,
)

_INDEXED = re.compile(r"^(.*)\[(\d+)\]$")

#: The interview guide's convention: a section's key quote is the question so named.
KEY_QUOTE_PREFIX = "key_quote"
#: The interview guide's convention: recording is offered once the top-level question so
#: named (select_one yes_no) is relevant and answered "yes".
RECORDING_CONSENT = "consent_recording"


def question_value(session: FormSession, path: str) -> QuestionValue:
    """The question at ``path`` as it stands now."""
    element = session.node(path).element
    has_choices = element.list_name is not None or element.choices_from is not None
    relevant = session.is_relevant(path)
    label = hint = value = ""
    choices: tuple[tuple[str, str], ...] = ()
    required = read_only = False
    problem = None
    if relevant:  # what an irrelevant question says is never shown
        required = session.is_required(path)
        held = _HeldBack(session)
        label = held.render(path, "label") or element.name
        hint = held.render(path, "hint")
        if has_choices:
            choices = tuple(session.choices(path))
        read_only = session.is_read_only(path)
        value = session.raw(path)
        if (element.calculation is not None and not element.trigger and value
                and any(held.uses_invalid(n) for n in element.calculation.references)):
            # A figure worked out from an answer that must still be corrected would be
            # read as settled: show it once the answers it uses are valid.
            value = ""
            hint = HELD_BACK_HINT
        issue = session.issue(path)
        if issue is not None:
            problem = Problem(issue.path, label, issue.kind, issue.message)
    return QuestionValue(
        path=path,
        name=element.name,
        type=element.type,
        appearance=tuple(element.appearance),
        parameters=tuple(sorted(element.parameters.items())),
        calculated=(element.calculation is not None and not element.trigger
                    and element.type != "calculate"),
        has_choices=has_choices,
        label=label,
        hint=hint,
        choices=choices,
        value=value,
        relevant=relevant,
        required=required,
        read_only=read_only,
        problem=problem,
    )


#: The hint of a calculation held back because an answer it uses is not valid.
HELD_BACK_HINT = "Shown once the answers it is worked out from are corrected."


class _HeldBack:
    """Which names an answer its constraint refuses reaches (itself, and calculations
    worked out from it), so that nothing shown passes the refused value on as settled.
    Reads the session's problems once, and only when something shown needs them."""

    def __init__(self, session: FormSession) -> None:
        self._session = session
        self._invalid: set[str] | None = None

    def uses_invalid(self, name: str) -> bool:
        session = self._session
        if self._invalid is None:
            self._invalid = {session.node(i.path).element.name for i in session.errors()
                             if i.kind == "constraint"}
        seen: set[str] = set()
        todo = [name]
        while todo and self._invalid:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in self._invalid:
                return True
            element = session.form.find(current)
            if element is not None and element.calculation is not None:
                todo.extend(element.calculation.references)
        return False

    def render(self, path: str, attr: str) -> str:
        """The label or hint with ``${name}`` rendered, each name that an answer still
        to correct reaches shown as "…"."""
        session = self._session
        node = session.node(path)
        template = session.text(node.element, attr) or ""
        for name in text_references(template):
            if self.uses_invalid(name):
                template = template.replace("${" + name + "}", "…")
        return session.render(template, node)


def problems(session: FormSession, issues: list[ValidationIssue]) -> tuple[Problem, ...]:
    """Issues with the labels of their questions."""
    out = []
    for issue in issues:
        try:
            label = session.label(issue.path) or issue.path
        except Exception:  # the field may have vanished with a removed repeat instance
            label = issue.path
        out.append(Problem(issue.path, label, issue.kind, issue.message))
    return tuple(out)


def screen_problems(session: FormSession, screen: Screen | None) -> tuple[Problem, ...]:
    """What stops Next on ``screen``: the problems of its fields."""
    if screen is None:
        return ()
    return problems(session, [i for i in map(session.issue, screen.fields) if i is not None])


def section_of(key: str) -> str:
    """The top-level section of a screen key (`INTRODUCTION` for top-level questions)."""
    head = key.split("/", 1)[0]
    return head.split("[", 1)[0] if "/" in key or "[" in head else INTRODUCTION


def repeat_position(session: FormSession, key: str) -> RepeatPosition | None:
    """For a screen inside a repeat instance: which instance of how many, else None."""
    parts = key.split("/")
    for depth in range(len(parts), 0, -1):
        match = _INDEXED.match(parts[depth - 1])
        if match:
            instance_path = "/".join(parts[:depth])
            slot_path = "/".join([*parts[: depth - 1], match[1]])
            label = session.label(instance_path) or match[1]
            return RepeatPosition(slot_path, label, int(match[2]),
                                  session.repeat_count(slot_path))
    return None


def _has_relevant(screens: list[Screen], key: str, direction: int) -> bool:
    keys = [s.key for s in screens]
    if key not in keys:
        return False
    i = keys.index(key) + direction
    while 0 <= i < len(screens):
        if screens[i].relevant:
            return True
        i += direction
    return False


def _instance_name(session: FormSession, screens: list[Screen], instance_path: str) -> str:
    """The first answered text in the instance, to tell instances apart."""
    for screen in screens:
        if screen.key.startswith(instance_path):
            for path in screen.fields:
                raw = session.raw(path)
                if raw and session.node(path).element.type == "text":
                    return raw if len(raw) <= 60 else raw[:57] + "…"
    return "…"


def _is_open_question(question: QuestionValue) -> bool:
    """An interview's open question: one multi-line text (not the key quote itself)."""
    return (question.type == "text" and "multiline" in question.appearance
            and not question.name.startswith(KEY_QUOTE_PREFIX))


def screen_value(session: FormSession, screen: Screen, screens: list[Screen], *,
                 interview: bool = False) -> ScreenValue:
    key = screen.key
    title = ""
    slot_path = ""
    instances: tuple[RepeatInstance, ...] = ()
    if screen.kind == "group":
        title = session.label(key)
    elif screen.kind == "repeat":
        slot_path = key[:-2]
        element = session.form.element(screen.element)
        title = session.text(element) or element.name
        base = slot_path
        instances = tuple(
            RepeatInstance(f"{base}[{i}]", i, _instance_name(session, screens, f"{base}[{i}]"))
            for i in range(1, session.repeat_count(slot_path) + 1))
    section = section_of(key)
    questions = tuple(question_value(session, path) for path in screen.fields)
    return ScreenValue(
        key=key,
        kind=screen.kind,
        fields=screen.fields,
        element=screen.element,
        relevant=screen.relevant,
        title=title,
        questions=questions,
        position=repeat_position(session, key) if screen.kind != "repeat" else None,
        instances=instances,
        slot_path=slot_path,
        has_previous=_has_relevant(screens, key, -1),
        has_next=_has_relevant(screens, key, +1),
        section=section,
        # Only an interview draws its section's title (its sections are groups; in
        # another form the top level may be a repeat, which has no label of its own).
        section_title=session.label(section) if interview and section else "",
        open_question=(interview and screen.kind == "field" and len(questions) == 1
                       and _is_open_question(questions[0])),
        group_title=_group_title(session, screen),
    )


def _group_title(session: FormSession, screen: Screen) -> str:
    """The label of the group a one-question screen sits in ('' at the top level and
    directly in a repeat instance, whose bar already names it)."""
    if screen.kind != "field":
        return ""
    parent = screen.key.rpartition("/")[0]
    if not parent or parent.endswith("]"):
        return ""
    try:
        return session.label(parent)
    except (KeyError, AnswerError):
        return ""


def index_entries(session: FormSession, screens: list[Screen],
                  current_key: str | None) -> tuple[IndexEntry, ...]:
    """The question index: every relevant question that takes an answer, under its group."""
    entries: list[IndexEntry] = []
    for screen in screens:
        if not screen.relevant or screen.kind == "repeat":
            continue
        is_current = screen.key == current_key
        depth = 0
        if screen.kind == "group":
            entries.append(IndexEntry(screen.key, _heading(session, screen.key), SECTION,
                                      0, is_current))
            depth = 1
        for path in screen.fields:
            if not session.is_relevant(path):
                continue
            element = session.node(path).element
            if element.type == "note" or session.is_read_only(path):
                continue
            label = session.label(path) or element.name
            issue = session.issue(path)
            raw = session.raw(path)
            if issue is not None and (raw or issue.kind != "required"):
                state = INVALID
            else:
                state = ANSWERED if raw else UNANSWERED
            entries.append(IndexEntry(path, label, state, depth,
                                      is_current and screen.kind == "field",
                                      session.is_required(path)))
    return tuple(entries)


def _heading(session: FormSession, key: str) -> str:
    label = session.label(key) or key
    if key.endswith("]"):
        index = key.rsplit("[", 1)[1].rstrip("]")
        return f"{label} {index}"
    return label


def section_entries(session: FormSession, screens: list[Screen],
                    current_key: str | None) -> tuple[SectionEntry, ...]:
    """An interview's sections in order, with answered / total questions each."""
    order: list[str] = []
    first: dict[str, str] = {}
    counts: dict[str, list[int]] = {}
    for screen in screens:
        if not screen.relevant:
            continue
        section = section_of(screen.key) if screen.kind != "group" or "/" in screen.key \
            else screen.key.split("[", 1)[0]
        if section not in first:
            order.append(section)
            first[section] = screen.key
            counts[section] = [0, 0]
        for path in screen.fields:
            if session.is_relevant(path) and not session.is_read_only(path):
                counts[section][1] += 1
                if session.raw(path):
                    counts[section][0] += 1
    current_section = None
    if current_key is not None:
        current_section = section_of(current_key) if "/" in current_key \
            else current_key.split("[", 1)[0]
        if current_section not in first:
            current_section = INTRODUCTION
    return tuple(
        SectionEntry(section, first[section], (session.label(section) if section else "") or "",
                     counts[section][0], counts[section][1], section == current_section)
        for section in order)


def _key_quote(session: FormSession, screens: list[Screen],
               screen: ScreenValue) -> QuestionValue | None:
    """The key-quote question of an open question's section, shown beside it."""
    if not screen.open_question or not screen.section:
        return None
    for other in screens:
        if section_of(other.key) != screen.section:
            continue
        for path in other.fields:
            if session.node(path).element.name.startswith(KEY_QUOTE_PREFIX):
                return None if path == screen.fields[0] else question_value(session, path)
    return None


def _recording_consent(session: FormSession) -> bool:
    """The form's consent-to-record question is relevant and answered "yes". A form
    without one never offers recording."""
    try:
        node = session.field(RECORDING_CONSENT)
    except (AnswerError, KeyError):
        return False
    return node.raw == "yes" and session.is_relevant(RECORDING_CONSENT)


def form_view(session: FormSession, current: Screen | None, *, interview: bool = False,
              with_problems: bool = False) -> FormView:
    """Everything a filler draws, with ``current`` (refreshed if it is still there) as
    the screen shown."""
    screens = session.screens()
    screen = None
    key_quote = None
    if current is not None:
        fresh = next((s for s in screens if s.key == current.key), current)
        screen = screen_value(session, fresh, screens, interview=interview)
        if interview:
            key_quote = _key_quote(session, screens, screen)
    key = current.key if current is not None else None
    answered, total = session.progress()
    return FormView(
        screen=screen,
        languages=tuple(session.form.languages),
        language=session.language,
        answered=answered,
        total=total,
        index=index_entries(session, screens, key),
        sections=section_entries(session, screens, key) if interview else (),
        key_quote=key_quote,
        problems=problems(session, session.errors()) if with_problems else None,
        recording_consent=interview and _recording_consent(session),
    )
