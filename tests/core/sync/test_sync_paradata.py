"""Paradata travels in bundles (manifest format 2): a record filled through RecordDraft
carries its form-session events, each record's not-yet-sent events as one canonical
JSON-lines member listed with its SHA-256; the reader refuses a tampered, unlisted or
misattributed paradata member, still reads format-1 bundles (no paradata), and the laptop
sends each event once (``--all`` re-sends everything)."""

from __future__ import annotations

import io
import json
import textwrap
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from qi_capture.crypto.envelope import encrypt_stream
from qi_capture.services import CoreContext
from qi_capture.storage.canonical import sha256_hex
from qi_capture.storage.store import Store
from qi_capture.sync.bundle import (
    BundleSummary,
    KnownDevice,
    Member,
    TarStream,
    bundle_members,
    verify_bundle,
)
from qi_capture.sync.errors import BundleContentMismatch, BundleMalformed
from qi_capture.sync.folder import _compose, sync_folder
from qi_capture.sync.manifest import (
    AttachmentEntry,
    Manifest,
    ParadataEntry,
    ParadataLine,
    RecordEntry,
    parse_manifest,
    signed_message,
)
from qi_capture.sync.pack import installed_study

NOW = datetime(2025, 3, 1, tzinfo=UTC)
STUDY_ID = "qi-london"  # the sync conftest's study (its pack is on the `laptop` fixture)
FORM = textwrap.dedent("""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Org      |
    |          | text      | role     | Role     |
    |          | integer   | staff    | Staff    |
    | settings |           |          |          |
    |          | form_id   | version  |          |
    |          | sync_test | 2        |          |
""")


@dataclass
class Kit:
    """A laptop with records filled through RecordDraft, and bundles of it, honest or
    forged (as the conftest's BundleKit, for these records)."""

    store: Store
    admin: Any

    def build(
        self,
        *,
        manifest: Callable[[Manifest], Manifest] | None = None,
        members: Callable[[list[Member]], list[Member]] | None = None,
    ) -> bytes:
        study = installed_study(self.store, STUDY_ID)
        assert study is not None
        revisions = self.store.sync.outgoing(STUDY_ID, include_sent=True)
        m, payloads, readers = _compose(self.store, study, revisions, now=NOW)
        if manifest is not None:
            m = manifest(m)
        signature = self.store.sign(signed_message(m.to_bytes()))
        items = bundle_members(m, signature, payloads, readers)
        if members is not None:
            items = members(items)
        out = io.BytesIO()
        encrypt_stream(TarStream(items), out, study.recipients)
        return out.getvalue()


class Sink:
    def __init__(self) -> None:
        self.revisions: list[str] = []
        self.events: dict[str, list[ParadataLine]] = {}

    def manifest(self, manifest: Manifest) -> None:
        return None

    def revision(self, entry: RecordEntry, canonical: bytes) -> None:
        self.revisions.append(entry.revision_id)

    def paradata(self, entry: ParadataEntry, events: Sequence[ParadataLine]) -> None:
        self.events.setdefault(entry.submission_id, []).extend(events)

    def paradata_of(self, record_id: uuid.UUID) -> list[ParadataLine]:
        return self.events.get(str(record_id), [])

    def attachment(self, entry: AttachmentEntry) -> Callable[[bytes], object]:
        return lambda piece: None


def fill(store: Store, *, staff: int = 12) -> uuid.UUID:
    """A record filled and finalised through RecordDraft (real FormSession events), on
    the study's form compiled as the app installs it (version 2 beside the fixture's)."""
    ctx = CoreContext(store)
    added = ctx.studies.add_form_bytes(FORM.encode(), "sync_test.md", study_id=STUDY_ID)
    with ctx.records.create(added.form.id) as record:
        record.go_to("org")
        record.set("org", "Trust A")
        record.next_screen()
        record.set("role", "Improvement lead")
        record.set("staff", staff)
        record.finalise()
        return record.record_id


def verify(data: bytes, kit: Kit, admin: Any) -> tuple[BundleSummary, Sink]:
    store = kit.store
    device = store.device()
    sink = Sink()
    summary = verify_bundle(
        io.BytesIO(data), study_id=STUDY_ID, identity=admin.keys.bundle_identity,
        devices={device.fingerprint: KnownDevice(device.public_key, "Laptop A")}, sink=sink,
    )
    return summary, sink


@pytest.fixture
def filled(laptop: Store, admin: Any) -> Kit:
    fill(laptop)
    fill(laptop, staff=40)
    return Kit(laptop, admin)


def _bundles(folder: Path) -> list[Path]:
    return sorted((folder / "outbox").glob("*.qibundle"), key=lambda p: p.stat().st_mtime_ns)


def test_session_events_travel_and_are_sent_once(
    filled: Kit, admin: Any, tmp_path: Path
) -> None:
    store = filled.store
    folder = tmp_path / "sync"
    folder.mkdir()
    first = sync_folder(store, folder, now=NOW)
    assert len(first.bundles) == 1
    summary, sink = verify(first.bundles[0].path.read_bytes(), filled, admin)
    assert summary.manifest.format_version == 2
    assert len(summary.manifest.paradata) == 2
    assert summary.to_json()["paradata_events"] == sum(
        len(store.paradata.list(uuid.UUID(p.submission_id))) for p in summary.manifest.paradata
    )
    for entry in summary.manifest.paradata:
        local = store.paradata.list(uuid.UUID(entry.submission_id))
        got = sink.paradata_of(uuid.UUID(entry.submission_id))
        assert [(e.seq, e.event.kind, e.event.elapsed_ms, str(e.event.session_id))
                for e in local] == [(g.seq, g.kind, g.elapsed_ms, g.session_id) for g in got]
        assert [e.event.payload for e in local] == [json.loads(g.payload_json) for g in got]
        kinds = {g.kind for g in got}
        assert {"question_entered", "question_left", "value_changed"} <= kinds
        left = [json.loads(g.payload_json) for g in got if g.kind == "question_left"]
        assert all(isinstance(p, dict) and p["duration_ms"] >= 0 for p in left)

    # Nothing new: nothing written.
    again = sync_folder(store, folder, now=NOW)
    assert not again.wrote_anything and len(_bundles(folder)) == 1

    # An edit: a new revision with only the events after the first bundle.
    record_id = uuid.UUID(summary.manifest.paradata[0].submission_id)
    sent_before = max(e.seq for e in store.paradata.list(record_id))
    ctx = CoreContext(store)
    with ctx.records.edit(record_id) as record:
        record.set("staff", 77)
        record.finalise()
    second = sync_folder(store, folder, now=NOW)
    assert len(second.bundles) == 1
    summary2, sink2 = verify(second.bundles[0].path.read_bytes(), filled, admin)
    assert [p.submission_id for p in summary2.manifest.paradata] == [str(record_id)]
    seqs = [g.seq for g in sink2.paradata_of(record_id)]
    assert seqs and min(seqs) == sent_before + 1
    assert seqs[-1] == max(e.seq for e in store.paradata.list(record_id))

    # --all re-sends every revision and every event.
    resent = sync_folder(store, folder, now=NOW, resend_all=True)
    summary3, sink3 = verify(resent.bundles[0].path.read_bytes(), filled, admin)
    for entry in summary3.manifest.paradata:
        rid = uuid.UUID(entry.submission_id)
        assert [g.seq for g in sink3.paradata_of(rid)] == [e.seq for e in store.paradata.list(rid)]
    assert len(summary3.manifest.paradata) == 2


def _paradata_member(members: list[Member]) -> int:
    return next(i for i, m in enumerate(members) if m.name.startswith("paradata/"))


def test_tampered_paradata_member_is_refused(filled: Kit, admin: Any) -> None:
    def tamper(members: list[Member]) -> list[Member]:
        i = _paradata_member(members)
        data = b"".join(members[i].pieces())
        forged = data.replace(b'"Trust A"', b'"Trust B"')
        assert forged != data and len(forged) == len(data)
        members[i] = replace(members[i], sha256=sha256_hex(forged), pieces=lambda: [forged])
        return members

    with pytest.raises(BundleContentMismatch, match="does not match its SHA-256"):
        verify(filled.build(members=tamper), filled, admin)


def test_paradata_member_must_be_canonical_and_agree_with_its_entry(
    filled: Kit, admin: Any
) -> None:
    # A listed member whose lines are re-serialised (not canonical), re-hashed in the
    # signed manifest: the hash matches, the content is refused.
    built: dict[str, bytes] = {}

    def rewrite(m: Manifest) -> Manifest:
        entry = m.paradata[0]
        study = installed_study(filled.store, STUDY_ID)
        assert study is not None
        revisions = filled.store.sync.outgoing(STUDY_ID, include_sent=True)
        _m, payloads, _r = _compose(filled.store, study, revisions, now=NOW)
        lines = payloads[entry.member].decode().splitlines()
        spaced = "".join(json.dumps(json.loads(line)) + "\n" for line in lines).encode()
        built[entry.member] = spaced
        forged = replace(entry, sha256=sha256_hex(spaced), size=len(spaced))
        return replace(m, paradata=(forged, *m.paradata[1:]))

    def swap(members: list[Member]) -> list[Member]:
        i = _paradata_member(members)
        data = built[members[i].name]
        members[i] = replace(members[i], size=len(data), sha256=sha256_hex(data),
                             pieces=lambda: [data])
        return members

    with pytest.raises(BundleContentMismatch, match="not canonical JSON"):
        verify(filled.build(manifest=rewrite, members=swap), filled, admin)

    # The event count in the signed manifest disagrees with the member.
    def miscount(m: Manifest) -> Manifest:
        e = m.paradata[0]
        return replace(m, paradata=(replace(e, events=e.events - 1), *m.paradata[1:]))

    with pytest.raises(BundleContentMismatch, match="events"):
        verify(filled.build(manifest=miscount), filled, admin)


def test_unlisted_extra_paradata_member_is_refused(filled: Kit, admin: Any) -> None:
    extra = b'{"elapsed_ms":0,"kind":"x","payload":null,"seq":1,"session_id":"' + str(
        uuid.uuid4()
    ).encode() + b'","session_started_at":"2025-03-01T00:00:00.000000Z"}\n'

    def append(members: list[Member]) -> list[Member]:
        members.append(Member(f"paradata/{uuid.uuid4()}.jsonl", len(extra), sha256_hex(extra),
                              lambda: [extra]))
        return members

    with pytest.raises(BundleContentMismatch, match="not listed in the manifest"):
        verify(filled.build(members=append), filled, admin)

    # A member the manifest does not list, where a listed one belongs.
    def insert(members: list[Member]) -> list[Member]:
        i = _paradata_member(members)
        members.insert(i, Member(f"paradata/{uuid.uuid4()}.jsonl", len(extra),
                                 sha256_hex(extra), lambda: [extra]))
        return members

    with pytest.raises(BundleContentMismatch, match="belongs"):
        verify(filled.build(members=insert), filled, admin)

    # A record's paradata listed in the manifest but left out of the archive.
    def drop(members: list[Member]) -> list[Member]:
        del members[_paradata_member(members)]
        return members

    with pytest.raises(BundleContentMismatch):
        verify(filled.build(members=drop), filled, admin)


def test_paradata_of_a_record_not_in_the_bundle_is_refused(
    filled: Kit, admin: Any
) -> None:
    def foreign(m: Manifest) -> Manifest:
        # The record the first paradata member belongs to is not in the bundle.
        keep = [r for r in m.records if r.submission_id != m.paradata[0].submission_id]
        seqs = [r.device_seq for r in keep]
        return replace(m, records=tuple(keep), sequence_first=min(seqs),
                       sequence_last=max(seqs))

    with pytest.raises(BundleContentMismatch, match="belongs to no listed record"):
        verify(filled.build(manifest=foreign), filled, admin)


def test_version_1_bundle_without_paradata_still_verifies(
    filled: Kit, admin: Any
) -> None:
    data = filled.build(manifest=lambda m: replace(m, format_version=1, paradata=()))
    summary, sink = verify(data, filled, admin)
    assert summary.manifest.format_version == 1
    assert summary.manifest.paradata == () and sink.events == {}
    assert len(sink.revisions) == 2
    doc = json.loads(summary.manifest.to_bytes())
    assert doc["format_version"] == 1 and "paradata" not in doc


def test_manifest_versions_and_fields_must_agree() -> None:
    m = Manifest(
        bundle_id=str(uuid.uuid4()), created="2025-03-01T00:00:00Z", study_id=STUDY_ID,
        device_id=str(uuid.uuid4()), device_key_fingerprint="ed25519:" + "0" * 64,
        device_public_key=b"\0" * 32, recipients=("age-x25519:" + "1" * 64,),
        sequence_first=1, sequence_last=1, previous_manifest_sha256=None, app_version="1",
        schema_version=1, records=(), attachments=(),
    )
    assert parse_manifest(m.to_bytes()) == m
    v1 = replace(m, format_version=1)
    assert parse_manifest(v1.to_bytes()) == v1
    doc = json.loads(m.to_bytes())
    del doc["paradata"]  # format 2 without its paradata list
    with pytest.raises(BundleMalformed):
        parse_manifest(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
    doc = json.loads(v1.to_bytes())
    doc["paradata"] = []  # format 1 with a paradata list
    with pytest.raises(BundleMalformed):
        parse_manifest(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
    doc["format_version"] = 3
    del doc["paradata"]
    with pytest.raises(BundleMalformed, match="version"):
        parse_manifest(json.dumps(doc, sort_keys=True, separators=(",", ":")).encode())
