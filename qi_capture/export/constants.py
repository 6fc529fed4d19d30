"""What exports offer and warn, without pandas: the CLI (and a future admin console) list
formats and show the warning without paying pandas' import time."""

from __future__ import annotations

from dataclasses import dataclass

FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")

NOT_ENCRYPTED = (
    "WARNING: the exported files are NOT encrypted. They hold the answers in plain form: "
    "keep them on encrypted storage, share them only as your data-protection rules allow, "
    "and delete them when the analysis is done."
)

HEADERS = ("names", "labels")
VALUES = ("names", "labels")

#: SPSS user-missing codes of numeric variables (selects, 0/1 choice columns, numbers):
#: a question the record's path skipped (not relevant, or not in its form version) and a
#: question that was shown but left empty. Both are declared missing in the file.
SPSS_NOT_ASKED = -999999998.0
SPSS_LEFT_BLANK = -999999999.0
#: Stata extended missing values for the same two cases.
STATA_NOT_ASKED = "a"
STATA_LEFT_BLANK = "b"
NOT_ASKED_LABEL = "not asked (not relevant or not in this form version)"
LEFT_BLANK_LABEL = "left blank"


@dataclass(frozen=True)
class ExportOptions:
    """How columns are named and values written (Kobo's export options, by another name).

    ``headers``: column headers as the form's names or its labels (csv, xlsx, parquet).
    ``values``: select answers as choice names or choice labels (csv, xlsx, parquet;
    SPSS and Stata always hold codes with value labels).
    ``group_prefix``: name columns by their whole path (``group/field``).
    ``csv_raw``: write CSV cells exactly as entered, without neutralising cells a
    spreadsheet would run as a formula (the default neutralises them).
    """

    headers: str = "names"
    values: str = "names"
    group_prefix: bool = False
    csv_raw: bool = False

    def __post_init__(self) -> None:
        if self.headers not in HEADERS:
            raise ValueError(f"headers must be one of {', '.join(HEADERS)}")
        if self.values not in VALUES:
            raise ValueError(f"values must be one of {', '.join(VALUES)}")
