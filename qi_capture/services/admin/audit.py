"""The audit log as a CSV file the admin can keep or hand on (the console's export).

Written to a temporary name beside the target, fsynced, then renamed over it
(`qi_capture.crypto.atomic`): a crash or a full disk never leaves half a log where a
whole one was expected. The log holds ids, counts and actions, never answers.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path

from qi_capture.central.dto import AuditEntry
from qi_capture.crypto.atomic import atomic_write_bytes

AUDIT_CSV_COLUMNS = ("id", "time", "actor", "action", "details")


def audit_details(entry: AuditEntry) -> str:
    """An entry's parameters as one line of canonical-looking JSON (sorted keys)."""
    return json.dumps(entry.params, sort_keys=True, ensure_ascii=False, default=str)


def write_audit_csv(entries: Iterable[AuditEntry], path: Path) -> int:
    """Write ``entries`` (oldest first, as given) to ``path``; returns how many."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_CSV_COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow([entry.id, entry.at.isoformat(), _safe(entry.actor), _safe(entry.action),
                         _safe(audit_details(entry))])
        count += 1
    # UTF-8 with a byte-order mark: Excel then reads names with accents correctly.
    atomic_write_bytes(path, buffer.getvalue().encode("utf-8-sig"))
    return count


def _safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is written as text (a leading ')."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
