"""Every realistic questionnaire of the corpus (MANIFEST.md, kind "realistic...") that
loads opens a session and walks every screen without an error: labels, hints, choices
and issues on each, a pass that answers every visible field with a plausible typed value
and a to_submission()/from_submission() round trip, and label walks in each language of
the multilingual ones."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from qi_capture.forms import Form, FormError
from qi_capture.forms.session import AnswerError, FormSession, GeoPoint

CorpusForm = Callable[[str], Form]
Start = Callable[..., FormSession]

#: Realistic forms that load as they are.
LOADED = [
    "webforms__whova_form.xlsx",
    "webforms__socio-economic-survey-v20240515.xlsx",
    "webforms__ifrc-distribution-site-assessment-v1.xlsx",
    "cht__pregnancy.xlsx",
    "cht__delivery.xlsx",
    "cht__death_report.xlsx",
    "fmtm__building_natural_risks_survey.xlsx",
    "fmtm__slum_assessment_survey.xlsx",
    "liberia-s3m__round2_liberiaCoverage.xlsx",
    "liberia-s3m__round1_liberiaCoverageVillageForm.xlsx",
    "liberia-s3m__round2_liberiaStdForm.xlsx",
    "unicef-moz__sofala_s3m.xlsx",
    "unicef-moz__improving_nutrition_status_u5_endline.xlsx",
    "pyxform__UCL_Biomass_Plot_Form.xlsx",
    "osmfw__waste_collection.xlsx",
]
#: Realistic SurveyCTO-dialect forms, walked with their platform types mapped (conftest).
SURVEYCTO = [
    "ipa-scto__advanced_CATI_starter_kit_with_attempt_workflow.xlsx",
    "ipa-scto__birthday_age_calculation.xlsx",
    "ipa-scto__phq9_gad7.xlsx",
]
#: Realistic forms the loader rejects (docs/forms-support.md): nothing to walk.
REJECTED = {
    "cht__person-create.xlsx": "unknown_type",  # CHT 'tel'
    "fmtm__simple_building_survey_wildfires.xlsx": "unknown_reference",  # ${existing}
    "msf-epidict__mortality_survey.xlsx": "unknown_reference",
    "msf-epidict__vaccination_coverage_long.xlsx": "unknown_reference",
}

NOW = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.UTC)


def test_every_realistic_form_is_covered(corpus_dir: Path) -> None:
    manifest = (corpus_dir.parent / "MANIFEST.md").read_text(encoding="utf-8")
    realistic = set(re.findall(r"^\| `([^`]+)` \|[^|]*\|[^|]*\|[^|]*\| realistic", manifest,
                               flags=re.MULTILINE))
    assert len(realistic) == 22
    assert realistic == set(LOADED) | set(SURVEYCTO) | set(REJECTED)


@pytest.mark.parametrize("name", sorted(REJECTED))
def test_rejected_realistic_forms(corpus_dir: Path, name: str) -> None:
    from qi_capture.forms import load_form

    with pytest.raises(FormError) as caught:
        load_form(corpus_dir / name)
    assert REJECTED[name] in {issue.code for issue in caught.value.errors}


def _form(name: str, corpus: CorpusForm, surveycto_corpus: CorpusForm) -> Form:
    return surveycto_corpus(name) if name in SURVEYCTO else corpus(name)


def _look_at(session: FormSession, path: str) -> None:
    assert isinstance(session.label(path), str)
    assert isinstance(session.hint(path), str)
    element = session.node(path).element
    if element.list_name is not None or element.choices_from is not None:
        for name, label in session.choices(path):
            assert isinstance(name, str) and isinstance(label, str)
    issue = session.issue(path)
    assert issue is None or issue.path == path


def _walk(session: FormSession) -> list[str]:
    """Visit every relevant screen from the first with next_screen(); look at each field."""
    visited: list[str] = []
    screen = session.current_screen()
    while screen is not None:
        visited.append(screen.key)
        for path in screen.fields:
            _look_at(session, path)
        screen = session.next_screen()
    return visited


def _plausible(session: FormSession, path: str) -> object:
    element = session.node(path).element
    if element.type in ("select_one", "select_multiple", "rank"):
        offered = [name for name, _ in session.choices(path)]
        if not offered:
            return None
        if element.type == "select_one":
            return offered[0]
        return offered if element.type == "rank" else offered[:1]
    if element.type == "acknowledge":
        return True
    return {
        "int": 1,
        "decimal": Decimal("1.5"),
        "date": dt.date(2024, 1, 15),
        "time": dt.time(10, 0),
        "dateTime": dt.datetime(2024, 1, 15, 10, 0, tzinfo=dt.UTC),
        "geopoint": GeoPoint(6.3, -10.8),
        "geotrace": [GeoPoint(6.3, -10.8), GeoPoint(6.4, -10.8)],
        "geoshape": [GeoPoint(6.3, -10.8), GeoPoint(6.4, -10.8), GeoPoint(6.4, -10.7),
                     GeoPoint(6.3, -10.8)],
        "binary": "photo.jpg",
    }.get(element.data_type, "text")


@pytest.mark.parametrize("name", LOADED + SURVEYCTO)
def test_walk_every_screen(name: str, corpus: CorpusForm, surveycto_corpus: CorpusForm,
                           start: Start) -> None:
    session = start(_form(name, corpus, surveycto_corpus))
    screens = session.screens()
    assert screens
    expected = [s.key for s in screens if s.relevant]
    assert _walk(session) == expected
    assert session.next_screen() is None  # the end: no move
    if len(expected) > 1:
        previous = session.previous_screen()
        assert previous is not None and previous.key == expected[-2]
    session.go_to(expected[0])
    assert session.current_screen() is not None
    answered, total = session.progress()
    assert 0 <= answered <= total


@pytest.mark.parametrize("name", LOADED + SURVEYCTO)
def test_answer_every_field_and_round_trip(name: str, corpus: CorpusForm,
                                          surveycto_corpus: CorpusForm,
                                          start: Start) -> None:
    form = _form(name, corpus, surveycto_corpus)
    session = start(form)
    answered = 0
    screen = session.current_screen()
    while screen is not None:
        for path in screen.fields:
            if session.is_read_only(path) or not session.is_relevant(path):
                continue
            value = _plausible(session, path)
            if value is None:
                continue
            try:
                session.set(path, value)
            except AnswerError:
                continue  # a value this field refuses (wrong type for its widget...)
            answered += 1
            _look_at(session, path)
        screen = session.next_screen()
    assert answered > 0
    submission = session.to_submission()
    restored = FormSession.from_submission(form, submission, clock=lambda: NOW,
                                           random_source=lambda: 0.25)
    assert restored.to_submission() == submission
    for issue in restored.errors():
        assert issue.kind in ("required", "constraint", "expression")


MULTILINGUAL = [
    ("webforms__whova_form.xlsx", ("English", "French")),
    ("webforms__socio-economic-survey-v20240515.xlsx", ("English (en)", "French (fr)")),
    ("webforms__ifrc-distribution-site-assessment-v1.xlsx", ("English", "Français")),
    ("unicef-moz__sofala_s3m.xlsx", ("Portuguese (pt)", "English (en)")),
    ("pyxform__UCL_Biomass_Plot_Form.xlsx", ("Swahili (sw)", "English (en)")),
    ("osmfw__waste_collection.xlsx", ("English(en)", "Swahili(sw)")),
]


@pytest.mark.parametrize(("name", "languages"), MULTILINGUAL)
def test_language_switches(name: str, languages: tuple[str, ...], corpus: CorpusForm,
                           start: Start) -> None:
    form = corpus(name)
    session = start(form)
    # default_language if the settings give one, else the first language.
    assert session.language == languages[0]
    fields = [p for s in session.screens() if s.relevant for p in s.fields]
    labels: dict[str, list[str]] = {}
    for language in languages:
        session.set_language(language)
        assert session.language == language
        labels[language] = [session.label(p) for p in fields]
        for path in fields:
            _look_at(session, path)
    first, second = languages[:2]
    # Some labels differ between the two languages (the form is translated).
    assert any(a != b for a, b in zip(labels[first], labels[second], strict=True))
