"""Names that cannot clash: whatever the form's names (adversarial ones from Hypothesis),
SPSS and Stata files are written with valid, unique variable names, and csv headers are
unique, with the form's "other, specify" pattern kept apart from its choice column."""

from __future__ import annotations

import re
import string
import tempfile
import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.export import export_form
from qi_capture.export.names import shorten, stat_name
from qi_capture.forms import load_form_bytes
from qi_capture.forms.model import Form

NAME_START = string.ascii_letters + "_"
NAME_CHARS = string.ascii_letters + string.digits + "_-."


@dataclass
class Rec:
    answers: dict[str, object]
    record_id: uuid.UUID = field(default_factory=uuid.uuid4)
    device_id: uuid.UUID = field(default_factory=uuid.uuid4)
    interviewer: str = "Jo"
    form_version: str = "1"
    review_status: str = "received"
    submitted: str = "2025-03-01T09:00:00.000000Z"
    updated: str = "2025-03-01T09:00:00.000000Z"
    revision_id: str = "r"
    in_conflict: bool = False
    deleted: bool = False


def _form(names: list[str], choices: list[str]) -> Form:
    rows = ["| survey | | | |", "| | type | name | label |"]
    rows.append("| | select_multiple ch | multi | Pick " + "x" * 120 + " |")
    for name in names:
        rows.append(f"| | text | {name} | Text {name} |")
    rows.append("| | select_one ch | one | One |")
    rows += ["| choices | | | |", "| | list_name | name | label |"]
    rows += [f"| | ch | {c} | Choice {c} " + "é" * 60 + " |" for c in choices]
    rows += ["| settings | | |", "| | form_id | version |", "| | adv | 1 |"]
    return load_form_bytes(textwrap.dedent("\n".join(rows)).encode(), "adv.md")


names_st = st.lists(
    st.text(NAME_CHARS, min_size=0, max_size=40).flatmap(
        lambda tail: st.sampled_from(list(NAME_START)).map(lambda h: h + tail)),
    min_size=1, max_size=8, unique_by=str.lower,
).filter(lambda ns: "meta" not in ns and all(n not in ("multi", "one") for n in ns))
choices_st = st.lists(st.text(NAME_CHARS, min_size=1, max_size=40).filter(
    lambda c: not c.startswith((".", "-"))), min_size=1, max_size=5, unique=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(names=names_st, choices=choices_st)
def test_adversarial_names_give_valid_unique_names(names: list[str], choices: list[str]) -> None:
    # A text field named like each choice column of "multi" too ("other, specify").
    names = names + [f"multi_{c}" for c in choices if re.fullmatch(r"[A-Za-z_][\w.-]*",
                                                                    f"multi_{c}")]
    names = list(dict.fromkeys(names))
    try:
        form = _form(names, choices)
    except Exception:  # a name the loader refuses (reserved, duplicate): not a form
        return
    records = [Rec({"multi": " ".join(choices[:2]), "one": choices[0],
                    **{n: f"text of {n}" for n in names}})]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for fmt, limit in (("dta", 32), ("sav", 64)):
            export_form(forms=[form], records=records, out_dir=out / fmt, fmt=fmt)
            path = out / fmt / f"adv.{fmt}"
            frame, _meta = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(
                str(path))
            columns = list(frame.columns)
            assert len({c.lower() for c in columns}) == len(columns)
            assert all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", c) and len(c) <= limit
                       for c in columns)
            codebook = pd.read_csv(out / fmt / "codebook.csv", dtype=str, keep_default_na=False)
            name_col = "stata_name" if fmt == "dta" else "spss_name"
            mapping = codebook[(codebook.table == "adv") & (codebook.code == "")]
            by_name = dict(zip(mapping[name_col], mapping.column, strict=True))
            # Each text answer is in the variable the codebook maps its field to.
            for n in names:
                var = next(k for k, v in by_name.items() if v == n)
                assert frame[var].iloc[0] == f"text of {n}"
        export_form(forms=[form], records=records, out_dir=out / "csv", fmt="csv")
        header = pd.read_csv(out / "csv" / "adv.csv", nrows=0).columns
        assert len(set(header)) == len(header)
        assert {f"multi/{c}" for c in choices} <= set(header)


def test_stat_name_rules() -> None:
    taken: set[str] = set()
    assert stat_name("1st", taken, stata=True) == "v1st"
    assert stat_name("_n", taken, stata=True) == "v_n"
    assert stat_name("Café-au-lait", taken, stata=True) == "Cafe_au_lait"
    assert stat_name("cafe_AU_lait", taken, stata=True) == "cafe_AU_lait_2"
    assert stat_name("x" * 50, taken, stata=True) == "x" * 27
    assert stat_name("x" * 50, taken, stata=True) == "x" * 25 + "_2"
    assert stat_name("with", set(), stata=False) == "v_with"


def test_shorten_keeps_the_choice_and_the_limit() -> None:
    label = "A very long question " * 10 + ": No time"
    short = shorten(label, 80, keep=": No time")
    assert len(short) == 80 and short.endswith("…: No time")
    emoji = "🙂" * 100
    cut = shorten(emoji, 120, by_bytes=True)
    assert len(cut.encode()) <= 120 and cut.endswith("…")
