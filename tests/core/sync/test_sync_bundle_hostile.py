"""Bundles crafted by an enrolled device (or anyone with its key) against the admin:
revisions declared too large to hold in memory, and bundles that leave out the study's
recovery key. Each is refused with its own code before anything is decoded or merged."""

from __future__ import annotations

import io
import shutil
import tracemalloc
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.crypto.envelope import encrypt_stream, recipient_fingerprint
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.merge import merge_bytes
from qi_capture.storage.canonical import sha256_hex
from qi_capture.sync import folder as sync_folder_module
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.bundle import (
    MAX_HELD_BYTES,
    MAX_REVISION_BYTES,
    TarStream,
    bundle_members,
    verify_bundle,
)
from qi_capture.sync.errors import BundleRefused
from qi_capture.sync.manifest import Manifest, RecordEntry, signed_message
from qi_capture.sync.pack import installed_study
from tests.core.sync.conftest import PASSPHRASE, STUDY_ID


def verify(kit: Any, data: bytes, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "study_id": STUDY_ID,
        "identity": kit.admin.keys.bundle_identity,
        "devices": kit.devices,
        "recovery_recipient": kit.admin.keys.recovery_recipient,
    }
    args.update(overrides)
    return verify_bundle(io.BytesIO(data), **args)


def refusal(kit: Any, data: bytes, **overrides: Any) -> BundleRefused:
    with pytest.raises(BundleRefused) as caught:
        verify(kit, data, **overrides)
    return caught.value


def with_big_revision(kit: Any, size: int) -> bytes:
    """A bundle, honestly signed by the enrolled device, whose first revision is
    replaced by ``size`` bytes declared at their true size and hash."""
    store = kit.store
    study = installed_study(store, STUDY_ID)
    assert study is not None
    revisions = store.sync.outgoing(STUDY_ID, include_sent=True)
    m, payloads, readers = sync_folder_module._compose(
        store, study, revisions, now=datetime(2025, 3, 1, tzinfo=UTC))
    big = b'{"answers":"' + b"x" * (size - 14) + b'"}'
    first = m.records[0]
    entry = RecordEntry(first.submission_id, sha256_hex(big), first.device_seq,
                        sha256_hex(big), len(big))
    payloads[entry.revision_id] = big
    m = replace(m, records=(entry, *m.records[1:]))
    items = bundle_members(m, store.sign(signed_message(m.to_bytes())), payloads, readers)
    out = io.BytesIO()
    encrypt_stream(TarStream(items), out, study.recipients)
    return out.getvalue()


def manifest_only(kit: Any, change: Any) -> bytes:
    """A bundle of a changed manifest, re-signed by the device, and its signature only:
    a refusal on the manifest comes before anything after it would be read."""
    study = installed_study(kit.store, STUDY_ID)
    assert study is not None
    m, _payloads, _readers = sync_folder_module._compose(
        kit.store, study, kit.store.sync.outgoing(STUDY_ID, include_sent=True),
        now=datetime(2025, 3, 1, tzinfo=UTC))
    m = change(m)
    items = bundle_members(replace(m, records=(), paradata=(), attachments=()), b"", {}, {})
    body, signature = m.to_bytes(), kit.store.sign(signed_message(m.to_bytes()))
    items = [replace(items[0], size=len(body), sha256=sha256_hex(body), pieces=lambda: [body]),
             replace(items[1], size=len(signature), sha256=sha256_hex(signature),
                     pieces=lambda: [signature])]
    out = io.BytesIO()
    encrypt_stream(TarStream(items), out, study.recipients)
    return out.getvalue()


# -- 4. revision size ---------------------------------------------------------------------
def test_a_declared_400_mib_revision_is_refused_from_the_manifest(kit: Any) -> None:
    def declare(m: Manifest) -> Manifest:
        first = m.records[0]
        return replace(m, records=(replace(first, size=400 * 1024 * 1024), *m.records[1:]))

    error = refusal(kit, manifest_only(kit, declare))
    assert error.code == "bundle_member_too_large"
    assert error.params["size"] == 400 * 1024 * 1024
    assert error.params["limit"] == MAX_REVISION_BYTES


def test_a_real_oversized_revision_is_refused_with_flat_memory(kit: Any) -> None:
    data = with_big_revision(kit, MAX_REVISION_BYTES + 4 * 1024 * 1024)  # 20 MiB
    tracemalloc.start()
    try:
        error = refusal(kit, data)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.code == "bundle_member_too_large"
    assert peak < 4 * 1024 * 1024, f"{peak} bytes held to refuse a 20 MiB revision"


def test_merge_refuses_an_oversized_revision_and_changes_nothing(
    kit: Any, tmp_path: Path
) -> None:
    central_dir = tmp_path / "central"
    shutil.copytree(kit.admin.central, central_dir)
    data = with_big_revision(kit, MAX_REVISION_BYTES + 1)
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        DeviceRegistry(central).enrol_key(kit.store.device().public_key, "Laptop A")
        before, audit = central.content_hash(), len(central.audit_log())
        report = merge_bytes(central, admin, data, source="crafted")
        assert (report.outcome, report.reason) == ("refused", "bundle_member_too_large")
        assert central.content_hash() == before and len(central.audit_log()) == audit


def test_a_revision_within_the_limit_is_not_refused_for_its_size(kit: Any) -> None:
    # Its content is not a revision document, so the next check refuses it: the size
    # check let it through.
    error = refusal(kit, with_big_revision(kit, 1024 * 1024))
    assert error.code == "bundle_content_mismatch"


def test_many_revisions_together_are_bounded_too(kit: Any) -> None:
    def declare(m: Manifest) -> Manifest:
        each = MAX_REVISION_BYTES  # each within its limit, together over the total
        count = MAX_HELD_BYTES // each + 1
        first = m.records[0]
        entries = tuple(replace(first, size=each, device_seq=first.device_seq + i,
                                revision_id=f"{i:064x}", sha256=f"{i:064x}")
                        for i in range(count))
        last = entries[-1].device_seq
        return replace(m, records=entries, sequence_first=first.device_seq,
                       sequence_last=last, paradata=(), attachments=())

    error = refusal(kit, manifest_only(kit, declare))
    assert error.code == "bundle_member_too_large" and error.params["limit"] == MAX_HELD_BYTES


# -- 8. the recovery recipient -----------------------------------------------------------
def study_key_only(kit: Any) -> bytes:
    """A bundle honestly saying it is encrypted to the study key alone, and so it is."""
    own = recipient_fingerprint(kit.admin.keys.bundle_recipient)
    return kit.build(manifest=lambda m: replace(m, recipients=(own,)),
                     recipients=[kit.admin.keys.bundle_recipient])


def test_a_bundle_without_the_recovery_key_is_refused(kit: Any) -> None:
    error = refusal(kit, study_key_only(kit))
    assert error.code == "bundle_recovery_missing"
    assert "recovery key" in error.message
    # A study without a recovery key would take it (the check is the study's, not the
    # format's).
    assert verify(kit, study_key_only(kit), recovery_recipient=None).manifest.recipients


def test_a_copy_reencrypted_without_the_recovery_key_is_refused(kit: Any) -> None:
    # The manifest still lists both keys; the header has one recipient.
    data = kit.build(recipients=[kit.admin.keys.bundle_recipient])
    assert refusal(kit, data).code == "bundle_recipients_mismatch"


def test_merge_refuses_it_and_the_central_store_is_unchanged(kit: Any, tmp_path: Path) -> None:
    central_dir = tmp_path / "central"
    shutil.copytree(kit.admin.central, central_dir)
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        assert central.profile is not None
        admin = AdminProfile(central.profile)
        DeviceRegistry(central).enrol_key(kit.store.device().public_key, "Laptop A")
        before = central.content_hash()
        audit = len(central.audit_log())
        report = merge_bytes(central, admin, study_key_only(kit), source="crafted")
        assert (report.outcome, report.reason) == ("refused", "bundle_recovery_missing")
        assert central.content_hash() == before and len(central.audit_log()) == audit
        assert central.quarantined() == []
        # The honest bundle from the same laptop merges.
        assert merge_bytes(central, admin, kit.build(), source="good").outcome == "imported"
