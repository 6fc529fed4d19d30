"""Logging setup: one rotating file in the log folder, ids and counts only.

Code logs record ids, form version numbers and counts, never answers, names,
passphrases or keys. `RedactingFilter` is the belt to those braces: it replaces any
argument that does not look like an id or a number, and drops exception texts and
tracebacks (an exception message may quote an answer), keeping only the exception's type.
Only the ``qi_capture`` logger tree writes there, so third-party loggers (SQLAlchemy's
statement echo with its parameters) never reach the file.
"""

from __future__ import annotations

import logging
import os
import re
import uuid
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from qi_capture.fileperms import PRIVATE_FILE_MODE, private_dir
from qi_capture.paths import log_dir

LOG_FILE = "qi-capture.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
REDACTED = "<redacted>"
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:@+/-]{0,80}$")
_HANDLER_NAME = "qi_capture.file"


def _safe(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | uuid.UUID):
        return value
    if isinstance(value, str) and _SAFE_TEXT.match(value):
        return value
    return REDACTED


class RedactingFilter(logging.Filter):
    """Keeps numbers and id-like arguments; redacts other text; drops exception texts."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            record.msg, record.args = REDACTED, None
        elif isinstance(record.args, tuple):
            record.args = tuple(_safe(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _safe(v) for k, v in record.args.items()}
        if record.exc_info:
            exc_type = record.exc_info[0]
            name = exc_type.__name__ if exc_type is not None else "exception"
            code = getattr(record.exc_info[1], "code", None)
            record.msg = f"{record.msg} [{name}{f' {code}' if isinstance(code, str) else ''}]"
            record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """Log files created 0600 (POSIX), the first one and each one after a rotation."""

    def _open(self) -> Any:
        return open(
            self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors,
            opener=lambda name, flags: os.open(name, flags, PRIVATE_FILE_MODE),
        )


def setup_logging(data_dir: str | Path | None = None, *, level: int = logging.INFO) -> Path:
    """Send the ``qi_capture`` loggers to ``<log dir>/qi-capture.log`` (rotating);
    returns the file's path. Calling it again replaces the handler."""
    folder = private_dir(log_dir(data_dir), parents=True)
    path = folder / LOG_FILE
    logger = logging.getLogger("qi_capture")
    for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
        logger.removeHandler(old)
        old.close()
    handler = _PrivateRotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS,
                                          encoding="utf-8", delay=True)
    handler.set_name(_HANDLER_NAME)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
    return path
