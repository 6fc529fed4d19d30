"""The results report of one study: who answered, every question charted as its type
asks, breakdowns, what we heard in the interviews, a methods note; with disclosure
control (no count under the minimum cell size anywhere).

Computed from the export layer's tables (`frames`), never from storage; the numbers are
values (`model.Report`, written as ``results.json``) that every output draws from:
``report.html`` (`webpage`), ``report.pdf`` (`pdf`), ``report.pptx`` (`slides`), all
through one set of charts (`charts`, matplotlib). pandas and matplotlib load only when a
report is made.
"""

from __future__ import annotations
