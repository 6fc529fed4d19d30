"""`CentralStore`: the admin's merged store, on SQLCipher or PostgreSQL.

- A folder: the admin profile (`qi_capture.storage.profile.Profile`), unlocked with the
  admin passphrase; the central tables live in its encrypted database beside the
  profile's own, under their own migrations. Backups, key rotation and integrity checks
  of the profile cover them.
- A PostgreSQL URL (``postgresql://``, ``postgres://`` or ``postgresql+psycopg://``):
  the same tables and code on PostgreSQL, for programmes where several admins merge at
  once. Any other URL is refused (`qi_capture.central.postgres`): ``sqlite:///x.db``
  would otherwise make an unencrypted store. The password may come from libpq's own
  sources instead of the URL; messages show the URL with its password masked.

Methods open their own transaction and return frozen dataclasses (`dto`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

from sqlalchemy import URL, Engine, create_engine, func, select
from sqlalchemy.exc import DBAPIError, ProgrammingError

from qi_capture.audio.marks import NoteState
from qi_capture.central import (
    audit_log,
    conflicts,
    devices,
    erasure,
    export_copies,
    migrate,
    postgres,
    review,
    sql,
)
from qi_capture.central import merge as merging
from qi_capture.central import records as listing
from qi_capture.central.attachments import FOLDER_NAME as ATTACHMENTS_FOLDER
from qi_capture.central.attachments import (
    Attachments,
    CentralAttachmentFiles,
    folder_for_postgres,
)
from qi_capture.central.bundle import VerifiedBundle
from qi_capture.central.dto import (
    AdoptedKey,
    AttachmentMeta,
    AuditEntry,
    BundleReport,
    CentralDevice,
    CloneAlert,
    ConflictDetail,
    ConflictInfo,
    DeviceGaps,
    ExportParadata,
    FormVersionJson,
    QuarantinedBundle,
    RecordListing,
    ReviewInfo,
    RevisionSummary,
    TrustedKey,
)
from qi_capture.central.errors import CentralNotFound, CentralSchemaOutdated, RecordNotFound
from qi_capture.central.export_source import ExportSource
from qi_capture.central.models import (
    CentralAttachmentRow,
    CentralAuditRow,
    CentralBundleFileRow,
    CentralBundleRow,
    CentralCloneAlertRow,
    CentralConflictRow,
    CentralDeviceRow,
    CentralFormRow,
    CentralParadataRow,
    CentralQuarantineRow,
    CentralRecordRow,
    CentralReviewRow,
    CentralRevisionRow,
)
from qi_capture.central.note_marks import note_state, quick_tags
from qi_capture.central.postgres import is_url as is_url  # re-exported for the CLI
from qi_capture.storage.canonical import JsonValue, loads, sha256_hex
from qi_capture.storage.models import utcnow
from qi_capture.storage.profile import KEYFILE_NAME, Profile
from qi_capture.storage.store import Store

#: Where ``qi-capture admin init --central DIR`` puts the admin profile inside DIR.
ADMIN_FOLDER = "admin"


def profile_folder(central: Path) -> Path:
    """The admin profile of a central folder: ``DIR/admin`` (as ``admin init`` makes
    it), or DIR itself when it is a profile folder."""
    for folder in (central / ADMIN_FOLDER, central):
        if (folder / KEYFILE_NAME).is_file():
            return folder
    raise CentralNotFound(str(central))


def _uuid(raw: object) -> uuid.UUID:
    """A UUID column read raw: SQLite's 32 hex digits, or the driver's UUID."""
    return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))


def postgres_url(target: str) -> str:
    """A PostgreSQL URL as psycopg 3's (`CentralTargetRefused` for any other kind)."""
    return postgres.parse_url(target).render_as_string(hide_password=False)


class CentralStore:
    def __init__(
        self,
        engine: Engine,
        *,
        target: str,
        actor: str = "admin",
        profile: Store | None = None,
        owns_engine: bool = True,
        attachments: Path | None = None,
    ) -> None:
        self.engine = engine
        self.target = target
        self.actor = actor
        self.profile = profile
        self._owns_engine = owns_engine
        files = CentralAttachmentFiles(attachments) if attachments is not None else None
        #: The attachments' encrypted files (`qi_capture.central.attachments`).
        self.attachments = Attachments(engine, files, target)
        if migrate.needs_upgrade(engine):
            migrate.upgrade(engine, attachments=files, where=target)
        devices.ensure_central_device(engine)
        if profile is not None:  # one writer: orphans are safe to remove (see the module)
            self.attachments.sweep_orphans()

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(
        cls, target: str | Path, passphrase: str | None = None, *, actor: str = "admin",
        attachments: Path | None = None,
        backup_keep_days: int | None = None,
    ) -> CentralStore:
        """Open (creating the tables on first use) the store at a profile folder or URL.
        ``attachments``: a PostgreSQL store's attachments folder (else the
        ``QI_CENTRAL_ATTACHMENTS`` variable's); a central folder keeps them inside.
        ``backup_keep_days``: how long the admin profile's rolling backups are kept (a
        SQLCipher store; PostgreSQL's backups are the database administrator's)."""
        text = str(target)
        if is_url(text):
            return cls._open_postgres(postgres.parse_url(text), actor=actor,
                                      attachments=folder_for_postgres(attachments))
        folder = profile_folder(Path(text))
        store = (Profile.unlock(folder, passphrase or "") if backup_keep_days is None else
                 Profile.unlock(folder, passphrase or "", backup_keep_days=backup_keep_days))
        return cls.on_profile(store, target=text, actor=actor)

    @classmethod
    def on_profile(cls, store: Store, *, target: str, actor: str = "admin") -> CentralStore:
        """The central tables of an admin profile unlocked already (``store``), which
        closing the central store locks (as it does when it fails to open)."""
        try:
            return cls(store.engine, target=target, actor=actor, profile=store,
                       owns_engine=False, attachments=store.folder / ATTACHMENTS_FOLDER)
        except BaseException:
            store.lock()
            raise

    @classmethod
    def _open_postgres(cls, url: URL, *, actor: str, attachments: Path | None) -> CentralStore:
        engine = create_engine(url, pool_pre_ping=True)
        try:
            postgres.check_connection(engine, url)
            try:
                return cls(engine, target=postgres.mask(url), actor=actor,
                           attachments=attachments)
            except ProgrammingError as exc:  # e.g. a merge role may not create tables
                raise CentralSchemaOutdated(
                    postgres.mask(url), postgres.unavailable(exc, url).params["detail"]
                ) from None
            except DBAPIError as exc:
                raise postgres.unavailable(exc, url) from None
        except BaseException:
            engine.dispose()
            raise

    @property
    def backend(self) -> str:
        return "postgresql" if self.engine.dialect.name == "postgresql" else "sqlcipher"

    def close(self) -> None:
        if self.profile is not None:
            self.profile.lock()
            self.profile = None
        elif self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> CentralStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- merging ---------------------------------------------------------------------
    def merge(
        self,
        bundle: VerifiedBundle,
        *,
        source: str | None = None,
        now: datetime | None = None,
        enrol: merging.Enrolment | None = None,
    ) -> BundleReport:
        return merging.merge_bundle(
            self.engine, bundle, actor=self.actor, source=source, now=now, enrol=enrol,
            attachments=self.attachments,
        )

    def file_known(self, file_sha256: str) -> str | None:
        """The manifest hash of an already merged bundle file with these bytes, if any."""
        with self.engine.connect() as conn:
            return conn.scalar(
                select(CentralBundleFileRow.manifest_hash).where(
                    CentralBundleFileRow.file_sha256 == file_sha256
                )
            )

    def bundle_of(self, manifest_hash: str) -> tuple[str, uuid.UUID] | None:
        """(bundle id, device id) of a merged bundle."""
        t = sql.table(CentralBundleRow)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.c.bundle_id, t.c.device_id).where(t.c.manifest_hash == manifest_hash)
            ).one_or_none()
        return None if row is None else (row.bundle_id, row.device_id)

    def bundle_known(self, manifest_hash: str) -> bool:
        with self.engine.connect() as conn:
            return merging._bundle_known(conn, manifest_hash)

    def device_gaps(self, device_id: uuid.UUID) -> DeviceGaps:
        return devices.gaps(self.engine, device_id)

    def clone_alerts(self, device_id: uuid.UUID | None = None) -> list[CloneAlert]:
        t = sql.table(CentralCloneAlertRow)
        query = select(t).order_by(t.c.device_id, t.c.device_seq)
        if device_id is not None:
            query = query.where(t.c.device_id == device_id)
        with self.engine.connect() as conn:
            return [
                CloneAlert(r.device_id, r.device_seq, tuple(sql.json_list(r.revisions_json)))
                for r in conn.execute(query)
            ]

    def manifests(self, device_id: uuid.UUID) -> list[tuple[str, str, int, int]]:
        """(manifest hash, bundle id, first, last) of the device's merged bundles."""
        t = sql.table(CentralBundleRow)
        with self.engine.connect() as conn:
            return [
                (r.manifest_hash, r.bundle_id, r.seq_first, r.seq_last)
                for r in conn.execute(
                    select(t).where(t.c.device_id == device_id).order_by(t.c.seq_last)
                )
            ]

    def device_revisions(self, device_id: uuid.UUID) -> list[tuple[uuid.UUID, str, int]]:
        """(record id, revision id, sequence) of every revision the device sent: what an
        acknowledgement lists."""
        t = sql.table(CentralRevisionRow)
        with self.engine.connect() as conn:
            return [
                (r.record_id, r.id, r.device_seq)
                for r in conn.execute(
                    select(t.c.record_id, t.c.id, t.c.device_seq)
                    .where(t.c.device_id == device_id)
                    .order_by(t.c.device_seq, t.c.id)
                )
            ]

    def device_interviewers(self) -> dict[uuid.UUID, tuple[str, ...]]:
        """Per device, the interviewer names its revisions carry (sorted)."""
        t = sql.table(CentralRevisionRow)
        found: dict[uuid.UUID, set[str]] = {}
        with self.engine.connect() as conn:
            for device_id, name in conn.execute(
                    select(t.c.device_id, t.c.interviewer).distinct()):
                found.setdefault(_uuid(device_id), set()).add(name)
        return {d: tuple(sorted(n for n in names if n)) for d, names in found.items()}

    def revision_ids_by_device(self, device_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
        """The ids of every revision each device sent (what its acknowledgement lists)."""
        t = sql.table(CentralRevisionRow)
        found: dict[uuid.UUID, list[str]] = {}
        with self.engine.connect() as conn:
            # One query per device, over the (device_id, device_seq, id) index alone.
            for device_id in sorted(set(device_ids)):
                found[device_id] = list(conn.scalars(select(t.c.id).where(
                    t.c.device_id == device_id)))
        return found

    # -- devices -----------------------------------------------------------------------
    def devices(self) -> list[CentralDevice]:
        return devices.list_devices(self.engine)

    def device_names(self) -> dict[uuid.UUID, str]:
        """Every registered device's name, by id (`devices.device_names`)."""
        return devices.device_names(self.engine)

    def device(self, device_id: uuid.UUID) -> CentralDevice:
        return devices.get_device(self.engine, device_id)

    def enrol(
        self,
        device_id: uuid.UUID,
        *,
        name: str,
        fingerprint: str,
        public_key: bytes | None = None,
    ) -> CentralDevice:
        return devices.enrol(
            self.engine,
            device_id,
            name=name,
            public_key=public_key,
            fingerprint=fingerprint,
            actor=self.actor,
        )

    def revoke(self, device_id: uuid.UUID) -> CentralDevice:
        return devices.revoke(self.engine, device_id, actor=self.actor)

    def trusted_keys(self) -> list[TrustedKey]:
        """Every device key enrolled or revoked, by fingerprint (`devices.trusted_keys`)."""
        return devices.trusted_keys(self.engine)

    def enrol_key(self, public_key: bytes, fingerprint: str, *, name: str = "") -> TrustedKey:
        """Trust a key before its device is known (`devices.enrol_key`)."""
        return devices.enrol_key(self.engine, public_key, fingerprint, name=name,
                                 actor=self.actor)

    def revoke_key(self, fingerprint: str) -> TrustedKey | None:
        """Revoke every device holding this key; None if no device holds it."""
        return devices.revoke_key(self.engine, fingerprint, actor=self.actor)

    def adopt_keys(self, keys: Sequence[AdoptedKey], *, setting_key: str | None = None) -> None:
        """Move an admin profile's old list of keys in (`devices.adopt_keys`)."""
        devices.adopt_keys(self.engine, keys, actor=self.actor, setting_key=setting_key)

    def rename_device(self, device_id: uuid.UUID, name: str) -> CentralDevice:
        return devices.rename(self.engine, device_id, name, actor=self.actor)

    def quarantine(
        self,
        *,
        device_id: uuid.UUID,
        fingerprint: str | None,
        public_key: bytes | None = None,
        file_sha256: str | None = None,
        data: bytes = b"",
    ) -> bool:
        """Record a bundle from a device not enrolled. Its bytes are a file in the
        quarantine folder (`qi_capture.central.quarantine`), named by ``file_sha256``;
        ``data`` is how rows written before that held them, still read by enrolment.
        False if the row was there already."""
        return devices.quarantine(
            self.engine,
            file_sha256=file_sha256 if file_sha256 is not None else sha256_hex(data),
            device_id=device_id,
            fingerprint=fingerprint,
            public_key=public_key,
            data=data,
            actor=self.actor,
        )

    def quarantine_waiting(self) -> list[str]:
        """The file hashes of every bundle still in quarantine (no bytes read)."""
        t = sql.table(CentralQuarantineRow)
        with self.engine.connect() as conn:
            return list(conn.scalars(select(t.c.file_sha256).where(t.c.released.is_(None))))

    def quarantined(self, device_id: uuid.UUID | None = None) -> list[QuarantinedBundle]:
        return devices.quarantined(self.engine, device_id)

    def release(self, file_sha256: str) -> None:
        devices.release(self.engine, file_sha256)

    # -- conflicts ------------------------------------------------------------------------
    def conflicts(self, status: str | None = "open") -> list[ConflictInfo]:
        return conflicts.list_conflicts(self.engine, status)

    def conflict(self, conflict_id: str) -> ConflictDetail:
        return conflicts.show(self.engine, conflicts.find(self.engine, conflict_id))

    def resolve(
        self,
        conflict_id: str,
        *,
        reason: str,
        keep: str | None = None,
        merged: Mapping[str, JsonValue] | None = None,
    ) -> ConflictInfo:
        full = conflicts.find(self.engine, conflict_id)
        return conflicts.resolve(
            self.engine, full, reason=reason, actor=self.actor, keep=keep, merged=merged
        )

    def heads(self, record_id: uuid.UUID) -> tuple[str, ...]:
        return conflicts.record_heads(self.engine, record_id)

    # -- erasure (`qi_capture.central.erasure`) --------------------------------------------
    def erase(
        self,
        record_ids: Sequence[uuid.UUID],
        *,
        reason: str,
        action: str = "erase_record",
        now: datetime | None = None,
    ) -> list[erasure.Tombstone]:
        """Erase records (one transaction), then make it stick on disk (`compact`)."""
        done = erasure.erase_records(self.engine, record_ids, reason=reason, actor=self.actor,
                                     action=action, now=now, attachments=self.attachments)
        # What a merge role's merges could not purge:
        erasure.purge_pending(self.engine, self.attachments)
        self.compact()
        return done

    def purge_erased(self) -> int:
        """Finish erasures a PostgreSQL merge role merged but could not purge; returns
        how many records are erased."""
        count = erasure.purge_pending(self.engine, self.attachments)
        self.compact()
        return count

    def compact(self) -> None:
        erasure.compact(self.engine)

    def tombstones(self, study_id: str | None = None) -> list[erasure.Tombstone]:
        return erasure.tombstones(self.engine, study_id=study_id)

    def erased_record_ids(self, study_id: str) -> list[str]:
        return erasure.erased_record_ids(self.engine, study_id)

    # -- records, for people -------------------------------------------------------------
    def records(
        self,
        form_id: str,
        *,
        status: str | None = None,
        device_id: uuid.UUID | None = None,
        search: str | None = None,
        deleted: bool = False,
        offset: int = 0,
        limit: int | None = None,
        answer: tuple[str, str] | None = None,
        newest_first: bool = False,
        after: listing.Cursor | None = None,
        count: bool = True,
    ) -> tuple[list[RecordListing], int | None]:
        """One page of the form's records and the number matching (`records.list_records`)."""
        return listing.list_records(self.engine, form_id, status=status, device_id=device_id,
                                    search=search, deleted=deleted, offset=offset, limit=limit,
                                    answer=answer, newest_first=newest_first, after=after,
                                    count=count)

    def count_records(
        self,
        form_id: str,
        *,
        status: str | None = None,
        device_id: uuid.UUID | None = None,
        search: str | None = None,
        deleted: bool = False,
        answer: tuple[str, str] | None = None,
    ) -> int:
        """How many of the form's records match (`records.count_records`)."""
        return listing.count_records(self.engine, form_id, status=status, device_id=device_id,
                                     search=search, deleted=deleted, answer=answer)

    def listed_forms(self) -> list[tuple[str, str | None, int]]:
        """(form id, title, records) of every form known here (`records.forms`)."""
        return listing.forms(self.engine)

    def record_listing(self, record_id: uuid.UUID) -> RecordListing:
        found = listing.get_listing(self.engine, record_id)
        if found is None:
            raise RecordNotFound(str(record_id))
        return found

    def record_ids_with_prefix(self, hex_prefix: str,
                               limit: int = 2) -> tuple[list[uuid.UUID], int]:
        """Up to ``limit`` record ids starting with these hex digits, and how many there
        are."""
        return listing.record_ids_with_prefix(self.engine, hex_prefix, limit)

    def record_revisions(self, record_id: uuid.UUID) -> list[RevisionSummary]:
        return listing.revisions(self.engine, record_id)

    def record_attachments(self, record_id: uuid.UUID) -> list[AttachmentMeta]:
        return listing.attachments(self.engine, record_id)

    def note_state(self, record_id: uuid.UUID) -> NoteState:
        """The record's interview notes' quick tags and marks (`note_marks`)."""
        return note_state(self.engine, record_id)

    def quick_tags(self, record_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, NoteState]:
        """The quick tags and marks of each of ``record_ids`` that has any."""
        return quick_tags(self.engine, record_ids)

    # -- review --------------------------------------------------------------------------
    def set_review(self, record_id: uuid.UUID, status: str, comment: str = "") -> ReviewInfo:
        return review.set_review(self.engine, record_id, status, actor=self.actor, comment=comment)

    def review(self, record_id: uuid.UUID) -> ReviewInfo:
        return review.get_review(self.engine, record_id)

    # -- forms -----------------------------------------------------------------------------
    def add_form(
        self,
        *,
        study_id: str,
        form_id: str,
        version: str,
        title: str,
        sha256: str,
        compiled_json: str,
    ) -> None:
        """Record a compiled form version exports label with (idempotent)."""
        with self.engine.begin() as conn:
            sql.insert_ignore(
                conn,
                sql.table(CentralFormRow),
                [
                    {
                        "study_id": study_id,
                        "form_id": form_id,
                        "version": version,
                        "title": title,
                        "sha256": sha256,
                        "compiled_json": compiled_json,
                        "added": utcnow(),
                    }
                ],
            )

    def form_versions(self, form_id: str) -> list[FormVersionJson]:
        t = sql.table(CentralFormRow)
        with self.engine.connect() as conn:
            return [
                FormVersionJson(
                    r.study_id, r.form_id, r.version, r.title, r.sha256, r.compiled_json
                )
                for r in conn.execute(
                    select(t).where(t.c.form_id == form_id).order_by(t.c.added, t.c.version)
                )
            ]

    def record_form_versions(self, form_id: str) -> dict[str, int]:
        """Form version -> number of records whose displayed winner uses it."""
        t = sql.table(CentralRecordRow)
        with self.engine.connect() as conn:
            return dict(
                conn.execute(
                    select(t.c.form_version, func.count())
                    .where(t.c.form_id == form_id)
                    .group_by(t.c.form_version)
                ).all()
            )

    # -- export source ------------------------------------------------------------------------
    def export_records(self, form_id: str, batch: int = 10_000) -> ExportSource:
        """Every record of the form (deleted and conflicted ones too, flagged) with the
        displayed winner's answers, in record-id order: one query streamed in
        ``batch``-sized parts (`ExportSource`). Iterate it for `ExportRecord`s, or take
        its ``batches()`` column by column."""
        return ExportSource(self.engine, form_id, batch)

    def export_copies_due(self, form_id: str, layout_key: str) -> bool:
        """Whether the form's next export would build or patch export-ready copies
        (`export_copies.due`)."""
        with self.engine.connect() as conn:
            return export_copies.due(conn, form_id, layout_key)

    def export_paradata(self, record_ids: Sequence[uuid.UUID]) -> Iterator[ExportParadata]:
        t = sql.table(CentralParadataRow)
        for chunk in sql.chunks(sorted(record_ids)):
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(t)
                    .where(t.c.record_id.in_(chunk))
                    .order_by(t.c.record_id, t.c.device_id, t.c.seq)
                ).all()
            for r in rows:
                yield ExportParadata(
                    r.record_id,
                    r.device_id,
                    r.seq,
                    r.kind,
                    r.session_id,
                    r.session_started_at,
                    r.elapsed_ms,
                    r.payload_json,
                )

    # -- audit -----------------------------------------------------------------------------------
    def log(self, action: str, params: JsonValue) -> None:
        with self.engine.begin() as conn:
            sql.audit(conn, self.actor, action, params, utcnow())

    def audit_log(self) -> list[AuditEntry]:
        t = sql.table(CentralAuditRow)
        with self.engine.connect() as conn:
            return [
                AuditEntry(r.id, r.at, r.actor, r.action, loads(r.params_json))
                for r in conn.execute(select(t).order_by(t.c.id))
            ]

    def audit_page(self, *, action: str | None = None, actor: str | None = None,
                   text: str | None = None, text_actions: Sequence[str] = (),
                   before: int | None = None, limit: int = 200) -> list[AuditEntry]:
        """A page of the audit log, newest first (`audit_log.page`)."""
        return audit_log.page(self.engine, action=action, actor=actor, text=text,
                              text_actions=text_actions, before=before, limit=limit)

    def audit_count(self, *, action: str | None = None, actor: str | None = None,
                    text: str | None = None, text_actions: Sequence[str] = ()) -> int:
        """How many audit entries match (`audit_log.count`)."""
        return audit_log.count(self.engine, action=action, actor=actor, text=text,
                               text_actions=text_actions)

    def audit_choices(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(actions, actors) in the audit log (`audit_log.choices`)."""
        return audit_log.choices(self.engine)

    # -- the state, as one hash --------------------------------------------------------------------
    def content_hash(self) -> str:
        """SHA-256 over the store's content, ignoring what only records when and in which
        order things happened (import times, per-bundle counts, audit log, superseded
        conflict episodes). Equal for every import order of the same bundles."""
        h = hashlib.sha256()
        with self.engine.connect() as conn:
            for line in _content_lines(conn):
                h.update(line.encode("utf-8"))
                h.update(b"\n")
        return h.hexdigest()


def _content_lines(conn: object) -> Iterator[str]:
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)

    def rows(title: str, query: object) -> Iterator[str]:
        yield f"# {title}"
        for r in conn.execute(query):  # type: ignore[call-overload]
            yield json.dumps([_plain(v) for v in r], separators=(",", ":"))

    rev = sql.table(CentralRevisionRow)
    yield from rows("revisions", select(rev.c.id).order_by(rev.c.id))
    rec = sql.table(CentralRecordRow)
    yield from rows(
        "records",
        select(
            rec.c.id,
            rec.c.heads_json,
            rec.c.winner,
            rec.c.in_conflict,
            rec.c.deleted,
            rec.c.form_version,
            rec.c.submitted,
        ).order_by(rec.c.id),
    )
    c = sql.table(CentralConflictRow)
    yield from rows(
        "open conflicts",
        select(c.c.id, c.c.record_id, c.c.kind, c.c.heads_json, c.c.winner)
        .where(c.c.status == "open")
        .order_by(c.c.id),
    )
    ca = sql.table(CentralCloneAlertRow)
    yield from rows("clone alerts", select(ca).order_by(ca.c.device_id, ca.c.device_seq))
    a = sql.table(CentralAttachmentRow)
    yield from rows("attachments", select(a.c.id, a.c.record_id, a.c.sha256).order_by(a.c.id))
    p = sql.table(CentralParadataRow)
    yield from rows(
        "paradata",
        select(p.c.record_id, p.c.device_id, p.c.seq, p.c.kind).order_by(
            p.c.record_id, p.c.device_id, p.c.seq
        ),
    )
    d = sql.table(CentralDeviceRow)
    yield from rows(
        "devices",
        select(d.c.id, d.c.status, d.c.fingerprint, d.c.last_seq, d.c.chain_head).order_by(d.c.id),
    )
    b = sql.table(CentralBundleRow)
    yield from rows("bundles", select(b.c.manifest_hash).order_by(b.c.manifest_hash))
    rv = sql.table(CentralReviewRow)
    yield from rows("review", select(rv.c.record_id, rv.c.status).order_by(rv.c.record_id))


def _plain(value: object) -> object:
    if isinstance(value, uuid.UUID | datetime):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value
