"""Errors a report's input can cause. Each has a stable ``code``; ``params`` hold names,
paths and line numbers, never answers."""

from __future__ import annotations

from collections.abc import Sequence

from qi_capture.errors import QICaptureError


class ReportError(QICaptureError):
    code = "report_error"


class StudyUnknown(ReportError):
    code = "report_study_unknown"

    def __init__(self, study_id: str, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none: add the study's forms first"
        super().__init__(f"The central store holds no study {study_id!r} (its studies: "
                         f"{listed}).", study_id=study_id, studies=list(known))


class StudyNeeded(ReportError):
    code = "report_study_needed"

    def __init__(self, known: Sequence[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"The central store holds several studies ({listed}): say which "
                         "with --study.", studies=list(known))


class ByQuestionUnknown(ReportError):
    code = "report_by_unknown"

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(f"No questionnaire of the study has a question {name!r} to break "
                         "the results down by: give the name of a single- or "
                         f"multiple-choice question (such questions: "
                         f"{', '.join(known) or 'none'}).", name=name, questions=list(known))


class ByQuestionCannotGroup(ReportError):
    code = "report_by_cannot_group"

    def __init__(self, name: str, what: str, known: Sequence[str]) -> None:
        super().__init__(f"The question {name!r} is {what}: results can be broken down only "
                         "by a single- or multiple-choice question asked once per "
                         f"questionnaire (such questions: {', '.join(known) or 'none'}).",
                         name=name, what=what, questions=list(known))


class InvitedListInvalid(ReportError):
    code = "report_invited_invalid"

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        where = f", line {line}" if line is not None else ""
        super().__init__(f"The invited list {path}{where}: {reason}", path=path,
                         line=line, reason=reason)


class FormatUnknown(ReportError):
    code = "report_format_unknown"

    def __init__(self, fmt: str, known: Sequence[str]) -> None:
        super().__init__(f"Unknown report format {fmt!r} (one of {', '.join(known)}).",
                         format=fmt, formats=list(known))


class ReportFolderUnwritable(ReportError):
    code = "report_folder_unwritable"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"Cannot write the report into {path}: {reason}. Nothing was "
                         "written.", path=path, reason=reason)
