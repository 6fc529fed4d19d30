"""Screens and the interviewer's place in a form.

A screen shows one question, or a whole group whose appearance is ``field-list``; each
repeat without a fixed count also gets a closing "repeat" screen where instances are
added. Screens are derived from the live instance each time they are asked for, so they
follow relevance and repeat changes without bookkeeping.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from qi_capture.forms.session import events as ev
from qi_capture.forms.session.answers import AnswerError
from qi_capture.forms.session.instance import FieldNode, GroupNode, Node, RepeatSlot
from qi_capture.forms.session.repeats import RepeatsMixin
from qi_capture.forms.session.runtime import DISPLAY_ONLY_TYPES


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


class NavigationMixin(RepeatsMixin):
    """Screens, next/previous, jump and progress for FormSession."""

    # --- building ------------------------------------------------------------------------
    def screens(self) -> list[Screen]:
        """Every screen in order, relevant or not (``relevant`` says which)."""
        return list(self._screens_in(self.root))

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
            elif self.runtime.is_visible(item.element):
                yield Screen(item.path(), "field", (item.path(),), item.element.name,
                             item.relevant())

    def _group_screen(self, group: GroupNode) -> Screen:
        fields = [n for n in _visible_fields(self, group)]
        return Screen(group.path(), "group", tuple(f.path() for f in fields),
                      group.element.name, any(f.relevant() for f in fields))

    # --- moving --------------------------------------------------------------------------
    def current_screen(self) -> Screen | None:
        """The screen the interviewer is on (the first relevant one at the start)."""
        screens = self.screens()
        for screen in screens:
            if screen.key == self._current_key:
                return screen
        # The remembered screen vanished (its instance was removed): start over from
        # the first relevant screen.
        first = next((s for s in screens if s.relevant), None)
        self._enter(first)
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
                self._enter(screens[i])
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
                self._enter(screen)
                return screen
        inside = [s for s in screens if s.key.startswith(f"{wanted}/")]
        if not inside:
            raise AnswerError(f"no screen shows '{path}'", path=path)
        first = next((s for s in inside if s.relevant), inside[0])
        self._enter(first)
        return first

    def _enter(self, screen: Screen | None) -> None:
        now = time.monotonic()
        if self._current_key is not None and self._entered_at is not None:
            self._emit(ev.QuestionLeft(now, self._current_key, now - self._entered_at))
        self._current_key = screen.key if screen else None
        self._entered_at = now if screen else None
        if screen is not None:
            self._emit(ev.QuestionEntered(now, screen.key))

    def pause_timing(self) -> None:
        """The interview is paused (a break, an interruption): the current screen's
        time stops here and starts again with `resume_timing` or the next move."""
        self.leave()

    def resume_timing(self) -> None:
        """Time the current screen again after `pause_timing` (nothing if it runs)."""
        if self._current_key is not None and self._entered_at is None:
            now = time.monotonic()
            self._entered_at = now
            self._emit(ev.QuestionEntered(now, self._current_key))

    def leave(self) -> None:
        """Close the current screen's timing (when the filler is closed or paused)."""
        if self._current_key is not None and self._entered_at is not None:
            now = time.monotonic()
            self._emit(ev.QuestionLeft(now, self._current_key, now - self._entered_at))
            self._entered_at = None

    # --- progress ------------------------------------------------------------------------
    def progress(self) -> tuple[int, int]:
        """(answered, relevant) questions that take an answer. An answer its constraint
        refuses is not counted as answered: it still has to be corrected."""
        answered = total = 0
        for node in _visible_fields(self, self.root):
            element = node.element
            if element.type in DISPLAY_ONLY_TYPES or element.calculation is not None:
                continue
            if node.relevant():
                total += 1
                if node.raw and self._issue_for(node) is None:
                    answered += 1
        return answered, total


def _visible_fields(nav: NavigationMixin, group: GroupNode) -> Iterator[FieldNode]:
    for item in group.items:
        if isinstance(item, RepeatSlot):
            for instance in item.instances:
                yield from _visible_fields(nav, instance)
        elif isinstance(item, GroupNode):
            yield from _visible_fields(nav, item)
        elif nav.runtime.is_visible(item.element):
            yield item


def _slot_path(slot: RepeatSlot) -> str:
    parent: Node = slot.parent
    base = parent.path()
    return f"{base}/{slot.element.name}" if base else slot.element.name
