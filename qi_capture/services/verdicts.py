"""What a front end needs to word a failure without importing the engine's error classes:
which core errors are about what the user gave (the command line's exit 1, "fix your
input") rather than about the place it runs (exit 2), the issues of a form that cannot
be loaded, and the one line a failing database may show.

The command line uses it; the GUI maps error codes to messages itself.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

from qi_capture.coding.errors import CodebookCsvInvalid, ExchangeInvalid
from qi_capture.crypto.errors import RecoveryKeyInvalid, WeakPassphrase
from qi_capture.errors import QICaptureError
from qi_capture.forms import FormError
from qi_capture.forms.errors import FILE_UNREADABLE
from qi_capture.forms.session import AnswerError
from qi_capture.report.errors import InvitedListInvalid
from qi_capture.services.errors import CannotFinalise, ProfileNameTaken
from qi_capture.storage.errors import FormVersionConflict, InvalidAnswerValue

#: Errors about what the user gave; every other core error is about the place it runs.
_INVALID_INPUT: tuple[type[QICaptureError], ...] = (
    WeakPassphrase,
    AnswerError,
    CannotFinalise,
    ProfileNameTaken,
    FormVersionConflict,
    InvalidAnswerValue,
    RecoveryKeyInvalid,
    # Files from elsewhere that were read and found wrong (the file exists: not usage).
    InvitedListInvalid,
    ExchangeInvalid,
    CodebookCsvInvalid,
)


def is_invalid_input(error: QICaptureError) -> bool:
    """Whether ``error`` says the input was refused (a form that cannot be read at all
    is not: the file is the problem, not its content)."""
    if isinstance(error, FormError):
        return not any(issue.code == FILE_UNREADABLE for issue in error.errors)
    return isinstance(error, _INVALID_INPUT)


def form_issues(error: QICaptureError) -> tuple[tuple[str, str], ...]:
    """A form error's issues as (sheet/row/column, message); empty for other errors."""
    if not isinstance(error, FormError):
        return ()
    return tuple(("/".join(str(p) if p else "-" for p in (i.sheet, i.row, i.column)),
                  i.message) for i in error.errors)


def database_failure(error: BaseException) -> str | None:
    """For a database failing mid-command (a PostgreSQL server gone, a role without a
    right): the server's first line only, never the statement or its parameters (which
    may hold answers). None when ``error`` is something else."""
    if not isinstance(error, DBAPIError):
        return None
    text = str(error.orig) if error.orig is not None else type(error).__name__
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line[:300] or type(error.orig or error).__name__
