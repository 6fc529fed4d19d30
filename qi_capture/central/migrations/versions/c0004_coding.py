"""Thematic coding (issue 17): coders, a study's codes, passages (spans of an
interview's text answers, with the words under them for re-anchoring), codings (a code
on a passage by a coder, from the field or by an analyst) and memos.

Revision ID: c0004
Revises: c0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "c0004"
down_revision: str | None = "c0003"
branch_labels: str | None = None
depends_on: str | None = None

# Times are ISO-8601 UTC text (storage.models.UtcDateTime), spelled out as in c0001.
UTC_TEXT = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "central_coder",
        sa.Column("guid", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created", UTC_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_central_coder")),
        sa.UniqueConstraint("name", name=op.f("uq_central_coder_name")),
    )
    op.create_table(
        "central_code",
        sa.Column("guid", sa.Uuid(), nullable=False),
        sa.Column("study_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("colour", sa.String(length=7), nullable=False),
        sa.Column("parent", sa.Uuid(), nullable=True),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("tag", sa.String(length=64), nullable=True),
        sa.Column("created", UTC_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_central_code")),
    )
    op.create_index("ix_central_code_study_id", "central_code", ["study_id"])
    op.create_table(
        "central_passage",
        sa.Column("guid", sa.Uuid(), nullable=False),
        sa.Column("study_id", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("field", sa.String(length=500), nullable=False),
        sa.Column("revision", sa.String(length=64), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_central_passage")),
    )
    op.create_index("ix_central_passage_record", "central_passage",
                    ["record_id", "field", "start"])
    op.create_index("ix_central_passage_study", "central_passage", ["study_id"])
    op.create_table(
        "central_coding",
        sa.Column("guid", sa.Uuid(), nullable=False),
        sa.Column("study_id", sa.String(length=200), nullable=False),
        sa.Column("passage", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.Uuid(), nullable=False),
        sa.Column("coder", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("undone", sa.Boolean(), nullable=False),
        sa.Column("created", UTC_TEXT, nullable=False),
        sa.CheckConstraint("origin IN ('field', 'analyst')",
                           name=op.f("ck_central_coding_origin")),
        sa.ForeignKeyConstraint(["passage"], ["central_passage.guid"],
                                name=op.f("fk_central_coding_passage_central_passage")),
        sa.ForeignKeyConstraint(["code"], ["central_code.guid"],
                                name=op.f("fk_central_coding_code_central_code")),
        sa.ForeignKeyConstraint(["coder"], ["central_coder.guid"],
                                name=op.f("fk_central_coding_coder_central_coder")),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_central_coding")),
    )
    op.create_index("ix_central_coding_passage", "central_coding", ["passage", "code"])
    op.create_index("ix_central_coding_code", "central_coding", ["code"])
    op.create_index("ix_central_coding_study", "central_coding",
                    ["study_id", "undone", "code", "record_id"])
    op.create_table(
        "central_memo",
        sa.Column("guid", sa.Uuid(), nullable=False),
        sa.Column("study_id", sa.String(length=200), nullable=False),
        sa.Column("code", sa.Uuid(), nullable=True),
        sa.Column("passage", sa.Uuid(), nullable=True),
        sa.Column("author", sa.Uuid(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated", UTC_TEXT, nullable=False),
        sa.CheckConstraint("(code IS NULL) <> (passage IS NULL)",
                           name=op.f("ck_central_memo_target")),
        sa.ForeignKeyConstraint(["code"], ["central_code.guid"],
                                name=op.f("fk_central_memo_code_central_code")),
        sa.ForeignKeyConstraint(["passage"], ["central_passage.guid"],
                                name=op.f("fk_central_memo_passage_central_passage")),
        sa.ForeignKeyConstraint(["author"], ["central_coder.guid"],
                                name=op.f("fk_central_memo_author_central_coder")),
        sa.PrimaryKeyConstraint("guid", name=op.f("pk_central_memo")),
    )
    op.create_index("ix_central_memo_study", "central_memo", ["study_id"])


def downgrade() -> None:
    op.drop_table("central_memo")
    op.drop_table("central_coding")
    op.drop_table("central_passage")
    op.drop_table("central_code")
    op.drop_table("central_coder")
