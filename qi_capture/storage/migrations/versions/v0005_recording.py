"""Recordings in progress: the key of an attachment still being written (interview audio)
lives in the database from its first byte, so a crash leaves a readable file.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None

UTC_TEXT = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "recording",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("created", UTC_TEXT, nullable=False),
        sa.Column("file_key", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["record.id"],
            name=op.f("fk_recording_record_id_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recording")),
    )


def downgrade() -> None:
    bind = op.get_bind()
    open_ = bind.execute(sa.text("SELECT count(*) FROM recording")).scalar()
    if open_:
        # Their keys exist only in this table: dropping it would make them unreadable.
        raise RuntimeError(
            f"{open_} recording(s) are not finished; open the profile once to finish them"
        )
    op.drop_table("recording")
