"""Merging one verified bundle into the central store: one transaction, grow-only.

Two phases inside the transaction:

1. facts: the bundle's revisions, attachments and paradata that are not there yet are
   inserted (``ON CONFLICT DO NOTHING``, in primary-key order so two concurrent merges
   of overlapping bundles cannot deadlock each other);
2. derived state, under the merge lock (`sql.lock_merges`): the touched records' heads
   and displayed winner, conflicts, clone alerts, the device's last sequence and chain
   head, review rows, the bundle row and the audit entry.

Everything in phase 2 is a function of the set of revisions (and bundles) present,
never of the order they came in, which is what makes every import order end in the same
state (`qi_capture.central.store.content_hash`). A kill at any moment rolls the
transaction back: the store is as it was before the bundle, and merging again completes.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import Connection, Engine, bindparam, func, select, update

from qi_capture.central import enrolment, erasure, lineage, sql
from qi_capture.central.attachments import Attachments
from qi_capture.central.bundle import VerifiedBundle
from qi_capture.central.dto import BundleReport, CloneAlert, DeviceGaps, SeqRange
from qi_capture.central.errors import (
    BundleRefused,
    DeviceKeyMismatch,
    DeviceRevoked,
    DeviceUnknown,
)
from qi_capture.central.models import (
    CentralBundleFileRow,
    CentralBundleRow,
    CentralCloneAlertRow,
    CentralConflictRow,
    CentralDeviceRow,
    CentralParadataRow,
    CentralRecordRow,
    CentralReviewRow,
    CentralRevisionRow,
)
from qi_capture.storage.canonical import revision_id
from qi_capture.storage.models import utcnow
from qi_capture.sync.schemas import revision as revision_schema
from qi_capture.sync.schemas.refusal import convert, refusal
from qi_capture.sync.schemas.revision import Revision, erasure_problem

REVISION_TYPE = revision_schema.REVISION_TYPE

_REV = sql.table(CentralRevisionRow)
_REC = sql.table(CentralRecordRow)
_CONFLICT = sql.table(CentralConflictRow)


class _AlreadyImported(Exception):
    """A concurrent merge committed the same bundle first: roll ours back."""


@dataclass(frozen=True, slots=True)
class ParsedRevision:
    """The columns of one revision, read from its canonical JSON."""

    id: str
    record_id: uuid.UUID
    device_id: uuid.UUID
    device_seq: int
    parents: tuple[str, ...]
    kind: str
    deleted: bool
    study_id: str
    form_id: str
    form_version: str
    interviewer: str
    created: str
    canonical_json: str
    #: An erasure revision (consent withdrawn; `qi_capture.central.erasure`).
    erasure: bool = False

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "record_id": self.record_id,
            "device_id": self.device_id,
            "device_seq": self.device_seq,
            "parents_json": json.dumps(sorted(self.parents), separators=(",", ":")),
            "kind": self.kind,
            "deleted": self.deleted,
            "study_id": self.study_id,
            "form_id": self.form_id,
            "form_version": self.form_version,
            "interviewer": self.interviewer,
            "created": self.created,
            "canonical_json": self.canonical_json,
        }


def _invalid(rev_id: str, detail: str) -> BundleRefused:
    return BundleRefused(
        "revision_invalid",
        f"Revision {rev_id} is not a valid revision: {detail}.",
        revision_id=rev_id,
        detail=detail,
    )


def parse_revision(
    rev_id: str,
    canonical: str,
    document: Revision | Mapping[str, Any] | None = None,
    *,
    id_checked: bool = False,
) -> ParsedRevision:
    """Check a revision's id against its canonical JSON (unless ``id_checked``: the
    bundle reader did) and read its columns. The document is the declared `Revision`
    (`qi_capture.sync.schemas.revision`): ``document`` if the bundle reader gives it
    (already checked against the schema, or as plain JSON to check), else decoded
    from ``canonical``."""
    if not id_checked and revision_id(canonical) != rev_id:
        raise BundleRefused(
            "revision_hash",
            f"Revision {rev_id} does not hash to its id; the bundle is refused.",
            revision_id=rev_id,
        )
    rev = document if isinstance(document, Revision) else _revision(rev_id, canonical, document)
    problem = erasure_problem(rev)
    if problem is not None:
        raise _invalid(rev_id, f"ValueError: {problem}")
    form = rev.form
    return ParsedRevision(
        id=rev_id,
        record_id=rev.record_id,
        device_id=rev.device_id,
        device_seq=rev.device_seq,
        parents=tuple(rev.parents),
        kind="edit" if rev.resolution is None else "resolution",
        deleted=rev.deleted,
        study_id=form.study_id,
        form_id=form.form_id,
        form_version=form.version,
        interviewer=rev.interviewer,
        created=rev.created,
        canonical_json=canonical,
        erasure=rev.erasure is not None,
    )


def _revision(rev_id: str, canonical: str, document: Mapping[str, Any] | None) -> Revision:
    """The declared revision in ``document`` (plain JSON) or, without it, ``canonical``."""
    try:
        if document is None:
            return revision_schema.DECODER.decode(canonical)
        return convert(document, Revision)
    except msgspec.ValidationError as exc:
        plain = document if document is not None else _plain(canonical)
        raise _invalid(rev_id, revision_schema.revision_problem(refusal(exc), plain)) from None
    except msgspec.DecodeError as exc:
        raise _invalid(rev_id, f"not JSON ({exc})") from None


def _plain(canonical: str) -> object:
    """A refused revision as plain JSON, only to word its refusal (it is known to be JSON)."""
    try:
        return json.loads(canonical)
    except (ValueError, RecursionError):
        return None


def _check_bundle(bundle: VerifiedBundle) -> list[ParsedRevision]:
    parsed: dict[str, ParsedRevision] = {}
    for rev in bundle.revisions:
        p = parse_revision(rev.id, rev.canonical_json, rev.document, id_checked=rev.id_checked)
        if p.device_id != bundle.device_id or p.kind != "edit":
            raise BundleRefused(
                "revision_foreign_device",
                f"Revision {p.id} was not written by the bundle's device; the bundle is refused.",
                revision_id=p.id,
            )
        if not bundle.seq_first <= p.device_seq <= bundle.seq_last:
            raise BundleRefused(
                "revision_outside_range",
                f"Revision {p.id} has sequence {p.device_seq}, outside the manifest's range "
                f"{bundle.seq_first}-{bundle.seq_last}.",
                revision_id=p.id,
            )
        if p.study_id != bundle.study_id:
            raise BundleRefused(
                "wrong_study",
                f"Revision {p.id} belongs to study {p.study_id}, not {bundle.study_id}.",
                revision_id=p.id,
            )
        parsed[p.id] = p
    for att in bundle.attachments:
        digest, size = hashlib.sha256(), 0
        for piece in att.pieces():
            digest.update(piece)
            size += len(piece)
        if size != att.size or digest.hexdigest() != att.sha256:
            raise BundleRefused(
                "attachment_hash",
                f"Attachment {att.id} does not match its SHA-256.",
                attachment_id=str(att.id),
            )
    return [parsed[k] for k in sorted(parsed)]


def conflict_id(record_id: uuid.UUID, heads: Iterable[str]) -> str:
    return hashlib.sha256(f"{record_id}:{','.join(sorted(heads))}".encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class _Rev:
    id: str
    record_id: uuid.UUID
    parents: tuple[str, ...]
    kind: str
    deleted: bool
    created: str
    device_id: uuid.UUID
    form_version: str
    study_id: str
    form_id: str
    interviewer: str

    def lineage(self, erasures: Collection[str]) -> lineage.Revision:
        return lineage.Revision(
            self.id, self.parents, self.kind, self.deleted, self.created, self.id in erasures
        )


_REV_COLUMNS = (
    _REV.c.id,
    _REV.c.record_id,
    _REV.c.parents_json,
    _REV.c.kind,
    _REV.c.deleted,
    _REV.c.created,
    _REV.c.device_id,
    _REV.c.form_version,
    _REV.c.study_id,
    _REV.c.form_id,
    _REV.c.interviewer,
)


def _from_parsed(p: ParsedRevision) -> _Rev:
    return _Rev(p.id, p.record_id, p.parents, p.kind, p.deleted, p.created, p.device_id,
                p.form_version, p.study_id, p.form_id, p.interviewer)


def _revisions_of(
    conn: Connection,
    chunk: Sequence[uuid.UUID],
    fresh_by_record: Mapping[uuid.UUID, Sequence[ParsedRevision]],
) -> tuple[dict[uuid.UUID, list[_Rev]], list[uuid.UUID]]:
    """The revisions of ``chunk``'s records by record, and the records read back from
    the database (the others, new in this merge, are taken from memory)."""
    existing = set(conn.scalars(select(_REC.c.id).where(_REC.c.id.in_(chunk))))
    unknown = [r for r in chunk if r not in existing]
    if any(r not in fresh_by_record for r in unknown):
        existing = set(chunk)  # not all in memory: read every one back
        unknown = []
    revs = [_from_parsed(p) for r in unknown for p in fresh_by_record[r]]
    read = sorted(existing)
    if read:
        revs += [
            _Rev(r.id, r.record_id, tuple(sql.json_list(r.parents_json)), r.kind, r.deleted,
                 r.created, r.device_id, r.form_version, r.study_id, r.form_id, r.interviewer)
            for r in conn.execute(select(*_REV_COLUMNS).where(_REV.c.record_id.in_(read)))
        ]
    by_record: dict[uuid.UUID, list[_Rev]] = defaultdict(list)
    for rev in revs:
        by_record[rev.record_id].append(rev)
    return by_record, read


def _open_conflicts(conn: Connection, read: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    found: dict[uuid.UUID, list[str]] = defaultdict(list)
    if read:
        for c in conn.execute(
            select(_CONFLICT.c.id, _CONFLICT.c.record_id).where(
                _CONFLICT.c.record_id.in_(read), _CONFLICT.c.status == "open"
            )
        ):
            found[c.record_id].append(c.id)
    return found


def _record_row(
    record_id: uuid.UUID, state: lineage.Lineage, rows: Sequence[_Rev]
) -> dict[str, Any]:
    win = next(r for r in rows if r.id == state.winner)
    return {
        "id": record_id,
        "study_id": win.study_id,
        "form_id": win.form_id,
        "heads_json": json.dumps(list(state.heads), separators=(",", ":")),
        "winner": win.id,
        "in_conflict": state.in_conflict,
        "deleted": bool(win.deleted),
        "form_version": win.form_version,
        "device_id": win.device_id,
        "interviewer": win.interviewer,
        "submitted": state.submitted,
        "updated": win.created,
    }


def _conflict_row(record_id: uuid.UUID, state: lineage.Lineage, now: datetime) -> dict[str, Any]:
    return {
        "id": conflict_id(record_id, state.heads),
        "record_id": record_id,
        "kind": state.conflict_kind,
        "heads_json": json.dumps(list(state.heads), separators=(",", ":")),
        "winner": state.winner,
        "status": "open",
        "opened": now,
        "closed": None,
        "resolution": None,
        "reason": None,
    }


def _closings(
    open_ids: Iterable[str],
    current: Mapping[str, Any] | None,
    state: lineage.Lineage,
    now: datetime,
) -> list[dict[str, Any]]:
    """The updates of the record's open conflicts its new state no longer has."""
    status = "resolved" if state.resolved else "superseded" if state.in_conflict else "closed"
    return [
        {
            "b_id": old,
            "b_status": status,
            "b_closed": now,
            "b_resolution": state.winner if state.resolved else None,
        }
        for old in open_ids
        if current is None or old != current["id"]
    ]


def derive_records(
    conn: Connection,
    record_ids: Sequence[uuid.UUID],
    now: datetime,
    fresh: Sequence[ParsedRevision] = (),
) -> list[str]:
    """Recompute heads, winner and conflicts of ``record_ids`` (`lineage.derive`) and
    write them; returns the conflicts opened. Call under `sql.lock_merges`.

    A record without a ``central_record`` row has no revisions but this merge's
    ``fresh`` ones (a record row is written in the same transaction as its first
    revisions, and every merge derives under the lock), so those are taken from memory
    rather than read back."""
    opened: list[str] = []
    fresh_by_record: dict[uuid.UUID, list[ParsedRevision]] = defaultdict(list)
    for p in fresh:
        fresh_by_record[p.record_id].append(p)
    for chunk in sql.chunks(sorted(record_ids)):
        by_record, read = _revisions_of(conn, chunk, fresh_by_record)
        erasures = erasure.erasure_ids(
            conn, {r for r, revs in by_record.items() if any(x.deleted for x in revs)})
        open_by_record = _open_conflicts(conn, read)
        record_rows: list[dict[str, Any]] = []
        wanted: dict[str, dict[str, Any]] = {}
        closing: list[dict[str, Any]] = []
        for record_id, rows in by_record.items():
            state = lineage.derive(r.lineage(erasures) for r in rows)
            record_rows.append(_record_row(record_id, state, rows))
            current = _conflict_row(record_id, state, now) if state.in_conflict else None
            closing += _closings(open_by_record.get(record_id, ()), current, state, now)
            if current is not None:
                wanted[current["id"]] = current
        sql.upsert(conn, _REC, record_rows, ["id"])
        if closing:
            conn.execute(
                update(_CONFLICT)
                .where(_CONFLICT.c.id == bindparam("b_id"))
                .values(
                    status=bindparam("b_status"),
                    closed=bindparam("b_closed"),
                    resolution=bindparam("b_resolution"),
                ),
                closing,
            )
        opened += _insert_conflicts(conn, wanted)
    return opened


def _insert_conflicts(conn: Connection, wanted: Mapping[str, dict[str, Any]]) -> list[str]:
    """Insert the conflicts not there yet; returns their ids."""
    if not wanted:
        return []
    known = set(conn.scalars(select(_CONFLICT.c.id).where(_CONFLICT.c.id.in_(list(wanted)))))
    new_conflicts = [wanted[k] for k in sorted(wanted) if k not in known]
    sql.insert_ignore(conn, _CONFLICT, new_conflicts)
    return [row["id"] for row in new_conflicts]


def _clone_alerts(conn: Connection, device_id: uuid.UUID, seqs: Sequence[int]) -> list[CloneAlert]:
    found: dict[int, set[str]] = defaultdict(set)
    wanted = sorted(set(seqs))
    if not wanted:
        return []
    # Only the sequences held by more than one revision come back (the database
    # counts them over the (device_id, device_seq) index; the bundle's own revisions
    # are not read back), then their revision ids.
    clashing: list[int] = []
    for lo, hi in _runs(wanted):
        clashing.extend(
            conn.scalars(
                select(_REV.c.device_seq)
                .where(
                    _REV.c.device_id == device_id,
                    _REV.c.device_seq >= lo,
                    _REV.c.device_seq <= hi,
                )
                .group_by(_REV.c.device_seq)
                .having(func.count() > 1)
            )
        )
    keep = set(wanted)
    clashing = sorted(s for s in clashing if s in keep)
    for chunk in sql.chunks(clashing):
        for seq, rev in conn.execute(
            select(_REV.c.device_seq, _REV.c.id).where(
                _REV.c.device_id == device_id, _REV.c.device_seq.in_(chunk)
            )
        ):
            found[seq].add(rev)
    alerts = [
        CloneAlert(device_id, seq, tuple(sorted(ids)))
        for seq, ids in sorted(found.items())
        if len(ids) > 1
    ]
    sql.upsert(
        conn,
        sql.table(CentralCloneAlertRow),
        [
            {
                "device_id": a.device_id,
                "device_seq": a.device_seq,
                "revisions_json": json.dumps(list(a.revisions), separators=(",", ":")),
            }
            for a in alerts
        ],
        ["device_id", "device_seq"],
    )
    return alerts


def _runs(values: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted distinct integers as (first, last) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for v in values:
        if runs and v == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], v)
        else:
            runs.append((v, v))
    return runs


def _bundle_known(conn: Connection, manifest_hash: str) -> bool:
    return (
        conn.scalar(
            select(CentralBundleRow.manifest_hash).where(
                CentralBundleRow.manifest_hash == manifest_hash
            )
        )
        is not None
    )


def _remember_file(conn: Connection, bundle: VerifiedBundle, now: datetime) -> None:
    if bundle.file_sha256 is not None:
        sql.insert_ignore(
            conn,
            sql.table(CentralBundleFileRow),
            [
                {
                    "file_sha256": bundle.file_sha256,
                    "manifest_hash": bundle.manifest_hash,
                    "first_seen": now,
                }
            ],
        )


def _insert_paradata(
    conn: Connection, bundle: VerifiedBundle, skip: Collection[uuid.UUID] = ()
) -> None:
    rows = sorted(
        (
            {
                "record_id": p.record_id,
                "device_id": bundle.device_id,
                "seq": p.seq,
                "kind": p.kind,
                "session_id": p.session_id,
                "session_started_at": p.session_started_at,
                "elapsed_ms": p.elapsed_ms,
                "payload_json": p.payload_json,
            }
            for p in bundle.paradata
            if p.record_id not in skip
        ),
        key=lambda r: (str(r["record_id"]), r["seq"]),
    )
    sql.insert_ignore(conn, sql.table(CentralParadataRow), rows)


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A device the caller already trusts (the bundle's signature was checked with a
    key the registry trusts): enrolled in the same transaction as its first bundle, if
    the registry has not met its id yet (taking over its key-only row, if any)."""

    name: str
    public_key: bytes | None


def merge_bundle(
    engine: Engine,
    bundle: VerifiedBundle,
    *,
    actor: str = "admin",
    source: str | None = None,
    now: datetime | None = None,
    enrol: Enrolment | None = None,
    attachments: Attachments | None = None,
) -> BundleReport:
    """Apply a verified bundle in one transaction and report what it did. Its attachments
    go into ``attachments``' files (a bundle with attachments needs it).

    Raises `DeviceUnknown` (the caller quarantines the bundle, or, trusting the
    device, passes ``enrol``), `DeviceRevoked`, `DeviceKeyMismatch` or
    `BundleRefused`; nothing is written then."""
    moment = now or utcnow()
    try:
        report = _merge(engine, bundle, actor, source, moment, enrol,
                        attachments or Attachments(engine, None, "the central store"))
        if report.erasures:
            erasure.compact(engine)  # after the commit: VACUUM cannot run inside it
        return report
    except _AlreadyImported:
        return _already_imported(bundle, source)


def _already_imported(bundle: VerifiedBundle, source: str | None) -> BundleReport:
    """The report of a bundle the store holds already (found before the merge, or
    committed by a concurrent merge while ours ran)."""
    return BundleReport(
        outcome="already_imported",
        bundle_id=bundle.bundle_id,
        manifest_hash=bundle.manifest_hash,
        device_id=bundle.device_id,
        source=source,
        known_revisions=len(bundle.revisions),
    )


def _admit_device(
    conn: Connection, bundle: VerifiedBundle, enrol: Enrolment | None, actor: str, now: datetime
) -> None:
    """Settle who sent the bundle (enrolling a trusted device first): raise
    `DeviceUnknown`, `DeviceRevoked` or `DeviceKeyMismatch` unless its device is
    enrolled with the key that signed it."""
    dev_t = sql.table(CentralDeviceRow)
    query = select(dev_t.c.status, dev_t.c.fingerprint).where(dev_t.c.id == bundle.device_id)
    device = conn.execute(query).one_or_none()
    if device is None and enrol is not None:
        enrolment.enrol_in(conn, bundle.device_id, name=enrol.name, public_key=enrol.public_key,
                           fingerprint=bundle.device_fingerprint, actor=actor, now=now)
        device = conn.execute(query).one_or_none()
    if device is None or device.status == "central":
        raise DeviceUnknown(str(bundle.device_id))
    if device.status == "revoked":
        raise DeviceRevoked(str(bundle.device_id))
    if device.fingerprint != bundle.device_fingerprint:
        raise DeviceKeyMismatch(str(bundle.device_id))


def _insert_facts(
    conn: Connection,
    bundle: VerifiedBundle,
    parsed: Sequence[ParsedRevision],
    attachments: Attachments,
) -> list[ParsedRevision]:
    """Phase 1: insert the revisions, attachments and paradata not there yet; returns
    the revisions that were new."""
    known: set[str] = set()
    for chunk in sql.chunks([p.id for p in parsed]):
        known.update(conn.scalars(select(_REV.c.id).where(_REV.c.id.in_(chunk))))
    fresh = [p for p in parsed if p.id not in known]
    # A record erased already keeps nothing of what an old bundle brings back.
    erased = erasure.erased_among(conn, {p.record_id for p in parsed}) | {
        p.record_id for p in fresh if p.erasure}
    fresh = [p for p in fresh if p.record_id not in erased or p.erasure]
    sql.insert_ignore(conn, _REV, [p.row() for p in fresh])
    attachments.store(conn, [a for a in bundle.attachments if a.record_id not in erased])
    _insert_paradata(conn, bundle, skip=erased)
    return fresh


def _advance_chain(conn: Connection, bundle: VerifiedBundle) -> None:
    """The device's last sequence and chain head: the largest (seq_last, manifest hash)
    imported, whatever the order bundles came in."""
    dev_t = sql.table(CentralDeviceRow)
    current = conn.execute(
        select(dev_t.c.last_seq, dev_t.c.chain_head).where(dev_t.c.id == bundle.device_id)
    ).one()
    if (bundle.seq_last, bundle.manifest_hash) > (current.last_seq, current.chain_head or ""):
        conn.execute(
            update(dev_t)
            .where(dev_t.c.id == bundle.device_id)
            .values(last_seq=bundle.seq_last, chain_head=bundle.manifest_hash)
        )


def _merge(
    engine: Engine,
    bundle: VerifiedBundle,
    actor: str,
    source: str | None,
    now: datetime,
    enrol: Enrolment | None,
    attachments: Attachments,
) -> BundleReport:
    with engine.begin() as conn:
        _admit_device(conn, bundle, enrol, actor, now)
        if _bundle_known(conn, bundle.manifest_hash):
            _remember_file(conn, bundle, now)
            return _already_imported(bundle, source)
        # Who sent it is settled first (an unknown device's bundle goes to quarantine
        # whatever it holds); then its content, before anything is written.
        parsed = _check_bundle(bundle)
        fresh = _insert_facts(conn, bundle, parsed, attachments)

        # -- phase 2: derived state, one merge at a time --------------------------------
        sql.lock_merges(conn)
        if _bundle_known(conn, bundle.manifest_hash):
            raise _AlreadyImported()
        touched = sorted({p.record_id for p in fresh})
        # Again under the lock: an erasure a concurrent merge committed meanwhile.
        erased = erasure.erased_among(conn, {p.record_id for p in parsed})
        pending = False
        removed: list[uuid.UUID] = []
        if erased:
            purged = erasure.purge_if_allowed(conn, sorted(erased))
            pending = purged is None
            removed = purged or []
            fresh = [p for p in fresh if p.record_id not in erased or p.erasure]
        opened = derive_records(conn, touched, now, fresh)
        alerts = _clone_alerts(conn, bundle.device_id, [p.device_seq for p in fresh])
        _advance_chain(conn, bundle)
        sql.insert_ignore(
            conn,
            sql.table(CentralReviewRow),
            [{"record_id": r, "status": "received", "updated": now, "by": None}
             for r in touched if r not in erased],
        )
        conn.execute(
            sql.table(CentralBundleRow).insert(),
            {
                "manifest_hash": bundle.manifest_hash,
                "bundle_id": bundle.bundle_id,
                "device_id": bundle.device_id,
                "seq_first": bundle.seq_first,
                "seq_last": bundle.seq_last,
                "prev_manifest_hash": bundle.prev_manifest_hash,
                "imported": now,
                "outcome": "imported_with_alerts" if alerts else "imported",
                "new_revisions": len(fresh),
                "known_revisions": len(parsed) - len(fresh),
                "conflicts_opened": len(opened),
            },
        )
        _remember_file(conn, bundle, now)
        sql.audit(
            conn,
            actor,
            "merge_bundle",
            {
                "manifest_hash": bundle.manifest_hash,
                "bundle_id": bundle.bundle_id,
                "device_id": str(bundle.device_id),
                "new_revisions": len(fresh),
                "known_revisions": len(parsed) - len(fresh),
                "conflicts_opened": len(opened),
                "clone_alerts": len(alerts),
                "erasures": sum(1 for p in fresh if p.erasure),
                "erasures_pending": pending,
            },
            now,
        )
    # Their keys went with the commit; now the files (one left behind is swept later).
    attachments.remove_files(removed)
    return BundleReport(
        outcome="imported",
        bundle_id=bundle.bundle_id,
        manifest_hash=bundle.manifest_hash,
        device_id=bundle.device_id,
        source=source,
        new_revisions=len(fresh),
        known_revisions=len(parsed) - len(fresh),
        records_touched=len(touched),
        conflicts_opened=tuple(opened),
        clone_alerts=tuple(alerts),
        erasures=sum(1 for p in fresh if p.erasure),
    )


def device_gaps(conn: Connection, device_id: uuid.UUID) -> DeviceGaps:
    """Sequence numbers no imported bundle of the device covered (from 1 to the highest
    seen), and manifests a bundle names as its predecessor that were never imported."""
    rows = conn.execute(
        select(
            CentralBundleRow.seq_first,
            CentralBundleRow.seq_last,
            CentralBundleRow.manifest_hash,
            CentralBundleRow.prev_manifest_hash,
        ).where(CentralBundleRow.device_id == device_id)
    ).all()
    missing: list[SeqRange] = []
    covered_to = 0
    for first, last, _h, _p in sorted(rows, key=lambda r: (r.seq_first, r.seq_last)):
        if first > covered_to + 1:
            missing.append(SeqRange(covered_to + 1, first - 1))
        covered_to = max(covered_to, last)
    hashes = {r.manifest_hash for r in rows}
    prev_missing = sorted({r.prev_manifest_hash for r in rows if r.prev_manifest_hash} - hashes)
    return DeviceGaps(device_id, tuple(missing), tuple(prev_missing))
