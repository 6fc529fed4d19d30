"""QI Capture desktop entry point: arguments -> logging -> QApplication -> first window.

``--version`` prints the version without loading Qt; ``--cli ...`` runs the headless CLI
(the packaged app ships it this way).
"""

from __future__ import annotations

import argparse
import sys


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="qi-capture-app", description="QI Capture desktop app")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    parser.add_argument(
        "--data-dir", help="folder holding the profiles (default: per-user app data)"
    )
    parser.add_argument(
        "--self-test", action="store_true",
        help="check this installation with a temporary profile, print a report and exit 0/1",
    )
    args, _qt_args = parser.parse_known_args(argv)
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--cli"]:
        from qi_capture.cli import main as cli_main

        return cli_main(argv[1:])
    args = parse_args(argv)
    if args.version:
        from qi_capture import __version__

        print(f"QI Capture {__version__}")
        return 0
    if args.self_test:
        from qi_capture.selftest import run_self_test

        report = run_self_test(work_dir=args.data_dir)
        print(report.to_text())
        return report.exit_code
    from ui.app import run

    return run([sys.argv[0], *argv])


if __name__ == "__main__":
    # The results report draws its slides in a second process (spawned): in the packaged
    # app that process is this executable again, which must know it is one.
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
