"""Attachments move out of the database into encrypted files beside it (issue 18): every
attachment's chunk rows are streamed into its file (`qi_capture.central.attachments`),
sealed under a fresh key kept in the new ``central_attachment.file_key``, and the
``central_attachment_chunk`` table is dropped.

The files folder comes from `qi_capture.central.migrate.upgrade` (``attributes
["attachments"]``). A store holding attachments cannot be migrated without one: the
migration stops with `AttachmentsFolderMissing` and nothing changes. Files are written
before the transaction commits; if it does not, they are orphans that the next open
sweeps, and a new run writes them again.

Revision ID: c0005
Revises: c0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import sqlalchemy as sa
from alembic import context, op

from qi_capture.central.attachments import CentralAttachmentFiles
from qi_capture.central.errors import AttachmentsFolderMissing
from qi_capture.crypto import chunked

revision: str = "c0005"
down_revision: str | None = "c0004"
branch_labels: str | None = None
depends_on: str | None = None

_CHUNK = sa.table("central_attachment_chunk", sa.column("attachment_id", sa.Uuid()),
                  sa.column("idx", sa.Integer()), sa.column("data", sa.LargeBinary()))
_ATT = sa.table("central_attachment", sa.column("id", sa.Uuid()),
                sa.column("file_key", sa.LargeBinary()))


def upgrade() -> None:
    op.add_column("central_attachment", sa.Column("file_key", sa.LargeBinary(), nullable=True))
    conn = op.get_bind()
    ids = list(conn.scalars(sa.select(_ATT.c.id).order_by(_ATT.c.id)))
    if ids:
        files = context.config.attributes.get("attachments")
        if not isinstance(files, CentralAttachmentFiles):
            raise AttachmentsFolderMissing(str(context.config.attributes.get("target", "")))
        for attachment_id in ids:
            key = chunked.new_key()
            files.write(attachment_id, key, _pieces(conn, attachment_id))
            conn.execute(sa.update(_ATT).where(_ATT.c.id == attachment_id)
                         .values(file_key=key))
    # The chunk table goes first: on SQLite the batch below copies central_attachment,
    # which the chunks' foreign key would otherwise hold on to.
    op.drop_table("central_attachment_chunk")
    with op.batch_alter_table("central_attachment") as batch:
        batch.alter_column("file_key", existing_type=sa.LargeBinary(), nullable=False)


def _pieces(conn: sa.Connection, attachment_id: uuid.UUID) -> Iterator[bytes]:
    """One attachment's chunk rows in order, a few at a time (memory stays flat)."""
    rows = conn.execute(
        sa.select(_CHUNK.c.data).where(_CHUNK.c.attachment_id == attachment_id)
        .order_by(_CHUNK.c.idx).execution_options(yield_per=4)
    )
    for (data,) in rows:
        yield bytes(data)


def downgrade() -> None:
    raise NotImplementedError("attachments are not moved back into the database")
