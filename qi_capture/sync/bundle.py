"""Bundle files: a signed tar stream inside an age v1 file. Writing and verifying, both
streaming (memory flat in the bundle's size), neither touching disk beyond the bundle.

Plaintext layout (a POSIX ustar stream, read with `tarfile` in stream mode ``"r|"`` and
never extracted): ``manifest.json`` (canonical JSON, see `qi_capture.sync.manifest`),
``manifest.sig`` (64-byte Ed25519 signature by the device), then every revision
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
import json
import os
import secrets
import tarfile
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
    DecryptingReader,
    Readable,
    encrypt_stream,
    recipient_fingerprint,
    recipient_of,
)
from qi_capture.storage.canonical import sha256_hex
from qi_capture.sync.errors import (
    BundleBadSignature,
    BundleContentMismatch,
    BundleHeaderTampered,
    BundleMalformed,
    BundleNotAddressed,
    BundleNotAge,
    BundlePayloadTampered,
    BundleRecipientsMismatch,
    BundleRefused,
    BundleRevokedDevice,
    BundleTooLarge,
    BundleTrailingBytes,
    BundleTruncated,
    BundleUnknownDevice,
    BundleWrongStudy,
    SyncError,
)
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
MAX_REVISION_BYTES = 16 * 1024 * 1024
MAX_PARADATA_BYTES = 64 * 1024 * 1024
REVISION_TYPE = "qi-capture.revision"
_BLOCK = 512
_READ = 64 * 1024


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


class TarStream:
    """A ustar stream produced lazily as it is read (``read(n)``), padded with zeros to a
    whole number of 64 KiB. Sizes and hashes are checked as the bytes go past."""

    def __init__(self, members: Iterable[Member]) -> None:
        self._parts = self._generate(members)
        self._piece = b""  # the part being read out, from ``self._at``
        self._at = 0
        self.size = 0

    @staticmethod
    def _header(name: str, size: int) -> bytes:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        info.mtime = 0
        info.type = tarfile.REGTYPE
        return info.tobuf(format=tarfile.USTAR_FORMAT, encoding="utf-8", errors="strict")

    def _generate(self, members: Iterable[Member]) -> Iterator[bytes]:
        total = 0
        for member in members:
            header = self._header(member.name, member.size)
            total += len(header)
            yield header
            digest, count = hashlib.sha256(), 0
            for piece in member.pieces():
                count += len(piece)
                if count > member.size:
                    raise BundleSourceChanged(member.name)
                digest.update(piece)
                total += len(piece)
                yield piece
            if count != member.size or digest.hexdigest() != member.sha256:
                raise BundleSourceChanged(member.name)
            pad = -count % _BLOCK
            total += pad
            yield bytes(pad)
        end = 2 * _BLOCK
        end += -(total + end) % CHUNK_BYTES
        yield bytes(end)

    def read(self, size: int = -1, /) -> bytes:
        # Slices of the current part, joined only when a read spans parts: one copy of
        # each byte on the way to the encrypter (pyrage reads 8 KiB at a time).
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
) -> list[Member]:
    """The members of a bundle in order. ``revisions`` maps revision id -> canonical JSON
    bytes and paradata member name -> its lines, ``attachments`` attachment id -> a
    function yielding its bytes."""
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
        members.append(Member(att.member, att.size, att.sha256, attachments[att.attachment_id]))
    return members


Opener = Callable[[Path], BinaryIO]


def open_exclusive(path: Path) -> BinaryIO:
    return path.open("xb")


def new_bundle_name() -> str:
    """A random file name: it says nothing about the person, device, study or content."""
    return secrets.token_hex(16) + BUNDLE_SUFFIX


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
            encrypt_stream(plaintext, out, recipients)
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

    def attachment(self, entry: AttachmentEntry, pieces: Iterator[bytes]) -> None:
        """Must consume ``pieces`` to the end (or not at all: the reader drains it)."""
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


class _Reader:
    """Reads a tar member's bytes in pieces, hashing them."""

    def __init__(self, tar: tarfile.TarFile, member: tarfile.TarInfo) -> None:
        file = tar.extractfile(member)
        if file is None:
            raise BundleMalformed(f"{member.name} is not a regular file")
        self._file = file
        self.digest = hashlib.sha256()

    def pieces(self) -> Iterator[bytes]:
        while piece := self._file.read(_READ):
            self.digest.update(piece)
            yield piece

    def read_all(self, limit: int, name: str) -> bytes:
        data = bytearray()
        for piece in self.pieces():
            data += piece
            if len(data) > limit:
                raise BundleMalformed(f"{name} is larger than allowed")
        return bytes(data)


def _next_member(tar: tarfile.TarFile, expected: str) -> tarfile.TarInfo:
    member = tar.next()
    if member is None:
        raise BundleContentMismatch(f"{expected} is listed but missing")
    if member.name != expected:
        raise BundleContentMismatch(f"found {member.name!r} where {expected!r} belongs")
    if not member.isreg():
        raise BundleMalformed(f"{expected} is not a regular file")
    return member


def _no_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def _check_revision(manifest: Manifest, entry: RecordEntry, data: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
        # The same canonical form as storage.canonical (which also checks every value's
        # type, needless after json.loads), at a fraction of the cost.
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                               allow_nan=False).encode("utf-8")
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BundleContentMismatch(f"{entry.member} is not JSON") from exc
    if canonical != data:
        raise BundleContentMismatch(f"{entry.member} is not canonical JSON")
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
    if (min(seqs), max(seqs)) != (manifest.sequence_first, manifest.sequence_last):
        raise BundleContentMismatch("the sequence range does not match the records")
    for r in manifest.records:
        if r.sha256 != r.revision_id:
            raise BundleContentMismatch(f"{r.member}: the hash is not the revision id")
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


def _read_content(
    tar: tarfile.TarFile,
    header: AgeHeader,
    *,
    study_id: str,
    own_fingerprint: str,
    devices: Mapping[str, KnownDevice],
    sink: BundleSink | None,
) -> tuple[Manifest, KnownDevice]:
    first = _next_member(tar, MANIFEST_MEMBER)
    if first.size > MAX_MANIFEST_BYTES:
        raise BundleMalformed("the manifest is larger than allowed")
    manifest_bytes = _Reader(tar, first).read_all(MAX_MANIFEST_BYTES, MANIFEST_MEMBER)
    manifest = parse_manifest(manifest_bytes)
    sig_member = _next_member(tar, SIGNATURE_MEMBER)
    signature = _Reader(tar, sig_member).read_all(signing.SIGNATURE_BYTES, SIGNATURE_MEMBER)
    if manifest.study_id != study_id:
        raise BundleWrongStudy(manifest.study_id, study_id)
    if len(manifest.device_public_key) != signing.KEY_BYTES or signing.fingerprint(
        manifest.device_public_key
    ) != manifest.device_key_fingerprint:
        raise BundleMalformed("the device key does not match its fingerprint")
    device = devices.get(manifest.device_key_fingerprint)
    if device is None:
        raise BundleUnknownDevice(
            manifest.device_key_fingerprint,
            manifest.device_id,
            base64.b64encode(manifest.device_public_key).decode("ascii"),
        )
    if device.revoked:
        raise BundleRevokedDevice(manifest.device_key_fingerprint)
    if len(signature) != signing.SIGNATURE_BYTES or not signing.verify(
        device.public_key, signed_message(manifest_bytes), signature
    ):
        raise BundleBadSignature(manifest.device_key_fingerprint)
    _check_manifest_shape(manifest, header, own_fingerprint)
    if sink is not None:
        sink.manifest(manifest)
    # A sink may take each revision's document as the check above decoded it (from
    # exactly these canonical bytes), instead of decoding them again.
    decoded: Callable[[RecordEntry, bytes, dict[str, Any]], None] | None = getattr(
        sink, "revision_decoded", None
    )
    for record in manifest.records:
        member = _next_member(tar, record.member)
        if member.size != record.size:
            raise BundleContentMismatch(f"{record.member} has the wrong size")
        reader = _Reader(tar, member)
        data = reader.read_all(MAX_REVISION_BYTES, record.member)
        if reader.digest.hexdigest() != record.sha256:
            raise BundleContentMismatch(f"{record.member} does not match its SHA-256")
        doc = _check_revision(manifest, record, data)
        if decoded is not None:
            decoded(record, data, doc)
        elif sink is not None:
            sink.revision(record, data)
    for para in manifest.paradata:
        member = _next_member(tar, para.member)
        if member.size != para.size:
            raise BundleContentMismatch(f"{para.member} has the wrong size")
        reader = _Reader(tar, member)
        data = reader.read_all(MAX_PARADATA_BYTES, para.member)
        if reader.digest.hexdigest() != para.sha256:
            raise BundleContentMismatch(f"{para.member} does not match its SHA-256")
        try:
            events = parse_paradata(para, data)
        except ValueError as exc:
            raise BundleContentMismatch(f"{para.member}: {exc}") from None
        if sink is not None:
            sink.paradata(para, events)
    for att in manifest.attachments:
        member = _next_member(tar, att.member)
        if member.size != att.size:
            raise BundleContentMismatch(f"{att.member} has the wrong size")
        reader = _Reader(tar, member)
        pieces = reader.pieces()
        if sink is not None:
            sink.attachment(att, pieces)
        for _rest in pieces:
            pass
        if reader.digest.hexdigest() != att.sha256:
            raise BundleContentMismatch(f"{att.member} does not match its SHA-256")
    extra = tar.next()
    if extra is not None:
        raise BundleContentMismatch(f"{extra.name!r} is not listed in the manifest")
    return manifest, device


def verify_bundle(
    source: BinaryIO,
    *,
    study_id: str,
    identity: str,
    devices: Mapping[str, KnownDevice],
    sink: BundleSink | None = None,
    max_bytes: int = MAX_BUNDLE_BYTES,
) -> BundleSummary:
    """Decrypt and check a whole bundle (see the module docstring) without writing
    anything anywhere. Raises a `BundleRefused` subclass naming the first problem."""
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
    own_fingerprint = recipient_fingerprint(recipient_of(identity))
    reader = DecryptingReader(source, identity)
    try:
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
                manifest, device = _read_content(
                    tar, header, study_id=study_id, own_fingerprint=own_fingerprint,
                    devices=devices, sink=sink,
                )
            while rest := reader.read(_READ):  # to EOF: age's final chunk must authenticate
                if rest.count(0) != len(rest):
                    raise BundleMalformed("there is data after the end of the archive")
        except tarfile.TarError as exc:
            raise BundleMalformed(f"the archive is damaged: {exc}") from None
    except AgeDecryptFailed as exc:
        raise _refuse_decrypt(exc, partial_chunk, reader.authenticated) from None
    finally:
        reader.close()
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
) -> BundleSummary:
    """`verify_bundle` on a file opened read-only."""
    with path.open("rb") as f:
        return verify_bundle(
            f, study_id=study_id, identity=identity, devices=devices, max_bytes=max_bytes
        )
