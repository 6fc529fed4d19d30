"""Merging bundles into the central store: what ``qi-capture merge`` and (next) the
admin console run, with progress and cancellation between bundles.

For each ``*.qibundle`` (`find_bundles`: files named, folders searched one level deep):

1. a file merged before (same bytes) is reported "already imported" without decrypting;
2. `qi_capture.sync.bundle.verify_bundle` decrypts and checks it against the study's
   keys and the devices of the registry (`qi_capture.services.device_registry`);
   a bundle from a device nobody enrolled is *quarantined* (`quarantine_folder`: copied
   as it came, encrypted, as a stream into the admin profile's quarantine folder, within
   the study policy's limits, and listed in the central store) until ``qi-capture
   devices enrol`` merges it (`merge_quarantined`); every other refusal is reported with
   its code and message, and nothing is written;
3. the verified content becomes a `VerifiedBundle` and `CentralStore.merge` applies it in
   one transaction.

Then, per device: gaps in its sequence or manifest chain, clone alerts; and per sync
folder and device one signed acknowledgement in ``<folder>/inbox/`` listing every
revision the central store holds from that device.

The sync reader and the central store do not know each other (layers); this module is
where a verified bundle becomes the central store's `VerifiedBundle`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import secrets
import stat
import tempfile
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from qi_capture.central.bundle import (
    BundleAttachment,
    BundleParadata,
    BundleRevision,
    VerifiedBundle,
)
from qi_capture.central.dto import BundleReport, CloneAlert, DeviceGaps
from qi_capture.central.errors import BundleRefused as MergeRefused
from qi_capture.central.errors import DeviceUnknown
from qi_capture.central.merge import Enrolment
from qi_capture.central.quarantine import QUARANTINE_DIR, QuarantineFolder
from qi_capture.central.store import CentralStore
from qi_capture.crypto import chunked
from qi_capture.crypto.atomic import atomic_write_bytes, fsync_dir
from qi_capture.progress import CancelToken, ProgressCallback
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.errors import AcknowledgementUnwritable, BundleSourceMissing
from qi_capture.sync.ack import (
    ACK_SUFFIX,
    INBOX,
    MAX_ACK_BYTES,
    make_acknowledgement,
    parse_acknowledgement,
)
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.bundle import (
    BUNDLE_SUFFIX,
    MAX_BUNDLE_BYTES,
    BundleSummary,
    KnownDevice,
    verify_bundle,
)
from qi_capture.sync.errors import (
    BundleNotAFile,
    BundleRefused,
    BundleTooLarge,
    BundleUnknownDevice,
    SyncError,
    enrol_command,
)
from qi_capture.sync.folder import OUTBOX
from qi_capture.sync.manifest import (
    AttachmentEntry,
    Manifest,
    ParadataEntry,
    ParadataLine,
    RecordEntry,
)
from qi_capture.sync.pack import admin_policy
from qi_capture.sync.schemas.revision import Revision


def known_devices(central: CentralStore, admin: AdminProfile | None) -> dict[str, KnownDevice]:
    """Fingerprint -> device, from the registry (`DeviceRegistry.known`; an old admin
    profile's list of keys is moved into it first)."""
    return DeviceRegistry(central, admin).known()


# -- reading bundles into VerifiedBundle ------------------------------------------------
class _Collector:
    """A `BundleSink` keeping what streams past; used only once verify_bundle returns."""

    def __init__(self) -> None:
        self.revisions: list[BundleRevision] = []
        self._spool = _Spool()
        self._attachments: list[BundleAttachment] = []
        self.events: list[BundleParadata] = []

    def manifest(self, manifest: Manifest) -> None:
        return None

    def revision(self, entry: RecordEntry, canonical: bytes) -> None:
        self.revisions.append(BundleRevision(entry.revision_id, canonical.decode("utf-8")))

    def revision_decoded(self, entry: RecordEntry, canonical: bytes, document: Revision) -> None:
        self.revisions.append(
            # verify_bundle checked the SHA-256 of these bytes against the revision id.
            BundleRevision(entry.revision_id, canonical.decode("utf-8"), document,
                           id_checked=True)
        )

    def paradata(self, entry: ParadataEntry, events: Sequence[ParadataLine]) -> None:
        record_id = uuid.UUID(entry.submission_id)
        self.events.extend(
            BundleParadata(
                record_id=record_id,
                seq=e.seq,
                kind=e.kind,
                session_id=uuid.UUID(e.session_id),
                session_started_at=e.session_started_at,
                elapsed_ms=e.elapsed_ms,
                payload_json=e.payload_json,
            )
            for e in events
        )

    def attachment(self, entry: AttachmentEntry) -> Callable[[bytes], object]:
        source = self._spool.add(uuid.UUID(entry.attachment_id))
        self._attachments.append(BundleAttachment(
            id=uuid.UUID(entry.attachment_id),
            record_id=uuid.UUID(entry.submission_id),
            name=entry.name,
            media_type=entry.media_type,
            sha256=entry.sha256,
            size=entry.size,
            pieces=source.pieces,
        ))
        return source.write

    def attachments(self) -> tuple[BundleAttachment, ...]:
        self._spool.seal()
        return tuple(self._attachments)

    def close(self) -> None:
        self._spool.close()

    def __enter__(self) -> _Collector:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class _Spooled:
    """One attachment in the spool: pushed in (``write``), sealed, then read back
    (``pieces``) as often as needed."""

    def __init__(self, path: Path, attachment_id: uuid.UUID) -> None:
        self._path, self._aad = path, attachment_id.bytes
        self._key = chunked.new_key()  # one file per key: the nonces restart per file
        self._file: BinaryIO | None = path.open("xb")
        self._writer: chunked.ChunkedWriter | None = chunked.ChunkedWriter(
            self._file, self._key, self._aad)
        self.size = 0

    def write(self, piece: bytes) -> None:
        assert self._writer is not None
        self._writer.write(piece)

    def seal(self) -> None:
        if self._writer is not None and self._file is not None:
            self.size = self._writer.close()
            self._file.close()
            self._writer = self._file = None

    def abandon(self) -> None:
        if self._file is not None:
            self._file.close()
            self._writer = self._file = None

    def pieces(self) -> Iterator[bytes]:
        return chunked.decrypt_from(self._path, self._key, self._aad,
                                    expected_size=self.size)


class _Spool:
    """Where a bundle's attachments wait between verification and the merge's
    transaction: each in its own file in a private temporary folder, sealed with
    AES-256-GCM under a key that exists only in memory (so nothing on disk is readable,
    as for every other file we write), and removed once the merge is over. Memory stays
    at a chunk whatever the attachments' size."""

    def __init__(self) -> None:
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._items: list[_Spooled] = []

    def add(self, attachment_id: uuid.UUID) -> _Spooled:
        if self._items:
            self._items[-1].seal()  # one file open at a time
        if self._folder is None:
            self._folder = tempfile.TemporaryDirectory(prefix="qi-merge-")
        item = _Spooled(Path(self._folder.name) / f"{len(self._items)}.qispool", attachment_id)
        self._items.append(item)
        return item

    def seal(self) -> None:
        for item in self._items:
            item.seal()

    def close(self) -> None:
        for item in self._items:
            item.abandon()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None


def to_verified(summary: BundleSummary, collected: _Collector, file_sha256: str) -> VerifiedBundle:
    m = summary.manifest
    return VerifiedBundle(
        bundle_id=m.bundle_id,
        manifest_hash=summary.manifest_sha256,
        study_id=m.study_id,
        device_id=uuid.UUID(m.device_id),
        device_fingerprint=m.device_key_fingerprint,
        seq_first=m.sequence_first,
        seq_last=m.sequence_last,
        prev_manifest_hash=m.previous_manifest_sha256,
        revisions=tuple(collected.revisions),
        attachments=collected.attachments(),
        paradata=tuple(collected.events),
        file_sha256=file_sha256,
    )


def find_bundles(paths: Sequence[str]) -> list[Path]:
    """Bundle files named, or found in the folders named and their ``outbox/``."""
    found: list[Path] = []
    seen: set[Path] = set()  # an outbox linked to its own folder lists each file once

    def add(path: Path) -> None:
        try:
            real = path.resolve()
        except (OSError, RuntimeError):  # a link loop: is_file() said no already
            return
        if real not in seen:
            seen.add(real)
            found.append(path)

    for text in paths:
        path = Path(text)
        if path.is_dir():
            for folder in (path, path / OUTBOX):
                if folder.is_dir():
                    for p in sorted(folder.iterdir()):
                        if p.name.endswith(BUNDLE_SUFFIX) and p.is_file():
                            add(p)
        elif path.is_file():
            add(path)
        else:
            raise BundleSourceMissing(text)
    return found


def sync_folder_of(bundle: Path) -> Path:
    """Laptops write bundles to ``<sync folder>/outbox/`` and read ``<sync folder>/inbox/``."""
    return bundle.parent.parent if bundle.parent.name == OUTBOX else bundle.parent


@dataclass
class MergeRun:
    reports: list[BundleReport] = field(default_factory=list)
    #: (sync folder, device id) -> (bundle id, manifest hash) pairs to acknowledge.
    acks: dict[tuple[Path, uuid.UUID], list[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    ack_files: list[tuple[uuid.UUID, Path]] = field(default_factory=list)
    gaps: list[DeviceGaps] = field(default_factory=list)
    clones: list[CloneAlert] = field(default_factory=list)
    #: Stopped by the cancel token before every file was merged.
    cancelled: bool = False

    @property
    def refused(self) -> int:
        return sum(1 for r in self.reports if r.outcome == "refused")


def merge_bytes(
    central: CentralStore,
    admin: AdminProfile,
    data: bytes,
    *,
    source: str,
    devices: dict[str, KnownDevice] | None = None,
) -> BundleReport:
    """Verify and merge one bundle's bytes; quarantine it if its device is unknown."""
    file_sha256 = hashlib.sha256(data).hexdigest()
    known = _known_file(central, file_sha256, source)
    if known is not None:
        return known
    return _verify_and_merge(central, admin, io.BytesIO(data), file_sha256=file_sha256,
                             source=source, devices=devices,
                             reopen=lambda: contextlib.nullcontext(io.BytesIO(data)),
                             size=len(data))


def merge_file(
    central: CentralStore,
    admin: AdminProfile,
    path: Path,
    *,
    devices: dict[str, KnownDevice] | None = None,
) -> BundleReport:
    """Verify and merge one bundle file, read as a stream (never whole in memory; a
    quarantined one is copied as a stream too). The file is hashed first (a file
    merged before is "already imported" without decrypting) and again as it is
    verified (or copied into quarantine): if the two differ, the file changed under the
    merge and is refused."""
    source = str(path)
    try:
        with open_bundle_file(path) as f:
            size = os.fstat(f.fileno()).st_size
            file_sha256 = hashlib.file_digest(f, "sha256").hexdigest()
        known = _known_file(central, file_sha256, source)
        if known is not None:
            return known
        with open_bundle_file(path) as f:
            reader = _HashingReader(f)
            return _verify_and_merge(
                central, admin, reader, file_sha256=file_sha256, source=source,
                devices=devices, reopen=lambda: open_bundle_file(path), size=size,
                unchanged=lambda: reader.hexdigest() == file_sha256,
            )
    except BundleRefused as exc:
        return BundleReport(outcome="refused", source=source, reason=exc.code,
                            message=exc.message)
    except OSError as exc:
        return BundleReport(outcome="refused", source=source, reason="unreadable",
                            message=str(exc.strerror or exc))


def open_bundle_file(path: Path) -> io.BufferedReader:
    """Open a bundle file as the merge and the inbox read it. A sync folder is often
    writable by others, so whatever took a bundle's name is checked before a byte is
    read: a pipe or device is refused without blocking on it (``O_NONBLOCK``), and a
    file over `MAX_BUNDLE_BYTES` before it is hashed (a sparse file of terabytes costs
    nothing to make and hours to read)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BundleNotAFile()
        if info.st_size > MAX_BUNDLE_BYTES:
            raise BundleTooLarge(info.st_size, MAX_BUNDLE_BYTES)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _known_file(central: CentralStore, file_sha256: str, source: str) -> BundleReport | None:
    """"Already imported" for a file merged before (the same bytes), without decrypting."""
    manifest_hash = central.file_known(file_sha256)
    if manifest_hash is None:
        return None
    return BundleReport(outcome="already_imported", manifest_hash=manifest_hash, source=source)


class _HashingReader:
    """A read-only file that hashes what is read from its start onwards, sequentially
    (a seek back to the start begins again), so the digest covers exactly the bytes
    verification read."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file
        self._digest = hashlib.sha256()
        self._at = 0
        self._hashing = True

    def read(self, size: int = -1, /) -> bytes:
        data = self._file.read(size)
        if self._hashing:
            self._digest.update(data)
        self._at += len(data)
        return data

    def seek(self, offset: int, whence: int = io.SEEK_SET, /) -> int:
        self._at = self._file.seek(offset, whence)
        if self._at == 0:
            self._digest, self._hashing = hashlib.sha256(), True
        else:
            self._hashing = False  # not from the start: the digest would mean nothing
        return self._at

    def tell(self) -> int:
        return self._at

    def readable(self) -> bool:
        return True

    def hexdigest(self) -> str:
        return self._digest.hexdigest() if self._hashing else ""


def _verify_and_merge(
    central: CentralStore,
    admin: AdminProfile,
    stream: Any,
    *,
    file_sha256: str,
    source: str,
    devices: dict[str, KnownDevice] | None,
    reopen: Callable[[], AbstractContextManager[BinaryIO]],
    size: int,
    unchanged: Callable[[], bool] = lambda: True,
) -> BundleReport:
    # The collector's attachment spool goes when this returns, whatever happened.
    with _Collector() as collected:
        keys = admin.keys()
        try:
            summary = verify_bundle(
                stream,
                study_id=keys.study_id,
                identity=keys.bundle_identity,
                devices=devices if devices is not None else known_devices(central, admin),
                sink=collected,
                recovery_recipient=keys.recovery_recipient,
            )
        except BundleUnknownDevice as exc:
            return _quarantine(central, admin, exc, source, reopen=reopen, size=size,
                               file_sha256=file_sha256)
        except BundleRefused as exc:
            return BundleReport(outcome="refused", source=source, reason=exc.code,
                                message=exc.message)
        if not unchanged():
            return BundleReport(
                outcome="refused", source=source, reason="bundle_changed",
                message="the file changed while it was being merged; nothing was imported. "
                        "Merge it again once nothing is writing to it.",
            )
        bundle = to_verified(summary, collected, file_sha256)
        # The registry trusts this key (verify_bundle checked the signature with it): a
        # device known so far by its key alone, or another device holding a trusted key,
        # is enrolled under its id in the merge's own transaction (one commit, not two).
        enrolment = Enrolment(name=summary.device_name,
                              public_key=summary.manifest.device_public_key)
        try:
            try:
                return central.merge(bundle, source=source, enrol=enrolment)
            except DeviceUnknown:
                # The registry trusts this key (verify_bundle checked the signature with
                # it) but has not met the device id yet.
                central.enrol(bundle.device_id, name=summary.device_name,
                              fingerprint=bundle.device_fingerprint,
                              public_key=summary.manifest.device_public_key)
                return central.merge(bundle, source=source)
        except MergeRefused as exc:
            return BundleReport(outcome="refused", source=source, bundle_id=bundle.bundle_id,
                                device_id=bundle.device_id, reason=exc.reason,
                                message=exc.message)


def quarantine_folder(admin: AdminProfile) -> QuarantineFolder:
    """The quarantine folder (``quarantine/`` in the admin profile folder holding the
    study's keys: inside the central folder, or the ``--admin DIR`` profile with
    PostgreSQL) and the limits of the study policy the admin last packed."""
    policy = admin_policy(admin.store)
    return QuarantineFolder(admin.store.folder / QUARANTINE_DIR,
                            bundle_bytes=policy.quarantine_bundle_bytes,
                            total_bytes=policy.quarantine_total_bytes)


def _quarantine(
    central: CentralStore,
    admin: AdminProfile,
    exc: BundleUnknownDevice,
    source: str,
    *,
    reopen: Callable[[], AbstractContextManager[BinaryIO]],
    size: int,
    file_sha256: str,
) -> BundleReport:
    """Keep the file in the quarantine folder (a stream copy, within the limits), then
    list it in the central store; over a limit, refuse it and keep nothing."""
    device_id = uuid.UUID(str(exc.params["device_id"]))
    try:
        with reopen() as f:
            quarantine_folder(admin).keep(f, size=size, file_sha256=file_sha256)
    except MergeRefused as refused:
        return BundleReport(outcome="refused", source=source, device_id=device_id,
                            reason=refused.code, message=refused.message)
    except OSError as os_error:
        return BundleReport(
            outcome="refused", source=source, device_id=device_id,
            reason="quarantine_unwritable",
            message=f"the bundle could not be kept in quarantine: "
                    f"{os_error.strerror or os_error}; nothing was kept.")
    central.quarantine(
        file_sha256=file_sha256,
        device_id=device_id,
        fingerprint=str(exc.params["fingerprint"]),
        public_key=base64.b64decode(str(exc.params["public_key"])),
    )
    return BundleReport(
        outcome="quarantined",
        source=source,
        device_id=device_id,
        reason="device_unknown",
        message=(
            f"device {device_id} ({exc.params['fingerprint']}) is not enrolled; the bundle "
            "is kept in quarantine. Check the fingerprint with the interviewer (their app "
            "shows it under Help > About this laptop), then: "
            f"{enrol_command(str(device_id))}"
        ),
    )


def merge_quarantined(
    central: CentralStore, admin: AdminProfile, device_id: uuid.UUID
) -> list[tuple[str, BundleReport]]:
    """Merge the bundles a device left in quarantine (call once it is enrolled): each
    file is merged as a stream, then its row released and the file removed. Rows from
    before the quarantine folder hold their bytes in the central store and are merged
    from there. Returns (file SHA-256, report) per bundle, oldest first."""
    folder = quarantine_folder(admin)
    done: list[tuple[str, BundleReport]] = []
    for waiting in central.quarantined(device_id):
        sha = waiting.file_sha256
        source = f"quarantine:{sha[:16]}"
        if waiting.data:
            report = merge_bytes(central, admin, waiting.data, source=source)
        elif folder.has(sha):
            report = replace(merge_file(central, admin, folder.path(sha)), source=source)
        else:
            report = BundleReport(
                outcome="refused", source=source, device_id=device_id,
                reason="quarantine_file_missing",
                message=f"the bundle is not in this machine's quarantine folder "
                        f"({folder.folder}); it was quarantined on another machine or "
                        "removed. Merge the original bundle file again.")
        if report.outcome in ("imported", "already_imported"):
            central.release(sha)
            folder.remove(sha)  # after the release: a crash between leaves a file swept later
        done.append((sha, report))
    return done


def merge_files(
    central: CentralStore,
    admin: AdminProfile,
    files: Sequence[Path],
    *,
    write_acks: bool = True,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> MergeRun:
    """Merge ``files`` one after another (each bundle in its own transaction), then
    report gaps and clone alerts and write the acknowledgements. ``progress(done,
    total, file name)`` is called before each bundle and at the end; ``cancel`` is
    checked between bundles: the bundles merged so far stay merged and are acknowledged,
    the rest are left for the next run, and ``run.cancelled`` says so."""
    run = MergeRun()
    devices = known_devices(central, admin)
    quarantine_folder(admin).sweep(central.quarantine_waiting())
    touched: set[uuid.UUID] = set()
    for done, path in enumerate(files):
        if cancel is not None and cancel.is_cancelled():
            run.cancelled = True
            break
        if progress is not None:
            progress(done, len(files), path.name)
        report = merge_file(central, admin, path, devices=devices)
        if report.outcome == "already_imported" and report.device_id is None:
            report = _with_bundle(central, report)
        run.reports.append(report)
        if report.device_id is not None and report.outcome in ("imported", "already_imported"):
            touched.add(report.device_id)
            if report.bundle_id and report.manifest_hash:
                run.acks[(sync_folder_of(path), report.device_id)].append(
                    (report.bundle_id, report.manifest_hash)
                )
    for device_id in sorted(touched):
        run.gaps.append(central.device_gaps(device_id))
        run.clones.extend(central.clone_alerts(device_id))
    if write_acks:
        _write_acks(central, admin, run)
    if progress is not None:
        progress(len(run.reports), len(files), "")
    return run


_AckKey = tuple[str, str, tuple[tuple[str, str], ...], tuple[str, ...], tuple[str, ...]]


def _write_acks(central: CentralStore, admin: AdminProfile, run: MergeRun) -> None:
    """One signed acknowledgement per sync folder and device, unless the inbox already
    holds a valid one of ours saying exactly the same (a re-run writes nothing then).
    New files are each fsynced, and each inbox folder once after the renames."""
    keys = admin.keys()
    fingerprints = {d.id: d.fingerprint for d in central.devices()}
    revisions = central.revision_ids_by_device(sorted({d for _f, d in run.acks}))
    # Every erased record of the study goes to every laptop: each erases its own copy.
    erased = tuple(central.erased_record_ids(keys.study_id)) if run.acks else ()
    in_inbox: dict[Path, dict[_AckKey, Path]] = {}
    pending: dict[Path, list[tuple[uuid.UUID, bytes]]] = defaultdict(list)
    for (folder, device_id), bundles in run.acks.items():
        pairs = tuple(sorted(set(bundles)))
        rev_ids = tuple(sorted(set(revisions.get(device_id, ()))))
        fingerprint = fingerprints.get(device_id) or ""
        if folder not in in_inbox:
            in_inbox[folder] = _acks_in_inbox(folder, keys.study_id, keys.signing_public_key)
        same = in_inbox[folder].get((str(device_id), fingerprint, pairs, rev_ids, erased))
        if same is not None:
            run.ack_files.append((device_id, same))
            continue
        pending[folder].append((device_id, make_acknowledgement(
            keys.signing_key,
            study_id=keys.study_id,
            device_id=str(device_id),
            device_key_fingerprint=fingerprint,
            bundles=pairs,
            revision_ids=rev_ids,
            erasures=erased,
        )))
    failed: list[tuple[str, str]] = []
    for folder, acks in pending.items():
        # One folder that cannot be written (a write-protected stick) leaves the others
        # acknowledged; the merge itself is committed already, so it is said afterwards.
        try:
            _write_folder_acks(folder / INBOX, acks, run)
        except OSError as exc:
            failed.append((str(folder), exc.strerror or type(exc).__name__))
    if failed:
        merged = sum(1 for r in run.reports if r.outcome in ("imported", "already_imported"))
        raise AcknowledgementUnwritable(failed, merged)


def _write_folder_acks(inbox: Path, acks: Sequence[tuple[uuid.UUID, bytes]],
                       run: MergeRun) -> None:
    inbox.mkdir(exist_ok=True)
    for device_id, data in acks:
        path = inbox / (secrets.token_hex(16) + ACK_SUFFIX)
        atomic_write_bytes(path, data, sync_dir=False)  # the folder once, below
        run.ack_files.append((device_id, path))
    fsync_dir(inbox)


def _acks_in_inbox(folder: Path, study_id: str, public_key: bytes) -> dict[_AckKey, Path]:
    """The valid acknowledgements of this study, signed with our key, already in the
    folder's inbox, by what they say."""
    found: dict[_AckKey, Path] = {}
    inbox = folder / INBOX
    if not inbox.is_dir():
        return found
    for path in sorted(inbox.glob("*" + ACK_SUFFIX)):
        try:
            if path.stat().st_size > MAX_ACK_BYTES:
                continue
            ack = parse_acknowledgement(path.read_bytes(), signing_public_key=public_key)
        except (SyncError, OSError):
            continue
        if ack.study_id != study_id:
            continue
        key = (ack.device_id, ack.device_key_fingerprint, tuple(sorted(set(ack.bundles))),
               tuple(sorted(set(ack.revision_ids))), tuple(sorted(set(ack.erasures))))
        found.setdefault(key, path)
    return found


def _with_bundle(central: CentralStore, report: BundleReport) -> BundleReport:
    """Fill in the bundle and device of an "already imported" file from the store."""
    found = None if report.manifest_hash is None else central.bundle_of(report.manifest_hash)
    if found is None:
        return report
    return BundleReport(outcome=report.outcome, source=report.source,
                        manifest_hash=report.manifest_hash, bundle_id=found[0],
                        device_id=found[1])
