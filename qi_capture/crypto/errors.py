"""Errors raised by key derivation, key files, recovery and signing.

Each carries a stable ``code`` the UI and CLI map to a message; ``params`` never hold a
passphrase, a key or anything derived from one.
"""

from __future__ import annotations

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

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, reason=reason)


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
