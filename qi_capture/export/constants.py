"""What exports offer and warn, without pandas: the CLI (and a future admin console) list
formats and show the warning without paying pandas' import time."""

from __future__ import annotations

FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")

NOT_ENCRYPTED = (
    "WARNING: the exported files are NOT encrypted. They hold the answers in plain form: "
    "keep them on encrypted storage, share them only as your data-protection rules allow, "
    "and delete them when the analysis is done."
)
