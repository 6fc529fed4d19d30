"""`AdminDesk`: the admin side's one door, used by the command line and the console.

Opened once with the central target (a central folder, unlocked with the admin
passphrase; or a PostgreSQL URL, with the central folder whose profile holds the admin
keys) and closed (locked) at the end::

    with AdminDesk.open("/srv/central", passphrase) as desk:
        result = desk.merge(["/media/usb"], progress=..., cancel=...)
        page = desk.records("qi_baseline", status="received", limit=100)
        detail = desk.record(page.rows[0].short_id, language="English (en)")
        desk.set_review(detail.row.short_id, "approved", "checked with the lead")

Every method returns frozen values (`qi_capture.services.admin.dto`), never the store,
an engine or a row. Records and devices may be named by a unique prefix of at least four
hex digits of their id; conflicts and revisions by any unique prefix of theirs.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from qi_capture.central.dto import AuditEntry, CentralDevice, ConflictInfo, RecordListing
from qi_capture.central.errors import (
    DeviceNotFound,
    FormNotFound,
    InvalidResolution,
    RecordNotFound,
)
from qi_capture.central.models import REVIEW_STATUSES
from qi_capture.central.store import CentralStore, is_url
from qi_capture.crypto import signing
from qi_capture.forms.model import Element, Form
from qi_capture.progress import CancelToken, ProgressCallback
from qi_capture.services.admin import erasure, exports, render
from qi_capture.services.admin import report as report_service
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.dto import (
    MIN_PREFIX,
    AuditChoices,
    AuditPage,
    ConflictLine,
    ConflictView,
    DeviceSummary,
    Enrolment,
    FilterQuestion,
    FormOutline,
    FormSummary,
    MergeResult,
    QuarantinedMerge,
    RecordCursor,
    RecordDetail,
    RecordPage,
    RecordRow,
    ReviewInfo,
    RevisionView,
    short_id,
)
from qi_capture.services.admin.errors import (
    CANDIDATES_SHOWN,
    AdminKeysNeeded,
    DeviceKeyUnknown,
    IdPrefixAmbiguous,
    IdPrefixInvalid,
    LanguageUnknown,
    PickNotAHead,
    RecordingNotFound,
)
from qi_capture.services.admin.exports import ExportOptions, ExportResult
from qi_capture.services.admin.inbox import InboxCache, InboxFolder, scan_inbox
from qi_capture.services.backup_policy import backup_keep_days
from qi_capture.services.central_forms import RegisteredForm, register_forms
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.dto import grouped_fingerprint
from qi_capture.services.merge import find_bundles, merge_files, merge_quarantined
from qi_capture.storage.canonical import JsonValue, loads
from qi_capture.sync.admin import AdminProfile, parse_device_key

if TYPE_CHECKING:
    from qi_capture.services.admin.playback import PlaybackSession

_HEX = re.compile(r"^[0-9a-f]+$")

__all__ = ["REVIEW_STATUSES", "AdminDesk", "needs_passphrase"]


def needs_passphrase(target: str | Path, admin_dir: Path | None = None) -> bool:
    """Whether opening ``target`` asks for the admin passphrase: a central folder always
    does; a PostgreSQL URL only with the folder of the admin keys."""
    return not is_url(str(target)) or admin_dir is not None


def _hex_prefix(text: str, what: str) -> str:
    digits = text.strip().lower().replace("-", "")
    if len(digits) < MIN_PREFIX or len(digits) > 32 or not _HEX.match(digits):
        raise IdPrefixInvalid(text, what, MIN_PREFIX)
    return digits


class AdminDesk:
    """The central store and (when at hand) the admin keys, behind one door."""

    def __init__(self, central: CentralStore, admin: AdminProfile | None,
                 *, owns_admin: bool) -> None:
        self._central = central
        self._admin = admin
        self._owns_admin = owns_admin
        #: The one device registry (an old admin profile's list of keys moved in).
        self._registry = DeviceRegistry(central, admin)
        #: What the inbox read of each bundle file, kept while the file is unchanged.
        self.inbox_cache = InboxCache()

    # -- opening and closing ------------------------------------------------------------
    @classmethod
    def open(cls, target: str | Path, passphrase: str | None = None, *,
             admin_dir: Path | None = None, actor: str = "admin") -> AdminDesk:
        """Open the central folder (its admin profile holds the keys and the central
        tables) or the PostgreSQL URL (then ``admin_dir``, if given, is the central folder
        whose keys open bundles, unlocked with the same ``passphrase``)."""
        text = str(target)
        if not is_url(text):
            central = CentralStore.open(text, passphrase, actor=actor,
                                        backup_keep_days=backup_keep_days())
            assert central.profile is not None
            return cls(central, AdminProfile(central.profile), owns_admin=False)
        central = CentralStore.open(text, actor=actor)
        admin = None
        try:
            if admin_dir is not None:
                admin = AdminProfile.open(admin_dir, passphrase or "")
                # So that ``admin enrol --central DIR`` can say where the registry is.
                admin.remember_central_store(central.target)
            return cls(central, admin, owns_admin=admin is not None)
        except BaseException:
            if admin is not None:
                admin.lock()
            central.close()
            raise

    @property
    def target(self) -> str:
        """Where the store is (a URL with its password masked)."""
        return self._central.target

    @property
    def backend(self) -> str:
        return self._central.backend

    @property
    def has_keys(self) -> bool:
        """Whether the admin keys are open (merging and enrolment need them)."""
        return self._admin is not None

    def close(self) -> None:
        if self._admin is not None and self._owns_admin:
            self._admin.lock()
        self._admin = None
        self._central.close()

    def __enter__(self) -> AdminDesk:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _keys(self, action: str) -> AdminProfile:
        if self._admin is None:
            raise AdminKeysNeeded(action)
        return self._admin

    # -- merging ------------------------------------------------------------------------
    def merge(self, paths: Sequence[str | Path], *, write_acks: bool = True,
              progress: ProgressCallback | None = None,
              cancel: CancelToken | None = None) -> MergeResult:
        """Merge the bundle files named, or found in the folders named (and their
        ``outbox/``), one transaction per bundle; ``cancel`` stops between bundles
        (`qi_capture.services.merge.merge_files`)."""
        files = find_bundles([str(p) for p in paths])
        admin = self._keys("open the bundles")
        run = merge_files(self._central, admin, files, write_acks=write_acks,
                          progress=progress, cancel=cancel)
        return MergeResult(tuple(run.reports), tuple(run.gaps), tuple(run.clones),
                           tuple(run.ack_files), run.cancelled)

    def inbox(self, paths: Sequence[str | Path]) -> tuple[InboxFolder, ...]:
        """What waits in each folder named (and its ``outbox/``), read without merging:
        per bundle file its size, whether these bytes were merged or quarantined before,
        and, with the admin keys, its device and sequence numbers or why the merge would
        quarantine or refuse it (`qi_capture.services.admin.inbox`). Writes nothing."""
        return scan_inbox(self._central, self._admin, paths, self.inbox_cache)

    # -- devices ------------------------------------------------------------------------
    def _summary(self, device: CentralDevice,
                 interviewers: Mapping[uuid.UUID, tuple[str, ...]] | None = None
                 ) -> DeviceSummary:
        if interviewers is None:
            interviewers = self._central.device_interviewers()
        manifests = self._central.manifests(device.id)
        last = None if not manifests else (manifests[-1][1], manifests[-1][3])
        return DeviceSummary(
            device=device,
            fingerprint_grouped=None if device.fingerprint is None
            else grouped_fingerprint(device.fingerprint),
            gaps=self._central.device_gaps(device.id),
            clone_alerts=tuple(self._central.clone_alerts(device.id)),
            last_bundle=last,
            interviewers=interviewers.get(device.id, ()),
        )

    def devices(self) -> tuple[DeviceSummary, ...]:
        """Enrolled, revoked and unknown devices (seen only through quarantined bundles)."""
        interviewers = self._central.device_interviewers()
        return tuple(self._summary(d, interviewers) for d in self._central.devices())

    def device(self, ref: str | uuid.UUID) -> DeviceSummary:
        return self._summary(self._central.device(self.device_id(ref)))

    def device_id(self, ref: str | uuid.UUID) -> uuid.UUID:
        """The device a whole id or a unique prefix (at least four hex digits) names."""
        if isinstance(ref, uuid.UUID):
            return ref
        digits = _hex_prefix(ref, "device id")
        if len(digits) == 32:
            return uuid.UUID(digits)
        matches = [d.id for d in self._central.devices() if d.id.hex.startswith(digits)]
        if not matches:
            raise DeviceNotFound(ref)
        if len(matches) > 1:
            raise IdPrefixAmbiguous(ref, "device", len(matches), [str(m) for m in matches])
        return matches[0]

    def enrol(self, ref: str | uuid.UUID, *, name: str = "",
              public_key: bytes | str | None = None) -> Enrolment:
        """Accept a device (its key: the one given, else the one its quarantined bundles
        carry; check the fingerprint with the interviewer first), then, with the admin
        keys, merge its quarantined bundles and release them from quarantine."""
        device_id = self.device_id(ref)
        waiting = self._central.quarantined(device_id)
        if isinstance(public_key, str):
            key = parse_device_key(public_key)
        elif public_key is not None:
            key = public_key
        else:
            keys = {q.public_key for q in waiting if q.public_key is not None}
            if len(keys) != 1:
                raise DeviceKeyUnknown(str(device_id))
            key = keys.pop()
        fingerprint = signing.fingerprint(key)
        self._registry.enrol(
            device_id, name=name, fingerprint=fingerprint, public_key=key)
        merged: tuple[QuarantinedMerge, ...] = ()
        if self._admin is not None:
            merged = tuple(QuarantinedMerge(sha, report) for sha, report
                           in merge_quarantined(self._central, self._admin, device_id))
        return Enrolment(self.device(device_id), fingerprint, merged,
                         waiting_for_keys=len(waiting) if self._admin is None else 0)

    def revoke(self, ref: str | uuid.UUID) -> DeviceSummary:
        """Refuse the device's bundles from now on (what it sent stays); every bundle
        signed with its key is refused with it."""
        device = self._registry.revoke(self.device_id(ref))
        return self._summary(device)

    def rename(self, ref: str | uuid.UUID, name: str) -> DeviceSummary:
        """Change a device's label (in the audit log by id only)."""
        device = self._registry.rename(self.device_id(ref), name)
        return self._summary(device)

    # -- records ------------------------------------------------------------------------
    def record_id(self, ref: str | uuid.UUID) -> uuid.UUID:
        """The record a whole id or a unique prefix (at least four hex digits) names."""
        if isinstance(ref, uuid.UUID):
            return ref
        digits = _hex_prefix(ref, "record id")
        if len(digits) == 32:
            return uuid.UUID(digits)
        ids, count = self._central.record_ids_with_prefix(digits, CANDIDATES_SHOWN)
        if count == 0:
            raise RecordNotFound(ref)
        if count > 1:
            raise IdPrefixAmbiguous(ref, "record", count, [str(i) for i in ids])
        return ids[0]

    # -- erasure and retention (`qi_capture.services.admin.erasure`) ----------------------
    def erase(self, ref: str | uuid.UUID, *, reason: str) -> erasure.Tombstone:
        """Erase one record (consent withdrawn, entered twice...): its answers, every
        earlier revision, attachments, paradata, codings and review notes; a tombstone
        (id, form, who, when, why) stays. Its laptop erases its copy on its next sync."""
        [done] = erasure.erase(self._central, [self.record_id(ref)], reason=reason)
        return done

    def erase_device(self, ref: str | uuid.UUID, *, reason: str) -> list[erasure.Tombstone]:
        """Every record of a laptop (only where the erasure policy allows it)."""
        ids = erasure.bulk_ids(self._central, device_id=self.device_id(ref))
        return erasure.erase(self._central, ids, reason=reason) if ids else []

    def erase_interviewer(self, name: str, *, reason: str) -> list[erasure.Tombstone]:
        """Every record of an interviewer (only where the erasure policy allows it)."""
        ids = erasure.bulk_ids(self._central, interviewer=name)
        return erasure.erase(self._central, ids, reason=reason) if ids else []

    def tombstones(self) -> tuple[erasure.Tombstone, ...]:
        return tuple(self._central.tombstones())

    def erasure_policy(self) -> erasure.ErasurePolicy:
        return erasure.policy(self._central)

    def set_erasure_policy(self, policy: erasure.ErasurePolicy) -> erasure.ErasurePolicy:
        return erasure.set_policy(self._central, policy)

    def retention_plan(self, *, today: date | None = None) -> erasure.RetentionPlan:
        return erasure.retention_plan(self._central, today=today)

    def run_retention(self, *, today: date | None = None) -> erasure.RetentionPlan:
        return erasure.run_retention(self._central, today=today)

    def _device_names(self) -> dict[uuid.UUID, str]:
        # Names only: a page of the records table asks for them each time (a device may
        # have been renamed since), so not the bundle and quarantine counts.
        return self._central.device_names()

    def records(self, form_id: str, *, status: str | None = None,
                device: str | uuid.UUID | None = None, search: str | None = None,
                deleted: bool = False, offset: int = 0,
                limit: int | None = None, answer: tuple[str, str] | None = None,
                newest_first: bool = False, after: RecordCursor | None = None,
                count: bool = True) -> RecordPage:
        """One page of the form's records (oldest submission first, or newest first) and
        how many match: filtered by review status, device (id or prefix), an answer
        (``(path, choice name)``: see `form_outline`'s filters) and a text search over
        the instance name, the interviewer and the answers (case-insensitive).

        Paging: ``after`` (the page before's `RecordPage.next_after`) starts past that
        row, a read on the listing index however deep it is; ``offset`` skips rows
        (fine for a few pages, slow deep into a large form). ``count=False`` leaves the
        total out (None): count once per query with `count_records`."""
        device_id = None if device is None else self.device_id(device)
        listing, total = self._central.records(
            form_id, status=status, device_id=device_id, search=search or None,
            deleted=deleted, offset=offset, limit=limit, answer=answer,
            newest_first=newest_first, after=after, count=count)
        names = self._device_names()
        rows = tuple(_row(r, names) for r in listing)
        return RecordPage(rows, total, offset, limit)

    def count_records(self, form_id: str, *, status: str | None = None,
                      device: str | uuid.UUID | None = None, search: str | None = None,
                      deleted: bool = False,
                      answer: tuple[str, str] | None = None) -> int:
        """How many of the form's records match (the filters of `records`)."""
        device_id = None if device is None else self.device_id(device)
        return self._central.count_records(form_id, status=status, device_id=device_id,
                                           search=search or None, deleted=deleted,
                                           answer=answer)

    def forms(self) -> tuple[FormSummary, ...]:
        """Every form the store knows (packed, or with merged records), by form id."""
        return tuple(FormSummary(f, title, count) for f, title, count
                     in self._central.listed_forms())

    def form_outline(self, form_id: str, *, language: str | None = None) -> FormOutline:
        """The form's newest stored version as the pages need it: title, languages and
        the single-choice questions records can be filtered by (labels in ``language``,
        default the form's). Raises `FormNotFound` when no version of it is stored."""
        versions = self._central.form_versions(form_id)
        if not versions:
            raise FormNotFound(form_id)
        form = exports.stored_forms(self._central, form_id)[-1]
        if language is not None and language not in form.languages:
            raise LanguageUnknown(language, form.languages)
        chosen = language or form.default_language
        return FormOutline(form_id, form.title or form_id, form.languages,
                           form.default_language, _filters(form, chosen))

    def add_forms(self, files: Sequence[tuple[str, bytes]]) -> list[RegisteredForm]:
        """Compile each (file name, XLSForm bytes) and keep it as a version of its form
        (for labelling records and exports); idempotent. The study id is the admin
        keys' (``-`` without them)."""
        return register_forms(self._central, self._study_id(), files)

    def _study_id(self) -> str:
        if self._admin is None:
            return "-"
        try:
            return self._admin.keys().study_id
        except Exception:  # an admin profile without study keys: no study id
            return "-"

    def export(self, form_id: str, fmt: str, out_dir: str | Path, *,
               statuses: Sequence[str] | None = None, language: str | None = None,
               options: ExportOptions | None = None,
               progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None,
               attachments: bool = False) -> ExportResult:
        """Export every record of the form (every stored version in one table set) as
        ``fmt`` into ``out_dir``, with its codebook and export report; only records
        whose review status is in ``statuses`` when given; labels in ``language``.
        Logged in the audit log. The files written are NOT encrypted
        (`qi_capture.services.admin.exports`); ``attachments`` adds the records'
        attachments, decrypted, under ``attachments/<record id>/``."""
        return exports.export(self._central, form_id, fmt, Path(out_dir), statuses=statuses,
                              language=language, options=options, progress=progress,
                              cancel=cancel, attachments=attachments)

    def keep_export_copies_current(self, *, progress: ProgressCallback | None = None,
                                   cancel: CancelToken | None = None) -> tuple[str, ...]:
        """After a merge: bring the export-ready copies of the forms already exported up
        to date, so that their next export reads them instead of patching them
        (`qi_capture.services.admin.exports.keep_copies_current`); the forms done."""
        return exports.keep_copies_current(self._central, progress=progress, cancel=cancel)

    # -- the results report -------------------------------------------------------------
    def studies(self) -> dict[str, tuple[str, ...]]:
        """Study id -> the ids of its forms, as the central store knows them."""
        return report_service.studies(self._central)

    def report(self, out_dir: str | Path, *, study_id: str | None = None,
               formats: Sequence[str] = report_service.FORMATS, by: str | None = None,
               statuses: Sequence[str] | None = None, min_cell: int = 5,
               invited: str | Path | None = None, language: str | None = None,
               command: str = "", progress: ProgressCallback | None = None,
               cancel: CancelToken | None = None) -> report_service.ReportFiles:
        """Make the study's results report (``study_id`` may be left out when the store
        holds one study) and write ``formats`` (json, html, pdf, pptx) into ``out_dir``:
        broken down ``by`` a single-choice question (the footprint by default), only
        records whose review status is in ``statuses``, no count under ``min_cell``;
        ``invited``: a CSV of invited organisations (name, footprint, type). Logged in the
        audit log. The files are NOT encrypted (they hold aggregates and quotes)."""
        return report_service.make_report(
            self._central, Path(out_dir), study_id=study_id, formats=formats, by=by,
            statuses=statuses, min_cell=min_cell,
            invited=None if invited is None else Path(invited), language=language,
            command=command, progress=progress, cancel=cancel)

    def report_preview(self, *, study_id: str | None = None, by: str | None = None,
                       statuses: Sequence[str] | None = None, min_cell: int = 5,
                       language: str | None = None, progress: ProgressCallback | None = None,
                       cancel: CancelToken | None = None) -> report_service.ReportPreview:
        """The report's values and every chart drawn as SVG, for the console's Results
        page (nothing written, nothing logged)."""
        return report_service.preview(self._central, study_id=study_id, by=by,
                                      statuses=statuses, min_cell=min_cell,
                                      language=language, progress=progress, cancel=cancel)

    def record_row(self, ref: str | uuid.UUID) -> RecordRow:
        return _row(self._central.record_listing(self.record_id(ref)), self._device_names())

    def _form(self, form_id: str, version: str) -> tuple[Form | None, bool]:
        versions = self._central.form_versions(form_id)
        exact = [v for v in versions if v.version == version]
        candidates = exact or versions
        if not candidates:
            return None, False
        chosen = candidates[-1]
        return _compiled(chosen.compiled_json), bool(exact)

    def record(self, ref: str | uuid.UUID, *, language: str | None = None) -> RecordDetail:
        """The record rendered for display: its displayed winner's answers under their
        questions' labels in ``language`` (default: the form's), by section; its
        revisions (who, when, what changed); attachments; review state and comments."""
        record_id = self.record_id(ref)
        names = self._device_names()
        listing = self._central.record_listing(record_id)
        row = _row(listing, names)
        revisions = self._central.record_revisions(record_id)
        winner = next((r for r in revisions if r.id == listing.winner), None)
        answers: Mapping[str, JsonValue] = winner.answers if winner is not None else {}
        form, known = self._form(row.form_id, row.form_version)
        chosen = None
        if form is not None:
            if language is not None and language not in form.languages:
                raise LanguageUnknown(language, form.languages)
            chosen = language or form.default_language
        by_id = {r.id: r for r in revisions}
        history = tuple(
            RevisionView(
                id=r.id, device_id=r.device_id,
                device_name=names.get(r.device_id) or short_id(r.device_id),
                device_seq=r.device_seq, interviewer=r.interviewer, created=r.created,
                kind=r.kind, deleted=r.deleted, form_version=r.form_version,
                parents=r.parents,
                changed=_changed(by_id[r.parents[0]].answers if r.parents
                                 and r.parents[0] in by_id else {}, r.answers),
            )
            for r in revisions
        )
        open_conflicts = [c.id for c in self._central.conflicts("open")
                          if c.record_id == record_id]
        return RecordDetail(
            row=row,
            form_title=form.title if form is not None else row.form_id,
            language=chosen,
            languages=form.languages if form is not None else (),
            form_version_known=known,
            sections=render.render(form, answers, chosen),
            revisions=history,
            attachments=tuple(self._central.record_attachments(record_id)),
            note_marks=self._central.note_state(record_id).marks,
            review=self._central.review(record_id),
            conflict_id=open_conflicts[0] if open_conflicts else None,
            finalise_comment=self._finalise_comment(record_id),
        )

    def open_recording(
        self, ref: str | uuid.UUID, attachment: uuid.UUID | str | None = None
    ) -> PlaybackSession:
        """A record's recording opened for playback (the caller closes it): the audio
        attachment with that id or name, or the record's first audio attachment. Read
        through a decrypting stream, never a plaintext file. Raises `RecordingNotFound`,
        `AudioDecodeFailed`, and the attachment file's own errors (missing, damaged)."""
        record_id = self.record_id(ref)
        found = [a for a in self._central.record_attachments(record_id)
                 if a.media_type.startswith("audio/")
                 and (attachment is None or attachment in (a.id, a.name, str(a.id)))]
        if not found:
            raise RecordingNotFound(short_id(record_id),
                                    None if attachment is None else str(attachment))
        chosen = found[0]
        stream = self._central.attachments.open(chosen.id)
        # Here, not at the top: decoding loads numpy and libsndfile, which opening a
        # store (and every laptop service, through this package) must not pay for.
        from qi_capture.audio.playback import AudioReader
        from qi_capture.services.admin.playback import PlaybackSession

        return PlaybackSession(AudioReader(stream), name=chosen.name)

    def _finalise_comment(self, record_id: uuid.UUID) -> str:
        """The comment of the record's last finalising (its paradata), for the reviewer."""
        comment = ""
        for event in self._central.export_paradata([record_id]):
            if event.kind != "finalise":
                continue
            payload = loads(event.payload_json)
            text = payload.get("comment") if isinstance(payload, dict) else None
            comment = text if isinstance(text, str) else ""
        return comment

    # -- review -------------------------------------------------------------------------
    def review(self, ref: str | uuid.UUID) -> ReviewInfo:
        return self._central.review(self.record_id(ref))

    def set_review(self, ref: str | uuid.UUID, status: str, comment: str = "") -> ReviewInfo:
        """Set the record's review status (received, has_issues, approved, rejected) with
        a comment; kept with the record and in the audit log."""
        return self._central.set_review(self.record_id(ref), status, comment)

    # -- conflicts ----------------------------------------------------------------------
    def conflicts(self, status: str | None = "open") -> tuple[ConflictInfo, ...]:
        """Conflicts (default: the open ones; None: every one)."""
        return tuple(self._central.conflicts(status))

    def record_titles(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """What a person calls each record (its instance name, else its short id); a
        record the store no longer lists is left out."""
        titles: dict[uuid.UUID, str] = {}
        for record_id in dict.fromkeys(ids):
            try:
                titles[record_id] = self.record_row(record_id).title
            except RecordNotFound:
                continue
        return titles

    def conflict_ref(self, ref: str) -> str:
        """The conflict's whole id from any unique prefix (conflicts are few: the list is
        read); an ambiguous prefix is refused with the ids it matches, one that matches
        nothing is left for the store to refuse."""
        text = ref.strip().lower()
        if not text:
            return ref
        matches = [c.id for c in self._central.conflicts(None) if c.id.startswith(text)]
        if len(matches) > 1:
            raise IdPrefixAmbiguous(ref, "conflict", len(matches), matches[:CANDIDATES_SHOWN])
        return matches[0] if matches else ref

    def conflict(self, ref: str, *, language: str | None = None) -> ConflictView:
        """A conflict (any unique prefix of its id) with its heads side by side: per
        answer path its label and each head's value as read, the differing ones marked
        (ODK's ``meta/`` values are left out of the lines, kept in ``detail``)."""
        detail = self._central.conflict(self.conflict_ref(ref))
        names = self._device_names()
        try:
            row: RecordRow | None = self.record_row(detail.conflict.record_id)
        except RecordNotFound:
            row = None
        form = None if row is None else self._form(row.form_id, row.form_version)[0]
        if form is not None and language is not None and language not in form.languages:
            raise LanguageUnknown(language, form.languages)
        chosen = None if form is None else language or form.default_language
        differing = set(detail.differing_paths)
        # ODK's metadata (a new instanceID per edit) is not an answer to choose between.
        paths = sorted({p for h in detail.heads for p in h.answers if not p.startswith("meta/")})
        labels = _labels(form, paths, chosen)
        lines = tuple(
            ConflictLine(p, labels[p],
                         tuple(None if p not in h.answers else labels_text(form, p, h.answers[p],
                                                                           chosen)
                               for h in detail.heads),
                         p in differing)
            for p in paths
        )
        return ConflictView(detail, row, lines,
                            tuple(names.get(h.device_id) or short_id(h.device_id)
                                  for h in detail.heads))

    def resolve(self, ref: str, *, reason: str, keep: str | None = None,
                merged: Mapping[str, JsonValue] | None = None,
                picks: Mapping[str, str] | None = None) -> ConflictInfo:
        """Resolve a conflict with a new revision (its parents: every head), keeping one
        head's answers (``keep``: any unique prefix of its id), the ``merged`` answers,
        or answer by answer (``picks``: answer path -> the head, any unique prefix of its
        id, whose value to take, absent there meaning no answer; paths not picked keep
        the displayed winner's value), with the required ``reason``. Resolved conflicts
        stay resolved."""
        ref = self.conflict_ref(ref)
        if picks is not None:
            if merged is not None or keep is not None:
                raise InvalidResolution("give exactly one of keep, merged answers and picks")
            merged = self._picked(ref, picks)
        if keep is not None:
            heads = self._central.conflict(ref).conflict.heads
            matches = [h for h in heads if h.startswith(keep)]
            keep = matches[0] if len(matches) == 1 else keep
        return self._central.resolve(ref, keep=keep, merged=merged, reason=reason)

    def _picked(self, ref: str, picks: Mapping[str, str]) -> dict[str, JsonValue]:
        detail = self._central.conflict(ref)
        heads = {h.id: h for h in detail.heads}
        base = heads.get(detail.conflict.winner) or detail.heads[0]
        answers: dict[str, JsonValue] = dict(base.answers)
        for path, head_ref in picks.items():
            matches = [h for h in heads if h.startswith(head_ref)] if head_ref else []
            if len(matches) != 1:
                raise PickNotAHead(path, head_ref, detail.conflict.id)
            chosen = heads[matches[0]].answers
            if path in chosen:
                answers[path] = chosen[path]
            else:
                answers.pop(path, None)
        return answers

    # -- thematic coding --------------------------------------------------------------
    def coding(self, study_id: str | None = None, *, coder: str | None = None) -> CodingDesk:
        """Thematic coding of the study's interviews (``study_id`` may be left out when
        the store holds one study), changes made as ``coder`` (default: the actor);
        see `qi_capture.services.admin.coding`."""
        return CodingDesk(self._central, study_id, coder=coder)

    # -- audit --------------------------------------------------------------------------
    def audit(self, *, action: str | None = None, actor: str | None = None,
              offset: int = 0, limit: int | None = None) -> tuple[AuditEntry, ...]:
        """The audit log, oldest first, filtered by action and actor."""
        entries = [e for e in self._central.audit_log()
                   if (action is None or e.action == action)
                   and (actor is None or e.actor == actor)]
        end = None if limit is None else offset + limit
        return tuple(entries[offset:end])

    def audit_page(self, *, action: str | None = None, actor: str | None = None,
                   text: str | None = None, text_actions: Sequence[str] = (),
                   before: int | None = None, limit: int = 200,
                   count: bool = False) -> AuditPage:
        """A page of the audit log, newest first: entries older than ``before`` (the
        page before's `AuditPage.next_before`; None: from the newest), filtered by
        action, actor and a text in the actor, action or parameters (case-insensitive)
        or one of ``text_actions`` (the actions whose words on screen hold the text).
        ``count``: also count the matching entries."""
        text = text.strip() if text else None
        entries = self._central.audit_page(action=action, actor=actor, text=text,
                                           text_actions=text_actions, before=before,
                                           limit=limit)
        total = self._central.audit_count(action=action, actor=actor, text=text,
                                          text_actions=text_actions) if count else None
        return AuditPage(tuple(entries), total, limit)

    def audit_matching(self, *, action: str | None = None, actor: str | None = None,
                       text: str | None = None,
                       text_actions: Sequence[str] = ()) -> tuple[AuditEntry, ...]:
        """Every entry `audit_page` would list for these filters, oldest first (for an
        export of what the table shows)."""
        out: list[AuditEntry] = []
        before = None
        while True:
            page = self.audit_page(action=action, actor=actor, text=text,
                                   text_actions=text_actions, before=before, limit=2_000)
            out.extend(page.entries)
            if len(page.entries) < page.limit:
                return tuple(reversed(out))
            before = page.next_before

    def audit_choices(self) -> AuditChoices:
        """The actions and actors in the audit log, for its filters."""
        actions, actors = self._central.audit_choices()
        return AuditChoices(actions, actors)


# -- helpers -------------------------------------------------------------------------------
_SINGLE_CHOICE = {"select_one"}


def _filters(form: Form, language: str | None) -> tuple[FilterQuestion, ...]:
    """Single-choice questions with a choice list, outside repeats (a filter on one
    repeat instance's answer would say little), in form order."""
    out = []

    def walk(elements: Sequence[Element], prefix: str) -> None:
        for element in elements:
            if element.kind == "repeat":
                continue
            path = f"{prefix}{element.name}"
            if element.children:
                walk(element.children, path + "/")
            elif element.type in _SINGLE_CHOICE and element.list_name:
                choices = tuple((c.name, (c.label.get(language) if c.label else None) or c.name)
                                for c in form.choices(element.list_name))
                out.append(FilterQuestion(path, render.label_of(element, language), choices))

    walk(form.children, "")
    return tuple(out)

@lru_cache(maxsize=16)
def _compiled(text: str) -> Form:
    return Form.from_json_text(text)


def _row(r: RecordListing, names: Mapping[uuid.UUID, str]) -> RecordRow:
    return RecordRow(
        record_id=r.record_id, instance_name=r.instance_name, form_id=r.form_id,
        form_version=r.form_version, device_id=r.device_id,
        device_name=names.get(r.device_id) or "", interviewer=r.interviewer,
        review_status=r.review_status, submitted=r.submitted, updated=r.updated,
        in_conflict=r.in_conflict, deleted=r.deleted,
    )


def _changed(before: Mapping[str, JsonValue], after: Mapping[str, JsonValue]) -> tuple[str, ...]:
    return tuple(sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p)))


def _element_for(form: Form | None, path: str) -> Element | None:
    if form is None:
        return None
    name = path.rsplit("/", 1)[-1]
    return form.find(name.split("[", 1)[0])


def _labels(form: Form | None, paths: Sequence[str], language: str | None) -> dict[str, str]:
    out = {}
    for path in paths:
        element = _element_for(form, path)
        out[path] = render.label_of(element, language) if element is not None else path
    return out


def labels_text(form: Form | None, path: str, value: JsonValue, language: str | None) -> str:
    """One stored value as a person reads it (choice labels), by its path."""
    element = _element_for(form, path)
    if form is None or element is None:
        return "" if value is None else value if isinstance(value, str) else str(value)
    return render.value_text(form, element, value, language)
