"""Merge benchmark: 50 devices x 400 records x 60 answers, in signed, encrypted bundles
(two per device, chained), merged into a fresh central store (SQLCipher admin profile).

Prints, side by side:
- merge: what ``qi-capture merge`` does (verify every bundle with the sync reader, merge
  each in one transaction, gaps/clone checks, write the acknowledgements);
- floor: decrypt the same bundle files (pyrage, in memory), read the tar members, and
  insert the same revision rows (every column of ``central_revision``, read from each
  revision's JSON, into a table with the same schema and indexes) with one plain
  ``executemany`` per bundle into a fresh SQLCipher database with the same pragmas. No
  signature, hash or canonical-form checks: the goal's floor is "decrypt the same
  bundles and bulk-insert the same rows";
- the ratio (goal <= 2x), peak Python memory of each (tracemalloc, separate runs), and a
  second merge of the same bundles (goal: at least 10x faster than the first);
- then the export-ready copies of the merged records built, as ``qi-capture merge`` and
  the console do after a merge that imported records (no goal of its own: printed so that
  the merge's whole cost is in view).

    .venv/bin/python bench/merge.py [--devices 50] [--records 400] [--answers 60]
"""

from __future__ import annotations

import argparse
import io
import json
import secrets
import shutil
import sys
import tarfile
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qi_capture.central import sql
from qi_capture.central.models import CentralRevisionRow
from qi_capture.central.store import CentralStore
from qi_capture.crypto import signing
from qi_capture.crypto.envelope import decrypt_bytes, encrypt_stream, recipient_fingerprint
from qi_capture.crypto.kdf import floor_params
from qi_capture.crypto.secret import SecretBytes
from qi_capture.forms import load_form_bytes
from qi_capture.services.admin.exports import keep_copies_current
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.merge import merge_files
from qi_capture.storage.canonical import canonical_json, revision_id
from qi_capture.storage.engine import open_engine
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.bundle import TarStream, bundle_members
from qi_capture.sync.manifest import Manifest, RecordEntry, signed_message

PASSPHRASE = "copper kettle harbour 42"
STUDY = "bench-study"


def make_bundles(folder: Path, keys: Any, devices: int, records: int, answers: int,
                 per_device: int = 2) -> list[tuple[bytes, uuid.UUID]]:
    """Write the bundles into ``folder/outbox``; returns (device public key, id) pairs."""
    outbox = folder / "outbox"
    outbox.mkdir(parents=True)
    recipients = [keys.bundle_recipient, keys.recovery_recipient]
    fingerprints = tuple(sorted(recipient_fingerprint(r) for r in recipients))
    made = []
    for d in range(devices):
        key = signing.generate_signing_key()
        public = signing.public_key(key)
        device_id = uuid.uuid4()
        made.append((public, device_id))
        previous = None
        seq = 0
        chunk = records // per_device
        for part in range(per_device):
            payloads: dict[str, bytes] = {}
            entries = []
            for r in range(chunk):
                seq += 1
                doc = {
                    "type": "qi-capture.revision", "schema": 1,
                    "record_id": str(uuid.uuid4()),
                    "form": {"study_id": STUDY, "form_id": "baseline", "version": "1",
                             "sha256": "0" * 64},
                    "parents": [], "device_id": str(device_id), "device_seq": seq,
                    "created": f"2025-03-{1 + part:02d}T09:{r % 60:02d}:00.000000Z",
                    "interviewer": f"Interviewer {d}", "instance_name": None,
                    "answers": {f"q{i:02d}": f"answer {i} of record {r} {secrets.token_hex(4)}"
                                for i in range(answers)},
                }
                data = canonical_json(doc).encode()  # type: ignore[arg-type]
                rid = revision_id(data.decode())
                payloads[rid] = data
                entries.append(RecordEntry(doc["record_id"], rid, seq, rid, len(data)))  # type: ignore[arg-type]
            manifest = Manifest(
                bundle_id=str(uuid.uuid4()), created="2025-03-01T10:00:00Z", study_id=STUDY,
                device_id=str(device_id), device_key_fingerprint=signing.fingerprint(public),
                device_public_key=public, recipients=fingerprints,
                sequence_first=seq - chunk + 1, sequence_last=seq,
                previous_manifest_sha256=previous, app_version="bench", schema_version=1,
                records=tuple(entries), attachments=(),
            )
            signature = signing.sign(key, signed_message(manifest.to_bytes()))
            stream = TarStream(bundle_members(manifest, signature, payloads, {}))
            out = io.BytesIO()
            encrypt_stream(stream, out, recipients)
            (outbox / f"{secrets.token_hex(16)}.qibundle").write_bytes(out.getvalue())
            previous = manifest.sha256()
    return made


def register_form(central: CentralStore, answers: int) -> None:
    """The form the revisions answer (text questions q00...), as `study pack` stores it."""
    rows = ["| survey |  |  |  |", "| | type | name | label |"]
    rows += [f"| | text | q{i:02d} | Question {i} |" for i in range(answers)]
    rows += ["| settings | | | |", "| | form_id | version | |", "| | baseline | 1 | |"]
    form = load_form_bytes("\n".join(rows).encode(), "baseline.md")
    central.add_form(study_id=STUDY, form_id="baseline", version="1", title="Baseline",
                     sha256=form.source_sha256, compiled_json=json.dumps(form.to_json()))


def fresh_central(base: Path, template: Path) -> Path:
    target = base / f"central-{secrets.token_hex(4)}"
    shutil.copytree(template, target)
    return target


def run_merge(central: CentralStore, sync: Path) -> tuple[int, int]:
    files = sorted((sync / "outbox").glob("*.qibundle"))
    assert central.profile is not None
    run = merge_files(central, AdminProfile(central.profile), files)
    new = sum(r.new_revisions for r in run.reports)
    return new, sum(1 for r in run.reports if r.outcome == "already_imported")


def run_floor(db: Path, sync: Path, identity: str) -> int:
    key = SecretBytes.random()
    engine = open_engine(db, key, secrets.token_bytes(16))
    inserted = 0
    try:
        revision = sql.table(CentralRevisionRow)
        with engine.begin() as conn:
            revision.create(conn)  # the same columns, types and indexes as the merge's
        insert = revision.insert()
        for path in sorted((sync / "outbox").glob("*.qibundle")):
            plain = decrypt_bytes(path.read_bytes(), identity)
            rows = []
            with tarfile.open(fileobj=io.BytesIO(plain), mode="r|") as tar:
                for member in tar:
                    if not member.name.startswith("revisions/"):
                        continue
                    f = tar.extractfile(member)
                    assert f is not None
                    body = f.read().decode()
                    doc = json.loads(body)
                    form = doc["form"]
                    rows.append({
                        "id": member.name[10:-5],
                        "record_id": uuid.UUID(doc["record_id"]),
                        "device_id": uuid.UUID(doc["device_id"]),
                        "device_seq": doc["device_seq"],
                        "parents_json": json.dumps(sorted(doc["parents"]),
                                                   separators=(",", ":")),
                        "kind": "edit", "deleted": doc.get("deleted") is True,
                        "study_id": form["study_id"], "form_id": form["form_id"],
                        "form_version": form["version"],
                        "interviewer": doc["interviewer"], "created": doc["created"],
                        "canonical_json": body,
                    })
            with engine.begin() as conn:
                conn.execute(insert, rows)
            inserted += len(rows)
    finally:
        engine.dispose()
    return inserted


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def peak(fn: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=50)
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--answers", type=int, default=60)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="qi-bench-merge-"))
    try:
        template = base / "template"
        init_admin(template, PASSPHRASE, study_id=STUDY, study_title="Bench",
                   kdf=floor_params())
        with AdminProfile.open(template, PASSPHRASE) as admin:
            keys = admin.keys()
        sync = base / "sync"
        t, devices = timed(lambda: make_bundles(sync, keys, args.devices, args.records,
                                                 args.answers))
        with CentralStore.open(template, PASSPHRASE) as central:  # central tables created
            registry = DeviceRegistry(central)
            for public, _id in devices:
                registry.enrol_key(public)
        total = args.devices * args.records
        size = sum(p.stat().st_size for p in (sync / "outbox").glob("*.qibundle"))
        print(f"{args.devices} devices x {args.records} records x {args.answers} answers: "
              f"{total} revisions in {len(list((sync / 'outbox').glob('*.qibundle')))} "
              f"bundles, {size / 1e6:.1f} MB (made in {t:.1f} s)")

        # The admin profile is unlocked (one Argon2id run) outside the timed part.
        with CentralStore.open(fresh_central(base, template), PASSPHRASE) as central:
            t_merge, (new, _) = timed(lambda: run_merge(central, sync))
            assert new == total, new
            t_again, (_, again) = timed(lambda: run_merge(central, sync))
            # What `qi-capture merge` and the console do next: the form's export-ready
            # copies built (a first merge) so that its export reads them.
            register_form(central, args.answers)
            t_copies, done = timed(lambda: keep_copies_current(central))
            assert done == ("baseline",), done
        t_floor, inserted = timed(lambda: run_floor(base / "floor.db", sync,
                                                    keys.bundle_identity))
        assert inserted == total
        with CentralStore.open(fresh_central(base, template), PASSPHRASE) as central:
            m_merge = peak(lambda: run_merge(central, sync))
        m_floor = peak(lambda: run_floor(base / "floor2.db", sync, keys.bundle_identity))
        print(f"{'':24}{'time':>10}{'peak MiB':>12}")
        print(f"{'merge (first)':24}{t_merge:>9.2f}s{m_merge / 2**20:>12.1f}")
        print(f"{'floor (decrypt+insert)':24}{t_floor:>9.2f}s{m_floor / 2**20:>12.1f}")
        print(f"ratio merge/floor: {t_merge / t_floor:.2f}x (goal <= 2x)")
        print(f"then the export-ready copies of its {total:,} records built, as `qi-capture "
              f"merge` does after importing: {t_copies:.2f}s (merge and copies "
              f"{(t_merge + t_copies) / t_floor:.2f}x the floor; `--defer-export-copies` "
              "leaves them to the first export)")
        print(f"second merge (all {again} bundles already imported): {t_again:.2f}s, "
              f"{t_merge / t_again:.1f}x faster than the first (goal >= 10x)")
        print("(timings on a shared machine are noisy; the merge includes acknowledgements)")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
