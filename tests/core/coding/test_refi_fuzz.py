"""Fuzzing the REFI-QDA reader (import is hostile input): whatever the bytes of
``project.qde``, of a source or of the zip itself, `read_project` and `read_codebook`
return values or raise `ExchangeInvalid` (never a KeyError, ValueError, lxml or zip
error), in bounded time, and every selection they return lies inside its source (an audio selection: begin
before end, within `MAX_AUDIO_MS`).

Inputs: a real project (made with the real writer) with bytes flipped, inserted,
deleted or cut, and arbitrary bytes."""

from __future__ import annotations

import contextlib
import io
import time
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.coding import refi
from qi_capture.coding.errors import ExchangeInvalid
from qi_capture.coding.model import Code, Coder, Coding, Memo
from qi_capture.coding.refi_read import MAX_AUDIO_MS, read_codebook, read_project

FUZZ = settings(max_examples=80, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
BOUND_SECONDS = 1.0


def _project() -> tuple[bytes, dict[str, bytes]]:
    alice = Coder(uuid.uuid4(), "alice")
    code = Code(uuid.uuid4(), "Barrier", "In the way", "#C0392B")
    child = Code(uuid.uuid4(), "Time", "", "#123456", parent=code.guid)
    record = uuid.uuid4()
    text = "Interview\n\nBarriers\n\nWhat gets in the way?\nNo protected time #barrier\n\n"
    start = text.index("No protected")
    passage = uuid.uuid4()
    coding = Coding(uuid.uuid4(), passage, record, "f", "r", 0, 5, "No pr", child.guid,
                    "alice", "analyst", True, False)
    memo = Memo(uuid.uuid4(), "a memo", "alice", passage=passage)
    stretch = uuid.uuid4()
    audio = refi.ExportAudio(refi.audio_guid("s", record), "interview.opus",
                             f"relative://attachments/{record}/interview.opus",
                             ((stretch, 1_500, 4_250, ((uuid.uuid4(), code.guid, "alice"),),
                               None),))
    source = refi.ExportSource(record, "Interview", text, {"Footprint": "North"},
                               ((passage, start, start + 5, ((coding.guid, coding.code, coding.coder),),
                                 memo.guid),), audio)
    xml = refi.project_xml(study_id="s", name="p", coders=[alice], codes=[code, child],
                           sources=[source], memos=[memo], variables=["Footprint"],
                           created=datetime(2026, 1, 1, tzinfo=UTC))
    return xml, {f"sources/{record}.txt": text.encode()}


PROJECT, SOURCES = _project()


def _mutate(data: bytes, draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "replace"]))
    at = draw(st.integers(0, len(data)))
    chunk = draw(st.binary(min_size=1, max_size=40))
    if kind == "flip" and at < len(data):
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
    if kind == "insert":
        return data[:at] + chunk + data[at:]
    if kind == "delete":
        return data[:at] + data[at + len(chunk):]
    if kind == "cut":
        return data[:at]
    return data[:at] + chunk + data[at + len(chunk):]


@st.composite
def mutated_project(draw: st.DrawFn) -> tuple[bytes, dict[str, bytes]]:
    xml = PROJECT
    sources = dict(SOURCES)
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            xml = _mutate(xml, draw)
        else:
            name = next(iter(sources))
            sources[name] = _mutate(sources[name], draw)
    return xml, sources


def _zip(xml: bytes, sources: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", xml)
        for name, data in sources.items():
            z.writestr(name, data)
    return buffer.getvalue()


def _check(path: Path) -> None:
    began = time.perf_counter()
    try:
        project = read_project(path)
    except ExchangeInvalid:
        pass
    else:
        for source in project.sources:
            for sel in source.selections:
                assert 0 <= sel.start <= sel.end <= len(source.text)
        for audio in project.audio_sources:
            for sel in audio.selections:
                assert 0 <= sel.start < sel.end <= MAX_AUDIO_MS
    assert time.perf_counter() - began < BOUND_SECONDS


def test_the_unmutated_project_reads() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.qdpx"
        path.write_bytes(_zip(PROJECT, SOURCES))
        project = read_project(path)
    assert [c.name for c in project.codes] == ["Barrier", "Time"]
    assert project.sources[0].selections[0].notes
    (audio,) = project.audio_sources
    assert [(a.start, a.end) for a in audio.selections] == [(1_500, 4_250)]
    assert project.other_sources == 0


@FUZZ
@given(mutated_project())
def test_mutated_projects(case: tuple[bytes, dict[str, bytes]]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.qdpx"
        path.write_bytes(_zip(*case))
        _check(path)


@FUZZ
@given(st.binary(max_size=2000), st.booleans())
def test_arbitrary_bytes(data: bytes, as_zip: bool) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.qdpx"
        path.write_bytes(_zip(data, {}) if as_zip else data)
        _check(path)
        book = Path(tmp) / "b.qdc"
        book.write_bytes(data)
        with contextlib.suppress(ExchangeInvalid):
            read_codebook(book)


@FUZZ
@given(st.data())
def test_mutated_zip_bytes(data: st.DataObject) -> None:
    import tempfile

    mutated = _mutate(_zip(PROJECT, SOURCES), data.draw)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.qdpx"
        path.write_bytes(mutated)
        _check(path)


def test_huge_files_are_refused(tmp_path: Path) -> None:
    from qi_capture.coding import refi_read

    # A codebook past the XML limit: refused before it is parsed.
    book = tmp_path / "huge.qdc"
    with book.open("wb") as handle:
        handle.write(b'<CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes>')
        handle.write(b" " * refi_read.MAX_XML)
        handle.write(b"</Codes></CodeBook>")
    try:
        read_codebook(book)
    except ExchangeInvalid as exc:
        assert "larger than" in str(exc)
    else:
        raise AssertionError("a codebook over the limit was read")
    # A project stored (not compressed) past the member limit: refused while unpacking.
    project = tmp_path / "huge.qdpx"
    with zipfile.ZipFile(project, "w", zipfile.ZIP_STORED) as z:
        z.writestr("project.qde", PROJECT[:-len(b"</Project>\n")]
                   + b" " * refi_read.MAX_MEMBER + b"</Project>")
    try:
        read_project(project)
    except ExchangeInvalid as exc:
        assert "more than is imported" in str(exc)
    else:
        raise AssertionError("a project over the limit was read")
