"""Interview audio benchmark: one hour of generated speech (espeak-ng, looped; a tone when
espeak-ng is missing, and the output says so) recorded as it is in the app: Opus-encoded
by libsndfile and sealed chunk by chunk into an encrypted recording in a real profile,
fsynced every 2 s of audio. Beside it, in the same run, the same audio encoded alone
with the same library and settings into memory (nothing sealed, nothing written).

Prints the time of each, the ratio (goal <= 1.2x), the encoded size, and the resident
memory of each run (a fresh process each) after a tenth of the audio and at the end
(goal: flat, i.e. the same).

    .venv/bin/python bench/audio.py [--seconds 3600]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil

from qi_capture.audio.errors import SpeechUnavailable
from qi_capture.audio.recorder import Recorder
from qi_capture.audio.sources import ClipSource, ToneSource, speech

PASSPHRASE = "copper kettle harbour 42"
SCRIPT = (
    "Thank you for agreeing to talk to us about the quality improvement programme. "
    "Could you describe how your team chose the measures it reports each month? "
    "We started with falls on the ward, then added the time from referral to first "
    "appointment, because the patients told us that waiting was what worried them most."
)


def _source(seconds: float) -> tuple[ClipSource | ToneSource, str]:
    try:
        clip = speech(SCRIPT)
    except SpeechUnavailable:
        return ToneSource(seconds), "a 440 Hz tone (espeak-ng is not installed)"
    looped = f"speech (espeak-ng, a {len(clip) / 16000:.0f} s clip looped)"
    return ClipSource(clip, seconds=seconds), looped


class _Count:
    def __init__(self) -> None:
        self.size = 0

    def write(self, piece: bytes) -> int:
        self.size += len(piece)
        return len(piece)


def run_one(mode: str, seconds: float) -> dict[str, float | str]:
    """One run in this (fresh) process: ``encode`` or ``encrypt``."""
    from qi_capture.crypto.kdf import floor_params
    from qi_capture.storage.profile import Profile

    process = psutil.Process()
    source, what = _source(seconds)
    folder = Path(tempfile.mkdtemp(prefix="qi-bench-audio-"))
    try:
        store = None
        if mode == "encrypt":
            Profile.create(folder / "p", "Bench", PASSPHRASE, kdf=floor_params())
            store = Profile.unlock(folder / "p", PASSPHRASE)
            store.catalog.add_study("qi", "QI")
            form = store.catalog.add_form_version("qi", "f", "1", title="F", xlsform=b"x",
                                                  compiled_json="{}").id
            record = store.records.create_record(form, interviewer="b").id
            sink: object = store.recordings.begin(record, "bench.opus", "audio/ogg")
        else:
            sink = _Count()
        source.start()
        tenth = round(seconds * 16000 / 10)
        frames = 0
        rss_tenth = 0.0
        began, cpu_began = time.perf_counter(), time.process_time()
        recorder = Recorder(sink)  # type: ignore[arg-type]
        while (block := source.read(1.0)) is not None:
            recorder.feed(block)
            frames += len(block)
            if not rss_tenth and frames >= tenth:
                rss_tenth = process.memory_info().rss / 2**20
        recorder.finish()
        # The recording is made an attachment (sealed, renamed, committed): part of the cost.
        done = sink.finish() if store is not None else sink  # type: ignore[attr-defined]
        size = done.size
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
        rss_end = process.memory_info().rss / 2**20
        if store is not None:
            store.lock()
        return {"mode": mode, "seconds": elapsed, "cpu": cpu, "bytes": size, "rss_tenth": rss_tenth,
                "rss_end": rss_end, "what": what}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600.0)
    parser.add_argument("--child", choices=["encode", "encrypt"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.seconds)))
        return
    results = {}
    for mode in ("encode", "encrypt"):  # each in a fresh process: its own memory figures
        out = subprocess.run([sys.executable, __file__, "--seconds", str(args.seconds),
                              "--child", mode], capture_output=True, text=True, check=True)
        results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    enc, ours = results["encode"], results["encrypt"]
    ratio = float(ours["seconds"]) / float(enc["seconds"])
    cpu_ratio = float(ours["cpu"]) / float(enc["cpu"])
    hours = args.seconds / 3600
    print(f"audio: {args.seconds:.0f} s of {ours['what']}, Opus 16 kHz mono")
    print(f"{'':26}{'wall':>9}{'CPU':>9}{'size':>10}{'RSS at 1/10':>13}{'RSS at end':>12}")
    for label, r in (("encode alone (memory)", enc), ("encode + encrypt (ours)", ours)):
        print(f"{label:26}{float(r['seconds']):>8.1f}s{float(r['cpu']):>8.1f}s"
              f"{int(r['bytes']) / 1e6:>8.2f}MB"
              f"{float(r['rss_tenth']):>11.1f}Mi{float(r['rss_end']):>10.1f}Mi")
    # Wall time includes the fsyncs but also whatever else the machine is doing (the two
    # runs are consecutive processes); CPU time is the steadier figure on a shared machine.
    for name, r in (("wall", ratio), ("CPU", cpu_ratio)):
        print(f"ratio ours / encode alone ({name}): {r:.2f}x   goal <= 1.2x "
              f"{'ok' if r <= 1.2 else 'MISSED'}")
    growth = float(ours["rss_end"]) - float(ours["rss_tenth"])
    print(f"memory from 1/10 to the end of the recording: {growth:+.1f} MiB "
          f"(encode alone {float(enc['rss_end']) - float(enc['rss_tenth']):+.1f} MiB)   "
          f"goal: flat {'ok' if abs(growth) < 8 else 'MISSED'}")
    print(f"size: {int(ours['bytes']) / 1e6 / hours:.1f} MB an hour "
          f"({int(ours['bytes']) * 8 / args.seconds / 1000:.1f} kbit/s)")



if __name__ == "__main__":
    main()
