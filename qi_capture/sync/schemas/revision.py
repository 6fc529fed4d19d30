"""The revision document (schema 1): one revision of one record, as a declared schema.

Written by the laptop when a record is finalised (`qi_capture.storage.records`) or
erased (`qi_capture.storage.erasure`), and at the centre when a conflict is resolved
(`qi_capture.central.conflicts`) or a record erased (`qi_capture.central.erasure`)::

    {"type": "qi-capture.revision", "schema": 1, "record_id": UUID,
     "form": {"study_id": str, "form_id": str, "version": str, "sha256": hex | ""},
     "parents": [revision id, ...], "device_id": UUID, "device_seq": int,
     "created": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "interviewer": str,
     "instance_name": str | null, "answers": {path: JSON value},
     "deleted": true,                                            # optional
     "resolution": {"conflict": hex, "reason": str,             # optional: the centre's
                    "kept": revision id | null, "by": str},      # resolution of a conflict
     "erasure": {"by": str, "reason": str,                      # optional: consent
                 "origin": "laptop" | "centre"}}                 # withdrawn

Every writer has always written every field but the optional three. A form's hash is
empty in the demonstration data (`qi_capture.services.admin.demo`), whose records a
conflict resolution or an erasure at the centre copies the form from. The answers are
the form engine's business: here only a mapping of path to JSON value.

The ids are read as `uuid.UUID` (what the merge stores); the bundle reader holds them
to the manifest's exact text. Readers: `qi_capture.sync.bundle_verifier` (against the
manifest) and `qi_capture.central.merge.parse_revision` (the columns, and an erasure's
rules, which span fields: `erasure_problem`).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import msgspec

from qi_capture.sync.schemas.fields import Hex64, Seq, Text, Time
from qi_capture.sync.schemas.refusal import Refusal, describe

REVISION_TYPE = "qi-capture.revision"
#: The form's hash: SHA-256 hex, or empty (the demonstration data).
FormHash = Annotated[str, msgspec.Meta(pattern=r"^(?:[0-9a-f]{64})?$")]


# gc=False: a revision holds only its own values, never a cycle; tens of thousands
# are read in a merge, and untracked structs cost the collector nothing.
class FormRef(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    study_id: Text
    form_id: Text
    version: Text
    sha256: FormHash


class Resolution(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    conflict: Hex64
    reason: str
    kept: Hex64 | None
    by: str


class Erasure(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False):
    by: str
    reason: str
    origin: Literal["laptop", "centre"]


# omit_defaults: a revision turned back into plain JSON (`decode_canonical_revision`)
# holds its optional fields only when the document does.
class Revision(msgspec.Struct, forbid_unknown_fields=True, frozen=True, gc=False,
               omit_defaults=True):
    type: Literal["qi-capture.revision"]
    schema: Seq
    record_id: uuid.UUID
    form: FormRef
    parents: list[Hex64]
    device_id: uuid.UUID
    device_seq: Seq
    created: Time
    interviewer: str
    instance_name: str | None
    answers: dict[str, Any]
    deleted: bool = False
    resolution: Resolution | None = None
    erasure: Erasure | None = None


#: Decodes revision text straight into a `Revision`.
DECODER = msgspec.json.Decoder(Revision)


class _FloatSeen(Exception):
    """Raised by the fast decoder's float hook: the fast path does not handle floats."""


def _no_float(_text: str) -> float:
    raise _FloatSeen()


_FAST = msgspec.json.Decoder(Revision, float_hook=_no_float)
_SORTED = msgspec.json.Encoder(order="sorted")


def decode_canonical_revision(data: bytes) -> Revision | None:
    """The `Revision` whose canonical JSON is exactly ``data``, found by msgspec alone
    (one decode instead of `qi_capture.storage.canonical.decode_canonical`'s two passes
    and a conversion); None when this path cannot tell, and the caller takes the exact
    one, which also words any refusal.

    The revision is written again by msgspec with sorted keys (fields left at their
    default omitted, as the writers omit them): for text, whole numbers and structure
    msgspec writes exactly what `canonical_json` writes (the premise of this path, held
    by a test over every code point), so bytes equal to those are the canonical JSON of
    the value they decode to. A float (written differently by different writers) or
    any difference goes the exact way."""
    try:
        revision = _FAST.decode(data)
    except (_FloatSeen, msgspec.DecodeError):
        return None
    return revision if _SORTED.encode(revision) == data else None

ERASURE_SHAPE = "an erasure revision is a deletion with no answers"
ERASURE_NAMES = "an erasure revision names who erased it and why"


def erasure_problem(revision: Revision) -> str | None:
    """What is wrong with an erasure revision across its fields (None: nothing, or it
    is not an erasure)."""
    if revision.erasure is not None and (not revision.deleted or revision.answers):
        return ERASURE_SHAPE
    return None


def _erasure_problem(problem: Refusal) -> str:
    field = problem.path[1] if len(problem.path) > 1 else None
    if problem.kind == "missing":
        field = problem.detail.rpartition(" ")[2].strip("`")
    if field in ("by", "reason"):
        return f"ValueError: {ERASURE_NAMES}"
    if field is None and problem.kind != "unknown":  # not an object
        return f"ValueError: {ERASURE_SHAPE}"
    return describe(problem)


def revision_problem(problem: Refusal, doc: object) -> str:
    """Why a revision is not one, in the words the merge has always used (``doc``: the
    revision as plain JSON, to check first what was always checked first): a fixed
    reason for the type, the form and parents, an erasure; the field for the rest."""
    if not isinstance(doc, dict) or doc.get("type") != REVISION_TYPE:
        return "not a qi-capture revision"
    if "form" in doc and (not isinstance(doc["form"], dict)
                          or not isinstance(doc.get("parents", []), list)):
        return "form or parents malformed"
    path = problem.path
    if path[:1] == ("erasure",):
        return _erasure_problem(problem)
    if problem.kind == "missing":
        return f"KeyError: {problem.detail.rpartition(' ')[2].strip('`')!r}"
    return describe(problem)
