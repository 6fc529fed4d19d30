"""Rules for a new passphrase: long enough, and not one of the guesses tried first.

This is deliberately simple (no dictionary download, no scoring library): length, variety,
repetition, keyboard/alphabet runs and a short list of the most common choices. Each
refusal has its own ``reason`` so the UI can say exactly what to change.
"""

from __future__ import annotations

import re
import unicodedata

from qi_capture.crypto.errors import WeakPassphrase

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


def check_passphrase(passphrase: str) -> None:
    """Raise `WeakPassphrase` with a specific message, or return if acceptable."""
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
