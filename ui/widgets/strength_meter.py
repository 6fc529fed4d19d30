"""A passphrase strength meter under the passphrase field.

The core decides (asked through the services as the user types: string checks and the
zxcvbn estimate, no key derivation): the bar shows zxcvbn's score (0-4), the label the
first rule the passphrase fails, and a second label zxcvbn's own feedback (a warning and
suggestions, in English), so the person sees what to change, not only that it is weak."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from qi_capture.services.dto import PassphraseStrength
from ui.errors import weak_passphrase_message

#: The core's verdict on a passphrase (``ProfileService.passphrase_strength``).
PassphraseAssess = Callable[[str], PassphraseStrength]

#: zxcvbn score -> bar level (styled in app.qss); any refusal shows as weak.
_LEVELS = ("weak", "weak", "fair", "good", "strong")


class StrengthMeter(QWidget):
    def __init__(self, parent: QWidget | None = None,
                 assess: PassphraseAssess | None = None) -> None:
        super().__init__(parent)
        self._assess = assess
        #: The core's reason for refusing the current text ('' when it accepts it).
        self.refusal = ""
        self.level = "weak"
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 4)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.bar.setAccessibleName(self.tr("Passphrase strength"))
        self.label = QLabel(self)
        self.label.setObjectName("strengthLabel")
        self.label.setWordWrap(True)  # the advice is a sentence; never clip it
        self.feedback = QLabel(self)
        self.feedback.setObjectName("strengthFeedback")
        self.feedback.setWordWrap(True)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        layout.addWidget(self.feedback)
        self.update_for("")

    def update_for(self, text: str) -> None:
        verdict = self._assess(text) if self._assess is not None and text else None
        score = verdict.score if verdict is not None else 0
        self.refusal = (verdict.reason or "") if verdict is not None else ""
        self.level = "weak" if self.refusal or not text else _LEVELS[max(0, min(score, 4))]
        self.bar.setValue(score if not self.refusal else min(score, 2))
        self.bar.setProperty("level", self.level)
        self.bar.style().unpolish(self.bar)
        self.bar.style().polish(self.bar)
        advice = ([verdict.warning, *verdict.suggestions] if verdict is not None else [])
        self.feedback.setText("\n".join(line for line in advice if line))
        self.feedback.setVisible(bool(self.feedback.text()))
        if not text:
            self.label.setText(self.tr(
                "At least 12 characters. A few unrelated words are easy to remember and "
                "hard to guess."))
        elif self.refusal:
            self.label.setText(weak_passphrase_message(self.refusal))
        else:
            self.label.setText(self.tr("Strong."))
