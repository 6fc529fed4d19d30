"""Folder sync on the laptop: incremental bundles, ``--all``, the manifest chain,
acknowledgements (verified, per device), retention purge (never before acknowledgement),
and failures (missing, read-only or vanished folder, full disk) that mark nothing sent."""

from __future__ import annotations

import errno
import io
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

import pytest

from qi_capture.crypto import signing
from qi_capture.sync.ack import acknowledgement_for, make_acknowledgement, write_acknowledgement
from qi_capture.sync.bundle import KnownDevice, verify_bundle_file
from qi_capture.sync.errors import NoStudyPack, SyncDiskFull, SyncFolderUnavailable
from qi_capture.sync.folder import sync_folder

STUDY_ID = "qi-london"


def verify(admin: Any, store: Any, path: Path) -> Any:
    device = store.device()
    return verify_bundle_file(path, study_id=STUDY_ID, identity=admin.keys.bundle_identity,
                              devices={device.fingerprint: KnownDevice(device.public_key)})


def files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def statuses(store: Any) -> list[str]:
    return sorted(r.status for r in store.records.list_records())


def test_incremental_sync_chain_and_resend_all(
    laptop: Any, admin: Any, records_adder: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "sync"
    folder.mkdir()
    records_adder(laptop, 2, attachment_bytes=1000)
    first = sync_folder(laptop, folder)
    assert [b.revisions for b in first.bundles] == [2]
    assert statuses(laptop) == ["sent", "sent"]
    one = verify(admin, laptop, first.bundles[0].path)
    assert one.manifest.previous_manifest_sha256 is None
    assert first.bundles[0].path.parent == folder / "outbox"
    assert first.bundles[0].path.name.endswith(".qibundle")

    again = sync_folder(laptop, folder)
    assert again.bundles == () and len(files(folder)) == 1  # nothing new: nothing written

    records_adder(laptop, 1)
    second = sync_folder(laptop, folder)
    two = verify(admin, laptop, second.bundles[0].path)
    assert len(two.manifest.records) == 1
    assert two.manifest.previous_manifest_sha256 == one.manifest_sha256  # the chain
    assert (two.manifest.sequence_first, two.manifest.sequence_last) == (3, 3)

    everything = sync_folder(laptop, folder, resend_all=True)
    three = verify(admin, laptop, everything.bundles[0].path)
    assert len(three.manifest.records) == 3
    assert three.manifest.previous_manifest_sha256 == two.manifest_sha256
    assert not list(folder.rglob("*.partial"))


def test_acknowledgements_then_retention_purge(
    laptop: Any, admin: Any, records_adder: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "sync"
    folder.mkdir()
    ids = records_adder(laptop, 3, attachment_bytes=500)
    now = datetime.now(UTC)
    sent = sync_folder(laptop, folder, now=now)
    summary = verify(admin, laptop, sent.bundles[0].path)

    # Only acknowledged records are ever purged, however old.
    late = now + timedelta(days=365)
    assert sync_folder(laptop, folder, now=late).purged == 0

    # An acknowledgement of only two revisions; a forged one (another key) is refused;
    # one for another device is ignored.
    first_two = list(summary.revision_ids[:2])
    m = summary.manifest
    write_acknowledgement(folder, make_acknowledgement(
        admin.keys.signing_key, study_id=STUDY_ID, device_id=m.device_id,
        device_key_fingerprint=m.device_key_fingerprint,
        bundles=[(m.bundle_id, summary.manifest_sha256)], revision_ids=first_two))
    write_acknowledgement(folder, make_acknowledgement(
        signing.generate_signing_key(), study_id=STUDY_ID, device_id=m.device_id,
        device_key_fingerprint=m.device_key_fingerprint, bundles=[],
        revision_ids=list(summary.revision_ids)))
    write_acknowledgement(folder, make_acknowledgement(
        admin.keys.signing_key, study_id=STUDY_ID, device_id="00000000-0000-4000-8000-000000000000",
        device_key_fingerprint="ed25519:" + "0" * 64, bundles=[],
        revision_ids=list(summary.revision_ids)))
    report = sync_folder(laptop, folder, now=now + timedelta(days=1))
    assert report.acknowledged == 2
    assert [a.code for a in report.refused_acks] == ["ack_bad_signature"]
    assert statuses(laptop) == ["acknowledged", "acknowledged", "sent"]
    assert report.bundles == ()

    # Within retention nothing goes; after it, only the acknowledged records.
    assert sync_folder(laptop, folder, now=now + timedelta(days=29)).purged == 0
    purged = sync_folder(laptop, folder, now=now + timedelta(days=32))
    assert purged.purged == 2
    left = laptop.records.list_records()
    assert [r.id for r in left] == [ids[2]] and left[0].status == "sent"
    assert laptop.attachments.list(ids[0]) == []
    assert laptop.check(full=False).ok

    # Re-reading the same acknowledgements changes nothing.
    assert sync_folder(laptop, folder, now=now + timedelta(days=33)).acknowledged == 0


def test_a_record_edited_after_acknowledgement_is_resent_and_kept(
    laptop: Any, admin: Any, records_adder: Callable[..., Any], tmp_path: Path
) -> None:
    folder = tmp_path / "sync"
    folder.mkdir()
    (record_id,) = records_adder(laptop, 1)
    now = datetime.now(UTC)
    summary = verify(admin, laptop, sync_folder(laptop, folder, now=now).bundles[0].path)
    write_acknowledgement(folder, acknowledgement_for(summary, admin.keys.signing_key))
    assert sync_folder(laptop, folder, now=now).acknowledged == 1
    laptop.records.begin_edit(record_id)
    laptop.records.save_answer_change(record_id, "/role", "Medical director")
    laptop.records.finalise(record_id)
    resent = sync_folder(laptop, folder, now=now + timedelta(days=40))
    assert [b.revisions for b in resent.bundles] == [1]
    assert resent.purged == 0  # its new head is not acknowledged yet
    assert len(laptop.records.list_records()) == 1


def _failing_opener(error: int, after: int = 0, then: Callable[[], None] | None = None) -> Any:
    class Failing(io.RawIOBase):
        def __init__(self, real: BinaryIO) -> None:
            self.real, self.written = real, 0

        def writable(self) -> bool:
            return True

        def write(self, data: Any) -> int:
            if self.written + len(data) > after:
                if then is not None:
                    then()
                raise OSError(error, "simulated")
            self.written += len(data)
            return self.real.write(data)

        def fileno(self) -> int:
            return self.real.fileno()

        def close(self) -> None:
            self.real.close()
            super().close()

    def opener(path: Path) -> BinaryIO:
        return Failing(path.open("xb"))  # type: ignore[return-value]

    return opener


def test_failures_mark_nothing_sent(
    laptop: Any, records_adder: Callable[..., Any], tmp_path: Path
) -> None:
    records_adder(laptop, 2, attachment_bytes=200_000)
    with pytest.raises(SyncFolderUnavailable, match="does not exist"):
        sync_folder(laptop, tmp_path / "no-such-stick")
    folder = tmp_path / "sync"
    folder.mkdir()
    with pytest.raises(SyncDiskFull) as full:
        sync_folder(laptop, folder, opener=_failing_opener(errno.ENOSPC, after=100_000))
    assert "Nothing was marked as sent" in full.value.message or "nothing was" in full.value.message
    with pytest.raises(SyncFolderUnavailable, match="read-only"):
        sync_folder(laptop, folder, opener=_failing_opener(errno.EROFS))

    stick = tmp_path / "stick"
    stick.mkdir()
    with pytest.raises(SyncFolderUnavailable, match="disappeared"):
        sync_folder(laptop, stick, opener=_failing_opener(
            errno.EIO, after=70_000, then=lambda: shutil.rmtree(stick)))

    assert statuses(laptop) == ["finalised", "finalised"]
    assert laptop.sync.revisions_to_send(STUDY_ID) != []
    assert files(folder) == []  # no partial file left behind
    ok = sync_folder(laptop, folder)
    assert [b.revisions for b in ok.bundles] == [2]


def test_no_study_pack(tmp_path: Path, template_laptop: Path) -> None:
    from qi_capture.crypto.kdf import floor_params
    from qi_capture.storage.profile import Profile

    folder = tmp_path / "bare"
    Profile.create(folder, "Bare", "copper kettle harbour 42", kdf=floor_params())
    (tmp_path / "sync").mkdir()
    with Profile.unlock(folder, "copper kettle harbour 42") as store, pytest.raises(NoStudyPack):
        sync_folder(store, tmp_path / "sync")


def test_an_acknowledgement_with_nan_is_invalid_not_a_crash() -> None:
    from qi_capture.crypto import signing
    from qi_capture.sync.ack import make_acknowledgement, parse_acknowledgement
    from qi_capture.sync.errors import AckInvalid

    key = signing.generate_signing_key()
    good = make_acknowledgement(key, study_id="s", device_id="d", device_key_fingerprint="f",
                                bundles=[], revision_ids=[])
    public = signing.public_key(key)
    assert parse_acknowledgement(good, signing_public_key=public).study_id == "s"
    forged = good.replace(b'"bundles":[]', b'"bundles":NaN')
    with pytest.raises(AckInvalid):
        parse_acknowledgement(forged, signing_public_key=public)


def test_writeback_is_started_ahead_and_the_bundle_is_whole(
    laptop: Any, admin: Any, records_adder: Callable[..., Any], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Linux the writer asks the kernel to start writing every few MiB (so the final
    fsync waits for less); the bundle it leaves is exactly as good."""
    import itertools
    import os

    from qi_capture.sync import bundle_writer as bundle_module

    if not hasattr(os, "posix_fadvise"):
        pytest.skip("posix_fadvise does not exist on this platform (Windows, macOS)")
    calls: list[tuple[int, int]] = []
    real = os.posix_fadvise

    def spy(fd: int, offset: int, length: int, advice: int) -> None:
        calls.append((offset, length))
        real(fd, offset, length, advice)

    monkeypatch.setattr(os, "posix_fadvise", spy)
    monkeypatch.setattr(bundle_module._FlushAhead, "STEP", 64 * 1024)
    records_adder(laptop, 3, attachment_bytes=300_000)
    folder = tmp_path / "sync"
    folder.mkdir()
    written = sync_folder(laptop, folder).bundles[0]
    summary = verify(admin, laptop, written.path)
    assert len(summary.manifest.attachments) == 3
    # Consecutive ranges from the start, each at least a step long, within the file.
    assert calls and calls[0][0] == 0
    assert all(a + n == b for (a, n), (b, _m) in itertools.pairwise(calls))
    assert all(n >= 64 * 1024 for _a, n in calls)
    assert calls[-1][0] + calls[-1][1] <= written.path.stat().st_size
