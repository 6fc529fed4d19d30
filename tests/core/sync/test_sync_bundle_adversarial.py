"""SECURITY.md's adversarial bundle tests: bit flips at >= 1,000 random offsets and at every
structural boundary (header lines, stanza bodies, MAC, nonce, 64 KiB chunk boundaries and
tags), truncation at 0, inside the header and at every 64 KiB boundary +-1, the final
chunk dropped, trailing bytes: every one refused with a `BundleRefused`, and nothing
written anywhere (verification runs in memory; the working and temp folders stay empty).
"""

from __future__ import annotations

import collections
import io
import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qi_capture.sync.bundle import verify_bundle
from qi_capture.sync.errors import BundleRefused

STUDY_ID = "qi-london"
SEALED = 65536 + 16


def layout(data: bytes) -> tuple[int, list[int]]:
    """(header length, file offsets where each sealed chunk starts)."""
    header = data.index(b"\n", data.index(b"\n--- ") + 1) + 1
    starts = list(range(header + 16, len(data), SEALED))
    return header, starts


def flipped(data: bytes, offset: int, bit: int) -> bytes:
    out = bytearray(data)
    out[offset] ^= 1 << bit
    return bytes(out)


@pytest.fixture
def quiet_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Working folder and temp folder are empty dirs; checked empty afterwards."""
    work, temp = tmp_path / "cwd", tmp_path / "tmp"
    work.mkdir()
    temp.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    yield tmp_path
    assert not any(work.iterdir()) and not any(temp.iterdir())


def run_cases(kit: Any, cases: dict[str, bytes]) -> collections.Counter[str]:
    codes: collections.Counter[str] = collections.Counter()
    accepted = []
    for name, data in cases.items():
        try:
            verify_bundle(io.BytesIO(data), study_id=STUDY_ID,
                          identity=kit.admin.keys.bundle_identity, devices=kit.devices)
        except BundleRefused as error:
            codes[error.code] += 1
            continue
        accepted.append(name)
    assert not accepted, f"accepted after tampering: {accepted[:10]}"
    return codes


def test_bit_flips_at_1000_random_offsets(kit: Any, good_bundle: bytes, quiet_disk: Path) -> None:
    rng = random.Random(20250301)
    cases = {}
    while len(cases) < 1000:
        offset, bit = rng.randrange(len(good_bundle)), rng.randrange(8)
        cases[f"flip {offset}.{bit}"] = flipped(good_bundle, offset, bit)
    codes = run_cases(kit, cases)
    assert sum(codes.values()) == 1000
    # Most of the file is encrypted payload: most flips fail a chunk's authentication.
    assert codes["bundle_payload_tampered"] > 800


def test_bit_flips_at_every_structural_boundary(
    kit: Any, good_bundle: bytes, quiet_disk: Path
) -> None:
    header, starts = layout(good_bundle)
    offsets: set[int] = set(range(header))  # every header byte: lines, stanza bodies, MAC
    offsets.update(range(header, header + 16))  # the STREAM nonce
    for start in starts:
        end = min(start + SEALED, len(good_bundle))
        offsets.update({start, start + 1, end - 17, end - 16})  # chunk edges, tag start
        offsets.update(range(end - 16, end))  # the whole tag
    offsets.update(range(len(good_bundle) - 20, len(good_bundle)))  # the final chunk's end
    cases = {}
    for offset in sorted(o for o in offsets if o < len(good_bundle)):
        for bit in (0, 7):
            cases[f"flip {offset}.{bit}"] = flipped(good_bundle, offset, bit)
    codes = run_cases(kit, cases)
    assert len(starts) >= 3, "the bundle should span several chunks"
    assert {"bundle_header_tampered", "bundle_payload_tampered"} <= set(codes)
    assert len(cases) > 500


def test_truncations_and_extensions(kit: Any, good_bundle: bytes, quiet_disk: Path) -> None:
    header, starts = layout(good_bundle)
    size = len(good_bundle)
    cuts = {0, 1, 10, 21, 22, header // 2, header - 48, header - 1, header, header + 8,
            header + 16, header + 17, header + 31, header + 32}
    line_ends = [i + 1 for i, byte in enumerate(good_bundle[:header]) if byte == 0x0A]
    cuts.update(line_ends)
    cuts.update(e - 1 for e in line_ends)
    for start in [*starts, size]:
        cuts.update({start - 1, start, start + 1})
    cases = {f"cut at {c}": good_bundle[:c] for c in sorted(cuts) if 0 <= c < size}
    cases["final chunk dropped"] = good_bundle[: starts[-1]]
    cases["trailing zero"] = good_bundle + b"\0"
    cases["trailing 16"] = good_bundle + os.urandom(16)
    cases["trailing chunk"] = good_bundle + os.urandom(SEALED)
    cases["final chunk twice"] = good_bundle + good_bundle[starts[-1]:]
    cases["trailing newline"] = good_bundle + b"\n"
    codes = run_cases(kit, cases)
    assert codes["bundle_truncated"] >= len([c for c in cuts if c < size]) - 5
    assert codes["bundle_trailing_bytes"] == 5
    assert run_cases(kit, {"final": good_bundle[: starts[-1]]}) == {"bundle_truncated": 1}


def test_a_file_verifies_without_writing(kit: Any, good_bundle: bytes, quiet_disk: Path) -> None:
    bundle = quiet_disk / "in" / "b.qibundle"
    bundle.parent.mkdir()
    bundle.write_bytes(good_bundle)
    before = {p: p.stat().st_mtime_ns for p in quiet_disk.rglob("*")}
    from qi_capture.sync.bundle import verify_bundle_file

    summary = verify_bundle_file(bundle, study_id=STUDY_ID,
                                 identity=kit.admin.keys.bundle_identity, devices=kit.devices)
    assert len(summary.manifest.records) == 4
    assert {p: p.stat().st_mtime_ns for p in quiet_disk.rglob("*")} == before
