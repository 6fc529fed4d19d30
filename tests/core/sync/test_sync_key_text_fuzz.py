"""Fuzzing the keys people type or paste from elsewhere: a device key read out for
``devices enrol --device-key``, a recovery key for ``profile create --recovery-key``,
a recovery identity for ``profile recover``. Whatever the text, each parser returns the
key or raises its own typed error (never a binascii.Error, UnicodeEncodeError or a
panic from the age library), in bounded time."""

from __future__ import annotations

import base64

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.crypto.envelope import generate_identity, recipient_fingerprint
from qi_capture.crypto.errors import RecoveryKeyInvalid
from qi_capture.crypto.recovery import recipient_of, validate_recipient
from qi_capture.sync.admin import parse_device_key
from qi_capture.sync.errors import DeviceKeyInvalid

FUZZ = settings(max_examples=200, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow])
IDENTITY, RECIPIENT = generate_identity()
DEVICE_KEY = base64.b64encode(bytes(range(32))).decode()


@st.composite
def edited(draw: st.DrawFn, valid: str) -> str:
    """``valid`` with a few characters replaced, inserted or cut."""
    text = list(valid)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        new = draw(st.characters())
        how = draw(st.sampled_from(["replace", "insert", "cut"]))
        if how == "insert" or at == len(text):
            text.insert(at, new)
        elif how == "replace":
            text[at] = new
        else:
            del text[at:]
    return "".join(text)


def texts(valid: str) -> st.SearchStrategy[str]:
    return st.text(max_size=200) | edited(valid) | st.builds(
        lambda a, b: a + valid + b, st.text(max_size=3), st.text(max_size=3))


def test_the_valid_keys_parse() -> None:
    assert parse_device_key(f" {DEVICE_KEY}\n") == bytes(range(32))
    assert validate_recipient(RECIPIENT + "\n") == RECIPIENT
    assert recipient_of(IDENTITY) == RECIPIENT
    assert recipient_fingerprint(RECIPIENT).startswith("age-x25519:")


@FUZZ
@given(text=texts(DEVICE_KEY))
def test_device_keys(text: str) -> None:
    try:
        assert len(parse_device_key(text)) == 32
    except DeviceKeyInvalid as refused:
        assert refused.code == "device_key_invalid"


@FUZZ
@given(text=texts(RECIPIENT))
def test_recovery_recipients(text: str) -> None:
    try:
        assert validate_recipient(text).startswith("age1")
        assert recipient_fingerprint(text).startswith("age-x25519:")
    except RecoveryKeyInvalid as refused:
        assert refused.code == "recovery_key_invalid"


@FUZZ
@given(text=texts(IDENTITY))
def test_recovery_identities(text: str) -> None:
    try:
        assert recipient_of(text).startswith("age1")
    except RecoveryKeyInvalid as refused:
        assert refused.code == "recovery_key_invalid"
