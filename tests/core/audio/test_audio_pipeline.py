"""The recording pipeline without a microphone and without the store: generated PCM in,
Ogg/Opus bytes out, decoded back and compared with what went in.

Why the correlation thresholds: Opus at ~20 kbit/s keeps a 440 Hz tone at a correlation
of about 0.995 with the input and espeak-ng speech at about 0.99 (measured). The failures
they must catch are misalignment and loss: shifting the decoded tone by a single sample
(1/16000 s) already brings it to cos(2π·440/16000) ≈ 0.985 of that (≈ 0.98), speech to
about 0.91, and a dropped or repeated block to far less. So 0.99 for the tone and 0.95
for speech pass the codec's own loss and fail any sample of drift.
"""

from __future__ import annotations

import io
import subprocess
import sys
import time

import numpy as np
import numpy.typing as npt
import pytest

from qi_capture.audio.encoder import OpusEncoder
from qi_capture.audio.errors import (
    AudioDecodeFailed,
    NoInputDevice,
    NoMicrophoneSupport,
    UnsupportedSampleRate,
)
from qi_capture.audio.meter import Level, SilenceDetector
from qi_capture.audio.microphone import MicrophoneSource
from qi_capture.audio.playback import AudioReader
from qi_capture.audio.recorder import Recorder, Recording
from qi_capture.audio.sources import ClipSource, ToneSource, speech, tone
from tests import needs

RATE = 16000
TONE_MIN_CORRELATION = 0.99
SPEECH_MIN_CORRELATION = 0.95
SPOKEN = ("The quality improvement team met every week to review the patient safety data, "
          "and the ward manager wrote down every action.")


def _record(source: ToneSource | ClipSource) -> io.BytesIO:
    out = io.BytesIO()
    recording = Recording(source, Recorder(out, sample_rate=source.sample_rate))
    recording.start()
    assert recording.wait(timeout=120)
    recording.stop()
    out.seek(0)
    return out


def _decoded(encoded: io.BytesIO, start: float = 0.0) -> tuple[AudioReader, npt.NDArray[np.float32]]:
    reader = AudioReader(encoded)
    return reader, reader.read_all(start)


def _correlation(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32]) -> float:
    return float(np.corrcoef(a, b)[0, 1])


def test_a_tone_comes_back_as_it_went_in() -> None:
    encoded = _record(ToneSource(10.0))
    size = len(encoded.getvalue())
    reader, out = _decoded(encoded)
    expected = tone(10.0)
    # Opus's pre-skip and end trimming are honoured: not one sample more or fewer.
    assert reader.sample_rate == RATE
    assert reader.frames == len(out) == len(expected)
    assert abs(reader.duration_seconds - 10.0) < 0.005
    assert _correlation(out, expected) > TONE_MIN_CORRELATION
    # Speech quality: 15-30 kbit/s, i.e. about 7-13 MB an hour.
    assert 15_000 <= size * 8 / 10.0 <= 30_000


def test_playback_starts_at_any_moment() -> None:
    reader, _ = _decoded(_record(ToneSource(12.0)))
    expected = tone(12.0)
    for start in (0.0, 5.0, 7.3, 11.5):
        out = reader.read_all(start)
        first = round(start * RATE)
        assert len(out) == len(expected) - first
        assert _correlation(out, expected[first:]) > TONE_MIN_CORRELATION
    assert len(reader.read_all(60.0)) == 0  # past the end: nothing, not an error
    # Blocks of the size asked for, the last shorter.
    sizes = [len(b) for b in reader.blocks(11.0, block_frames=4000)]
    assert sizes == [4000, 4000, 4000, 4000]


def test_generated_speech_comes_back_as_it_went_in() -> None:
    needs.espeak_ng()
    spoken = speech(SPOKEN)
    assert len(spoken) > 3 * RATE  # a real utterance, not an empty WAV
    _, out = _decoded(_record(ClipSource(spoken)))
    assert len(out) == len(spoken)
    assert _correlation(out, spoken) > SPEECH_MIN_CORRELATION


def test_int16_blocks_are_recorded_like_float_ones() -> None:
    samples = tone(2.0)
    out = io.BytesIO()
    recorder = Recorder(out)
    recorder.feed((samples * 32767).astype(np.int16))
    recorder.finish()
    out.seek(0)
    _, decoded = _decoded(out)
    assert len(decoded) == len(samples)
    assert _correlation(decoded, samples) > TONE_MIN_CORRELATION


def test_paused_audio_is_left_out_and_not_counted() -> None:
    source = ToneSource(3.0, block_frames=1600)
    source.start()
    blocks = [source.read(1.0) for _ in range(30)]
    out = io.BytesIO()
    recorder = Recorder(out)
    for b in blocks[:10]:
        recorder.feed(b)
    recorder.pause()
    assert recorder.status().state == "paused"
    for b in blocks[10:20]:
        recorder.feed(b)  # dropped, though the meter still moves
    assert recorder.status().level.peak > 0.29
    assert recorder.elapsed_seconds == 1.0
    recorder.resume()
    for b in blocks[20:]:
        recorder.feed(b)
    recorder.finish()
    assert recorder.status().state == "stopped"
    assert recorder.elapsed_seconds == 2.0
    out.seek(0)
    _, decoded = _decoded(out)
    kept = np.concatenate([*blocks[:10], *blocks[20:]])
    assert len(decoded) == len(kept)
    # The tone's phase jumps at the cut, so compare each side of it.
    assert _correlation(decoded[:16000], kept[:16000]) > TONE_MIN_CORRELATION
    assert _correlation(decoded[16000 + 960 :], kept[16000 + 960 :]) > TONE_MIN_CORRELATION


def test_elapsed_time_follows_the_clock_without_the_pauses() -> None:
    source = ToneSource(30.0, block_frames=800, realtime=True)
    recording = Recording(source, Recorder(io.BytesIO()), poll_seconds=0.05)
    began = time.monotonic()
    recording.start()
    time.sleep(0.6)
    recording.pause()
    time.sleep(0.6)
    recording.resume()
    time.sleep(0.6)
    recording.stop()
    wall = time.monotonic() - began
    elapsed = recording.status().elapsed_seconds
    # About 1.2 s recorded out of about 1.8 s; a loaded machine may run late by a block
    # or two (0.05 s each), never count the pause.
    assert 0.9 <= elapsed <= 1.45
    assert elapsed < wall - 0.45


def test_thirty_seconds_of_silence_is_reported_and_sound_clears_it() -> None:
    detector = SilenceDetector(after_seconds=30.0)
    quiet, loud = Level(rms=0.0005, peak=0.001), Level(rms=0.05, peak=0.2)
    reported = [detector.feed(quiet, 0.1) for _ in range(299)]
    assert not any(reported) and not detector.silent
    assert detector.feed(quiet, 0.1) is True and detector.silent
    assert detector.feed(quiet, 0.1) is False  # reported once
    detector.feed(loud, 0.1)
    assert not detector.silent and detector.silent_seconds == 0.0


def test_a_silent_input_is_flagged_by_the_recorder() -> None:
    recording = Recording(ToneSource(31.0, amplitude=0.0), Recorder(io.BytesIO()))
    recording.start()
    assert recording.wait(timeout=120)
    status = recording.status()
    assert status.silent and status.silent_seconds >= 30.0
    recording.stop()
    short = Recording(ToneSource(20.0, amplitude=0.0), Recorder(io.BytesIO()))
    short.start()
    assert short.wait(timeout=120)
    assert not short.status().silent
    short.stop()


def test_a_rate_opus_cannot_take_is_refused_before_anything_is_written() -> None:
    out = io.BytesIO()
    with pytest.raises(UnsupportedSampleRate) as caught:
        OpusEncoder(out, 44100)
    assert "16000" in str(caught.value)
    assert out.getvalue() == b""


def test_bytes_that_are_not_audio_are_a_clear_decode_error() -> None:
    with pytest.raises(AudioDecodeFailed):
        AudioReader(io.BytesIO(b"not audio at all" * 100))


def test_no_input_device_is_a_clear_error() -> None:
    needs.portaudio()
    import sounddevice

    try:
        sounddevice.query_devices(kind="input")
    except sounddevice.PortAudioError:
        pass
    else:
        pytest.skip("this machine has a microphone; the error needs a machine without one")
    source = MicrophoneSource()
    with pytest.raises(NoInputDevice) as caught:
        source.start()
    assert caught.value.code == "audio_no_input_device"
    assert "microphone" in str(caught.value)


def test_missing_portaudio_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # What an import of sounddevice without PortAudio raises is an OSError from its
    # module code; None in sys.modules makes the import fail the same way, at the same place.
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(NoMicrophoneSupport) as caught:
        MicrophoneSource().start()
    assert "libportaudio2" in str(caught.value)


def test_portaudio_is_not_loaded_until_a_device_is_opened() -> None:
    # And opening a profile (the services) does not even load libsndfile and numpy.
    code = ("import sys, qi_capture.services; "
            "print('soundfile' in sys.modules, 'numpy' in sys.modules); "
            "import qi_capture.audio.recorder, qi_capture.audio.playback, "
            "qi_capture.audio.microphone; print('sounddevice' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.split() == ["False", "False", "False"]
