"""The files open in the tools analysts use: GNU PSPP reads the ``.sav`` (names, labels,
value labels, measurement levels, missing codes, counts, numbers it can average), and
R's haven reads the ``.sav`` and ``.dta`` (labels, value labels, types, user-missing and
tagged missing values, long text). Both are Debian packages (pspp, r-cran-haven) that
.ci/run installs; there ``QI_REQUIRE_PSPP=1`` and ``QI_REQUIRE_R=1`` make these tests
fail instead of skipping when a tool is missing."""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from qi_capture.export import export_form
from qi_capture.forms import load_form
from tests.core.export.filled import fill_central, open_central
from tests.core.export.test_export_every_form import BUILTIN
from tests.core.export.test_export_safety import form, records


def _need(tool: str, env: str, package: str) -> str:
    found = shutil.which(tool)
    if found is None:
        reason = f"{tool} not found: install Debian's '{package}' to run this test"
        if os.environ.get(env) == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def _haven(rscript: str) -> None:
    probe = subprocess.run([rscript, "-e", "library(haven)"], capture_output=True, text=True,
                           timeout=120)
    if probe.returncode != 0:
        reason = "R's haven package is missing: install Debian's 'r-cran-haven'"
        if os.environ.get("QI_REQUIRE_R") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def _pspp_tables(pspp: str, syntax: str, tmp: Path) -> dict[str, list[list[str]]]:
    script = tmp / "check.sps"
    script.write_text(syntax, encoding="utf-8")
    run = subprocess.run([pspp, "-O", "format=csv", str(script)], capture_output=True,
                         text=True, timeout=120, cwd=tmp)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "error" not in run.stdout.lower() and "warning" not in run.stdout.lower(), run.stdout
    tables: dict[str, list[list[str]]] = {}
    for block in run.stdout.split("\n\n"):
        lines = block.strip().splitlines()
        if lines and lines[0].startswith("Table: "):
            tables[lines[0][7:]] = list(csv.reader(io.StringIO("\n".join(lines[1:]))))
    return tables


def test_pspp_reads_the_sav(tmp_path: Path) -> None:
    pspp = _need("pspp", "QI_REQUIRE_PSPP", "pspp")
    export_form(forms=[form()], records=records(), out_dir=tmp_path, fmt="sav")
    tables = _pspp_tables(pspp, f"""
GET FILE='{tmp_path / "safe.sav"}'.
DISPLAY DICTIONARY /VARIABLES=asked gated open both_yes when.
DESCRIPTIVES VARIABLES=gated open.
FREQUENCIES VARIABLES=gated asked.
""", tmp_path)
    variables = {row[0]: row for row in tables["Variables"][1:]}
    header = tables["Variables"][0]
    level = header.index("Measurement Level")
    missing = header.index("Missing Values")
    assert variables["gated"][header.index("Label")] == "Only when asked"
    assert variables["gated"][level] == "Scale" and variables["asked"][level] == "Nominal"
    assert variables["gated"][missing] == "-999999998; -999999999"
    assert variables["when"][header.index("Print Format")] == "DATE11"
    stats = {row[0]: row for row in tables["Descriptive Statistics"][1:]}
    assert stats["Only when asked"][1:4] == ["10", "3.00", ".00"]  # N, mean: codes left out
    values = [row for row in tables["Value Labels"][1:]]
    assert any("not asked" in row[-1] for row in values)
    frequencies = tables["Only when asked"]
    missing_rows = [r for r in frequencies if r and r[0] == "Missing"]
    assert missing_rows and "not asked" in missing_rows[0][1]


def test_pspp_averages_the_builtin_studys_calculation(admin_template: Path,
                                                      tmp_path: Path) -> None:
    pspp = _need("pspp", "QI_REQUIRE_PSPP", "pspp")
    study = load_form(BUILTIN)
    central = open_central(admin_template, tmp_path / "admin")
    answers = fill_central(central, study, 8)
    export_form(forms=[study], records=central.export_records(study.form_id),
                out_dir=tmp_path / "out", fmt="sav")
    central.close()
    tables = _pspp_tables(pspp, f"""
GET FILE='{tmp_path / "out" / "qi_baseline.sav"}'.
DESCRIPTIVES VARIABLES=trained_total trained_awareness.
""", tmp_path)
    stats = {row[0]: row for row in tables["Descriptive Statistics"][1:]}
    asked = [a for a in answers.values() if "training/trained_total" in a]
    total_label = next(k for k in stats if "total" in k.lower())
    assert stats[total_label][1] == str(len(asked))
    expected = sum(float(a["training/trained_total"]) for a in asked) / len(asked)  # type: ignore[arg-type]
    assert abs(float(stats[total_label][2]) - expected) < 0.01


R_SCRIPT = r"""
library(haven)
s <- read_sav(file.path(dir, "safe.sav"), user_na = TRUE)
d <- read_dta(file.path(dir, "safe.dta"))
out <- c(
  rows_sav = nrow(s), rows_dta = nrow(d),
  label_sav = attr(s$gated, "label"), label_dta = attr(d$gated, "label"),
  class_sav = class(s$gated)[1], class_date = class(s$when)[1], class_date_dta = class(d$when)[1],
  na_values = paste(attr(s$gated, "na_values"), collapse = ";"),
  sav_not_asked = as.character(unclass(s$gated)[nrow(s)]),
  sav_blank = as.character(unclass(s$open)[nrow(s)]),
  dta_tag_a = as.character(is_tagged_na(d$gated[nrow(d)], "a")),
  dta_tag_b = as.character(is_tagged_na(d$open[nrow(d)], "b")),
  value_labels = paste(names(attr(s$asked, "labels")), collapse = ";"),
  value_labels_dta = paste(names(attr(d$asked, "labels")), collapse = ";"),
  long_text_dta = nchar(d$note_t[nrow(d)]),
  emoji = as.character(s$note_t[1] == d$note_t[1]),
  mean_gated = mean(zap_missing(s$gated), na.rm = TRUE)
)
for (k in names(out)) cat(k, "\t", out[[k]], "\n", sep = "")
"""


def test_r_haven_reads_sav_and_dta(tmp_path: Path) -> None:
    rscript = _need("Rscript", "QI_REQUIRE_R", "r-base-core")
    _haven(rscript)
    data = records()
    export_form(forms=[form()], records=data, out_dir=tmp_path, fmt="sav")
    export_form(forms=[form()], records=data, out_dir=tmp_path, fmt="dta")
    run = subprocess.run([rscript, "-e", f"dir <- '{tmp_path}'", "-e", R_SCRIPT],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    got = dict(line.split("\t", 1) for line in run.stdout.splitlines() if "\t" in line)
    assert got["rows_sav"] == got["rows_dta"] == str(len(data))
    assert got["label_sav"] == got["label_dta"] == "Only when asked"
    assert got["class_sav"] == "haven_labelled_spss"
    assert got["class_date"] == got["class_date_dta"] == "Date"
    assert got["na_values"] == "-999999998;-999999999"
    assert (got["sav_not_asked"], got["sav_blank"]) == ("-999999998", "-999999999")
    assert (got["dta_tag_a"], got["dta_tag_b"]) == ("TRUE", "TRUE")
    assert got["value_labels"].startswith("Yes;No;") and "not asked" in got["value_labels"]
    assert got["value_labels_dta"].startswith("Yes;No")
    assert got["long_text_dta"] == "40000"
    assert got["emoji"] == "TRUE"
    assert float(got["mean_gated"]) == 3.0
