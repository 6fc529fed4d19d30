"""Errors raised by key derivation, key files, recovery and signing.

Each carries a stable ``code`` the UI and CLI map to a message; ``params`` never hold a
passphrase, a key or anything derived from one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from qi_capture.errors import QICaptureError


class CryptoError(QICaptureError):
    code = "crypto_error"


class WrongPassphrase(CryptoError):
    code = "wrong_passphrase"

    def __init__(self) -> None:
        super().__init__("The passphrase is not correct for this profile.")


class WeakPassphrase(CryptoError):
    """A new passphrase failed the rules; ``reason`` says which one."""

    code = "weak_passphrase"

    def __init__(self, message: str, *, reason: str, **feedback: Any) -> None:
        # ``feedback``: the estimator's score, warning and suggestions, for the UI.
        super().__init__(message, reason=reason, **feedback)


class KeyFileMissing(CryptoError):
    code = "key_file_missing"

    def __init__(self, path: str) -> None:
        super().__init__(
            f"The key file {path} is missing; the profile cannot be opened.", path=path
        )


class KeyFileInvalid(CryptoError):
    """Not a key file this app understands (bad JSON, wrong shape, unsupported version)."""

    code = "key_file_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The key file is not valid: {detail}.", detail=detail)


class KeyFileTampered(CryptoError):
    code = "key_file_tampered"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The key file has been changed since this app wrote it ({detail}); "
            "it is refused. Restore it from a backup copy.",
            detail=detail,
        )


class KeyFileWeakParameters(CryptoError):
    code = "key_file_weak_parameters"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The key file asks for key-derivation settings below the minimum ({detail}); "
            "it is refused.",
            detail=detail,
        )


class KeyFileExcessiveParameters(CryptoError):
    """Key-derivation settings above the ceiling: never written by this app (an edited
    file that would make unlocking take minutes or exhaust memory)."""

    code = "key_file_excessive_parameters"

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The key file asks for key-derivation settings above the maximum ({detail}); "
            "it is not a key file this app writes, so it is refused before any key is "
            "derived. Restore it from a backup copy.",
            detail=detail,
        )


class RecoveryNotAvailable(CryptoError):
    code = "recovery_not_available"

    def __init__(self) -> None:
        super().__init__("This profile was created without a recovery key.")


class RecoveryKeyInvalid(CryptoError):
    code = "recovery_key_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The recovery key is not usable: {detail}.", detail=detail)


class RecoveryKeyMismatch(CryptoError):
    code = "recovery_key_mismatch"

    def __init__(self) -> None:
        super().__init__("This recovery key does not open this profile.")


class SigningKeyInvalid(CryptoError):
    code = "signing_key_invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(f"The signing key is not valid: {detail}.", detail=detail)


class ChunkedFileInvalid(CryptoError):
    """An encrypted attachment file (`qi_capture.crypto.chunked`) was refused; nothing
    from it past the last authenticated chunk was returned. ``reason`` is one of
    ``not_this_format``, ``unsupported_version``, ``bad_header``, ``truncated``,
    ``trailing_data``, ``authentication_failed`` (changed, or sealed with another key or
    for another attachment: the two cannot be told apart)."""

    code = "chunked_file_invalid"

    _MESSAGES: ClassVar[dict[str, str]] = {
        "not_this_format": "it is not an encrypted attachment file",
        "unsupported_version": "it was written in a format version this app does not read",
        "bad_header": "its header is damaged",
        "truncated": "it has been cut short",
        "trailing_data": "it has data after its end",
        "authentication_failed": (
            "it does not authenticate: it was changed or damaged, or it is another "
            "attachment's file"
        ),
    }

    def __init__(self, reason: str, *, chunk: int | None = None) -> None:
        detail = self._MESSAGES.get(reason, reason)
        where = "" if chunk is None else f" (chunk {chunk})"
        super().__init__(f"The encrypted file is refused: {detail}{where}.", reason=reason,
                         chunk=chunk)
