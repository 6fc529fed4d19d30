"""Attachments move into per-attachment encrypted files: each row gets its file key.

The bytes themselves are moved by code, not here: Alembic runs on the database alone,
while the move writes files into the profile folder. Opening a profile after this
upgrade moves every attachment still in ``attachment_chunk`` into its file
(`qi_capture.storage.attachments.Attachments.settle`); ``file_key`` stays NULL until
then, which is why it is nullable.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # A plain ALTER TABLE ADD COLUMN, deliberately not batch mode: batch mode may rebuild
    # the table (copy, DROP, rename), and with foreign keys on, dropping ``attachment``
    # would cascade-delete every row of ``attachment_chunk``: the bytes to be moved.
    op.add_column("attachment", sa.Column("file_key", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    bind = op.get_bind()
    in_files = bind.execute(
        sa.text("SELECT count(*) FROM attachment WHERE file_key IS NOT NULL")
    ).scalar()
    if in_files:
        # Their keys exist only in this column: dropping it would make them unreadable.
        raise RuntimeError(
            f"{in_files} attachment(s) are stored in files; downgrading below 0004 "
            "would destroy their keys"
        )
    op.drop_column("attachment", "file_key")
