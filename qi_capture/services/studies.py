"""Studies and their forms: adding XLSForms (compiled once, stored with their exact bytes),
listing them, finding a form by id, and opening the compiled form for a session."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qi_capture.forms import Form, FormError, FormIssue, load_form_bytes
from qi_capture.forms.errors import FILE_UNREADABLE
from qi_capture.forms.limits import FormTooLarge, read_form_file
from qi_capture.resources import resource_path
from qi_capture.services.dto import FormAdded, FormVersionInfo, StudyInfo
from qi_capture.services.errors import FormUnknown
from qi_capture.storage.canonical import sha256_hex
from qi_capture.sync.pack import installed_studies

if TYPE_CHECKING:
    from qi_capture.services.context import CoreContext

log = logging.getLogger(__name__)

#: The study every new profile starts with (resources/studies/<id>/*.xlsx).
BUILTIN_STUDY_ID = "london-qi-baseline"
BUILTIN_STUDY_TITLE = "London QI baseline"
#: Where forms added from files without a study go.
LOCAL_STUDY_ID = "local"
LOCAL_STUDY_TITLE = "Forms added on this laptop"


@dataclass(frozen=True)
class StudyOverview:
    """A study as the home screen and ``study list`` show it. ``has_pack``: a signed study
    pack is installed for it, so its records can be sent; without one they stay on this
    laptop until the pack arrives (its import moves them into the pack's study)."""

    id: str
    title: str
    has_pack: bool
    records: int
    forms: tuple[FormVersionInfo, ...]


def stored_version(form: Form, digest: str) -> str:
    # A form without a version still needs one that changes with its content, or a
    # changed form would be refused as a conflict with the stored one.
    return form.version or f"sha256-{digest[:12]}"


class StudyService:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx
        self._forms: dict[int, Form] = {}

    # -- adding ---------------------------------------------------------------------
    def add_form_bytes(
        self,
        data: bytes,
        filename: str,
        *,
        study_id: str = LOCAL_STUDY_ID,
        study_title: str | None = None,
    ) -> FormAdded:
        """Compile an XLSForm (raises `FormError` listing every problem) and store its
        bytes, SHA-256, compiled JSON and version under ``study_id``. The same bytes
        again return the stored version; changed bytes under the same version raise
        `FormVersionConflict`."""
        form = load_form_bytes(data, filename)
        digest = sha256_hex(data)
        catalog = self._ctx.store.catalog
        catalog.add_study(
            study_id,
            study_title or (LOCAL_STUDY_TITLE if study_id == LOCAL_STUDY_ID else study_id),
        )
        before = {f.id for f in catalog.list_form_versions(study_id)}
        info = catalog.add_form_version(
            study_id,
            form.form_id,
            stored_version(form, digest),
            title=form.title or form.form_id,
            xlsform=data,
            compiled_json=json.dumps(form.to_json(), ensure_ascii=False, separators=(",", ":")),
        )
        created = info.id not in before
        self._forms.setdefault(info.id, form)
        log.info("form version %d %s", info.id, "added" if created else "already stored")
        return FormAdded(info, created, tuple(_issue_text(w) for w in form.warnings))

    def add_form_file(
        self, path: str | Path, *, study_id: str = LOCAL_STUDY_ID, study_title: str | None = None
    ) -> FormAdded:
        file = Path(path)
        try:
            data = read_form_file(file)
        except FormTooLarge as exc:
            raise FormError([exc.issue], source=str(file)) from None
        except OSError as exc:
            issue = FormIssue(FILE_UNREADABLE, f"Cannot read {file}: {exc.strerror}")
            raise FormError([issue], source=str(file)) from None
        return self.add_form_bytes(data, file.name, study_id=study_id, study_title=study_title)

    def add_builtin_study(self) -> list[FormAdded]:
        """Add the built-in QI study's forms (idempotent)."""
        folder = resource_path("studies", BUILTIN_STUDY_ID)
        return [
            self.add_form_file(p, study_id=BUILTIN_STUDY_ID, study_title=BUILTIN_STUDY_TITLE)
            for p in sorted(folder.glob("*.xlsx"))
        ]

    # -- reading --------------------------------------------------------------------
    def packed_study_ids(self) -> set[str]:
        """The studies whose signed study pack is installed (their records can be sent)."""
        return {s.study_id for s in installed_studies(self._ctx.store)}

    def hidden_study_ids(self) -> set[str]:
        """Studies without a pack that an installed pack's study has taken the place of:
        empty (their records moved when the pack was imported) and every form of theirs
        offered by a study with a pack. Listings leave them out, so each form appears
        once and ``qi_baseline`` names one form."""
        catalog = self._ctx.store.catalog
        packed = self.packed_study_ids()
        forms = catalog.list_form_versions()
        packed_forms = {f.form_id for f in forms if f.study_id in packed}
        hidden: set[str] = set()
        for study in catalog.list_studies():
            if study.id in packed:
                continue
            own = [f for f in forms if f.study_id == study.id]
            if not all(f.form_id in packed_forms for f in own):
                continue
            if self._ctx.store.relocation.count_records({f.id for f in own}) == 0:
                hidden.add(study.id)
        return hidden

    def local_only_form_versions(self) -> set[int]:
        """The form versions of studies without a pack: their records stay on this laptop
        until the study pack is imported."""
        packed = self.packed_study_ids()
        return {f.id for f in self._ctx.store.catalog.list_form_versions()
                if f.study_id not in packed}

    def list_studies(self, *, include_hidden: bool = False) -> list[StudyInfo]:
        """The studies, by id; without ``include_hidden``, those a pack's study has taken
        the place of are left out (see `hidden_study_ids`)."""
        studies = self._ctx.store.catalog.list_studies()
        if include_hidden:
            return studies
        hidden = self.hidden_study_ids()
        return [s for s in studies if s.id not in hidden]

    def list_forms(
        self, study_id: str | None = None, *, include_hidden: bool = False
    ) -> list[FormVersionInfo]:
        """Every stored form version, oldest first: of ``study_id`` if given, else of
        every study listed by `list_studies`."""
        forms = self._ctx.store.catalog.list_form_versions(study_id)
        if study_id is not None or include_hidden:
            return forms
        hidden = self.hidden_study_ids()
        return [f for f in forms if f.study_id not in hidden]

    def overview(self) -> list[StudyOverview]:
        """The visible studies with their forms, record counts and whether they have a
        pack: studies with a pack first, then by title."""
        packed = self.packed_study_ids()
        forms = self.list_forms()
        counts: dict[int, int] = {}
        for record in self._ctx.store.records.list_records():
            counts[record.form_version_id] = counts.get(record.form_version_id, 0) + 1
        out = []
        for study in self.list_studies():
            own = tuple(f for f in forms if f.study_id == study.id)
            out.append(StudyOverview(study.id, study.title, study.id in packed,
                                     sum(counts.get(f.id, 0) for f in own), own))
        return sorted(out, key=lambda s: (not s.has_pack, s.title.casefold(), s.id))

    def form_version(self, form_version_id: int) -> FormVersionInfo:
        return self._ctx.store.catalog.get_form_version(form_version_id)

    def resolve(self, ref: str) -> FormVersionInfo:
        """The form version ``ref`` names: ``FORM_ID`` or ``STUDY_ID/FORM_ID`` (the latest
        version added), optionally ``@VERSION``; or a form version's number."""
        if ref.isdigit():
            for info in self.list_forms(include_hidden=True):
                if info.id == int(ref):
                    return info
        name, _, version = ref.partition("@")
        study, _, form_id = name.rpartition("/")
        # A study named outright is found even when hidden (see `hidden_study_ids`).
        forms = self.list_forms(include_hidden=bool(study))
        matches = [
            f
            for f in forms
            if f.form_id == form_id
            and (not study or f.study_id == study)
            and (not version or f.version == version)
        ]
        if not matches:
            raise FormUnknown(ref)
        if not study and len({f.study_id for f in matches}) > 1:
            # A study kept apart from its pack (``study import --keep-separate``) still
            # offers the pack's forms: new records go to the study that can send them.
            packed = self.packed_study_ids()
            with_pack = [f for f in matches if f.study_id in packed]
            if len({f.study_id for f in with_pack}) == 1:
                matches = with_pack
        if len({f.study_id for f in matches}) > 1:
            raise FormUnknown(ref, len({f.study_id for f in matches}))
        return matches[-1]

    def load_form(self, form_version_id: int) -> Form:
        """The compiled form of a stored version (cached; forms are immutable)."""
        form = self._forms.get(form_version_id)
        if form is None:
            compiled = self._ctx.store.catalog.compiled_form(form_version_id)
            form = Form.from_json_text(compiled)
            self._forms[form_version_id] = form
        return form


def _issue_text(issue: FormIssue) -> str:
    where = "/".join(str(p) if p else "-" for p in (issue.sheet, issue.row, issue.column))
    return f"{where}: {issue.message}"
