"""A codebook read back from CSV (qi_capture.coding.csv_read): our own export, a sheet an
analyst typed, and hostile files, each refused with the line and nothing returned."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.coding.csv_read import MAX_BYTES, MAX_ROWS, read_codebook_csv
from qi_capture.coding.errors import CodebookCsvInvalid

_ONE, _TWO = uuid.UUID(int=1), uuid.UUID(int=2)


def _file(tmp_path: Path, text: str | bytes, name: str = "codes.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def test_a_typed_sheet_by_path_lists_parents_first(tmp_path: Path) -> None:
    path = _file(tmp_path, "\ufeffName,Path,Description,Colour,Retired\n"
                           "Time,Barrier / Time,No slack,#aabbcc,\n"
                           "Barrier,Barrier,,#112233,no\n"
                           "Old,Old,,,yes\n")
    codes = read_codebook_csv(path)
    assert [c.name for c in codes] == ["Barrier", "Time", "Old"]
    barrier, time_, old = codes
    assert barrier.parent is None and time_.parent == barrier.guid
    assert time_.colour == "#AABBCC" and time_.description == "No slack"
    assert (barrier.codable, old.codable) == (True, False)
    assert old.colour is None


def test_guids_and_parent_guids_are_kept(tmp_path: Path) -> None:
    top, child = uuid.uuid4(), uuid.uuid4()
    path = _file(tmp_path, "guid,name,parent_guid\n"
                           f"{{{child}}},Child,{top}\n"
                           f"{top},Top,\n")
    codes = read_codebook_csv(path)
    assert [(c.guid, c.parent) for c in codes] == [(top, None), (child, top)]


def test_a_neutralised_formula_cell_is_read_back_without_its_quote(tmp_path: Path) -> None:
    path = _file(tmp_path, "name,description\n'=Money,'+ more\nQuote,'plain\n")
    codes = read_codebook_csv(path)
    assert codes[0].name == "=Money" and codes[0].description == "+ more"
    assert codes[1].description == "'plain"


@pytest.mark.parametrize(("text", "where", "words"), [
    ("", "line 1", "empty"),
    ("label,colour\nA,#fff\n", "line 1", "no 'name' column"),
    ("name\n\n\n", "the file", "holds no codes"),
    ("name,colour\nA,red\n", "line 2", "not #RRGGBB"),
    ("name,guid\nA,not-a-guid\n", "line 2", "not a GUID"),
    (f"name,guid\nA,{_ONE}\nB,{_ONE}\n", "line 3", "used by two codes"),
    ("name,path\nTime,Barrier / Time\n", "line 2", "'Barrier' is not a code in the file"),
    ("name,path\nTime,Barrier / Clock\nBarrier,Barrier\n", "line 2", "does not end"),
    (f"name,parent_guid\nA,{uuid.UUID(int=9)}\n", "line 2", "not a code in the file"),
    (f"guid,name,parent_guid\n{_ONE},A,{_TWO}\n{_TWO},B,{_ONE}\n",
     "line 2", "loop"),
    ("name\n" + "x" * 201 + "\n", "line 2", "201 characters"),
    ("name\n\"unclosed\n", "line", "not valid CSV"),
])
def test_bad_files_name_the_line(tmp_path: Path, text: str, where: str, words: str) -> None:
    with pytest.raises(CodebookCsvInvalid) as caught:
        read_codebook_csv(_file(tmp_path, text))
    message = str(caught.value)
    assert where in message and words in message, message
    assert "Nothing was imported" in message


def test_binary_huge_and_endless_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CodebookCsvInvalid, match="not UTF-8"):
        read_codebook_csv(_file(tmp_path, b"name\n\xff\xfe\x00bad\n"))
    with pytest.raises(CodebookCsvInvalid, match="NUL"):
        read_codebook_csv(_file(tmp_path, "name\nA\x00B\n"))
    with pytest.raises(CodebookCsvInvalid, match="larger than"):
        read_codebook_csv(_file(tmp_path, "name\n" + "A\n" * (MAX_BYTES // 2 + 1)))
    with pytest.raises(CodebookCsvInvalid, match=f"more than {MAX_ROWS} codes"):
        read_codebook_csv(_file(tmp_path, "name\n" + "".join(
            f"c{i}\n" for i in range(MAX_ROWS + 1))))
    with pytest.raises(CodebookCsvInvalid, match="cannot be read"):
        read_codebook_csv(tmp_path / "missing.csv")


def test_a_deep_chain_is_ordered_quickly(tmp_path: Path) -> None:
    # 5,000 codes each inside the one before, listed children first.
    guids = [uuid.UUID(int=i + 1) for i in range(5000)]
    rows = ["guid,name,parent_guid"] + [
        f"{guids[i]},c{i},{guids[i - 1] if i else ''}" for i in reversed(range(5000))]
    codes = read_codebook_csv(_file(tmp_path, "\n".join(rows) + "\n"))
    assert [c.name for c in codes] == [f"c{i}" for i in range(5000)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=2000))
def test_any_bytes_give_codes_or_a_clear_error(tmp_path: Path, data: bytes) -> None:
    try:
        codes = read_codebook_csv(_file(tmp_path, b"name,path,parent_guid\n" + data))
    except CodebookCsvInvalid as exc:
        assert "Nothing was imported" in str(exc)
        return
    guids = {c.guid for c in codes}
    seen: set[uuid.UUID] = set()
    for c in codes:
        assert c.name and len(c.name) <= 200
        assert c.parent is None or c.parent in seen  # parents first
        seen.add(c.guid)
    assert seen == guids
