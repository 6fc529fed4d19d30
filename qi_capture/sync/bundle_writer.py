"""Writing bundle files: the members as a strict ustar stream, encrypted to the study's
recipients into a partial file, checked, synced and renamed into place. The format
is described in `qi_capture.sync.bundle_verifier`."""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from qi_capture.crypto.age_header import (
    CHUNK_BYTES,
    MAX_HEADER_BYTES,
    AgeHeaderRefused,
    check_header,
)
from qi_capture.crypto.atomic import atomic_writer
from qi_capture.crypto.envelope import (
    Readable,
    encrypt_stream,
)
from qi_capture.storage.canonical import sha256_hex
from qi_capture.sync import ustar
from qi_capture.sync.bundle_format import (
    BUNDLE_SUFFIX,
    PARTIAL_SUFFIX,
)
from qi_capture.sync.errors import (
    SyncError,
)
from qi_capture.sync.manifest import (
    MANIFEST_MEMBER,
    SIGNATURE_MEMBER,
    Manifest,
)


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
    # The partial file is removed on any error (quietly if the folder is gone: a
    # removed USB stick).
    with atomic_writer(final, temp=partial, opener=opener) as out:
        encrypt_stream(plaintext, _FlushAhead(out), recipients)
        out.flush()
        with partial.open("rb") as check:
            prefix = check.read(MAX_HEADER_BYTES + 1)
        header = check_header(prefix, partial.stat().st_size)
        if header.x25519_count != len(recipients):
            raise AgeHeaderRefused("not_allowed", "the header does not match the recipients")
    return final


