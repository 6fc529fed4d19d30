"""The slides' own drawings made in a second process (`qi_capture.report.beside`): the
deck's pictures are the same, byte for byte, as those drawn in this process alone, and a
second process that cannot help leaves the drawings to this one."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from qi_capture.report import beside
from qi_capture.report.charts import WIDE_DPI, Drawings
from qi_capture.report.run import write_report
from qi_capture.report.slides import render_pptx, slide_charts
from qi_capture.services.admin import AdminDesk
from tests.core.report.conftest import PASSPHRASE


@pytest.fixture(scope="module")
def report(sample_study: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    with AdminDesk.open(sample_study, PASSPHRASE) as desk:
        made = desk.report(tmp_path_factory.mktemp("beside") / "out", formats=["json"])
    return made.report


def test_drawn_beside_gives_the_same_deck(report: object) -> None:
    charts = slide_charts(report)  # type: ignore[arg-type]
    alone = Drawings(5)
    wanted = alone.wide_needed(charts)
    assert len(wanted) >= beside.MIN_CHARTS  # the built-in study has tall charts
    drawn_here = render_pptx(report, alone)  # type: ignore[arg-type]

    shared = Drawings(5)
    ahead = beside.WideAhead(shared, charts)
    assert ahead.started
    assert ahead.collect() == len(wanted)
    assert not shared.wide_needed(charts)  # every slide drawing came from the other process
    for chart in wanted:
        assert shared.png(chart, WIDE_DPI, wide=True) == alone.png(chart, WIDE_DPI, wide=True)
    # The decks differ only in their zip entries' times: the pictures are the same.
    drawn_beside = render_pptx(report, shared)  # type: ignore[arg-type]
    assert len(_pictures(drawn_here)) >= 20
    assert _pictures(drawn_beside) == _pictures(drawn_here)


def _pictures(deck: bytes) -> list[bytes]:
    shown = Presentation(io.BytesIO(deck))
    return [shape.image.blob for slide in shown.slides for shape in slide.shapes
            if shape.shape_type == MSO_SHAPE_TYPE.PICTURE]


def test_a_second_process_that_fails_leaves_the_drawing_here(
        report: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_charts: object, _k: int) -> list[bytes | None]:
        raise RuntimeError("the worker died")
    # A function the spawned process cannot import by this name: its call fails there.
    monkeypatch.setattr(beside, "_draw_wide", broken)
    written = write_report(report, tmp_path / "out", ["html", "pptx"])  # type: ignore[arg-type]
    assert [p.name for p in written.files] == ["report.html", "report.pptx"]
    assert (tmp_path / "out" / "report.pptx").stat().st_size > 10_000


def test_one_core_draws_here(report: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside.os, "cpu_count", lambda: 1)
    drawings = Drawings(5)
    ahead = beside.WideAhead(drawings, slide_charts(report))  # type: ignore[arg-type]
    assert not ahead.started and ahead.collect() == 0
    ahead.close()
