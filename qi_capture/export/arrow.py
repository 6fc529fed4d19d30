"""pyarrow, where it is installed.

The packaged app leaves pyarrow out: it is about 170 MB, more than the rest of the app,
and the size budget is 250 MB. Without it the table builder takes pandas' paths (slower,
same tables) and a Parquet export is refused before anything is written
(`ParquetUnavailable`); with the Python install every format works."""

from __future__ import annotations

from typing import Any

# Typed loosely: pyarrow ships no type hints, and None means "not installed".
pa: Any = None
pc: Any = None
pq: Any = None
try:
    import pyarrow as _pa  # type: ignore[import-untyped]
    import pyarrow.compute as _pc  # type: ignore[import-untyped]
    import pyarrow.parquet as _pq  # type: ignore[import-untyped]
except ImportError:  # the packaged app
    pass
else:
    pa, pc, pq = _pa, _pc, _pq


def available() -> bool:
    return pa is not None
