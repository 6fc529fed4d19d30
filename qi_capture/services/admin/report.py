"""The results report of a study, for the admin door (`AdminDesk.report` and
`AdminDesk.report_preview`), so for the command line and the console alike.

Finds the study's forms (every form whose stored versions carry the study id), streams
each form's records from the central store into the report's tables
(`qi_capture.report.frames`, through the export layer) and builds the report values;
`report` writes its files, `report_preview` draws its charts for the console. The
report is logged in the audit log (study, formats, filters; never answers).
"""

from __future__ import annotations

import shlex
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from qi_capture.central.store import CentralStore
from qi_capture.progress import CancelToken, ProgressCallback
from qi_capture.report.errors import StudyNeeded, StudyUnknown
from qi_capture.report.model import Report
from qi_capture.report.run import FORMATS, Cancelled, check_formats
from qi_capture.report.theme_source import Excerpt, Mentions, SourceTheme, ThemeSource
from qi_capture.services.admin.errors import LanguageUnknown
from qi_capture.services.admin.exports import stored_forms

if TYPE_CHECKING:
    from qi_capture.report.frames import FormFrames

__all__ = ["FORMATS", "Cancelled", "ReportFiles", "ReportPreview", "make_report",
           "preview", "studies"]


@dataclass(frozen=True)
class ReportFiles:
    """What a report wrote, and the values it was made from."""

    report: Report
    out_dir: Path
    files: tuple[Path, ...]


@dataclass(frozen=True)
class ReportPreview:
    """The report's values and each chart drawn as SVG (chart id -> SVG text)."""

    report: Report
    svgs: MappingProxyType[str, str]
    #: Single-choice questions the report can be broken down by.
    by_choices: tuple[str, ...]
    languages: tuple[str, ...]


def studies(central: CentralStore) -> dict[str, tuple[str, ...]]:
    """Study id -> its form ids (forms whose stored versions name the study)."""
    out: dict[str, list[str]] = {}
    for form_id, _title, _count in central.listed_forms():
        for version in central.form_versions(form_id):
            ids = out.setdefault(version.study_id, [])
            if form_id not in ids:
                ids.append(form_id)
    return {k: tuple(v) for k, v in sorted(out.items())}


def _study(central: CentralStore, study_id: str | None) -> tuple[str, tuple[str, ...]]:
    known = studies(central)
    if study_id is None:
        if len(known) != 1:
            raise StudyNeeded(list(known)) if known else StudyUnknown("", [])
        study_id = next(iter(known))
    if study_id not in known:
        raise StudyUnknown(study_id, list(known))
    return study_id, known[study_id]


def command_line(argv: Sequence[str] | None) -> str:
    """The command as it was typed (passphrases are never arguments)."""
    args = list(sys.argv[1:] if argv is None else argv)
    return "qi-capture " + shlex.join(args)


def _build(central: CentralStore, study_id: str | None, *, by: str | None,
           statuses: Sequence[str] | None, min_cell: int, invited: Path | None,
           language: str | None, command: str,
           progress: ProgressCallback | None,
           cancel: CancelToken | None) -> tuple[Report, tuple[str, ...], tuple[str, ...]]:
    from qi_capture.report.build import ReportOptions, build, by_choices
    from qi_capture.report.frames import load_frames
    from qi_capture.report.invited import read_invited

    chosen, form_ids = _study(central, study_id)
    all_forms = {fid: stored_forms(central, fid) for fid in form_ids}
    languages = tuple(dict.fromkeys(lang for forms in all_forms.values()
                                    for lang in forms[-1].languages))
    if language is not None and language not in languages:
        raise LanguageUnknown(language, languages)
    # The invited list is read first, from the forms alone, so a bad file is refused
    # before the study's records are read.
    orgs = None
    if invited is not None:
        from qi_capture.export.model import build_layout, choice_label
        from qi_capture.report.questions import FOOTPRINT, named

        footprints: dict[str, str] = {}
        for forms in all_forms.values():
            lang = language if language in forms[-1].languages else None
            chosen_lang = lang or forms[-1].default_language
            layout = build_layout(forms, chosen_lang)
            column = named(layout.tables[()], FOOTPRINT)
            if column is not None:
                footprints.update({c.name: choice_label(c, chosen_lang)
                                   for c in column.choices})
        orgs = read_invited(invited, footprints)
    data = []
    total = sum(sum(central.record_form_versions(fid).values()) for fid in form_ids)
    done = 0
    for fid, forms in all_forms.items():
        if cancel is not None and cancel.is_cancelled():
            raise Cancelled
        if progress is not None:
            progress(done, total + 1, fid)
        lang = language if language in forms[-1].languages else None
        data.append(load_frames(forms, central.export_records(fid),
                                statuses=None if statuses is None else tuple(statuses),
                                language=lang))
        done += sum(central.record_form_versions(fid).values())
    options = ReportOptions(by=by, min_cell=min_cell,
                            statuses=None if statuses is None else tuple(statuses),
                            language=language)
    themes = coded_themes(central, chosen) or _quick_tag_themes(central, data)
    report = build(chosen, data, options, command=command, invited=orgs, themes=themes)
    erased = len(central.tombstones(chosen))
    if erased:  # withdrawn consent, retention: said, never shown
        report = replace(report, methods=replace(report.methods, notes=(
            *report.methods.notes, ERASED_NOTE.format(n=erased))))
    return report, tuple(by_choices(data)), languages


ERASED_NOTE = ("{n} record(s) of the study were erased (consent withdrawn, or the "
               "retention period ended) and are in no count, chart or quote of this report.")

CODED_NOTE = ("Themes are the codes of the study's codebook, as analysts coded the "
              "interviews' notes and key quotes (passages the interviewers tagged in the "
              "field count until an analyst undoes them). An interview mentions a theme "
              "when any passage of it is coded with it.")


def _quick_tag_themes(central: CentralStore, data: Sequence[FormFrames]) -> ThemeSource | None:
    """The interviewers' quick tags as themes, the structured tags kept beside the notes
    with the ``#tag`` text: the interview form the report reports on (as `build` picks)."""
    from qi_capture.report.quick_tags import quick_tag_themes

    interviews = [ff for ff in data if ff.form.style == "interview"]
    if not interviews:
        return None
    ff = interviews[0]
    ids = [uuid.UUID(str(rid)) for rid in ff.main["@record_id"].tolist()]
    structured = {str(rid): {path: [t.tag for t in tags] for path, tags in state.tags.items()}
                  for rid, state in central.quick_tags(ids).items()}
    return quick_tag_themes(ff, structured)


def coded_themes(central: CentralStore, study_id: str) -> ThemeSource | None:
    """The study's codes as "What we heard" themes, once it has a codebook (the Coding
    page or ``coding import`` made one); None before, when the report uses the
    interviewers' quick tags. The report applies its own rules (approved interviews only,
    consent to quotes, disclosure control), so every coded passage is handed over."""
    from qi_capture.coding.errors import NoInterviewForm
    from qi_capture.services.admin.coding import CodingDesk

    try:
        desk = CodingDesk(central, study_id)
    except NoInterviewForm:
        return None
    coded = desk.themes(statuses=None)
    if not coded:
        return None
    themes = []
    for t in coded:
        by_record: dict[str, tuple[list[Excerpt], list[Excerpt]]] = {}
        for p in t.passages:
            by_record.setdefault(str(p.record_id), ([], []))[0].append(
                Excerpt(p.field, p.text))
        for q in t.quotes:
            by_record.setdefault(str(q.record_id), ([], []))[1].append(
                Excerpt(q.field, q.text))
        themes.append(SourceTheme(
            code=str(t.code.guid), name=t.path, description=t.code.description,
            records={rid: Mentions(tuple(ps), tuple(qs))
                     for rid, (ps, qs) in by_record.items()}))
    return ThemeSource("thematic coding", tuple(themes), CODED_NOTE)


def make_report(central: CentralStore, out_dir: Path, *, study_id: str | None = None,
                formats: Sequence[str] = FORMATS, by: str | None = None,
                statuses: Sequence[str] | None = None, min_cell: int = 5,
                invited: Path | None = None, language: str | None = None,
                command: str = "", progress: ProgressCallback | None = None,
                cancel: CancelToken | None = None) -> ReportFiles:
    """Build the study's report and write ``formats`` into ``out_dir``."""
    from qi_capture.report.run import write_report

    chosen = check_formats(formats)
    report, _by, _langs = _build(central, study_id, by=by, statuses=statuses,
                                 min_cell=min_cell, invited=invited, language=language,
                                 command=command, progress=None, cancel=cancel)
    written = write_report(report, out_dir, chosen, progress=progress, cancel=cancel)
    central.log("report", {"study_id": report.study_id, "formats": list(chosen),
                           "status_filter": None if statuses is None else list(statuses),
                           "by": report.methods.by, "min_cell": min_cell})
    return ReportFiles(report, written.out_dir, written.files)


def preview(central: CentralStore, *, study_id: str | None = None, by: str | None = None,
            statuses: Sequence[str] | None = None, min_cell: int = 5,
            language: str | None = None, progress: ProgressCallback | None = None,
            cancel: CancelToken | None = None) -> ReportPreview:
    """The report's values and its charts as SVG, for showing live."""
    from qi_capture.report.charts import chart_svg

    report, by_names, languages = _build(
        central, study_id, by=by, statuses=statuses, min_cell=min_cell, invited=None,
        language=language, command="(preview in the console)", progress=progress,
        cancel=cancel)
    svgs: dict[str, str] = {}
    for chart in report.charts():
        if cancel is not None and cancel.is_cancelled():
            raise Cancelled
        svg = chart_svg(chart, report.methods.min_cell)
        if svg is not None:
            svgs[chart.id] = svg
    return ReportPreview(report, MappingProxyType(svgs), by_names, languages)


