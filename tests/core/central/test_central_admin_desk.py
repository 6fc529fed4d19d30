"""The admin door on a PostgreSQL URL: without the central folder of the admin keys it
opens for reading (records, devices) but refuses to merge, saying what to give."""

from __future__ import annotations

from pathlib import Path

import pytest

from qi_capture.services.admin import AdminDesk, needs_passphrase
from qi_capture.services.admin.errors import AdminKeysNeeded
from tests.core.central.conftest import PostgresServer
from tests.core.central.helpers import FakeDevice


def test_a_url_without_the_admin_keys_reads_but_does_not_merge(
    postgres: PostgresServer, pg_template: str, tmp_path: Path
) -> None:
    url = postgres.url(postgres.create_database(pg_template))
    assert not needs_passphrase(url) and needs_passphrase(url, tmp_path)
    assert needs_passphrase(tmp_path)
    device = FakeDevice("Laptop A")
    with AdminDesk.open(url) as desk:
        assert not desk.has_keys and desk.backend == "postgresql"
        with pytest.raises(AdminKeysNeeded) as caught:
            desk.merge([tmp_path])
        assert caught.value.code == "admin_keys_needed" and "--admin DIR" in caught.value.message
        # Enrolment with the key given works without the keys; nothing waits.
        enrolment = desk.enrol(str(device.id), name="Laptop A",
                               public_key=device.public_key)
        assert enrolment.device.device.status == "enrolled" and enrolment.merged == ()
        assert [d.id for d in desk.devices()] == [device.id]
        assert desk.records("baseline").total == 0
