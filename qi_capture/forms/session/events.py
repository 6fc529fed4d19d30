"""Paradata: what a form session reports as it is filled.

The store keeps these as the record's audit log. Timestamps are ``time.monotonic()``
readings; the session also records the wall clock once, at start, so the log's times can
be placed on the calendar without trusting a clock the interviewer may change later
(ODK's audit log does the same).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SessionEvent:
    #: ``time.monotonic()`` when it happened.
    at: float


@dataclass(frozen=True, slots=True)
class QuestionEntered(SessionEvent):
    path: str


@dataclass(frozen=True, slots=True)
class QuestionLeft(SessionEvent):
    path: str
    #: Seconds spent on the screen since it was entered.
    duration: float


@dataclass(frozen=True, slots=True)
class ValueChanged(SessionEvent):
    path: str
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class ConstraintFailed(SessionEvent):
    path: str
    message: str


@dataclass(frozen=True, slots=True)
class ChoiceCleared(SessionEvent):
    """A select's answer held choices its ``choice_filter`` (or the repeat answers it
    offers) no longer offers, and they were taken out of it, as ODK Collect does: a
    select_one is cleared, a select_multiple keeps the choices still offered. The new
    value comes in the ``ValueChanged`` event just before this one."""

    path: str
    #: The choice names taken out of the answer, in answer order.
    choices: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RepeatAdded(SessionEvent):
    path: str


@dataclass(frozen=True, slots=True)
class RepeatRemoved(SessionEvent):
    path: str


@dataclass(frozen=True, slots=True)
class LanguageChanged(SessionEvent):
    language: str | None


EventListener = Callable[[SessionEvent], None]


class EventBus:
    """The listeners of one form session; every part reports through it."""

    __slots__ = ("_listeners",)

    def __init__(self) -> None:
        self._listeners: list[EventListener] = []

    def subscribe(self, listener: EventListener) -> Callable[[], None]:
        """Call ``listener`` with every SessionEvent; returns a function that unsubscribes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def emit(self, event: SessionEvent) -> None:
        # A copy: a listener may unsubscribe while being called.
        for listener in list(self._listeners):
            listener(event)
