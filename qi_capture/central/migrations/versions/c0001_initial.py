"""The central store's first schema: devices, bundles and bundle files, quarantine,
revisions, records (derived heads), conflicts, clone alerts, attachments, paradata, review
state and comments, forms, admin audit log.

Revision ID: c0001
Revises:
Create Date: 2025-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "c0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Times are ISO-8601 UTC text (storage.models.UtcDateTime); spelled out here so this
# revision never changes when the models do.
UTC_TEXT = sa.String(length=32)


def upgrade() -> None:
    op.create_table(
        "central_attachment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_attachment")),
    )
    op.create_index(
        "ix_central_attachment_record_id", "central_attachment", ["record_id"], unique=False
    )
    op.create_table(
        "central_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTC_TEXT, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_audit")),
    )
    op.create_table(
        "central_clone_alert",
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("revisions_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "device_seq", name=op.f("pk_central_clone_alert")),
    )
    op.create_table(
        "central_conflict",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("heads_json", sa.Text(), nullable=False),
        sa.Column("winner", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened", UTC_TEXT, nullable=False),
        sa.Column("closed", UTC_TEXT, nullable=True),
        sa.Column("resolution", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'resolved', 'superseded', 'closed')",
            name=op.f("ck_central_conflict_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_conflict")),
    )
    op.create_index(
        "ix_central_conflict_record_id", "central_conflict", ["record_id"], unique=False
    )
    op.create_table(
        "central_device",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("fingerprint", sa.String(length=100), nullable=True),
        sa.Column("enrolled", UTC_TEXT, nullable=True),
        sa.Column("revoked", UTC_TEXT, nullable=True),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("chain_head", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "status IN ('enrolled', 'revoked', 'central')", name=op.f("ck_central_device_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_device")),
    )
    op.create_table(
        "central_form",
        sa.Column("study_id", sa.String(length=200), nullable=False),
        sa.Column("form_id", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("compiled_json", sa.Text(), nullable=False),
        sa.Column("added", UTC_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("study_id", "form_id", "version", name=op.f("pk_central_form")),
    )
    op.create_table(
        "central_paradata",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("session_started_at", sa.String(length=40), nullable=False),
        sa.Column("elapsed_ms", sa.Integer(), nullable=False),
        sa.Column("payload_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "device_id", "seq", name=op.f("pk_central_paradata")),
    )
    op.create_table(
        "central_quarantine",
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("fingerprint", sa.String(length=100), nullable=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("received", UTC_TEXT, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("released", UTC_TEXT, nullable=True),
        sa.PrimaryKeyConstraint("file_sha256", name=op.f("pk_central_quarantine")),
    )
    op.create_table(
        "central_record",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("study_id", sa.String(length=200), nullable=False),
        sa.Column("form_id", sa.String(length=200), nullable=False),
        sa.Column("heads_json", sa.Text(), nullable=False),
        sa.Column("winner", sa.String(length=64), nullable=False),
        sa.Column("in_conflict", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("form_version", sa.String(length=100), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("interviewer", sa.String(length=200), nullable=False),
        sa.Column("submitted", sa.String(length=40), nullable=False),
        sa.Column("updated", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_record")),
    )
    op.create_index(
        "ix_central_record_form_id", "central_record", ["form_id", "id"], unique=False
    )
    op.create_table(
        "central_review",
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated", UTC_TEXT, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=True),
        sa.CheckConstraint(
            "status IN ('received', 'has_issues', 'approved', 'rejected')",
            name=op.f("ck_central_review_status"),
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_central_review")),
    )
    op.create_table(
        "central_review_comment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("at", UTC_TEXT, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_review_comment")),
    )
    op.create_index(
        "ix_central_review_comment_record_id", "central_review_comment", ["record_id"], unique=False
    )
    op.create_table(
        "central_revision",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("device_seq", sa.Integer(), nullable=False),
        sa.Column("parents_json", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("study_id", sa.String(length=200), nullable=False),
        sa.Column("form_id", sa.String(length=200), nullable=False),
        sa.Column("form_version", sa.String(length=100), nullable=False),
        sa.Column("interviewer", sa.String(length=200), nullable=False),
        sa.Column("created", sa.String(length=40), nullable=False),
        sa.Column("canonical_json", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('edit', 'resolution')", name=op.f("ck_central_revision_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_revision")),
    )
    op.create_index(
        "ix_central_revision_device_seq",
        "central_revision",
        ["device_id", "device_seq"],
        unique=False,
    )
    op.create_index(
        "ix_central_revision_record_id", "central_revision", ["record_id"], unique=False
    )
    op.create_table(
        "central_attachment_chunk",
        sa.Column("attachment_id", sa.Uuid(), nullable=False),
        sa.Column("idx", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["attachment_id"],
            ["central_attachment.id"],
            name=op.f("fk_central_attachment_chunk_attachment_id_central_attachment"),
        ),
        sa.PrimaryKeyConstraint("attachment_id", "idx", name=op.f("pk_central_attachment_chunk")),
    )
    op.create_table(
        "central_bundle",
        sa.Column("manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("bundle_id", sa.String(length=100), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=False),
        sa.Column("seq_first", sa.Integer(), nullable=False),
        sa.Column("seq_last", sa.Integer(), nullable=False),
        sa.Column("prev_manifest_hash", sa.String(length=64), nullable=True),
        sa.Column("imported", UTC_TEXT, nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("new_revisions", sa.Integer(), nullable=False),
        sa.Column("known_revisions", sa.Integer(), nullable=False),
        sa.Column("conflicts_opened", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["central_device.id"],
            name=op.f("fk_central_bundle_device_id_central_device"),
        ),
        sa.PrimaryKeyConstraint("manifest_hash", name=op.f("pk_central_bundle")),
    )
    op.create_index("ix_central_bundle_device_id", "central_bundle", ["device_id"], unique=False)
    op.create_table(
        "central_bundle_file",
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("manifest_hash", sa.String(length=64), nullable=False),
        sa.Column("first_seen", UTC_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["manifest_hash"],
            ["central_bundle.manifest_hash"],
            name=op.f("fk_central_bundle_file_manifest_hash_central_bundle"),
        ),
        sa.PrimaryKeyConstraint("file_sha256", name=op.f("pk_central_bundle_file")),
    )


def downgrade() -> None:
    op.drop_table("central_bundle_file")
    op.drop_index("ix_central_bundle_device_id", table_name="central_bundle")
    op.drop_table("central_bundle")
    op.drop_table("central_attachment_chunk")
    op.drop_index("ix_central_revision_record_id", table_name="central_revision")
    op.drop_index("ix_central_revision_device_seq", table_name="central_revision")
    op.drop_table("central_revision")
    op.drop_index("ix_central_review_comment_record_id", table_name="central_review_comment")
    op.drop_table("central_review_comment")
    op.drop_table("central_review")
    op.drop_index("ix_central_record_form_id", table_name="central_record")
    op.drop_table("central_record")
    op.drop_table("central_quarantine")
    op.drop_table("central_paradata")
    op.drop_table("central_form")
    op.drop_table("central_device")
    op.drop_index("ix_central_conflict_record_id", table_name="central_conflict")
    op.drop_table("central_conflict")
    op.drop_table("central_clone_alert")
    op.drop_table("central_audit")
    op.drop_index("ix_central_attachment_record_id", table_name="central_attachment")
    op.drop_table("central_attachment")
