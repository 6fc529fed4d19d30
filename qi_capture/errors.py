"""One error hierarchy for the whole core.

Every error a user can cause is a `QICaptureError` with a stable machine-readable
``code`` and the ``params`` that explain it, so the UI can map codes to translated
messages and the CLI can print JSON. ``str(error)`` is the English message.
"""

from __future__ import annotations

from typing import Any


class QICaptureError(Exception):
    """Base class of every error the core raises on purpose."""

    code: str = "error"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params: dict[str, Any] = params

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.params}
