"""The column-wise row builder and the whole-column typing give what a row-by-row build
gives: the same cells for every table (main, repeats), across form versions, deleted
records, review statuses, unknown and odd paths, and the same "not asked" masks and
counts. The fast paths (Arrow casts, one search per column) agree with the cell-by-cell
definitions they stand for."""

from __future__ import annotations

import json
import textwrap
import uuid
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qi_capture.central.export_source import answers_of
from qi_capture.central.export_source import decode as _decode
from qi_capture.export import ExportError, export_form, writers
from qi_capture.export.model import Layout, build_layout, split_path
from qi_capture.export.tables import RowBuilder, Stats, typed_frame
from qi_capture.forms import load_form_bytes
from qi_capture.forms.model import Form
from tests.core.export.forms import forms
from tests.core.export.test_export_names import Rec

GATED = textwrap.dedent("""
    | survey   |               |        |           |                 |
    |          | type          | name   | label     | relevant        |
    |          | select_one yn | asked  | Ask?      |                 |
    |          | integer       | gated  | Gated     | ${asked}='yes'  |
    |          | decimal       | score  | Score     |                 |
    |          | begin_repeat  | kids   | Kids      |                 |
    |          | integer       | age    | Age       |                 |
    |          | text          | school | School    | ${age} > 4      |
    |          | end_repeat    |        |           |                 |
    | choices  |               |        |           |                 |
    |          | list_name     | name   | label     |                 |
    |          | yn            | yes    | Yes       |                 |
    |          | yn            | no     | No        |                 |
    | settings |               |        |           |                 |
    |          | form_id       | version |          |                 |
    |          | gated         | 1       |          |                 |
""")


def by_rows(layout: Layout, records: list[Rec], statuses: set[str] | None
            ) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    """A plain row-by-row build (what the builder did before it kept columns): a dict
    per row, answers placed by their path."""
    out: dict[tuple[str, ...], list[dict[str, Any]]] = {k: [] for k in layout.tables}
    depth = {r: sum(1 for o in layout.repeats if r[: len(o)] == o) for r in layout.repeats}
    for rec in records:
        if rec.deleted or (statuses is not None and rec.review_status not in statuses):
            continue
        main: dict[str, Any] = {
            "@record_id": str(rec.record_id), "@device_id": str(rec.device_id),
            "@interviewer": rec.interviewer, "@form_version": rec.form_version,
            "@review_status": rec.review_status, "@submitted": rec.submitted,
            "@updated": rec.updated, "@revision_id": rec.revision_id,
            "@in_conflict": int(rec.in_conflict),
        }
        out[()].append(main)
        instances: dict[Any, dict[str, Any]] = {}
        for path, value in rec.answers.items():
            names, indices = split_path(path)
            element = layout.elements.get(names)
            if element is None or element.kind != "field":
                continue
            container = layout.container[names]
            key = "/".join(names)
            if not container:
                main[key] = value
                continue
            d = depth[container]
            if len(indices) < d:
                continue
            ident = (container, indices[:d])
            row = instances.get(ident)
            if row is None:
                row = {"@record_id": str(rec.record_id),
                       "@parent_index": indices[d - 2] if d >= 2 else None,
                       "@index": indices[d - 1]}
                instances[ident] = row
                out[container].append(row)
            row[key] = value
    return out


def records() -> list[Rec]:
    v1 = {"org": "Trust One", "staff": "12", "method": "pdsa", "barriers": "time money",
          "old_q": "legacy", "team[1]/role": "Lead", "team[1]/years": "3",
          "team[2]/role": "=cmd", "team[2]/years": 10}
    return [
        Rec(v1, form_version="1"),
        Rec({"org": "-5", "staff": 7, "method": "lean", "barriers": "money"}, form_version="1"),
        Rec({"org": "Trust Three", "staff": "5.5", "new_q": "fresh", "team[1]/role": "Boss",
             "nobody/knows": "x"}, form_version="2"),
        Rec({"/org": "leading slash", "staff": "many", "method": "nope"}, form_version="2"),
        Rec({"org": "gone"}, form_version="2", deleted=True),
        Rec({"org": "held"}, form_version="2", review_status="queried"),
        Rec({}, form_version="2", in_conflict=True),
    ]


def frames(layout: Layout, rows: Any, stats: Stats) -> dict[Any, Any]:
    return {k: typed_frame(layout.tables[k], v, stats) for k, v in rows.items()}


def assert_same(a: dict[Any, Any], b: dict[Any, Any]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        pd.testing.assert_frame_equal(a[key][0], b[key][0])
        assert a[key][1].keys() == b[key][1].keys()
        for column in a[key][1]:
            assert (a[key][1][column] == b[key][1][column]).all()


@pytest.mark.parametrize("statuses", [None, {"received"}])
@pytest.mark.parametrize("track", [False, True])
def test_builder_columns_equal_rows_across_versions(statuses: set[str] | None,
                                                    track: bool) -> None:
    layout = build_layout(forms(), "English (en)")
    builder = RowBuilder(layout, statuses=statuses, track_missing=track)
    recs = records()
    for rec in recs:
        builder.add(rec)
    ours = frames(layout, builder.take(), builder.stats)
    reference = Stats()
    theirs = frames(layout, by_rows(layout, recs, statuses), reference)
    if track:  # the reference marks nothing: compare the cells, then the masks alone
        main = ours[()][1]
        versions = ours[()][0]["@form_version"].tolist()
        assert main["old_q"].tolist() == [v == "2" for v in versions]
        assert main["new_q"].tolist() == [v == "1" for v in versions]
        ours = {k: (v[0], {}) for k, v in ours.items()}
    assert_same(ours, theirs)
    assert builder.stats.unreadable == reference.unreadable
    assert builder.stats.unknown_paths == {"nobody/knows": 1}
    assert builder.stats.excluded.total() == (2 if statuses else 1)
    assert builder.pending() == 0


def test_builder_batches_equal_one_batch() -> None:
    layout = build_layout(forms(), None)
    recs = records()
    whole = RowBuilder(layout)
    for rec in recs:
        whole.add(rec)
    one = whole.take()
    parts = RowBuilder(layout)
    taken = []
    for rec in recs:
        parts.add(rec)
        taken.append(parts.take())
    for key in one:
        table = layout.tables[key]
        for column in table.columns:
            if column.kind == "choice":
                continue
            joined = [v for t in taken for v in t[key].columns.get(column.key, [None] * len(t[key]))]
            assert joined == one[key].columns.get(column.key, [None] * len(one[key]))


def test_not_asked_masks_from_relevance_in_main_and_repeat() -> None:
    form = load_form_bytes(GATED.encode(), "gated.md")
    layout = build_layout([form], None)
    builder = RowBuilder(layout, track_missing=True)
    for answers in ({"asked": "no", "kids[1]/age": "3", "kids[2]/age": "9"},
                    {"asked": "yes", "gated": "4", "score": "1.5", "kids[1]/age": "6",
                     "kids[1]/school": "Elm"}):
        builder.add(Rec(answers))
    taken = builder.take()
    main, masks = typed_frame(layout.tables[()], taken[()], builder.stats)
    assert masks["gated"].tolist() == [True, False]
    assert main["gated"].tolist() == [pd.NA, 4]
    kids = layout.tables[("kids",)]
    frame, kid_masks = typed_frame(kids, taken[("kids",)], builder.stats)
    assert frame["@index"].tolist() == [1, 2, 1]
    assert kid_masks["kids/school"].tolist() == [True, False, False]


@pytest.mark.parametrize("values", [
    ["1", "2", None, "-3"], ["1.5", "2", None], [1, 2, None], [1.5, None, 3],
    ["1", " 2"], ["0x10", "5"], ["nan", "1"], ["", "1"], ["1_000"], ["+1", ".5", "5.", "1e3"],
    ["inf", "-Infinity"], [True, 1], [None, None], [], [2**60 + 1, 3], [str(2**60 + 1)],
    ["1", 2], [[1], "2"], [float("nan"), "1"], ["12345678901234567890123"],
])
@pytest.mark.parametrize("vtype", ["integer", "decimal"])
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # a too large whole number, both ways
def test_numbers_typed_as_pandas_types_them(values: list[Any], vtype: str) -> None:
    """The whole-column path gives what `pd.to_numeric` (cell by cell) gives, and counts
    the same values as unreadable."""
    from qi_capture.export.model import Column, Table

    column = Column("n", "n", "n", None, "value", vtype)
    table = Table("t", (), [column])
    stats = Stats()
    try:
        got = typed_frame(table, [{"n": v} for v in values], stats)[0]["n"]
    except (TypeError, ValueError, OverflowError):
        got = None
    series = pd.Series(np.array([*values, object()], dtype=object)[:-1])
    numbers = pd.to_numeric(series, errors="coerce")
    lost = int((series.notna() & numbers.isna()).sum())
    try:
        # No infinity is kept: counted with the unreadable values.
        finite = numbers.where(np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan)))
        lost += int((numbers.notna() & finite.isna()).sum())
        numbers = finite
        if vtype == "integer":
            whole = numbers.where(numbers == numbers.round())
            lost += int((numbers.notna() & whole.isna()).sum())
            expected: pd.Series | None = whole.astype("Int64")
        else:
            expected = numbers.astype("float64")
    except (TypeError, ValueError, OverflowError):
        expected = None
    if expected is None or got is None:
        assert expected is None and got is None
        return
    assert got.tolist() == expected.tolist() or (
        pd.isna(got).tolist() == pd.isna(expected).tolist()
        and [g == e for g, e in zip(got, expected, strict=True) if not pd.isna(g)]
        == [True] * int(got.notna().sum()))
    assert sum(stats.unreadable.values()) == lost


@pytest.mark.parametrize("values", [
    ["a", "=b", None, "", "x\x00=y", "-1", "\t", "c\r", "@", "+"], ["plain", None], [],
    [None], ["a\x00b"], ["\x00=", "ok"],
])
def test_formula_triggers_found_as_cell_by_cell(values: list[str | None]) -> None:
    expected = [i for i, v in enumerate(values) if v and writers.CSV_TRIGGERS.match(v)]
    assert writers._starts_with_trigger(values) == expected


def test_codes_map_names_and_leave_the_rest_empty() -> None:
    codes = {"yes": 1, "no": 2}
    got = writers._coded(pd.Series(["yes", None, "no", "maybe", ""], dtype=object), codes)
    assert got.tolist()[0] == 1 and got.tolist()[2] == 2
    assert got.isna().tolist() == [False, True, False, True, True]
    odd = writers._coded(pd.Series(["yes", ["no"], 3], dtype=object), codes)
    assert odd.isna().tolist() == [False, True, True]


def test_stored_json_decodes_as_json_does() -> None:
    for text in ('{"answers":{"a":"1","b":2,"c":1.5e-05,"d":null}}',
                 '{"answers":{"big":123456789012345678901234567890}}',
                 '{"answers":{"s":"\\ud800"}}', '{"answers":{"n":[1,{"x":1e400}],"m":-2}}',
                 '[1,2]', '{"a":1}', '{"answers":{"big":-99999999999999999999}}',
                 '{"answers":[1]}', '{"answers":{"a":"x","a":"y"}}', '{"answers":{"t":true}}',
                 '{"answers":{"a":"\\u00e9\\ud83d\\ude00"},"form":{"x":[1.5]}}'):
        assert _decode(text) == json.loads(text)
        doc = json.loads(text)
        expected = doc.get("answers") if isinstance(doc, dict) else None
        assert answers_of(text) == (expected if isinstance(expected, dict) else {}), text
        # Types too: 1 is not True, and an integer stays one.
        assert [type(v) for v in answers_of(text).values()] == \
            [type(v) for v in (expected if isinstance(expected, dict) else {}).values()]


def test_a_parquet_write_failure_in_its_thread_is_one_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("value SECRET-ANSWER cannot be written")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", refuse)
    form: Form = forms()[0]
    with pytest.raises(ExportError) as caught:
        export_form(forms=[form], records=[Rec({"org": "SECRET-ANSWER"})], out_dir=tmp_path,
                    fmt="parquet")
    assert "SECRET" not in caught.value.message and "SECRET" not in caplog.text
    assert list(tmp_path.iterdir()) == []


def test_parquet_batches_are_every_row_in_order(tmp_path: Any) -> None:
    form = forms()[0]
    recs = [Rec({"org": f"Trust {i}", "staff": str(i)}, record_id=uuid.UUID(int=i + 1))
            for i in range(25)]
    export_form(forms=[form], records=recs, out_dir=tmp_path, fmt="parquet", batch=4)
    table = pq.read_table(tmp_path / "exp.parquet")
    assert table.column("org").to_pylist() == [f"Trust {i}" for i in range(25)]
    assert table.column("staff").to_pylist() == list(range(25))


_VALUES = st.one_of(st.text(), st.integers(), st.booleans(), st.none(),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.lists(st.integers(), max_size=2))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), _VALUES, max_size=6), st.booleans())
def test_answers_read_as_json_reads_them(answers: dict[str, object], ascii_only: bool) -> None:
    text = json.dumps({"type": "qi-capture.revision", "answers": answers},
                      ensure_ascii=ascii_only)
    read = answers_of(text)
    assert read == answers
    assert [type(v) for v in read.values()] == [type(v) for v in answers.values()]
