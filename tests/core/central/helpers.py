"""Test helpers for the central store: fake interviewer devices that write revisions in
exactly the interviewer store's format (`qi_capture.storage.records`) and wrap them in
`VerifiedBundle`s, as the bundle reader hands them to merge."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from qi_capture.central.bundle import BundleParadata, BundleRevision, VerifiedBundle
from qi_capture.central.devices import ensure_central_device
from qi_capture.central.models import CentralBase
from qi_capture.central.store import CentralStore
from qi_capture.crypto import signing
from qi_capture.storage.canonical import JsonValue, canonical_json, revision_id, sha256_hex

STUDY = "qi"
FORM = "baseline"
EPOCH = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class FakeDevice:
    """An interviewer laptop: its own key, sequence counter and manifest chain."""

    def __init__(self, name: str, *, device_id: uuid.UUID | None = None) -> None:
        self.name = name
        self.id = device_id or uuid.uuid4()
        self.key = signing.generate_signing_key()
        self.public_key = signing.public_key(self.key)
        self.fingerprint = signing.fingerprint(self.public_key)
        self.seq = 0
        self.prev_manifest: str | None = None
        self.clock = EPOCH

    def revision(
        self,
        record_id: uuid.UUID,
        answers: Mapping[str, JsonValue],
        *,
        parents: Sequence[str] = (),
        version: str = "1",
        deleted: bool = False,
        interviewer: str | None = None,
        form_id: str = FORM,
        seq: int | None = None,
        instance_name: JsonValue = None,
    ) -> BundleRevision:
        if seq is None:
            self.seq += 1
            seq = self.seq
        self.clock += timedelta(minutes=1)
        document: dict[str, JsonValue] = {
            "type": "qi-capture.revision",
            "schema": 1,
            "record_id": str(record_id),
            "form": {"study_id": STUDY, "form_id": form_id, "version": version, "sha256": "0" * 64},
            "parents": list(parents),
            "device_id": str(self.id),
            "device_seq": seq,
            "created": iso(self.clock),
            "interviewer": interviewer or self.name,
            "instance_name": instance_name,
            "answers": dict(answers),
        }
        if deleted:
            document["deleted"] = True
        text = canonical_json(document)
        return BundleRevision(revision_id(text), text)

    def bundle(
        self,
        revisions: Sequence[BundleRevision],
        *,
        seq_first: int | None = None,
        seq_last: int | None = None,
        paradata: Sequence[BundleParadata] = (),
        chain: bool = True,
    ) -> VerifiedBundle:
        seqs = [int(_seq(r)) for r in revisions] or [self.seq]
        manifest: dict[str, JsonValue] = {
            "bundle_id": str(uuid.uuid4()),
            "device_id": str(self.id),
            "seq": [seq_first or min(seqs), seq_last or max(seqs)],
            "prev": self.prev_manifest,
            "revisions": sorted(r.id for r in revisions),
        }
        manifest_hash = sha256_hex(canonical_json(manifest).encode())
        bundle = VerifiedBundle(
            bundle_id=str(manifest["bundle_id"]),
            manifest_hash=manifest_hash,
            study_id=STUDY,
            device_id=self.id,
            device_fingerprint=self.fingerprint,
            seq_first=seq_first or min(seqs),
            seq_last=seq_last or max(seqs),
            prev_manifest_hash=self.prev_manifest,
            revisions=tuple(revisions),
            paradata=tuple(paradata),
        )
        if chain:
            self.prev_manifest = manifest_hash
        return bundle


def _seq(rev: BundleRevision) -> int:
    import json

    return int(json.loads(rev.canonical_json)["device_seq"])


def wipe(central: CentralStore) -> None:
    """Empty every central table (faster than a new store for loops of many imports)."""
    with central.engine.begin() as conn:
        for table in reversed(CentralBase.metadata.sorted_tables):
            conn.execute(delete(table))
    ensure_central_device(central.engine)
