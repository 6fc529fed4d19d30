"""Verifying bundle files (written by `qi_capture.sync.bundle_writer`), streaming: memory
flat in the bundle's size, nothing written to disk.

Plaintext layout (a POSIX ustar stream in the strict dialect of `qi_capture.sync.ustar`,
read in stream mode and never extracted): ``manifest.json`` (canonical JSON, see
`qi_capture.sync.manifest`), ``manifest.sig`` (64-byte Ed25519 signature by the device),
then every revision
(``revisions/<id>.json``), record's paradata (``paradata/<record id>.jsonl``, format 2)
and attachment (``attachments/<id>``) the manifest lists, in its order; then the
end-of-archive blocks and zeros up to a whole number of 64 KiB.

That last padding means the age payload is always a whole number of sealed 64 KiB
chunks. It hides the exact size of the content, and it lets a reader tell a cut file
(a partial last chunk: `BundleTruncated`) from one with bytes appended (rage reports
them after the final chunk: `BundleTrailingBytes`) and from altered content
(`BundlePayloadTampered`).

The reader's order of checks, each with its own refusal: size limit -> our age header
check (`qi_capture.crypto.age_header`) -> decryption with the study's identity
(addressed to us? header MAC?) -> ``manifest.json`` first and canonical -> study ->
device enrolled and not revoked -> signature with the *enrolled* key -> recipients
match the header -> every member in order with its size and SHA-256, every revision
id recomputed and its document consistent with the manifest, every paradata line
canonical and consistent with its entry -> nothing unlisted ->
only zeros after the archive -> age's final chunk authenticated. Only then is the
result returned: a `BundleSink` sees data as it streams past and must treat it as
provisional until `verify_bundle` returns.
"""

from __future__ import annotations

import base64
import hashlib
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import msgspec

from qi_capture.crypto import signing
from qi_capture.crypto.age_header import (
    MAX_HEADER_BYTES,
    VERSION_LINE,
    AgeHeader,
    AgeHeaderRefused,
    check_header,
    payload_shape,
)
from qi_capture.crypto.envelope import (
    AgeDecryptFailed,
    decrypt_into,
    recipient_fingerprint,
    recipient_of,
)
from qi_capture.storage.canonical import decode_canonical
from qi_capture.sync import ustar
from qi_capture.sync.bundle_format import (
    BACKGROUND_HASH_BYTES,
    MAX_BUNDLE_BYTES,
    MAX_HELD_BYTES,
    MAX_PARADATA_BYTES,
    MAX_REVISION_BYTES,
    REVISION_TYPE,
)
from qi_capture.sync.errors import (
    BundleBadSignature,
    BundleContentMismatch,
    BundleHeaderTampered,
    BundleMalformed,
    BundleMemberTooLarge,
    BundleNotAddressed,
    BundleNotAge,
    BundlePayloadTampered,
    BundleRecipientsMismatch,
    BundleRecoveryMissing,
    BundleRefused,
    BundleRevokedDevice,
    BundleTooLarge,
    BundleTrailingBytes,
    BundleTruncated,
    BundleUnknownDevice,
    BundleWrongStudy,
)
from qi_capture.sync.hashing import BlockHasher, HashStream
from qi_capture.sync.manifest import (
    MANIFEST_MEMBER,
    MAX_MANIFEST_BYTES,
    SIGNATURE_MEMBER,
    AttachmentEntry,
    Manifest,
    ParadataEntry,
    ParadataLine,
    RecordEntry,
    parse_manifest,
    parse_paradata,
    signed_message,
)
from qi_capture.sync.schemas.refusal import convert, describe, refusal
from qi_capture.sync.schemas.revision import Revision, decode_canonical_revision


# -- verifying ----------------------------------------------------------------------------
@dataclass(frozen=True)
class KnownDevice:
    """A device the admin has enrolled (``revoked``: its bundles are refused)."""

    public_key: bytes
    name: str = ""
    revoked: bool = False

    @property
    def fingerprint(self) -> str:
        return signing.fingerprint(self.public_key)


class BundleSink(Protocol):
    """Receives verified-so-far content as it streams past (provisional until the end)."""

    def manifest(self, manifest: Manifest) -> None: ...

    def revision(self, entry: RecordEntry, canonical: bytes) -> None: ...

    # Optional: ``revision_decoded(entry, canonical, revision)``, called instead of
    # ``revision`` with the `Revision` decoded from ``canonical`` and checked.

    def paradata(self, entry: ParadataEntry, events: Sequence[ParadataLine]) -> None: ...

    def attachment(self, entry: AttachmentEntry) -> Callable[[bytes], object]:
        """An attachment starts: return the function that receives its bytes, piece by
        piece, in order (its SHA-256 is checked once the last piece has gone past)."""
        ...


@dataclass(frozen=True)
class BundleSummary:
    manifest: Manifest
    manifest_sha256: str
    device_name: str
    file_size: int

    @property
    def revision_ids(self) -> tuple[str, ...]:
        return tuple(r.revision_id for r in self.manifest.records)

    def to_json(self) -> dict[str, object]:
        m = self.manifest
        return {
            "bundle_id": m.bundle_id,
            "created": m.created,
            "study_id": m.study_id,
            "device_id": m.device_id,
            "device_key_fingerprint": m.device_key_fingerprint,
            "device_name": self.device_name,
            "sequence": [m.sequence_first, m.sequence_last],
            "previous_manifest_sha256": m.previous_manifest_sha256,
            "manifest_sha256": self.manifest_sha256,
            "records": len(m.records),
            "submissions": len({r.submission_id for r in m.records}),
            "attachments": len(m.attachments),
            "attachment_bytes": sum(a.size for a in m.attachments),
            "paradata_events": sum(p.events for p in m.paradata),
            "format_version": m.format_version,
            "app_version": m.app_version,
            "schema_version": m.schema_version,
            "file_size": self.file_size,
        }


def _refuse_header(exc: AgeHeaderRefused, prefix: bytes) -> BundleRefused:
    if exc.reason == "incomplete":
        return BundleTruncated(f"it ends inside the encryption header: {exc.detail}")
    if not prefix.startswith(VERSION_LINE):
        return BundleNotAge(exc.detail)
    return BundleHeaderTampered(exc.detail)


def _refuse_decrypt(exc: AgeDecryptFailed, partial_chunk: int, authenticated: int) -> BundleRefused:
    if exc.reason == "not_addressed":
        return BundleNotAddressed()
    if exc.reason in ("header_mac", "header_malformed"):
        return BundleHeaderTampered(exc.detail)
    if exc.reason == "trailing":
        return BundleTrailingBytes("after the final encrypted block")
    if exc.reason == "truncated" or partial_chunk:
        # Our writer only ever writes whole 64 KiB chunks: a partial last one was cut.
        return BundleTruncated(f"its encrypted content stops after {authenticated} bytes")
    return BundlePayloadTampered(authenticated)


def _check_revision(manifest: Manifest, entry: RecordEntry, data: bytes) -> Revision:
    """The revision in ``data``: canonical JSON, consistent with the manifest, and of the
    declared schema (`qi_capture.sync.schemas.revision`). A revision all is well with
    takes the fast path; anything else the exact one, which words the refusal."""
    revision = decode_canonical_revision(data)
    if revision is not None and (
        revision.schema == manifest.schema_version
        and revision.device_seq == entry.device_seq
        and revision.form.study_id == manifest.study_id
        # Canonical, so the ids' text is `str(UUID)`'s: compared as the manifest's text.
        and str(revision.record_id) == entry.submission_id
        and str(revision.device_id) == manifest.device_id
    ):
        return revision
    return _check_revision_exactly(manifest, entry, data)


def _check_revision_exactly(manifest: Manifest, entry: RecordEntry, data: bytes) -> Revision:
    try:
        doc = decode_canonical(data)
    except ValueError as exc:
        raise BundleContentMismatch(f"{entry.member} is not canonical JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise BundleContentMismatch(f"{entry.member} is not a revision")
    form = doc.get("form")
    # On the plain JSON: the ids are held to the manifest's exact text.
    checks = {
        "type": doc.get("type") == REVISION_TYPE,
        "schema": doc.get("schema") == manifest.schema_version,
        "record id": doc.get("record_id") == entry.submission_id,
        "device id": doc.get("device_id") == manifest.device_id,
        "device sequence": doc.get("device_seq") == entry.device_seq,
        "study": isinstance(form, dict) and form.get("study_id") == manifest.study_id,
    }
    wrong = [name for name, ok in checks.items() if not ok]
    if wrong:
        raise BundleContentMismatch(f"{entry.member}: {', '.join(wrong)} differ from the manifest")
    try:
        return convert(doc, Revision)
    except msgspec.ValidationError as exc:
        raise BundleContentMismatch(
            f"{entry.member} is not a valid revision ({describe(refusal(exc))})"
        ) from None


def _check_sizes(manifest: Manifest) -> None:
    """Every member kept in memory within its limit, and all of them together."""
    held = 0
    sized: list[tuple[str, int, int]] = [
        *((r.member, r.size, MAX_REVISION_BYTES) for r in manifest.records),
        *((p.member, p.size, MAX_PARADATA_BYTES) for p in manifest.paradata),
    ]
    for member, size, limit in sized:
        if size > limit:
            raise BundleMemberTooLarge(member, size, limit)
        held += size
    if held > MAX_HELD_BYTES:
        raise BundleMemberTooLarge("its revisions and paradata together", held, MAX_HELD_BYTES)


def _check_recovery(manifest: Manifest, recovery_fingerprint: str | None) -> None:
    if recovery_fingerprint is not None and recovery_fingerprint not in manifest.recipients:
        raise BundleRecoveryMissing("the manifest does not list the recovery recipient")


def _check_manifest_shape(manifest: Manifest, header: AgeHeader, own_fingerprint: str) -> None:
    if own_fingerprint not in manifest.recipients:
        raise BundleRecipientsMismatch("this study's key is not among the listed recipients")
    if len(set(manifest.recipients)) != len(manifest.recipients):
        raise BundleMalformed("the manifest lists a recipient twice")
    if header.x25519_count != len(manifest.recipients):
        raise BundleRecipientsMismatch(
            f"the header has {header.x25519_count} recipient(s), the manifest lists "
            f"{len(manifest.recipients)}"
        )
    if not manifest.records:
        raise BundleMalformed("the manifest lists no records")
    seqs = [r.device_seq for r in manifest.records]
    if len(set(seqs)) != len(seqs) or len({r.revision_id for r in manifest.records}) != len(seqs):
        raise BundleMalformed("the manifest lists a revision twice")
    # The range may start before the first revision (it accounts for the numbers the
    # device used for other studies since its last bundle: see sync.folder), but it
    # ends at the last one and holds every one.
    if (max(seqs) != manifest.sequence_last or min(seqs) < manifest.sequence_first
            or manifest.sequence_first > manifest.sequence_last):
        raise BundleContentMismatch("the sequence range does not match the records")
    for r in manifest.records:
        if r.sha256 != r.revision_id:
            raise BundleContentMismatch(f"{r.member}: the hash is not the revision id")
    _check_sizes(manifest)
    submissions = {r.submission_id for r in manifest.records}
    if len({p.submission_id for p in manifest.paradata}) != len(manifest.paradata):
        raise BundleMalformed("the manifest lists a record's paradata twice")
    for p in manifest.paradata:
        if p.submission_id not in submissions:
            raise BundleContentMismatch(f"{p.member} belongs to no listed record")
    if len({a.attachment_id for a in manifest.attachments}) != len(manifest.attachments):
        raise BundleMalformed("the manifest lists an attachment twice")
    for a in manifest.attachments:
        if a.submission_id not in submissions:
            raise BundleContentMismatch(f"{a.member} belongs to no listed record")


class _Expected:
    """A member the manifest lists: what it must be, and what to do with its bytes."""

    __slots__ = ("entry", "kind", "name", "sha256", "size")

    def __init__(self, kind: str, entry: RecordEntry | ParadataEntry | AttachmentEntry) -> None:
        self.kind, self.entry = kind, entry
        self.name, self.sha256, self.size = entry.member, entry.sha256, entry.size


class _Verifier:
    """Checks a bundle's plaintext as age decryption pushes it through a `UstarPush`:
    the manifest and its signature first, then every member the manifest lists, in its
    order, with its size and SHA-256 (see the module docstring for the order of checks).
    Raises the first refusal; `finish` checks that nothing listed is missing."""

    def __init__(
        self,
        header: AgeHeader,
        *,
        study_id: str,
        own_fingerprint: str,
        devices: Mapping[str, KnownDevice],
        sink: BundleSink | None,
        recovery_fingerprint: str | None = None,
    ) -> None:
        self._header, self._study_id, self._own = header, study_id, own_fingerprint
        self._recovery = recovery_fingerprint
        self._devices, self._sink = devices, sink
        # A sink may take each revision as the check decoded it (from exactly these
        # canonical bytes), instead of decoding them again.
        self._decoded: Callable[[RecordEntry, bytes, Revision], None] | None = getattr(
            sink, "revision_decoded", None
        )
        self._seen = 0  # members begun
        self._expected: list[_Expected] = []
        self._current: _Expected | None = None
        self._parts: list[bytes] = []
        self._digest = hashlib.sha256()
        self._manifest_bytes = b""
        # Large attachments are hashed beside decryption (qi_capture.sync.hashing) and
        # their digests compared in `finish`.
        self._hasher: BlockHasher | None = None
        self._stream: HashStream | None = None
        self._streams: list[tuple[_Expected, HashStream]] = []
        self.manifest: Manifest | None = None
        self.device: KnownDevice | None = None

    # -- ustar.MemberHandler ------------------------------------------------------------
    def begin(self, member: ustar.UstarMember) -> Callable[[bytes], object]:
        index = self._seen
        self._seen += 1
        self._parts, self._digest = [], hashlib.sha256()
        if index < 2:
            expected = MANIFEST_MEMBER if index == 0 else SIGNATURE_MEMBER
            self._check_member(member, expected)
            limit = MAX_MANIFEST_BYTES if index == 0 else signing.SIGNATURE_BYTES
            if member.size > limit:
                raise BundleMalformed(f"{expected} is larger than allowed")
            return self._parts.append
        if index - 2 >= len(self._expected):
            raise BundleContentMismatch(f"{member.name!r} is not listed in the manifest")
        item = self._expected[index - 2]
        self._check_member(member, item.name)
        if member.size != item.size:
            raise BundleContentMismatch(f"{item.name} has the wrong size")
        self._current = item
        if item.kind == "attachment":
            assert isinstance(item.entry, AttachmentEntry)
            hash_piece: Callable[[bytes], object] = self._digest.update
            if self._hasher is not None:
                self._stream = self._hasher.stream()
                self._streams.append((item, self._stream))
                hash_piece = self._stream.feed
            if self._sink is None:
                return hash_piece
            deliver = self._sink.attachment(item.entry)

            def consume(piece: bytes) -> None:
                hash_piece(piece)
                deliver(piece)

            return consume
        return self._parts.append

    def end(self) -> None:
        data = self._parts[0] if len(self._parts) == 1 else b"".join(self._parts)
        self._parts = []
        if self._seen == 1:
            self._manifest_bytes = data
            self.manifest = parse_manifest(data)
            return
        if self._seen == 2:
            self._check_signed(data)
            return
        item = self._current
        assert item is not None and self.manifest is not None
        if item.kind == "attachment":
            if self._stream is not None:  # hashed on the worker: compared in `finish`
                self._stream.end()
                self._stream = None
            elif self._digest.hexdigest() != item.sha256:
                raise BundleContentMismatch(f"{item.name} does not match its SHA-256")
            return
        if hashlib.sha256(data).hexdigest() != item.sha256:
            raise BundleContentMismatch(f"{item.name} does not match its SHA-256")
        if item.kind == "revision":
            assert isinstance(item.entry, RecordEntry)
            doc = _check_revision(self.manifest, item.entry, data)
            if self._decoded is not None:
                self._decoded(item.entry, data, doc)
            elif self._sink is not None:
                self._sink.revision(item.entry, data)
            return
        assert isinstance(item.entry, ParadataEntry)
        try:
            events = parse_paradata(item.entry, data)
        except ValueError as exc:
            raise BundleContentMismatch(f"{item.name}: {exc}") from None
        if self._sink is not None:
            self._sink.paradata(item.entry, events)

    # -- checks ---------------------------------------------------------------------------
    @staticmethod
    def _check_member(member: ustar.UstarMember, expected: str) -> None:
        if member.name != expected:
            raise BundleContentMismatch(f"found {member.name!r} where {expected!r} belongs")
        if not member.regular:
            raise BundleMalformed(f"{expected} is not a regular file")

    def _check_signed(self, signature: bytes) -> None:
        manifest = self.manifest
        assert manifest is not None
        if manifest.study_id != self._study_id:
            raise BundleWrongStudy(manifest.study_id, self._study_id)
        if len(manifest.device_public_key) != signing.KEY_BYTES or signing.fingerprint(
            manifest.device_public_key
        ) != manifest.device_key_fingerprint:
            raise BundleMalformed("the device key does not match its fingerprint")
        device = self._devices.get(manifest.device_key_fingerprint)
        if device is None:
            raise BundleUnknownDevice(
                manifest.device_key_fingerprint,
                manifest.device_id,
                base64.b64encode(manifest.device_public_key).decode("ascii"),
            )
        if device.revoked:
            raise BundleRevokedDevice(manifest.device_key_fingerprint)
        if len(signature) != signing.SIGNATURE_BYTES or not signing.verify(
            device.public_key, signed_message(self._manifest_bytes), signature
        ):
            raise BundleBadSignature(manifest.device_key_fingerprint)
        _check_manifest_shape(manifest, self._header, self._own)
        _check_recovery(manifest, self._recovery)
        self.device = device
        self._expected = (
            [_Expected("revision", r) for r in manifest.records]
            + [_Expected("paradata", p) for p in manifest.paradata]
            + [_Expected("attachment", a) for a in manifest.attachments]
        )
        if sum(a.size for a in manifest.attachments) >= BACKGROUND_HASH_BYTES:
            self._hasher = BlockHasher()
        if self._sink is not None:
            self._sink.manifest(manifest)

    def close(self) -> None:
        if self._hasher is not None:
            self._hasher.close()

    def finish(self) -> tuple[Manifest, KnownDevice]:
        """The archive ended: everything listed must have been there."""
        if self._seen < 2:
            missing = MANIFEST_MEMBER if self._seen == 0 else SIGNATURE_MEMBER
            raise BundleContentMismatch(f"{missing} is listed but missing")
        if self._seen - 2 < len(self._expected):
            raise BundleContentMismatch(
                f"{self._expected[self._seen - 2].name} is listed but missing"
            )
        if self._hasher is not None:
            self._hasher.finish()
            for item, stream in self._streams:
                if stream.hexdigest() != item.sha256:
                    raise BundleContentMismatch(f"{item.name} does not match its SHA-256")
        assert self.manifest is not None and self.device is not None
        return self.manifest, self.device


def verify_bundle(
    source: BinaryIO,
    *,
    study_id: str,
    identity: str,
    devices: Mapping[str, KnownDevice],
    sink: BundleSink | None = None,
    max_bytes: int = MAX_BUNDLE_BYTES,
    recovery_recipient: str | None = None,
) -> BundleSummary:
    """Decrypt and check a whole bundle (see the module docstring) without writing
    anything anywhere. Raises a `BundleRefused` subclass naming the first problem.

    ``recovery_recipient``: the study's recovery key (``age1...``), if it has one; a
    bundle whose signed manifest does not list it is refused (`BundleRecoveryMissing`).
    Together with the check that the header has exactly as many recipients as the
    manifest lists, a copy re-encrypted without the recovery key is refused too. (An
    X25519 stanza does not name its recipient, so only the recovery identity could tell
    a stanza for another key from one for the recovery key.)"""
    source.seek(0, io.SEEK_END)
    size = source.tell()
    if size > max_bytes:
        raise BundleTooLarge(size, max_bytes)
    source.seek(0)
    prefix = source.read(MAX_HEADER_BYTES + 1)
    try:
        header = check_header(prefix, size)
        _whole, partial_chunk = payload_shape(header, size)
    except AgeHeaderRefused as exc:
        raise _refuse_header(exc, prefix) from None
    source.seek(0)
    verifier = _Verifier(header, study_id=study_id,
                         own_fingerprint=recipient_fingerprint(recipient_of(identity)),
                         devices=devices, sink=sink,
                         recovery_fingerprint=None if not recovery_recipient
                         else recipient_fingerprint(recovery_recipient))
    tar = ustar.UstarPush(verifier)
    try:
        try:
            # Everything the verifier saw was authenticated by age chunk by chunk; only
            # now, with the final chunk authenticated too, is the whole file known intact.
            decrypt_into(source, identity, tar)
        except AgeDecryptFailed as exc:
            raise _refuse_decrypt(exc, partial_chunk, exc.authenticated) from None
        tar.close()
        manifest, device = verifier.finish()
    finally:
        verifier.close()
    return BundleSummary(
        manifest=manifest,
        manifest_sha256=hashlib.sha256(manifest.to_bytes()).hexdigest(),
        device_name=device.name,
        file_size=size,
    )


def verify_bundle_file(
    path: Path,
    *,
    study_id: str,
    identity: str,
    devices: Mapping[str, KnownDevice],
    max_bytes: int = MAX_BUNDLE_BYTES,
    recovery_recipient: str | None = None,
) -> BundleSummary:
    """`verify_bundle` on a file opened read-only."""
    with path.open("rb") as f:
        return verify_bundle(
            f, study_id=study_id, identity=identity, devices=devices, max_bytes=max_bytes,
            recovery_recipient=recovery_recipient,
        )
