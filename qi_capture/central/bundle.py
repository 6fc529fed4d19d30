"""The boundary between bundle reading (`qi_capture.sync`) and merging: `VerifiedBundle`.

By the time a bundle reaches `qi_capture.central.merge.merge_bundle` everything that
needs keys has been checked by the reader (age decryption, the device's Ed25519
signature over the manifest, recipients, study, every listed SHA-256). What is left is
plain data: the manifest's facts and the revisions, attachments and paradata it listed.
`merge_bundle` still recomputes each revision id and checks that every revision belongs
to the bundle's device and sequence range, so a mistake upstream cannot write a lie.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qi_capture.sync.schemas.revision import Revision


@dataclass(frozen=True, slots=True)
class BundleRevision:
    """One revision: ``id`` must equal SHA-256 of ``canonical_json``. ``document``, if
    given, is ``canonical_json`` as the bundle reader already decoded it (spares the
    merge a second decode): the declared `Revision` it checked, or plain JSON.
    ``id_checked``: the bundle reader has already checked ``id`` against these exact
    bytes (the merge recomputes it otherwise)."""

    id: str
    canonical_json: str
    document: Revision | Mapping[str, Any] | None = None
    id_checked: bool = False


@dataclass(frozen=True, slots=True)
class BundleAttachment:
    """An attachment's facts and a way to stream its bytes: ``pieces()`` yields them in
    order, afresh at each call (the reader keeps them wherever suits their size: audio
    need not fit in memory). ``size`` and ``sha256`` are the manifest's."""

    id: uuid.UUID
    record_id: uuid.UUID
    name: str
    media_type: str
    sha256: str
    size: int
    pieces: Callable[[], Iterable[bytes]]

    @classmethod
    def from_bytes(
        cls, id: uuid.UUID, record_id: uuid.UUID, name: str, media_type: str, sha256: str,
        data: bytes,
    ) -> BundleAttachment:
        return cls(id, record_id, name, media_type, sha256, len(data), lambda: [data])


@dataclass(frozen=True, slots=True)
class BundleParadata:
    """One form-session audit event as the device stored it."""

    record_id: uuid.UUID
    seq: int
    kind: str
    session_id: uuid.UUID
    session_started_at: str
    elapsed_ms: int
    payload_json: str


@dataclass(frozen=True, slots=True)
class VerifiedBundle:
    """A decrypted, signature-checked bundle. ``manifest_hash`` is the SHA-256 of its
    canonical manifest (what the next bundle's ``prev_manifest_hash`` names);
    ``file_sha256`` the hash of the encrypted file, if it came from one."""

    bundle_id: str
    manifest_hash: str
    study_id: str
    device_id: uuid.UUID
    device_fingerprint: str
    seq_first: int
    seq_last: int
    prev_manifest_hash: str | None
    revisions: Sequence[BundleRevision]
    attachments: Sequence[BundleAttachment] = field(default=())
    paradata: Sequence[BundleParadata] = field(default=())
    file_sha256: str | None = None
