"""The field types the documents share: exact text patterns and bounded numbers."""

from __future__ import annotations

from typing import Annotated

import msgspec

#: Counts and sizes are kept in SQLite INTEGER columns: nothing beyond them is meaningful.
MAX_INT = 2**63 - 1
#: Free text in a document (a study id, an attachment's name or media type, a version).
MAX_TEXT = 4096

Hex64 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
# Exactly the text ``str(uuid.UUID(...))`` gives: lower case, hyphenated.
Uuid = Annotated[
    str, msgspec.Meta(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_INT)]
Seq = Annotated[int, msgspec.Meta(ge=1, le=MAX_INT)]
Text = Annotated[str, msgspec.Meta(max_length=MAX_TEXT)]
Time = Annotated[str, msgspec.Meta(pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")]
DeviceFingerprint = Annotated[str, msgspec.Meta(pattern=r"^ed25519:[0-9a-f]{64}$")]
RecipientFingerprint = Annotated[str, msgspec.Meta(pattern=r"^age-x25519:[0-9a-f]{64}$")]


class Strict(msgspec.Struct, forbid_unknown_fields=True):
    """Unknown fields refused: a document holds exactly what its schema declares."""


