"""Child process for the plaintext canary: a full run (answers, notes, session state,
paradata, attachment bytes, finalise, edit, backup, passphrase change, rotation) with the
marker strings from argv; TMPDIR points at a folder the parent scans afterwards."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from qi_capture.crypto.kdf import floor_params
from qi_capture.storage.paradata import SessionClock
from qi_capture.storage.profile import Profile


def main() -> None:
    folder, passphrase, new_passphrase = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    markers = sys.argv[4:]
    Profile.create(folder, "Laptop", passphrase, kdf=floor_params())
    with Profile.unlock(folder, passphrase) as store:
        store.catalog.add_study("qi", "QI")
        form = store.catalog.add_form_version(
            "qi", "baseline", "1", title="B", xlsform=b"xls", compiled_json="{}"
        ).id
        clock = SessionClock()
        for i, marker in enumerate(markers):
            record = store.records.create_record(form, interviewer="jo")
            store.records.save_answer_change(
                record.id,
                "/text",
                marker,
                session_state={"draft": marker},
                event=clock.event("value_changed", {"new": marker}),
            )
            store.records.save_answer_change(record.id, "/note", f"note: {marker} end")
            store.attachments.add(
                record.id, "a.bin", "application/octet-stream", io.BytesIO(marker.encode() * 50)
            )
            if i % 2:
                store.records.finalise(record.id)
                store.records.begin_edit(record.id)
                store.records.save_answer_change(record.id, "/text", marker.upper())
                store.records.finalise(record.id)
        store.settings.set("last", markers[0])
        store.backup()
    Profile.change_passphrase(folder, passphrase, new_passphrase)
    Profile.rotate_data_key(folder, new_passphrase)
    # Leave the WAL and SHM in place: open, write, and stop without a clean close.
    store = Profile.unlock(folder, new_passphrase)
    store.settings.set("open", markers[-1])
    print("ok", flush=True)
    os._exit(0)  # like a crash: connections never closed, WAL and SHM stay


if __name__ == "__main__":
    main()
