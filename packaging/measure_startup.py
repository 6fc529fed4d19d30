"""Cold start of the packaged app to its unlock window (Linux, offscreen).

    python packaging/measure_startup.py [--runs 5] [--app "dist/QI Capture/QI Capture"]

Creates a profile in a temporary data folder with the packaged CLI, then starts the
packaged GUI on it several times with Qt's ``qt.widgets.showhide`` debug log on and
``QT_MESSAGE_PATTERN=%{time boot}``, and reads the moment the unlock page is made visible
after the first profile list arrives (Qt's own clock since boot, compared with the
launch moment on the same clock). The first run after a build is the coldest (nothing
in the page cache); the median of the rest is a warm start. Each run is killed once the
figure is read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MARKER = 'name="unlockPage") with attributes'
ROOT = Path(__file__).resolve().parent.parent


def default_app() -> Path:
    return ROOT / "dist" / "QI Capture" / ("QI Capture.exe" if os.name == "nt" else "QI Capture")


def one_run(app: Path, data_dir: Path, timeout: float = 60.0) -> float:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "QT_LOGGING_RULES": "qt.widgets.showhide.debug=true",
        "QT_MESSAGE_PATTERN": "%{time boot} %{message}",
    }
    start = time.clock_gettime(time.CLOCK_BOOTTIME)
    proc = subprocess.Popen([str(app), "--data-dir", str(data_dir)], env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert proc.stderr is not None
    try:
        deadline = start + timeout
        for line in proc.stderr:
            if "Setting visibility of UnlockPage" in line and MARKER in line:
                return float(line.split()[0]) - start
            if time.clock_gettime(time.CLOCK_BOOTTIME) > deadline:
                break
        raise RuntimeError("the unlock page never appeared")
    finally:
        proc.kill()
        proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=default_app())
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qi-startup-") as tmp:
        data = Path(tmp) / "data"
        subprocess.run(
            [str(args.app), "--cli", "--data-dir", str(data), "profile", "create",
             "--name", "Startup", "--kdf", "floor"],
            env={**os.environ, "QI_CAPTURE_PASSPHRASE": "startup harbour copper 42"},
            check=True, capture_output=True,
        )
        times = [one_run(args.app, data) for _ in range(args.runs)]
    print("runs (s): " + ", ".join(f"{t:.2f}" for t in times))
    print(f"first run {times[0]:.2f} s; median of the rest "
          f"{statistics.median(times[1:] or times):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
