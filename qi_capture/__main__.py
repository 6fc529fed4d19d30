"""``python -m qi_capture``: the headless command line (same as the ``qi-capture`` script)."""

from __future__ import annotations

from qi_capture.cli import main

raise SystemExit(main())
