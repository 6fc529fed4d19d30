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


#: pyxform JSON ``type`` -> TypeInfo. Selects are keyed by pyxform's JSON names.
TYPES: dict[str, TypeInfo] = {
    "text": TypeInfo("text", "string"),
    "string": TypeInfo("text", "string"),
    "integer": TypeInfo("integer", "int"),
    "int": TypeInfo("integer", "int"),
    "decimal": TypeInfo("decimal", "decimal"),
    "range": TypeInfo("range", "int"),
    "select one": TypeInfo("select_one", "string"),
    "select all that apply": TypeInfo("select_multiple", "string"),
    "select one external": TypeInfo(
        "select_one_external", "string", support="limited",
        note="its choices live in an external itemsets.csv, which QI Capture does not "
             "load; it is answered as free text",
    ),
    "rank": TypeInfo("rank", "odk:rank"),
    "note": TypeInfo("note", "string"),
    "acknowledge": TypeInfo("acknowledge", "string"),
    "trigger": TypeInfo("acknowledge", "string"),
    "date": TypeInfo("date", "date"),
    "time": TypeInfo("time", "time"),
    "dateTime": TypeInfo("dateTime", "dateTime"),
    "datetime": TypeInfo("dateTime", "dateTime"),
    "calculate": TypeInfo("calculate", "string"),
    "hidden": TypeInfo("hidden", "string"),
    "photo": TypeInfo("image", "binary"),
    "image": TypeInfo("image", "binary"),
    "audio": TypeInfo("audio", "binary"),
    "video": TypeInfo("video", "binary"),
    "file": TypeInfo("file", "binary"),
    "background-audio": TypeInfo(
        "background-audio", "binary", support="limited",
        note="background recording needs a microphone; the field stays empty without one",
    ),
    "barcode": TypeInfo(
        "barcode", "barcode", support="limited",
        note="there is no scanner on a desktop; the code is typed in",
    ),
    "geopoint": TypeInfo("geopoint", "geopoint"),
    "location": TypeInfo("geopoint", "geopoint"),
    "gps": TypeInfo("geopoint", "geopoint"),
    "geotrace": TypeInfo("geotrace", "geotrace"),
    "geoshape": TypeInfo("geoshape", "geoshape"),
    "start": TypeInfo("start", "dateTime", preload="start"),
    "end": TypeInfo("end", "dateTime", preload="end"),
    "today": TypeInfo("today", "date", preload="today"),
    "deviceid": TypeInfo("deviceid", "string", preload="deviceid"),
    "imei": TypeInfo("deviceid", "string", preload="deviceid"),
    "phonenumber": TypeInfo("phonenumber", "string", preload="phonenumber"),
    "username": TypeInfo("username", "string", preload="username"),
    "email": TypeInfo("email", "string", preload="email"),
    "simserial": TypeInfo("simserial", "string", preload="simserial"),
    "subscriberid": TypeInfo("subscriberid", "string", preload="subscriberid"),
    "uri:deviceid": TypeInfo("deviceid", "string", preload="deviceid"),
    "uri:phonenumber": TypeInfo("phonenumber", "string", preload="phonenumber"),
    "uri:username": TypeInfo("username", "string", preload="username"),
    "uri:email": TypeInfo("email", "string", preload="email"),
    "uri:simserial": TypeInfo("simserial", "string", preload="simserial"),
    "uri:subscriberid": TypeInfo("subscriberid", "string", preload="subscriberid"),
    "start-geopoint": TypeInfo(
        "start-geopoint", "geopoint", preload="start-geopoint", support="limited",
        note="it records the device location, which a desktop usually lacks",
    ),
    "background-geopoint": TypeInfo(
        "background-geopoint", "geopoint", support="limited",
        note="it records the device location, which a desktop usually lacks",
    ),
    "audit": TypeInfo(
        "audit", "binary", support="limited",
        note="QI Capture keeps its own audit trail; no ODK audit log file is attached",
    ),
    "osm": TypeInfo(
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
