"""The devices table: one row per laptop the central store has met, from the admin
door's `DeviceSummary` values (never a row of the store)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from PySide6.QtCore import (
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from qi_capture.services.admin.dto import DeviceSummary
from ui.admin.models.rows import RowsModel

_Index = QModelIndex | QPersistentModelIndex

#: The row's DeviceSummary.
DEVICE_ROLE = Qt.ItemDataRole.UserRole
#: The value a column sorts by.
SORT_ROLE = Qt.ItemDataRole.UserRole + 1

COLUMNS = ("name", "interviewer", "fingerprint", "status", "last_bundle", "last_seq", "gaps",
           "clones", "waiting")


def _tr(text: str) -> str:
    return QCoreApplication.translate("DevicesModel", text)


def status_text(status: str) -> str:
    return {
        "enrolled": _tr("Enrolled"),
        "revoked": _tr("Revoked"),
        "unknown": _tr("Not enrolled"),
        "central": _tr("This central store"),
    }.get(status, status)


def gaps_text(device: DeviceSummary) -> str:
    gaps = device.gaps
    parts = [str(r.first) if r.first == r.last else f"{r.first}–{r.last}"
             for r in gaps.missing_seqs]
    if gaps.missing_manifests:
        parts.append(_tr("{0} bundle(s) named but not merged").format(
            len(gaps.missing_manifests)))
    return ", ".join(parts)


class DevicesModel(RowsModel[DeviceSummary]):
    def __init__(self, parent: QObject | None = None) -> None:
        # Two-line headers over short numbers: the columns stay as narrow as what they
        # show, so every column fits at 1366 pixels wide with large text too.
        super().__init__((_tr("Name"), _tr("Interviewer"), _tr("Fingerprint"), _tr("Status"),
                          _tr("Last\nbundle"), _tr("Last\nsequence"), _tr("Gaps"),
                          _tr("Clone\nalerts"), _tr("Waiting\nbundles")), parent)

    def set_devices(self, devices: Sequence[DeviceSummary]) -> None:
        self._reset(devices)

    def device(self, row: int) -> DeviceSummary:
        return self._rows[row]

    def row_of(self, device_id: uuid.UUID) -> int:
        for row, device in enumerate(self._rows):
            if device.id == device_id:
                return row
        return -1

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        device = self._row_at(index)
        if device is None:
            return None
        column = COLUMNS[index.column()]
        if role == DEVICE_ROLE:
            return device
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(device, column)
        if role == SORT_ROLE:
            if column in ("last_seq", "clones", "waiting"):
                return {"last_seq": device.device.last_seq,
                        "clones": len(device.clone_alerts),
                        "waiting": device.device.quarantined}[column]
            return self._display(device, column).casefold()
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == "fingerprint":
                return device.fingerprint_grouped or ""
            if column == "name":
                return str(device.id)
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("last_seq", "clones",
                                                                    "waiting"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, device: DeviceSummary, column: str) -> str:
        d = device.device
        if column == "name":
            return d.name or _tr("(no name) {0}").format(device.short_id)
        if column == "interviewer":
            return ", ".join(device.interviewers)
        if column == "fingerprint":
            # The first group tells a study's devices apart in the list; the whole one,
            # grouped as the laptop shows it, is in the tooltip, the detail and the enrol
            # dialog.
            groups = (device.fingerprint_grouped or "").partition(": ")[2].split()
            return " ".join(groups[:1]) + (" …" if len(groups) > 1 else "")
        if column == "status":
            return status_text(d.status)
        if column == "last_bundle":
            return "" if device.last_bundle is None else device.last_bundle[0][:8]
        if column == "last_seq":
            return str(d.last_seq) if d.last_seq else ""
        if column == "gaps":
            return gaps_text(device)
        if column == "clones":
            return str(len(device.clone_alerts)) if device.clone_alerts else ""
        if column == "waiting":
            return str(d.quarantined) if d.quarantined else ""
        return ""


class DevicesFilter(QSortFilterProxyModel):
    """Sorts by each column's value; filters on the name, interviewer, id, status."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._text = ""

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._text = text.strip().casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: _Index) -> bool:
        if not self._text:
            return True
        model = self.sourceModel()
        assert isinstance(model, DevicesModel)
        device = model.device(source_row)
        haystack = " ".join([device.device.name, " ".join(device.interviewers),
                             device.id.hex, str(device.id), status_text(device.device.status),
                             device.device.fingerprint or ""]).casefold()
        return self._text in haystack
