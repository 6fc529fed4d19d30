"""What the console's Results page draws, at the admin door: the report's chart values
and the few text helpers that word them as the report does, re-exported so the UI
imports services only (the import-linter contract "The UI talks to services only")."""

from qi_capture.report.aggregate import Aggregator
from qi_capture.report.model import Chart
from qi_capture.report.theme_table import SPREADS, spread_name, theme_table

#: The missing-answers note under a chart, worded as the report words it.
missing_text = Aggregator.missing_text

__all__ = ["SPREADS", "Chart", "missing_text", "spread_name", "theme_table"]
