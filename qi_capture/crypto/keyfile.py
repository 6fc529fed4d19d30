"""The key file: Argon2id parameters plus the data key (DEK) wrapped under the passphrase,
an optional recovery wrap, and during a key rotation a second, pending DEK.

Format (JSON, sorted keys, two-space indent, UTF-8; schema_version 1)::

    {"format": "qi-capture-keyfile", "schema_version": 1, "profile_id": ..., "label": ...,
     "created": ..., "database_salt": b64,
     "kdf": {"algorithm": "argon2id", "memory_kib", "iterations", "lanes", "salt",
             "key_check"},
     "cipher": "aes-256-gcm",
     "recovery": null | {"kind": "age-x25519", "recipient": "age1..."},
     "slots": {"current": SLOT, "pending": null | SLOT},
     "checksum": "sha256:<hex>"}
    SLOT = {"key_id": hex, "nonce": b64, "wrapped_key": b64, "recovery_wrapped_key": b64|null}

How an edit is caught:
- the file must be byte-for-byte what `KeyFile.to_bytes` writes, and ``checksum`` (SHA-256
  of the canonical body) must match: any hand edit or bit rot -> `KeyFileTampered`;
- every ``wrapped_key`` is AES-GCM with the whole header (the document minus the wrapped
  keys and checksum) plus the slot name as associated data, so an edit that also fixes the
  checksum still fails the tag;
- ``key_check`` (HMAC of a constant under the KEK) tells a wrong passphrase (`WrongPassphrase`)
  from a right passphrase with an edited header (`KeyFileTampered`). Edits to the salt or
  cost parameters change the KEK itself and so can only show as a wrong passphrase (unless
  they go below the floor, `KeyFileWeakParameters`, or above the ceiling,
  `KeyFileExcessiveParameters`, both checked before any derivation); either way the file
  is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qi_capture.crypto import aead
from qi_capture.crypto.atomic import atomic_write_bytes
from qi_capture.crypto.errors import (
    KeyFileInvalid,
    KeyFileMissing,
    KeyFileTampered,
    RecoveryKeyMismatch,
    RecoveryNotAvailable,
    WrongPassphrase,
)
from qi_capture.crypto.kdf import KdfParams, check_params, derive_kek
from qi_capture.crypto.recovery import (
    RECOVERY_KIND,
    unwrap_with_identity,
    validate_recipient,
    wrap_to_recipient,
)
from qi_capture.crypto.secret import SecretBytes

FORMAT = "qi-capture-keyfile"
SCHEMA_VERSION = 1
MAX_FILE_BYTES = 64 * 1024
_KEY_CHECK_LABEL = b"qi-capture/key-check/v1"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyFileInvalid(f"{what} must be base64 text")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileInvalid(f"{what} is not valid base64") from exc


def _canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_check(kek: SecretBytes) -> bytes:
    return hmac.new(kek.reveal(), _KEY_CHECK_LABEL, hashlib.sha256).digest()


@dataclass(frozen=True)
class Slot:
    """One wrapped DEK. ``key_id`` is random, for logs and for matching slots."""

    key_id: str
    nonce: bytes
    wrapped_key: bytes
    recovery_wrapped_key: bytes | None

    def to_json(self, *, with_wrapped: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "key_id": self.key_id,
            "nonce": _b64(self.nonce),
            "recovery_wrapped_key": (
                None if self.recovery_wrapped_key is None else _b64(self.recovery_wrapped_key)
            ),
        }
        if with_wrapped:
            out["wrapped_key"] = _b64(self.wrapped_key)
        return out


@dataclass(frozen=True)
class KeyFile:
    profile_id: str
    label: str
    created: str
    database_salt: bytes
    kdf: KdfParams
    key_check: bytes
    recovery_recipient: str | None
    current: Slot
    pending: Slot | None = None
    cipher: str = field(default=aead.CIPHER_NAME)

    # -- serialisation -------------------------------------------------------------
    def _document(self, *, with_wrapped: bool) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "schema_version": SCHEMA_VERSION,
            "profile_id": self.profile_id,
            "label": self.label,
            "created": self.created,
            "database_salt": _b64(self.database_salt),
            "kdf": {
                "algorithm": "argon2id",
                "memory_kib": self.kdf.memory_kib,
                "iterations": self.kdf.iterations,
                "lanes": self.kdf.lanes,
                "salt": _b64(self.kdf.salt),
                "key_check": _b64(self.key_check),
            },
            "cipher": self.cipher,
            "recovery": (
                None
                if self.recovery_recipient is None
                else {"kind": RECOVERY_KIND, "recipient": self.recovery_recipient}
            ),
            "slots": {
                "current": self.current.to_json(with_wrapped=with_wrapped),
                "pending": (
                    None
                    if self.pending is None
                    else self.pending.to_json(with_wrapped=with_wrapped)
                ),
            },
        }

    def header_aad(self, slot_name: str) -> bytes:
        return _canonical(self._document(with_wrapped=False)) + b"\x00slot=" + slot_name.encode()

    def to_bytes(self) -> bytes:
        body = self._document(with_wrapped=True)
        body["checksum"] = "sha256:" + hashlib.sha256(_canonical(body)).hexdigest()
        return (json.dumps(body, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()

    def write(self, path: Path) -> None:
        atomic_write_bytes(path, self.to_bytes(), private=True)

    # -- unlocking -----------------------------------------------------------------
    def derive(self, passphrase: str) -> SecretBytes:
        """The KEK for ``passphrase``, or `WrongPassphrase`. Costs one Argon2id run."""
        kek = derive_kek(passphrase, self.kdf)
        if not hmac.compare_digest(key_check(kek), self.key_check):
            kek.wipe()
            raise WrongPassphrase()
        return kek

    def unwrap(self, kek: SecretBytes) -> tuple[SecretBytes, SecretBytes | None]:
        """(current DEK, pending DEK or None). A tag failure here means the header changed."""
        keys: list[SecretBytes] = []
        for name, slot in (("current", self.current), ("pending", self.pending)):
            if slot is None:
                continue
            try:
                keys.append(aead.unwrap(kek, slot.nonce, slot.wrapped_key, self.header_aad(name)))
            except aead.UnwrapFailed as exc:
                for k in keys:
                    k.wipe()
                raise KeyFileTampered(f"the {name} key slot does not match the header") from exc
        return keys[0], (keys[1] if len(keys) > 1 else None)

    def unwrap_recovery(self, identity: str) -> tuple[SecretBytes, SecretBytes | None]:
        if self.recovery_recipient is None or self.current.recovery_wrapped_key is None:
            raise RecoveryNotAvailable()
        current = unwrap_with_identity(self.current.recovery_wrapped_key, identity)
        pending = None
        if self.pending is not None and self.pending.recovery_wrapped_key is not None:
            try:
                pending = unwrap_with_identity(self.pending.recovery_wrapped_key, identity)
            except RecoveryKeyMismatch:
                pending = None
        return current, pending


def seal(
    *,
    profile_id: str,
    label: str,
    database_salt: bytes,
    kdf: KdfParams,
    kek: SecretBytes,
    current: SecretBytes,
    pending: SecretBytes | None = None,
    recovery_recipient: str | None = None,
    created: str | None = None,
    key_ids: tuple[str | None, str | None] = (None, None),
) -> KeyFile:
    """Build a key file wrapping ``current`` (and ``pending``) under ``kek``.

    Nonces and recovery wraps are made first because they are part of the header that
    every wrap authenticates.
    """
    check_params(kdf)
    recipient = None if recovery_recipient is None else validate_recipient(recovery_recipient)

    def blank(key: SecretBytes, key_id: str | None) -> Slot:
        return Slot(
            key_id=key_id or secrets.token_hex(8),
            nonce=aead.new_nonce(),
            wrapped_key=b"",
            recovery_wrapped_key=None if recipient is None else wrap_to_recipient(key, recipient),
        )

    draft = KeyFile(
        profile_id=profile_id,
        label=label,
        created=created or datetime.now(UTC).isoformat(timespec="seconds"),
        database_salt=database_salt,
        kdf=kdf,
        key_check=key_check(kek),
        recovery_recipient=recipient,
        current=blank(current, key_ids[0]),
        pending=None if pending is None else blank(pending, key_ids[1]),
    )
    wrapped_current = replace(
        draft.current,
        wrapped_key=aead.wrap(kek, draft.current.nonce, current, draft.header_aad("current")),
    )
    wrapped_pending = None
    if pending is not None and draft.pending is not None:
        wrapped_pending = replace(
            draft.pending,
            wrapped_key=aead.wrap(kek, draft.pending.nonce, pending, draft.header_aad("pending")),
        )
    return replace(draft, current=wrapped_current, pending=wrapped_pending)


# -- parsing ---------------------------------------------------------------------------
def _expect(obj: dict[str, Any], keys: set[str], what: str) -> None:
    if set(obj) != keys:
        missing = sorted(keys - set(obj))
        extra = sorted(set(obj) - keys)
        raise KeyFileInvalid(f"{what} has missing fields {missing} or unknown fields {extra}")


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise KeyFileInvalid(f"{what} must be an integer")
    return value


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise KeyFileInvalid(f"{what} must be text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, from a \\ud800 escape
        raise KeyFileInvalid(f"{what} is not valid Unicode text") from None
    return value


def _slot(value: object, name: str) -> Slot:
    if not isinstance(value, dict):
        raise KeyFileInvalid(f"slot {name} must be an object")
    _expect(value, {"key_id", "nonce", "wrapped_key", "recovery_wrapped_key"}, f"slot {name}")
    rwk = value["recovery_wrapped_key"]
    nonce = _unb64(value["nonce"], f"slot {name} nonce")
    if len(nonce) != aead.NONCE_BYTES:
        raise KeyFileInvalid(f"slot {name} nonce has the wrong length")
    return Slot(
        key_id=_str(value["key_id"], f"slot {name} key_id"),
        nonce=nonce,
        wrapped_key=_unb64(value["wrapped_key"], f"slot {name} wrapped_key"),
        recovery_wrapped_key=None if rwk is None else _unb64(rwk, f"slot {name} recovery key"),
    )


def parse(data: bytes) -> KeyFile:
    """Parse and check a key file's bytes. Refuses, in this order: not a key file
    (`KeyFileInvalid`), parameters below the floor (`KeyFileWeakParameters`) or above the
    ceiling (`KeyFileExcessiveParameters`), any
    difference from what this app wrote (`KeyFileTampered`)."""
    if len(data) > MAX_FILE_BYTES:
        raise KeyFileInvalid("the file is too large")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        # ValueError: not UTF-8, not JSON, or an integer too long to convert;
        # RecursionError: nested too deeply.
        raise KeyFileInvalid("it is not JSON") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise KeyFileInvalid("it is not a QI Capture key file")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise KeyFileInvalid(f"schema version {doc.get('schema_version')!r} is not supported")
    _expect(
        doc,
        {
            "format",
            "schema_version",
            "profile_id",
            "label",
            "created",
            "database_salt",
            "kdf",
            "cipher",
            "recovery",
            "slots",
            "checksum",
        },
        "the file",
    )
    kdf = doc["kdf"]
    if not isinstance(kdf, dict):
        raise KeyFileInvalid("kdf must be an object")
    _expect(kdf, {"algorithm", "memory_kib", "iterations", "lanes", "salt", "key_check"}, "kdf")
    if kdf["algorithm"] != "argon2id":
        raise KeyFileInvalid("only argon2id key derivation is supported")
    if doc["cipher"] != aead.CIPHER_NAME:
        raise KeyFileInvalid(f"cipher {doc['cipher']!r} is not supported")
    params = KdfParams(
        memory_kib=_int(kdf["memory_kib"], "kdf memory_kib"),
        iterations=_int(kdf["iterations"], "kdf iterations"),
        lanes=_int(kdf["lanes"], "kdf lanes"),
        salt=_unb64(kdf["salt"], "kdf salt"),
    )
    check_params(params)  # before any checksum: a downgrade gets its own, clearer error

    recovery = doc["recovery"]
    recipient = None
    if recovery is not None:
        if not isinstance(recovery, dict):
            raise KeyFileInvalid("recovery must be an object or null")
        _expect(recovery, {"kind", "recipient"}, "recovery")
        if recovery["kind"] != RECOVERY_KIND:
            raise KeyFileInvalid(f"recovery kind {recovery['kind']!r} is not supported")
        recipient = _str(recovery["recipient"], "recovery recipient")
    slots = doc["slots"]
    if not isinstance(slots, dict):
        raise KeyFileInvalid("slots must be an object")
    _expect(slots, {"current", "pending"}, "slots")

    keyfile = KeyFile(
        profile_id=_str(doc["profile_id"], "profile_id"),
        label=_str(doc["label"], "label"),
        created=_str(doc["created"], "created"),
        database_salt=_unb64(doc["database_salt"], "database_salt"),
        kdf=params,
        key_check=_unb64(kdf["key_check"], "kdf key_check"),
        recovery_recipient=recipient,
        current=_slot(slots["current"], "current"),
        pending=None if slots["pending"] is None else _slot(slots["pending"], "pending"),
    )
    body = {k: v for k, v in doc.items() if k != "checksum"}
    expected = "sha256:" + hashlib.sha256(_canonical(body)).hexdigest()
    checksum = doc["checksum"]
    if not isinstance(checksum, str) or not hmac.compare_digest(
        checksum.encode("utf-8", "surrogatepass"), expected.encode("ascii")
    ):
        raise KeyFileTampered("its checksum does not match its contents")
    if keyfile.to_bytes() != data:
        raise KeyFileTampered("its layout differs from what this app writes")
    return keyfile


def read(path: Path) -> KeyFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise KeyFileMissing(str(path)) from exc
    return parse(data)
