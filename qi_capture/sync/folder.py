"""Folder sync on the interviewer's laptop: ``qi-capture sync --to FOLDER``.

A sync folder (a shared drive, a OneDrive folder, a USB stick) holds::

    outbox/<random>.qibundle   bundles this laptop wrote (any laptop may share the folder)
    inbox/<random>.qiack       acknowledgements the admin wrote (for any device)

One sync, in this order:
1. read every acknowledgement in ``inbox/``, verify it with the admin key of the study
   it names (as installed by the study pack), ignore those for other devices, and mark
   the listed revisions acknowledged (one transaction);
2. per installed study, write one bundle with every revision of this device not sent
   yet (``resend_all``: every one still on the laptop) and their records' paradata
   events not sent yet (``resend_all``: all), encrypted to the study's key and
   the recovery key; only after the file is complete, fsynced and renamed are its
   revisions marked sent (one transaction, with the per-study manifest chain). Nothing
   new: nothing is written. Under a study's bundle size cap the records are split
   into as many bundles as the cap needs, each written and marked sent in turn
   (`qi_capture.sync.split`);
3. purge records whose every revision was acknowledged more than the study's retention
   days ago (never one with an unacknowledged revision).

A missing, read-only or vanished folder or a full disk raise `SyncFolderUnavailable` or
`SyncDiskFull` and nothing is marked sent.
"""

from __future__ import annotations

import errno
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qi_capture import __version__
from qi_capture.crypto.envelope import recipient_fingerprint
from qi_capture.progress import Cancelled, CancelToken, ProgressCallback
from qi_capture.storage.canonical import sha256_hex
from qi_capture.storage.records import REVISION_SCHEMA
from qi_capture.storage.store import Store
from qi_capture.storage.sync_state import OutgoingRevision
from qi_capture.sync.ack import ACK_SUFFIX, INBOX, MAX_ACK_BYTES, parse_acknowledgement, peek_study
from qi_capture.sync.bundle import (
    Opener,
    TarStream,
    bundle_members,
    open_exclusive,
    write_bundle_file,
)
from qi_capture.sync.errors import (
    NoStudyPack,
    SyncDiskFull,
    SyncError,
    SyncFolderUnavailable,
)
from qi_capture.sync.manifest import (
    AttachmentEntry,
    Manifest,
    ParadataEntry,
    ParadataLine,
    RecordEntry,
    paradata_lines,
    signed_message,
)
from qi_capture.sync.pack import InstalledStudy, installed_studies, installed_study
from qi_capture.sync.split import plan

OUTBOX = "outbox"
_CHAIN = "sync.chain."
#: The highest device sequence number a study's last bundle accounted for.
_COVERED = "sync.covered."


@dataclass(frozen=True)
class WrittenBundle:
    path: Path
    study_id: str
    bundle_id: str
    manifest_sha256: str
    revisions: int
    attachments: int


@dataclass(frozen=True)
class RefusedAck:
    file: str
    code: str
    message: str


@dataclass(frozen=True)
class SyncReport:
    bundles: tuple[WrittenBundle, ...] = ()
    acknowledged: int = 0
    refused_acks: tuple[RefusedAck, ...] = ()
    purged: int = 0
    not_sendable: int = field(default=0)
    #: Records (not revisions) whose revisions went into a bundle this time.
    records_sent: int = 0

    @property
    def wrote_anything(self) -> bool:
        return bool(self.bundles)


def _folder_error(folder: Path, exc: OSError) -> SyncError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return SyncDiskFull(str(folder))
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return SyncFolderUnavailable(str(folder), "it is read-only or you may not write to it")
    if exc.errno in (errno.ENOENT, errno.ENODEV, errno.ENXIO, errno.EIO, errno.ESTALE):
        return SyncFolderUnavailable(
            str(folder), "it disappeared while writing (was the USB stick removed?)"
        )
    return SyncFolderUnavailable(str(folder), exc.strerror or str(exc))


def _check_folder(folder: Path) -> None:
    if not folder.exists():
        raise SyncFolderUnavailable(str(folder), "it does not exist (is the drive connected?)")
    if not folder.is_dir():
        raise SyncFolderUnavailable(str(folder), "it is not a folder")


# -- acknowledgements ------------------------------------------------------------------
def read_acknowledgements(
    store: Store, folder: Path, *, now: datetime
) -> tuple[int, list[RefusedAck]]:
    """Apply every valid acknowledgement for this device; returns (newly acknowledged
    revisions, refused files)."""
    inbox = folder / INBOX
    if not inbox.is_dir():
        return 0, []
    device = store.device()
    refused: list[RefusedAck] = []
    wanted: set[str] = set()
    erased: set[uuid.UUID] = set()
    for path in sorted(inbox.glob("*" + ACK_SUFFIX)):
        try:
            if path.stat().st_size > MAX_ACK_BYTES:
                raise SyncError(f"{path.name} is too large to be an acknowledgement")
            data = path.read_bytes()
            study = installed_study(store, peek_study(data))
            if study is None:
                continue  # another study's: not ours to judge
            ack = parse_acknowledgement(data, signing_public_key=study.signing_public_key)
        except SyncError as exc:
            refused.append(RefusedAck(path.name, exc.code, exc.message))
            continue
        except OSError as exc:
            refused.append(RefusedAck(path.name, "ack_unreadable", exc.strerror or str(exc)))
            continue
        if ack.device_id != str(device.id) or ack.device_key_fingerprint != device.fingerprint:
            continue
        wanted.update(ack.revision_ids)
        erased.update(uuid.UUID(r) for r in ack.erasures)
    newly = store.sync.mark_acknowledged(wanted, at=now) if wanted else []
    # Records erased at the centre (or from another laptop): this copy goes too, and its
    # erasure revision confirms it in the next bundle.
    store.erasures.apply_central(erased, now=now)
    return len(newly), refused


# -- bundles ---------------------------------------------------------------------------
def _compose(
    store: Store,
    study: InstalledStudy,
    revisions: list[OutgoingRevision],
    *,
    now: datetime,
    resend_all: bool = True,
) -> tuple[Manifest, dict[str, bytes], dict[str, Callable[[], Iterable[bytes]]]]:
    """The manifest and contents of a bundle of ``revisions``: ``payloads`` maps each
    revision id to its canonical JSON and each paradata member name to its lines (the
    paradata of the revisions' records not sent yet; ``resend_all``: all of it)."""
    device = store.device()
    payloads: dict[str, bytes] = {}
    records: list[RecordEntry] = []
    for rev in revisions:
        data = rev.canonical_json.encode("utf-8")
        payloads[rev.id] = data
        records.append(RecordEntry(str(rev.record_id), rev.id, rev.device_seq, rev.id, len(data)))
    events: dict[uuid.UUID, list[ParadataLine]] = {}
    for event in store.sync.paradata_to_send((rev.record_id for rev in revisions),
                                             include_sent=resend_all):
        events.setdefault(event.record_id, []).append(
            ParadataLine(event.seq, event.kind, str(event.session_id),
                         event.session_started_at, event.elapsed_ms, event.payload_json)
        )
    paradata: list[ParadataEntry] = []
    for record_id in sorted(events, key=str):
        lines = events[record_id]
        data = paradata_lines(lines)
        entry = ParadataEntry(str(record_id), len(lines), lines[0].seq, lines[-1].seq,
                              sha256_hex(data), len(data))
        payloads[entry.member] = data
        paradata.append(entry)
    attachments: list[AttachmentEntry] = []
    readers: dict[str, Callable[[], Iterable[bytes]]] = {}
    for att, source in store.sync.attachment_sources(rev.record_id for rev in revisions):
        attachments.append(AttachmentEntry(str(att.record_id), str(att.id), att.name,
                                           att.media_type, att.sha256, att.size))
        readers[str(att.id)] = source
    previous = store.settings.get(_CHAIN + study.study_id)
    manifest = Manifest(
        bundle_id=str(uuid.uuid4()),
        created=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        study_id=study.study_id,
        device_id=str(device.id),
        device_key_fingerprint=device.fingerprint,
        device_public_key=device.public_key,
        recipients=tuple(sorted(recipient_fingerprint(r) for r in study.recipients)),
        sequence_first=_first_sequence(store, study.study_id, revisions),
        sequence_last=max(r.device_seq for r in revisions),
        previous_manifest_sha256=previous if isinstance(previous, str) else None,
        app_version=__version__,
        schema_version=REVISION_SCHEMA,
        records=tuple(records),
        attachments=tuple(attachments),
        paradata=tuple(paradata),
    )
    return manifest, payloads, readers


def _first_sequence(store: Store, study_id: str, revisions: list[OutgoingRevision]) -> int:
    """Where the bundle's sequence range starts: right after the last one this study's
    previous bundle accounted for (1 for its first bundle), or lower if a revision is.

    The device's sequence numbers are shared by all its studies, while a central store
    sees one study's bundles; a range of exactly the revisions sent would leave the
    numbers used by another study (or by records kept on the laptop before the pack
    came) as false gaps there. Every revision of the study not in an earlier bundle is
    in this one, so the wider range claims nothing untrue."""
    covered = store.settings.get(_COVERED + study_id)
    after = covered + 1 if isinstance(covered, int) and covered >= 0 else 1
    return min(after, min(r.device_seq for r in revisions))


def write_study_bundle(
    store: Store,
    study: InstalledStudy,
    outbox: Path,
    revisions: list[OutgoingRevision],
    *,
    now: datetime,
    opener: Opener = open_exclusive,
    resend_all: bool = False,
) -> WrittenBundle:
    """Write one bundle of ``revisions`` (with their records' paradata not sent yet, or
    all of it with ``resend_all``) into ``outbox`` and mark them sent."""
    manifest, payloads, readers = _compose(store, study, revisions, now=now,
                                           resend_all=resend_all)
    manifest_bytes = manifest.to_bytes()
    signature = store.sign(signed_message(manifest_bytes))
    # Attachment files are AEAD-sealed: reading one authenticates it.
    stream = TarStream(bundle_members(manifest, signature, payloads, readers,
                                      attachments_authenticated=True))
    path = write_bundle_file(outbox, stream, study.recipients, opener=opener)
    sha = manifest.sha256()
    store.sync.mark_sent(manifest.bundle_id, [r.revision_id for r in manifest.records],
                         at=now, settings={_CHAIN + study.study_id: sha,
                                           _COVERED + study.study_id: max(
                                               manifest.sequence_last,
                                               _covered(store, study.study_id))},
                         paradata={uuid.UUID(p.submission_id): p.last_seq
                                   for p in manifest.paradata})
    return WrittenBundle(path, study.study_id, manifest.bundle_id, sha, len(manifest.records),
                         len(manifest.attachments))


def _covered(store: Store, study_id: str) -> int:
    covered = store.settings.get(_COVERED + study_id)
    return covered if isinstance(covered, int) else 0


def sync_folder(
    store: Store,
    folder: Path,
    *,
    resend_all: bool = False,
    now: datetime | None = None,
    opener: Opener = open_exclusive,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> SyncReport:
    """One sync with ``folder`` (see the module docstring).

    ``progress`` hears of each step; ``cancel`` is honoured between bundles (raising
    `Cancelled`): a bundle is marked sent only once its file is complete, so stopping
    never leaves a record marked sent without its bundle.
    """
    moment = now or datetime.now(UTC)

    def step(done: int, total: int, text: str) -> None:
        if progress is not None:
            progress(done, total, text)

    _check_folder(folder)
    studies = installed_studies(store)
    if not studies:
        raise NoStudyPack()
    total = len(studies) + 2
    step(0, total, "acknowledgements")
    try:
        acknowledged, refused = read_acknowledgements(store, folder, now=moment)
    except OSError as exc:
        raise _folder_error(folder, exc) from exc
    written: list[WrittenBundle] = []
    records: set[str] = set()
    outbox = folder / OUTBOX
    for i, study in enumerate(studies, start=1):
        if cancel is not None and cancel.is_cancelled():
            raise Cancelled()
        step(i, total, study.study_title)
        revisions = store.sync.outgoing(study.study_id, include_sent=resend_all)
        if not revisions:
            continue
        cap = study.policy.max_bundle_bytes
        groups = (plan(store, revisions, cap, resend_all=resend_all) if cap
                  else [revisions])
        try:
            outbox.mkdir(exist_ok=True)
            for n, group in enumerate(groups):
                if n and cancel is not None and cancel.is_cancelled():
                    raise Cancelled()
                written.append(
                    write_study_bundle(store, study, outbox, group, now=moment,
                                       opener=opener, resend_all=resend_all)
                )
        except OSError as exc:
            raise _folder_error(folder, exc) from exc
        records.update(str(r.record_id) for r in revisions)
    step(total - 1, total, "purge")
    purged = 0
    for study in studies:
        before = moment - timedelta(days=study.policy.retention_days)
        purged += len(store.sync.purge_acknowledged(study.study_id, acknowledged_before=before))
    sendable = {s.study_id for s in studies}
    unsent = sum(
        1
        for form in store.catalog.list_form_versions()
        if form.study_id not in sendable
        for record in store.records.list_records(form_version_id=form.id)
        if record.status == "finalised"
    )
    step(total, total, "done")
    return SyncReport(tuple(written), acknowledged, tuple(refused), purged, unsent,
                      records_sent=len(records))
