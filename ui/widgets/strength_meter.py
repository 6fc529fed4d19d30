"""A passphrase strength meter: a rough guide while typing. The core's rules (asked through
the services as the user types: string checks, no key derivation) decide whether the
passphrase is acceptable, and their refusal is shown as it is; the bar only encourages
length and variety, the two things that matter most."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from ui.errors import weak_passphrase_message


def estimate_bits(text: str) -> float:
    """A deliberately modest entropy estimate: length x log2(alphabet), with repeats and
    runs discounted."""
    if not text:
        return 0.0
    pool = 0
    if any(c.islower() for c in text):
        pool += 26
    if any(c.isupper() for c in text):
        pool += 26
    if any(c.isdigit() for c in text):
        pool += 10
    if any(not c.isalnum() for c in text):
        pool += 20
    distinct = len(set(text.lower()))
    effective = min(len(text), distinct * 2)
    return effective * math.log2(max(pool, 2)) * 0.6


def strength(text: str) -> tuple[int, str]:
    """(0-100, level) where level is weak | fair | good | strong."""
    bits = estimate_bits(text)
    score = min(100, int(bits))
    if len(text) < 12 or bits < 40:
        return score, "weak"
    if bits < 60:
        return score, "fair"
    if bits < 80:
        return score, "good"
    return score, "strong"


#: The core's verdict on a passphrase: None (acceptable) or (reason code, message).
PassphraseCheck = Callable[[str], "tuple[str, str] | None"]


class StrengthMeter(QWidget):
    def __init__(self, parent: QWidget | None = None,
                 check: PassphraseCheck | None = None) -> None:
        super().__init__(parent)
        self._check = check
        #: The core's reason for refusing the current text ('' when it accepts it).
        self.refusal = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 100)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(self.fontMetrics().height() // 2 + 2)
        self.bar.setAccessibleName(self.tr("Passphrase strength"))
        self.label = QLabel(self)
        self.label.setObjectName("strengthLabel")
        self.label.setWordWrap(True)  # the advice is a sentence; never clip it
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        self.level = "weak"
        self.update_for("")

    def update_for(self, text: str) -> None:
        score, level = strength(text)
        verdict = self._check(text) if self._check is not None and text else None
        self.refusal = verdict[0] if verdict is not None else ""
        if self.refusal:
            level, score = "weak", min(score, 30)
        self.level = level
        self.bar.setValue(score)
        self.bar.setProperty("level", level)
        self.bar.style().unpolish(self.bar)
        self.bar.style().polish(self.bar)
        words = {
            "weak": self.tr("Too weak: use at least 12 characters — a few unrelated words "
                            "work well."),
            "fair": self.tr("Fair: a longer passphrase would be safer."),
            "good": self.tr("Good."),
            "strong": self.tr("Strong."),
        }
        if self.refusal:
            self.label.setText(weak_passphrase_message(self.refusal))
            return
        self.label.setText(words[level] if text else self.tr(
            "At least 12 characters. A few unrelated words are easy to remember and hard "
            "to guess."))
