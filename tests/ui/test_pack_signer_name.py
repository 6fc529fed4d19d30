"""Who signed a study pack, in the import dialog: "Signed by" the admin's name and the
short check code (the whole key in the tooltip); a pack made before names were asked
for shows "(no name)"; a name that looks like markup is shown as typed, never rendered;
a pack whose name is odd is refused with the validator's reason and cannot be
installed."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from qi_capture.crypto import signing
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.dto import grouped_fingerprint, short_fingerprint
from qi_capture.storage.canonical import canonical_json
from qi_capture.sync.admin import AdminKeys, AdminProfile, init_admin
from qi_capture.sync.pack import SIGNATURE_DOMAIN, PackForm, StudyPolicy, build_pack
from tests.ui.conftest import PASSPHRASE
from tests.ui.test_main_window import create_profile
from tests.ui.test_sync_and_packs import FORM, STUDY_ID, import_pack
from ui.main_window import MainWindow

NAME = "Dr Amara Okafor"


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> AdminKeys:
    central = tmp_path_factory.mktemp("central")
    init_admin(central, PASSPHRASE, study_id=STUDY_ID, study_title="QI UI study",
               admin_name=NAME, kdf=floor_params())
    with AdminProfile.open(central, PASSPHRASE) as admin:
        return admin.keys()


def write_pack(folder: Path, keys: AdminKeys) -> Path:
    path = folder / "study.qipack"
    path.write_bytes(build_pack(keys, [PackForm("ui_sync.md", FORM.encode())],
                                StudyPolicy()))
    return path


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path) -> MainWindow:
    from qi_capture.deployment import Deployment
    from qi_capture.services import ProfileService

    win = MainWindow(ProfileService(tmp_path / "data", deployment=Deployment()),
                     create_options={"kdf": floor_params()})
    qtbot.addWidget(win)
    win.resize(1366, 768)
    win.show()
    create_profile(qtbot, win)
    return win


def test_the_dialog_names_the_signer_beside_the_check_code(
    qtbot: QtBot, window: MainWindow, keys: AdminKeys, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = import_pack(qtbot, window, write_pack(tmp_path, keys), monkeypatch)
    code = short_fingerprint(keys.signing_fingerprint)
    assert dialog.signer.text() == f"{NAME}, check code {code}"
    assert dialog.signer.toolTip() == grouped_fingerprint(keys.signing_fingerprint)
    # The row reads "Signed by <name>, check code ...".
    layout = dialog.details.layout()
    label = layout.labelForField(dialog.signer)  # type: ignore[attr-defined]
    assert label.text() == "Signed by"
    assert dialog.install_button.isEnabled()
    with qtbot.waitSignal(dialog.installed, timeout=10_000) as done:
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert done.args[0].admin_name == NAME


def test_a_pack_without_a_name_still_installs(
    qtbot: QtBot, window: MainWindow, keys: AdminKeys, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = import_pack(qtbot, window, write_pack(tmp_path, replace(keys, admin_name="")),
                         monkeypatch)
    assert dialog.signer.text() == (
        f"(no name), check code {short_fingerprint(keys.signing_fingerprint)}")
    with qtbot.waitSignal(dialog.installed, timeout=10_000):
        qtbot.mouseClick(dialog.install_button, Qt.MouseButton.LeftButton)
    assert "installed" in dialog.message.text()


def test_a_name_like_markup_is_shown_as_typed(
    qtbot: QtBot, window: MainWindow, keys: AdminKeys, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = "<b>Trusted</b> <img src=x> NHS Admin"
    dialog = import_pack(qtbot, window, write_pack(tmp_path, replace(keys, admin_name=name)),
                         monkeypatch)
    assert dialog.signer.textFormat() == Qt.TextFormat.PlainText
    assert dialog.signer.text().startswith(name + ", check code ")


def test_a_pack_with_an_odd_name_is_refused(
    qtbot: QtBot, window: MainWindow, keys: AdminKeys, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Signed with the admin's own key by a tool that skipped the name check.
    doc = json.loads(write_pack(tmp_path, keys).read_bytes())
    doc["body"]["admin"]["name"] = "Ann\u202eelpmaxE"
    message = SIGNATURE_DOMAIN + canonical_json(doc["body"]).encode("utf-8")
    doc["signature"] = base64.b64encode(signing.sign(keys.signing_key, message)).decode()
    path = tmp_path / "odd.qipack"
    path.write_bytes(canonical_json(doc).encode("utf-8"))

    monkeypatch.setattr("ui.dialogs.files.choose_file", lambda *a: str(path))
    window.import_pack_action.trigger()
    dialog = window.pack_dialog
    assert dialog is not None
    qtbot.mouseClick(dialog.browse, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "not a valid" in dialog.message.text(), timeout=10_000)
    assert "the admin's name cannot be shown" in dialog.message.text()
    assert "U+202E" in dialog.message.text()
    assert dialog.message.objectName() == "errorMessage"
    assert not dialog.details.isVisible() and not dialog.install_button.isEnabled()
