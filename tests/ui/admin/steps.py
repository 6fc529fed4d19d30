"""Steps the admin console tests share: the pages, the inbox listing, a merge awaited,
an enrolment through the real confirmation dialog."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from qi_capture.progress import SimpleCancelToken
from ui.admin.console import AdminConsole
from ui.admin.pages.devices import DevicesPage
from ui.admin.pages.inbox import InboxPage


def inbox_of(console: AdminConsole) -> InboxPage:
    page = console.page("inbox")
    assert isinstance(page, InboxPage)
    return page


def devices_of(console: AdminConsole) -> DevicesPage:
    page = console.page("devices")
    assert isinstance(page, DevicesPage)
    return page


def states(page: InboxPage) -> list[str]:
    top = page.tree.topLevelItem(0)
    assert top is not None
    return [top.child(i).text(4) for i in range(top.childCount())]


def scanned(qtbot: QtBot, page: InboxPage, bundles: int) -> None:
    qtbot.waitUntil(lambda: page.tree.topLevelItemCount() == 1
                    and page.tree.topLevelItem(0).childCount() == bundles  # type: ignore[union-attr]
                    and page.merge_button.isEnabled(), timeout=10_000)


def merge(qtbot: QtBot, page: InboxPage, token: SimpleCancelToken | None = None) -> list[str]:
    page.last_result = None
    page.merge(token)
    qtbot.waitUntil(lambda: page.last_result is not None and page.merge_button.isEnabled(),
                    timeout=20_000)
    return [page.results.item(i).text() for i in range(page.results.count())]


def enrol_on_page(qtbot: QtBot, console: AdminConsole, name: str) -> DevicesPage:
    console.show_page("devices")
    page = devices_of(console)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1 and page.enrol_button.isEnabled(),
                    timeout=10_000)
    page.enrol_button.click()
    dialog = page.enrol_dialog
    assert dialog is not None and dialog.isVisible()
    assert not dialog.enrol_button.isEnabled()  # not before the fingerprint is confirmed
    dialog.matches.setChecked(True)
    dialog.name.setText(name)
    page.last_enrolment = None
    dialog.enrol_button.click()
    qtbot.waitUntil(lambda: page.last_enrolment is not None, timeout=20_000)
    return page
