"""Export benchmark: 100,000 records (60 answers each, one repeat instance) from a
central store (SQLCipher admin profile) to CSV, Excel, SPSS and Stata.

For each format prints the time of the whole export (read the records, build the
tables, write every file, the codebook and the report) beside the floor: pandas (or
pyreadstat) writing the same prepared main-table DataFrame and nothing else; and the
ratio.

    .venv/bin/python bench/export.py [--records 100000] [--answers 60] [--formats ...]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import pandas as pd
import pyreadstat

from qi_capture.central import sql
from qi_capture.central.models import CentralRecordRow, CentralReviewRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.export import export_form
from qi_capture.export.model import build_layout
from qi_capture.export.tables import build_frames
from qi_capture.export.writers import statistical_frame
from qi_capture.forms import load_form_bytes
from qi_capture.forms.model import Form
from qi_capture.storage.canonical import canonical_json, revision_id
from qi_capture.storage.models import utcnow
from qi_capture.storage.profile import Profile

PASSPHRASE = "copper kettle harbour 42"


def make_form(answers: int) -> Form:
    rows = ["| survey |  |  |  |", "| | type | name | label |"]
    for i in range(answers - 2):
        kind = "integer" if i % 3 == 0 else ("select_one yn" if i % 3 == 1 else "text")
        rows.append(f"| | {kind} | q{i:02d} | Question {i} |")
    rows += ["| | begin_repeat | team | Team |", "| | text | role | Role |",
             "| | integer | years | Years |", "| | end_repeat | | |",
             "| choices | | | |", "| | list_name | name | label |",
             "| | yn | yes | Yes |", "| | yn | no | No |",
             "| settings | | | |", "| | form_id | version | |", "| | bench | 1 | |"]
    return load_form_bytes(textwrap.dedent("\n".join(rows)).encode(), "bench.md")


def generate(central: CentralStore, form: Form, count: int) -> None:
    device = uuid.uuid4()
    now = utcnow()
    fields = [e for e in form.fields() if e.path[0] != "meta" and e.path[0] != "team"]
    batch: tuple[list[dict[str, object]], ...] = ([], [], [])
    for i in range(count):
        record = uuid.UUID(int=i + 1)
        answers: dict[str, str] = {}
        for e in fields:
            answers[e.name] = (str(i % 97) if e.type == "integer" else
                               ("yes" if i % 2 else "no") if e.type == "select_one" else
                               f"text {i}")
        answers["team[1]/role"] = "Lead"
        answers["team[1]/years"] = str(i % 30)
        doc = {"type": "qi-capture.revision", "schema": 1, "record_id": str(record),
               "form": {"study_id": "qi", "form_id": "bench", "version": "1", "sha256": ""},
               "parents": [], "device_id": str(device), "device_seq": i + 1,
               "created": "2025-03-01T09:00:00.000000Z", "interviewer": "Jo",
               "instance_name": None, "answers": answers}
        text = canonical_json(doc)  # type: ignore[arg-type]
        rid = revision_id(text)
        batch[0].append({"id": rid, "record_id": record, "device_id": device,
                         "device_seq": i + 1, "parents_json": "[]", "kind": "edit",
                         "deleted": False, "study_id": "qi", "form_id": "bench",
                         "form_version": "1", "interviewer": "Jo", "created": doc["created"],
                         "canonical_json": text})
        batch[1].append({"id": record, "study_id": "qi", "form_id": "bench",
                         "heads_json": json.dumps([rid]), "winner": rid, "in_conflict": False,
                         "deleted": False, "form_version": "1", "device_id": device,
                         "interviewer": "Jo", "submitted": doc["created"],
                         "updated": doc["created"]})
        batch[2].append({"record_id": record, "status": "received", "updated": now,
                         "by": None})
        if len(batch[0]) == 20_000 or i == count - 1:
            with central.engine.begin() as conn:
                for table, rows in zip((CentralRevisionRow, CentralRecordRow,
                                        CentralReviewRow), batch, strict=True):
                    conn.execute(sql.table(table).insert(), rows)
                    rows.clear()
    central.add_form(study_id="qi", form_id="bench", version="1", title="bench",
                     sha256="", compiled_json=json.dumps(form.to_json()))


def floor(fmt: str, frame: pd.DataFrame, prepared: tuple[pd.DataFrame, dict[str, str | None],
                                                          dict[str, dict[int | float, str]]],
          out: Path) -> float:
    start = time.perf_counter()
    if fmt == "csv":
        frame.to_csv(out / "floor.csv", index=False, encoding="utf-8-sig")
    elif fmt == "xlsx":
        frame.to_excel(out / "floor.xlsx", index=False, engine="openpyxl")
    elif fmt == "sav":
        data, labels, values = prepared
        pyreadstat.write_sav(data, str(out / "floor.sav"), column_labels=labels,
                             variable_value_labels=values)
    else:
        data, labels, values = prepared
        pyreadstat.write_dta(data, str(out / "floor.dta"), column_labels=labels,
                             variable_value_labels=values)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=60)
    parser.add_argument("--formats", nargs="+", default=["csv", "xlsx", "sav", "dta"])
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="qi-bench-export-"))
    try:
        Profile.create(base / "admin", "bench", PASSPHRASE, kdf=floor_params())
        form = make_form(args.answers)
        with CentralStore.open(base / "admin", PASSPHRASE) as central:
            start = time.perf_counter()
            generate(central, form, args.records)
            print(f"generated {args.records} records x {args.answers} answers in "
                  f"{time.perf_counter() - start:.1f} s")
            layout = build_layout([form], None)
            frames, _stats, _ids = build_frames(layout, central.export_records("bench"))
            main_table = layout.tables[()]
            frame = frames[main_table.name]
            print(f"{'format':8}{'export':>10}{'floor':>10}{'ratio':>8}")
            for fmt in args.formats:
                stat = statistical_frame(frame, main_table, None, stata=fmt == "dta")
                prepared = (stat[0], stat[1],
                            {k: {float(c): v for c, v in m.items()} for k, m in stat[2].items()})
                out = base / fmt
                out.mkdir()
                start = time.perf_counter()
                result = export_form(forms=[form], records=central.export_records("bench"),
                                     out_dir=out, fmt=fmt)
                t_export = time.perf_counter() - start
                assert result.report["included"] == args.records
                t_floor = floor(fmt, frame, prepared, out)
                print(f"{fmt:8}{t_export:>9.1f}s{t_floor:>9.1f}s{t_export / t_floor:>7.2f}x")
        print("(export: read + tables + every file incl. the repeat and audit tables, codebook "
              "and report; floor: the prepared main DataFrame written once; shared machine, "
              "noisy timings)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
