"""A demo central store with a recorded interview, for the player's screenshot: the
built-in study's interviews (`demo`), the first given a recording of generated speech
(espeak-ng, or a tone without it) encoded as Ogg/Opus in memory and stored as the
centre stores a merged attachment: an encrypted file beside the database. Demo data
only, never for real studies.

It also proposes where the interview's notes were typed (`demo_marks`): one moment per
note paragraph, spread over the recording, as the laptop records them in interview mode.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import numpy as np

from qi_capture.audio.encoder import OpusEncoder
from qi_capture.audio.errors import SpeechUnavailable
from qi_capture.audio.marks import NoteMark
from qi_capture.audio.sources import speech, tone
from qi_capture.central.bundle import BundleAttachment
from qi_capture.central.store import CentralStore
from qi_capture.services.admin.demo import INTERVIEW, SECTIONS, demo_central, fill_builtin
from qi_capture.services.admin.dto import RecordDetail

RECORDING = "interview.opus"
_SAID = ("Thank you for seeing me. Could you tell me how improvement work is organised "
         "here? We have a small team, and protected time is the main barrier. The board "
         "supports it, but data and analysts are hard to find. A London wide network "
         "would help us share what works.")


def _audio(sample_rate: int = 16000) -> bytes:
    try:
        samples = np.concatenate([speech(_SAID, sample_rate=sample_rate)] * 3)
    except SpeechUnavailable:
        samples = tone(40.0, sample_rate=sample_rate)
    out = io.BytesIO()
    encoder = OpusEncoder(out, sample_rate)
    for start in range(0, len(samples), 4096):
        encoder.write(samples[start:start + 4096])
    encoder.close()
    return out.getvalue()


def recorded_demo_central(folder: Path, passphrase: str) -> tuple[Path, uuid.UUID]:
    """A demo central store in ``folder`` with a few interviews, the first recorded;
    returns the folder and that interview's record id."""
    demo_central(folder, passphrase, responses=0, interviews=0)
    with CentralStore.open(folder, passphrase) as central:
        made = fill_builtin(central, responses=0, interviews=3, seed=7)
        record_id = made[INTERVIEW][0]
        add_recording(central, record_id)
    return folder, record_id


def add_recording(central: CentralStore, record_id: uuid.UUID) -> None:
    """Give a demo interview a recording of generated speech (an encrypted attachment
    file, as merge stores one)."""
    data = _audio()
    attachment = BundleAttachment.from_bytes(
        uuid.uuid4(), record_id, RECORDING, "audio/ogg; codecs=opus",
        hashlib.sha256(data).hexdigest(), data)
    with central.engine.begin() as conn:
        central.attachments.store(conn, [attachment])


def demo_marks(detail: RecordDetail, duration_ms: int) -> tuple[NoteMark, ...]:
    """One mark per paragraph of the record's notes, in reading order, spread over
    ``duration_ms``: the moments a note-taker might have typed them."""
    places: list[tuple[str, int]] = []
    for section in detail.sections:
        for item in section.items:
            if item.kind == "answer" and item.text and item.path.split("/")[0] in SECTIONS \
                    and not item.path.rsplit("/", 1)[-1].startswith("key_quote"):
                lines = [line for line in item.text.split("\n") if line.strip()]
                places.extend((item.path, i) for i in range(len(lines)))
    if not places:
        return ()
    step = duration_ms // (len(places) + 1)
    return tuple(NoteMark(path, "paragraph", index, "", RECORDING, step * (n + 1))
                 for n, (path, index) in enumerate(places))


def record_demo_interview(folder: Path, passphrase: str, record_id: uuid.UUID) -> None:
    """`add_recording` on the demo central store in ``folder`` (for the screenshots)."""
    with CentralStore.open(folder, passphrase) as central:
        add_recording(central, record_id)
