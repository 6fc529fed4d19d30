"""Filling a form through intentions: set an answer, move, add a repeat, finalise...

`RecordFill` drives an autosaving `RecordDraft`; `ReadOnlyFill` a finalised record
that nothing writes. Both keep the screen the interviewer is on and answer every
intention with a plain outcome; `view()` reads what the filler draws as a frozen
`FormView`. The GUI calls them on its serial write queue (one at a time, never on the UI
thread for a record that autosaves); ``record fill`` calls them in turn.

Neither is thread-safe: one caller at a time, which the write queue guarantees.
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qi_capture.forms.session import FormSession, Screen
from qi_capture.services.answers import unflatten
from qi_capture.services.dto import RecordView, RevisionInfo
from qi_capture.services.records import RecordDraft
from qi_capture.services.screen import FormView, Moved, Problem
from qi_capture.services.screen_reader import form_view, problems, screen_problems

if TYPE_CHECKING:
    from qi_capture.services.context import CoreContext


class Fill:
    """What a filler can ask of a record, whether it can be changed or not."""

    read_only = False

    def __init__(self, session: FormSession, *, style: str | None) -> None:
        self._session = session
        self.interview = style == "interview"
        self.languages: tuple[str, ...] = tuple(session.form.languages)
        self._current: Screen | None = None

    @property
    def session(self) -> FormSession:
        return self._session

    def view(self, *, with_problems: bool = False) -> FormView:
        """What the filler draws now (reads only; moves and writes nothing)."""
        return form_view(self.session, self._current, interview=self.interview,
                         with_problems=with_problems)

    # --- intentions (overridden) ---------------------------------------------------------
    def start(self) -> Moved:
        raise NotImplementedError

    def set_answer(self, path: str, value: object) -> None:
        raise NotImplementedError

    def next(self, *, check: bool = True) -> Moved:
        raise NotImplementedError

    def previous(self) -> Moved:
        raise NotImplementedError

    def go_to(self, path: str) -> Moved:
        raise NotImplementedError

    def set_language(self, language: str) -> None:
        raise NotImplementedError


class RecordFill(Fill):
    """An autosaving record (a draft, or a finalised record being edited): every
    intention returns once its change is durable."""

    def __init__(self, record: RecordDraft) -> None:
        super().__init__(record.session, style=record.form.style)
        self.record = record

    @property
    def session(self) -> FormSession:
        # The record swaps its session when a failed write restores the stored state.
        return self.record.session

    @property
    def record_id(self) -> object:
        return self.record.record_id

    def _move(self, move: Callable[[], Screen | None], *, check: bool = False) -> Moved:
        session = self.record.session
        if check:
            found = screen_problems(session, session.current_screen())
            if found:
                return Moved("refused", found)
        moved = move()
        self._current = session.current_screen()
        return Moved("moved" if moved is not None else "end")

    def start(self) -> Moved:
        """Find the screen to show (where the draft was left)."""
        self._current = self.record.session.current_screen()
        return Moved("moved")

    def set_answer(self, path: str, value: object) -> None:
        """Answer ``path`` (stored text from the GUI's editors; any typed value the
        engine accepts from ``record fill``)."""
        self.record.set(path, value)

    def answer_type(self, path: str) -> str:
        """The question type at ``path``, adding the repeat instances the path names
        first (``record fill`` answers by path); the engine's error if it is no question."""
        self.record.ensure_instances(path)
        return self.record.session.field(path).element.type

    def problems(self) -> tuple[Problem, ...]:
        """Every problem that stops finalising now."""
        return problems(self.record.session, self.record.errors())

    def next(self, *, check: bool = True) -> Moved:
        return self._move(self.record.next_screen, check=check)

    def previous(self) -> Moved:
        return self._move(self.record.previous_screen)

    def go_to(self, path: str) -> Moved:
        return self._move(lambda: self.record.go_to(path))

    def add_repeat(self, slot_path: str) -> Moved:
        """Add an instance at the end of the repeat and go to it."""
        new_path = self.record.add_repeat(slot_path)
        self._current = self.record.go_to(new_path)
        return Moved("moved")

    def remove_repeat(self, slot_path: str, index: int) -> Moved:
        self.record.remove_repeat(slot_path, index)
        self._current = self.record.session.current_screen()
        return Moved("moved")

    def set_language(self, language: str) -> None:
        self.record.set_language(language)

    def attach(self, path: str, file_path: str) -> None:
        """Store the file (encrypted) and answer ``path`` with its name."""
        source = Path(file_path)
        media_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        with source.open("rb") as stream:
            self.record.attach(path, source.name, media_type, stream)

    def finalise(self, comment: str = "") -> RevisionInfo | Moved:
        """The new revision (``comment`` for the reviewer kept with it), or (refused)
        every problem in the way."""
        issues = self.record.errors()
        if issues:
            return Moved("refused", problems(self.record.session, issues))
        return self.record.finalise(comment)

    def pause_timing(self) -> None:
        """The clock paused: the screen's time stops (kept in the paradata)."""
        self.record.pause_timing()

    def resume_timing(self) -> None:
        self.record.resume_timing()

    def close(self) -> None:
        self.record.close()


class ReadOnlyFill(Fill):
    """A finalised record shown read-only: navigation only, nothing written."""

    read_only = True

    def start(self) -> Moved:
        first = next((s for s in self._session.screens() if s.relevant), None)
        if first is not None:
            self._session.go_to(first.key)
            self._current = first
        return Moved("moved")

    def _settle(self, screen: Screen | None) -> Moved:
        if screen is None:
            return Moved("end")
        self._current = screen
        return Moved("moved")

    def set_answer(self, path: str, value: object) -> None:
        return None

    def next(self, *, check: bool = True) -> Moved:
        return self._settle(self._session.next_screen())

    def previous(self) -> Moved:
        self._settle(self._session.previous_screen())
        return Moved("moved")

    def go_to(self, path: str) -> Moved:
        return self._settle(self._session.go_to(path))

    def set_language(self, language: str) -> None:
        self._session.set_language(language)


def open_read_only(ctx: CoreContext, record_id: uuid.UUID) -> tuple[ReadOnlyFill, RecordView]:
    """A finalised record as a read-only fill (never written) and its record view (the
    form's title, whether its study has a study pack...)."""
    view = ctx.records.get(record_id)
    form = ctx.studies.load_form(view.summary.form_version_id)
    data: dict[str, Any] = {"form_id": form.form_id, "data": unflatten(view.answers)}
    return ReadOnlyFill(FormSession.from_submission(form, data), style=form.style), view
