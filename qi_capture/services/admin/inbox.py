"""What waits in the admin's sync and drop-in folders, read without merging anything.

For each folder the console lists (a sync folder, a USB stick) and each ``*.qibundle``
in it or its ``outbox/`` (`qi_capture.services.merge.find_bundles`):

- the file's name, size and time, and its SHA-256: the central store keeps the hash of
  every file it merged or quarantined, so "already imported" and "in quarantine" are
  known without decrypting (as the merge's own shortcut does);
- with the admin keys, the start of the bundle is decrypted and checked exactly as the
  merge would (`qi_capture.sync.bundle.verify_bundle`), and stopped as soon as the
  signed manifest is through: the device, its sequence numbers and how many revisions
  and attachments it carries, or why the merge would quarantine or refuse it. Only the
  first chunk or so is decrypted, so listing a stick of large bundles stays quick; the
  content past the manifest is checked by the merge itself.

Nothing is written: no quarantine copy, no acknowledgement, no audit entry.

The console lists the folders again after every merge and on every refresh, and a sync
folder may hold hundreds of bundles: `InboxCache` keeps each file's hash and what its
head said, by path, size and modification time, so an unchanged file is not read again
(a changed one is: any write moves its time or size). What the head said is kept per
state of the device registry too: an enrolment or a revocation reads the head again.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qi_capture.central.store import CentralStore
from qi_capture.services.merge import find_bundles, known_devices, open_bundle_file
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.bundle import KnownDevice, verify_bundle
from qi_capture.sync.errors import BundleRefused, BundleRevokedDevice, BundleUnknownDevice
from qi_capture.sync.manifest import AttachmentEntry, Manifest, ParadataEntry, RecordEntry

#: What a waiting bundle is, before any merge:
#: ``new`` (from an enrolled device, not merged yet), ``already_imported`` (these bytes
#: were merged before), ``quarantined`` (already kept, waiting for its device's
#: enrolment), ``unknown_device`` (the merge would quarantine it), ``revoked`` and
#: ``refused`` (the merge would refuse it: ``reason``/``message`` say why),
#: ``unread`` (no admin keys at hand: only the file is known) and ``unreadable``.
INBOX_STATES = ("new", "already_imported", "quarantined", "unknown_device", "revoked",
                "refused", "unread", "unreadable")


@dataclass(frozen=True)
class InboxBundle:
    """One bundle file waiting in a folder, as far as it can be read without merging."""

    path: Path
    size: int
    modified: datetime
    file_sha256: str | None
    state: str
    device_id: uuid.UUID | None = None
    #: The device's name in the registry ("" for a device nobody enrolled).
    device_name: str = ""
    fingerprint: str | None = None
    bundle_id: str | None = None
    created: str | None = None
    sequence: tuple[int, int] | None = None
    revisions: int = 0
    attachments: int = 0
    #: For ``refused``, ``revoked`` and ``unreadable``: the refusal's code and message.
    reason: str | None = None
    message: str | None = None

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def waiting(self) -> bool:
        """Whether merging would do anything with it (not merged, not quarantined)."""
        return self.state not in ("already_imported", "quarantined")


@dataclass(frozen=True)
class InboxFolder:
    """A folder the admin watches and the bundles in it (``error``: why it cannot be
    read, e.g. a USB stick that is not plugged in)."""

    path: Path
    bundles: tuple[InboxBundle, ...]
    error: str | None = None

    @property
    def waiting(self) -> tuple[InboxBundle, ...]:
        return tuple(b for b in self.bundles if b.waiting)

    @property
    def total_bytes(self) -> int:
        return sum(b.size for b in self.bundles)


class _ManifestRead(Exception):
    """Raised by the sink once the signed manifest is through: stops the decryption."""

    def __init__(self, manifest: Manifest) -> None:
        super().__init__("manifest read")
        self.manifest = manifest


class _StopAtManifest:
    """A `BundleSink` that wants the manifest only (it is handed over after the device,
    its signature, the study and the recipients were checked)."""

    def manifest(self, manifest: Manifest) -> None:
        raise _ManifestRead(manifest)

    def revision(self, entry: RecordEntry, canonical: bytes) -> None:
        raise AssertionError("read past the manifest")

    def paradata(self, entry: ParadataEntry, events: Sequence[Any]) -> None:
        raise AssertionError("read past the manifest")

    def attachment(self, entry: AttachmentEntry) -> Callable[[bytes], object]:
        raise AssertionError("read past the manifest")


#: A file as last seen: (path, size, modification time in ns).
_FileKey = tuple[str, int, int]


@dataclass(frozen=True)
class _Head:
    """What the start of a bundle said, as far as the merge would get with it."""

    state: str
    device_id: uuid.UUID | None = None
    fingerprint: str | None = None
    bundle_id: str | None = None
    created: str | None = None
    sequence: tuple[int, int] | None = None
    revisions: int = 0
    attachments: int = 0
    reason: str | None = None
    message: str | None = None
    #: The enrolled device's name as the registry gave it to the check.
    known_name: str = ""


class InboxCache:
    """Each bundle file's SHA-256 and head, by path, size and modification time (one
    per `AdminDesk`; scans may run on several reader threads at once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hashes: dict[_FileKey, str] = {}
        self._heads: dict[tuple[_FileKey, object], _Head] = {}
        #: Bundle files opened so far (to hash or to read a head): what the cache saves.
        self.reads = 0

    def sha256(self, path: Path) -> tuple[os.stat_result, str]:
        """The file's stat and hash, read only when the path, size or time changed."""
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        with self._lock:
            known = self._hashes.get(key)
        if known is not None:
            return stat, known
        with open_bundle_file(path) as f:  # refuses a pipe, a device or an endless file
            stat = os.fstat(f.fileno())
            sha = hashlib.file_digest(f, "sha256").hexdigest()
        with self._lock:
            self.reads += 1
            self._hashes[(str(path), stat.st_size, stat.st_mtime_ns)] = sha
        return stat, sha

    def head(self, path: Path, stat: os.stat_result, registry: object,
             read: Callable[[], _Head]) -> _Head:
        """What the file's head says under ``registry`` (the device registry's state),
        read with ``read`` only when the file or the registry changed."""
        key = ((str(path), stat.st_size, stat.st_mtime_ns), registry)
        with self._lock:
            known = self._heads.get(key)
        if known is not None:
            return known
        head = read()
        with self._lock:
            self.reads += 1
            self._heads[key] = head
        return head

    def forget_missing(self, present: set[str]) -> None:
        """Drop what is known of files no longer listed (a stick taken out, a bundle
        merged and removed): the cache holds only what a scan may ask again."""
        with self._lock:
            self._hashes = {k: v for k, v in self._hashes.items() if k[0] in present}
            self._heads = {k: v for k, v in self._heads.items() if k[0][0] in present}


def scan_inbox(central: CentralStore, admin: AdminProfile | None,
               paths: Sequence[str | Path],
               cache: InboxCache | None = None) -> tuple[InboxFolder, ...]:
    """The bundles waiting in each folder of ``paths`` (in that order); ``cache`` keeps
    what was read of unchanged files from one scan to the next."""
    cache = cache if cache is not None else InboxCache()
    waiting = set(central.quarantine_waiting())
    # Which device each waiting file came from (rows only; the files stay where they are).
    kept = {q.file_sha256: (q.device_id, q.fingerprint) for q in central.quarantined()
            if q.file_sha256 in waiting}
    devices = known_devices(central, admin) if admin is not None else {}
    # The registry as the head check sees it: an enrolment or revocation changes it.
    registry = frozenset(devices.items())
    names = {d.id: d.name for d in central.devices()}
    folders = []
    listed: set[str] = set()
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            folders.append(InboxFolder(path, (), error="not_found"))
            continue
        try:
            files = find_bundles([str(path)])
            listed.update(str(f) for f in files)
            bundles = tuple(_bundle(central, admin, devices, registry, names, kept, cache,
                                    f) for f in files)
        except OSError as exc:
            folders.append(InboxFolder(path, (), error=str(exc.strerror or "unreadable")))
            continue
        folders.append(InboxFolder(path, bundles))
    cache.forget_missing(listed)
    return tuple(folders)


def _bundle(central: CentralStore, admin: AdminProfile | None,
            devices: Mapping[str, KnownDevice], registry: object,
            names: Mapping[uuid.UUID, str],
            quarantined: Mapping[str, tuple[uuid.UUID, str | None]],
            cache: InboxCache, path: Path) -> InboxBundle:
    try:
        stat, sha = cache.sha256(path)
    except BundleRefused as exc:  # not a file, or over the size limit: not even hashed
        try:
            seen = path.stat()
            size, modified = seen.st_size, datetime.fromtimestamp(seen.st_mtime, UTC)
        except OSError:
            size, modified = 0, datetime.now(UTC)
        return InboxBundle(path, size, modified, None, "refused", reason=exc.code,
                           message=exc.message)
    except OSError as exc:
        return InboxBundle(path, 0, datetime.now(UTC), None, "unreadable",
                           reason="unreadable", message=str(exc.strerror or exc))
    base: dict[str, Any] = {
        "path": path, "size": stat.st_size, "file_sha256": sha,
        "modified": datetime.fromtimestamp(stat.st_mtime, UTC),
    }
    manifest_hash = central.file_known(sha)
    if manifest_hash is not None:
        found = central.bundle_of(manifest_hash)
        device_id = None if found is None else found[1]
        return InboxBundle(**base, state="already_imported", device_id=device_id,
                           device_name=names.get(device_id, "") if device_id else "",
                           bundle_id=None if found is None else found[0])
    if sha in quarantined:
        device_id, fingerprint = quarantined[sha]
        return InboxBundle(**base, state="quarantined", device_id=device_id,
                           device_name=names.get(device_id, ""), fingerprint=fingerprint)
    if admin is None:
        return InboxBundle(**base, state="unread")
    head = cache.head(path, stat, registry, lambda: _read_head(admin, devices, path))
    device_name = ""
    if head.device_id is not None:
        device_name = names.get(head.device_id) or head.known_name
    return InboxBundle(**base, state=head.state, device_id=head.device_id,
                       device_name=device_name, fingerprint=head.fingerprint,
                       bundle_id=head.bundle_id, created=head.created,
                       sequence=head.sequence, revisions=head.revisions,
                       attachments=head.attachments, reason=head.reason,
                       message=head.message)


def _read_head(admin: AdminProfile, devices: Mapping[str, KnownDevice], path: Path) -> _Head:
    """Decrypt the start of the bundle and check it as the merge would, up to the end
    of its signed manifest."""
    keys = admin.keys()
    try:
        with open_bundle_file(path) as f:
            verify_bundle(f, study_id=keys.study_id, identity=keys.bundle_identity,
                          devices=devices, sink=_StopAtManifest(),
                          recovery_recipient=keys.recovery_recipient)
    except _ManifestRead as read:
        m = read.manifest
        known = devices.get(m.device_key_fingerprint)
        return _Head("new", device_id=uuid.UUID(m.device_id),
                     fingerprint=m.device_key_fingerprint, bundle_id=m.bundle_id,
                     created=m.created, sequence=(m.sequence_first, m.sequence_last),
                     revisions=len(m.records), attachments=len(m.attachments),
                     known_name=known.name if known else "")
    except BundleUnknownDevice as exc:
        return _Head("unknown_device", device_id=uuid.UUID(str(exc.params["device_id"])),
                     fingerprint=str(exc.params["fingerprint"]))
    except BundleRevokedDevice as exc:
        return _Head("revoked", fingerprint=str(exc.params.get("fingerprint", "")) or None,
                     reason=exc.code, message=exc.message)
    except BundleRefused as exc:
        return _Head("refused", reason=exc.code, message=exc.message)
    except OSError as exc:
        return _Head("unreadable", reason="unreadable", message=str(exc.strerror or exc))
    # A bundle verified to its end without the sink seeing a manifest cannot happen:
    # the manifest comes first. Say so rather than guess.
    return _Head("refused", reason="bundle_malformed", message="the bundle has no manifest")
