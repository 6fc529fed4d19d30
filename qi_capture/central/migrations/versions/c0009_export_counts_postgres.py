"""On PostgreSQL too, a trigger counts every change to each form's records
(`CentralExportFormRow`), as the SQLite triggers of c0008 do, so that exports from a
PostgreSQL store keep and use export-ready copies (`qi_capture.central.export_copies`).

Revision ID: c0009
Revises: c0008
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision: str = "c0009"
down_revision: str | None = "c0008"
branch_labels: str | None = None
depends_on: str | None = None

#: One function for the three events; the row's form (both forms, were one to move) gets
#: a count, made on its first change.
POSTGRES_FUNCTION = """
CREATE FUNCTION central_record_counted() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO central_export_form (form_id, generation, checked)
        VALUES (OLD.form_id, 1, -1)
        ON CONFLICT (form_id) DO UPDATE
            SET generation = central_export_form.generation + 1;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO central_export_form (form_id, generation, checked)
        VALUES (NEW.form_id, 1, -1)
        ON CONFLICT (form_id) DO UPDATE
            SET generation = central_export_form.generation + 1;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""

POSTGRES_TRIGGER = (
    "CREATE TRIGGER central_record_counted AFTER INSERT OR UPDATE OR DELETE "
    "ON central_record FOR EACH ROW EXECUTE FUNCTION central_record_counted()"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS central_record_counted ON central_record")
        op.execute("DROP FUNCTION IF EXISTS central_record_counted()")
