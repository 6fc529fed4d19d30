"""The exports page on a real central store: every format exported from the page, its
report shown with the not-encrypted warning, the rows read back (pandas, pyreadstat);
a status filter; a missing folder said in words."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from pytestqt.qtbot import QtBot

from tests.ui.admin.records_fixtures import FORM_ID, World, build_world
from ui.admin.pages.exports import ExportsPage
from ui.tasks import TaskRunner


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    made = build_world(tmp_path_factory.mktemp("exports-world"))
    made.desk.set_review(made.ids[0], "approved", "fine")
    yield made  # type: ignore[misc]
    made.desk.close()


def _main_table(files: tuple[Path, ...], suffix: str) -> Path:
    (main,) = [p for p in files if p.suffix == suffix and p.stem == FORM_ID]
    return main


def _rows(path: Path) -> int:
    if path.suffix == ".csv":
        return len(pd.read_csv(path))
    if path.suffix == ".xlsx":
        return len(pd.read_excel(path, sheet_name=FORM_ID))
    if path.suffix == ".sav":
        return len(pyreadstat.read_sav(str(path))[0])
    if path.suffix == ".dta":
        return len(pyreadstat.read_dta(str(path))[0])
    return len(pd.read_parquet(path))


def test_every_format_from_the_page(qtbot: QtBot, world: World, runner: TaskRunner,
                                    tmp_path: Path) -> None:
    page = ExportsPage(world.desk, runner)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    qtbot.waitUntil(lambda: page.form.count() == 1 and page.language.count() == 2)
    assert page.language.currentText() == "English (en)"

    page.export_button.click()  # no folder yet
    assert page.error.isVisible() and "folder" in page.error.text()

    progress: list[tuple[int, int]] = []
    for fmt in ("csv", "xlsx", "sav", "dta", "parquet"):
        page.format.setCurrentIndex(page.format.findData(fmt))
        page.folder.setText(str(tmp_path / fmt))
        page.export_button.click()
        qtbot.waitUntil(lambda: page.report.isVisible(), timeout=30_000)
        result = page.last_result
        assert result is not None and result.fmt == fmt and result.included == 5
        assert page.not_encrypted.isVisible() and "NOT encrypted" in page.not_encrypted.text()
        assert "Exported 5 records" in page.report.toPlainText()
        suffix = {"xlsx": ".xlsx"}.get(fmt, f".{fmt}")
        if fmt == "xlsx":
            assert _rows(next(p for p in result.files if p.suffix == ".xlsx")) == 5
        else:
            assert _rows(_main_table(result.files, suffix)) == 5
        if fmt == "csv":
            progress = []
            page.language.setCurrentIndex(page.language.findData("Français (fr)"))
    # The status filter: only the approved record.
    page.format.setCurrentIndex(page.format.findData("csv"))
    page.statuses["approved"].setChecked(True)
    page.folder.setText(str(tmp_path / "approved"))
    page.export_button.click()
    qtbot.waitUntil(lambda: page.last_result is not None and page.last_result.included == 1)
    assert _rows(_main_table(page.last_result.files, ".csv")) == 1
    exports = world.desk.audit(action="export")
    assert [e.params["format"] for e in exports] == ["csv", "xlsx", "sav", "dta", "parquet",
                                                     "csv"]
    assert exports[-1].params["status_filter"] == ["approved"]
    assert progress == []


def test_progress_is_reported_by_records_read(world: World, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    world.desk.export(FORM_ID, "csv", tmp_path, progress=lambda d, t, _x="": seen.append((d, t)))
    assert seen[0] == (0, 5) and seen[-1] == (5, 5)
