"""Bundle files: a signed tar stream inside an age v1 file. Writing and verifying, both
streaming (memory flat in the bundle's size), neither touching disk beyond the bundle.

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
import contextlib
import hashlib
import io
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from qi_capture.crypto import signing
from qi_capture.crypto.age_header import (
    CHUNK_BYTES,
    MAX_HEADER_BYTES,
    VERSION_LINE,
    AgeHeader,
    AgeHeaderRefused,
    check_header,
    payload_shape,
)
from qi_capture.crypto.atomic import fsync_dir
from qi_capture.crypto.envelope import (
    AgeDecryptFailed,
    Readable,
    decrypt_into,
    encrypt_stream,
    recipient_fingerprint,
    recipient_of,
)
from qi_capture.storage.canonical import decode_canonical, sha256_hex
from qi_capture.sync import ustar
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
    SyncError,
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

BUNDLE_SUFFIX = ".qibundle"
PARTIAL_SUFFIX = ".partial"
MAX_BUNDLE_BYTES = 4 * 1024 * 1024 * 1024
# Revisions and paradata are held in memory from the verifier to the merge's
# transaction: each member, and all of them together, is bounded, and checked on the
# manifest before any is read (an enrolled device declaring a 400 MiB revision is
# refused, not decoded).
MAX_REVISION_BYTES = 16 * 1024 * 1024
MAX_PARADATA_BYTES = 64 * 1024 * 1024
MAX_HELD_BYTES = 256 * 1024 * 1024
# From this many attachment bytes in a bundle on, attachments are hashed on a second
# thread (see qi_capture.sync.hashing); below it, inline.
BACKGROUND_HASH_BYTES = 4 * 1024 * 1024
REVISION_TYPE = "qi-capture.revision"


class BundleSourceChanged(SyncError):
    code = "bundle_source_changed"

    def __init__(self, member: str) -> None:
        super().__init__(
            f"The data for {member} changed or is damaged while the bundle was being "
            "written; the bundle was not written.",
            member=member,
        )


# -- writing ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    """One tar member to write: its bytes come from ``pieces()`` when the stream gets there."""

    name: str
    size: int
    sha256: str
    pieces: Callable[[], Iterable[bytes]]
    #: ``pieces()`` authenticates its bytes itself (an attachment's AEAD file, or the
    #: database's page MACs for one not moved to a file yet: immutable bytes whose
    #: SHA-256 was computed as they were stored): the size is checked, the SHA-256 is
    #: not computed again.
    authenticated: bool = False


class TarStream:
    """A ustar stream produced lazily as it is read (``read(n)``), padded with zeros to a
    whole number of 64 KiB. Sizes and hashes are checked as the bytes go past."""

    def __init__(self, members: Iterable[Member]) -> None:
        self._parts = self._generate(members)
        self._piece = b""  # the part being read out, from ``self._at``
        self._at = 0
        self.size = 0

    def _generate(self, members: Iterable[Member]) -> Iterator[bytes]:
        total = 0
        for member in members:
            header = ustar.header(member.name, member.size)
            total += len(header)
            yield header
            digest, count = None if member.authenticated else hashlib.sha256(), 0
            for piece in member.pieces():
                count += len(piece)
                if count > member.size:
                    raise BundleSourceChanged(member.name)
                if digest is not None:
                    digest.update(piece)
                total += len(piece)
                yield piece
            if count != member.size or (digest is not None
                                        and digest.hexdigest() != member.sha256):
                raise BundleSourceChanged(member.name)
            pad = ustar.padding(count)
            total += len(pad)
            yield pad
        end = 2 * ustar.BLOCK
        end += -(total + end) % CHUNK_BYTES
        yield bytes(end)

    def read(self, size: int = -1, /) -> bytes:
        # Slices of the current part, joined only when a read spans parts: one copy of
        # each byte on the way to the encrypter (pyrage reads 8 KiB at a time).
        at = self._at
        if 0 < size <= len(self._piece) - at:  # the usual case: within the current part
            self._at = at + size
            self.size += size
            return self._piece[at : at + size]
        out: list[bytes] = []
        wanted = size
        while wanted != 0:
            left = len(self._piece) - self._at
            if left == 0:
                part = next(self._parts, None)
                if part is None:
                    break
                self._piece, self._at = part, 0
                continue
            take = left if wanted < 0 else min(left, wanted)
            out.append(self._piece[self._at : self._at + take])
            self._at += take
            if wanted > 0:
                wanted -= take
        data = out[0] if len(out) == 1 and type(out[0]) is bytes else b"".join(out)
        self.size += len(data)
        return data


def _constant(data: bytes) -> Callable[[], Iterable[bytes]]:
    return lambda: [data]


def bundle_members(
    manifest: Manifest,
    signature: bytes,
    revisions: Mapping[str, bytes],
    attachments: Mapping[str, Callable[[], Iterable[bytes]]],
    *,
    attachments_authenticated: bool = False,
) -> list[Member]:
    """The members of a bundle in order. ``revisions`` maps revision id -> canonical JSON
    bytes and paradata member name -> its lines, ``attachments`` attachment id -> a
    function yielding its bytes (``attachments_authenticated``: bytes each function
    authenticates itself, see `Member.authenticated`)."""
    manifest_bytes = manifest.to_bytes()
    members = [
        Member(MANIFEST_MEMBER, len(manifest_bytes), sha256_hex(manifest_bytes),
               lambda: [manifest_bytes]),
        Member(SIGNATURE_MEMBER, len(signature), sha256_hex(signature), lambda: [signature]),
    ]
    for record in manifest.records:
        data = revisions[record.revision_id]
        members.append(Member(record.member, record.size, record.sha256, _constant(data)))
    for para in manifest.paradata:
        data = revisions[para.member]
        members.append(Member(para.member, para.size, para.sha256, _constant(data)))
    for att in manifest.attachments:
        members.append(Member(att.member, att.size, att.sha256, attachments[att.attachment_id],
                              authenticated=attachments_authenticated))
    return members


Opener = Callable[[Path], BinaryIO]


def open_exclusive(path: Path) -> BinaryIO:
    return path.open("xb")


def new_bundle_name() -> str:
    """A random file name: it says nothing about the person, device, study or content."""
    return secrets.token_hex(16) + BUNDLE_SUFFIX


class _FlushAhead:
    """Passes writes to ``out`` and, every `STEP` bytes, asks the kernel to start writing
    what came so far to disk (``posix_fadvise(DONTNEED)``, which starts writeback without
    waiting for it, as PostgreSQL does where it lacks ``sync_file_range``). The disk then
    works while age encrypts the rest, and the final fsync has only the tail left to
    wait for. Durability is unchanged: the fsync still decides. Where the call does not
    exist (Windows, macOS) or fails, writes pass through."""

    STEP = 4 * 1024 * 1024

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._written = 0
        self._started = 0  # writeback asked for up to here
        self._advise: Callable[[int, int, int, int], None] | None = getattr(
            os, "posix_fadvise", None
        )
        try:
            self._fd = out.fileno()
        except (AttributeError, OSError, ValueError):
            self._advise = None

    def write(self, data: bytes, /) -> int:
        written = self._out.write(data)
        self._written += len(data)
        if self._advise is not None and self._written - self._started >= self.STEP:
            self._out.flush()
            try:
                self._advise(self._fd, self._started, self._written - self._started,
                             os.POSIX_FADV_DONTNEED)
            except OSError:
                self._advise = None
            self._started = self._written
        return written


def write_bundle_file(
    folder: Path,
    plaintext: Readable,
    recipients: Sequence[str],
    *,
    opener: Opener = open_exclusive,
) -> Path:
    """Encrypt ``plaintext`` to ``recipients`` into ``folder``: written to ``*.partial``,
    fsynced, checked against our own header rules, then renamed. Returns the final
    path. On any error the partial file is removed and the error propagates."""
    final = folder / new_bundle_name()
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    try:
        with opener(partial) as out:
            encrypt_stream(plaintext, _FlushAhead(out), recipients)
            out.flush()
            os.fsync(out.fileno())
        with partial.open("rb") as check:
            prefix = check.read(MAX_HEADER_BYTES + 1)
        header = check_header(prefix, partial.stat().st_size)
        if header.x25519_count != len(recipients):
            raise AgeHeaderRefused("not_allowed", "the header does not match the recipients")
        partial.replace(final)
        fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):  # the folder may be gone (a removed USB stick)
            partial.unlink(missing_ok=True)
        raise
    return final


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

    # Optional: ``revision_decoded(entry, canonical, document)``, called instead of
    # ``revision`` with the document decoded from ``canonical`` (do not modify it).

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


def _check_revision(manifest: Manifest, entry: RecordEntry, data: bytes) -> dict[str, Any]:
    try:
        doc = decode_canonical(data)
    except ValueError as exc:
        raise BundleContentMismatch(f"{entry.member} is not canonical JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise BundleContentMismatch(f"{entry.member} is not a revision")
    form = doc.get("form")
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
    return doc


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
        # A sink may take each revision's document as the check decoded it (from
        # exactly these canonical bytes), instead of decoding them again.
        self._decoded: Callable[[RecordEntry, bytes, dict[str, Any]], None] | None = getattr(
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
