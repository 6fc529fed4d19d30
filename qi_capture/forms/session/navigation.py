"""Screens and the interviewer's place in a form.

A screen shows one question, or a whole group whose appearance is ``field-list``; each
repeat without a fixed count also gets a closing "repeat" screen where instances are
added. Screens are derived from the live instance each time they are asked for, so they
follow relevance and repeat changes without bookkeeping. ``Navigator`` owns only the
interviewer's place (the current screen's key) and the timing of screens, reported as
``QuestionEntered`` / ``QuestionLeft`` events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.instance import FieldNode, GroupNode, Node, RepeatSlot
from qi_capture.forms.session.runtime import DISPLAY_ONLY_TYPES, FormRuntime
from qi_capture.forms.session.tree import InstanceTree


@dataclass(frozen=True, slots=True)
class Screen:
    """One step of the form as the filler shows it."""

    #: Stable address: the field or group path (``household[2]/age``), or for a repeat's
    #: closing screen the repeat path followed by ``/*`` (``household/*``).
    key: str
    kind: str  # "field" | "group" | "repeat"
    #: Paths of the visible fields on this screen, in form order.
    fields: tuple[str, ...]
    #: Name of the element the screen is for (field, group or repeat).
    element: str
    relevant: bool


class Navigator:
    """Screens, next/previous, jump and progress over one instance tree."""

    __slots__ = ("_events", "_tree", "current_key", "entered_at")

    def __init__(self, tree: InstanceTree, events: ev.EventBus) -> None:
        self._tree = tree
        self._events = events
        #: Key of the screen the interviewer is on (None before the first screen).
        self.current_key: str | None = None
        #: ``time.monotonic()`` when that screen was entered (None: not timing).
        self.entered_at: float | None = None

    # --- building ------------------------------------------------------------------------
    def screens(self) -> list[Screen]:
        """Every screen in order, relevant or not (``relevant`` says which)."""
        return list(self._screens_in(self._tree.root))

    def _screens_in(self, group: GroupNode) -> Iterator[Screen]:
        for item in group.items:
            if isinstance(item, RepeatSlot):
                for instance in item.instances:
                    if "field-list" in instance.element.appearance:
                        yield self._group_screen(instance)
                    else:
                        yield from self._screens_in(instance)
                if item.element.repeat_count is None:
                    path = _slot_path(item)
                    yield Screen(f"{path}/*", "repeat", (), item.element.name,
                                 item.parent.relevant())
            elif isinstance(item, GroupNode):
                if "field-list" in item.element.appearance:
                    yield self._group_screen(item)
                else:
                    yield from self._screens_in(item)
            elif self._tree.runtime.is_visible(item.element):
                yield Screen(item.path(), "field", (item.path(),), item.element.name,
                             item.relevant())

    def _group_screen(self, group: GroupNode) -> Screen:
        fields = [n for n in _visible_fields(self._tree.runtime, group)]
        return Screen(group.path(), "group", tuple(f.path() for f in fields),
                      group.element.name, any(f.relevant() for f in fields))

    # --- moving --------------------------------------------------------------------------
    def current_screen(self) -> Screen | None:
        """The screen the interviewer is on (the first relevant one at the start)."""
        screens = self.screens()
        for screen in screens:
            if screen.key == self.current_key:
                return screen
        # The remembered screen vanished (its instance was removed): start over from
        # the first relevant screen.
        first = next((s for s in screens if s.relevant), None)
        self.enter(first)
        return first

    def next_screen(self) -> Screen | None:
        """Move to the next relevant screen; None (and no move) at the end."""
        return self._step(+1)

    def previous_screen(self) -> Screen | None:
        """Move to the previous relevant screen; None (and no move) at the start."""
        return self._step(-1)

    def _step(self, direction: int) -> Screen | None:
        screens = self.screens()
        current = self.current_screen()
        index = next((i for i, s in enumerate(screens) if current and s.key == current.key), -1)
        i = index + direction
        while 0 <= i < len(screens):
            if screens[i].relevant:
                self.enter(screens[i])
                return screens[i]
            i += direction
        return None

    def go_to(self, path: str) -> Screen:
        """Jump to the screen holding the question (or group) at ``path``; for a group
        or repeat instance shown over several screens (``household[2]``, as
        ``add_repeat`` returns it), to its first relevant screen."""
        wanted = path.strip().strip("/")
        screens = self.screens()
        for screen in screens:
            if screen.key == wanted or wanted in screen.fields:
                self.enter(screen)
                return screen
        inside = [s for s in screens if s.key.startswith(f"{wanted}/")]
        if not inside:
            raise AnswerError(f"no screen shows '{path}'", path=path)
        first = next((s for s in inside if s.relevant), inside[0])
        self.enter(first)
        return first

    def enter(self, screen: Screen | None) -> None:
        """Make ``screen`` the current one, closing the previous one's timing."""
        now = time.monotonic()
        if self.current_key is not None and self.entered_at is not None:
            self._events.emit(ev.QuestionLeft(now, self.current_key, now - self.entered_at))
        self.current_key = screen.key if screen else None
        self.entered_at = now if screen else None
        if screen is not None:
            self._events.emit(ev.QuestionEntered(now, screen.key))

    def pause_timing(self) -> None:
        """The interview is paused (a break, an interruption): the current screen's
        time stops here and starts again with `resume_timing` or the next move."""
        self.leave()

    def resume_timing(self) -> None:
        """Time the current screen again after `pause_timing` (nothing if it runs)."""
        if self.current_key is not None and self.entered_at is None:
            now = time.monotonic()
            self.entered_at = now
            self._events.emit(ev.QuestionEntered(now, self.current_key))

    def leave(self) -> None:
        """Close the current screen's timing (when the filler is closed or paused)."""
        if self.current_key is not None and self.entered_at is not None:
            now = time.monotonic()
            self._events.emit(ev.QuestionLeft(now, self.current_key, now - self.entered_at))
            self.entered_at = None

    # --- progress ------------------------------------------------------------------------
    def progress(self, accepted: Callable[[FieldNode], bool]) -> tuple[int, int]:
        """(answered, relevant) questions that take an answer. An answer its constraint
        refuses (``accepted`` false: the validator's judgement) is not counted as
        answered: it still has to be corrected."""
        answered = total = 0
        for node in _visible_fields(self._tree.runtime, self._tree.root):
            element = node.element
            if element.type in DISPLAY_ONLY_TYPES or element.calculation is not None:
                continue
            if node.relevant():
                total += 1
                if node.raw and accepted(node):
                    answered += 1
        return answered, total


def _visible_fields(runtime: FormRuntime, group: GroupNode) -> Iterator[FieldNode]:
    for item in group.items:
        if isinstance(item, RepeatSlot):
            for instance in item.instances:
                yield from _visible_fields(runtime, instance)
        elif isinstance(item, GroupNode):
            yield from _visible_fields(runtime, item)
        elif runtime.is_visible(item.element):
            yield item


def _slot_path(slot: RepeatSlot) -> str:
    parent: Node = slot.parent
    base = parent.path()
    return f"{base}/{slot.element.name}" if base else slot.element.name
