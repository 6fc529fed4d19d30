"""QI Capture core: forms, encrypted storage, bundles, merge, export. Never imports Qt."""

from __future__ import annotations

__version__ = "0.1.0"
