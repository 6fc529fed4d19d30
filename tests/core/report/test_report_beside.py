"""The slides' own drawings made in a second process (`qi_capture.report.beside`): the
pictures are the same, byte for byte, as those drawn in this process alone, and a second
process that cannot help leaves the drawings to this one. (The whole report, with the
second process, is written and read back in test_report_outputs.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from qi_capture.report import beside
from qi_capture.report.charts import WIDE_DPI, Drawings
from qi_capture.report.slides import slide_charts
from qi_capture.services.admin import AdminDesk
from tests.core.report.conftest import PASSPHRASE


@pytest.fixture(scope="module")
def report(sample_study: Path, tmp_path_factory: pytest.TempPathFactory) -> object:
    with AdminDesk.open(sample_study, PASSPHRASE) as desk:
        made = desk.report(tmp_path_factory.mktemp("beside") / "out", formats=["json"])
    return made.report


@pytest.mark.slow
def test_drawn_beside_gives_the_same_pictures(report: object) -> None:
    charts = slide_charts(report)  # type: ignore[arg-type]
    alone = Drawings(5)
    wanted = alone.wide_needed(charts)
    assert len(wanted) >= beside.MIN_CHARTS  # the built-in study has tall charts
    shared = Drawings(5)
    ahead = beside.WideAhead(shared, charts)
    assert ahead.started
    assert ahead.collect() == len(wanted)
    assert not shared.wide_needed(charts)  # every slide drawing came from the other process
    for chart in wanted:
        png = shared.png(chart, WIDE_DPI, wide=True)
        assert png is not None and png.startswith(b"\x89PNG")
        assert png == alone.png(chart, WIDE_DPI, wide=True)


def test_a_second_process_that_fails_leaves_the_drawing_here(
        report: object, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_charts: object, _k: int) -> list[bytes | None]:
        raise RuntimeError("the worker died")
    # A function the spawned process cannot be handed: the call fails, as a dead worker's.
    monkeypatch.setattr(beside, "_draw_wide", broken)
    charts = slide_charts(report)  # type: ignore[arg-type]
    drawings = Drawings(5)
    wanted = drawings.wide_needed(charts)
    ahead = beside.WideAhead(drawings, charts)
    assert ahead.started and ahead.collect() == 0
    assert drawings.wide_needed(charts) == wanted  # left to be drawn here, as they come
    assert drawings.slide_png(wanted[0]) is not None


def test_one_core_draws_here(report: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(beside.os, "cpu_count", lambda: 1)
    drawings = Drawings(5)
    ahead = beside.WideAhead(drawings, slide_charts(report))  # type: ignore[arg-type]
    assert not ahead.started and ahead.collect() == 0
    ahead.close()
