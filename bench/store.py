"""Benchmark: autosave latency on the encrypted store, against plain SQLite, and unlock cost.

Three workloads of 2,000 sequential autosaves of a single answer each:

1. the real autosave path: ``RecordDraft.set(path, value)`` on the built-in
   questionnaire (form session recompute, ``to_state()``, answer diff, then one
   SQLCipher transaction with the answer row, the session state and the paradata event);
2. the same transaction as plain SQL (upsert the answer row, update the record's session
   state with a JSON document of the real size, append a paradata event) on the
   profile's SQLCipher database;
3. that SQL on a plain ``sqlite3`` database with the same schema and the same pragmas
   (WAL, synchronous FULL, secure_delete, foreign keys).

(2) and (3) run interleaved, step by step, so both see the same disk; (2)/(3) is what
encryption costs; (1) adds the form engine and the ORM. Prints p50/p95 of
each, the ratios, and the profile unlock time (Argon2id at the floor, and at the
parameters calibration picks on this machine). Goal: (2)/(3) at most 1.5x, and p95 of (1)
under 10 ms. Exits 1 if missed. Run: ``.venv/bin/python bench/store.py``.
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine

from qi_capture.crypto.kdf import calibrate, floor_params, time_derivation
from qi_capture.services import ProfileService
from qi_capture.storage.canonical import dumps
from qi_capture.storage.models import Base

SAVES = 2000
PASSPHRASE = "bench passphrase copper 42"
PATH = "closing/comments"
PLAIN_PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA secure_delete = ON",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def timed(step: Callable[[int], None]) -> list[float]:
    samples = []
    for n in range(SAVES):
        start = time.perf_counter()
        step(n)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def interleaved(
    first: Callable[[int], None], second: Callable[[int], None]
) -> tuple[list[float], list[float]]:
    """Alternate the two workloads step by step, so both see the same disk conditions
    (fsync latency on a shared machine drifts by 10-40x within seconds)."""
    a: list[float] = []
    b: list[float] = []
    for n in range(SAVES):
        for step, samples in ((first, a), (second, b)):
            start = time.perf_counter()
            step(n)
            samples.append((time.perf_counter() - start) * 1000)
    return a, b


def sql_autosave(conn: Any, record_hex: str, state_json: str) -> Callable[[int], None]:
    """One autosave transaction as the store writes it (`Records.save_answer_changes`:
    the same statements in the same order), in plain SQL."""
    session_hex = uuid.uuid4().hex
    started = datetime.now(UTC).isoformat()

    def step(n: int) -> None:
        now = datetime.now(UTC).isoformat()
        value = dumps(f"answer number {n}")
        conn.execute("BEGIN")
        conn.execute("UPDATE record SET updated = ?, session_state = ? WHERE record.id = ?"
                     " AND (record.status = 'draft' OR record.editing IS 1)",
                     (now, state_json, record_hex))
        conn.execute(
            "INSERT INTO draft_answer (record_id, path, value_json, updated) VALUES (?,?,?,?)"
            " ON CONFLICT (record_id, path) DO UPDATE SET value_json = excluded.value_json,"
            " updated = excluded.updated",
            (record_hex, PATH, value, now),
        )
        last = conn.execute("SELECT max(seq) FROM paradata_event WHERE record_id = ?",
                            (record_hex,)).fetchone()[0]
        conn.execute(
            "INSERT INTO paradata_event (record_id, seq, kind, session_id,"
            " session_started_at, elapsed_ms, payload_json) VALUES (?,?,?,?,?,?,?)",
            (record_hex, (last or 0) + 1, "value_changed", session_hex, started, n,
             dumps({"path": PATH, "old": "", "new": value})),
        )
        conn.execute("COMMIT")

    return step


def plain_database(folder: Path) -> tuple[sqlite3.Connection, str]:
    path = folder / "plain.db"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in PLAIN_PRAGMAS:
        conn.execute(pragma)
    now = datetime.now(UTC).isoformat()
    record_hex = uuid.uuid4().hex
    conn.execute("INSERT INTO study (id, title, created) VALUES ('s', 'S', ?)", (now,))
    conn.execute(
        "INSERT INTO form_version (id, study_id, form_id, version, title, xlsform, sha256,"
        " compiled_json, created) VALUES (1, 's', 'f', '1', 'F', x'00', '', '{}', ?)", (now,))
    conn.execute(
        "INSERT INTO record (id, form_version_id, status, editing, interviewer, created,"
        " updated) VALUES (?, 1, 'draft', 0, 'bench', ?, ?)", (record_hex, now, now))
    return conn, record_hex


def line(name: str, samples: list[float]) -> tuple[float, float]:
    p50, p95 = percentiles(samples)
    print(f"  {name:<44} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms")
    return p50, p95


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="qi-bench-") as tmp:
        folder = Path(tmp)
        profiles = ProfileService(folder / "data")
        info = profiles.create("Bench", PASSPHRASE, kdf=floor_params())

        unlocks = []
        for _ in range(3):
            start = time.perf_counter()
            ctx = profiles.unlock(info, PASSPHRASE)
            unlocks.append(time.perf_counter() - start)
            ctx.lock()

        with profiles.unlock(info, PASSPHRASE) as ctx:
            form = ctx.studies.resolve("qi_baseline")
            record = ctx.records.create(form.id)
            record.set("consent", "yes")
            service = timed(lambda n: record.set(PATH, f"answer number {n}") and None)
            state_json = dumps(record.session.to_state())
            record.close()

            raw = ctx.store.engine.raw_connection()
            plain_conn, plain_record = plain_database(folder)
            try:
                bench_record = ctx.store.records.create_record(form.id, interviewer="bench")
                cipher, plain = interleaved(
                    sql_autosave(raw.driver_connection, bench_record.id.hex, state_json),
                    sql_autosave(plain_conn, plain_record, state_json),
                )
            finally:
                raw.close()
                plain_conn.close()

        calibrated = calibrate()
        calibrated_seconds = statistics.median(time_derivation(calibrated) for _ in range(3))
        slow = ProfileService(folder / "calibrated")
        slow_info = slow.create("Bench", PASSPHRASE, kdf=calibrated)
        slow.unlock(slow_info, PASSPHRASE).lock()  # the first unlock also makes a backup
        start = time.perf_counter()
        slow.unlock(slow_info, PASSPHRASE).lock()
        calibrated_unlock = time.perf_counter() - start

    print(f"{SAVES} sequential autosaves of one answer (WAL, synchronous FULL), "
          f"session state {len(state_json)} bytes:")
    s50, s95 = line("services: RecordDraft.set (SQLCipher)", service)
    c50, c95 = line("same transaction in SQL, SQLCipher", cipher)
    p50, p95 = line("same transaction in SQL, plain sqlite3", plain)
    print(f"  ratio SQLCipher / sqlite3 (SQL):            p50 {c50 / p50:5.2f}x   "
          f"p95 {c95 / p95:5.2f}x")
    print(f"  ratio services path / sqlite3 (SQL):        p50 {s50 / p50:5.2f}x   "
          f"p95 {s95 / p95:5.2f}x")
    print("profile unlock (Argon2id + key file + open + checks):")
    floor_unlock = statistics.median(unlocks)
    print(f"  at the floor (64 MiB, t=3, p=4):            median {floor_unlock:.3f} s")
    print(f"  at calibrated parameters ({calibrated.memory_kib // 1024} MiB, "
          f"t={calibrated.iterations}, p={calibrated.lanes}):      {calibrated_unlock:.3f} s "
          f"(Argon2id alone {calibrated_seconds:.3f} s)")
    ok = c50 / p50 <= 1.5 and s95 < 10
    print("goal (SQLCipher <= 1.5x plain at p50, services p95 < 10 ms):",
          "met" if ok else "MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
