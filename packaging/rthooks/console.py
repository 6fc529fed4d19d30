"""PyInstaller runtime hook (runs before main.py inside the packaged app only).

On Windows the app is built windowed (no console window flashes up when staff start it),
so Windows starts it without a console and Python's ``sys.stdout``/``sys.stderr`` are
None. When an administrator runs ``"QI Capture.exe" --cli ...`` (or ``--version``,
``--self-test``, ``--help``) from cmd.exe or PowerShell, we attach to the console of the
parent process with ``AttachConsole(ATTACH_PARENT_PROCESS)`` and reopen the standard
streams on it, so output and prompts appear where the command was typed.

Two things Windows decides that no program can change: cmd.exe does not wait for a
windowed program, so the prompt comes back at once and the output lands after it, and
``%ERRORLEVEL%`` is not set. Use ``start /wait "" "QI Capture.exe" --cli ...`` in cmd, or
``Start-Process -Wait -NoNewWindow -PassThru`` in PowerShell, to wait and read the exit
code. When the output is redirected (a pipe or a file, as in CI) the streams are already
valid and nothing is changed.
"""

import sys
from pathlib import Path

_CONSOLE_ARGS = ("--cli", "--version", "--self-test", "--help", "-h")


def _attach_parent_console() -> None:
    import ctypes

    ATTACH_PARENT_PROCESS = -1
    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    if not kernel32.AttachConsole(ATTACH_PARENT_PROCESS):
        return  # started from Explorer or a shortcut: there is no console to attach to
    if sys.stdout is None:
        sys.stdout = Path("CONOUT$").open("w", encoding="utf-8", errors="replace")  # noqa: SIM115
    if sys.stderr is None:
        sys.stderr = Path("CONOUT$").open("w", encoding="utf-8", errors="replace")  # noqa: SIM115
    if sys.stdin is None:
        sys.stdin = Path("CONIN$").open(encoding="utf-8", errors="replace")  # noqa: SIM115


if (
    sys.platform == "win32"
    and any(arg in _CONSOLE_ARGS for arg in sys.argv[1:2])
    and (sys.stdout is None or sys.stderr is None)
):
    _attach_parent_console()
