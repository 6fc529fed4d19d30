"""Alembic environment and revisions for the profile database (driven by
`qi_capture.storage.migrate`; no alembic.ini is needed at runtime)."""
