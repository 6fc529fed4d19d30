"""Thematic coding benchmark: the built-in study with 300 generated interviews in a
central store (SQLCipher admin profile), their field tags seeded as codes and analysts'
codings added up to 20,000 in all, then

* opening the Coding page through the service (`CodingDesk`: the codebook with counts,
  the list of interviews, the first transcript, the passages of the most used code),
  against the same SQL queries run alone (rows fetched, nothing built from them);
* exporting the study to ``.qdpx``, against the same queries plus the XML serialisation
  alone (`qi_capture.coding.refi` on values made beforehand, zip included).

Both measured in the same run, printed side by side as a ratio. Goal: <= 1.5x.

    .venv/bin/python bench/coding.py [--interviews 300] [--codings 20000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from qi_capture.central import coding as db
from qi_capture.central.store import CentralStore
from qi_capture.coding import refi
from qi_capture.coding.source import render
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.coding_exchange import VARIABLES
from qi_capture.services.admin.coding_values import Coding
from qi_capture.services.admin.demo import INTERVIEW, STUDY_ID, fill_builtin
from qi_capture.storage.models import utcnow
from qi_capture.storage.profile import Profile

PASSPHRASE = "copper kettle harbour 42"
CODERS = ("alice", "bob", "carol")


def add_codings(central: CentralStore, total: int, seed: int = 7) -> int:
    """Analysts' codings on random spans of the interviews' texts, up to ``total``."""
    rng = random.Random(seed)
    desk = CodingDesk(central, coder=CODERS[0])
    desk.codebook()
    codes = [desk.create_code(f"Theme {n}").guid for n in range(20)]
    codes += [c.guid for c in desk.codes()]
    interviews = desk.current_interviews()
    with central.engine.begin() as conn:
        have = len(db.codings(conn, STUDY_ID))
        coders = [db.coder_guid(conn, name) for name in CODERS]
        passages, codings = [], []
        while have + len(codings) < total:
            i = rng.choice(interviews)
            field, text = rng.choice(list(i.texts.items()))
            start = rng.randrange(len(text))
            end = rng.randrange(start + 1, len(text) + 1)
            guid = uuid.uuid4()
            passages.append({"guid": guid, "study_id": STUDY_ID, "record_id": i.record_id,
                             "field": field, "revision": i.revision, "start": start,
                             "end": end, "text": text[start:end], "flagged": False})
            for code in rng.sample(codes, rng.choice((1, 1, 2))):
                codings.append({"guid": uuid.uuid4(), "study_id": STUDY_ID,
                                "passage": guid, "record_id": i.record_id, "code": code,
                                "coder": rng.choice(coders),
                                "origin": "analyst", "confirmed": True, "undone": False,
                                "created": utcnow()})
        for start in range(0, len(passages), 2000):
            conn.execute(db.PASSAGE.insert(), passages[start:start + 2000])
        for start in range(0, len(codings), 2000):
            conn.execute(db.CODING.insert(), codings[start:start + 2000])
        return have + len(codings)


def best(run: Callable[[], object], times: int = 5) -> float:
    """The fastest of ``times`` runs (each first run warms the same caches for both)."""
    out = []
    for _ in range(times):
        began = time.perf_counter()
        run()
        out.append(time.perf_counter() - began)
    return min(out)


def page_queries(central: CentralStore, code: uuid.UUID) -> None:
    """The page's SQL alone: codes and counts, interviews, one interview's codings, one
    code's codings and their interviews, the memos; rows fetched, nothing built."""
    with central.engine.connect() as conn:
        db.stale_passages(conn, STUDY_ID)
        db.codes(conn, STUDY_ID)
        db.code_counts(conn, STUDY_ID)
        rows = list(db.interviews(conn, STUDY_ID, (INTERVIEW,)))
        db.codings(conn, STUDY_ID, record_id=rows[0][0])
        db.memos(conn, STUDY_ID)
        coded = db.codings(conn, STUDY_ID, code=code)
        list(db.interviews(conn, STUDY_ID, (INTERVIEW,), {r[2] for r in coded}))
        db.memos(conn, STUDY_ID)


def open_page(central: CentralStore, code: uuid.UUID) -> None:
    desk = CodingDesk(central)
    desk.codebook()
    first = desk.interviews()[0]
    desk.transcript(first.record_id)
    desk.passages(code)


def export_queries(central: CentralStore) -> None:
    with central.engine.connect() as conn:
        db.stale_passages(conn, STUDY_ID)
        list(db.interviews(conn, STUDY_ID, (INTERVIEW,)))
        db.codes(conn, STUDY_ID)
        db.codings(conn, STUDY_ID)
        db.memos(conn, STUDY_ID)
        db.coders(conn)


def serialisation(central: CentralStore) -> Callable[[], object]:
    """The XML and zip alone, on the values the export would pass them (made here)."""
    desk = CodingDesk(central)
    interviews, codes, codings, memos, coders = desk.export_data()
    by_record: dict[uuid.UUID, dict[uuid.UUID, list[Coding]]] = {}
    for c in codings:
        by_record.setdefault(c.record_id, {}).setdefault(c.passage, []).append(c)
    sources = []
    for i in interviews:
        st = render(i.name, i.sections(desk.layout(i.form_id)))
        sels = []
        for passage, group in by_record.get(i.record_id, {}).items():
            first = group[0]
            offset = st.spans[first.field][0]
            sels.append((passage, offset + first.start, offset + first.end,
                         tuple((c.guid, c.code, c.coder) for c in group), None))
        sources.append(refi.ExportSource(i.record_id, i.name, st.text,
                                         {"Footprint": i.footprint or ""}, tuple(sels)))

    def run() -> bytes:
        xml = refi.project_xml(study_id=STUDY_ID, name="bench", coders=coders, codes=codes,
                               sources=sources, memos=memos, variables=VARIABLES,
                               created=utcnow())
        return refi.qdpx_bytes(xml, sources)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interviews", type=int, default=300)
    parser.add_argument("--codings", type=int, default=20_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="qi-bench-coding-") as tmp:
        folder = Path(tmp) / "central"
        Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
        with CentralStore.open(folder, PASSPHRASE) as central:
            fill_builtin(central, responses=0, interviews=args.interviews)
            total = add_codings(central, args.codings)
        with AdminDesk.open(folder, PASSPHRASE) as desk:
            central = desk._central  # the bench times the store's own queries beside it
            top = max(desk.coding().codebook(), key=lambda n: n.codings).code.guid
            page = best(lambda: open_page(central, top))
            page_floor = best(lambda: page_queries(central, top))
            out = Path(tmp) / "study.qdpx"
            export = best(lambda: desk.coding().export("qdpx", out))
            xml = serialisation(central)
            export_floor = best(lambda: export_queries(central)) + best(xml)
            size = out.stat().st_size / 1e6
    page_ratio = page / page_floor
    export_ratio = export / export_floor
    print(f"coding page of {args.interviews} interviews, {total:,} codings (codebook with "
          f"counts + interviews + first transcript + a code's passages): {page * 1000:.0f} ms;"
          f" the same queries alone: {page_floor * 1000:.0f} ms; ratio {page_ratio:.2f}x "
          "(goal <= 1.5x)")
    print(f"export to .qdpx ({size:.1f} MB): {export * 1000:.0f} ms; the same queries + XML "
          f"serialisation alone: {export_floor * 1000:.0f} ms; ratio {export_ratio:.2f}x "
          "(goal <= 1.5x)")
    return 0 if page_ratio <= 1.5 and export_ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
