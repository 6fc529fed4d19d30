"""Moving records from one study's form version to another's: how records made in a study
without a study pack (the built-in sample study, forms added on the laptop) join the
pack's study once it is installed, so that no record is stranded on the laptop.

A revision names its study and form inside its canonical JSON, and its id is the hash of
that JSON, so moving a record rewrites its revisions: the same answers, device sequence
numbers, times and authorship under the new form, each with the id of its new content
and its parents mapped to their new ids. That is only sound for revisions that never
left the laptop, which is the case for every record of a study without a pack (such a
study has no bundle recipients, so sync never sends it); a record with a revision marked
sent is left where it is. Drafts, paradata and attachments hang off the record id and
move with it unchanged. All records move in one transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from qi_capture.storage.canonical import JsonValue, canonical_json, dumps, loads, revision_id
from qi_capture.storage.database import Database
from qi_capture.storage.errors import FormVersionNotFound
from qi_capture.storage.models import FormVersionRow, RecordRow, RevisionRow, SyncRevisionRow


class Relocation:
    """`Store.relocation`: counting and moving records between form versions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def count_records(self, form_version_ids: set[int]) -> int:
        """How many records use one of these form versions."""
        return count_records(self._db, form_version_ids)

    def move_records(self, moves: Mapping[int, int]) -> list[uuid.UUID]:
        """See `move_records`."""
        return move_records(self._db, moves)


def count_records(db: Database, form_version_ids: set[int]) -> int:
    """How many records use one of these form versions."""
    if not form_version_ids:
        return 0
    with db.read() as s:
        return int(s.scalar(
            select(func.count()).select_from(RecordRow)
            .where(RecordRow.form_version_id.in_(sorted(form_version_ids)))
        ) or 0)


def move_records(db: Database, moves: Mapping[int, int]) -> list[uuid.UUID]:
    """Move every record of each form version ``old`` to form version ``moves[old]``,
    rewriting its revisions (see the module docstring). Returns the ids of the records
    moved, in one transaction; records with a revision already sent stay."""
    moved: list[uuid.UUID] = []
    with db.write() as s:
        for old_id, new_id in moves.items():
            if old_id == new_id:
                continue
            target = s.get(FormVersionRow, new_id)
            if target is None or s.get(FormVersionRow, old_id) is None:
                raise FormVersionNotFound(str(new_id if target is None else old_id))
            form: JsonValue = {
                "study_id": target.study_id,
                "form_id": target.form_id,
                "version": target.version,
                "sha256": target.sha256,
            }
            records = s.scalars(
                select(RecordRow).where(RecordRow.form_version_id == old_id)
                .order_by(RecordRow.created, RecordRow.id)
            ).all()
            for record in records:
                if _was_sent(s, record.id):
                    continue
                _rewrite_revisions(s, record, form)
                record.form_version_id = new_id
                moved.append(record.id)
    return moved


def _was_sent(s: Session, record_id: uuid.UUID) -> bool:
    return s.scalar(
        select(func.count()).select_from(SyncRevisionRow)
        .join(RevisionRow, RevisionRow.id == SyncRevisionRow.revision_id)
        .where(RevisionRow.record_id == record_id)
    ) != 0


def _rewrite_revisions(s: Session, record: RecordRow, form: JsonValue) -> None:
    revisions = s.scalars(
        select(RevisionRow).where(RevisionRow.record_id == record.id)
        .order_by(RevisionRow.device_seq)
    ).all()
    new_ids: dict[str, str] = {}
    replacements: list[RevisionRow] = []
    for rev in revisions:  # parents always come before their children in sequence order
        document = loads(rev.canonical_json)
        if not isinstance(document, dict):  # written by this app: unreachable
            raise ValueError(f"revision {rev.id} is not a JSON object")
        parents = [new_ids.get(str(p), str(p)) for p in _list(loads(rev.parents_json))]
        document["form"] = form
        document["parents"] = list[JsonValue](parents)
        canonical = canonical_json(document)
        new_ids[rev.id] = revision_id(canonical)
        replacements.append(RevisionRow(
            id=new_ids[rev.id],
            record_id=rev.record_id,
            parents_json=dumps(list[JsonValue](parents)),
            device_id=rev.device_id,
            device_seq=rev.device_seq,
            canonical_json=canonical,
            created=rev.created,
        ))
    # (device, sequence) is unique: the old rows go before their rewrites come in.
    s.execute(delete(RevisionRow).where(RevisionRow.record_id == record.id))
    s.flush()
    s.add_all(replacements)
    if record.head_revision_id is not None:
        record.head_revision_id = new_ids.get(record.head_revision_id, record.head_revision_id)
    s.flush()


def _list(value: JsonValue) -> list[JsonValue]:
    return value if isinstance(value, list) else []
