"""The built-in London QI study runs in form sessions end to end."""

from __future__ import annotations

from typing import Any

import pytest

from qi_capture.forms import Form, load_form
from qi_capture.resources import resource_path


@pytest.fixture(scope="module")
def baseline() -> Form:
    return load_form(resource_path("studies", "london-qi-baseline",
                                   "qi_baseline_questionnaire.xlsx"))


@pytest.fixture(scope="module")
def interview() -> Form:
    return load_form(resource_path("studies", "london-qi-baseline",
                                   "stakeholder_interview_guide.xlsx"))


def test_no_consent_ends_the_questionnaire(baseline: Form, start: Any) -> None:
    session = start(baseline)
    session.set("consent", "no")
    assert session.is_relevant("consent_declined")
    assert not session.is_relevant("respondent/org_name")
    assert session.errors() == []
    assert session.to_submission()["meta"]["instanceName"] == "Consent not given"
    relevant_screens = [s.key for s in session.screens() if s.relevant]
    assert relevant_screens == ["intro", "consent", "consent_declined"]


def test_baseline_filled_to_completion(baseline: Form, start: Any) -> None:
    session = start(baseline)
    session.set("consent", "yes")
    session.set("org_name", "St Elsewhere")
    session.set("org_type", "acute")
    session.set("footprint", "north_central")
    session.set("role", "improvement_lead")
    session.set("methods", ["mfi_pdsa", "spc"])
    for level, count in (("awareness", 120), ("practitioner", 30), ("advanced", 4),
                         ("coach", 2)):
        session.set(f"trained_{level}", count)
    issue = session.set("trained_coach", 60_000)
    assert issue is not None and issue.kind == "constraint"
    session.set("trained_coach", 2)
    assert session.get("trained_total") == "156"
    session.set("trained_source", "records")
    session.set("has_projects", "yes")
    # The methods of a project exclude "none" (a choice filter).
    assert "none" not in [n for n, _ in session.choices("qi_project[1]/project_method")]
    session.add_repeat("projects/qi_project")
    for i, (title, method) in enumerate((("Falls", "mfi_pdsa"), ("Flow", "lean")), start=1):
        session.set(f"qi_project[{i}]/project_title", title)
        session.set(f"qi_project[{i}]/project_method", method)
        session.set(f"qi_project[{i}]/project_stage", "testing")
    issue = session.set("barriers", ["time", "none"])
    assert issue is not None and issue.kind == "constraint"
    session.set("barriers", ["time", "data"])
    session.set("support", ["none"])
    for statement in ("board", "sponsor", "strategy", "time", "data", "safe_to_fail",
                      "patients"):
        session.set(f"lead_{statement}", "agree")
    assert session.errors() == []
    submission = session.to_submission(finalise=True)
    assert submission["meta"]["instanceName"] == "St Elsewhere - Acute trust"
    assert [p["project_title"] for p in submission["data"]["projects"]["qi_project"]] == \
        ["Falls", "Flow"]
    answered, total = session.progress()
    # Left unanswered: the optional comments and each project's optional patient count.
    assert answered == total - 3


def test_interview_guide_is_an_interview(interview: Form, start: Any) -> None:
    assert interview.style == "interview"
    session = start(interview)
    session.set("consent", "yes")
    session.set("consent_quotes", "yes")
    keys = [s.key for s in session.screens() if s.relevant]
    assert "participant" in keys
    quote_fields = [e.name for e in interview.fields() if e.name.startswith("key_quote_")]
    assert len(quote_fields) == 6
    assert all(session.is_relevant(name) for name in quote_fields)
    session.set("consent_quotes", "no")
    assert not any(session.is_relevant(name) for name in quote_fields)
