"""Form sessions: the state of one questionnaire or interview being filled in."""

from __future__ import annotations

from qi_capture.forms.session.answers import AnswerError, GeoPoint
from qi_capture.forms.session.events import (
    ChoiceCleared,
    ConstraintFailed,
    LanguageChanged,
    QuestionEntered,
    QuestionLeft,
    RepeatAdded,
    RepeatRemoved,
    SessionEvent,
    ValueChanged,
)
from qi_capture.forms.session.navigation import Screen
from qi_capture.forms.session.prefill import SessionEnvironment
from qi_capture.forms.session.session import FormSession
from qi_capture.forms.session.validation import ValidationIssue

__all__ = [
    "AnswerError",
    "ChoiceCleared",
    "ConstraintFailed",
    "FormSession",
    "GeoPoint",
    "LanguageChanged",
    "QuestionEntered",
    "QuestionLeft",
    "RepeatAdded",
    "RepeatRemoved",
    "Screen",
    "SessionEnvironment",
    "SessionEvent",
    "ValidationIssue",
    "ValueChanged",
]
