"""Studies and form versions: the exact XLSForm bytes, their hash and the compiled form
that every record points at."""

from __future__ import annotations

from sqlalchemy import select

from qi_capture.storage.canonical import sha256_hex
from qi_capture.storage.database import Database
from qi_capture.storage.dto import FormVersionInfo, StudyInfo
from qi_capture.storage.errors import FormVersionConflict, FormVersionNotFound, StudyNotFound
from qi_capture.storage.models import FormVersionRow, StudyRow, utcnow


def _form_info(row: FormVersionRow) -> FormVersionInfo:
    return FormVersionInfo(
        id=row.id,
        study_id=row.study_id,
        form_id=row.form_id,
        version=row.version,
        title=row.title,
        sha256=row.sha256,
        created=row.created,
    )


class Catalog:
    def __init__(self, db: Database) -> None:
        self._db = db

    def add_study(self, study_id: str, title: str) -> StudyInfo:
        """Idempotent: an existing study keeps its title."""
        with self._db.write() as s:
            row = s.get(StudyRow, study_id)
            if row is None:
                row = StudyRow(id=study_id, title=title, created=utcnow())
                s.add(row)
            return StudyInfo(row.id, row.title, row.created)

    def list_studies(self) -> list[StudyInfo]:
        with self._db.read() as s:
            rows = s.scalars(select(StudyRow).order_by(StudyRow.id))
            return [StudyInfo(r.id, r.title, r.created) for r in rows]

    def add_form_version(
        self,
        study_id: str,
        form_id: str,
        version: str,
        *,
        title: str,
        xlsform: bytes,
        compiled_json: str,
    ) -> FormVersionInfo:
        """Store a form version. Adding the same bytes again returns the stored one;
        different bytes under the same version are refused (`FormVersionConflict`)."""
        digest = sha256_hex(xlsform)
        with self._db.write() as s:
            if s.get(StudyRow, study_id) is None:
                raise StudyNotFound(study_id)
            row = s.scalars(
                select(FormVersionRow).where(
                    FormVersionRow.study_id == study_id,
                    FormVersionRow.form_id == form_id,
                    FormVersionRow.version == version,
                )
            ).one_or_none()
            if row is not None:
                if row.sha256 != digest:
                    raise FormVersionConflict(study_id, form_id, version)
                return _form_info(row)
            row = FormVersionRow(
                study_id=study_id,
                form_id=form_id,
                version=version,
                title=title,
                xlsform=xlsform,
                sha256=digest,
                compiled_json=compiled_json,
                created=utcnow(),
            )
            s.add(row)
            s.flush()
            return _form_info(row)

    def get_form_version(self, form_version_id: int) -> FormVersionInfo:
        with self._db.read() as s:
            row = s.get(FormVersionRow, form_version_id)
            if row is None:
                raise FormVersionNotFound(str(form_version_id))
            return _form_info(row)

    def compiled_form(self, form_version_id: int) -> str:
        with self._db.read() as s:
            row = s.get(FormVersionRow, form_version_id)
            if row is None:
                raise FormVersionNotFound(str(form_version_id))
            return row.compiled_json

    def xlsform_source(self, form_version_id: int) -> bytes:
        with self._db.read() as s:
            row = s.get(FormVersionRow, form_version_id)
            if row is None:
                raise FormVersionNotFound(str(form_version_id))
            return row.xlsform

    def list_form_versions(self, study_id: str | None = None) -> list[FormVersionInfo]:
        with self._db.read() as s:
            query = select(FormVersionRow).order_by(FormVersionRow.id)
            if study_id is not None:
                query = query.where(FormVersionRow.study_id == study_id)
            return [_form_info(r) for r in s.scalars(query)]

    def latest_form_version(self, study_id: str, form_id: str) -> FormVersionInfo:
        """The most recently added version of a form."""
        with self._db.read() as s:
            row = s.scalars(
                select(FormVersionRow)
                .where(FormVersionRow.study_id == study_id, FormVersionRow.form_id == form_id)
                .order_by(FormVersionRow.id.desc())
                .limit(1)
            ).one_or_none()
            if row is None:
                raise FormVersionNotFound(f"{study_id}/{form_id}")
            return _form_info(row)
