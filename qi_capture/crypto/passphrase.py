"""Rules for a new passphrase: long enough, and not one of the guesses tried first.

First a few plain rules, each with its own ``reason`` so the UI can say exactly what to
change: length, surrounding spaces, variety, repetition, keyboard/alphabet runs and a short
list of the most common choices. Then the strength as zxcvbn estimates it (Dropbox's
estimator: dictionaries of common passwords, names and words, dates, l33t, keyboard
patterns), which must reach ``MIN_SCORE``; its feedback (a warning and suggestions) goes
with the refusal, and ``estimate`` gives it to the strength meter as the user types.

``MIN_SCORE`` is zxcvbn's top score, 4 (about 10^10 guesses or more): the threat is a laptop
thief guessing offline with unlimited time, and score 3 still passes ``Manchester2024!``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from qi_capture.crypto.errors import WeakPassphrase

#: zxcvbn's score (0-4) a new passphrase must reach.
MIN_SCORE = 4
#: zxcvbn's cost grows faster than linearly with length (0.1 s at 72 characters, seconds
#: at 256), and the meter runs it on every key press: only this many characters are
#: estimated. More characters never make a passphrase weaker, so this only errs safe.
ESTIMATE_CHARS = 72

MIN_LENGTH = 12
MIN_DISTINCT = 6

# Lower-cased, separators removed. The first guesses of any cracking run, plus words an
# NHS fieldworker is likely to reach for.
_COMMON_WORDS = """
    password passw0rd passphrase letmein welcome iloveyou admin qwerty qwertyuiop asdfghjkl
    zxcvbnm monkey dragon football baseball sunshine princess trustno1 abc123 changeme
    secret nhs nhsengland londonnhs london hospital qicapture quality improvement
    qualityimprovement summer winter spring autumn correcthorsebatterystaple
"""
_COMMON = frozenset(_COMMON_WORDS.split())
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789012345678901234567890",
    "qwertyuiopasdfghjklzxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm",
)


def _core(passphrase: str) -> str:
    """Lower case, letters and digits only, trailing digits/years dropped ("Password2024!")."""
    simple = re.sub(r"[^0-9a-z]", "", passphrase.lower())
    return re.sub(r"\d+$", "", simple) or simple


def _is_repetition(text: str) -> bool:
    # "abcabcabcabc", "passpasspass": the whole string is a shorter unit repeated.
    return re.fullmatch(r"(.+?)\1+", text, flags=re.DOTALL) is not None


def _is_run(text: str) -> bool:
    simple = re.sub(r"[^0-9a-z]", "", text.lower())
    if len(simple) < 6:
        return False
    return any(simple in run or simple in run[::-1] for run in _RUNS)


@dataclass(frozen=True, slots=True)
class Strength:
    """zxcvbn's estimate of a passphrase: ``score`` 0-4, its feedback (English)."""

    score: int
    guesses_log10: float
    warning: str
    suggestions: tuple[str, ...]


def estimate(passphrase: str) -> Strength:
    """zxcvbn's estimate, with the words our users reach for counted as known."""
    # Imported here: building its dictionaries takes about 0.2 s, which only profile
    # creation and passphrase changes should pay, never every start of the app.
    from zxcvbn import zxcvbn

    text = unicodedata.normalize("NFC", passphrase)[:ESTIMATE_CHARS]
    if not text:
        return Strength(0, 0.0, "", ())
    result = zxcvbn(text, user_inputs=sorted(_COMMON))
    feedback = result.get("feedback") or {}
    return Strength(
        score=int(result["score"]),
        guesses_log10=float(result["guesses_log10"]),
        warning=str(feedback.get("warning") or ""),
        suggestions=tuple(str(s) for s in feedback.get("suggestions") or ()),
    )


def check_passphrase(passphrase: str, strength: Strength | None = None) -> None:
    """Raise `WeakPassphrase` with a specific message, or return if acceptable.

    ``strength``: ``estimate(passphrase)`` when the caller already has it."""
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < MIN_LENGTH:
        raise WeakPassphrase(
            f"The passphrase must be at least {MIN_LENGTH} characters long "
            f"(it has {len(text)}). A few unrelated words work well.",
            reason="too_short",
        )
    if text.strip() != text or not text.strip():
        raise WeakPassphrase(
            "The passphrase must not start or end with spaces.", reason="surrounding_space"
        )
    if len(set(text.lower())) < MIN_DISTINCT:
        raise WeakPassphrase(
            f"The passphrase uses too few different characters (at least {MIN_DISTINCT} "
            "are needed).",
            reason="too_few_distinct",
        )
    if _is_repetition(text.lower()):
        raise WeakPassphrase(
            "The passphrase is the same short piece repeated; choose unrelated words.",
            reason="repeated",
        )
    if _is_run(text):
        raise WeakPassphrase(
            "The passphrase is a run of keys or letters (like 'abcdef' or 'qwerty'), "
            "which is guessed first.",
            reason="sequence",
        )
    core = _core(text)
    if core in _COMMON or any(core == word * n for word in _COMMON for n in range(2, 5)):
        raise WeakPassphrase(
            "The passphrase is one of the most commonly used ones; choose something else.",
            reason="common",
        )
    if strength is None:
        strength = estimate(text)
    if strength.score < MIN_SCORE:
        # zxcvbn gives no feedback for middling scores ("Manchester2024!" is a 3): then
        # the advice that always helps.
        suggestions = strength.suggestions or (
            "Add another word or two. Uncommon words are better.",)
        feedback = " ".join(part for part in (strength.warning, *suggestions) if part)
        raise WeakPassphrase(
            "The passphrase is too easy to guess (strength "
            f"{strength.score} of 4, at least {MIN_SCORE} is needed). {feedback}",
            reason="guessable",
            score=strength.score,
            warning=strength.warning,
            suggestions=list(suggestions),
        )
