"""``qi-capture self-test [--json] [--keep]``: check this installation end to end.

Runs `qi_capture.selftest.run_self_test` in a temporary folder (never the profiles in the
data folder), prints the report and exits 0 when every check passed, 1 otherwise. The
packaged app runs the same function for ``"QI Capture" --self-test``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from qi_capture.selftest import run_self_test


def register(groups: Any) -> None:
    command = groups.add_parser(
        "self-test",
        help="check this installation (temporary profile, encryption, a form, a record)",
    )
    command.add_argument("--json", action="store_true", help="print the report as JSON")
    command.add_argument("--keep", action="store_true",
                         help="keep the temporary profile folder (for diagnosis)")
    command.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # --data-dir only says where the temporary folder goes; the real profiles are never used.
    report = run_self_test(work_dir=args.data_dir, keep=args.keep)
    print(report.to_json() if args.json else report.to_text())
    if not report.ok and not args.json:
        print("self-test failed: see the steps above", file=sys.stderr)
    return report.exit_code
