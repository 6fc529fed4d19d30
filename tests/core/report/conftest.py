"""A central store holding the built-in study with hand-made records whose results are
worked out by hand in the tests (`fixture_study`), and one with a few hundred generated
ones (`sample_study`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin.demo import (
    INTERVIEW,
    QUESTIONNAIRE,
    STUDY_ID,
    DemoRecord,
    fill_builtin,
    insert_records,
    register_builtin,
)
from qi_capture.storage.profile import Profile

PASSPHRASE = "copper kettle harbour 42"

#: (footprint, org_type, methods, trained_awareness, has_projects, lead_board) per
#: consenting respondent; 17 of them, and one more who declined.
ROWS: list[tuple[str, str, str, int, str, str | None]] = [
    # 6 North West
    ("north_west", "acute", "mfi_pdsa lean", 10, "yes", "agree"),
    ("north_west", "acute", "mfi_pdsa", 20, "yes", "agree"),
    ("north_west", "acute", "mfi_pdsa spc", 30, "yes", "strongly_agree"),
    ("north_west", "acute", "lean", 40, "no", "disagree"),
    ("north_west", "mental_health", "mfi_pdsa lean", 50, "yes", None),
    ("north_west", "acute", "mfi_pdsa", 60, "yes", "neutral"),
    # 5 North Central
    ("north_central", "acute", "mfi_pdsa", 70, "no", "agree"),
    ("north_central", "acute", "mfi_pdsa lean", 80, "yes", "agree"),
    ("north_central", "mental_health", "mfi_pdsa spc", 90, "yes", "agree"),
    ("north_central", "acute", "lean", 100, "yes", None),
    ("north_central", "acute", "mfi_pdsa", 110, "yes", "disagree"),
    # 3 South East, 3 South West: merged into "Other (small groups)" (6)
    ("south_east", "acute", "mfi_pdsa", 120, "no", "agree"),
    ("south_east", "mental_health", "none", 130, "yes", "agree"),
    ("south_east", "acute", "mfi_pdsa", 140, "yes", "strongly_agree"),
    ("south_west", "acute", "mfi_pdsa lean", 150, "yes", "agree"),
    ("south_west", "mental_health", "mfi_pdsa", 160, "no", "neutral"),
    ("south_west", "acute", "clinical_audit", 170, "yes", "agree"),
]


def org_name(i: int) -> str:
    return f"Trust number {i}"


def questionnaire_records() -> list[DemoRecord]:
    out = []
    for i, (fp, org, methods, trained, projects, board) in enumerate(ROWS):
        day = 12 + i
        a: dict[str, object] = {
            "start": f"2026-01-{day:02d}T10:00:00.000Z", "consent": "yes",
            "respondent/org_name": org_name(i), "respondent/org_type": org,
            "respondent/footprint": fp, "respondent/role": "improvement_lead",
            "qi_methods/methods": methods, "training/trained_awareness": trained,
            "projects/has_projects": projects,
        }
        if board is not None:
            a["leadership/lead_board"] = board
        if i == 0:
            a["qi_methods/methods"] = "mfi_pdsa lean other"
            a["qi_methods/methods_other"] = "Kaizen <b>events</b>"
        out.append(DemoRecord(a, "approved", f"2026-01-{day:02d}T11:00:00.000000Z"))  # type: ignore[arg-type]
    out.append(DemoRecord({"start": "2026-01-30T10:00:00.000Z", "consent": "no"},
                          "received", "2026-01-30T11:00:00.000000Z"))
    # A rejected record and a deleted one: counted in the methods, never in the results
    # when only approved records are asked for; the deleted one never at all.
    out.append(DemoRecord({"consent": "yes", "respondent/footprint": "north_west"},
                          "rejected", "2026-01-31T11:00:00.000000Z"))
    out.append(DemoRecord({"consent": "yes", "respondent/footprint": "north_west"},
                          "approved", "2026-01-31T12:00:00.000000Z", deleted=True))
    return out


def interview_records() -> list[DemoRecord]:
    out = []
    for i in range(6):
        a: dict[str, object] = {
            "consent": "yes", "consent_quotes": "yes" if i != 5 else "no",
            "participant/participant_role": "improvement_lead" if i < 5 else "commissioner",
            "participant/org_name": f"Interviewed {i}", "participant/org_type": "acute",
            "participant/footprint": "north_west",
            "barriers/barriers_main": "No time at all #barrier" if i < 5 else "#barrier",
            "barriers/key_quote_barriers": f"Quote number {i}",
        }
        if i < 2:
            a["approach/approach_overview"] = "Sponsor helped #enabler"
        out.append(DemoRecord(a, "approved"))  # type: ignore[arg-type]
    # Not approved: its tag and quote never count.
    out.append(DemoRecord({"consent": "yes", "consent_quotes": "yes",
                           "barriers/barriers_main": "#idea",
                           "barriers/key_quote_barriers": "Unreviewed quote"}, "received"))  # type: ignore[arg-type]
    return out


MakeCentral = Callable[[str], Path]


@pytest.fixture(scope="session")
def central_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report-template") / "central"
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    CentralStore.open(folder, PASSPHRASE).close()
    return folder


def _copy(template: Path, dest: Path) -> Path:
    import shutil

    shutil.copytree(template, dest)
    return dest


@pytest.fixture(scope="session")
def fixture_study(central_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _copy(central_template, tmp_path_factory.mktemp("fixture") / "central")
    with CentralStore.open(folder, PASSPHRASE) as central:
        versions = register_builtin(central)
        insert_records(central, STUDY_ID, QUESTIONNAIRE, versions[QUESTIONNAIRE],
                       questionnaire_records(), seed=7)
        insert_records(central, STUDY_ID, INTERVIEW, versions[INTERVIEW],
                       interview_records(), seed=7)
    return folder


@pytest.fixture(scope="session")
def sample_study(central_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = _copy(central_template, tmp_path_factory.mktemp("sample") / "central")
    with CentralStore.open(folder, PASSPHRASE) as central:
        fill_builtin(central, responses=250, interviews=30, seed=3)
    return folder
