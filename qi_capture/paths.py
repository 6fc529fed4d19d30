"""Where QI Capture keeps its files.

Data lives under the platform's local application-data folder (never Documents or
Desktop, which OneDrive may sync while a database is open). ``--data-dir`` overrides
it for tests, development and IT-managed installs.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

APP_NAME = "QI Capture"
APP_AUTHOR = "QI Capture"


def data_dir(override: str | Path | None = None) -> Path:
    """The folder holding every profile (one sub-folder each)."""
    if override is not None:
        return Path(override).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR, roaming=False))


def log_dir(override: str | Path | None = None) -> Path:
    """Logs hold ids and counts only, never answers, names, passphrases or keys."""
    if override is not None:
        return data_dir(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))
