"""The values an expression computes with.

- ``str``: every stored value is text (FORMS.md section 7); ``''`` is "unanswered".
- ``float``: XPath's only number type (NaN and +-Infinity included).
- ``bool``.
- ``datetime.date`` for ``date`` values (``date()``, ``today()``) and a time-zone-aware
  ``datetime.datetime`` for ``dateTime`` values (``now()``, ``date-time()``). As numbers a
  date is whole days since 1970-01-01 and a dateTime fractional UTC days; as text
  ``YYYY-MM-DD`` and ISO 8601 with milliseconds and offset.
- a node-set: a ``list`` of ``XNode`` in document order.

Plain Python types keep evaluation fast: a type check is ``type(v) is float``.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeAlias

from qi_capture.forms.expressions.context import XNode

NodeSet: TypeAlias = list[XNode]
Value: TypeAlias = str | float | bool | dt.date | dt.datetime | NodeSet

__all__ = ["NodeSet", "Value"]
