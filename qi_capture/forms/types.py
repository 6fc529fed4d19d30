"""The question types: pyxform's type names -> QI Capture's canonical type and XForm data type.

pyxform de-aliases the ``type`` column (``int`` -> ``integer``, ``select one`` ...) but keeps
several legacy spellings; the compiled model stores one canonical name per type, spelled as
the XLSForm spec spells it (``select_one``, ``dateTime``, ``background-audio``), and the XForm
bind type (``string``, ``int``, ``dateTime``, ``binary``...) that says how values are stored.

``support`` says what a desktop can do with the type: "full"; "limited" (shown, but part of
it needs hardware or files we lack: barcode, background location, external selects), which
the loader reports as a named warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Support = Literal["full", "limited"]


@dataclass(frozen=True, slots=True)
class TypeInfo:
    canonical: str
    data_type: str
    #: Preload name for metadata types ("start", "today", "deviceid", ...), else None.
    preload: str | None = None
    support: Support = "full"
    #: Why support is limited (shown in the warning).
    note: str = ""


_T = TypeInfo

#: pyxform JSON ``type`` -> TypeInfo. Selects are keyed by pyxform's JSON names.
TYPES: dict[str, TypeInfo] = {
    "text": _T("text", "string"),
    "string": _T("text", "string"),
    "integer": _T("integer", "int"),
    "int": _T("integer", "int"),
    "decimal": _T("decimal", "decimal"),
    "range": _T("range", "int"),
    "select one": _T("select_one", "string"),
    "select all that apply": _T("select_multiple", "string"),
    "select one external": _T(
        "select_one_external", "string", support="limited",
        note="its choices live in an external itemsets.csv, which QI Capture does not "
             "load; it is answered as free text",
    ),
    "rank": _T("rank", "odk:rank"),
    "note": _T("note", "string"),
    "acknowledge": _T("acknowledge", "string"),
    "trigger": _T("acknowledge", "string"),
    "date": _T("date", "date"),
    "time": _T("time", "time"),
    "dateTime": _T("dateTime", "dateTime"),
    "datetime": _T("dateTime", "dateTime"),
    "calculate": _T("calculate", "string"),
    "hidden": _T("hidden", "string"),
    "photo": _T("image", "binary"),
    "image": _T("image", "binary"),
    "audio": _T("audio", "binary"),
    "video": _T("video", "binary"),
    "file": _T("file", "binary"),
    "background-audio": _T(
        "background-audio", "binary", support="limited",
        note="background recording needs a microphone; the field stays empty without one",
    ),
    "barcode": _T(
        "barcode", "barcode", support="limited",
        note="there is no scanner on a desktop; the code is typed in",
    ),
    "geopoint": _T("geopoint", "geopoint"),
    "location": _T("geopoint", "geopoint"),
    "gps": _T("geopoint", "geopoint"),
    "geotrace": _T("geotrace", "geotrace"),
    "geoshape": _T("geoshape", "geoshape"),
    "start": _T("start", "dateTime", preload="start"),
    "end": _T("end", "dateTime", preload="end"),
    "today": _T("today", "date", preload="today"),
    "deviceid": _T("deviceid", "string", preload="deviceid"),
    "imei": _T("deviceid", "string", preload="deviceid"),
    "phonenumber": _T("phonenumber", "string", preload="phonenumber"),
    "username": _T("username", "string", preload="username"),
    "email": _T("email", "string", preload="email"),
    "simserial": _T("simserial", "string", preload="simserial"),
    "subscriberid": _T("subscriberid", "string", preload="subscriberid"),
    "uri:deviceid": _T("deviceid", "string", preload="deviceid"),
    "uri:phonenumber": _T("phonenumber", "string", preload="phonenumber"),
    "uri:username": _T("username", "string", preload="username"),
    "uri:email": _T("email", "string", preload="email"),
    "uri:simserial": _T("simserial", "string", preload="simserial"),
    "uri:subscriberid": _T("subscriberid", "string", preload="subscriberid"),
    "start-geopoint": _T(
        "start-geopoint", "geopoint", preload="start-geopoint", support="limited",
        note="it records the device location, which a desktop usually lacks",
    ),
    "background-geopoint": _T(
        "background-geopoint", "geopoint", support="limited",
        note="it records the device location, which a desktop usually lacks",
    ),
    "audit": _T(
        "audit", "binary", support="limited",
        note="QI Capture keeps its own audit trail; no ODK audit log file is attached",
    ),
    "osm": _T(
        "osm", "binary", support="limited",
        note="OpenStreetMap tagging needs ODK's OSM widget; the field stays empty",
    ),
}

#: Types whose rows declare a secondary instance, not a field.
EXTERNAL_INSTANCE_TYPES = frozenset({"csv-external", "xml-external"})

#: Attachment extensions of select_*_from_file.
FILE_EXTENSIONS = (".csv", ".xml", ".geojson")

#: The XForm bind types a field can have.
DATA_TYPES = frozenset({
    "string", "int", "decimal", "date", "time", "dateTime", "geopoint", "geotrace",
    "geoshape", "binary", "barcode", "odk:rank",
})


def type_info(pyxform_type: str) -> TypeInfo | None:
    return TYPES.get(pyxform_type)
