"""The listings' tables and short ids: piped, one row per line with nothing folded or
cut; short ids as short as uniqueness allows (never under eight characters, one length per
listing); an
ambiguous prefix refused with the ids it matches."""

from __future__ import annotations

import uuid

import pytest

from qi_capture.cli.tables import Column, print_table, short_ids
from qi_capture.services.admin.errors import CANDIDATES_SHOWN, IdPrefixAmbiguous


def test_piped_table_is_one_aligned_row_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    long_name = "Royal Free London NHS Foundation Trust - ward 7 - " * 4
    print_table([Column("ID"), Column("NAME", wrap=True), Column("SEQ", right=True)],
                [("1a2b3c4d", long_name.strip(), "7"), ("9f8e7d6c", "-", "1200")])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # header and two rows: nothing folded at 80 columns
    assert lines[0].split() == ["ID", "NAME", "SEQ"]
    assert long_name.strip() in lines[1]
    assert "\x1b" not in "".join(lines)  # no colour codes in a pipe
    # Numbers right-aligned: the rows end in the same column.
    assert len(lines[1]) == len(lines[2]) and lines[2].endswith("1200")


def test_short_ids_grow_until_unique() -> None:
    a, b, c = "0123456789ab", "0123456799ff", "fedcba987654"
    shown = short_ids([a, b, c])
    # One length for the whole listing (the column stays aligned), as long as needed.
    assert shown == {a: "012345678", b: "012345679", c: "fedcba987"}
    ids = [str(uuid.uuid4()) for _ in range(200)]
    shown = short_ids(ids)
    assert len(set(shown.values())) == 200
    assert all(i.startswith(s) and len(s) >= 8 for i, s in shown.items())


def test_an_ambiguous_prefix_lists_the_ids_it_matches() -> None:
    ids = [f"abcd{n:028x}" for n in range(CANDIDATES_SHOWN + 2)]
    error = IdPrefixAmbiguous("abcd", "record", len(ids), ids[:CANDIDATES_SHOWN])
    assert error.message.startswith(f"'abcd' matches {len(ids)} records (")
    for shown in ids[:CANDIDATES_SHOWN]:
        assert shown in error.message
    assert ids[-1] not in error.message and "and 2 more" in error.message
    assert "give more of its digits" in error.message
