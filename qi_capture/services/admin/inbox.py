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
"""

from __future__ import annotations

import hashlib
import os
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


def scan_inbox(central: CentralStore, admin: AdminProfile | None,
               paths: Sequence[str | Path]) -> tuple[InboxFolder, ...]:
    """The bundles waiting in each folder of ``paths`` (in that order)."""
    waiting = set(central.quarantine_waiting())
    # Which device each waiting file came from (rows only; the files stay where they are).
    kept = {q.file_sha256: (q.device_id, q.fingerprint) for q in central.quarantined()
            if q.file_sha256 in waiting}
    devices = known_devices(central, admin) if admin is not None else {}
    names = {d.id: d.name for d in central.devices()}
    folders = []
    for raw in paths:
        path = Path(raw)
        if not path.is_dir():
            folders.append(InboxFolder(path, (), error="not_found"))
            continue
        try:
            files = find_bundles([str(path)])
            bundles = tuple(_bundle(central, admin, devices, names, kept, f)
                            for f in files)
        except OSError as exc:
            folders.append(InboxFolder(path, (), error=str(exc.strerror or "unreadable")))
            continue
        folders.append(InboxFolder(path, bundles))
    return tuple(folders)


def _bundle(central: CentralStore, admin: AdminProfile | None,
            devices: Mapping[str, KnownDevice], names: Mapping[uuid.UUID, str],
            quarantined: Mapping[str, tuple[uuid.UUID, str | None]],
            path: Path) -> InboxBundle:
    try:
        with open_bundle_file(path) as f:
            stat = os.fstat(f.fileno())
            sha = hashlib.file_digest(f, "sha256").hexdigest()
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
    keys = admin.keys()
    try:
        with open_bundle_file(path) as f:
            verify_bundle(f, study_id=keys.study_id, identity=keys.bundle_identity,
                          devices=devices, sink=_StopAtManifest(),
                          recovery_recipient=keys.recovery_recipient)
    except _ManifestRead as read:
        m = read.manifest
        device_id = uuid.UUID(m.device_id)
        known = devices.get(m.device_key_fingerprint)
        return InboxBundle(
            **base, state="new", device_id=device_id,
            device_name=names.get(device_id) or (known.name if known else ""),
            fingerprint=m.device_key_fingerprint, bundle_id=m.bundle_id,
            created=m.created, sequence=(m.sequence_first, m.sequence_last),
            revisions=len(m.records), attachments=len(m.attachments))
    except BundleUnknownDevice as exc:
        device_id = uuid.UUID(str(exc.params["device_id"]))
        return InboxBundle(**base, state="unknown_device", device_id=device_id,
                           device_name=names.get(device_id, ""),
                           fingerprint=str(exc.params["fingerprint"]))
    except BundleRevokedDevice as exc:
        return InboxBundle(**base, state="revoked", fingerprint=str(exc.params.get(
            "fingerprint", "")) or None, reason=exc.code, message=exc.message)
    except BundleRefused as exc:
        return InboxBundle(**base, state="refused", reason=exc.code, message=exc.message)
    except OSError as exc:
        return InboxBundle(**base, state="unreadable", reason="unreadable",
                           message=str(exc.strerror or exc))
    # A bundle verified to its end without the sink seeing a manifest cannot happen:
    # the manifest comes first. Say so rather than guess.
    return InboxBundle(**base, state="refused", reason="bundle_malformed",
                       message="the bundle has no manifest")
