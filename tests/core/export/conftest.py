"""The export tests run on both central-store backends: the fixtures are the central
tests' own (a real SQLCipher admin profile, a real PostgreSQL server)."""

from __future__ import annotations

from tests.core.central.conftest import (  # noqa: F401 - fixtures, registered by import
    admin_template,
    backend,
    central,
    make_central,
    pg_template,
    postgres,
)
