"""Folder sync for the UI and the CLI: which folder to suggest, and one sync with it.

`SyncService.sync` runs `qi_capture.sync.folder.sync_folder` (read the admin's
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
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qi_capture import deployment
from qi_capture.progress import Cancelled, CancelToken, ProgressCallback
from qi_capture.sync.folder import RefusedAck, WrittenBundle, sync_folder
from qi_capture.sync.pack import installed_studies

if TYPE_CHECKING:
    from qi_capture.services.context import CoreContext

log = logging.getLogger(__name__)

__all__ = ["Cancelled", "RefusedAck", "SyncPending", "SyncResult", "SyncService",
           "WrittenBundle"]


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


@dataclass(frozen=True)
class SyncPending:
    """Before a sync: ``ready`` records have something to send; ``stays_on_laptop`` lists
    (study title, finalised records) of studies without a study pack."""

    ready: int
    stays_on_laptop: tuple[tuple[str, int], ...] = ()


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

    def pending(self) -> SyncPending:
        """What the next sync would send, said before it runs: the records with a
        revision not sent yet (of studies with a pack), and the finalised records that
        stay on this laptop because their study has no pack."""
        store = self._ctx.store
        ready: set[object] = set()
        for study in installed_studies(store):
            ready.update(r.record_id for r in store.sync.outgoing(study.study_id))
        local = self._ctx.studies.local_only_form_versions()
        titles = {s.id: s.title for s in self._ctx.studies.list_studies(include_hidden=True)}
        forms = {f.id: f.study_id for f in self._ctx.studies.list_forms(include_hidden=True)}
        waiting: dict[str, int] = {}
        for record in store.records.list_records(status="finalised"):
            if record.form_version_id in local:
                title = titles.get(forms[record.form_version_id], "?")
                waiting[title] = waiting.get(title, 0) + 1
        return SyncPending(len(ready), tuple(sorted(waiting.items())))

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
        path = Path(folder)
        report = sync_folder(self._ctx.store, path, resend_all=send_all, now=now,
                             progress=progress, cancel=cancel)
        result = SyncResult(
            folder=path,
            bundles=report.bundles,
            records_sent=report.records_sent,
            revisions_sent=sum(b.revisions for b in report.bundles),
            acknowledged=report.acknowledged,
            refused_acks=report.refused_acks,
            purged=report.purged,
            not_sendable=report.not_sendable,
        )
        log.info("sync: %d bundle(s), %d record(s) sent, %d acknowledged, %d purged",
                 result.bundles_written, result.records_sent, result.acknowledged,
                 result.purged)
        return result
