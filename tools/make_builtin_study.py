#!/usr/bin/env python3
"""Generate the built-in study's XLSForm workbooks from the data structures below.

The built-in study ("London QI baseline") is what the app opens on when no signed study pack
has been imported. Its two forms live here as Python data so that changes are reviewed as
code; the .xlsx files in resources/studies/london-qi-baseline/ are generated from it and
committed next to it.

    .venv/bin/python tools/make_builtin_study.py           # (re)write both workbooks
    .venv/bin/python tools/make_builtin_study.py --check   # exit 1 if a workbook is stale

Output is byte-for-byte reproducible for a given openpyxl version: document timestamps and
zip entry dates are pinned. tests/core/test_builtin_study.py checks that the committed
workbooks hold exactly the cell values defined here, whatever openpyxl wrote them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

ROOT = Path(__file__).resolve().parents[1]
STUDY_DIR = ROOT / "resources" / "studies" / "london-qi-baseline"

LANG = "English (en)"
VERSION = "2026120201"  # yyyymmddrr; bump for every change to either form
CONSENTED = "${consent} = 'yes'"
NONE_EXCLUSIVE = "not(selected(., 'none') and count-selected(.) > 1)"

# Fixed timestamp written into docProps/core.xml and every zip entry, so that regenerating an
# unchanged form gives an identical file.
PINNED_TIME = dt.datetime(2026, 11, 26, 0, 0, 0)
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

Row = dict[str, str]
Choice = tuple[str, str]  # (name, English label)

# survey columns in sheet order; the workbook only gets the columns a form actually uses.
SURVEY_COLUMNS: tuple[str, ...] = (
    "type",
    "name",
    f"label::{LANG}",
    f"hint::{LANG}",
    "required",
    f"required_message::{LANG}",
    "relevant",
    "constraint",
    f"constraint_message::{LANG}",
    "calculation",
    "choice_filter",
    "appearance",
)
CHOICE_COLUMNS: tuple[str, ...] = ("list_name", "name", f"label::{LANG}")
_TRANSLATED = {"label", "hint", "required_message", "constraint_message"}


# --------------------------------------------------------------------------- row helpers


def field(type_: str, name: str, label: str = "", hint: str = "", **cols: str) -> Row:
    """One survey row. Keyword names are survey column names without the language suffix."""
    row: Row = {"type": type_, "name": name}
    for key, value in {"label": label, "hint": hint, **cols}.items():
        if value:
            row[f"{key}::{LANG}" if key in _TRANSLATED else key] = value
    unknown = set(row) - set(SURVEY_COLUMNS)
    if unknown:
        raise ValueError(f"{name}: unknown survey column(s) {sorted(unknown)}")
    return row


def begin_group(name: str, label: str, relevant: str = "", appearance: str = "") -> Row:
    return field("begin group", name, label, relevant=relevant, appearance=appearance)


def end_group(name: str) -> Row:
    return {"type": "end group", "name": name}


def begin_repeat(name: str, label: str, relevant: str = "", appearance: str = "") -> Row:
    return field("begin repeat", name, label, relevant=relevant, appearance=appearance)


def end_repeat(name: str) -> Row:
    return {"type": "end repeat", "name": name}


def required(
    type_: str, name: str, label: str, hint: str = "", message: str = "", **cols: str
) -> Row:
    return field(
        type_,
        name,
        label,
        hint,
        required="yes",
        required_message=message or "Please answer this question.",
        **cols,
    )


def other_specify(name: str, select_name: str, multiple: bool, label: str) -> Row:
    """The "Other, please specify" text that follows a select with an `other` choice."""
    if multiple:
        relevant = f"selected(${{{select_name}}}, 'other')"
    else:
        relevant = f"${{{select_name}}} = 'other'"
    return required(
        "text",
        name,
        label,
        message="Please say what 'Other' means here.",
        relevant=relevant,
    )


def likert(name: str, statement: str) -> Row:
    return field("select_one agree5", name, statement, appearance="likert")


def open_question(name: str, question: str, probes: str) -> Row:
    return field("text", name, question, f"Probes: {probes}", appearance="multiline")


def key_quote(section: str) -> Row:
    return field(
        "text",
        f"key_quote_{section}",
        "Key quote from this section",
        "Verbatim where possible, without names of people or services that would identify "
        "anyone. Leave blank if nothing stood out.",
        relevant="${consent_quotes} = 'yes'",
        appearance="multiline",
    )


def interview_section(name: str, label: str, questions: list[tuple[str, str, str]]) -> list[Row]:
    """A consent-gated section: 2-4 open questions with probes, then the key quote."""
    if not 2 <= len(questions) <= 4:
        raise ValueError(f"section {name} must have 2-4 open questions")
    return [
        begin_group(name, label, relevant=CONSENTED),
        *(open_question(*q) for q in questions),
        key_quote(name),
        end_group(name),
    ]


# --------------------------------------------------------------------------- choice lists

YES_NO: list[Choice] = [("yes", "Yes"), ("no", "No")]

ORG_TYPE: list[Choice] = [
    ("acute", "Acute trust"),
    ("mental_health", "Mental health trust"),
    ("community", "Community health services provider"),
    ("primary_care", "Primary care (GP practice or primary care network)"),
    ("commissioner", "Commissioner (integrated care board)"),
    (
        "education",
        "Education or training body (e.g. university, NHS England workforce, "
        "training and education)",
    ),
    ("ahsn", "Academic health science network (AHSN) / health innovation network"),
    ("other", "Other"),
]

FOOTPRINT: list[Choice] = [
    ("north_west", "North West London"),
    ("north_central", "North Central London"),
    ("north_east", "North East London"),
    ("south_east", "South East London"),
    ("south_west", "South West London"),
]

# The interview's participant roles; the questionnaire uses the same names plus a few more,
# so the two data sets can be pooled by role.
INTERVIEW_ROLE: list[Choice] = [
    ("improvement_lead", "Improvement lead (QI, transformation or clinical effectiveness)"),
    ("medical_director", "Medical director"),
    ("nursing_director", "Nursing director"),
    ("commissioner", "Commissioner"),
    ("education_lead", "Education lead"),
    ("ahsn_staff", "AHSN / health innovation network staff"),
    ("other", "Other"),
]

QUESTIONNAIRE_ROLE: list[Choice] = [
    *INTERVIEW_ROLE[:-1],
    ("executive", "Other executive or board member"),
    ("qi_practitioner", "QI practitioner or QI team member"),
    ("clinician", "Clinician"),
    ("manager", "Service or operational manager"),
    ("other", "Other"),
]

QI_METHOD: list[Choice] = [
    ("mfi_pdsa", "Model for Improvement / PDSA cycles"),
    ("lean", "Lean"),
    ("six_sigma", "Six Sigma (including Lean Six Sigma)"),
    ("spc", "Statistical process control (SPC)"),
    ("ebcd", "Experience-based co-design (EBCD)"),
    ("clinical_audit", "Clinical audit"),
    ("other", "Other"),
    ("none", "No structured QI method in use"),
]

PROJECT_STAGE: list[Choice] = [
    ("planning", "Planning"),
    ("testing", "Testing changes"),
    ("implementing", "Implementing"),
    ("spreading", "Spreading / sustaining"),
    ("completed", "Completed"),
]

FIGURES_SOURCE: list[Choice] = [
    ("records", "Taken from training records"),
    ("estimate", "Best estimate"),
]

AGREE5: list[Choice] = [
    ("strongly_disagree", "Strongly disagree"),
    ("disagree", "Disagree"),
    ("neutral", "Neither agree nor disagree"),
    ("agree", "Agree"),
    ("strongly_agree", "Strongly agree"),
]

BARRIER: list[Choice] = [
    ("time", "No protected time for improvement work"),
    ("pressures", "Operational pressures or staff shortages"),
    ("skills", "Lack of QI skills or training"),
    ("data", "Poor access to data or analytical support"),
    ("leadership", "Limited senior leadership support"),
    ("funding", "Lack of funding"),
    ("culture", "A culture that does not support testing changes"),
    ("patients", "Difficulty involving patients and carers"),
    ("sustain", "Difficulty sustaining or spreading successful changes"),
    ("priorities", "Competing priorities or initiatives"),
    ("other", "Other"),
    ("none", "None of these"),
]

SUPPORT: list[Choice] = [
    ("training", "QI training for staff"),
    ("coaching", "Coaching or expert advice for project teams"),
    ("measurement", "Help with data and measurement (e.g. SPC charts)"),
    ("leadership", "Leadership development for improvement"),
    ("networks", "Learning networks with other London organisations"),
    ("codesign", "Support to involve patients and carers (e.g. co-design)"),
    ("funding", "Funding for improvement projects"),
    ("evaluation", "Help evaluating and sharing results"),
    ("tools", "Shared tools and templates"),
    ("other", "Other"),
    ("none", "No additional support needed"),
]


# --------------------------------------------------------------------------- the forms


@dataclass(frozen=True)
class XLSForm:
    filename: str
    settings: dict[str, str]
    survey: list[Row]
    choices: dict[str, list[Choice]]


def _trained(name: str, level: str, hint: str) -> Row:
    return required(
        "integer",
        name,
        level,
        hint,
        message="Please enter a number; enter 0 if nobody is trained to this level.",
        constraint=". >= 0 and . <= 50000",
        constraint_message="Enter a whole number between 0 and 50,000.",
    )


TRAINED_FIELDS = ("trained_awareness", "trained_practitioner", "trained_advanced", "trained_coach")

QUESTIONNAIRE = XLSForm(
    filename="qi_baseline_questionnaire.xlsx",
    settings={
        "form_title": "London QI baseline questionnaire",
        "form_id": "qi_baseline",
        "version": VERSION,
        "default_language": LANG,
        "instance_name": (
            "if(${consent} = 'yes', concat(${org_name}, ' - ', "
            "jr:choice-name(${org_type}, '${org_type}')), 'Consent not given')"
        ),
    },
    survey=[
        field("start", "start"),
        field("end", "end"),
        field(
            "note",
            "intro",
            "This questionnaire asks how your organisation uses quality improvement (QI) "
            "today: methods, training, current projects, leadership and culture, barriers and "
            "the support you would like. It takes about 15 minutes.",
            "Answers are stored encrypted on this device and reported only in aggregate, by "
            "London footprint and organisation type. Your organisation will not be named in "
            "any report.",
        ),
        required(
            "select_one yes_no",
            "consent",
            "Do you agree to take part in this questionnaire?",
            "You can stop at any time and skip any question that is not marked as required.",
            message="Please say whether you agree to take part.",
        ),
        field(
            "note",
            "consent_declined",
            "Thank you. As you have not agreed to take part, there are no further questions. "
            "Please finalise the form.",
            relevant="${consent} = 'no'",
        ),
        # -- respondent -----------------------------------------------------------------
        begin_group("respondent", "About you and your organisation", CONSENTED, "field-list"),
        required(
            "text",
            "org_name",
            "Name of your organisation",
            "Full name, e.g. 'Example Hospitals NHS Foundation Trust'.",
        ),
        required("select_one org_type", "org_type", "Type of organisation"),
        other_specify("org_type_other", "org_type", False, "Other type of organisation"),
        required(
            "select_one footprint",
            "footprint",
            "London footprint",
            "The integrated care system your organisation mainly serves.",
        ),
        required("select_one role", "role", "Which best describes your role?"),
        other_specify("role_other", "role", False, "Your role"),
        end_group("respondent"),
        # -- methods --------------------------------------------------------------------
        begin_group("qi_methods", "Quality improvement methods", CONSENTED, "field-list"),
        required(
            "select_multiple qi_method",
            "methods",
            "Which quality improvement methods does your organisation currently use?",
            "Select all that apply. 'In use' means used by at least one current project or "
            "team, not only taught.",
            message="Please select at least one answer.",
            constraint=NONE_EXCLUSIVE,
            constraint_message=(
                "'No structured QI method in use' cannot be combined with a method. "
                "Untick one or the other."
            ),
        ),
        other_specify("methods_other", "methods", True, "Which other method(s)?"),
        end_group("qi_methods"),
        # -- training -------------------------------------------------------------------
        begin_group("training", "Staff trained in quality improvement", CONSENTED, "field-list"),
        field(
            "note",
            "training_intro",
            "Roughly how many staff in your organisation are trained in QI at each level?",
            "Headcount, not whole-time equivalents. Count each person once, at the highest "
            "level they have reached. Enter 0 if nobody is trained to a level.",
        ),
        _trained(
            "trained_awareness",
            "Awareness / foundation level",
            "e.g. e-learning or a half-day introduction.",
        ),
        _trained(
            "trained_practitioner",
            "Practitioner level",
            "e.g. a multi-day programme that includes leading or taking part in a project.",
        ),
        _trained(
            "trained_advanced",
            "Advanced / expert level",
            "e.g. improvement adviser, Lean Six Sigma black belt, SPC specialist.",
        ),
        _trained(
            "trained_coach",
            "Coaches / faculty",
            "Staff who teach QI or coach improvement teams.",
        ),
        field(
            "calculate",
            "trained_total",
            calculation=" + ".join(f"coalesce(${{{n}}}, 0)" for n in TRAINED_FIELDS),
        ),
        field(
            "note",
            "trained_total_note",
            "Total staff trained: ${trained_total}",
            "Calculated from the four figures above. If it looks wrong, check them.",
        ),
        required(
            "select_one figures_source",
            "trained_source",
            "Where do these figures come from?",
        ),
        end_group("training"),
        # -- projects -------------------------------------------------------------------
        begin_group("projects", "Current QI projects", CONSENTED),
        required(
            "select_one yes_no",
            "has_projects",
            "Does your organisation have QI projects under way at the moment?",
        ),
        begin_repeat(
            "qi_project",
            "Current QI project",
            relevant="${has_projects} = 'yes'",
            appearance="field-list",
        ),
        required(
            "text",
            "project_title",
            "Project title or short description",
            "List up to five of your most significant current projects, one per entry. "
            "Please do not name patients or staff.",
        ),
        required(
            "select_one qi_method",
            "project_method",
            "Main improvement method used",
            choice_filter="name != 'none'",
        ),
        required("select_one project_stage", "project_stage", "Stage the project has reached"),
        field(
            "integer",
            "project_patients",
            "Approximate number of patients affected per year",
            "Your best estimate. Leave blank if not known.",
            constraint=". >= 0",
            constraint_message="Enter 0 or a positive whole number.",
        ),
        end_repeat("qi_project"),
        end_group("projects"),
        # -- leadership -----------------------------------------------------------------
        begin_group("leadership", "Leadership support and culture", CONSENTED, "field-list"),
        field(
            "note",
            "leadership_intro",
            "How far do you agree with each statement about your organisation?",
            "Leave a statement blank if you cannot judge it.",
        ),
        likert(
            "lead_board",
            "The board regularly discusses quality improvement and its results.",
        ),
        likert(
            "lead_sponsor",
            "Senior leaders visibly sponsor and take part in improvement work.",
        ),
        likert(
            "lead_strategy",
            "Quality improvement is part of our organisation's strategy, not a side project.",
        ),
        likert(
            "lead_time",
            "Staff are given protected time to take part in improvement work.",
        ),
        likert(
            "lead_data",
            "Teams have timely access to the data they need to test and measure changes.",
        ),
        likert(
            "lead_safe_to_fail",
            "It is safe to test a change that might not work.",
        ),
        likert(
            "lead_patients",
            "Patients and carers are routinely involved in designing improvements.",
        ),
        end_group("leadership"),
        # -- barriers and support -------------------------------------------------------
        begin_group("barriers_support", "Barriers and support", CONSENTED, "field-list"),
        required(
            "select_multiple barrier",
            "barriers",
            "What gets in the way of quality improvement in your organisation?",
            "Select all that apply.",
            message="Please select at least one answer, or 'None of these'.",
            constraint=NONE_EXCLUSIVE,
            constraint_message=(
                "'None of these' cannot be combined with other answers. "
                "Untick 'None of these' or untick the others."
            ),
        ),
        other_specify("barriers_other", "barriers", True, "Which other barrier(s)?"),
        required(
            "select_multiple support",
            "support",
            "What support would help your organisation do more quality improvement?",
            "Select all that apply.",
            message="Please select at least one answer, or 'No additional support needed'.",
            constraint=NONE_EXCLUSIVE,
            constraint_message=(
                "'No additional support needed' cannot be combined with other answers. "
                "Untick it or untick the others."
            ),
        ),
        other_specify("support_other", "support", True, "What other support?"),
        end_group("barriers_support"),
        # -- closing --------------------------------------------------------------------
        begin_group("closing", "Final comments", CONSENTED),
        field(
            "text",
            "comments",
            "Is there anything else you would like to tell us about quality improvement in "
            "your organisation?",
            "Optional. Please do not name individual patients or staff.",
            appearance="multiline",
        ),
        field(
            "note",
            "thanks",
            "Thank you for completing the questionnaire. Please finalise the form when you "
            "are ready.",
        ),
        end_group("closing"),
    ],
    choices={
        "yes_no": YES_NO,
        "org_type": ORG_TYPE,
        "footprint": FOOTPRINT,
        "role": QUESTIONNAIRE_ROLE,
        "qi_method": QI_METHOD,
        "figures_source": FIGURES_SOURCE,
        "project_stage": PROJECT_STAGE,
        "agree5": AGREE5,
        "barrier": BARRIER,
        "support": SUPPORT,
    },
)

INTERVIEW = XLSForm(
    filename="stakeholder_interview_guide.xlsx",
    settings={
        "form_title": "London QI stakeholder interview guide",
        "form_id": "qi_stakeholder_interview",
        "version": VERSION,
        "default_language": LANG,
        "style": "interview",
        "instance_name": (
            "if(${consent} = 'yes', concat(${org_name}, ' - ', "
            "jr:choice-name(${participant_role}, '${participant_role}'), ' - ', "
            "${interview_date}), concat('Consent not given - ', ${interview_date}))"
        ),
    },
    survey=[
        field("start", "start"),
        field("end", "end"),
        field("today", "interview_date"),
        field(
            "note",
            "intro",
            "Interviewer: introduce yourself and the London QI baseline review. Explain that "
            "the interview takes about 45 minutes, that your notes are stored encrypted, that "
            "findings are pooled across London and quotes are reported without names, and "
            "that the participant can skip any question or stop at any time.",
        ),
        required(
            "select_one yes_no",
            "consent",
            "Has the participant agreed to be interviewed and for notes to be taken?",
            "Ask explicitly and record the answer. If no, thank them and finalise the form.",
            message="Record whether the participant has agreed.",
        ),
        required(
            "select_one yes_no",
            "consent_quotes",
            "Does the participant agree to anonymised quotes being used in reports?",
            message="Record whether quotes may be used.",
            relevant=CONSENTED,
        ),
        # The UI offers audio recording only once this is "yes" (a fixed name, see
        # qi_capture/services/screen_reader.py RECORDING_CONSENT). Optional: an
        # interview that is not recorded needs no answer.
        field(
            "select_one yes_no",
            "consent_recording",
            "Does the participant agree to the interview being audio recorded?",
            "Recording is offered only after a yes. The recording is stored encrypted, "
            "like the notes.",
            relevant=CONSENTED,
        ),
        field(
            "note",
            "consent_declined",
            "The participant has not agreed to take part: no further questions. Thank them "
            "and finalise the form.",
            relevant="${consent} = 'no'",
        ),
        # -- participant ----------------------------------------------------------------
        begin_group("participant", "Participant", CONSENTED, "field-list"),
        required("select_one role", "participant_role", "Participant's role"),
        other_specify("participant_role_other", "participant_role", False, "Role"),
        required("text", "org_name", "Organisation"),
        required("select_one org_type", "org_type", "Type of organisation"),
        other_specify("org_type_other", "org_type", False, "Other type of organisation"),
        required("select_one footprint", "footprint", "London footprint"),
        end_group("participant"),
        # -- sections -------------------------------------------------------------------
        *interview_section(
            "approach",
            "1. Current QI approach",
            [
                (
                    "approach_overview",
                    "How would you describe your organisation's current approach to quality "
                    "improvement?",
                    "Is there one organisation-wide method or several? Who leads it (QI team, "
                    "transformation, clinical effectiveness)? How long has it been in place? "
                    "How does it link to the organisation's strategy?",
                ),
                (
                    "approach_methods",
                    "Which improvement methods and tools are actually used day to day, and where?",
                    "Model for Improvement / PDSA, Lean, Six Sigma, SPC, experience-based "
                    "co-design, clinical audit. Which services or teams? Any difference "
                    "between clinical and corporate teams?",
                ),
                (
                    "approach_measurement",
                    "How do you know whether improvement work is making a difference?",
                    "Measurement for improvement, SPC charts, reporting to the board, formal "
                    "evaluation, patient outcomes and experience.",
                ),
            ],
        ),
        *interview_section(
            "capability",
            "2. Capability and training",
            [
                (
                    "capability_training",
                    "What QI training is available to staff, and who takes it up?",
                    "Levels (awareness, practitioner, advanced, coach); in-house or external "
                    "provider; protected time to attend; which professions and staff groups "
                    "are reached and which are missed.",
                ),
                (
                    "capability_after",
                    "What happens after people are trained?",
                    "Do they go on to lead projects? Coaching and follow-up support; keeping "
                    "skills up; do you know who is trained and to what level?",
                ),
                (
                    "capability_gaps",
                    "Where are the biggest gaps in improvement capability?",
                    "Skills, data analysts, coaches, board level, particular services or "
                    "staff groups, partners in primary care or the community.",
                ),
            ],
        ),
        *interview_section(
            "leadership",
            "3. Leadership and culture",
            [
                (
                    "leadership_board",
                    "How do the board and senior leaders support improvement?",
                    "Board development in QI, executive sponsorship, QI in board papers and "
                    "the strategy, leaders' own involvement in projects.",
                ),
                (
                    "leadership_culture",
                    "How would you describe the culture around trying new ways of working?",
                    "Permission to test and to fail, psychological safety, staff voice, "
                    "involvement of patients and carers. Can you give an example?",
                ),
                (
                    "leadership_pressures",
                    "How does improvement sit alongside performance management, regulation "
                    "and financial pressures?",
                    "Tension with targets, inspection and cost improvement programmes; does "
                    "QI get squeezed out under operational pressure?",
                ),
            ],
        ),
        *interview_section(
            "what_works",
            "4. What works",
            [
                (
                    "works_example",
                    "Can you describe a piece of improvement work you are proud of?",
                    "The problem, the method used, who was involved, the results and how they "
                    "were measured, whether it was sustained or spread.",
                ),
                (
                    "works_factors",
                    "What made it work?",
                    "Leadership, time, data, coaching, patient involvement, partnership with "
                    "other organisations. What would you do the same way again?",
                ),
            ],
        ),
        *interview_section(
            "barriers",
            "5. Barriers",
            [
                (
                    "barriers_main",
                    "What gets in the way of improvement in your organisation?",
                    "Time, workforce pressures, data and analytical support, funding, "
                    "competing priorities, culture, IT.",
                ),
                (
                    "barriers_system",
                    "Are there barriers that come from the wider system rather than from "
                    "your own organisation?",
                    "Commissioning and contracts, regulation, working across organisational "
                    "boundaries, sharing data, several competing QI approaches across London.",
                ),
                (
                    "barriers_overcome",
                    "Where have you managed to get round a barrier, and how?",
                    "What helped? Could it work elsewhere?",
                ),
            ],
        ),
        *interview_section(
            "future_support",
            "6. Support needed for the future London approach",
            [
                (
                    "future_needs",
                    "What support would most help your organisation build improvement "
                    "capability over the next three years?",
                    "Training, coaching, data and measurement, leadership development, "
                    "funding, evaluation. Which matters most?",
                ),
                (
                    "future_london",
                    "What should a London-wide approach to quality improvement do, and what "
                    "should it avoid?",
                    "A shared method or local choice; networks and communities of practice; "
                    "the roles of integrated care boards, AHSNs and education bodies; avoiding "
                    "duplication.",
                ),
                (
                    "future_contribution",
                    "What could your organisation contribute to a London-wide approach?",
                    "Faculty and coaches, sharing projects and results, hosting learning "
                    "events, data.",
                ),
                (
                    "future_success",
                    "In two years' time, how would you know the London approach is working?",
                    "What would be different for staff, for patients, for your organisation?",
                ),
            ],
        ),
        # -- closing --------------------------------------------------------------------
        begin_group("closing", "Closing", CONSENTED),
        field(
            "text",
            "closing_anything",
            "Is there anything else you would like to tell us, or anything we should have asked?",
            "Probes: who else should we speak to? Documents they could share (QI strategy, "
            "training figures, project reports).",
            appearance="multiline",
        ),
        field(
            "note",
            "thanks",
            "Thank the participant. Explain what happens next: findings are pooled across "
            "London's five footprints and presented at a deliberative event where the future "
            "approach is agreed.",
        ),
        field(
            "text",
            "interviewer_reflections",
            "Interviewer's reflections (complete after the interview)",
            "Your impressions: setting, mood, anything important not captured above.",
            appearance="multiline",
        ),
        end_group("closing"),
    ],
    choices={
        "yes_no": YES_NO,
        "role": INTERVIEW_ROLE,
        "org_type": ORG_TYPE,
        "footprint": FOOTPRINT,
    },
)

FORMS: tuple[XLSForm, ...] = (QUESTIONNAIRE, INTERVIEW)


# --------------------------------------------------------------------------- workbook output


def sheet_rows(form: XLSForm) -> dict[str, list[list[str]]]:
    """The cell values of each sheet (header first), exactly as written to the workbook."""
    used = {key for row in form.survey for key in row}
    survey_cols = [c for c in SURVEY_COLUMNS if c in used]
    survey = [survey_cols] + [[row.get(c, "") for c in survey_cols] for row in form.survey]
    choices = [list(CHOICE_COLUMNS)]
    for list_name, items in form.choices.items():
        choices.extend([list_name, name, label] for name, label in items)
    settings = [list(form.settings), list(form.settings.values())]
    return {"survey": survey, "choices": choices, "settings": settings}


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WIDTHS = {"type": 28, "name": 26, "list_name": 16, "label": 60, "hint": 50, "constraint": 34}


def build_workbook(form: XLSForm) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheet_rows(form).items():
        ws = wb.create_sheet(title)
        for row in rows:
            # None rather than "" so that blank cells are absent, as in a hand-made workbook.
            ws.append([value or None for value in row])
        for cell in ws[1]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
        ws.freeze_panes = "A2"
        for idx, header in enumerate(rows[0], start=1):
            base = header.split("::")[0]
            width = _WIDTHS.get(base, 16 if title != "settings" else 40)
            ws.column_dimensions[get_column_letter(idx)].width = width
            if base in {"label", "hint", "constraint_message", "required_message"}:
                for (cell,) in ws.iter_rows(min_row=2, min_col=idx, max_col=idx):
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.properties.creator = "tools/make_builtin_study.py"
    wb.properties.title = form.settings["form_title"]
    wb.properties.created = PINNED_TIME
    buf = io.BytesIO()
    wb.save(buf)
    return _pin_zip(buf.getvalue())


def _pin_zip(data: bytes) -> bytes:
    """Rewrite the zip with fixed entry dates and fixed document timestamps."""
    stamp = PINNED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                content = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>" + stamp + rb"\g<2>",
                    content,
                )
            pinned = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE_TIME)
            pinned.compress_type = zipfile.ZIP_DEFLATED
            pinned.external_attr = 0o644 << 16
            dst.writestr(pinned, content)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 if a workbook is out of date"
    )
    parser.add_argument("--out", type=Path, default=STUDY_DIR, help="output folder")
    args = parser.parse_args(argv)
    stale = []
    for form in FORMS:
        path = args.out / form.filename
        data = build_workbook(form)
        if args.check:
            if not path.exists() or path.read_bytes() != data:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")
    for path in stale:
        print(f"out of date: {path} (run tools/make_builtin_study.py)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
