"""Folder sync for the UI and the CLI: which folder to suggest, and one sync with it.

`SyncService.sync` runs the steps `qi_capture.sync.folder` describes (read the admin's
acknowledgements, write one bundle per installed study with what was not sent yet,
purge acknowledged records past retention), reporting progress between steps and
honouring a cancel token between bundles: a bundle is only marked sent once its file
is complete, so cancelling never leaves a record marked sent without its bundle.

A missing, read-only or vanished folder or a full disk raise `SyncFolderUnavailable` or
`SyncDiskFull` (codes ``sync_folder_unavailable``, ``sync_disk_full``) and nothing is
marked sent; no installed study pack raises `NoStudyPack`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from qi_capture import deployment
from qi_capture.progress import Cancelled, CancelToken, ProgressCallback
from qi_capture.sync.errors import NoStudyPack
from qi_capture.sync.folder import (
    OUTBOX,
    RefusedAck,
    WrittenBundle,
    read_acknowledgements,
    write_study_bundle,
)
from qi_capture.sync.folder import _check_folder as check_folder
from qi_capture.sync.folder import _folder_error as folder_error
from qi_capture.sync.pack import installed_studies

if TYPE_CHECKING:
    from qi_capture.services.context import CoreContext

log = logging.getLogger(__name__)

__all__ = ["Cancelled", "RefusedAck", "SyncResult", "SyncService", "WrittenBundle"]


@dataclass(frozen=True)
class SyncResult:
    """What one sync did. ``records_sent`` counts records (not revisions) whose
    revisions went into a bundle this time."""

    folder: Path
    bundles: tuple[WrittenBundle, ...] = ()
    records_sent: int = 0
    revisions_sent: int = 0
    acknowledged: int = 0
    refused_acks: tuple[RefusedAck, ...] = ()
    purged: int = 0
    #: Finalised records of studies without a study pack (they cannot be sent).
    not_sendable: int = 0

    @property
    def bundles_written(self) -> int:
        return len(self.bundles)


class SyncService:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx

    def suggested_folder(self) -> Path | None:
        """The sync folder to offer: the installed study pack's (when the packs agree on
        one), else deployment.json's ``sync_folder``, else None. An unusable deployment
        file is logged and ignored here (the self-test reports it)."""
        suggested = {s.policy.sync_folder for s in installed_studies(self._ctx.store)} - {None}
        if len(suggested) == 1:
            return Path(str(suggested.pop()))
        try:
            settings = deployment.load()
        except deployment.DeploymentInvalid as exc:
            log.warning("deployment settings ignored: %s", exc.code)
            return None
        return settings.sync_folder

    def has_study_pack(self) -> bool:
        return bool(installed_studies(self._ctx.store))

    def sync(
        self,
        folder: str | Path,
        send_all: bool = False,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        *,
        now: datetime | None = None,
    ) -> SyncResult:
        """One sync with ``folder``; ``send_all`` sends every revision still on the laptop
        again, not only new ones. Raises `Cancelled` (between bundles) when ``cancel`` is
        set; bundles written before that stay written and marked sent."""
        store = self._ctx.store
        path = Path(folder)
        moment = now or datetime.now(UTC)

        def step(done: int, total: int, text: str) -> None:
            if progress is not None:
                progress(done, total, text)

        def check_cancel() -> None:
            if cancel is not None and cancel.is_cancelled():
                raise Cancelled()

        check_folder(path)
        studies = installed_studies(store)
        if not studies:
            raise NoStudyPack()
        total = len(studies) + 2
        step(0, total, "acknowledgements")
        try:
            acknowledged, refused = read_acknowledgements(store, path, now=moment)
        except OSError as exc:
            raise folder_error(path, exc) from exc
        written: list[WrittenBundle] = []
        records: set[str] = set()
        outbox = path / OUTBOX
        for i, study in enumerate(studies, start=1):
            check_cancel()
            step(i, total, study.study_title)
            revisions = store.sync.outgoing(study.study_id, include_sent=send_all)
            if not revisions:
                continue
            try:
                outbox.mkdir(exist_ok=True)
                written.append(write_study_bundle(store, study, outbox, revisions, now=moment))
            except OSError as exc:
                raise folder_error(path, exc) from exc
            records.update(str(r.record_id) for r in revisions)
        step(total - 1, total, "purge")
        purged = 0
        for study in studies:
            before = moment - timedelta(days=study.policy.retention_days)
            purged += len(store.sync.purge_acknowledged(study.study_id,
                                                        acknowledged_before=before))
        sendable = {s.study_id for s in studies}
        unsent = sum(
            1
            for form in store.catalog.list_form_versions()
            if form.study_id not in sendable
            for record in store.records.list_records(form_version_id=form.id)
            if record.status == "finalised"
        )
        step(total, total, "done")
        result = SyncResult(
            folder=path,
            bundles=tuple(written),
            records_sent=len(records),
            revisions_sent=sum(b.revisions for b in written),
            acknowledged=acknowledged,
            refused_acks=tuple(refused),
            purged=purged,
            not_sendable=unsent,
        )
        log.info("sync: %d bundle(s), %d record(s) sent, %d acknowledged, %d purged",
                 result.bundles_written, result.records_sent, acknowledged, purged)
        return result
