"""The Results page on a real central store with the built-in study and generated
responses: the charts shown live (SVG), the filters rebuilding them, "Save report…"
writing every format."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo import fill_builtin
from qi_capture.storage.profile import Profile
from ui.admin.pages.results import ResultsPage
from ui.tasks import TaskRunner

PASSPHRASE = "copper kettle harbour 42"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AdminDesk]:
    folder = tmp_path_factory.mktemp("results") / "central"
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    with CentralStore.open(folder, PASSPHRASE) as central:
        fill_builtin(central, responses=60, interviews=12, seed=5)
    opened = AdminDesk.open(folder, PASSPHRASE)
    yield opened
    opened.close()


@pytest.mark.slow
def test_charts_filters_and_save(qtbot: QtBot, desk: AdminDesk, runner: TaskRunner,
                                 tmp_path: Path) -> None:
    page = ResultsPage(desk, runner)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.preview is not None, timeout=120_000)
    charts = page.body.findChildren(QSvgWidget)
    assert len(charts) >= 10
    assert all(c.renderer().isValid() for c in charts)
    assert page.by.findData("footprint") >= 0 and page.by.currentData() == "footprint"
    assert page.error.isHidden()
    # Themes by stakeholder group and by footprint, as tables.
    tables = [w for w in page.body.findChildren(QLabel) if w.objectName() == "themeTable"]
    assert len(tables) == 2 and "#barrier" in tables[0].text()
    # A multiple-choice question is offered as a breakdown too.
    assert page.by.findData("support") >= 0

    first = page.preview
    page.status.setCurrentIndex(page.status.findData("approved"))
    page.min_cell.setValue(10)
    page.refresh()
    qtbot.waitUntil(lambda: page.preview is not first, timeout=120_000)
    assert page.preview is not None
    assert page.preview.report.methods.statuses == ("approved",)
    assert page.preview.report.methods.min_cell == 10

    page.formats["pptx"].setChecked(False)
    page.save_to(tmp_path / "saved")
    qtbot.waitUntil(lambda: page.saved is not None, timeout=120_000)
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == [
        "report.html", "report.pdf", "results.json"]
    assert "Saved in" in page.state.text()
