"""Fuzzing what is inside a bundle. Anyone holding the study pack can encrypt whatever
they like to the study key, so everything after decryption is untrusted input: our
own tar reader (`qi_capture.sync.ustar`), the manifest, the signature and the member
checks. Whatever the plaintext, `verify_bundle` returns a summary or raises its own
`BundleRefused` (never a KeyError, struct.error, RecursionError...), in bounded time.

Two kinds of plaintext, each encrypted to the study's real recipients: arbitrary bytes,
and a real bundle's tar stream with a few bytes changed and perhaps cut short. The tar
reader is also fed arbitrary bytes directly, in arbitrary pieces."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.crypto.envelope import decrypt_bytes, encrypt_stream
from qi_capture.sync import ustar
from qi_capture.sync.bundle import verify_bundle
from qi_capture.sync.errors import BundleMalformed, BundleRefused
from qi_capture.sync.pack import installed_study
from tests.core.sync.conftest import STUDY_ID, BundleKit

FUZZ = settings(max_examples=40, deadline=5000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def plaintext(kit: BundleKit, good_bundle: bytes) -> bytes:
    return decrypt_bytes(good_bundle, kit.admin.keys.bundle_identity)


@pytest.fixture(scope="module")
def seal(kit: BundleKit) -> Callable[[bytes], bytes]:
    """Encrypt a plaintext to the study's recipients, as an attacker with the pack can."""
    study = installed_study(kit.store, STUDY_ID)
    assert study is not None
    recipients = list(study.recipients)

    def encrypt(data: bytes) -> bytes:
        out = io.BytesIO()
        encrypt_stream(io.BytesIO(data), out, recipients)
        return out.getvalue()

    return encrypt


def verify(kit: BundleKit, data: bytes) -> None:
    try:
        verify_bundle(io.BytesIO(data), study_id=STUDY_ID,
                      identity=kit.admin.keys.bundle_identity, devices=kit.devices,
                      recovery_recipient=kit.admin.keys.recovery_recipient)
    except BundleRefused as refused:
        assert refused.code.startswith("bundle_"), refused.code
        assert refused.message


def test_the_real_plaintext_verifies(kit: BundleKit, plaintext: bytes,
                                     seal: Callable[[bytes], bytes]) -> None:
    summary = verify_bundle(io.BytesIO(seal(plaintext)), study_id=STUDY_ID,
                            identity=kit.admin.keys.bundle_identity, devices=kit.devices,
                            recovery_recipient=kit.admin.keys.recovery_recipient)
    assert summary.manifest.study_id == STUDY_ID and len(summary.manifest.records) >= 4


@FUZZ
@given(data=st.binary(max_size=4096))
def test_any_plaintext_sealed_to_the_study_is_refused_by_name(
    kit: BundleKit, seal: Callable[[bytes], bytes], data: bytes
) -> None:
    with pytest.raises(BundleRefused):
        verify_bundle(io.BytesIO(seal(data)), study_id=STUDY_ID,
                      identity=kit.admin.keys.bundle_identity, devices=kit.devices,
                      recovery_recipient=kit.admin.keys.recovery_recipient)


@FUZZ
@given(data=st.data())
def test_a_real_tar_stream_edited_and_sealed_again(
    kit: BundleKit, plaintext: bytes, seal: Callable[[bytes], bytes], data: st.DataObject
) -> None:
    edited = bytearray(plaintext)
    # Most edits land in the first blocks, where the headers and the manifest are.
    near = st.integers(0, min(len(edited), 8 * ustar.BLOCK) - 1)
    anywhere = st.integers(0, len(edited) - 1)
    for at, value in data.draw(st.lists(st.tuples(near | anywhere, st.integers(0, 255)),
                                        min_size=1, max_size=8)):
        edited[at] = value
    if data.draw(st.booleans()):
        edited = edited[: data.draw(st.integers(0, len(edited)))]
    verify(kit, seal(bytes(edited)))


class Recorder:
    def __init__(self) -> None:
        self.sizes: list[int] = []

    def begin(self, member: ustar.UstarMember) -> Callable[[bytes], object]:
        assert member.size >= 0 and member.name
        self.sizes.append(0)

        def take(chunk: bytes) -> None:
            self.sizes[-1] += len(chunk)

        return take

    def end(self) -> None:
        pass


@settings(max_examples=200, deadline=2000)
@given(data=st.binary(max_size=6 * ustar.BLOCK),
       cuts=st.lists(st.integers(0, 6 * ustar.BLOCK), max_size=6),
       header=st.booleans())
def test_the_tar_reader_takes_any_bytes_in_any_pieces(
    data: bytes, cuts: list[int], header: bool
) -> None:
    if header:  # a well-formed first header, so what follows it is reached too
        data = ustar.header("manifest.json", len(data) % 700) + data
    recorder = Recorder()
    reader = ustar.UstarPush(recorder)
    points = sorted({0, *(c % (len(data) + 1) for c in cuts), len(data)})
    try:
        for start, end in itertools.pairwise(points):
            reader.write(data[start:end])
        reader.close()
    except BundleMalformed as refused:
        assert refused.message
