"""A conflict between two laptops, for the screenshots: never for real data.

Two demo laptops, each with its own device id and signing key, change the same merged
record from the same version (differently) and each writes a real bundle of its change:
a signed manifest and the revision, encrypted to the study's recipients, exactly as a
laptop's sync writes one (`qi_capture.sync`). Merged (and the laptops enrolled), the
record has two heads from two named laptops: an open conflict as the field makes one.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from qi_capture import __version__
from qi_capture.central.models import CentralRecordRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.crypto import signing
from qi_capture.crypto.envelope import recipient_fingerprint
from qi_capture.storage.canonical import JsonValue, canonical_json, revision_id
from qi_capture.storage.records import REVISION_SCHEMA
from qi_capture.sync.admin import AdminProfile
from qi_capture.sync.bundle import TarStream, bundle_members, write_bundle_file
from qi_capture.sync.manifest import Manifest, RecordEntry, signed_message


@dataclass(frozen=True)
class DemoLaptop:
    """A laptop that changes one answer set of the record."""

    interviewer: str
    #: Answers changed (path -> value); the others stay as the record has them.
    changes: Mapping[str, JsonValue]


def _base(central: CentralStore, instance_name: str) -> tuple[uuid.UUID, str, dict[str, JsonValue]]:
    """(record id, winning revision id, its document) of the merged record named so."""
    rec, rev = CentralRecordRow, CentralRevisionRow
    with central.engine.connect() as conn:
        rows = conn.execute(select(rec.id, rev.id, rev.canonical_json)
                            .join(rev, rev.id == rec.winner)).all()
    for record_id, rid, text in rows:
        doc = json.loads(text)
        if doc.get("instance_name") == instance_name:
            return record_id, rid, doc
    raise LookupError(f"no merged record is named {instance_name!r}")


def write_conflict(central_folder: Path, passphrase: str, instance_name: str,
                   laptops: Sequence[DemoLaptop], out: Path) -> list[uuid.UUID]:
    """One bundle per laptop in ``out``, each changing the record ``instance_name`` of
    the central store from its current version. Returns the laptops' device ids, in
    order (for enrolling them)."""
    with AdminProfile.open(central_folder, passphrase) as admin:
        keys = admin.keys()
        recipients = list(dict.fromkeys([keys.bundle_recipient, keys.recovery_recipient]))
        study_id = keys.study_id
    with CentralStore.open(central_folder, passphrase) as central:
        record_id, parent, doc = _base(central, instance_name)
    created = datetime.now(UTC).replace(microsecond=0)
    devices = []
    for n, laptop in enumerate(laptops):
        device_id = uuid.uuid4()
        key = signing.generate_signing_key()
        public = signing.public_key(key)
        answers = dict(doc["answers"])  # type: ignore[arg-type]
        answers.update(laptop.changes)
        when = created + timedelta(minutes=n)
        revision: dict[str, JsonValue] = {
            **doc, "parents": [parent], "device_id": str(device_id), "device_seq": 1,
            "created": when.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "interviewer": laptop.interviewer, "answers": answers}
        text = canonical_json(revision)
        rid = revision_id(text)
        data = text.encode("utf-8")
        manifest = Manifest(
            bundle_id=str(uuid.uuid4()), created=when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            study_id=study_id, device_id=str(device_id),
            device_key_fingerprint=signing.fingerprint(public), device_public_key=public,
            recipients=tuple(sorted(recipient_fingerprint(r) for r in recipients)),
            sequence_first=1, sequence_last=1, previous_manifest_sha256=None,
            app_version=__version__, schema_version=REVISION_SCHEMA,
            records=(RecordEntry(str(record_id), rid, 1, rid, len(data)),),
            attachments=())
        signature = signing.sign(key, signed_message(manifest.to_bytes()))
        write_bundle_file(out, TarStream(bundle_members(manifest, signature, {rid: data}, {})),
                          recipients)
        devices.append(device_id)
    return devices
