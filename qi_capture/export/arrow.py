"""pyarrow and Polars, where they are installed.

The packaged app leaves pyarrow out: it is about 170 MB, more than the rest of the app,
and the size budget is 250 MB. Without it the table builder takes pandas' paths (slower,
same tables) and a Parquet export is refused before anything is written
(`ParquetUnavailable`); with the Python install every format works.

Polars (about as large) is left out with it. It is only how an SPSS or Stata file is
handed to pyreadstat when its batches are Arrow tables: pyreadstat takes each cell from a Polars
frame at about two thirds of the cost of a pandas one (pandas boxes every number
through `ndarray.item` and asks `pd.isna` of every cell). The file is the same."""

from __future__ import annotations

import functools
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


@functools.cache
def polars() -> Any:
    """The polars module, or None (imported on first use: it takes a while to load)."""
    if pa is None:
        return None
    try:
        import polars as pl
    except ImportError:
        return None
    return pl
