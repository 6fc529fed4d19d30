"""Generated speech (espeak-ng) recorded on the laptop, sent, merged, and played at the
centre through the admin door: what the player renders is what went in (duration to the
sample, correlation), from any position and at any speed, with no plaintext file written
anywhere (temp folder included)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pytest

from qi_capture.audio.errors import NoOutputDevice
from qi_capture.audio.sources import speech
from qi_capture.central.store import CentralStore
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.errors import PlaybackSpeedInvalid, RecordingNotFound
from tests import needs
from tests.e2e.conftest import PASSPHRASE, MakeWorld
from tests.e2e.recorded import recorded_centre

RATE = 16000
TEXT = ("The harbour trust met the council twice this spring. Funding for the ferry "
        "landing was the main barrier, and the youth club asked for evening sessions.")


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def test_speech_plays_back_at_the_centre_as_it_went_in(
    make_world: MakeWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    needs.espeak_ng()
    needs.portaudio()
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    said = speech(TEXT, sample_rate=RATE)
    central_dir, record_id, attachment_id = recorded_centre(make_world, said)
    with AdminDesk.open(central_dir, PASSPHRASE) as desk:
        session = desk.open_recording(record_id)
        try:
            assert session.name == "interview.opus"
            assert session.frames == len(said) and session.sample_rate == RATE
            assert session.duration_ms == round(len(said) * 1000 / RATE)
            # Speed 1: the whole recording, sample for sample.
            out = session.render(session.frames)
            assert correlation(out, said) > 0.95
            assert session.position_ms == session.duration_ms and session.at_end
            # A note's moment: from 2.5 s on.
            at = session.seek(2500)
            assert at == 2500 and session.position_ms == 2500
            part = session.render(RATE)
            start = 2500 * RATE // 1000
            assert correlation(part, said[start:start + RATE]) > 0.95
            assert session.position_ms == 3500 and session.jump_back() == 0  # clamped at the start
            # Twice as fast: one second of output covers two seconds of the interview.
            session.seek(1000)
            session.set_speed(2.0)
            fast = session.render(RATE)
            assert session.position_ms == 3000
            squeezed = said[RATE:3 * RATE][::2]
            assert correlation(fast, squeezed) > 0.9
            session.set_speed(0.75)
            session.render(3 * RATE)
            assert session.position_ms == 3000 + round(3 * 0.75 * 1000)
            with pytest.raises(PlaybackSpeedInvalid, match=r"between 0\.75x and 2x"):
                session.set_speed(3.0)
            # No output device: a clear error, and the position still works.
            import sounddevice

            monkeypatch.setattr(sounddevice.default, "device", [None, 987654])
            with pytest.raises(NoOutputDevice, match="No speaker or headphones"):
                session.play_from(4000)
            assert session.position_ms == 4000 and not session.playing
        finally:
            session.close()
        with pytest.raises(RecordingNotFound):
            desk.open_recording(record_id, "other.opus")
        by_id = desk.open_recording(record_id, attachment_id)
        assert by_id.name == "interview.opus"
        by_id.close()
    # The encoded recording's own bytes (Ogg/Opus, as decrypted) are nowhere on disk.
    with CentralStore.open(central_dir, PASSPHRASE) as central:
        encoded = b"".join(central.attachments.read(attachment_id))
    assert encoded.startswith(b"OggS")
    needles = [encoded[i:i + 64] for i in range(4096, len(encoded) - 64, len(encoded) // 8)]
    # Decoding never wrote anything, in the temp folder or beside the central store.
    assert not list(spool.rglob("*"))
    needles.append(said[RATE:RATE + 4000].tobytes())
    for path in [*central_dir.rglob("*"), *spool.rglob("*")]:
        if path.is_file():
            content = path.read_bytes()
            assert not [n for n in needles if n in content], path
