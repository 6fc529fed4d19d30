"""The form filler: one screen at a time (a question, or a whole field-list group), the
question index, repeats, progress, language, the saved indicator and finalising.

It draws from the controller's frozen `FormView` (a new one arrives with
``state_changed``) and sends every change as an intent to the controller; it never sees
the form session itself.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from qi_capture.services.screen import FormView, Problem, QuestionValue, ScreenValue
from ui.controller import FormController
from ui.dialogs import confirm
from ui.dialogs.finalise import FinaliseDialog
from ui.models.issues import IssueListModel
from ui.models.question_index import PathRole, QuestionIndexModel
from ui.widgets.fonts import scale_font
from ui.widgets.question_view import QuestionView
from ui.widgets.saved_indicator import SavedIndicator


class FormFiller(QWidget):
    """The page that fills (or shows) one record."""

    #: Back to the home screen (the draft stays).
    close_requested = Signal()
    #: The record was finalised (revision info).
    finalised = Signal(object)
    #: A finalised record shown read-only: the interviewer wants to edit it.
    edit_requested = Signal()

    def __init__(self, controller: FormController, title: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("formFiller")
        self.controller = controller
        self.read_only = controller.read_only
        self._title = title
        self._shown_key: str | None = None
        self._shown_fields: tuple[str, ...] = ()
        self._views: list[QuestionView] = []
        self._screen_widget: QWidget | None = None
        self._focus_path: str | None = None
        self._issues_shown = False
        #: The finalise review on screen (None when closed).
        self.review_dialog: FinaliseDialog | None = None
        #: The repeat instance the screen is in: (slot path, index), for "Remove this one".
        self._instance: tuple[str, int] | None = None
        self._build()
        self._build_actions()
        controller.state_changed.connect(self._on_controller_state_changed)
        controller.save_state_changed.connect(self._on_controller_save_state_changed)
        controller.error_raised.connect(self._on_controller_error_raised)
        controller.screen_refused.connect(self._on_controller_screen_refused)
        controller.finalise_refused.connect(self._on_controller_finalise_refused)
        controller.finalised.connect(self._on_controller_finalised)
        controller.review_ready.connect(self._on_controller_review_ready)
        controller.end_reached.connect(self._on_controller_end_reached)
        if self.read_only:
            self.saved.set_state("read_only")

    # --- building -----------------------------------------------------------------------
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        self.top_row = top
        self.heading = QLabel(self._title, self)
        self.heading.setObjectName("formTitle")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setWordWrap(True)
        top.addWidget(self.heading, 1)
        self.language = QComboBox(self)
        self.language.setAccessibleName(self.tr("Language"))
        languages = self.controller.languages
        for language in languages:
            self.language.addItem(language.split(" (")[0], language)
        self.language.setVisible(len(languages) > 1)
        self.language.activated.connect(self._on_language_activated)
        top.addWidget(self.language)
        self.saved = SavedIndicator(self)
        top.addWidget(self.saved)
        outer.addLayout(top)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.side = self._build_side()
        self.splitter.addWidget(self.side)
        centre = QWidget(self.splitter)
        centre_layout = QVBoxLayout(centre)
        centre_layout.setContentsMargins(0, 0, 0, 0)
        self.instance_bar = QFrame(centre)
        self.instance_bar.setObjectName("instanceBar")
        bar = QHBoxLayout(self.instance_bar)
        bar.setContentsMargins(8, 4, 8, 4)
        self.instance_label = QLabel(self.instance_bar)
        self.instance_label.setObjectName("instanceHeading")
        self.remove_instance = QPushButton(self.tr("Remove this one…"), self.instance_bar)
        self.remove_instance.clicked.connect(self._on_remove_instance_clicked)
        bar.addWidget(self.instance_label, 1)
        bar.addWidget(self.remove_instance)
        self.instance_bar.hide()
        centre_layout.addWidget(self.instance_bar)
        self.screen_area = QScrollArea(centre)
        self.screen_area.setWidgetResizable(True)
        self.screen_area.setFrameShape(QFrame.Shape.NoFrame)
        centre_layout.addWidget(self.screen_area, 1)
        self.issues_panel = self._build_issues_panel(centre)
        centre_layout.addWidget(self.issues_panel)
        self.splitter.addWidget(centre)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 900])
        outer.addWidget(self.splitter, 1)

        nav = QHBoxLayout()
        self.back_home = QPushButton(self.tr("Close"), self)
        self.back_home.setToolTip(self.tr("Back to the records (the draft is kept)"))
        self.back_home.clicked.connect(self.close_requested)
        self.previous_button = QPushButton(self.tr("← Previous"), self)
        self.previous_button.clicked.connect(self._on_previous_clicked)
        self.progress = QProgressBar(self)
        self.progress.setFormat(self.tr("%v of %m answered"))
        self.progress.setAccessibleName(self.tr("Progress"))
        self.next_button = QPushButton(self.tr("Next →"), self)
        self.next_button.setDefault(False)
        self.next_button.clicked.connect(self._on_next_clicked)
        self.finalise_button = QPushButton(self.tr("Finalise…"), self)
        self.finalise_button.clicked.connect(self._on_finalise_clicked)
        self.edit_button = QPushButton(self.tr("Edit (new revision)"), self)
        self.edit_button.clicked.connect(self.edit_requested)
        self.edit_button.setVisible(self.read_only)
        self.finalise_button.setVisible(not self.read_only)
        nav.addWidget(self.back_home)
        nav.addWidget(self.previous_button)
        nav.addWidget(self.progress, 1)
        nav.addWidget(self.next_button)
        nav.addWidget(self.finalise_button)
        nav.addWidget(self.edit_button)
        outer.addLayout(nav)

    def _build_side(self) -> QWidget:
        side = QWidget(self)
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel(self.tr("Questions"), side)
        title.setObjectName("sideTitle")
        self.index_model = QuestionIndexModel(self)
        self.index_view = QListView(side)
        self.index_view.setObjectName("questionIndex")
        self.index_view.setModel(self.index_model)
        self.index_view.setAccessibleName(self.tr("Question index"))
        self.index_view.setUniformItemSizes(False)
        self.index_view.setWordWrap(True)
        self.index_view.activated.connect(self._on_index_view_activated)
        self.index_view.clicked.connect(self._on_index_view_activated)
        title.setBuddy(self.index_view)
        layout.addWidget(title)
        layout.addWidget(self.index_view, 1)
        side.setMinimumWidth(self.fontMetrics().horizontalAdvance("x") * 28)
        return side

    def _build_issues_panel(self, parent: QWidget) -> QFrame:
        panel = QFrame(parent)
        panel.setObjectName("issuesPanel")
        layout = QVBoxLayout(panel)
        self.issues_title = QLabel(panel)
        self.issues_title.setObjectName("issuesTitle")
        self.issues_title.setWordWrap(True)
        self.issues_model = IssueListModel(self)
        self.issues_view = QListView(panel)
        self.issues_view.setObjectName("issuesList")
        self.issues_view.setModel(self.issues_model)
        self.issues_view.setWordWrap(True)
        self.issues_view.setAccessibleName(self.tr("Problems to correct before finalising"))
        self.issues_view.activated.connect(self._on_issues_view_activated)
        self.issues_view.clicked.connect(self._on_issues_view_activated)
        hide = QPushButton(self.tr("Hide list"), panel)
        hide.clicked.connect(panel.hide)
        layout.addWidget(self.issues_title)
        layout.addWidget(self.issues_view)
        layout.addWidget(hide, 0, Qt.AlignmentFlag.AlignRight)
        panel.setMaximumHeight(self.fontMetrics().lineSpacing() * 14)
        panel.hide()
        return panel

    def _build_actions(self) -> None:
        """Actions the main window puts in its Record menu (shortcuts shown there)."""
        self.next_action = QAction(self.tr("&Next question"), self)
        self.next_action.setShortcuts([QKeySequence("Alt+Right"), QKeySequence("Ctrl+Return")])
        self.next_action.triggered.connect(self._on_next_clicked)
        self.previous_action = QAction(self.tr("&Previous question"), self)
        self.previous_action.setShortcut(QKeySequence("Alt+Left"))
        self.previous_action.triggered.connect(self._on_previous_clicked)
        self.index_action = QAction(self.tr("Go to the question &index"), self)
        self.index_action.setShortcut(QKeySequence("Ctrl+I"))
        self.index_action.triggered.connect(self._on_index_action_triggered)
        self.finalise_action = QAction(self.tr("&Finalise…"), self)
        self.finalise_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        self.finalise_action.triggered.connect(self._on_finalise_clicked)
        self.finalise_action.setEnabled(not self.read_only)
        self.add_repeat_action = QAction(self.tr("&Add another"), self)
        self.add_repeat_action.setShortcut(QKeySequence("Ctrl+Shift+N"))
        self.add_repeat_action.triggered.connect(self._on_add_repeat_action_triggered)
        self.close_action = QAction(self.tr("&Close record"), self)
        self.close_action.setShortcut(QKeySequence("Ctrl+W"))
        self.close_action.triggered.connect(self.close_requested)
        self.edit_action = QAction(self.tr("&Edit (new revision)"), self)
        self.edit_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_action.triggered.connect(self.edit_requested)
        self.edit_action.setEnabled(self.read_only)
        self.next_button.setToolTip(self.tr("Next (Enter, Alt+Right)"))
        self.previous_button.setToolTip(self.tr("Previous (Alt+Left)"))
        self.finalise_button.setToolTip(self.tr("Finalise (Ctrl+Shift+F)"))
        for action in self.actions_for_menu():
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)

    def actions_for_menu(self) -> list[QAction]:
        return [self.next_action, self.previous_action, self.index_action,
                self.add_repeat_action, self.finalise_action, self.edit_action,
                self.close_action]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter moves on everywhere, also where no question takes the focus (an intro
        or thank-you note): on a button it presses that button, elsewhere it is Next
        (Finalise… on the last screen). Editors handle their own Enter before this."""
        if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
            focused = self.focusWidget()
            if isinstance(focused, QPushButton) and focused.isEnabled():
                focused.click()
                event.accept()
                return
            if self.next_button.isVisible() and self.next_button.isEnabled():
                self._on_next_clicked()
            elif self.finalise_button.isVisible():
                self._on_finalise_clicked()
            event.accept()
            return
        super().keyPressEvent(event)

    # --- starting -----------------------------------------------------------------------
    def start(self) -> None:
        start = getattr(self.controller, "start", None)
        if callable(start):
            start()

    # --- refreshing (write queue idle) --------------------------------------------------
    def _on_controller_state_changed(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        controller = self.controller
        if controller.busy:
            return  # a later state_changed redraws once the queue is empty
        view = controller.view
        if view is None or view.screen is None:
            return
        screen = view.screen
        if screen.key != self._shown_key or screen.fields != self._shown_fields:
            self._show_screen(view, screen)
        else:
            for question_view in self._views:
                question = self._question(view, question_view.path)
                if question is not None:
                    question_view.refresh(question)
            self._refresh_repeat_panel(screen)
        self._refresh_chrome(view, screen)
        if self._focus_path is not None:
            self._focus_question(self._focus_path)
            self._focus_path = None

    @staticmethod
    def _question(view: FormView, path: str) -> QuestionValue | None:
        if view.screen is not None:
            question = view.screen.question(path)
            if question is not None:
                return question
        if view.key_quote is not None and view.key_quote.path == path:
            return view.key_quote
        return None

    def _refresh_chrome(self, view: FormView, screen: ScreenValue) -> None:
        self.progress.setMaximum(max(view.total, 1))
        self.progress.setValue(view.answered)
        # Before the first answer the total is only what is open so far ("0 of 1"):
        # say plainly that nothing is answered yet instead.
        self.progress.setFormat(self.tr("%v of %m answered") if view.answered
                                else self.tr("No answers yet"))
        self.index_model.set_entries(list(view.index))
        row = self.index_model.row_of(screen.fields[0] if screen.fields else screen.key)
        if row < 0:
            row = self.index_model.row_of(screen.key)
        if row >= 0:
            self.index_view.scrollTo(self.index_model.index(row))
        position = screen.position
        if position is not None:
            self._instance = (position.slot_path, position.index)
            self.instance_label.setText(position.heading)
            self.instance_bar.show()
            self.remove_instance.setVisible(not self.read_only)
        else:
            self._instance = None
            self.instance_bar.hide()
        self.previous_button.setEnabled(screen.has_previous)
        last = not screen.has_next
        # On the last screen "Finalise…" is the way on: no "Finish" beside it.
        self.next_button.setText(self.tr("Next →"))
        self.next_button.setVisible(not last)
        self.next_button.setEnabled(not last)
        self.finalise_button.setDefault(last and not self.read_only)
        index = self.language.findData(view.language)
        if index >= 0:
            self.language.setCurrentIndex(index)
        if self._issues_shown and not self.read_only and view.problems is not None:
            self._fill_issues(view.problems)

    def _show_screen(self, view: FormView, screen: ScreenValue) -> None:
        self._shown_key = screen.key
        self._shown_fields = screen.fields
        self._views = []
        body = QWidget()
        body.setObjectName("screenBody")
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 8, 12, 8)
        if screen.kind == "repeat":
            self._build_repeat_panel(screen, body, layout)
        else:
            self._build_questions(view, screen, body, layout)
        layout.addStretch(1)
        old = self.screen_area.takeWidget()
        if old is not None:
            old.deleteLater()
        self.screen_area.setWidget(body)
        self._screen_widget = body
        if self._issues_shown:
            for question_view in self._views:
                question = self._question(view, question_view.path)
                question_view.show_required = True
                if question is not None:
                    question_view.refresh(question)
        self._focus_first()

    def _build_questions(self, view: FormView, screen: ScreenValue, body: QWidget,
                         layout: QVBoxLayout) -> None:
        if screen.kind == "group":
            title = screen.title if screen.position is None else ""
        else:  # one question of a group: name the group (unless the section says it)
            title = screen.group_title if screen.group_title != screen.section_title else ""
        if title:
            heading = QLabel(title, body)
            heading.setObjectName("groupHeading")
            heading.setWordWrap(True)
            font = heading.font()
            font.setPointSizeF(font.pointSizeF() * 1.2)
            font.setBold(True)
            heading.setFont(font)
            layout.addWidget(heading)
        for question in screen.questions:
            layout.addWidget(self._make_view(question, body))

    def _make_view(self, question: QuestionValue, parent: QWidget,
                   label_scale: float = 1.1) -> QuestionView:
        view = QuestionView(question, read_only=self.read_only,
                            label_scale=label_scale, parent=parent)
        view.answer_changed.connect(self._on_view_answer_changed)
        view.committed.connect(self._on_view_committed)
        view.file_chosen.connect(self._on_view_file_chosen)
        self._views.append(view)
        return view

    # --- repeats ------------------------------------------------------------------------
    def _build_repeat_panel(self, screen: ScreenValue, body: QWidget,
                            layout: QVBoxLayout) -> None:
        slot_path = screen.slot_path
        label = screen.title
        self._repeat_label = label
        self.repeat_summary = QLabel(body)
        self.repeat_summary.setObjectName("groupHeading")
        self.repeat_summary.setWordWrap(True)
        font = self.repeat_summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        font.setBold(True)
        self.repeat_summary.setFont(font)
        layout.addWidget(self.repeat_summary)
        self.repeat_list = QVBoxLayout()
        layout.addLayout(self.repeat_list)
        # As ODK Collect does at the end of each one: ask whether there is another.
        self.add_question = QLabel(self.tr("Add another: {0}?").format(label), body)
        self.add_question.setObjectName("questionLabel")
        self.add_question.setWordWrap(True)
        scale_font(self.add_question, 1.1, bold=True)
        self.add_button = QPushButton(self.tr("Yes, add another"), body)
        self.add_button.setObjectName("addRepeat")
        self.add_button.setAccessibleName(self.tr("Add another: {0}").format(label))
        self.add_button.setToolTip(self.tr("Ctrl+Shift+N"))
        self.add_button.clicked.connect(lambda: self.controller.add_repeat(slot_path))
        self.no_more_button = QPushButton(self.tr("No, go on →"), body)
        self.no_more_button.setObjectName("noMoreRepeats")
        self.no_more_button.clicked.connect(self._on_next_clicked)
        answer = QHBoxLayout()
        answer.addWidget(self.add_button)
        answer.addWidget(self.no_more_button)
        answer.addStretch(1)
        for widget in (self.add_question, self.add_button, self.no_more_button):
            widget.setVisible(not self.read_only)
        layout.addWidget(self.add_question)
        layout.addLayout(answer)
        self._repeat_slot = slot_path
        self._refresh_repeat_panel(screen)

    def _refresh_repeat_panel(self, screen: ScreenValue) -> None:
        if screen.kind != "repeat":
            return
        slot_path = screen.slot_path
        self.repeat_summary.setText(
            self.tr("{0}: {1} entered").format(self._repeat_label, len(screen.instances)))
        while self.repeat_list.count():
            item = self.repeat_list.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for instance in screen.instances:
            row = QWidget()
            row_layout = QHBoxLayout(row)
            row_layout.setContentsMargins(0, 0, 0, 0)
            open_button = QPushButton(f"{instance.index}. {instance.name}", row)
            open_button.setFlat(True)
            open_button.setObjectName("repeatInstance")
            open_button.clicked.connect(
                lambda _=False, p=instance.path: self.controller.go_to(p))
            row_layout.addWidget(open_button, 1)
            if not self.read_only:
                remove = QPushButton(self.tr("Remove…"), row)
                remove.clicked.connect(
                    lambda _=False, i=instance.index: self._confirm_remove(slot_path, i))
                row_layout.addWidget(remove)
            self.repeat_list.addWidget(row)

    def _confirm_remove(self, slot_path: str, index: int) -> None:
        if confirm.ask(self, self.tr("Remove"), self.tr(
                "Remove number {0} and its answers? This cannot be undone.").format(index)):
            self.controller.remove_repeat(slot_path, index)

    def _on_remove_instance_clicked(self) -> None:
        if self._instance is not None:
            self._confirm_remove(*self._instance)

    def _on_add_repeat_action_triggered(self) -> None:
        if self.read_only:
            return
        if self._shown_key and self._shown_key.endswith("/*"):
            self.controller.add_repeat(self._shown_key[:-2])
        elif self._instance is not None:
            self.controller.add_repeat(self._instance[0])

    # --- moving -------------------------------------------------------------------------
    def _local_problems(self) -> bool:
        bad = [v for v in self._views if v.isVisibleTo(self) and v.local_problem()]
        if bad:
            bad[0].focus()
        return bool(bad)

    def _on_next_clicked(self) -> None:
        if self._local_problems():
            return
        self.controller.go_next(check=not self.read_only)

    def _on_previous_clicked(self) -> None:
        self.controller.go_previous()

    def _on_view_committed(self, path: str) -> None:
        views = [v for v in self._views if v.takes_focus()]
        paths = [v.path for v in views]
        if path in paths and paths.index(path) + 1 < len(paths):
            views[paths.index(path) + 1].focus()
            return
        self._on_next_clicked()

    def _on_controller_screen_refused(self, issues: tuple[Problem, ...]) -> None:
        paths = {i.path for i in issues}
        for view in self._views:
            if view.path in paths:
                view.show_required = True
        self.refresh()
        first = next((v for v in self._views if v.path in paths), None)
        if first is not None:
            first.focus()

    def _on_controller_end_reached(self) -> None:
        if not self.read_only:
            self._on_finalise_clicked()

    def _on_index_view_activated(self, index: QModelIndex) -> None:
        path = index.data(PathRole)
        if isinstance(path, str):
            self._go_to(path)

    def _on_index_action_triggered(self) -> None:
        self.index_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _go_to(self, path: str) -> None:
        self._focus_path = path
        self.controller.go_to(path)

    def _focus_first(self) -> None:
        # Each with a context object (the view, or the filler): one deleted before the
        # timer fires (the screen changed, the record closed, the profile locked) cancels
        # it, instead of its call touching deleted widgets.
        first = next((v for v in self._views if v.takes_focus()), None)
        if first is not None:
            QTimer.singleShot(0, first, first.focus)  # the view, gone with its screen
        elif self._shown_key and self._shown_key.endswith("/*") and not self.read_only:
            QTimer.singleShot(0, self, self._focus_add_another)
        else:
            # A note-only screen: the button Enter presses holds the (visible) focus.
            QTimer.singleShot(0, self, self._focus_way_on)

    def _focus_add_another(self) -> None:
        if self._shown_key and self._shown_key.endswith("/*"):
            self.add_button.setFocus(Qt.FocusReason.TabFocusReason)

    def _focus_way_on(self) -> None:
        button = self.next_button if self.next_button.isVisible() else self.finalise_button
        if not button.isVisible():
            button = self.edit_button if self.edit_button.isVisible() else self.back_home
        button.setFocus(Qt.FocusReason.TabFocusReason)

    def _focus_question(self, path: str) -> None:
        view = next((v for v in self._views if v.path == path), None)
        if view is not None:
            view.focus()
            self.screen_area.ensureWidgetVisible(view)

    def view_for(self, path: str) -> QuestionView | None:
        """The question on screen now at ``path`` (tests and the interview page use it)."""
        return next((v for v in self._views if v.path == path), None)

    def question_views(self) -> list[QuestionView]:
        return list(self._views)

    # --- answers ------------------------------------------------------------------------
    def _on_view_answer_changed(self, path: str, value: str) -> None:
        self.controller.set_answer(path, value)

    def _on_view_file_chosen(self, path: str, file_path: str) -> None:
        self.controller.attach(path, file_path)

    def _on_language_activated(self, index: int) -> None:
        language = self.language.itemData(index)
        if isinstance(language, str):
            self._shown_key = None  # labels and choices change: rebuild the screen
            self.controller.set_language(language)

    # --- finalising ---------------------------------------------------------------------
    def _on_finalise_clicked(self) -> None:
        """Open the finalise review once the record is read with every problem (on the
        write queue, after the last change)."""
        if self.read_only or self.review_dialog is not None or self._local_problems():
            return
        self.controller.review()

    def _on_controller_review_ready(self, view: FormView) -> None:
        if self.review_dialog is not None:
            return
        dialog = FinaliseDialog(view, interview=isinstance(self, _interview_type()),
                                parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        problems = view.problems or ()
        dialog.jump_requested.connect(lambda path: self._jump_from_review(path, problems))
        dialog.finalise_requested.connect(self._on_finalise_confirmed)
        dialog.finished.connect(self._on_review_dialog_finished)
        self.review_dialog = dialog
        dialog.open()  # window-modal, no nested event loop: autosave keeps running

    def _on_review_dialog_finished(self, _result: int) -> None:
        self.review_dialog = None

    def _on_finalise_confirmed(self, comment: str) -> None:
        self.before_finalise()
        self.controller.finalise(comment)

    def before_finalise(self) -> None:
        """What a page finishes before its record is finalised (interview mode: the
        recording, so it is kept with the record as finalised)."""

    def _jump_from_review(self, path: str, problems: tuple[Problem, ...]) -> None:
        """Go to a question chosen in the review; while problems remain, keep them shown
        (each question's message and the list below) as the interviewer corrects them."""
        if problems:
            self._issues_shown = True
            self.controller.want_problems = True
            self._fill_issues(problems)
            self.issues_panel.show()
        self._go_to(path)

    def _fill_issues(self, issues: tuple[Problem, ...]) -> None:
        self.issues_model.set_entries(list(issues))
        if issues:
            self.issues_title.setText(self.tr(
                "This record cannot be finalised yet. Correct these {0} answer(s) "
                "(click one to go to it):").format(len(issues)))
        else:
            self.issues_title.setText(self.tr(
                "Everything is answered. Choose Finalise again to finish."))
        # Neutral once all is in order: the red style is for problems only.
        self.issues_title.setProperty("state", "blocked" if issues else "ok")
        self.issues_title.style().unpolish(self.issues_title)
        self.issues_title.style().polish(self.issues_title)

    def _on_controller_finalise_refused(self, issues: tuple[Problem, ...]) -> None:
        self._issues_shown = True
        self.controller.want_problems = True  # keep the list in step with each change
        self._fill_issues(issues)
        self.issues_panel.show()
        self.issues_view.setFocus()
        if self.issues_model.rowCount():
            self.issues_view.setCurrentIndex(self.issues_model.index(0))

    def _on_issues_view_activated(self, index: QModelIndex) -> None:
        path = index.data(PathRole)
        if isinstance(path, str):
            self._go_to(path)

    def _on_controller_finalised(self, revision: object) -> None:
        self.finalised.emit(revision)

    # --- messages -----------------------------------------------------------------------
    def _on_controller_save_state_changed(self, state: str) -> None:
        self.saved.set_state(state)

    def _on_controller_error_raised(self, message: str) -> None:
        confirm.tell(self, self.tr("Not saved"), message)


def _interview_type() -> type[QWidget]:
    # Imported late: the interview page builds on this one.
    from ui.pages.interview import InterviewFiller
    return InterviewFiller
