"""Telling "not asked" from "left blank" reads only the answers the relevance names
(`qi_capture.export.tables._gate_reads`): the same cells come out as reading every
answer, on the built-in study's generated records, and an expression that may read
nodes it does not name falls back to every answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qi_capture.central.store import CentralStore
from qi_capture.export import tables
from qi_capture.export.model import Column
from qi_capture.report.frames import FormFrames, load_frames
from qi_capture.services.admin.demo import INTERVIEW, QUESTIONNAIRE
from qi_capture.services.admin.exports import stored_forms
from tests.core.report.conftest import PASSPHRASE


def _frames(folder: Path, form_id: str) -> FormFrames:
    with CentralStore.open(folder, PASSPHRASE) as central:
        return load_frames(stored_forms(central, form_id), central.export_records(form_id))


@pytest.mark.parametrize("form_id", [QUESTIONNAIRE, INTERVIEW])
def test_reading_only_what_relevance_names_changes_nothing(
        sample_study: Path, form_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pruned = _frames(sample_study, form_id)
    monkeypatch.setattr(tables, "_gate_reads", lambda _columns: None)
    whole = _frames(sample_study, form_id)
    not_asked_cells = 0
    for key, masks in whole.not_asked.items():
        assert masks.keys() == pruned.not_asked[key].keys()
        for column, mask in masks.items():
            assert np.array_equal(mask, pruned.not_asked[key][column]), column
            not_asked_cells += int(mask.sum())
    assert not_asked_cells > 20  # the generated records skip questions
    for key, frame in whole.frames.items():
        assert frame.equals(pruned.frames[key])


def _column(*gates: str) -> Column:
    return Column("q", "q", "Q", None, "value", "text", gates=gates)


@pytest.mark.parametrize("gate", [
    "/data/a = 'yes'", "../a = 'yes'", "position() > 1", "current()/a = 'yes'",
    "instance('list')/root/item = 'x'", "${last-saved#a} = 'yes'", "((",
])
def test_a_relevance_that_may_read_more_reads_everything(gate: str) -> None:
    assert tables._gate_reads([_column("${b} = 'no'", gate)]) is None


def test_named_answers_are_what_is_read() -> None:
    reads = tables._gate_reads([_column("${a} = 'yes'", "count(${rep}) > 1"),
                                _column("selected(${b}, 'x')")])
    assert reads == frozenset({"a", "rep", "b"})
    values = tables.unflatten({"g/a": "yes", "g/c": "1", "rep[1]/x": "2", "rep[2]/y": "3",
                               "h/rep2[1]/z": "4", "b": "x y", "d": "5"}, reads)
    assert values == {"g": {"a": "yes"}, "rep": [{"x": "2"}, {"y": "3"}],
                      "h": {"rep2": [{}]}, "b": "x y"}
