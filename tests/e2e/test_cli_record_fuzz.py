"""Fuzzing ``record fill --answers`` (an answer file is a JSON object of path -> value):
whatever the file holds, the command ends with exit code 0, 1 or 2 and a one-line
``error:`` message, never a traceback, in bounded time; the answers that reach the
record are stored through the real autosave into a real (SQLCipher) profile.

The CLI runs in this process (``qi_capture.cli.main``) on one temporary profile: each
call unlocks it as a real invocation does. A fill that fails once its record exists
removes that record again and says so ("no record was kept: ..."); that is asserted here
too.

A second, cheaper test applies arbitrary answers through the same service calls the
command makes (`RecordDraft.ensure_instances`, ``field``, ``set``), on an unlocked
profile, so many more inputs reach the form session and the autosave."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.cli import main
from qi_capture.errors import QICaptureError
from qi_capture.services import CoreContext, ProfileService

PASSPHRASE = "copper kettle harbour 42"
FORM = textwrap.dedent("""
    | survey   |                    |         |            |            |             |
    |          | type               | name    | label      | constraint | calculation |
    |          | text               | name    | Name       |            |             |
    |          | integer            | age     | Age        | . < 120    |             |
    |          | decimal            | w       | Weight     |            |             |
    |          | date               | d       | Date       |            |             |
    |          | geopoint           | gp      | Where      |            |             |
    |          | select_one yn      | yn      | Yes or no  |            |             |
    |          | select_multiple yn | ym      | Which      |            |             |
    |          | begin repeat       | child   | Child      |            |             |
    |          | text               | cname   | Child name |            |             |
    |          | end repeat         |         |            |            |             |
    |          | calculate          | calc    |            |            | ${age} + 1  |
    | choices  |                    |         |            |            |             |
    |          | list_name          | name    | label      |            |             |
    |          | yn                 | y       | Yes        |            |             |
    |          | yn                 | n       | No         |            |             |
    | settings |                    |         |            |            |             |
    |          | form_id            | version |            |            |             |
    |          | fuzz_fill          | 1       |            |            |             |
""")
#: One fill unlocks the profile (Argon2id at the floor) and autosaves: a few seconds at
#: most even on a loaded machine; a hang (say, growing a repeat to a billion instances)
#: fails this.
FILL_SECONDS = 15.0

TRICKY = ("\ud800", "a\udfffb", "\x00", "", " ", "9" * 5000, "1e999", "NaN")
any_text = st.sampled_from(TRICKY) | st.text(
    st.characters(codec=None, exclude_categories=()), max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats() | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
    max_leaves=8,
)
#: Paths: the form's own (with repeat indices, some large), or anything.
paths = st.one_of(
    st.sampled_from(["name", "age", "w", "d", "gp", "yn", "ym", "calc", "child",
                     "/data/name", "data/age", "child/cname", "child[1]", ""]),
    st.builds(lambda i: f"child[{i}]/cname",
              st.integers(0, 3) | st.sampled_from([10**8, 10**30]) | st.just(-1)),
    st.builds(lambda i: f"child[{'9' * i}]/cname", st.sampled_from([12, 5000])),
    any_text,
)
answer_objects = st.dictionaries(paths, json_values, max_size=4)


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A profile data folder with the fuzz form added; the passphrase in the
    environment, as the CLI reads it."""
    root = tmp_path_factory.mktemp("fill-fuzz")
    data = root / "data"
    form = root / "fuzz_fill.md"
    form.write_text(FORM, encoding="utf-8")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QI_CAPTURE_PASSPHRASE", PASSPHRASE)
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["--data-dir", str(data), "profile", "create", "--name", "Fuzz Field",
                         "--kdf", "floor"]) == 0
            assert main(["--data-dir", str(data), "study", "add", str(form)]) == 0
        yield data


def fill(data: Path, raw: bytes) -> tuple[int, str, str]:
    """``record fill fuzz_fill --answers FILE`` on ``raw``: (exit code, stdout, stderr).
    Any exception escaping the command fails the test (a traceback for the user)."""
    answers = data.parent / "answers.json"
    answers.write_bytes(raw)
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--data-dir", str(data), "record", "fill", "fuzz_fill",
                     "--answers", str(answers)])
    assert time.perf_counter() - start < FILL_SECONDS
    return code, out.getvalue(), err.getvalue()


def check_outcome(code: int, out: str, err: str) -> None:
    assert code in (0, 1, 2), (code, err)
    if code == 0:
        assert out.startswith("record ") and " draft" in out, out
        return
    lines = err.splitlines()
    assert lines and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    # Once the record exists, a failure removes it and says so.
    assert len(lines) == 1 or lines[-1].startswith("no record was kept"), err


def _encode(doc: Any, ascii_only: bool) -> bytes:
    try:
        return json.dumps(doc, ensure_ascii=ascii_only).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(doc).encode("utf-8")  # a lone surrogate, written as an escape


@settings(max_examples=5, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(answers=answer_objects, ascii_only=st.booleans())
def test_fill_with_arbitrary_answers(answers: dict[str, Any], ascii_only: bool,
                                     profile: Path) -> None:
    check_outcome(*fill(profile, _encode(answers, ascii_only)))


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"child[100000000]/cname": "x"}', "more than 10000 instances"),  # was a hang
    (b'{"child[' + b"9" * 5000 + b']/cname": "x"}', "is too large"),  # was ValueError
    (b'{"age": ' + b"9" * 5000 + b"}", "a number is too long"),  # was ValueError
    (b"[" * 50_000, "nested too deeply"),  # was RecursionError
    (b'{"name": "\\ud800"}', "unpaired surrogate"),  # was UnicodeEncodeError on autosave
    (b'{"age": "' + b"9" * 5000 + b'"}', "a whole number"),
])
def test_answer_files_that_broke_fill(raw: bytes, message: str, profile: Path) -> None:
    code, out, err = fill(profile, raw)
    check_outcome(code, out, err)
    assert code == 1 and message in err, err


# -- the same service calls, many more inputs ----------------------------------------------
@pytest.fixture(scope="module")
def context(profile: Path) -> Iterator[CoreContext]:
    """The profile unlocked, in a copy of its folder (a profile is open in one place at a
    time, and the CLI tests unlock the original)."""
    copy = profile.parent / "session-copy"
    shutil.copytree(profile, copy)
    service = ProfileService(copy)
    (summary,) = service.list_profiles()
    with service.unlock(summary, PASSPHRASE) as ctx:
        yield ctx


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(answers=answer_objects)
def test_arbitrary_answers_through_the_record_draft(
    answers: dict[str, Any], context: CoreContext
) -> None:
    form = context.studies.resolve("fuzz_fill")
    record = context.records.create(form.id)
    start = time.perf_counter()
    try:
        for path, value in answers.items():
            try:
                record.ensure_instances(path)
                record.session.field(path)
                record.set(path, value)
            except QICaptureError as error:
                assert error.message
        record.errors()
    finally:
        record.close()
    assert time.perf_counter() - start < FILL_SECONDS
    stored = context.records.summary(record.record_id)
    assert stored.status == "draft"

