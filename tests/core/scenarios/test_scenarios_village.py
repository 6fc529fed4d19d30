"""Liberia coverage survey village form (liberia-s3m__round1_liberiaCoverageVillageForm.xlsx):
three-level cascading selects and pulldata() from the two CSVs in the form's -media
folder, passed to the session as attachments. Expected values are read from the survey
rows and the CSV rows (index_key is the segment's choice name)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qi_capture.forms import Form
from qi_capture.forms.session import FormSession

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

FORM = "liberia-s3m__round1_liberiaCoverageVillageForm.xlsx"


@pytest.fixture
def village(corpus: CorpusForm, corpus_dir: Path, start: Start) -> FormSession:
    media_dir = corpus_dir / "liberia-s3m__round1_liberiaCoverageVillageForm-media"
    media = {p.name: p.read_bytes() for p in media_dir.glob("*.csv")}
    assert set(media) == {"greaterMonroviaSPlist.csv", "grandBassaSPlist.csv"}
    return start(corpus(FORM), media=media)


def test_cascade(village: FormSession) -> None:
    s = village
    assert s.choices("cid") == [("1", "Urban Montserrado"), ("2", "Grand Bassa County")]
    s.set("cid", "1")
    # Row 3: county = if(${cid} = '1', 'Urban Montserrado', 'Grand Bassa').
    assert s.raw("county") == "Urban Montserrado"
    # Row 4: spid filtered by county = ${cid}; the first sampling points of county 1.
    spids = s.choices("spid")
    assert spids[:2] == [("1", "Sampling point 1"), ("2", "Sampling point 2")]
    s.set("spid", "1")
    # Row 5: county = ${cid} and spid = ${spid}: choices rows 65-67.
    assert s.choices("segment") == [("1", "Segment 1"), ("2", "Segment 2"),
                                    ("3", "Segment 3")]
    s.set("cid", "2")
    assert s.raw("county") == "Grand Bassa"
    # Choices rows 153-157...: the villages of Grand Bassa sampling point 1.
    assert s.choices("segment")[:2] == [("1", "Pohkpa Village"), ("2", "Gbueban Village")]


def test_greater_monrovia_pulldata(village: FormSession) -> None:
    s = village
    s.set("cid", "1")
    s.set("spid", "1")
    s.set("segment", "2")
    # Row 7: spDescription1 is for cid 1; row 23: spDescription2 for cid 2.
    assert s.is_relevant("clan1")
    assert not s.is_relevant("est_hh2")
    # Rows 8-14 read greaterMonroviaSPlist.csv where index_key = 2 (its second data row).
    assert s.raw("clan1") == "Z1100 King Gray-Elwa"
    assert s.raw("est_pop") == "758"
    assert s.raw("est_hh1") == "127"
    assert s.raw("nsegment") == "3"
    assert s.raw("map").startswith("https://www.google.co.uk/maps/place/6.2381726551423,")
    # Row 15: round(20 div int(3), 0) = round(6.67) = 7.
    assert s.raw("nsample1") == "7"
    # Row 16: round(int(127) div 7, 0) = round(18.14) = 18.
    assert s.raw("spInterval1") == "18"
    # Row 17: once(int(18 * random()) + 1) with random() pinned at 0.25: int(4.5) + 1.
    assert s.raw("randomStart1") == "5"
    assert "<span style=\"color:red\">18</span>" in s.label("interval_note_1")
    assert "<span style=\"color:red\">Z1100 King Gray-Elwa</span>" in s.label("sample_note_1")
    # once(): a later change of segment does not redraw the random start.
    s.set("segment", "1")
    assert s.raw("est_hh1") == "103"  # CSV row with index_key 1
    assert s.raw("randomStart1") == "5"
    # settings instance_name: concat('VF-', ${county}, '-Sampling Point ', ${spid},
    # '-Segment/Village', ${segment}).
    assert s.to_submission()["meta"]["instanceName"] == (
        "VF-Urban Montserrado-Sampling Point 1-Segment/Village1")


def test_grand_bassa_pulldata(village: FormSession) -> None:
    s = village
    s.set("cid", "2")
    s.set("spid", "1")
    s.set("segment", "4")
    assert not s.is_relevant("clan1")
    # Rows 25-30 read grandBassaSPlist.csv where index_key = 4.
    assert s.raw("vname") == "Chipay Village"
    assert s.raw("district") == "District # 4"
    assert s.raw("clan2") == "Grand Kola"
    assert s.raw("nvillage") == "13"
    s.set("est_hh2", 50)
    # Row 31: round(int(50) div 2, 0) = 25; row 32: int(25 * 0.25) + 1 = 7.
    assert s.raw("spInterval2") == "25"
    assert s.raw("randomStart2") == "7"
    # Row 21: pop is required.
    assert any(e.path == "pop" and e.kind == "required" for e in s.errors())
    s.set("pop", 400)
    assert not any(e.kind == "required" for e in s.errors())
