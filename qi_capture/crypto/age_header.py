"""Our own check of an age v1 header, run before any byte reaches the decryptor.

age (and pyrage/rage) accepts any well-formed header: scrypt stanzas with a costly work
factor, plugin stanzas, any number of recipients, a header of any length. A bundle comes
from a USB stick or a shared drive, so before pyrage sees it we insist on exactly what
our writer produces:

- the version line ``age-encryption.org/v1``, ``\\n`` line endings only (no CR);
- 1 to `MAX_STANZAS` stanzas, each ``-> TYPE ARGS...`` with non-empty printable
  arguments and a canonical, unpadded base64 body in 64-column lines whose last line is
  shorter than 64 (possibly empty);
- every stanza is ``X25519`` (one argument: a canonical base64 32-byte share; a 32-byte
  body: the wrapped 16-byte file key plus its tag), except that at most one *grease*
  stanza (type ``...-grease``, body at most `MAX_GREASE_BODY` bytes) is allowed: rage
  adds one to every file it writes (grease exists so parsers keep ignoring unknown
  types; every age implementation must skip it), so without this we could not read our
  own bundles;
- the MAC line ``--- `` + canonical base64 of 32 bytes;
- the header fits in `MAX_HEADER_BYTES`, and the file in the caller's size limit.

Anything else raises `AgeHeaderRefused` with a ``reason``: ``incomplete`` (the file ends
inside the header: truncated), ``too_large``, ``malformed`` or ``not_allowed``.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from qi_capture.crypto.errors import CryptoError

VERSION_LINE = b"age-encryption.org/v1"
MAX_HEADER_BYTES = 4096
MAX_STANZAS = 4
MAX_GREASE_BODY = 128
MAX_GREASE_ARGS = 8
BODY_COLUMNS = 64
X25519_TYPE = "X25519"
#: STREAM: 16-byte nonce, then 64 KiB chunks each followed by a 16-byte Poly1305 tag.
NONCE_BYTES = 16
CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16
SEALED_CHUNK_BYTES = CHUNK_BYTES + TAG_BYTES

_ARG = re.compile(rb"[\x21-\x7e]+")
_B64 = re.compile(rb"[A-Za-z0-9+/]*")
_GREASE_TYPE = re.compile(r"[\x21-\x7e]{1,32}-grease")


class AgeHeaderRefused(CryptoError):
    code = "age_header_refused"

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"The age header is refused ({reason}): {detail}.", reason=reason,
                         detail=detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Stanza:
    type: str
    args: tuple[str, ...]
    body: bytes


@dataclass(frozen=True)
class AgeHeader:
    """A checked header. ``length`` counts every byte up to and including the MAC line's
    newline: the STREAM nonce starts there."""

    length: int
    stanzas: tuple[Stanza, ...]
    mac: bytes

    @property
    def x25519_count(self) -> int:
        return sum(1 for s in self.stanzas if s.type == X25519_TYPE)


def _canonical_b64(text: bytes, what: str) -> bytes:
    """Decode unpadded base64, refusing anything that does not re-encode to itself
    (padding, stray bits in the last character, characters outside the alphabet)."""
    if _B64.fullmatch(text) is None:
        raise AgeHeaderRefused("malformed", f"{what} is not base64")
    try:
        raw = base64.b64decode(text + b"=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AgeHeaderRefused("malformed", f"{what} is not valid base64") from exc
    if base64.b64encode(raw).rstrip(b"=") != text:
        raise AgeHeaderRefused("malformed", f"{what} is not canonical base64")
    return raw


def _lines(prefix: bytes, file_size: int) -> tuple[list[bytes], int]:
    """The header's lines (without newlines) and its length, from the file's first bytes."""
    end = prefix.find(b"\n--- ", 0, MAX_HEADER_BYTES)
    if end < 0:
        if file_size < MAX_HEADER_BYTES and len(prefix) >= file_size:
            raise AgeHeaderRefused("incomplete", "the file ends inside the header")
        raise AgeHeaderRefused("too_large", f"no end of header within {MAX_HEADER_BYTES} bytes")
    mac_end = prefix.find(b"\n", end + 1, MAX_HEADER_BYTES + 1)
    if mac_end < 0:
        if len(prefix) >= file_size:
            raise AgeHeaderRefused("incomplete", "the file ends inside the header's MAC line")
        raise AgeHeaderRefused("too_large", f"the header is longer than {MAX_HEADER_BYTES} bytes")
    length = mac_end + 1
    if length > MAX_HEADER_BYTES:
        raise AgeHeaderRefused("too_large", f"the header is longer than {MAX_HEADER_BYTES} bytes")
    if b"\r" in prefix[:length]:
        raise AgeHeaderRefused("malformed", "the header contains a carriage return")
    return prefix[:mac_end].split(b"\n"), length


def _stanza(lines: list[bytes], i: int) -> tuple[Stanza, int]:
    parts = lines[i][3:].split(b" ")
    if not parts or any(_ARG.fullmatch(p) is None for p in parts):
        raise AgeHeaderRefused("malformed", f"stanza line {i + 1} has an empty or invalid argument")
    body_lines: list[bytes] = []
    i += 1
    while True:
        if i >= len(lines) or lines[i].startswith((b"-> ", b"--- ")):
            raise AgeHeaderRefused(
                "malformed", f"stanza before line {i + 1} has no final body line"
            )
        line = lines[i]
        if len(line) > BODY_COLUMNS:
            raise AgeHeaderRefused("malformed", f"body line {i + 1} is longer than 64 columns")
        body_lines.append(line)
        i += 1
        if len(line) < BODY_COLUMNS:
            break
    body = _canonical_b64(b"".join(body_lines), f"stanza body ending on line {i}")
    decoded = tuple(p.decode("ascii") for p in parts)
    return Stanza(decoded[0], decoded[1:], body), i


def _check_stanza(stanza: Stanza) -> None:
    if stanza.type == X25519_TYPE:
        if len(stanza.args) != 1:
            raise AgeHeaderRefused("malformed", "an X25519 stanza must have exactly one argument")
        share = _canonical_b64(stanza.args[0].encode("ascii"), "the X25519 share")
        if len(share) != 32:
            raise AgeHeaderRefused("malformed", "the X25519 share is not 32 bytes")
        if len(stanza.body) != 32:
            raise AgeHeaderRefused("malformed", "the X25519 wrapped key is not 32 bytes")
        return
    if _GREASE_TYPE.fullmatch(stanza.type) is not None:
        if len(stanza.args) > MAX_GREASE_ARGS or len(stanza.body) > MAX_GREASE_BODY:
            raise AgeHeaderRefused("not_allowed", "the grease stanza is larger than allowed")
        return
    raise AgeHeaderRefused("not_allowed", f"stanza type {stanza.type!r} is not allowed")


def check_header(prefix: bytes, file_size: int) -> AgeHeader:
    """Check the header at the start of ``prefix`` (the file's first bytes: at least
    `MAX_HEADER_BYTES + 1` of them, or the whole file if shorter)."""
    if not prefix.startswith(VERSION_LINE + b"\n"):
        if len(prefix) < len(VERSION_LINE) + 1 and VERSION_LINE.startswith(prefix):
            raise AgeHeaderRefused("incomplete", "the file ends inside the version line")
        raise AgeHeaderRefused("malformed", "it does not start with the age v1 version line")
    lines, length = _lines(prefix, file_size)
    stanzas: list[Stanza] = []
    i = 1
    while i < len(lines) - 1:  # the last line is the MAC line
        if not lines[i].startswith(b"-> "):
            raise AgeHeaderRefused("malformed", f"line {i + 1} is not a stanza")
        stanza, i = _stanza(lines, i)
        stanzas.append(stanza)
        if len(stanzas) > MAX_STANZAS:
            raise AgeHeaderRefused("not_allowed", f"more than {MAX_STANZAS} stanzas")
    mac_line = lines[-1]
    if len(mac_line) != 4 + 43:
        raise AgeHeaderRefused("malformed", "the MAC line is not 43 base64 characters")
    mac = _canonical_b64(mac_line[4:], "the header MAC")
    if not stanzas:
        raise AgeHeaderRefused("malformed", "the header has no stanza")
    for stanza in stanzas:
        _check_stanza(stanza)
    header = AgeHeader(length, tuple(stanzas), mac)
    if header.x25519_count == 0:
        raise AgeHeaderRefused("not_allowed", "no X25519 stanza")
    if len(stanzas) - header.x25519_count > 1:
        raise AgeHeaderRefused("not_allowed", "more than one grease stanza")
    return header


def payload_shape(header: AgeHeader, file_size: int) -> tuple[int, int]:
    """(whole sealed chunks, bytes in a last partial chunk) of the payload after the
    nonce. Raises ``incomplete`` if the file is too short for a nonce and one tag."""
    after_nonce = file_size - header.length - NONCE_BYTES
    if after_nonce < TAG_BYTES:
        raise AgeHeaderRefused("incomplete", "the file ends before the first payload chunk")
    return divmod(after_nonce, SEALED_CHUNK_BYTES)
