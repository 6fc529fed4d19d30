"""Errors thematic coding can raise. Each has a stable ``code``; ``params`` hold guids,
field paths, positions and counts, never the words of a passage, a memo or a name typed
in the field."""

from __future__ import annotations

from collections.abc import Sequence

from qi_capture.errors import QICaptureError


class CodingError(QICaptureError):
    code = "coding_error"


class StudyNeeded(CodingError):
    code = "coding_study_needed"

    def __init__(self, studies: Sequence[str]) -> None:
        super().__init__(
            f"The central store holds {len(studies)} studies ({', '.join(studies)}): name "
            "the one to code with --study.", studies=list(studies))


class StudyUnknown(CodingError):
    code = "coding_study_unknown"

    def __init__(self, study: str, studies: Sequence[str]) -> None:
        known = ", ".join(studies) or "none yet: add the study's forms first"
        super().__init__(f"The central store has no study {study!r} (its studies: {known}).",
                         study=study, studies=list(studies))


class NoInterviewForm(CodingError):
    code = "coding_no_interview_form"

    def __init__(self, study: str) -> None:
        super().__init__(
            f"Study {study!r} has no interview form (a form with key-quote questions, "
            "like the built-in interview guide): there is nothing to code.", study=study)


class CodeNotFound(CodingError):
    code = "coding_code_not_found"

    def __init__(self, ref: str) -> None:
        super().__init__(f"No code {ref!r} in this study's codebook: pick one from the "
                         "codebook (by name or guid).", ref=ref)


class CodeNameInvalid(CodingError):
    code = "coding_code_name_invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"A code's name {reason}: give 1 to 200 characters, not only "
                         "spaces.", reason=reason)


class CodeNameTaken(CodingError):
    code = "coding_code_name_taken"

    def __init__(self, name: str) -> None:
        super().__init__(f"The codebook already has a code {name!r} under the same parent: "
                         "choose another name, or merge the two codes.", name=name)


class CodeColourInvalid(CodingError):
    code = "coding_code_colour_invalid"

    def __init__(self, colour: str) -> None:
        super().__init__(f"{colour!r} is not a colour: give it as #RRGGBB (e.g. #C0392B).",
                         colour=colour)


class CodeMoveInvalid(CodingError):
    code = "coding_code_move_invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"That move would {reason}: choose another parent.", reason=reason)


class CodeRetired(CodingError):
    code = "coding_code_retired"

    def __init__(self, guid: str) -> None:
        super().__init__(f"Code {guid} is retired (or merged into another): bring it back "
                         "first, or apply the code it was merged into.", guid=guid)


class InterviewNotFound(CodingError):
    code = "coding_interview_not_found"

    def __init__(self, ref: str) -> None:
        super().__init__(f"No interview {ref!r} in this study (deleted records are not "
                         "coded): pick one from the list of interviews.", ref=ref)


class FieldNotCodable(CodingError):
    code = "coding_field_not_codable"

    def __init__(self, field: str) -> None:
        super().__init__(f"{field!r} is not a note or key quote of this interview (only "
                         "those are coded): pick a passage in the transcript.", field=field)


class PassageOutOfRange(CodingError):
    code = "coding_passage_out_of_range"

    def __init__(self, field: str, start: int, end: int, length: int) -> None:
        super().__init__(
            f"Characters {start} to {end} are not a passage of {field!r}, whose text is "
            f"{length} characters long: select from 0 to {length}, start before end.",
            field=field, start=start, end=end, length=length)


class RecordingRangeInvalid(CodingError):
    code = "coding_recording_range_invalid"

    def __init__(self, start_ms: int, end_ms: int, duration_ms: int) -> None:
        super().__init__(
            f"{start_ms} ms to {end_ms} ms is not a stretch of this recording, which lasts "
            f"{duration_ms} ms: mark a start before the end, both within the recording.",
            start_ms=start_ms, end_ms=end_ms, duration_ms=duration_ms)


class CodingNotFound(CodingError):
    code = "coding_not_found"

    def __init__(self, guid: str) -> None:
        super().__init__(f"No coding {guid} in this study (it may have been removed).",
                         guid=guid)


class NotFromField(CodingError):
    code = "coding_not_from_field"

    def __init__(self, guid: str) -> None:
        super().__init__(f"Coding {guid} was made by an analyst, not from the field: "
                         "remove it instead of confirming or undoing it.", guid=guid)


class CoderUnknown(CodingError):
    code = "coding_coder_unknown"

    def __init__(self, name: str, coders: Sequence[str]) -> None:
        super().__init__(f"No coder {name!r} has coded this study (coders: "
                         f"{', '.join(coders) or 'none yet'}).", coder=name,
                         coders=list(coders))


class MemoTargetInvalid(CodingError):
    code = "coding_memo_target_invalid"

    def __init__(self) -> None:
        super().__init__("A memo goes on exactly one code or one passage: give one of the "
                         "two.")


class ExchangeFormatUnknown(CodingError):
    code = "coding_format_unknown"

    def __init__(self, fmt: str, formats: Sequence[str]) -> None:
        super().__init__(f"{fmt!r} is not an exchange format: use one of "
                         f"{', '.join(formats)}.", format=fmt, formats=list(formats))


class ExchangeInvalid(CodingError):
    """A REFI-QDA file that cannot be imported: what is wrong, where, what to do.
    Nothing was changed."""

    code = "coding_exchange_invalid"

    def __init__(self, file: str, where: str, problem: str) -> None:
        super().__init__(
            f"{file}: {where}: {problem}. Nothing was imported; export the project again "
            "from the analysis software (REFI-QDA 1.5, .qdpx or .qdc) and retry.",
            file=file, where=where, problem=problem)


class CodebookCsvInvalid(CodingError):
    """A codebook CSV that cannot be imported: what is wrong, on which line, what to do.
    Nothing was changed."""

    code = "coding_codebook_csv_invalid"

    def __init__(self, file: str, where: str, problem: str) -> None:
        super().__init__(
            f"{file}: {where}: {problem}. Nothing was imported; fix the file (a 'name' "
            "column is required; 'path', 'parent_guid', 'description', 'colour' and "
            "'retired' are optional) and retry.", file=file, where=where, problem=problem)
