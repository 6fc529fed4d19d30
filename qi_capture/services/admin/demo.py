"""Generated responses to the built-in study (the London QI baseline questionnaire and
the stakeholder interview guide), written straight into a central store: for the
report's tests, its benchmark and the screenshots, never for real data.

`insert_records` writes given answers as merged records (one revision each, a review
status each), as a merge would leave them; `fill_builtin` generates plausible ones,
reproducibly from a seed, spread over London's five footprints; `demo_central` makes a
whole central store of them (for the screenshots, which may not reach storage).
"""

from __future__ import annotations

import json
import random
import uuid
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qi_capture.central import sql
from qi_capture.central.models import CentralRecordRow, CentralReviewRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.resources import resource_path
from qi_capture.services.central_forms import RegisteredForm, register_forms
from qi_capture.storage.canonical import JsonValue, canonical_json, revision_id
from qi_capture.storage.models import utcnow
from qi_capture.storage.profile import Profile

STUDY_ID = "london-qi-baseline"
QUESTIONNAIRE = "qi_baseline"
INTERVIEW = "qi_stakeholder_interview"


@dataclass(frozen=True)
class DemoRecord:
    answers: Mapping[str, JsonValue]
    status: str = "approved"
    submitted: str = "2026-02-02T10:00:00.000000Z"
    deleted: bool = False


def register_builtin(central: CentralStore, study_id: str = STUDY_ID) -> dict[str, str]:
    """Register the built-in study's two forms; form id -> stored version."""
    folder = resource_path("studies", "london-qi-baseline")
    files = [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.xlsx"))]
    registered: list[RegisteredForm] = register_forms(central, study_id, files)
    return {r.form_id: r.version for r in registered}


def insert_records(central: CentralStore, study_id: str, form_id: str, version: str,
                   records: Sequence[DemoRecord], *, seed: int = 0) -> list[uuid.UUID]:
    """Write ``records`` as merged records of the form (ids derived from ``seed``)."""
    device = uuid.UUID(int=(seed << 64) + 0xD0)
    now = utcnow()
    ids = []
    batch: tuple[list[dict[str, object]], ...] = ([], [], [])
    for i, rec in enumerate(records):
        form_bits = (zlib.crc32(form_id.encode()) & 0xFFFF) << 40
        record_id = uuid.UUID(int=(seed << 64) + form_bits + i + 1)
        ids.append(record_id)
        doc = {"type": "qi-capture.revision", "schema": 1, "record_id": str(record_id),
               "form": {"study_id": study_id, "form_id": form_id, "version": version,
                        "sha256": ""},
               "parents": [], "device_id": str(device), "device_seq": i + 1,
               "created": rec.submitted, "interviewer": "Demo interviewer",
               "instance_name": None, "answers": dict(rec.answers)}
        text = canonical_json(doc)  # type: ignore[arg-type]
        rid = revision_id(text)
        batch[0].append({"id": rid, "record_id": record_id, "device_id": device,
                         "device_seq": i + 1, "parents_json": "[]", "kind": "edit",
                         "deleted": rec.deleted, "study_id": study_id, "form_id": form_id,
                         "form_version": version, "interviewer": "Demo interviewer",
                         "created": rec.submitted, "canonical_json": text})
        batch[1].append({"id": record_id, "study_id": study_id, "form_id": form_id,
                         "heads_json": json.dumps([rid]), "winner": rid, "in_conflict": False,
                         "deleted": rec.deleted, "form_version": version,
                         "device_id": device, "interviewer": "Demo interviewer",
                         "submitted": rec.submitted, "updated": rec.submitted})
        batch[2].append({"record_id": record_id, "status": rec.status, "updated": now,
                         "by": None})
        if len(batch[0]) == 5_000 or i == len(records) - 1:
            with central.engine.begin() as conn:
                for table, rows in zip((CentralRevisionRow, CentralRecordRow,
                                        CentralReviewRow), batch, strict=True):
                    conn.execute(sql.table(table).insert(), rows)
                    rows.clear()
    return ids


# -- generated answers ------------------------------------------------------------------

FOOTPRINTS = ("north_west", "north_central", "north_east", "south_east", "south_west")
ORG_TYPES = (("acute", 30), ("mental_health", 12), ("community", 12), ("primary_care", 25),
             ("commissioner", 8), ("education", 5), ("ahsn", 4), ("other", 4))
ROLES = (("improvement_lead", 25), ("medical_director", 8), ("nursing_director", 8),
         ("commissioner", 6), ("education_lead", 5), ("ahsn_staff", 3), ("executive", 6),
         ("qi_practitioner", 18), ("clinician", 12), ("manager", 7), ("other", 2))
METHODS = (("mfi_pdsa", 0.8), ("lean", 0.45), ("six_sigma", 0.15), ("spc", 0.5),
           ("ebcd", 0.2), ("clinical_audit", 0.6), ("other", 0.06))
BARRIERS = (("time", 0.75), ("pressures", 0.7), ("skills", 0.4), ("data", 0.5),
            ("leadership", 0.2), ("funding", 0.45), ("culture", 0.2), ("patients", 0.3),
            ("sustain", 0.4), ("priorities", 0.55), ("other", 0.05))
SUPPORT = (("training", 0.6), ("coaching", 0.5), ("measurement", 0.55), ("leadership", 0.3),
           ("networks", 0.5), ("codesign", 0.35), ("funding", 0.5), ("evaluation", 0.3),
           ("tools", 0.35), ("other", 0.04))
LIKERT = ("strongly_disagree", "disagree", "neutral", "agree", "strongly_agree")
LEAD_ITEMS = ("lead_board", "lead_sponsor", "lead_strategy", "lead_time", "lead_data",
              "lead_safe_to_fail", "lead_patients")
#: Per statement, how favourable answers lean (added to a footprint's own lean).
LEAN = {"lead_board": 0.6, "lead_sponsor": 0.4, "lead_strategy": 0.5, "lead_time": -0.9,
        "lead_data": -0.4, "lead_safe_to_fail": 0.1, "lead_patients": -0.5}
COMMENTS = (
    "We need protected time more than anything else.",
    "Our QI team is small and stretched across too many projects.",
    "A shared London approach would help us learn from other trusts.",
    "Data access is the biggest problem: analysts are hard to find.",
    "Board interest is growing but it is early days.",
    "Training is good but people have no time to use it afterwards.",
)
OTHERS = ("Appreciative inquiry", "Positive deviance", "Human factors", "Kaizen events",
          "IT systems", "Estates", "Regional networks")
NOTES = (
    "Staff have no protected time; projects stall when the wards are busy #barrier",
    "Executive sponsorship made the difference on the sepsis work #enabler #example",
    "Would like a London-wide faculty of coaches #idea",
    "Data team builds SPC charts on request #enabler",
    "Several competing QI approaches across the system confuse staff #barrier",
    "Link with the AHSN for evaluation #follow-up",
    "Patient partners co-designed the discharge leaflet #example",
    "Funding is year to year so nothing is sustained #barrier",
)
QUOTES = (
    "Improvement is the first thing to go when the pressure is on. #barrier",
    "When the chief executive comes to the huddle, people notice.",
    "We do not need another method, we need time to use the one we have.",
    "The best thing we did was train the ward managers together. #enabler",
    "A London network would stop us all reinventing the same wheel. #idea",
    "",
)
SECTIONS = {
    "approach": ("approach_overview", "approach_methods", "approach_measurement"),
    "capability": ("capability_training", "capability_after", "capability_gaps"),
    "leadership": ("leadership_board", "leadership_culture", "leadership_pressures"),
    "what_works": ("works_example", "works_factors"),
    "barriers": ("barriers_main", "barriers_system", "barriers_overcome"),
    "future_support": ("future_needs", "future_london", "future_contribution",
                       "future_success"),
}
STATUSES = (("approved", 70), ("received", 20), ("has_issues", 7), ("rejected", 3))


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    return rng.choices([k for k, _w in weighted], [w for _k, w in weighted])[0]


def _stamp(rng: random.Random, start: datetime, days: int) -> str:
    when = start + timedelta(days=rng.randrange(days), minutes=rng.randrange(8 * 60, 18 * 60))
    return when.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def questionnaire(rng: random.Random, i: int, start: datetime, days: int) -> DemoRecord:
    began = _stamp(rng, start, days)
    a: dict[str, JsonValue] = {"start": began, "end": began}
    if rng.random() < 0.03:
        a["consent"] = "no"
        return DemoRecord(a, _pick(rng, STATUSES), began)
    a["consent"] = "yes"
    fp_index = rng.choices(range(5), (26, 20, 22, 18, 14))[0]
    footprint = FOOTPRINTS[fp_index]
    org_type = _pick(rng, ORG_TYPES)
    a["respondent/org_name"] = f"{footprint.replace('_', ' ').title()} {org_type} {i % 40}"
    a["respondent/org_type"] = org_type
    if org_type == "other":
        a["respondent/org_type_other"] = "Hospice"
    a["respondent/footprint"] = footprint
    role = _pick(rng, ROLES)
    a["respondent/role"] = role
    if role == "other":
        a["respondent/role_other"] = "Patient safety specialist"
    if rng.random() < 0.04:
        a["qi_methods/methods"] = "none"
    else:
        chosen = [m for m, p in METHODS if rng.random() < p] or ["mfi_pdsa"]
        a["qi_methods/methods"] = " ".join(chosen)
        if "other" in chosen:
            a["qi_methods/methods_other"] = rng.choice(OTHERS)
    scale = rng.lognormvariate(5, 1.2)
    for name, share in (("trained_awareness", 1.0), ("trained_practitioner", 0.25),
                        ("trained_advanced", 0.04), ("trained_coach", 0.02)):
        a[f"training/{name}"] = int(scale * share)
    a["training/trained_source"] = rng.choice(("records", "estimate"))
    has = rng.random() < 0.8
    a["projects/has_projects"] = "yes" if has else "no"
    for p in range(1, (rng.randrange(1, 4) if has else 0) + 1):
        base = f"projects/qi_project[{p}]"
        a[f"{base}/project_title"] = rng.choice(("Sepsis screening", "Discharge before noon",
                                                 "Falls prevention", "Outpatient flow"))
        a[f"{base}/project_method"] = rng.choice(("mfi_pdsa", "lean", "spc", "ebcd"))
        a[f"{base}/project_stage"] = rng.choice(("planning", "testing", "implementing",
                                                 "spreading", "completed"))
        if rng.random() < 0.7:
            a[f"{base}/project_patients"] = rng.randrange(20, 5000)
    lean = (fp_index - 2) * 0.25
    for item in LEAD_ITEMS:
        if rng.random() < 0.06:
            continue  # left blank: cannot judge
        score = 2 + LEAN[item] + lean + rng.gauss(0, 1)
        a[f"leadership/{item}"] = LIKERT[max(0, min(4, round(score)))]
    for field, options, none in (("barriers", BARRIERS, "none"), ("support", SUPPORT, "none")):
        chosen = [m for m, p in options if rng.random() < p] or [none]
        a[f"barriers_support/{field}"] = " ".join(chosen)
        if "other" in chosen:
            a[f"barriers_support/{field}_other"] = rng.choice(OTHERS)
    if rng.random() < 0.25:
        a["closing/comments"] = rng.choice(COMMENTS)
    return DemoRecord(a, _pick(rng, STATUSES), began)


def interview(rng: random.Random, i: int, start: datetime, days: int) -> DemoRecord:
    began = _stamp(rng, start, days)
    a: dict[str, JsonValue] = {"start": began, "end": began, "interview_date": began[:10],
                               "consent": "yes"}
    a["consent_quotes"] = "yes" if rng.random() < 0.85 else "no"
    roles = [r for r, _w in ROLES[:6]] + ["other"]
    role = rng.choice(roles)
    a["participant/participant_role"] = role
    if role == "other":
        a["participant/participant_role_other"] = "Chief operating officer"
    footprint = rng.choice(FOOTPRINTS)
    a["participant/org_name"] = f"Interviewed organisation {i}"
    a["participant/org_type"] = _pick(rng, ORG_TYPES[:7])
    a["participant/footprint"] = footprint
    for section, fields in SECTIONS.items():
        for name in fields:
            if rng.random() < 0.85:
                a[f"{section}/{name}"] = rng.choice(NOTES)
        if a["consent_quotes"] == "yes":
            quote = rng.choice(QUOTES)
            if quote:
                a[f"{section}/key_quote_{section}"] = quote
    a["closing/interviewer_reflections"] = "Open, engaged; met in the QI team's office."
    return DemoRecord(a, _pick(rng, STATUSES), began)


def fill_builtin(central: CentralStore, *, responses: int, interviews: int,
                 seed: int = 1, study_id: str = STUDY_ID) -> dict[str, list[uuid.UUID]]:
    """Register the built-in study and add generated responses and interviews."""
    versions = register_builtin(central, study_id)
    rng = random.Random(seed)
    start = datetime(2026, 1, 12, tzinfo=UTC)
    made = {
        QUESTIONNAIRE: [questionnaire(rng, i, start, 60) for i in range(responses)],
        INTERVIEW: [interview(rng, i, start + timedelta(days=14), 45)
                    for i in range(interviews)],
    }
    return {fid: insert_records(central, study_id, fid, versions[fid], recs, seed=seed)
            for fid, recs in made.items()}


def demo_central(folder: Path, passphrase: str, *, responses: int, interviews: int,
                 seed: int = 1) -> Path:
    """A new central store in ``folder`` (the fastest key derivation: demo data only)
    holding the built-in study with generated records."""
    Profile.create(folder, "Central admin", passphrase, kdf=floor_params())
    with CentralStore.open(folder, passphrase) as central:
        fill_builtin(central, responses=responses, interviews=interviews, seed=seed)
    return folder


# -- thematic coding ----------------------------------------------------------------------
#: Analysts' codes for the demo, under the quick-tag codes they refine.
DEMO_CODES = (("Protected time", "Barrier", "#E67E22"),
              ("Data and analysts", "Barrier", "#5D6D7E"),
              ("Executive sponsorship", "Enabler", "#1E8449"),
              ("London-wide network", "Idea", "#6C3483"))
#: Words that earn each demo code where an answer holds them.
DEMO_WORDS = {"Protected time": ("protected time", "time"),
              "Data and analysts": ("Data", "analysts"),
              "Executive sponsorship": ("sponsorship", "chief executive"),
              "London-wide network": ("London", "network")}


def code_demo(central: CentralStore, *, coders: Sequence[str] = ("alice", "bob"),
              interviews: int = 12, seed: int = 1) -> None:
    """Code the study's interviews as a demo: the field tags seeded (all interviews), a
    few analysts' codes under them, and each coder applying them to the words that earn
    them in the first ``interviews`` (the second coder missing some at random, so that
    agreement has something to show). One transaction per coding, as the console makes
    them: about a second per interview."""
    from qi_capture.services.admin.coding import CodingDesk

    rng = random.Random(seed)
    first = CodingDesk(central, coder=coders[0])
    first.codebook()
    for name, parent, colour in DEMO_CODES:
        first.create_code(name, parent=parent, colour=colour,
                          description=f"Refines {parent.lower()}: {name.lower()}.")
    desks = [first, *(CodingDesk(central, coder=c) for c in coders[1:])]
    for interview in first.interviews()[:interviews]:
        page = first.transcript(interview.record_id)
        for section in page.sections:
            for item in section.items:
                for name, words in DEMO_WORDS.items():
                    at = next((item.text.find(w) for w in words if w in item.text), -1)
                    if at < 0:
                        continue
                    word = next(w for w in words if w in item.text)
                    for n, desk in enumerate(desks):
                        if n and rng.random() < 0.25:
                            continue
                        desk.apply_codes(interview.record_id, item.field, at, at + len(word),
                                         [name])
