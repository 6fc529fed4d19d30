"""Every export format written from a real central store (both backends) and read back
with pandas/pyreadstat: tables, repeats, select_multiple columns, every form version,
labels in the chosen language, Stata names, the codebook and the export report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from qi_capture.central.store import CentralStore
from qi_capture.export import NOT_ENCRYPTED, ExportOptions, export_form
from qi_capture.export.constants import (
    LEFT_BLANK_LABEL,
    NOT_ASKED_LABEL,
    SPSS_LEFT_BLANK,
    SPSS_NOT_ASKED,
)
from tests.core.export.forms import FORM_ID, add_forms, fill


def run_export(central: CentralStore, out: Path, fmt: str, **kwargs: object) -> dict[str, object]:
    forms = add_forms(central)
    result = export_form(forms=forms, records=central.export_records(FORM_ID), out_dir=out,
                         fmt=fmt, paradata=central.export_paradata, **kwargs)  # type: ignore[arg-type]
    assert not [p for p in out.iterdir() if ".partial" in p.name]
    return result.report


def test_csv_tables_columns_and_report(central: CentralStore, tmp_path: Path) -> None:
    ids = fill(central)
    report = run_export(central, tmp_path, "csv", language="Français (fr)")
    main = pd.read_csv(tmp_path / "exp.csv", encoding="utf-8-sig")
    team = pd.read_csv(tmp_path / "exp-team.csv", encoding="utf-8-sig")
    assert len(main) == 3 and len(team) == 3
    assert list(main.columns[:9]) == ["record_id", "device_id", "interviewer", "form_version",
                                      "review_status", "submitted", "updated", "revision_id",
                                      "in_conflict"]
    # Every version's questions, the dropped one too; select_multiple: text + 0/1 columns.
    for column in ("org", "staff", "method", "barriers", "barriers/time", "barriers/money",
                   "old_q", "new_q"):
        assert column in main.columns
    r1 = main[main.record_id == str(ids["r1"])].iloc[0]
    assert (r1.barriers, r1["barriers/time"], r1["barriers/money"], r1.old_q) == (
        "time money", 1, 1, "legacy")
    r2 = main[main.record_id == str(ids["r2"])].iloc[0]
    assert (r2["barriers/time"], r2["barriers/money"]) == (0, 1)
    r3 = main[main.record_id == str(ids["r3"])].iloc[0]
    assert pd.isna(r3["barriers/time"]) and r3.new_q == "fresh" and r3.form_version == 2
    assert sorted(team[team.record_id == str(ids["r1"])]["index"]) == [1, 2]
    assert set(team.columns) == {"record_id", "parent_index", "index", "role", "years"}
    codebook = pd.read_csv(tmp_path / "codebook.csv", encoding="utf-8-sig", dtype=str)
    method = codebook[(codebook.column == "method") & codebook.choice.notna()]
    assert list(method.choice_label) == ["Cycles PDSA", "Lean FR"]
    assert report["included"] == 3
    assert report["excluded"] == {"deleted (the record's current revision is a deletion)": 1}
    assert report["form_versions_included"] == {"1": 2, "2": 1}
    assert report["warnings"][0] == NOT_ENCRYPTED
    text = (tmp_path / "export_report.txt").read_text()
    assert "NOT encrypted" in text and "records excluded: 1" in text
    assert (tmp_path / "exp-audit.csv").exists()


def test_status_filter(central: CentralStore, tmp_path: Path) -> None:
    ids = fill(central)
    central.set_review(ids["r2"], "approved", "checked")
    report = run_export(central, tmp_path, "csv", statuses=["approved"])
    main = pd.read_csv(tmp_path / "exp.csv", encoding="utf-8-sig")
    assert list(main.record_id) == [str(ids["r2"])]
    assert main.review_status[0] == "approved"
    assert report["excluded"]["review status 'received' not selected"] == 2


def test_sav_has_variable_and_value_labels(central: CentralStore, tmp_path: Path) -> None:
    ids = fill(central)
    run_export(central, tmp_path, "sav", language="English (en)")
    frame, meta = pyreadstat.read_sav(str(tmp_path / "exp.sav"))
    assert len(frame) == 3
    labels = meta.column_names_to_labels
    assert labels["staff"] == "Staff trained" and labels["barriers_time"] == "Barriers: No time"
    assert meta.variable_value_labels["method"] == {
        1.0: "PDSA cycles", 2.0: "Lean", SPSS_NOT_ASKED: NOT_ASKED_LABEL,
        SPSS_LEFT_BLANK: LEFT_BLANK_LABEL}
    r1 = frame[frame.record_id == str(ids["r1"])].iloc[0]
    assert r1.method == 1 and r1.staff == 12
    team, _ = pyreadstat.read_sav(str(tmp_path / "exp-team.sav"))
    assert len(team) == 3


def test_dta_names_are_valid_with_mapping_in_codebook(
    central: CentralStore, tmp_path: Path
) -> None:
    fill(central)
    run_export(central, tmp_path, "dta", language="Français (fr)")
    frame, meta = pyreadstat.read_dta(str(tmp_path / "exp.dta"))
    assert len(frame) == 3
    assert all(len(c) <= 32 and (c[0].isalpha() or c[0] == "_") for c in frame.columns)
    assert meta.variable_value_labels["method"] == {
        1.0: "Cycles PDSA", 2.0: "Lean FR", "a": NOT_ASKED_LABEL, "b": LEFT_BLANK_LABEL}
    assert meta.column_names_to_labels["org"] == "Organisation FR"
    codebook = pd.read_csv(tmp_path / "codebook.csv", encoding="utf-8-sig", dtype=str)
    assert set(codebook.loc[codebook.table == "exp", "stata_name"].dropna()) >= {
        "record_id", "method", "barriers_time"}


def test_xlsx_has_every_table_and_a_codebook(central: CentralStore, tmp_path: Path) -> None:
    fill(central)
    run_export(central, tmp_path, "xlsx")
    sheets = pd.read_excel(tmp_path / "exp.xlsx", sheet_name=None)
    assert set(sheets) == {"exp", "exp_team", "exp_audit", "codebook"}
    assert len(sheets["exp"]) == 3 and len(sheets["exp_team"]) == 3


def test_parquet(central: CentralStore, tmp_path: Path) -> None:
    fill(central)
    run_export(central, tmp_path, "parquet")
    main = pd.read_parquet(tmp_path / "exp.parquet")
    assert len(main) == 3 and main["staff"].dtype.kind == "i"


@pytest.mark.parametrize("fmt", ["csv"])
def test_conflicted_record_exports_its_winner_and_says_so(
    central: CentralStore, tmp_path: Path, fmt: str
) -> None:
    from tests.core.central.helpers import FakeDevice

    ids = fill(central)
    b = FakeDevice("Laptop B")
    central.enrol(b.id, name=b.name, fingerprint=b.fingerprint, public_key=b.public_key)
    (head,) = central.heads(ids["r2"])
    # Two edits of the same version (a restored laptop, say): two heads.
    central.merge(b.bundle([
        b.revision(ids["r2"], {"org": f"Edited on B {n}"}, parents=[head], form_id=FORM_ID)
        for n in (1, 2)
    ]))
    report = run_export(central, tmp_path, fmt)
    main = pd.read_csv(tmp_path / "exp.csv", encoding="utf-8-sig")
    assert main.loc[main.record_id == str(ids["r2"]), "in_conflict"].item() == 1
    assert report["in_conflict"] == 1
    assert any("open conflict" in str(w) for w in report["warnings"])


def test_csv_choice_labels_with_unanswered_selects(central: CentralStore,
                                                   tmp_path: Path) -> None:
    # Record r3 answers neither select: its cells stay empty (pandas' map made them NaN,
    # which the CSV-injection check could not read: the export failed).
    fill(central)
    report = run_export(central, tmp_path, "csv", language="English (en)",
                        options=ExportOptions(values="labels"))
    main = pd.read_csv(tmp_path / "exp.csv", encoding="utf-8-sig", keep_default_na=False)
    assert report["included"] == 3
    assert sorted(main["method"]) == ["", "Lean", "PDSA cycles"]
    assert sorted(main["barriers"]) == ["", "No money", "No time; No money"]
