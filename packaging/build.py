"""Build the packaged app with build.spec: the one build script `make dist` and the
release workflow both run, so a release is built exactly as a developer builds.

    python packaging/build.py [--distpath dist] [--workpath build] [--smoke]

Runs PyInstaller (``--noconfirm``) on build.spec, prints the folder's size and its largest
parts, and writes ``<distpath>/build-info.json`` (version, platform, size) last, so a file
newer than every source means a complete, current build. ``--smoke`` then runs the
packaged ``--version`` and ``--self-test`` offscreen and fails if either does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAME = "QI Capture"


def app_folder(dist: Path) -> Path:
    return dist / (f"{NAME}.app" if sys.platform == "darwin" else NAME)


def executable(dist: Path) -> Path:
    if sys.platform == "win32":
        return dist / NAME / f"{NAME}.exe"
    if sys.platform == "darwin":
        return dist / f"{NAME}.app" / "Contents" / "MacOS" / NAME
    return dist / NAME / NAME


def folder_size(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def largest(folder: Path, count: int = 12) -> list[tuple[str, int]]:
    base = folder / "_internal" if (folder / "_internal").is_dir() else folder
    parts = [(p.name, folder_size(p) if p.is_dir() else p.lstat().st_size) for p in base.iterdir()]
    return sorted(parts, key=lambda item: -item[1])[:count]


def build(dist: Path, work: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(dist), "--workpath", str(work), str(ROOT / "build.spec")],
        check=True, cwd=ROOT,
    )


def smoke(dist: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    exe = executable(dist)
    for args in (["--version"], ["--self-test"]):
        print(f"$ {exe.name} {' '.join(args)}", flush=True)
        result = subprocess.run([str(exe), *args], env=env, timeout=300, check=False)
        if result.returncode != 0:
            raise SystemExit(f"{exe.name} {' '.join(args)} exited {result.returncode}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build QI Capture with build.spec")
    parser.add_argument("--distpath", type=Path, default=ROOT / "dist")
    parser.add_argument("--workpath", type=Path, default=ROOT / "build")
    parser.add_argument("--smoke", action="store_true",
                        help="run the packaged --version and --self-test afterwards")
    args = parser.parse_args(argv)
    dist = args.distpath.resolve()
    info_file = dist / "build-info.json"
    info_file.unlink(missing_ok=True)
    start = time.monotonic()
    build(dist, args.workpath.resolve())
    folder = app_folder(dist)
    size = folder_size(folder)
    info = {
        "version": subprocess.run([sys.executable, "-c", "import qi_capture as q; "
                                   "print(q.__version__)"], capture_output=True, text=True,
                                  check=True, cwd=ROOT).stdout.strip(),
        "platform": f"{platform.system()} {platform.machine()}",
        "folder": str(folder),
        "size_bytes": size,
        "size_mib": round(size / 2**20, 1),
        "build_seconds": round(time.monotonic() - start, 1),
        "largest": dict(largest(folder)),
    }
    print(f"{folder}: {info['size_mib']} MiB ({size / 1e6:.1f} MB) in "
          f"{info['build_seconds']} s")
    for name, part in largest(folder):
        print(f"  {part / 2**20:7.1f} MiB  {name}")
    if args.smoke:
        smoke(dist)
    info_file.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
