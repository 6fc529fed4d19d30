"""`BlockHasher` gives exactly hashlib's digests, whatever the sizes of the pieces, and a
bundle verifies (or is refused for a changed attachment) the same whether its
attachments are hashed on the worker thread or inline."""

from __future__ import annotations

import hashlib
import io
import random
from typing import Any

import pytest

from qi_capture.sync import bundle as bundle_module
from qi_capture.sync import bundle_verifier, hashing
from qi_capture.sync.errors import BundleRefused
from qi_capture.sync.hashing import BlockHasher


def test_digests_match_hashlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hashing, "BLOCK_BYTES", 50_000)  # many blocks, a full queue
    rng = random.Random(7)
    hasher = BlockHasher()
    expected = []
    for _ in range(12):
        stream, digest = hasher.stream(), hashlib.sha256()
        for _ in range(rng.randrange(0, 40)):
            piece = rng.randbytes(rng.choice([0, 1, 100, 8192, 70000]))
            stream.feed(piece)
            digest.update(piece)
        stream.end()
        expected.append((stream, digest.hexdigest()))
    with pytest.raises(RuntimeError):
        expected[0][0].hexdigest()  # not before finish
    hasher.finish()
    assert [s.hexdigest() for s, _ in expected] == [d for _, d in expected]
    hasher.close()  # after finish: nothing to stop


def test_close_without_finish_stops_the_worker() -> None:
    hasher = BlockHasher()
    stream = hasher.stream()
    stream.feed(bytes(3 << 20))
    stream.end()
    hasher.close()
    hasher.close()


@pytest.mark.parametrize("threshold", [1, 10**12], ids=["worker", "inline"])
def test_attachments_are_checked_either_way(
    kit: Any, monkeypatch: pytest.MonkeyPatch, threshold: int
) -> None:
    monkeypatch.setattr(bundle_verifier, "BACKGROUND_HASH_BYTES", threshold)

    def verify(data: bytes) -> bundle_module.BundleSummary:
        return bundle_module.verify_bundle(
            io.BytesIO(data), study_id="qi-london", identity=kit.admin.keys.bundle_identity,
            devices=kit.devices)

    assert verify(kit.build()).manifest.attachments

    def other_bytes(members: list[bundle_module.Member]) -> list[bundle_module.Member]:
        last = members[-1]
        fake = bytes(last.size)
        return [*members[:-1], bundle_module.Member(
            last.name, last.size, hashlib.sha256(fake).hexdigest(), lambda: [fake])]

    with pytest.raises(BundleRefused) as caught:
        verify(kit.build(members=other_bytes))
    assert caught.value.code == "bundle_content_mismatch"
    assert "SHA-256" in caught.value.message


def test_a_refused_bundle_leaves_no_hashing_thread(
    kit: Any, good_bundle: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    monkeypatch.setattr(bundle_verifier, "BACKGROUND_HASH_BYTES", 1)
    before = {t.ident for t in threading.enumerate()}
    flipped = bytearray(good_bundle)
    flipped[len(good_bundle) - 70_000] ^= 0x01  # inside the attachment's chunks
    for data in (bytes(flipped), good_bundle[:-65_552]):
        with pytest.raises(BundleRefused) as caught:
            bundle_module.verify_bundle(
                io.BytesIO(data), study_id="qi-london",
                identity=kit.admin.keys.bundle_identity, devices=kit.devices)
        assert caught.value.code in ("bundle_payload_tampered", "bundle_truncated")
    assert {t.ident for t in threading.enumerate()} <= before
