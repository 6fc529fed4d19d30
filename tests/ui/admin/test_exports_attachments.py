"""The Exports page's "include attachments" option on a recorded interview: the
recording is written decrypted under its record's folder, the report shown says so and
warns that it is not encrypted."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from qi_capture.audio.sources import tone
from qi_capture.services.admin import AdminDesk
from tests.e2e.conftest import MERGE_FORM, PASSPHRASE, MakeWorld, make_world  # noqa: F401
from tests.e2e.recorded import recorded_centre
from ui.admin.pages.exports import ExportsPage
from ui.tasks import TaskRunner


def test_exports_page_includes_attachments_on_request(
    qtbot: QtBot, runner: TaskRunner, tmp_path: Path, make_world: MakeWorld,  # noqa: F811
) -> None:
    central, record_id, _ = recorded_centre(make_world, tone(3.0))
    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.add_forms([("merge_e2e.md", MERGE_FORM.encode())])
        page = ExportsPage(desk, runner)
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        qtbot.waitUntil(lambda: page.form.count() == 1)
        assert not page.attachments.isChecked()
        page.folder.setText(str(tmp_path / "plain"))
        page.export_button.click()
        qtbot.waitUntil(lambda: page.last_result is not None, timeout=30_000)
        assert not (tmp_path / "plain" / "attachments").exists()

        page.attachments.setChecked(True)
        page.folder.setText(str(tmp_path / "with"))
        page.export_button.click()
        qtbot.waitUntil(lambda: page.last_result is not None
                        and page.last_result.out_dir == tmp_path / "with", timeout=30_000)
        audio = tmp_path / "with" / "attachments" / str(record_id) / "interview.opus"
        assert audio.is_file()
        text = page.report.toPlainText()
        assert "attachments: 1 files of 1 records in attachments/" in text
        assert "attachments in the attachments folder" in text and "NOT encrypted" in text
        assert desk.audit(action="export")[-1].params["attachments"] == 1
        runner.wait()
