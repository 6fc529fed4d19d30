"""Export benchmark: 100,000 records (60 answers each, one repeat instance) from a
central store (SQLCipher admin profile) to CSV, Excel, SPSS, Stata and Parquet.

For each format prints the time of the whole export (read the records, build the
tables, write every file, the codebook and the report), twice: decoding every record's
document (as without export-ready copies: the packaged app, which has no pyarrow) and
from the export-ready copies kept in the store (current: no record changed
since the last export), beside the floor: the same library (pandas, openpyxl,
pyreadstat, pyarrow) writing the prepared main-table DataFrame with the export's options
(csv: every text cell quoted, CRLF; sav: missing codes, measures, formats) and nothing
else; and the ratios, in wall time and in processor time (every thread of the process).
It prints the time of reading and decoding the records alone over each floor too.
Goals: csv, sav, dta, parquet <= 1.5x; xlsx no slower than its floor.

Then the peak memory of one export, each in a fresh process, at 100,000 and 500,000
records, side by side (goal: flat, well under 1 GiB, for csv, xlsx and parquet;
pyreadstat writes a .sav/.dta whole, so those grow with the data); and what keeping the
copies costs: the first export (building every copy), the first after a merge of 1%
more records (patching every range), and a merge of 1% more that keeps them current (as
`qi-capture merge` does) with the export after it, beside decoding every record.

``--postgres`` runs the timing part on a PostgreSQL central store instead (a server of
its own for the run, started as the tests start theirs).

    .venv/bin/python bench/export.py [--records 100000] [--answers 60] [--formats ...]
        [--memory 100000 500000] [--postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyreadstat

from qi_capture.central import sql
from qi_capture.central.models import CentralRecordRow, CentralReviewRow, CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.export import FORMATS, ExportOptions, export_form, writers
from qi_capture.export.arrow import polars
from qi_capture.export.chunks import layout_key, refresh
from qi_capture.export.constants import (
    SPSS_LEFT_BLANK,
    SPSS_NOT_ASKED,
    STATA_LEFT_BLANK,
    STATA_NOT_ASKED,
)
from qi_capture.export.model import build_layout
from qi_capture.export.prefetch import prefetched
from qi_capture.export.run import stat_names
from qi_capture.export.tables import RowBuilder, typed_frame
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


def generate(central: CentralStore, form: Form, count: int, *, seed: str = "records") -> None:
    """``count`` records, merged as a laptop's would be (ids spread over the id space, as
    random ids are: a later batch, with another ``seed``, falls among the earlier)."""
    device = uuid.uuid4()
    now = utcnow()
    fields = [e for e in form.fields() if e.path[0] != "meta" and e.path[0] != "team"]
    batch: tuple[list[dict[str, object]], ...] = ([], [], [])
    for i in range(count):
        record = uuid.UUID(bytes=hashlib.blake2b(f"{seed} {i}".encode(), digest_size=16).digest(),
                           version=4)
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
    if not central.form_versions("bench"):
        central.add_form(study_id="qi", form_id="bench", version="1", title="bench",
                         sha256="", compiled_json=json.dumps(form.to_json()))


def prepared(central: CentralStore, form: Form, fmt: str) -> tuple[object, ...]:
    """The floor's input: the main table as the export types it, every record in one
    frame (for sav/dta: coded as the SPSS/Stata sink codes it), prepared outside the
    timing."""
    layout = build_layout([form], None)
    table = layout.tables[()]
    builder = RowBuilder(layout, track_missing=fmt in ("sav", "dta"))
    for rec in central.export_records("bench"):
        builder.add(rec)
    frame, masks = typed_frame(table, builder.take()[()], builder.stats)
    if fmt not in ("sav", "dta"):
        return (frame.rename(columns={c.key: c.name for c in table.columns}),)
    stata = fmt == "dta"
    names = stat_names(table, ExportOptions(), stata=stata)
    variables = writers.stat_variables(table, None, stata=stata, names=names)
    sink = writers.StatSink(Path("unused"), table, variables, stata=stata,
                            counts=writers.Counts())
    sink.write(frame, masks)
    data = sink.parts[0]
    labels = {v.name: v.shortened or v.label for v in variables}
    values = {v.name: v.value_labels for v in variables if v.value_labels}
    if stata:
        missing: dict[str, list[object]] = {
            v.name: [STATA_NOT_ASKED, STATA_LEFT_BLANK] for v in variables if v.coded_missing}
        return data, labels, values, missing
    # The options the export's sink passes too: missing codes, measures, formats.
    ranges: dict[str, list[object]] = {
        v.name: [SPSS_NOT_ASKED, SPSS_LEFT_BLANK] for v in variables if v.coded_missing}
    measures = {v.name: writers.measure(v.column) for v in variables}
    return data, labels, values, ranges, measures, writers._spss_formats(variables)


def floor(fmt: str, inputs: tuple[object, ...], out: Path) -> tuple[float, float]:
    """The floor's (wall, processor) seconds."""
    frame = inputs[0]
    assert isinstance(frame, pd.DataFrame)
    start, cpu = time.perf_counter(), time.process_time()
    if fmt == "csv":
        # The export's CSV options: every text cell quoted, CRLF, UTF-8 with a BOM.
        frame.to_csv(out / "floor.csv", index=False, encoding="utf-8-sig",
                     quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    elif fmt == "xlsx":
        frame.to_excel(out / "floor.xlsx", index=False, engine="openpyxl")
    elif fmt == "parquet":
        frame.to_parquet(out / "floor.parquet", index=False)
    elif fmt == "sav":
        pyreadstat.write_sav(frame, str(out / "floor.sav"), column_labels=inputs[1],  # type: ignore[arg-type]
                             variable_value_labels=inputs[2],  # type: ignore[arg-type]
                             missing_ranges=inputs[3], variable_measure=inputs[4],  # type: ignore[arg-type]
                             variable_format=inputs[5])  # type: ignore[arg-type]
    else:
        pyreadstat.write_dta(frame, str(out / "floor.dta"), column_labels=inputs[1],  # type: ignore[arg-type]
                             variable_value_labels=inputs[2],  # type: ignore[arg-type]
                             missing_user_values=inputs[3], version=14)  # type: ignore[arg-type]
    return time.perf_counter() - start, time.process_time() - cpu


def floor_polars(inputs: tuple[object, ...], out: Path) -> float | None:
    """The SPSS floor's wall seconds with the same frame handed over as a Polars frame (as
    the export from copies hands its rows over; converted outside the timing), or None
    without Polars."""
    pl = polars()
    if pl is None:
        return None
    frame = pl.from_pandas(inputs[0])
    start = time.perf_counter()
    pyreadstat.write_sav(frame, str(out / "floor-polars.sav"), column_labels=inputs[1],  # type: ignore[arg-type]
                         variable_value_labels=inputs[2],  # type: ignore[arg-type]
                         missing_ranges=inputs[3], variable_measure=inputs[4],  # type: ignore[arg-type]
                         variable_format=inputs[5])  # type: ignore[arg-type]
    return time.perf_counter() - start


def read_alone(central: CentralStore) -> tuple[float, float]:
    """(wall, processor) seconds of reading and decoding the records, as every export
    does (batches read ahead on their own thread), and nothing else."""
    start, cpu = time.perf_counter(), time.process_time()
    count = sum(len(b) for b in prefetched(central.export_records("bench").batches()))
    assert count > 0
    return time.perf_counter() - start, time.process_time() - cpu


def own_peak_mib() -> float:
    """This process's peak resident memory since it started its program (MiB).

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that over from the process it was
    forked from, through ``exec``, so a child started by this (large) benchmark would
    report at least the benchmark's own size. ``VmHWM`` belongs to the address space
    the child's program got at ``exec``: its own peak alone."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc


def copies_key(form: Form) -> str:
    """The layout key the admin service passes for this form (its one version)."""
    return layout_key([json.dumps(form.to_json())])


def drop_copies(central: CentralStore) -> None:
    with central.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM central_export_chunk")


def child(store: Path, fmt: str, out: Path, answers: int, mode: str) -> None:
    """One export in this (fresh) process; prints its peak memory (MiB). ``mode``:
    decode (no copies), build (every copy built, as a first export does), copies (the
    copies current)."""
    form = make_form(answers)
    with CentralStore.open(store, PASSPHRASE) as central:
        if mode == "build":
            drop_copies(central)
        export_form(forms=[form], records=central.export_records("bench"), out_dir=out,
                    fmt=fmt, copies=None if mode == "decode" else copies_key(form))
    print(f"{own_peak_mib():.0f}")


def peak_memory(store: Path, fmt: str, out: Path, answers: int, mode: str) -> float:
    run = subprocess.run(
        [sys.executable, __file__, "--child", str(store), "--formats", fmt, "--out", str(out),
         "--answers", str(answers), "--mode", mode],
        capture_output=True, text=True, check=True,
    )
    return float(run.stdout.strip().splitlines()[-1])


def timed_export(central: CentralStore, form: Form, fmt: str, out: Path,
                 copies: str | None) -> tuple[float, float]:
    """(wall, processor) seconds of one export into ``out``."""
    shutil.rmtree(out, ignore_errors=True)
    start, cpu = time.perf_counter(), time.process_time()
    result = export_form(forms=[form], records=central.export_records("bench"), out_dir=out,
                         fmt=fmt, copies=copies)
    assert result.report["included"] > 0
    return time.perf_counter() - start, time.process_time() - cpu


def timing(central: CentralStore, form: Form, key: str, formats: list[str], base: Path,
           records: int) -> None:
    """Each format: the export decoding every record, and the export from current
    copies, beside the floor."""
    read_wall, read_cpu = read_alone(central)
    print(f"reading and decoding alone: {read_wall:.1f}s wall, {read_cpu:.1f}s processor")
    # The copies current before the first timed export from them.
    timed_export(central, form, "csv", base / "warm-up", key)
    print(f"{records:,} records; wall time (processor time below): decoding every record, "
          "from the export-ready copies, the floor")
    print(f"{'format':8}{'decode':>9}{'copies':>9}{'floor':>9}{'decode/floor':>14}"
          f"{'copies/floor':>14}{'read/floor':>12}")
    sav_polars: tuple[float, float | None] | None = None
    for fmt in formats:
        inputs = prepared(central, form, fmt)
        out = base / fmt
        t_decode, c_decode = timed_export(central, form, fmt, out / "decode", None)
        t_copies, c_copies = timed_export(central, form, fmt, out / "copies", key)
        (out / "floor").mkdir(parents=True)
        t_floor, c_floor = floor(fmt, inputs, out / "floor")
        if fmt == "sav":
            sav_polars = (t_copies, floor_polars(inputs, out / "floor"))
        del inputs
        print(f"{fmt:8}{t_decode:>8.1f}s{t_copies:>8.1f}s{t_floor:>8.1f}s"
              f"{t_decode / t_floor:>13.2f}x{t_copies / t_floor:>13.2f}x"
              f"{read_wall / t_floor:>11.2f}x", flush=True)
        print(f"{'  (cpu)':8}{c_decode:>8.1f}s{c_copies:>8.1f}s{c_floor:>8.1f}s"
              f"{c_decode / c_floor:>13.2f}x{c_copies / c_floor:>13.2f}x"
              f"{read_cpu / c_floor:>11.2f}x", flush=True)
    if sav_polars is not None and sav_polars[1] is not None:
        copies, other = sav_polars
        print(f"sav floor with the frame handed over in Polars (as the export from copies "
              f"hands its rows): {other:.1f}s; copies/that floor {copies / other:.2f}x")
    print("(export: read + tables + every file incl. the repeat and audit tables, codebook "
          "and report; copies: the same export writing the stored export-ready copies, "
          "current; floor: the prepared main DataFrame written once by the same library; "
          "read/floor: reading and decoding alone over the floor)")


def upkeep(central: CentralStore, form: Form, key: str, base: Path, records: int) -> None:
    """What keeping the copies costs (csv): the first export, which builds every copy,
    and the first after a merge of 1% more records (ids among the others'), which
    patches every range; each beside the export decoding every record."""
    t_decode, _c = timed_export(central, form, "csv", base / "u-decode", None)
    drop_copies(central)
    t_build, _c = timed_export(central, form, "csv", base / "u-build", key)
    added = max(1, records // 100)
    generate(central, form, added, seed="merged later")
    t_patch, _c = timed_export(central, form, "csv", base / "u-patch", key)
    t_after, _c = timed_export(central, form, "csv", base / "u-after", key)
    # As `qi-capture merge` and the console do after a merge: the copies brought up to
    # date at once (`keep_copies_current`), so the export after it reads them as they are.
    generate(central, form, added, seed="merged and kept")
    start = time.perf_counter()
    refresh(central.export_records("bench").chunks(key), build_layout([form], None))
    t_keep = time.perf_counter() - start
    t_kept, _c = timed_export(central, form, "csv", base / "u-kept", key)
    t_decode2, _c = timed_export(central, form, "csv", base / "u-decode2", None)
    print("keeping the copies (csv, wall): beside decoding every record")
    for label, ours, theirs in (
            ("first export, building every copy", t_build, t_decode),
            (f"after {added:,} more merged (patched)", t_patch, t_decode2),
            ("then, copies current", t_after, t_decode2),
            (f"{added:,} more; the merge keeps them", t_keep, t_decode2),
            ("  and the export after it", t_kept, t_decode2)):
        print(f"  {label:36}{ours:>7.1f}s  vs {theirs:>6.1f}s {ours / theirs:>6.2f}x")


def memory(store: Callable[[int], Path], args: argparse.Namespace, base: Path) -> None:
    """Peak memory of one export in a fresh process: decoding every record in every
    format; for csv and parquet also building every copy; for csv, parquet, sav and dta
    from current copies."""
    runs = [(fmt, "decode") for fmt in args.formats]
    runs += [(fmt, "build") for fmt in args.formats if fmt in ("csv", "parquet")]
    runs += [(fmt, "copies") for fmt in args.formats if fmt in ("csv", "parquet", "sav", "dta")]
    peaks: dict[tuple[str, str], dict[int, float]] = {}
    for n in args.memory:
        for fmt, mode in runs:
            if mode == "copies":  # (current: an export before, unmeasured, kept them)
                peak_memory(store(n), fmt, base / f"mem-{n}-{fmt}-warm", args.answers, mode)
            peak = peak_memory(store(n), fmt, base / f"mem-{n}-{fmt}-{mode}", args.answers,
                               mode)
            peaks.setdefault((fmt, mode), {})[n] = peak
            print(f"  {fmt} ({mode}) at {n:,} records: {peak:.0f} MiB", flush=True)
    print("peak memory (peak RSS, VmHWM, of a fresh process running one export, MiB)")
    print(f"{'format':18}" + "".join(f"{n:>12,}" for n in args.memory))
    for (fmt, mode), by_n in peaks.items():
        print(f"{fmt + ' (' + mode + ')':18}" + "".join(f"{by_n[n]:>12.0f}"
                                                      for n in args.memory))


def on_postgres(args: argparse.Namespace) -> None:
    """`timing` on a PostgreSQL central store (its copies in the database beside the
    records), on a server of its own for the run."""
    from tests.core.central.conftest import PostgresServer, _pg_bin

    bindir = _pg_bin()
    if bindir is None:
        sys.exit("PostgreSQL server binaries not found (Debian's 'postgresql' package)")
    server = PostgresServer(bindir)
    base = Path(tempfile.mkdtemp(prefix="qi-bench-export-pg-"))
    try:
        server.start()
        url = server.url(server.create_database())
        with CentralStore.open(url, attachments=base / "attachments") as central:
            form = make_form(args.answers)
            start = time.perf_counter()
            generate(central, form, args.records)
            print(f"PostgreSQL {url.rsplit('/', 1)[0]}: generated {args.records} records x "
                  f"{args.answers} answers in {time.perf_counter() - start:.1f} s", flush=True)
            timing(central, form, copies_key(form), args.formats, base, args.records)
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--answers", type=int, default=60)
    parser.add_argument("--formats", nargs="+", default=list(FORMATS))
    parser.add_argument("--memory", type=int, nargs="*", default=[100_000, 500_000],
                        help="record counts at which to measure peak memory (none: skip)")
    parser.add_argument("--skip-timing", action="store_true",
                        help="measure peak memory only")
    parser.add_argument("--postgres", action="store_true",
                        help="time the exports on a PostgreSQL central store instead (a "
                        "throwaway server, started as the tests start theirs: needs "
                        "Debian's postgresql); no memory or upkeep part")
    parser.add_argument("--child", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--mode", default="decode", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child, args.formats[0], args.out, args.answers, args.mode)
        return
    if args.postgres:
        on_postgres(args)
        return
    base = Path(tempfile.mkdtemp(prefix="qi-bench-export-"))
    try:
        form = make_form(args.answers)
        key = copies_key(form)
        stores: dict[int, Path] = {}

        def store(count: int) -> Path:
            if count not in stores:
                folder = base / f"admin-{count}"
                Profile.create(folder, "bench", PASSPHRASE, kdf=floor_params())
                with CentralStore.open(folder, PASSPHRASE) as central:
                    start = time.perf_counter()
                    generate(central, form, count)
                    print(f"generated {count} records x {args.answers} answers in "
                          f"{time.perf_counter() - start:.1f} s", flush=True)
                stores[count] = folder
            return stores[count]

        if not args.skip_timing:
            with CentralStore.open(store(args.records), PASSPHRASE) as central:
                timing(central, form, key, args.formats, base, args.records)
        if args.memory:
            memory(store, args, base)
        if not args.skip_timing:
            with CentralStore.open(store(args.records), PASSPHRASE) as central:
                upkeep(central, form, key, base, args.records)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
