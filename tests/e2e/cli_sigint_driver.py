"""``python -m tests.e2e.cli_sigint_driver AT PRESSES ARGS...``: the command line, as
``python -m qi_capture ARGS...`` runs it, with Ctrl+C pressed at a known moment: a real
SIGINT sent to this process (``PRESSES`` times in a row) when the long command's progress
first reports ``AT`` units done. A test cannot time a keypress between two bundles any
other way; the signal, its handler and the services' cancel tokens are the real ones."""

from __future__ import annotations

import signal
import sys
import threading
import time

from qi_capture.cli import main, terminal


def run(at: int, presses: int, argv: list[str]) -> int:
    report = terminal.Work.progress
    pressed = False

    def progress(self: terminal.Work, done: int, total: int, message: str = "") -> None:
        nonlocal pressed
        report(self, done, total, message)
        if done >= at and not pressed:
            pressed = True
            # To the main thread, as a terminal's Ctrl+C reaches it (the export reports
            # from its reader thread); then wait until the handler has heard it, as it
            # would long before the next unit of a large job.
            main_thread = threading.main_thread().ident
            assert main_thread is not None
            signal.pthread_kill(main_thread, signal.SIGINT)
            deadline = time.monotonic() + 10
            while not self.cancel.is_cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)
            for _ in range(presses - 1):
                signal.pthread_kill(main_thread, signal.SIGINT)

    terminal.Work.progress = progress  # type: ignore[method-assign]
    return main(argv)


if __name__ == "__main__":
    raise SystemExit(run(int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]))
