"""The main window: first run / unlock -> home -> a record, lock and idle lock; the sync
and study-pack dialogs (File menu).

It holds the `CoreContext` once a profile is unlocked and passes work to the services
through one `TaskRunner`: reads in parallel, every write (record changes, deleting,
locking) through the serial queue, so locking always happens after the last autosave.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QMessageBox, QStackedWidget, QWidget

from qi_capture import __version__
from qi_capture.services import (
    CoreContext,
    PackInstalled,
    ProfileService,
    RecordDraft,
    SyncResult,
)
from qi_capture.services.dto import ProfileInfo, RevisionInfo
from qi_capture.services.filling import ReadOnlyFill, RecordFill, open_read_only
from qi_capture.services.studies import StudyOverview
from ui.admin.console import AdminConsole, register_pages
from ui.admin.open_dialog import OpenCentralDialog, OpenedStore
from ui.controller import FormController, RecordController, ViewController
from ui.dialogs import confirm
from ui.dialogs.erase import EraseDialog
from ui.dialogs.laptop import LaptopDialog
from ui.dialogs.study_pack import StudyPackDialog
from ui.dialogs.sync import SyncDialog
from ui.errors import error_code, message_for
from ui.idle import DEFAULT_IDLE_MINUTES, IdleWatcher
from ui.models.records import RecordRow
from ui.pages.first_run import FirstRunPage
from ui.pages.form_filler import FormFiller
from ui.pages.home import HomePage
from ui.pages.interview import InterviewFiller
from ui.pages.unlock import UnlockPage
from ui.tasks import TaskRunner

log = logging.getLogger(__name__)


def load_home(ctx: CoreContext) -> tuple[list[StudyOverview], list[RecordRow]]:
    """Worker: everything the home page shows."""
    studies = ctx.studies.overview()
    titles = {f.id: f.title for f in ctx.studies.list_forms(include_hidden=True)}
    local = ctx.studies.local_only_form_versions()
    erased = ctx.records.erased_ids()
    rows = [
        RecordRow(r.id, r.instance_name or "", r.form_version_id,
                  titles.get(r.form_version_id, str(r.form_version_id)), r.status,
                  r.editing, r.created, r.updated, r.form_version_id in local,
                  r.id in erased)
        for r in ctx.records.list_records()
    ]
    return studies, rows


def load_view(ctx: CoreContext, record_id: uuid.UUID
              ) -> tuple[ReadOnlyFill, str, bool, dict[str, float]]:
    """Worker: a finalised record to show read-only (never written), its form's title,
    whether its study has a study pack, and (interviews) the seconds spent per screen,
    so the read-only clock shows the real duration."""
    fill, view = open_read_only(ctx, record_id)
    spent = time_spent(ctx, record_id) if fill.interview else {}
    return fill, view.form.title, view.study_has_pack, spent


def time_spent(ctx: CoreContext, record_id: uuid.UUID) -> dict[str, float]:
    """Worker: seconds spent per screen in earlier sittings (the paradata)."""
    spent: dict[str, float] = defaultdict(float)
    for stored in ctx.records.paradata(record_id):
        event = stored.event
        payload = event.payload
        if event.kind == "question_left" and isinstance(payload, dict):
            path, ms = payload.get("path"), payload.get("duration_ms")
            if isinstance(path, str) and isinstance(ms, int | float):
                spent[path] += ms / 1000
    return dict(spent)


class MainWindow(QMainWindow):
    #: A profile was unlocked and the home screen is showing.
    unlocked = Signal()
    #: The profile was locked (by the menu or idle).
    locked = Signal()
    #: A record is on screen (the filler).
    record_opened = Signal(object)

    def __init__(self, profiles: ProfileService, *, runner: TaskRunner | None = None,
                 idle_minutes: float | None = None,
                 create_options: dict[str, Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("QI Capture"))
        self.profiles = profiles
        self.runner = runner or TaskRunner(self)
        # Home loads run on the parallel read pool, so an older one can finish after a
        # newer one; only the newest may draw (else a deleted draft comes back).
        self._home_loads = 0
        #: Extra arguments for ProfileService.create (tests pass fast KDF parameters).
        self.create_options = dict(create_options or {})
        self.ctx: CoreContext | None = None
        self.profile: ProfileInfo | None = None
        self.filler: FormFiller | None = None
        self._resume_after_unlock: uuid.UUID | None = None
        self._home_loaded = False
        self.stack = QStackedWidget(self)
        self.setCentralWidget(self.stack)
        self.first_run = FirstRunPage(self)
        self.unlock_page = UnlockPage(self)
        self.home = HomePage(self)
        for page in (self.first_run, self.unlock_page, self.home):
            self.stack.addWidget(page)
        self.first_run.create_requested.connect(self._on_first_run_create_requested)
        self.first_run.unlock_requested.connect(self._on_first_run_unlock_requested)
        self.unlock_page.unlock_requested.connect(self._on_unlock_page_unlock_requested)
        self.unlock_page.new_profile_requested.connect(self._on_unlock_page_new_profile)
        self.unlock_page.open_central_requested.connect(self._on_open_central_requested)
        #: The admin console, while a central store is open (instead of a profile).
        self.console: AdminConsole | None = None
        #: The console was idle-locked: ask for the admin passphrase once the profile
        #: chooser is back.
        self._reopen_central = False
        self.open_central_dialog: OpenCentralDialog | None = None
        self.home.new_record_requested.connect(self._on_home_new_record_requested)
        self.home.open_record_requested.connect(self._on_home_open_record_requested)
        self.home.edit_record_requested.connect(self._on_home_edit_record_requested)
        self.home.delete_draft_requested.connect(self._on_home_delete_draft_requested)
        self.home.erase_record_requested.connect(self._on_home_erase_record_requested)
        #: An explicit idle time (--idle-minutes) wins over the study pack's policy.
        self._idle_override = idle_minutes
        self.idle = IdleWatcher(self, idle_minutes or DEFAULT_IDLE_MINUTES)
        self.sync_dialog: SyncDialog | None = None
        self.pack_dialog: StudyPackDialog | None = None
        self.erase_dialog: EraseDialog | None = None
        self.idle.idle_timed_out.connect(self._on_idle_timed_out)
        self.status = QLabel(self)
        self._carry_status = False
        self.statusBar().addWidget(self.status, 1)
        self._build_menus()
        self._update_menus()
        self.resize(1280, 760)
        self.setMinimumSize(800, 560)

    # --- menus --------------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addActions(self.home.actions_for_menu()[:1])
        file_menu.addSeparator()
        self.sync_action = QAction(self.tr("&Sync…"), self)
        self.sync_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.sync_action.triggered.connect(self._on_sync_action_triggered)
        self.import_pack_action = QAction(self.tr("&Import study pack…"), self)
        self.import_pack_action.setShortcut(QKeySequence("Ctrl+O"))
        self.import_pack_action.triggered.connect(self._on_import_pack_action_triggered)
        file_menu.addActions([self.sync_action, self.import_pack_action])
        file_menu.addSeparator()
        self.open_central_action = QAction(self.tr("Open a &central store…"), self)
        self.open_central_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_central_action.triggered.connect(self._on_open_central_requested)
        self.close_central_action = QAction(self.tr("&Close central store"), self)
        self.close_central_action.setShortcut(QKeySequence("Ctrl+Shift+W"))
        self.close_central_action.triggered.connect(self.close_central)
        file_menu.addActions([self.open_central_action, self.close_central_action])
        file_menu.addSeparator()
        self.home_action = QAction(self.tr("&Home (records)"), self)
        self.home_action.setShortcut(QKeySequence("Ctrl+H"))
        self.home_action.triggered.connect(self._on_home_action_triggered)
        file_menu.addAction(self.home_action)
        self.lock_action = QAction(self.tr("&Lock"), self)
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.triggered.connect(self._on_lock_action_triggered)
        file_menu.addAction(self.lock_action)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.records_menu = bar.addMenu(self.tr("R&ecords"))
        self.records_menu.addActions(self.home.actions_for_menu()[1:])
        self.record_menu: QMenu = bar.addMenu(self.tr("&Record"))
        #: The console's pages (Ctrl+1 … Ctrl+9), shown while a central store is open.
        self.console_menu: QMenu = bar.addMenu(self.tr("&Console"))
        help_menu = bar.addMenu(self.tr("&Help"))
        keys = QAction(self.tr("&Keyboard shortcuts"), self)
        keys.setShortcut(QKeySequence.StandardKey.HelpContents)
        keys.triggered.connect(self._on_keys_action_triggered)
        about = QAction(self.tr("&About QI Capture"), self)
        about.triggered.connect(self._on_about_action_triggered)
        self.laptop_action = QAction(self.tr("About this &laptop"), self)
        self.laptop_action.triggered.connect(self._on_laptop_action_triggered)
        help_menu.addActions([keys, self.laptop_action, about])
        for action in self.home.actions_for_menu():
            self.addAction(action)

    def _update_menus(self) -> None:
        unlocked = self.ctx is not None
        admin = self.console is not None
        self.open_central_action.setEnabled(not unlocked and not admin)
        self.close_central_action.setEnabled(admin)
        self.console_menu.menuAction().setVisible(admin)
        self.records_menu.menuAction().setVisible(not admin)
        self.record_menu.menuAction().setVisible(not admin)
        on_home = self.stack.currentWidget() is self.home
        self.lock_action.setEnabled(unlocked)
        self.sync_action.setEnabled(unlocked)
        self.import_pack_action.setEnabled(unlocked)
        self.laptop_action.setEnabled(unlocked)
        self.home_action.setEnabled(unlocked and self.filler is not None)
        for action in self.home.actions_for_menu():
            action.setEnabled(unlocked and on_home)
        if on_home:
            self.home._update_buttons()
        self.record_menu.clear()
        self.record_menu.setEnabled(self.filler is not None)
        if self.filler is not None:
            self.record_menu.addActions(self.filler.actions_for_menu())

    def _say(self, text: str, *, carry: bool = False) -> None:
        """A status-bar message. It belongs to the screen it was said on and goes when
        another screen shows; ``carry``: it is about the screen coming next (said just
        before the change), so it stays for that one."""
        self.status.setText(text)
        self._carry_status = carry

    # --- start --------------------------------------------------------------------------
    def start(self) -> None:
        """Show first run or unlock, depending on whether profiles exist."""
        task = self.runner.run(self.profiles.list_profiles)
        task.finished.connect(self._on_profiles_listed)
        task.failed.connect(self._on_task_failed)

    def _on_profiles_listed(self, profiles: list[ProfileInfo]) -> None:
        if not profiles:
            self.first_run.existing.hide()
            self._show(self.first_run)
            self.first_run.name.setFocus()
            return
        self.unlock_page.set_profiles(profiles, self.profile.folder if self.profile else None)
        self.first_run.existing.show()
        self._show(self.unlock_page)
        self.unlock_page.passphrase.setFocus()
        if self._reopen_central:
            self._reopen_central = False
            dialog = self.open_central()
            if dialog is not None:
                dialog.show_message(self.tr(
                    "Locked after a period without use: the central store was closed. "
                    "Type the admin passphrase to open it again."))
                dialog.passphrase.setFocus()

    def _show(self, page: QWidget) -> None:
        if self.stack.indexOf(page) < 0:
            self.stack.addWidget(page)
        if page is not self.stack.currentWidget():
            if self._carry_status:
                self._carry_status = False
            else:
                self.status.clear()  # yesterday's news on the new screen misleads
        self.stack.setCurrentWidget(page)
        self._update_menus()

    def _on_task_failed(self, error: object) -> None:
        if self.ctx is None:
            # Locked or quitting: a task that fails now was cut short by the lock; a
            # dialog would be about a store the user has already closed (and, while
            # quitting, would stop the app from exiting).
            log.info("a task ended after the profile was locked (%s)", error_code(error))
            return
        if isinstance(error, BaseException):
            self._say(message_for(error))
            confirm.tell(self, self.tr("QI Capture"), message_for(error))

    # --- first run ----------------------------------------------------------------------
    def _on_first_run_unlock_requested(self) -> None:
        self.start()

    def _on_unlock_page_new_profile(self) -> None:
        self.first_run.clear()
        self._show(self.first_run)
        self.first_run.name.setFocus()

    def _on_first_run_create_requested(self, name: str, passphrase: str, recovery: str) -> None:
        profiles = self.profiles
        options = self.create_options

        def create() -> CoreContext:
            info = profiles.create(name, passphrase, recovery or None, **options)
            return profiles.unlock(info, passphrase)

        task = self.runner.run(create)
        task.finished.connect(self._on_unlock_finished)
        task.failed.connect(self._on_create_failed)

    def _on_create_failed(self, error: object) -> None:
        self.first_run.set_busy(False)
        if isinstance(error, BaseException):
            self.first_run.show_message(message_for(error))

    # --- unlock -------------------------------------------------------------------------
    def _on_unlock_page_unlock_requested(self, folder: Path, passphrase: str) -> None:
        # On the write queue, after the lock that showed this page: until that has closed
        # the store (it waits for the last queued write, then for every read), the
        # profile's lock file is still held, and an unlock beside it would be refused as
        # "open in another window". (On the read pool, the lock also waited for it.)
        task = self.runner.write(self.profiles.unlock, folder, passphrase)
        task.finished.connect(self._on_unlock_finished)
        task.failed.connect(self._on_unlock_failed)

    def _on_unlock_failed(self, error: object) -> None:
        if isinstance(error, BaseException):
            if error_code(error) != "wrong_passphrase":
                log.warning("unlock failed: %s", error_code(error))
            self.unlock_page.failed(message_for(error))

    def _on_unlock_finished(self, ctx: CoreContext) -> None:
        self.ctx = ctx
        self.profile = ctx.profile
        self.first_run.clear()
        self.first_run.set_busy(False)
        self.unlock_page.clear()
        self.unlock_page.set_reason(None)
        self.home.set_greeting(ctx.interviewer)
        self._show(self.home)
        self.idle.start()
        self.apply_idle_policy()
        self.refresh_home(then=self._after_unlock)

    def _after_unlock(self) -> None:
        self._say(self.tr("Unlocked."))
        resume, self._resume_after_unlock = self._resume_after_unlock, None
        if resume is not None:
            self.open_record(resume)
        else:
            self.home.table.setFocus()
        self.unlocked.emit()

    def apply_idle_policy(self) -> None:
        """Idle-lock after the installed study packs' minutes (unless overridden)."""
        ctx = self.ctx
        if ctx is None or self._idle_override is not None:
            return
        task = self.runner.run(ctx.packs.idle_lock_minutes)

        def apply(minutes: int | None) -> None:
            if self.ctx is ctx:
                self.idle.set_minutes(float(minutes or DEFAULT_IDLE_MINUTES))
                if self.idle.active:
                    self.idle.start()
        task.finished.connect(apply)
        task.failed.connect(self._on_task_failed)

    # --- sync and study packs -----------------------------------------------------------
    def _on_sync_action_triggered(self) -> None:
        self.open_sync()

    def open_sync(self) -> SyncDialog | None:
        ctx = self.ctx
        if ctx is None:
            return None
        self._close_dialogs()
        dialog = SyncDialog(ctx, self.runner, self)
        dialog.synced.connect(self._on_sync_dialog_synced)
        self.sync_dialog = dialog
        dialog.open()
        return dialog

    def _on_sync_dialog_synced(self, result: object) -> None:
        if isinstance(result, SyncResult):
            self._say(self.tr("Sync finished: {0} record(s) sent, {1} acknowledged.").format(
                result.records_sent, result.acknowledged))
        if self.filler is None:
            self.refresh_home()

    def _on_import_pack_action_triggered(self) -> None:
        self.open_pack_import()

    def open_pack_import(self) -> StudyPackDialog | None:
        ctx = self.ctx
        if ctx is None:
            return None
        self._close_dialogs()
        dialog = StudyPackDialog(ctx, self.runner, self)
        dialog.installed.connect(self._on_pack_dialog_installed)
        self.pack_dialog = dialog
        dialog.open()
        return dialog

    def _on_pack_dialog_installed(self, outcome: PackInstalled) -> None:
        self._say(self.tr("Study pack for {0} installed.").format(outcome.study_title))
        self.apply_idle_policy()
        if self.filler is None:
            self.refresh_home()

    def _close_dialogs(self) -> None:
        for dialog in (self.sync_dialog, self.pack_dialog):
            if dialog is not None:
                dialog.done(0)
                dialog.deleteLater()
        self.sync_dialog = self.pack_dialog = None

    # --- the admin console --------------------------------------------------------------
    def _on_open_central_requested(self) -> None:
        self.open_central()

    def open_central(self) -> OpenCentralDialog | None:
        """The dialog that opens a central store (only while no profile is unlocked)."""
        if self.ctx is not None or self.console is not None:
            return None
        if self.open_central_dialog is not None:
            self.open_central_dialog.done(0)
            self.open_central_dialog.deleteLater()
        dialog = OpenCentralDialog(self.runner, self)
        dialog.opened.connect(self._on_central_opened)
        self.open_central_dialog = dialog
        dialog.open()
        return dialog

    def _on_central_opened(self, store: OpenedStore) -> None:
        if self.ctx is not None or self.console is not None:
            self.runner.write(store.desk.close)  # a profile won the race: not needed
            return
        console = AdminConsole(store.desk, self.runner, target=store.target,
                               has_keys=store.has_keys, parent=self)
        register_pages(console)
        self.console = console
        self.console_menu.clear()
        self.console_menu.addActions(console.go_actions())
        self.setWindowTitle(self.tr("QI Capture: admin console"))
        self._show(console)
        self._say(self.tr("Central store open."))
        console.nav.setFocus()
        # The console locks after the same idle time as a profile: the central store
        # holds every record, so it is never left open on an unattended desk.
        self.idle.start()

    def close_central(self) -> None:
        """Close the console and its desk (on the writer thread); back to the profiles."""
        console, self.console = self.console, None
        if console is None:
            return
        self.idle.stop()
        console.close_desk()
        self.console_menu.clear()
        self.stack.removeWidget(console)
        console.deleteLater()
        self.setWindowTitle(self.tr("QI Capture"))
        self._say(self.tr("Central store closed."))
        self.start()

    def lock_central(self) -> None:
        """Idle: close the central store (the desk's keys go with it) and ask for the
        admin passphrase again, the connection filled in as it was."""
        # The dialog opens once the profile chooser is back (`_on_profiles_listed`):
        # opened before, the chooser's focus change would come after it and close it.
        self._reopen_central = True
        self.close_central()

    # --- home ---------------------------------------------------------------------------
    def refresh_home(self, then: Callable[[], None] | None = None) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        self._home_loads += 1
        load = self._home_loads
        task = self.runner.run(load_home, ctx)

        def show(result: tuple[list[StudyOverview], list[RecordRow]]) -> None:
            if self.ctx is not ctx:
                return  # locked meanwhile
            if load == self._home_loads:  # else a newer load draws the page
                studies, rows = result
                self.home.set_forms(studies)
                self.home.set_records(rows)
                self._update_menus()
            if then is not None:
                then()
        task.finished.connect(show)
        task.failed.connect(self._on_task_failed)

    def show_home(self) -> None:
        self._drop_filler()
        self._show(self.home)
        self.refresh_home()

    def _on_home_action_triggered(self) -> None:
        self.close_record()

    def _on_home_new_record_requested(self, form_version_id: int) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        task = self.runner.write(ctx.records.create, form_version_id)
        task.finished.connect(self.show_record)
        task.failed.connect(self._on_task_failed)

    def _on_home_open_record_requested(self, record_id: uuid.UUID) -> None:
        self.open_record(record_id)

    def open_record(self, record_id: uuid.UUID) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        task = self.runner.run(ctx.records.summary, record_id)

        def opened(summary: Any) -> None:
            if summary.status == "draft" or summary.editing:
                write = self.runner.write(ctx.records.resume, record_id)
                write.finished.connect(self.show_record)
                write.failed.connect(self._on_task_failed)
            else:
                self.view_record(record_id)
        task.finished.connect(opened)
        task.failed.connect(self._on_task_failed)

    def view_record(self, record_id: uuid.UUID) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        task = self.runner.run(load_view, ctx, record_id)

        def show(result: tuple[ReadOnlyFill, str, bool, dict[str, float]]) -> None:
            fill, title, has_pack, spent = result
            controller = ViewController(fill, self.runner, self)
            self._install_filler(controller, title, fill.interview, record_id, spent)
            if not has_pack:
                self._say(self.tr("This record stays on this laptop: its study has no study "
                                  "pack yet. Importing the pack moves it into the pack's "
                                  "study, to be sent at the next sync."))
        task.finished.connect(show)
        task.failed.connect(self._on_task_failed)

    def _on_home_edit_record_requested(self, record_id: uuid.UUID) -> None:
        self.edit_record(record_id)

    def edit_record(self, record_id: uuid.UUID) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        self._drop_filler()
        task = self.runner.write(ctx.records.edit, record_id)
        task.finished.connect(self.show_record)
        task.failed.connect(self._on_task_failed)

    def _on_home_delete_draft_requested(self, record_id: uuid.UUID) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        if not confirm.ask(self, self.tr("Delete draft"), self.tr(
                "Delete this draft and all its answers? This cannot be undone.")):
            return
        task = self.runner.write(ctx.records.delete_draft, record_id)
        task.finished.connect(lambda _r: self._say_and_refresh(self.tr("Draft deleted.")))
        task.failed.connect(self._on_task_failed)

    def _on_home_erase_record_requested(self, record_id: uuid.UUID, name: str) -> None:
        if self.ctx is None:
            return
        dialog = EraseDialog(name, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._erase_record(record_id, dialog.reason()))
        self.erase_dialog = dialog
        dialog.open()  # window-modal, no nested event loop (autosave, idle lock run on)

    def _say_and_refresh(self, message: str) -> None:
        self._say(message)
        self.refresh_home()

    def _erase_record(self, record_id: uuid.UUID, reason: str) -> None:
        ctx = self.ctx
        if ctx is None:
            return
        task = self.runner.write(ctx.records.erase, record_id, reason)
        task.finished.connect(lambda _r: self._say_and_refresh(self.tr(
            "Record erased. The centre erases its copy after the next sync.")))
        task.failed.connect(self._on_task_failed)

    # --- a record on screen -------------------------------------------------------------
    def show_record(self, record: RecordDraft) -> None:
        if self.ctx is None:
            return
        controller = RecordController(RecordFill(record), self.runner, self)
        title = record.form_version.title
        if record.form.style == "interview":
            ctx = self.ctx
            task = self.runner.run(time_spent, ctx, record.record_id)
            task.finished.connect(lambda spent: self._install_filler(
                controller, title, True, record.record_id, spent))
            task.failed.connect(lambda _e: self._install_filler(
                controller, title, True, record.record_id))
        else:
            self._install_filler(controller, title, False, record.record_id)

    def _install_filler(self, controller: FormController, title: str, interview: bool,
                        record_id: uuid.UUID, spent: dict[str, float] | None = None) -> None:
        if self.ctx is None:
            return
        self._drop_filler()
        filler: FormFiller
        if interview:
            filler = InterviewFiller(controller, title, spent=spent,
                                     recording=self.ctx.recording, record_id=record_id,
                                     notes=self.ctx.notes)
        else:
            filler = FormFiller(controller, title)
        filler.setProperty("record_id", str(record_id))
        filler.close_requested.connect(self.close_record)
        filler.finalised.connect(lambda revision: self._on_filler_finalised(record_id, revision))
        filler.edit_requested.connect(lambda: self.edit_record(record_id))
        self.filler = filler
        self._show(filler)
        filler.start()
        self.record_opened.emit(filler)

    def _drop_filler(self) -> None:
        filler, self.filler = self.filler, None
        if filler is not None:
            self.stack.removeWidget(filler)
            filler.deleteLater()
        self._update_menus()

    def close_record(self) -> None:
        filler = self.filler
        if filler is None:
            return
        filler.controller.close(then=self.show_home)

    def _on_filler_finalised(self, record_id: uuid.UUID, revision: RevisionInfo) -> None:
        # Plain words only: revision ids mean nothing to an interviewer.
        self._say(self.tr("Finalised; it will be sent at the next sync."), carry=True)
        self.view_record(record_id)

    # --- locking ------------------------------------------------------------------------
    def _on_lock_action_triggered(self) -> None:
        self.lock(self.tr("Locked. Type your passphrase to carry on."))

    def _on_idle_timed_out(self) -> None:
        if self.console is not None:
            self.lock_central()
            return
        self.lock(self.tr("Locked after a period without use. Your draft is saved; type "
                          "your passphrase to carry on."))

    def lock(self, reason: str) -> None:
        """Clear every view at once; close the record and lock the store after the last
        queued write (the serial queue keeps the order)."""
        ctx = self.ctx
        if ctx is None:
            return
        self.ctx = None
        self.idle.stop()
        filler = self.filler
        if filler is not None:
            record_id = filler.property("record_id")
            if isinstance(filler.controller, RecordController):
                self._resume_after_unlock = uuid.UUID(str(record_id))
            filler.controller.close()
        self._drop_filler()
        self._close_dialogs()
        self.home.clear()
        self._lock_store(ctx)
        self.unlock_page.clear()
        self.unlock_page.set_reason(reason)
        self._say("")
        self.start()
        self.locked.emit()

    def _lock_store(self, ctx: CoreContext) -> None:
        """Lock the store after the last queued write (the serial queue keeps the order)
        and after every read still running: no read may find the keys wiped under it."""
        runner = self.runner

        def lock_store() -> None:
            runner.wait_for_readers()
            ctx.lock()
        task = runner.write(lock_store)
        task.failed.connect(lambda _e: log.warning("lock reported an error"))

    # --- help ---------------------------------------------------------------------------
    def _on_keys_action_triggered(self) -> None:
        QMessageBox.information(self, self.tr("Keyboard shortcuts"), self.tr(
            "Enter: next question (Ctrl+Enter in notes)\n"
            "Alt+Right / Alt+Left: next / previous screen\n"
            "Ctrl+I: question index or sections\n"
            "Ctrl+Shift+N: add another (repeats)\n"
            "Ctrl+Shift+F: finalise\n"
            "Ctrl+Shift+K: pause / resume the interview clock\n"
            "Ctrl+W: close the record\n"
            "Interviews: Alt+1…Alt+5 quick tags · Ctrl+K key quote · "
            "Ctrl+Shift+R record · Ctrl+Shift+P pause · Ctrl+Shift+T stop\n"
            "Ctrl+N: new record · Ctrl+F: search records · Del: delete a draft\n"
            "Ctrl+Shift+S: sync · Ctrl+O: import a study pack\n"
            "Ctrl+L: lock · Ctrl+Q: quit"))

    def _on_laptop_action_triggered(self) -> None:
        self.open_laptop_dialog()

    def open_laptop_dialog(self) -> LaptopDialog | None:
        ctx = self.ctx
        if ctx is None:
            return None
        dialog = LaptopDialog(ctx, self.runner, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _on_about_action_triggered(self) -> None:
        QMessageBox.about(self, self.tr("About QI Capture"), self.tr(
            "QI Capture {0}\nEncrypted, offline questionnaires and interviews for quality "
            "improvement fieldwork.").format(__version__))

    # --- closing ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.console is not None:
            self.console.close_desk()
        ctx = self.ctx
        self.ctx = None
        self.idle.stop()
        if self.filler is not None:
            self.filler.controller.close()
        if ctx is not None:
            self._lock_store(ctx)
        self.runner.wait()  # shutting down: let the last autosave and the lock finish
        super().closeEvent(event)


