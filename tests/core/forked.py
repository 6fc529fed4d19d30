"""A forked child process for the kill -9 tests of the store and the services."""

from __future__ import annotations

import contextlib
import os
import signal
import traceback
from collections.abc import Callable


class Child:
    """A forked child process (it inherits the imported modules, so each run starts in
    milliseconds instead of re-importing SQLAlchemy). Its prints arrive through a pipe."""

    def __init__(self, work: Callable[[Callable[[str], None]], None]) -> None:
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never return into pytest
            os.close(read_fd)
            code = 0
            try:
                out = os.fdopen(write_fd, "w", buffering=1)

                def say(line: str) -> None:
                    out.write(line + "\n")
                    out.flush()

                work(say)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(write_fd)
        self.pid = pid
        self.stdout = os.fdopen(read_fd, "r")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)

    def wait(self) -> tuple[int, list[str]]:
        """(wait status as returncode: negative signal number or exit code, remaining lines)."""
        lines = self.stdout.read().splitlines()
        self.stdout.close()
        _pid, status = os.waitpid(self.pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        return code, lines
