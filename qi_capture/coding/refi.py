"""REFI-QDA 1.5 exchange, written: a project (``.qdpx``: a zip of ``project.qde`` and
``sources/``) and a codebook (``.qdc``), with lxml.

GUIDs are the store's own (codes, passages as ``PlainTextSelection``, codings, memos as
``Note``, coders as ``User``), a source's is its interview's record id, and cases and
variables have guids derived from the study, so exporting again gives the same GUIDs and
the analyst's tool updates what it has instead of duplicating it.

One ``TextSource`` per interview, its text in ``sources/<guid>.txt`` (UTF-8,
`qi_capture.coding.source` lays it out), and one ``AudioSource`` per interview whose
recording has coded stretches (``AudioSelection``, ``begin``/``end`` in milliseconds; its
guid derived from the record id, its path where ``export --attachments`` writes the file,
which is not put in the .qdpx); one ``Case`` per interview with its stakeholder
group and footprint as text variables. Retired codes go out as not codable (so their
guids stay known); merged ones do not go out at all (their codings moved).
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from lxml import etree

from qi_capture.coding.model import Code, Coder, Memo

PROJECT_NS = "urn:QDA-XML:project:1.0"
CODEBOOK_NS = "urn:QDA-XML:codebook:1.0"
ORIGIN = "QI Capture"
_NAMESPACE = uuid.UUID("0b0e1d3c-5a4e-4f7e-8d25-8f3b62c1a9e4")


def derived_guid(study_id: str, kind: str, key: str = "") -> uuid.UUID:
    """A stable guid for what the store has no row for (cases, variables, the project)."""
    return uuid.uuid5(_NAMESPACE, f"{study_id}\n{kind}\n{key}")


#: A coding as a selection carries it: (coding guid, code guid, coder name).
SelectionCoding = tuple[uuid.UUID, uuid.UUID, str]


@dataclass(frozen=True)
class ExportSource:
    """One interview as a source: its guid (the record id), name, text, variables
    (name -> value) and its codings with positions already in source coordinates."""

    guid: uuid.UUID
    name: str
    text: str
    variables: Mapping[str, str]
    #: (passage guid, source start, source end, its codings as (coding guid, code guid,
    #: coder name), memo guid or None)
    selections: Sequence[Selection] = field(default_factory=tuple)
    audio: ExportAudio | None = None


#: A passage as a selection carries it: (passage guid, start, end, its codings, memo
#: guid or None); characters of the source's text, or milliseconds of a recording.
Selection = tuple[uuid.UUID, int, int, Sequence[SelectionCoding], uuid.UUID | None]


@dataclass(frozen=True)
class ExportAudio:
    """An interview's recording as an ``AudioSource``: its guid, name, path (relative to
    the export folder) and its coded stretches (milliseconds)."""

    guid: uuid.UUID
    name: str
    path: str
    selections: Sequence[Selection]


def audio_guid(study_id: str, record_id: uuid.UUID) -> uuid.UUID:
    """The guid of an interview's recording as a source (stable across exports)."""
    return derived_guid(study_id, "audio", str(record_id))


def clock_ms(ms: int) -> str:
    """``m:ss`` of a time in milliseconds (an audio selection's name)."""
    seconds = ms // 1000
    return f"{seconds // 60}:{seconds % 60:02d}"


def _g(guid: uuid.UUID) -> str:
    return str(guid)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _code_tree(parent: etree._Element, ns: str, codes: Sequence[Code],
               code_memos: Mapping[uuid.UUID, uuid.UUID], *, notes: bool) -> int:
    exported = [c for c in codes if c.merged_into is None]
    guids = {c.guid for c in exported}
    children: dict[uuid.UUID | None, list[Code]] = {}
    for c in exported:
        children.setdefault(c.parent if c.parent in guids else None, []).append(c)

    def put(into: etree._Element, code: Code, seen: frozenset[uuid.UUID]) -> None:
        el = etree.SubElement(into, f"{ns}Code", guid=_g(code.guid), name=code.name,
                              isCodable="false" if code.retired else "true",
                              color=code.colour)
        if code.description:
            etree.SubElement(el, f"{ns}Description").text = code.description
        if notes and code.guid in code_memos:
            etree.SubElement(el, f"{ns}NoteRef", targetGUID=_g(code_memos[code.guid]))
        for child in children.get(code.guid, []):
            if child.guid not in seen:
                put(el, child, seen | {code.guid})

    for top in children.get(None, []):
        put(parent, top, frozenset())
    return len(exported)


def codebook_xml(codes: Sequence[Code]) -> bytes:
    """A ``.qdc`` codebook (Codebook.xsd)."""
    ns = f"{{{CODEBOOK_NS}}}"
    root = etree.Element(f"{ns}CodeBook", nsmap={None: CODEBOOK_NS}, origin=ORIGIN)
    holder = etree.SubElement(root, f"{ns}Codes")
    _code_tree(holder, ns, codes, {}, notes=False)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8",
                                pretty_print=True))


def project_xml(*, study_id: str, name: str, coders: Sequence[Coder], codes: Sequence[Code],
                sources: Sequence[ExportSource], memos: Sequence[Memo],
                variables: Sequence[str], created: datetime) -> bytes:
    """``project.qde`` (Project.xsd) for sources whose texts go in ``sources/``."""
    ns = f"{{{PROJECT_NS}}}"
    users = {c.name: c.guid for c in coders}
    user_text = {name: _g(guid) for name, guid in users.items()}
    root = etree.Element(f"{ns}Project", nsmap={None: PROJECT_NS}, name=name, origin=ORIGIN,
                         creationDateTime=_stamp(created))
    if users:
        holder = etree.SubElement(root, f"{ns}Users")
        for coder in coders:
            etree.SubElement(holder, f"{ns}User", guid=_g(coder.guid), name=coder.name)
    code_memos = {m.code: m.guid for m in memos if m.code is not None}
    if any(c.merged_into is None for c in codes):
        book = etree.SubElement(root, f"{ns}CodeBook")
        _code_tree(etree.SubElement(book, f"{ns}Codes"), ns, codes, code_memos,
                   notes=True)
    var_guids = {v: derived_guid(study_id, "variable", v) for v in variables}
    if sources and variables:
        holder = etree.SubElement(root, f"{ns}Variables")
        for v in variables:
            etree.SubElement(holder, f"{ns}Variable", guid=_g(var_guids[v]), name=v,
                             typeOfVariable="Text")
        cases = etree.SubElement(root, f"{ns}Cases")
        for s in sources:
            case = etree.SubElement(cases, f"{ns}Case",
                                    guid=_g(derived_guid(study_id, "case", str(s.guid))),
                                    name=s.name)
            for v in variables:
                value = s.variables.get(v)
                if value is None:
                    continue
                vv = etree.SubElement(case, f"{ns}VariableValue")
                etree.SubElement(vv, f"{ns}VariableRef", targetGUID=_g(var_guids[v]))
                etree.SubElement(vv, f"{ns}TextValue").text = value
            etree.SubElement(case, f"{ns}SourceRef", targetGUID=_g(s.guid))
            if s.audio is not None:
                etree.SubElement(case, f"{ns}SourceRef", targetGUID=_g(s.audio.guid))
    if sources:
        holder = etree.SubElement(root, f"{ns}Sources")
        for s in sources:
            src = etree.SubElement(holder, f"{ns}TextSource", guid=_g(s.guid), name=s.name,
                                   plainTextPath=f"internal://{s.guid}.txt")
            for guid, start, end, codings, memo in s.selections:
                sel = etree.SubElement(
                    src, f"{ns}PlainTextSelection", guid=_g(guid),
                    name=s.text[start:end][:60], startPosition=str(start),
                    endPosition=str(end))
                if codings and codings[0][2] in users:
                    sel.set("creatingUser", user_text[codings[0][2]])
                _codings(sel, ns, codings, memo, user_text)
        # After every TextSource: the schema lists AudioSource after it.
        for s in sources:
            if s.audio is None:
                continue
            src = etree.SubElement(holder, f"{ns}AudioSource", guid=_g(s.audio.guid),
                                   name=s.audio.name, path=s.audio.path)
            for guid, begin, end, codings, memo in s.audio.selections:
                sel = etree.SubElement(
                    src, f"{ns}AudioSelection", guid=_g(guid),
                    name=f"{clock_ms(begin)}-{clock_ms(end)}", begin=str(begin),
                    end=str(end))
                if codings and codings[0][2] in users:
                    sel.set("creatingUser", user_text[codings[0][2]])
                _codings(sel, ns, codings, memo, user_text)
    if memos:
        holder = etree.SubElement(root, f"{ns}Notes")
        for m in memos:
            note = etree.SubElement(holder, f"{ns}Note", guid=_g(m.guid),
                                    name=m.text.splitlines()[0][:60] if m.text else "Memo")
            if m.author in users:
                note.set("creatingUser", _g(users[m.author]))
            etree.SubElement(note, f"{ns}PlainTextContent").text = m.text
    return bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8",
                                pretty_print=True))


def _codings(sel: etree._Element, ns: str, codings: Sequence[SelectionCoding],
             memo: uuid.UUID | None, user_text: Mapping[str, str]) -> None:
    for c_guid, c_code, c_coder in codings:
        cod = etree.SubElement(sel, f"{ns}Coding", guid=_g(c_guid))
        if c_coder in user_text:
            cod.set("creatingUser", user_text[c_coder])
        etree.SubElement(cod, f"{ns}CodeRef", targetGUID=_g(c_code))
    if memo is not None:
        etree.SubElement(sel, f"{ns}NoteRef", targetGUID=_g(memo))


def qdpx_bytes(project: bytes, sources: Sequence[ExportSource]) -> bytes:
    """The ``.qdpx`` zip: ``project.qde`` and ``sources/<guid>.txt``, with fixed dates so
    the same content gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("project.qde", (2020, 1, 1, 0, 0, 0)), project,
                         zipfile.ZIP_DEFLATED)
        for s in sources:
            archive.writestr(zipfile.ZipInfo(f"sources/{s.guid}.txt", (2020, 1, 1, 0, 0, 0)),
                             s.text.encode("utf-8"), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()
