"""After a merge or an enrolment that imported records: the export-ready copies brought
up to date on the console's write queue (`AdminDesk.keep_export_copies_current`), as
``qi-capture merge`` does, so that the next export reads them as they are. Exports run
on the same queue, so one asked for meanwhile waits for it rather than patch the same
copies beside it."""

from __future__ import annotations

import logging

from qi_capture.services.admin import AdminDesk
from ui.tasks import Task, TaskRunner

log = logging.getLogger(__name__)


def keep_copies_current(runner: TaskRunner, desk: AdminDesk) -> Task:
    """Queue it (one waiting at a time: a second request replaces the first)."""
    task = runner.write(desk.keep_export_copies_current, coalesce="export-copies")
    # Only a shortcut: on failure the next export brings the copies up to date itself.
    task.failed.connect(lambda error: log.warning(
        "the export-ready copies were not brought up to date: %s", type(error).__name__))
    return task
