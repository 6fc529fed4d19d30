"""The admin console's words for the admin door's values: sizes, times, a merge's
outcome bundle by bundle, audit actions. One place, so every page says the same thing
the same way (and translators find it)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication

from qi_capture.services.admin.dto import BundleReport, MergeResult, short_id


def _tr(text: str) -> str:
    return QCoreApplication.translate("admin", text)


def file_size(size: int) -> str:
    if size < 1024:
        return _tr("{0} bytes").format(size)
    if size < 1024 * 1024:
        return _tr("{0:.0f} KB").format(size / 1024)
    return _tr("{0:.1f} MB").format(size / (1024 * 1024))


def local_time(at: datetime | None) -> str:
    """A stored time (UTC) as the admin's clock shows it, to the second."""
    if at is None:
        return ""
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def fingerprint_lines(grouped: str) -> str:
    """``ed25519: f80735f4 d42b8dc2 …`` as the laptop's About box shows it: the kind,
    then the groups four to a line, so two people can read them out and compare."""
    kind, _, groups = grouped.partition(": ")
    if not groups:
        return grouped
    parts = groups.split()
    lines = [" ".join(parts[i:i + 4]) for i in range(0, len(parts), 4)]
    return "\n".join([kind + ":", *lines])


def _device(report: BundleReport, names: Mapping[str, str]) -> str:
    name = names.get(report.source or "")
    if name:
        return name
    return short_id(report.device_id) if report.device_id is not None else _tr("a device")


def report_line(report: BundleReport, names: Mapping[str, str]) -> str:
    """One bundle's outcome in plain words."""
    file = Path(report.source).name if report.source else _tr("a bundle")
    device = _device(report, names)
    if report.outcome == "imported":
        text = _tr("{0}: imported from {1}: {2} new revision(s), {3} record(s)").format(
            file, device, report.new_revisions, report.records_touched)
        if report.conflicts_opened:
            text += _tr("; {0} conflict(s) to decide").format(len(report.conflicts_opened))
        return text
    if report.outcome == "already_imported":
        return _tr("{0}: already imported, nothing new").format(file)
    if report.outcome == "quarantined":
        return _tr("{0}: quarantined, waiting for enrolment of device {1}. Check its "
                   "fingerprint with the interviewer, then enrol it on the Devices "
                   "page.").format(file, device)
    return _tr("{0}: refused: {1}").format(file, report.message or report.reason or "")


def merge_lines(result: MergeResult, names: Mapping[str, str]) -> list[str]:
    """A merge's outcome: a summary line first, then one line per bundle, then gaps
    and clone alerts per device."""
    imported = result.count("imported")
    already = result.count("already_imported")
    quarantined = result.quarantined
    refused = result.refused
    if not result.reports:
        summary = _tr("No bundles were found in the inbox folders.")
    elif imported == 0 and quarantined == 0 and refused == 0:
        summary = _tr("Nothing new: all {0} bundle(s) were already imported.").format(already)
    else:
        summary = _tr("Merged {0} bundle(s): {1} imported, {2} already imported, {3} "
                      "quarantined, {4} refused.").format(
            len(result.reports), imported, already, quarantined, refused)
    if result.cancelled:
        summary = _tr("Stopped after {0} bundle(s); the rest are left for the next merge. "
                      ).format(len(result.reports)) + summary
    lines = [summary]
    lines += [report_line(r, names) for r in result.reports]
    for gaps in result.gaps:
        if gaps.missing_seqs:
            ranges = ", ".join(str(r.first) if r.first == r.last else f"{r.first}–{r.last}"
                               for r in gaps.missing_seqs)
            lines.append(_tr("Device {0}: sequence number(s) {1} have not arrived yet (a "
                             "bundle still on the laptop or another stick?)").format(
                short_id(gaps.device_id), ranges))
    for alert in result.clones:
        lines.append(_tr("Device {0}: sequence number {1} was used twice. The laptop may "
                         "have been copied; check with the interviewer.").format(
            short_id(alert.device_id), alert.device_seq))
    return lines


#: Audit actions in plain words (an unknown one shows as it is stored).
AUDIT_ACTIONS = {
    "merge_bundle": "Bundle merged",
    "quarantine_bundle": "Bundle quarantined",
    "enrol_device": "Device enrolled",
    "revoke_device": "Device revoked",
    "rename_device": "Device renamed",
    "review": "Review status set",
    "resolve_conflict": "Conflict resolved",
    "export": "Records exported",
}


def audit_action(action: str) -> str:
    text = AUDIT_ACTIONS.get(action)
    return _tr(text) if text is not None else action


_PARAM_WORDS = {
    "device_id": "device", "bundle_id": "bundle", "file_sha256": "file",
    "manifest_hash": "manifest", "record_id": "record", "conflict_id": "conflict",
    "fingerprint": "fingerprint", "new_revisions": "new revisions",
    "known_revisions": "known revisions", "records_touched": "records",
    "conflicts_opened": "conflicts opened", "clone_alerts": "clone alerts",
    "form_id": "form", "format": "format", "included": "records exported",
    "status": "status", "source": "from",
}
_LONG_IDS = {"device_id", "bundle_id", "file_sha256", "manifest_hash", "record_id",
             "conflict_id"}


def audit_summary(params: object) -> str:
    """An entry's parameters in a line a person reads: known names in words, long ids
    cut to their first eight digits (the CSV and the tooltip keep them whole)."""
    if not isinstance(params, dict):
        return "" if params is None else str(params)
    parts = []
    for key, value in params.items():
        if value is None or value == [] or value == "":
            continue
        if key in ("clone_alerts", "conflicts_opened", "known_revisions") and value == 0:
            continue  # the usual case: saying "0" on every merge is noise
        word = _tr(_PARAM_WORDS.get(key, key.replace("_", " ")))
        if key == "fingerprint" and isinstance(value, str):
            text = value.partition(":")[2][:8] or value[:8]
        elif key in _LONG_IDS and isinstance(value, str):
            text = value.replace("-", "")[:8]
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value)
        else:
            text = str(value)
        parts.append(f"{word} {text}")
    return " · ".join(parts)
