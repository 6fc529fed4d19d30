"""Fuzzing the report's invited list (``--invited invited.csv``, a spreadsheet made
elsewhere). Whatever the bytes, `read_invited` returns organisations whose fields are
bounded and whose footprint is one of the study's, or raises its own
`InvitedListInvalid` naming the file (never csv.Error, UnicodeDecodeError, IndexError...),
in bounded time. Three kinds of input: arbitrary bytes, rows of arbitrary cells under a
valid header (formula-looking and control characters included), and a valid file with
a few bytes changed."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.report.errors import InvitedListInvalid
from qi_capture.report.invited import MAX_BYTES, read_invited

FUZZ = settings(max_examples=100, deadline=2000,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FOOTPRINTS = {"north_west": "North West London", "south_east": "South East London"}
VALID = (b"name,footprint,type\r\nRoyal Free,north_west,acute\r\n"
         b"\"Guy's, St Thomas'\",South East London,acute\r\n")

cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["=1+1", "@SUM(A1)", "+cmd|' /C calc'!A0", "-2", '"', '""', "\x00",
                     "\x0b", "\u202e", "north_west", "North West London", "NORTH_WEST",
                     " south_east ", "", ","]),
)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


def read(folder: Path, data: bytes) -> None:
    path = folder / "invited.csv"
    path.write_bytes(data)
    try:
        orgs = read_invited(path, FOOTPRINTS)
    except InvitedListInvalid as refused:
        assert refused.code == "report_invited_invalid"
        assert str(path) in refused.message
        return
    for org in orgs:
        assert org.name and org.name == org.name.strip() and len(org.name) <= 300
        assert org.footprint in FOOTPRINTS and len(org.type) <= 200


def test_the_valid_list_reads(folder: Path) -> None:
    path = folder / "valid.csv"
    path.write_bytes(VALID)
    orgs = read_invited(path, FOOTPRINTS)
    assert [(o.name, o.footprint) for o in orgs] == [
        ("Royal Free", "north_west"), ("Guy's, St Thomas'", "south_east")]


def test_a_file_over_the_limit_is_refused_before_it_is_parsed(folder: Path) -> None:
    path = folder / "big.csv"
    path.write_bytes(b"name,footprint,type\n" + b"\xff" * MAX_BYTES)
    with pytest.raises(InvitedListInvalid, match="larger than 2 MB"):
        read_invited(path, FOOTPRINTS)


@FUZZ
@given(data=st.binary(max_size=4096))
def test_arbitrary_bytes(folder: Path, data: bytes) -> None:
    read(folder, data)


@FUZZ
@given(header=st.permutations(["name", "footprint", "type"]),
       rows=st.lists(st.lists(cells, max_size=5), max_size=12),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_arbitrary_cells_under_a_valid_header(
    folder: Path, header: list[str], rows: list[list[str]], encoding: str
) -> None:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    try:
        data = text.getvalue().encode(encoding)
    except UnicodeEncodeError:
        data = text.getvalue().encode("utf-8")
    read(folder, data)


@FUZZ
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)),
                      min_size=1, max_size=6),
       cut=st.integers(0, len(VALID)))
def test_a_valid_list_with_bytes_changed(
    folder: Path, edits: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(VALID)
    for at, value in edits:
        data[at] = value
    read(folder, bytes(data[:cut]))
