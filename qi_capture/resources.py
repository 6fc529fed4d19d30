"""Finds the ``resources/`` folder from the source tree and inside a PyInstaller build.

PyInstaller unpacks data files under ``sys._MEIPASS``; from source they sit beside the
``qi_capture`` package. Everything that reads a resource goes through ``resource_path``.
"""

from __future__ import annotations

import sys
from pathlib import Path


def resources_root() -> Path:
    bundle_dir = getattr(sys, "_MEIPASS", None)
    if bundle_dir is not None:
        return Path(bundle_dir) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a file under ``resources/``; raises FileNotFoundError naming it if absent."""
    path = resources_root().joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"resource not found: {'/'.join(parts)} (looked in {path})")
    return path
