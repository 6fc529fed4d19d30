"""The admin side's one door (`AdminDesk`), used by the command line and the console:
the central store opened with the admin keys; merging, devices, records and their
review, conflicts, the audit log. It hands out frozen values only (`dto`)."""

from __future__ import annotations

from qi_capture.services.admin.desk import REVIEW_STATUSES, AdminDesk, needs_passphrase
from qi_capture.sync.errors import enrol_command

__all__ = ["REVIEW_STATUSES", "AdminDesk", "enrol_command", "needs_passphrase"]
