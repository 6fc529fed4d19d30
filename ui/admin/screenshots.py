"""The admin console's screenshots (part of ``make screenshots``; alone:
``python -m ui.admin.screenshots OUT``).

Real data, made the way a study makes it: the admin's central folder and signed pack
(the admin CLI), three laptop profiles that installed the pack, filled records and
synced (the services the laptop app uses); two laptops enrolled and merged, the third
left in quarantine; a USB stick with new bundles, merged on screen. A conflict between
two named laptops: two demo laptops (`qi_capture.services.admin.demo_conflict`) change
the same record from the same version, each writing a real bundle of its change, merged
and enrolled; so is a laptop copied to a spare machine (a restore from a copy of its
profile), the same record then edited on both, both synced to the USB stick. Then the
open dialog, the inbox after a merge, the devices, records, the conflict with both
versions side by side, exports and the audit log.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget

from qi_capture.services import ProfileService
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo_conflict import DemoLaptop, write_conflict
from qi_capture.services.profiles import kdf_params
from ui.admin.pages.audit import AuditPage
from ui.admin.pages.devices import DevicesPage
from ui.admin.pages.inbox import InboxPage
from ui.main_window import MainWindow

PASSPHRASE = "violet tractor mango 42"
LAPTOPS = (("Priya Shah", (("Riverside NHS FT", "12"), ("Northgate Community Trust", "7"),
                           ("Kingsway Hospitals NHS FT", "21"))),
           ("Alex Morgan", (("Hilltop Trust", "4"), ("Westfield Primary Care Network", "3"))),
           ("Tom Okafor", (("St Anne's Mental Health FT", "9"), ("Eastbank CCG", "2"))))


def make_laptop(data: Path, name: str, pack: Path, records: tuple[tuple[str, str], ...],
                folder: Path) -> uuid.UUID:
    """A laptop profile with the pack installed, records finalised and synced to
    ``folder`` (one bundle per record: a few sittings). Returns its device id."""
    home = data / "laptops" / name.split()[0].lower()
    fresh = not home.exists()
    if fresh:
        ProfileService(home).create(name, PASSPHRASE, kdf=kdf_params("floor"))
    profiles = ProfileService(home)
    ctx = profiles.unlock(profiles.select(), PASSPHRASE)
    try:
        if fresh:
            ctx.packs.install(pack)
        form = ctx.studies.resolve("london-qi-pilot/pilot_check")
        for org, staff in records:
            with ctx.records.create(form.id) as record:
                record.set("org", org)
                record.set("staff", staff)
                record.finalise()
            ctx.sync.sync(folder)
        return ctx.device.id
    finally:
        ctx.lock()


#: The record both copies of Priya's laptop edit, and the staff count each enters
#: (the organisation stays as it was: one answer differs, one does not).
CONFLICTED = "Riverside NHS FT"
CONFLICT_STAFF = ("14", "15")


#: The record two other laptops change, how, and the names they are enrolled under.
TWO_LAPTOPS_RECORD = "Hilltop Trust"
TWO_LAPTOPS = (DemoLaptop("Sam Reid", {"staff": "6"}),
               DemoLaptop("Ana Costa", {"staff": "5"}))
TWO_LAPTOP_NAMES = ("Laptop 11 (Sam)", "Laptop 12 (Ana)")


def make_conflict(data: Path, folder: Path) -> None:
    """Priya's laptop copied to a spare machine (a restore from its backup), then the
    same record edited on both, differently, and both synced to ``folder``: merged, the
    record has two heads, an open conflict."""
    home = data / "laptops" / "priya"
    spare = data / "laptops" / "priya-spare"
    shutil.copytree(home, spare)
    for profile, staff in zip((home, spare), CONFLICT_STAFF, strict=True):
        profiles = ProfileService(profile)
        ctx = profiles.unlock(profiles.select(), PASSPHRASE)
        try:
            record = next(r for r in ctx.records.list_records()
                          if r.instance_name == CONFLICTED)
            with ctx.records.edit(record.id) as draft:
                draft.set("staff", staff)
                draft.finalise()
            ctx.sync.sync(folder)
        finally:
            ctx.lock()


def prepare(data: Path, pack: Path) -> tuple[Path, Path, Path]:
    """Each laptop's first sitting merged (Priya's and Alex's laptops enrolled, Tom's
    left in quarantine), then their later sittings on a USB stick, not merged yet, with
    the two edits of one record that conflict (`make_conflict`).
    Returns (central folder, sync folder, USB stick)."""
    central, sync, usb = data / "central", data / "field-sync", data / "usb-stick"
    sync.mkdir(exist_ok=True)
    usb.mkdir(exist_ok=True)
    devices = {name: make_laptop(data, name, pack, records[:1], sync)
               for name, records in LAPTOPS}
    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.merge([sync])
        for name, label in (("Priya Shah", "Laptop 03 (Priya)"),
                            ("Alex Morgan", "Laptop 07 (Alex)")):
            desk.enrol(devices[name], name=label)
    # Two laptops change Alex's first record, each its own way: merged (their bundles
    # quarantined until enrolled, then imported), an open conflict between two names.
    demo = data / "demo-laptops"
    demo.mkdir()
    laptops = write_conflict(central, PASSPHRASE, TWO_LAPTOPS_RECORD, TWO_LAPTOPS, demo)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.merge([demo])
        for device, label in zip(laptops, TWO_LAPTOP_NAMES, strict=True):
            desk.enrol(device, name=label)
    make_conflict(data, usb)
    for name, records in LAPTOPS:
        make_laptop(data, name, pack, records[1:], usb)
    return central, sync, usb


def main_admin(app: QApplication, window: MainWindow, out: Path, data: Path,
               pack: Path, pump: Callable[[Callable[[], bool]], None]) -> None:
    """Shoot the console on ``window`` (no profile unlocked), from the data made here."""
    central, sync, usb = prepare(data, pack)

    def shot(name: str, widget: QWidget | None = None) -> None:
        for _ in range(5):
            app.processEvents()
        (widget or window).grab().save(str(out / f"{name}.png"))
        print(f"{out / name}.png")

    dialog = window.open_central()
    assert dialog is not None
    dialog.folder.setText(str(central))
    dialog.passphrase.setText(PASSPHRASE)
    pump(lambda: dialog.isVisible())
    shot("admin-open", dialog)
    dialog.open_button.click()
    pump(lambda: window.console is not None)
    console = window.console
    assert console is not None
    inbox = console.page("inbox")
    assert isinstance(inbox, InboxPage)
    inbox.add_folder(str(sync))
    inbox.add_folder(str(usb))
    pump(lambda: inbox.tree.topLevelItemCount() == 2 and inbox.merge_button.isEnabled())
    listed: list[bool] = []
    inbox.listed.connect(lambda: listed.append(True))
    inbox.merge()
    pump(lambda: inbox.last_result is not None and bool(listed))
    shot("admin-inbox")
    console.show_page("devices")
    devices = console.page("devices")
    assert isinstance(devices, DevicesPage)
    pump(lambda: devices.model.rowCount() >= 3)
    for row in range(devices.proxy.rowCount()):
        if devices.model.device(devices.proxy.mapToSource(
                devices.proxy.index(row, 0)).row()).device.status == "unknown":
            devices.table.selectRow(row)
    shot("admin-devices")
    from ui.admin.page_shots import shoot_conflicts, shoot_exports, shoot_record, shoot_records
    from ui.admin.pages.conflicts import ConflictsPage
    from ui.admin.pages.exports import ExportsPage
    from ui.admin.pages.records import RecordsPage

    console.show_page("records")
    records = console.page("records")
    assert isinstance(records, RecordsPage)
    shoot_records(app, records, out, window)
    shoot_record(app, records, out, window)
    console.show_page("conflicts")
    conflicts = console.page("conflicts")
    assert isinstance(conflicts, ConflictsPage)
    shoot_conflicts(app, conflicts, out, window)
    console.show_page("exports")
    exports = console.page("exports")
    assert isinstance(exports, ExportsPage)
    shoot_exports(app, exports, data / "export", out, window)
    console.show_page("audit")
    audit = console.page("audit")
    assert isinstance(audit, AuditPage)
    pump(lambda: audit.model.rowCount() > 0)
    shot("admin-audit")
    window.close_central()


def main(argv: list[str]) -> int:
    from ui.app import create_application, keep_settings_in
    from ui.screenshots import make_pack, pump

    out = Path(argv[1] if len(argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = create_application(argv[:1])
    data = Path(tempfile.mkdtemp(prefix="qi-admin-shots-"))
    keep_settings_in(data / "settings")  # as ui.screenshots: not the user's settings
    pack = make_pack(data)
    window = MainWindow(ProfileService(data / "no-profiles"))
    window.resize(1366, 768)
    window.show()
    window.start()
    pump(app, lambda: window.stack.currentWidget() is window.first_run)
    main_admin(app, window, out, data, pack, lambda until: pump(app, until))
    window.close()
    return 0


if __name__ == "__main__":
    code = main(sys.argv)
    sys.stdout.flush()
    os._exit(code)  # as ui.screenshots: skip a teardown PySide can crash in
