"""JSON files handed to the CLI (the answers of ``form run``, the merged answers of
``conflicts resolve``; ``record fill`` has its own tests in test_cli_record_fuzz.py)
read through one parser, `qi_capture.cli.json_file.read_json_object`: what broke
``record fill`` once (nesting deep enough for a RecursionError, a number past Python's
digit limit, bytes that are not UTF-8) is one line naming the file on every command,
and the parser itself, fuzzed, returns a dict or raises `CliError`."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.cli import main
from qi_capture.cli.common import CliError
from qi_capture.cli.json_file import read_json_object

ROOT = Path(__file__).resolve().parents[2]
FORM = ROOT / "resources" / "studies" / "london-qi-baseline" / "qi_baseline_questionnaire.xlsx"

BROKEN = [
    (b"[" * 50_000, "nested too deeply"),  # was a RecursionError traceback in form run
    (b'{"training/trained_total": ' + b"9" * 5000 + b"}", "a number is too long"),
    (b"\xff\xfe{}", "is not UTF-8 text"),
    (b'{"a": 1,}', "is not valid JSON (line 1"),
    (b"[1, 2]", "must hold a JSON object"),
]


@pytest.mark.parametrize(("raw", "message"), BROKEN)
def test_form_run_answer_files(raw: bytes, message: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    answers = tmp_path / "answers.json"
    answers.write_bytes(raw)
    code = main(["--data-dir", str(tmp_path / "d"), "form", "run", str(FORM), "--answers",
                 str(answers)])
    err = capsys.readouterr().err
    assert code == 2, err  # form run: 2 is a bad answer file
    assert message in err and str(answers) in err and "Traceback" not in err


@pytest.mark.parametrize(("raw", "message"), BROKEN)
def test_conflicts_resolve_merged_files(raw: bytes, message: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    merged = tmp_path / "merged.json"
    merged.write_bytes(raw)
    # The file is read before any central store is opened: nothing there to change.
    code = main(["--data-dir", str(tmp_path / "d"), "conflicts", "resolve", "--central",
                 str(tmp_path / "no-central"), "abcd", "--merge", str(merged), "--reason",
                 "both right"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert message in err and str(merged) in err and "Traceback" not in err
    assert not (tmp_path / "no-central").exists()


def test_a_file_over_the_limit_is_refused_unread(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b'{"a": "' + b"x" * 2048 + b'"}')
    with pytest.raises(CliError, match="larger than"):
        read_json_object(big, "the answer file", max_bytes=1024)


@pytest.fixture(scope="module")
def folder() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as name:
        yield Path(name)


json_like = st.one_of(
    st.binary(max_size=512),
    st.recursive(st.sampled_from([b"1", b"-0.5e999", b'"x"', b"null", b"true", b'"\\ud800"']),
                 lambda inner: st.builds(lambda items: b"[" + b",".join(items) + b"]",
                                         st.lists(inner, max_size=3))
                 | st.builds(lambda items: b"{" + b",".join(b'"k":' + i for i in items) + b"}",
                             st.lists(inner, max_size=3)),
                 max_leaves=20),
)


@settings(max_examples=150, deadline=2000,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=json_like, depth=st.integers(0, 3000))
def test_any_bytes_give_an_object_or_a_cli_error(folder: Path, raw: bytes, depth: int) -> None:
    path = folder / "fuzz.json"
    path.write_bytes(b"[" * depth + raw + b"]" * depth)
    try:
        value = read_json_object(path, "the answer file")
    except CliError as refused:
        assert refused.exit_code in (1, 2) and str(path) in refused.message
    else:
        assert isinstance(value, dict)
