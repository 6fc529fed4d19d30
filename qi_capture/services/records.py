"""Records: create, autosave, resume, finalise, edit, delete, list and show.

`RecordDraft` is the handle a form filler works through. It wraps a `FormSession`,
subscribes to its events and makes every change durable at once: the changed answers
(diffed against what is stored, so calculations and repeat instances that shift are
written too), the session state (``to_state()``: every value, the repeat instances, the
current screen, the language) and the paradata events go into one transaction
(WAL, synchronous FULL) before the call that caused them returns. A killed process
therefore loses nothing the UI was told about.

Changes made through the handle's own methods (`set`, `add_repeat`, `go_to`...) are
written once, after the session has finished recomputing; changes made on the
`FormSession` directly are written from inside the listener, each ``ValueChanged`` in its
own transaction. If a write fails (disk full), the handle goes back to the last state
that was stored, so what the UI shows is what is on disk, and the error propagates.

Logging here names record ids and counts only: never paths' values, labels or messages.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, BinaryIO

from qi_capture.forms import Form
from qi_capture.forms.session import (
    ChoiceCleared,
    ConstraintFailed,
    FormSession,
    LanguageChanged,
    QuestionEntered,
    QuestionLeft,
    RepeatAdded,
    RepeatRemoved,
    Screen,
    SessionEnvironment,
    SessionEvent,
    ValidationIssue,
    ValueChanged,
)
from qi_capture.services.admin.errors import IdPrefixAmbiguous
from qi_capture.services.answers import flatten, snapshot, unflatten
from qi_capture.services.dto import (
    AttachmentInfo,
    FormVersionInfo,
    ParadataEvent,
    RecordSummary,
    RecordView,
    RevisionInfo,
    StoredParadataEvent,
)
from qi_capture.services.errors import CannotFinalise, RecordClosed
from qi_capture.storage.attachments import DEFAULT_MAX_BYTES
from qi_capture.storage.canonical import JsonValue
from qi_capture.storage.errors import RecordNotEditable, RecordNotFound
from qi_capture.storage.paradata import SessionClock

if TYPE_CHECKING:
    from qi_capture.services.context import CoreContext

log = logging.getLogger(__name__)


def finalise_payload(answers: int, comment: str) -> dict[str, JsonValue]:
    """The "finalise" paradata event's payload: the answer count and, when given, the
    comment for the reviewer (trimmed)."""
    payload: dict[str, JsonValue] = {"answers": answers}
    if comment.strip():
        payload["comment"] = comment.strip()
    return payload


def paradata_for(clock: SessionClock, event: SessionEvent) -> ParadataEvent:
    """A form session event as the audit log stores it (monotonic time since start)."""
    payload: dict[str, JsonValue]
    if isinstance(event, ValueChanged):
        kind, payload = "value_changed", {"path": event.path, "old": event.old, "new": event.new}
    elif isinstance(event, QuestionEntered):
        kind, payload = "question_entered", {"path": event.path}
    elif isinstance(event, QuestionLeft):
        kind = "question_left"
        payload = {"path": event.path, "duration_ms": round(event.duration * 1000)}
    elif isinstance(event, ConstraintFailed):
        kind, payload = "constraint_failed", {"path": event.path, "message": event.message}
    elif isinstance(event, ChoiceCleared):
        kind, payload = "choice_cleared", {"path": event.path, "choices": list(event.choices)}
    elif isinstance(event, RepeatAdded):
        kind, payload = "repeat_added", {"path": event.path}
    elif isinstance(event, RepeatRemoved):
        kind, payload = "repeat_removed", {"path": event.path}
    elif isinstance(event, LanguageChanged):
        kind, payload = "language_changed", {"language": event.language}
    else:
        kind, payload = type(event).__name__, {}
    return clock.event(kind, payload, at=event.at)


class RecordDraft:
    """One record's working copy, autosaved as it changes, until it is finalised: a new
    record, a draft resumed, or a finalised record being edited. Named apart from the
    `FormSession` it drives and from database sessions. Get one from `RecordService`
    (`create`, `resume`, `edit`); use ``session`` for reading (labels, screens,
    errors) and the methods below, or the session itself, for changing."""

    def __init__(
        self,
        service: RecordService,
        *,
        record_id: uuid.UUID,
        form_version: FormVersionInfo,
        form: Form,
        session: FormSession,
        stored_answers: dict[str, JsonValue],
        stored_state: dict[str, Any],
        clock: SessionClock,
        instance_name: str | None = None,
    ) -> None:
        self.record_id = record_id
        self.form_version = form_version
        self.form = form
        self.clock = clock
        self._service = service
        self._stored_answers = stored_answers
        self._stored_state = stored_state
        self._instance_name = instance_name
        self._pending: list[SessionEvent] = []
        self._depth = 0
        self._closed = False
        self._session = session
        self._unsubscribe = session.subscribe(self._on_event)
        #: Number of transactions written (tests and the benchmark read it).
        self.writes = 0

    # -- the session ------------------------------------------------------------------
    @property
    def session(self) -> FormSession:
        """The live form session. It is replaced (restored from the store) after a
        failed write, so look it up here rather than keeping it."""
        return self._session

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self) -> None:
        if self._closed:
            raise RecordClosed(str(self.record_id))

    def _on_event(self, event: SessionEvent) -> None:
        self._pending.append(event)
        if self._depth == 0:
            self.flush()

    @contextlib.contextmanager
    def _batch(self) -> Iterator[None]:
        self._check_open()
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if self._depth == 0 and self._pending:
                self.flush()

    # -- changing (each call returns once the change is durable) ---------------------
    def set(self, path: str, value: object) -> ValidationIssue | None:
        """``FormSession.set``, autosaved. Returns the field's problem, if any."""
        with self._batch():
            return self._session.set(path, value)

    def ensure_instances(self, path: str) -> None:
        with self._batch():
            self._session.ensure_instances(path)

    def add_repeat(self, path: str, index: int | None = None) -> str:
        with self._batch():
            return self._session.add_repeat(path, index)

    def remove_repeat(self, path: str, index: int) -> None:
        with self._batch():
            self._session.remove_repeat(path, index)

    def go_to(self, path: str) -> Screen:
        with self._batch():
            return self._session.go_to(path)

    def next_screen(self) -> Screen | None:
        with self._batch():
            return self._session.next_screen()

    def previous_screen(self) -> Screen | None:
        with self._batch():
            return self._session.previous_screen()

    def set_language(self, language: str) -> None:
        with self._batch():
            self._session.set_language(language)

    def pause_timing(self) -> None:
        """Stop timing the current screen (the interviewer paused the clock)."""
        with self._batch():
            self._session.pause_timing()

    def resume_timing(self) -> None:
        with self._batch():
            self._session.resume_timing()

    def attach(
        self,
        path: str,
        name: str,
        media_type: str,
        stream: BinaryIO,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> AttachmentInfo:
        """Store a file (streamed, encrypted) and answer ``path`` with its name, as ODK
        answers image/audio/file questions."""
        self._check_open()
        info = self._service._ctx.store.attachments.add(
            self.record_id, name, media_type, stream, max_bytes=max_bytes
        )
        self.set(path, name)
        return info

    def flush(self) -> None:
        """Write what changed since the last write (normally automatic)."""
        self._check_open()
        events, self._pending = self._pending, []
        state = self._session.to_state()
        answers = flatten(state["data"])
        changes: dict[str, JsonValue] = {
            p: v for p, v in answers.items() if self._stored_answers.get(p) != v
        }
        changes.update({p: None for p in self._stored_answers if p not in answers})
        if not events and not changes and state == self._stored_state:
            return
        try:
            self._service._ctx.store.records.save_answer_changes(
                self.record_id,
                changes,
                session_state=state,
                events=[paradata_for(self.clock, e) for e in events],
            )
        except BaseException:
            log.warning("record %s: autosave failed; back to the stored state", self.record_id)
            self._restore()
            raise
        self._stored_answers, self._stored_state = answers, state
        self.writes += 1
        self._save_instance_name()
        log.debug("record %s: autosaved %d change(s), %d event(s)",
                  self.record_id, len(changes), len(events))

    def _save_instance_name(self) -> None:
        # The draft's name on the home screen, from the form's instance_name; written
        # only when it changes, after the answers (which are durable by then).
        if self.form.instance_name is None:
            return
        name = self._session.instance_name() or None
        if name != self._instance_name:
            self._service._ctx.store.records.set_instance_name(self.record_id, name)
            self._instance_name = name

    def _restore(self) -> None:
        self._unsubscribe()
        self._pending = []
        self._session = FormSession.from_submission(
            self.form, self._stored_state, environment=self._session.environment
        )
        self._unsubscribe = self._session.subscribe(self._on_event)

    # -- ending -----------------------------------------------------------------------
    def errors(self) -> list[ValidationIssue]:
        return self._session.errors()

    def finalise(self, comment: str = "") -> RevisionInfo:
        """Write the submission snapshot as a new revision. Refuses (`CannotFinalise`,
        listing the session's errors) while any remain; the draft stays as it is.

        ``comment`` (the interviewer's note for the reviewer) rides in the paradata's
        "finalise" event: it travels with the revision at the next sync without a new
        column, and is never logged."""
        self._check_open()
        if self._pending:
            self.flush()
        issues = self._session.errors()
        if issues:
            raise CannotFinalise(
                str(self.record_id), [(i.path, i.kind, i.message) for i in issues]
            )
        self._depth += 1  # collect the last screen's "left" instead of writing it alone
        try:
            self._session.leave()
            submission = self._session.to_submission(finalise=True)
        finally:
            self._depth -= 1
        events, self._pending = self._pending, []
        answers = snapshot(submission)
        try:
            revision = self._service._ctx.store.records.finalise(
                self.record_id,
                answers=answers,
                instance_name=submission["meta"].get("instanceName") or None,
                events=[
                    *(paradata_for(self.clock, e) for e in events),
                    self.clock.event("finalise", finalise_payload(len(answers), comment)),
                ],
            )
        except BaseException:
            self._restore()
            raise
        self._close()
        log.info("record %s finalised: revision %s (seq %d, %d answers)",
                 self.record_id, revision.id, revision.device_seq, len(answers))
        return revision

    def close(self) -> None:
        """Stop filling for now (the draft stays, resumable): writes the current
        screen's time and detaches from the session. Idempotent."""
        if self._closed:
            return
        try:
            with self._batch():
                self._session.leave()
        finally:
            self._close()

    def _close(self) -> None:
        if not self._closed:
            self._unsubscribe()
            self._closed = True
            self._service._forget(self)

    def __enter__(self) -> RecordDraft:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class RecordService:
    """Records of the unlocked profile. Each method is its own transaction(s) and returns
    frozen dataclasses; `RecordDraft` handles are the one stateful exception."""

    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx
        self._open: dict[uuid.UUID, RecordDraft] = {}

    # -- opening ----------------------------------------------------------------------
    def _environment(self) -> SessionEnvironment:
        return SessionEnvironment(device_id=str(self._ctx.device.id),
                                  username=self._ctx.interviewer)

    def _handle(
        self,
        record_id: uuid.UUID,
        info: FormVersionInfo,
        form: Form,
        session: FormSession,
        answers: dict[str, JsonValue],
        state: dict[str, Any],
        clock: SessionClock,
        instance_name: str | None = None,
    ) -> RecordDraft:
        handle = RecordDraft(
            self,
            record_id=record_id,
            form_version=info,
            form=form,
            session=session,
            stored_answers=answers,
            stored_state=state,
            clock=clock,
            instance_name=instance_name,
        )
        previous = self._open.get(record_id)
        if previous is not None:
            previous.close()
        self._open[record_id] = handle
        return handle

    def _forget(self, handle: RecordDraft) -> None:
        if self._open.get(handle.record_id) is handle:
            del self._open[handle.record_id]

    def close_all(self) -> None:
        for handle in list(self._open.values()):
            with contextlib.suppress(Exception):
                handle.close()

    def create(
        self, form_version_id: int, *, language: str | None = None
    ) -> RecordDraft:
        """A new draft of a stored form version, its initial state written at once."""
        info = self._ctx.studies.form_version(form_version_id)
        form = self._ctx.studies.load_form(form_version_id)
        session = form.new_session(language=language, environment=self._environment())
        clock = SessionClock()
        state = session.to_state()
        answers = flatten(state["data"])
        summary = self._ctx.store.records.create_record(
            form_version_id,
            interviewer=self._ctx.interviewer,
            session_state=state,
            answers=answers,
            event=clock.event("session_started", {"form_version_id": form_version_id}),
        )
        log.info("record %s created (form version %d)", summary.id, form_version_id)
        return self._handle(summary.id, info, form, session, answers, state, clock)

    def resume(self, record_id: uuid.UUID) -> RecordDraft:
        """Reopen a draft (or a record being edited) exactly as it was left: values,
        repeat instances, current screen, language. Writes a ``resume`` event."""
        detail = self._ctx.store.records.get_record(record_id)
        summary = detail.summary
        if summary.status != "draft" and not summary.editing:
            raise RecordNotEditable(str(record_id), summary.status)
        info = self._ctx.studies.form_version(summary.form_version_id)
        form = self._ctx.studies.load_form(summary.form_version_id)
        state = detail.session_state
        if not isinstance(state, dict):
            state = {"form_id": form.form_id, "data": unflatten(detail.answers)}
        session = FormSession.from_submission(form, state, environment=self._environment())
        clock = SessionClock()
        self._ctx.store.paradata.append(record_id, clock.event("resume", {
            "answers": len(detail.answers)}))
        log.info("record %s resumed", record_id)
        return self._handle(record_id, info, form, session, dict(detail.answers),
                            session.to_state(), clock, summary.instance_name)

    def edit(self, record_id: uuid.UUID) -> RecordDraft:
        """Edit a finalised record: a new form session from the head revision (a new
        instance id, the old one as ``deprecatedID``); the next finalise writes a
        revision whose parent is the current head. Resumes an edit already begun."""
        summary = self.summary(record_id)
        if summary.status == "draft" or summary.editing:
            return self.resume(record_id)
        assert summary.head_revision_id is not None
        head = self._ctx.store.records.get_revision(summary.head_revision_id)
        info = self._ctx.studies.form_version(summary.form_version_id)
        form = self._ctx.studies.load_form(summary.form_version_id)
        instance_id = head.answers.get("meta/instanceID")
        base = FormSession.from_submission(
            form,
            {"form_id": form.form_id, "data": unflatten(head.answers),
             **({"instance_id": instance_id} if isinstance(instance_id, str) else {})},
            environment=self._environment(),
        )
        session = base.new_revision()
        clock = SessionClock()
        state = session.to_state()
        self._ctx.store.records.begin_edit(
            record_id,
            session_state=state,
            event=clock.event("edit_started", {"parent": head.id}),
        )
        handle = self._handle(record_id, info, form, session, dict(head.answers), {}, clock,
                              summary.instance_name)
        handle.flush()  # the draft rows now match the session (new instance id, ...)
        log.info("record %s: edit of revision %s begun", record_id, head.id)
        return handle

    # -- other changes ---------------------------------------------------------------
    def delete_draft(self, record_id: uuid.UUID) -> None:
        """Delete a never-finalised draft with its answers, paradata and attachments."""
        handle = self._open.get(record_id)
        if handle is not None:
            handle._close()
        self._ctx.store.records.delete_draft(record_id)
        log.info("record %s deleted", record_id)

    def erase(self, record_id: uuid.UUID, reason: str) -> RevisionInfo:
        """Withdraw and erase a record (draft, finalised or sent): its answers, every
        earlier revision, paradata, attachments and recordings go from this laptop now;
        the erasure revision that stays (who, when, why; no answers) goes to the centre
        with the next sync, which erases the centre's copy too. Raises `RecordErased`
        (erased already), `ErasureReasonMissing`, `RecordNotFound`."""
        handle = self._open.get(record_id)
        if handle is not None:
            handle._close()
        info = self._ctx.store.erasures.erase(record_id, reason=reason,
                                              by=self._ctx.interviewer)
        log.info("record %s erased (erasure revision %s)", record_id, info.id)
        return info

    def erased_ids(self) -> set[uuid.UUID]:
        """The records on this laptop that were erased (only their tombstone is left)."""
        return self._ctx.store.erasures.erased_ids()

    def add_attachment(
        self,
        record_id: uuid.UUID,
        name: str,
        media_type: str,
        stream: BinaryIO,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> AttachmentInfo:
        return self._ctx.store.attachments.add(
            record_id, name, media_type, stream, max_bytes=max_bytes
        )

    def read_attachment(self, attachment_id: uuid.UUID) -> Iterator[bytes]:
        return self._ctx.store.attachments.read(attachment_id)

    def set_status(self, record_id: uuid.UUID, status: str) -> None:
        self._ctx.store.records.set_status(record_id, status)

    # -- reading ----------------------------------------------------------------------
    def list_records(self, *, status: str | None = None) -> list[RecordSummary]:
        return self._ctx.store.records.list_records(status=status)

    def summary(self, record_id: uuid.UUID) -> RecordSummary:
        return self._ctx.store.records.get_record(record_id).summary

    def get(self, record_id: uuid.UUID) -> RecordView:
        store = self._ctx.store
        detail = store.records.get_record(record_id)
        form = store.catalog.get_form_version(detail.summary.form_version_id)
        return RecordView(
            summary=detail.summary,
            form=form,
            answers=dict(detail.answers),
            revisions=tuple(store.records.revisions(record_id)),
            attachments=tuple(store.attachments.list(record_id)),
            paradata_events=len(store.paradata.list(record_id)),
            study_has_pack=form.study_id in self._ctx.studies.packed_study_ids(),
        )

    def find(self, ref: str) -> RecordSummary:
        """A record by its UUID, or by a unique prefix of it (as ``record show`` takes)."""
        text = ref.strip().lower()
        with contextlib.suppress(ValueError):
            return self.summary(uuid.UUID(text))
        matches = [r for r in self.list_records() if str(r.id).startswith(text)]
        if len(text) >= 4 and len(matches) > 1:
            raise IdPrefixAmbiguous(ref, "record", len(matches), [str(r.id) for r in matches])
        if len(text) < 4 or len(matches) != 1:
            raise RecordNotFound(ref)
        return matches[0]

    def paradata(self, record_id: uuid.UUID) -> list[StoredParadataEvent]:
        return self._ctx.store.paradata.list(record_id)

    def revisions(self, record_id: uuid.UUID) -> list[RevisionInfo]:
        return self._ctx.store.records.revisions(record_id)
