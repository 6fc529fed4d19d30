"""Which question plays which part in a report: the respondent's footprint,
organisation type and role, names that identify someone, "other, specify" texts,
key quotes. Found by the names the built-in study (and the forms written after it)
use, so any form that follows them gets the same report."""

from __future__ import annotations

import re

from qi_capture.export.model import Column, Table

FOOTPRINT = ("footprint",)
ORG_TYPE = ("org_type", "organisation_type")
ROLE = ("role", "participant_role")
ORG_NAME = ("org_name", "organisation", "organisation_name")
CONSENT_QUOTES = ("consent_quotes",)

#: Text questions never listed: they name a person or an organisation, or hold the
#: interviewer's own impressions.
_IDENTIFYING = re.compile(r"(^|_)(name|names|org|organisation|email|phone|address|"
                          r"postcode|reflections)(_|$)")
#: Question types that are metadata, not questions put to anyone.
METADATA_TYPES = frozenset({"start", "end", "today", "deviceid", "username", "phonenumber",
                            "simserial", "subscriberid", "audit", "calculate", "hidden"})


def named(table: Table, names: tuple[str, ...]) -> Column | None:
    """The table's value column whose question is called one of ``names`` (first wins)."""
    for name in names:
        for column in table.columns:
            if column.kind == "value" and column.element is not None and \
                    column.element.name == name:
                return column
    return None


def identifying(column: Column) -> bool:
    return column.element is not None and bool(_IDENTIFYING.search(column.element.name))


def other_of(column: Column, table: Table) -> Column | None:
    """The select question a text question says "other, specify" for: named
    ``<select>_other``, or relevant only when that select's answer is 'other'."""
    element = column.element
    if element is None or column.vtype != "text":
        return None
    relevant = element.relevant.source if element.relevant is not None else ""
    for candidate in table.columns:
        target = candidate.element
        if candidate.kind != "value" or target is None or \
                candidate.vtype not in ("select_one", "select_multiple"):
            continue
        if not any(c.name == "other" for c in candidate.choices):
            continue
        if element.name == f"{target.name}_other" or (
                f"${{{target.name}}}" in relevant and "'other'" in relevant):
            return candidate
    return None


def key_quote(column: Column) -> bool:
    return column.element is not None and column.element.name.startswith("key_quote")
