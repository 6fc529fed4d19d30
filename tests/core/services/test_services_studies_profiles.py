"""StudyService (forms stored with bytes, hash, compiled JSON and version; the built-in
study at creation), ProfileService selection, and the log filter."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from qi_capture.forms import FormError
from qi_capture.logs import REDACTED, RedactingFilter
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.errors import (
    FormUnknown,
    NoProfiles,
    ProfileChoiceNeeded,
    ProfileNameTaken,
    ProfileUnknown,
)
from qi_capture.services.studies import BUILTIN_STUDY_ID
from qi_capture.storage.canonical import sha256_hex
from qi_capture.storage.errors import FormVersionConflict


def test_the_builtin_study_is_there_from_creation(ctx: CoreContext) -> None:
    forms = {f.form_id: f for f in ctx.studies.list_forms(BUILTIN_STUDY_ID)}
    assert set(forms) == {"qi_baseline", "qi_stakeholder_interview"}
    assert forms["qi_baseline"].version == "2026120201"
    assert BUILTIN_STUDY_ID in {s.id for s in ctx.studies.list_studies()}
    form = ctx.studies.load_form(forms["qi_baseline"].id)
    assert form.form_id == "qi_baseline"


def test_adding_stores_bytes_hash_and_compiled_form(ctx: CoreContext, form_source: bytes) -> None:
    again = ctx.studies.add_form_bytes(form_source, "svc_test.md")
    assert not again.created
    assert again.form.sha256 == sha256_hex(form_source)
    assert ctx.store.catalog.xlsform_source(again.form.id) == form_source
    compiled = json.loads(ctx.store.catalog.compiled_form(again.form.id))
    assert compiled["form_id"] == "svc_test"

    changed = form_source.replace(b"| Notes ", b"| Memo  ")
    with pytest.raises(FormVersionConflict):
        ctx.studies.add_form_bytes(changed, "svc_test.md")
    bumped = changed.replace(b"| svc_test     | 1 ", b"| svc_test     | 2 ")
    added = ctx.studies.add_form_bytes(bumped, "svc_test.md")
    assert added.created and added.form.version == "2"
    assert ctx.studies.resolve("svc_test").id == added.form.id  # the latest
    assert ctx.studies.resolve("local/svc_test@1").version == "1"
    assert ctx.studies.resolve(str(added.form.id)) == added.form


def test_a_form_without_version_gets_one_from_its_hash(ctx: CoreContext) -> None:
    source = b"| survey | | | |\n| | type | name | label |\n| | text | q | Q |\n"
    added = ctx.studies.add_form_bytes(source, "noversion.md", study_id="other")
    assert added.form.version == f"sha256-{sha256_hex(source)[:12]}"
    ctx.studies.add_form_bytes(source, "noversion.md", study_id="local")
    with pytest.raises(FormUnknown) as ambiguous:
        ctx.studies.resolve("noversion")
    assert ambiguous.value.params["candidates"] == 2
    assert ctx.studies.resolve("other/noversion").study_id == "other"
    with pytest.raises(FormUnknown):
        ctx.studies.resolve("nope")


def test_an_invalid_form_is_refused_with_its_errors(ctx: CoreContext) -> None:
    before = len(ctx.studies.list_forms())
    with pytest.raises(FormError) as bad:
        ctx.studies.add_form_bytes(b"| survey | | | |\n| | type | name | label |\n"
                                   b"| | integer | q | Q |\n| | text | q | again |\n", "bad.md")
    assert bad.value.errors
    with pytest.raises(FormError):
        ctx.studies.add_form_file("/nonexistent/form.xlsx")
    assert len(ctx.studies.list_forms()) == before


def test_profile_selection(fresh_profiles: ProfileService, tmp_path_factory: pytest.TempPathFactory) -> None:
    only = fresh_profiles.select()
    assert only.label == "Jo Tester"
    assert fresh_profiles.select("jo tester") == only
    assert only.profile_id is not None and fresh_profiles.select(only.profile_id) == only
    with pytest.raises(ProfileUnknown):
        fresh_profiles.select("Someone Else")
    with pytest.raises(ProfileNameTaken):
        fresh_profiles.create("JO TESTER", "another good passphrase 9")
    with pytest.raises(NoProfiles):
        ProfileService(tmp_path_factory.mktemp("empty")).select()


def test_profile_choice_needed_with_two(fresh_profiles: ProfileService) -> None:
    from qi_capture.crypto.kdf import floor_params

    fresh_profiles.create("Second Person", "another good passphrase 9", kdf=floor_params())
    with pytest.raises(ProfileChoiceNeeded):
        fresh_profiles.select()
    assert fresh_profiles.select("Second Person").label == "Second Person"


def test_the_log_filter_keeps_ids_and_counts_only() -> None:
    record = logging.LogRecord("qi_capture.x", logging.INFO, __file__, 1,
                               "record %s: %d change(s), value %s, form %s", (
                                   "6f1c2a9e-0000-4000-8000-000000000000", 3,
                                   "Mrs Jane Smith, 12 High St", "qi_baseline"), None)
    try:
        raise ValueError("secret answer text")
    except ValueError:
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    text = record.getMessage()
    assert "Jane" not in text and REDACTED in text
    assert "6f1c2a9e-0000-4000-8000-000000000000" in text and "qi_baseline" in text
    assert record.exc_info is None and "ValueError" in text and "secret" not in text
