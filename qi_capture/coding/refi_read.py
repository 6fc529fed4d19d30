"""REFI-QDA 1.5 exchange, read: a ``.qdpx`` project or a ``.qdc`` codebook from another
tool (or from us), as plain values, checked before anything is changed.

Import is hostile input, so reading is bounded and strict:

* the zip: at most `MAX_MEMBERS` members, each read at most `MAX_MEMBER` bytes (however
  large its header claims it is; a member that inflates beyond it, or beyond
  `MAX_RATIO` times its compressed size, is refused as a zip bomb), `MAX_TOTAL` bytes
  in all;
* sources named ``internal://NAME``: NAME must be a plain file name inside
  ``sources/`` (no folders, no ``..``, no absolute path); external sources are refused;
* XML: lxml without entity resolution, DTD loading or network access, any DOCTYPE
  refused, at most `MAX_XML` bytes, lxml's own depth and text-size limits kept;
* GUIDs must be GUIDs; every reference (code, user, note) must name something in the
  file; selections must lie inside their source's text; an ``AudioSelection``'s
  ``begin`` and ``end`` are whole milliseconds, begin before end, at most `MAX_AUDIO_MS`
  (the recording itself is not read: it is not in the .qdpx).

Each failure is an `ExchangeInvalid` naming the file, the place and the problem.
"""

from __future__ import annotations

import re
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from qi_capture.coding.errors import ExchangeInvalid
from qi_capture.coding.refi import CODEBOOK_NS, PROJECT_NS

MAX_MEMBERS = 20_000
MAX_MEMBER = 64 * 1024 * 1024
MAX_TOTAL = 512 * 1024 * 1024
MAX_RATIO = 200
MAX_XML = 64 * 1024 * 1024
#: The longest recording an audio selection may reach into (a day, in milliseconds).
MAX_AUDIO_MS = 24 * 3600 * 1000
_GUID = re.compile(r"^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                   r"[0-9a-fA-F]{12})\}?$")
#: What a damaged zip raises while it is opened or unpacked (a bad deflate stream is a
#: zlib.error; a bad header a BadZipFile, ValueError or EOFError; encryption a RuntimeError).
_UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, OSError, RuntimeError, NotImplementedError,
                  ValueError, EOFError)
_COLOUR = re.compile(r"^#([0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


@dataclass(frozen=True)
class ReadCode:
    guid: uuid.UUID
    name: str
    description: str
    colour: str | None
    parent: uuid.UUID | None
    codable: bool
    note: uuid.UUID | None = None


@dataclass(frozen=True)
class ReadCoding:
    guid: uuid.UUID
    code: uuid.UUID
    user: uuid.UUID | None


@dataclass(frozen=True)
class ReadSelection:
    guid: uuid.UUID
    start: int
    end: int
    user: uuid.UUID | None
    codings: tuple[ReadCoding, ...]
    notes: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class ReadSource:
    guid: uuid.UUID
    name: str
    text: str
    selections: tuple[ReadSelection, ...]


@dataclass(frozen=True)
class ReadAudioSource:
    """A recording with coded stretches: its selections' start and end are
    milliseconds."""

    guid: uuid.UUID
    name: str
    selections: tuple[ReadSelection, ...]


@dataclass(frozen=True)
class ReadNote:
    guid: uuid.UUID
    text: str
    user: uuid.UUID | None


@dataclass(frozen=True)
class ReadProject:
    users: dict[uuid.UUID, str]
    codes: tuple[ReadCode, ...]
    sources: tuple[ReadSource, ...]
    notes: dict[uuid.UUID, ReadNote]
    #: Sources that are neither plain text nor audio (PDF, pictures, video): not imported.
    other_sources: int
    audio_sources: tuple[ReadAudioSource, ...] = ()


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> ExchangeInvalid:
        return ExchangeInvalid(self.file, where, problem)

    def xml(self, data: bytes, where: str) -> etree._Element:
        if len(data) > MAX_XML:
            raise self.fail(where, f"the XML is {len(data)} bytes, more than the "
                                   f"{MAX_XML} imported")
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                 dtd_validation=False, huge_tree=False, remove_pis=True)
        try:
            root = etree.fromstring(data, parser)
        except etree.XMLSyntaxError as exc:
            raise self.fail(where, f"it is not well-formed XML ({exc.msg})") from None
        tree = root.getroottree()
        if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
            raise self.fail(where, "it declares a DOCTYPE (entities are not accepted in an "
                                   "exchange file)")
        return root

    def guid(self, el: etree._Element, attr: str, where: str, *,
             required: bool = True) -> uuid.UUID | None:
        raw = el.get(attr)
        if raw is None:
            if required:
                raise self.fail(where, f"<{_local(el)}> has no {attr}")
            return None
        match = _GUID.match(raw.strip())
        if match is None:
            raise self.fail(where, f"{attr}={raw[:60]!r} of <{_local(el)}> is not a GUID")
        return uuid.UUID(match.group(1))

    def position(self, el: etree._Element, attr: str, where: str) -> int:
        raw = (el.get(attr) or "").strip()
        if not re.fullmatch(r"\d{1,12}", raw):
            raise self.fail(where, f"{attr}={raw[:30]!r} is not a character position")
        return int(raw)

    def millisecond(self, el: etree._Element, attr: str, where: str) -> int:
        raw = (el.get(attr) or "").strip()
        if not re.fullmatch(r"\d{1,9}", raw) or int(raw) > MAX_AUDIO_MS:
            raise self.fail(where, f"{attr}={raw[:30]!r} of <{_local(el)}> is not a time in "
                                   f"milliseconds from 0 to {MAX_AUDIO_MS}")
        return int(raw)

    def selection(self, sel: etree._Element, ns: str, where: str, start: int,
                  end: int) -> ReadSelection:
        """A selection's codings and notes (its place read by the caller)."""
        sg = self.guid(sel, "guid", where)
        assert sg is not None
        codings = []
        for cod in sel.iterfind(f"{ns}Coding"):
            cg = self.guid(cod, "guid", where)
            ref = cod.find(f"{ns}CodeRef")
            if ref is None:
                raise self.fail(where, f"coding {cg} has no CodeRef")
            code = self.guid(ref, "targetGUID", where)
            assert cg is not None and code is not None
            codings.append(ReadCoding(cg, code, self.guid(
                cod, "creatingUser", where, required=False)))
        refs = tuple(g for g in (self.guid(n, "targetGUID", where)
                                 for n in sel.iterfind(f"{ns}NoteRef"))
                     if g is not None)
        return ReadSelection(sg, start, end, self.guid(sel, "creatingUser", where,
                                                       required=False),
                             tuple(codings), refs)

    def audio(self, src: etree._Element, ns: str) -> ReadAudioSource:
        name = (src.get("name") or "")[:200]
        where = f"audio source {name[:60]!r}"
        guid = self.guid(src, "guid", where)
        assert guid is not None
        selections = []
        for sel in src.iterfind(f"{ns}AudioSelection"):
            begin = self.millisecond(sel, "begin", where)
            end = self.millisecond(sel, "end", where)
            if begin >= end:
                raise self.fail(where, f"audio selection {sel.get('guid', '')[:40]} runs "
                                       f"from {begin} ms to {end} ms: its begin must come "
                                       "before its end")
            selections.append(self.selection(sel, ns, where, begin, end))
        return ReadAudioSource(guid, name, tuple(selections))

    # -- codes ----------------------------------------------------------------------------
    def codes(self, holder: etree._Element | None, ns: str) -> list[ReadCode]:
        out: list[ReadCode] = []
        if holder is None:
            return out

        def walk(el: etree._Element, parent: uuid.UUID | None, depth: int) -> None:
            for code in el.findall(f"{ns}Code"):
                where = f"code {code.get('name', '')[:60]!r}"
                guid = self.guid(code, "guid", where)
                assert guid is not None
                name = (code.get("name") or "").strip()
                if not name:
                    raise self.fail(where, "a code has no name")
                colour = code.get("color")
                if colour is not None and not _COLOUR.match(colour):
                    raise self.fail(where, f"color={colour[:20]!r} is not #RRGGBB")
                if colour is not None and len(colour) == 4:
                    colour = "#" + "".join(ch * 2 for ch in colour[1:])
                desc = code.findtext(f"{ns}Description") or ""
                note_el = code.find(f"{ns}NoteRef")
                note = None if note_el is None else self.guid(note_el, "targetGUID", where)
                codable = (code.get("isCodable") or "true").strip().lower() in ("true", "1")
                out.append(ReadCode(guid, name[:200], desc, colour, parent, codable, note))
                walk(code, guid, depth + 1)

        walk(holder, None, 0)
        seen: set[uuid.UUID] = set()
        for c in out:
            if c.guid in seen:
                raise self.fail(f"code {c.name[:60]!r}", f"its GUID {c.guid} is used twice")
            seen.add(c.guid)
        return out


def _local(el: etree._Element) -> str:
    return str(etree.QName(el).localname)


def read_codebook(path: Path) -> list[ReadCode]:
    """The codes of a ``.qdc`` file (or of a project's codebook, given a ``.qde``)."""
    reader = _Reader(path.name)
    data = _bounded_file(reader, path)
    root = reader.xml(data, "the codebook")
    ns = f"{{{root.nsmap.get(None, CODEBOOK_NS)}}}"
    if _local(root) == "Project":
        book = root.find(f"{ns}CodeBook")
        return reader.codes(None if book is None else book.find(f"{ns}Codes"), ns)
    if _local(root) != "CodeBook":
        raise reader.fail("the codebook", f"its root is <{_local(root)}>, not <CodeBook>")
    return reader.codes(root.find(f"{ns}Codes"), ns)


def _bounded_file(reader: _Reader, path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_XML + 1)
    except OSError as exc:
        raise reader.fail("the file", f"it cannot be read ({exc.strerror})") from None
    if len(data) > MAX_XML:
        raise reader.fail("the file", f"it is larger than the {MAX_XML} bytes imported")
    return data


class _Zip:
    def __init__(self, reader: _Reader, path: Path) -> None:
        self.reader = reader
        self.total = 0
        try:
            self.archive = zipfile.ZipFile(path)
        except _UNPACK_ERRORS as exc:
            raise reader.fail("the file", f"it is not a .qdpx (zip) file ({exc})") from None
        infos = self.archive.infolist()
        if len(infos) > MAX_MEMBERS:
            self.archive.close()
            raise reader.fail("the file", f"it holds {len(infos)} files, more than the "
                                          f"{MAX_MEMBERS} imported")
        self.names = {i.filename: i for i in infos}

    def read(self, name: str) -> bytes:
        info = self.names.get(name)
        if info is None:
            raise self.reader.fail(name, "it is not in the .qdpx")
        limit = min(MAX_MEMBER, MAX_TOTAL - self.total,
                    max(1024 * 1024, info.compress_size * MAX_RATIO))
        try:
            with self.archive.open(info) as handle:
                data = handle.read(limit + 1)
        except _UNPACK_ERRORS as exc:
            raise self.reader.fail(name, f"it cannot be unpacked ({exc})") from None
        if len(data) > limit:
            raise self.reader.fail(name, "it unpacks to more than is imported (a zip bomb, "
                                         f"or over {MAX_MEMBER} bytes)")
        self.total += len(data)
        return data


def read_project(path: Path) -> ReadProject:
    """A ``.qdpx`` project: users, codes, text sources with their selections, notes."""
    reader = _Reader(path.name)
    z = _Zip(reader, path)
    with z.archive:
        qde = next((n for n in z.names if n.lower().endswith(".qde") and "/" not in n), None)
        if qde is None:
            raise reader.fail("the file", "it holds no project.qde")
        root = reader.xml(z.read(qde), qde)
        if _local(root) != "Project":
            raise reader.fail(qde, f"its root is <{_local(root)}>, not <Project>")
        ns = f"{{{root.nsmap.get(None, PROJECT_NS)}}}"
        users: dict[uuid.UUID, str] = {}
        for user in root.iterfind(f"{ns}Users/{ns}User"):
            guid = reader.guid(user, "guid", "users")
            assert guid is not None
            users[guid] = (user.get("name") or user.get("id") or str(guid))[:200]
        book = root.find(f"{ns}CodeBook")
        codes = reader.codes(None if book is None else book.find(f"{ns}Codes"), ns)
        notes: dict[uuid.UUID, ReadNote] = {}
        for note in root.iterfind(f"{ns}Notes/{ns}Note"):
            guid = reader.guid(note, "guid", "notes")
            assert guid is not None
            text = _source_text(reader, z, note, ns, f"note {guid}")
            notes[guid] = ReadNote(guid, text, reader.guid(note, "creatingUser", "notes",
                                                           required=False))
        sources = []
        audio: list[ReadAudioSource] = []
        other = 0
        holder = root.find(f"{ns}Sources")
        for src in ([] if holder is None else list(holder)):
            if not isinstance(src.tag, str):
                continue
            if _local(src) == "AudioSource":
                audio.append(reader.audio(src, ns))
                continue
            if _local(src) != "TextSource":
                other += 1
                continue
            name = (src.get("name") or "")[:200]
            where = f"source {name[:60]!r}"
            guid = reader.guid(src, "guid", where)
            assert guid is not None
            text = _source_text(reader, z, src, ns, where)
            selections = []
            for sel in src.iterfind(f"{ns}PlainTextSelection"):
                start = reader.position(sel, "startPosition", where)
                end = reader.position(sel, "endPosition", where)
                if not start <= end <= len(text):
                    raise reader.fail(where, f"selection {sel.get('guid', '')[:40]} runs "
                                             f"from {start} to {end}, outside the source's "
                                             f"{len(text)} characters")
                selections.append(reader.selection(sel, ns, where, start, end))
            sources.append(ReadSource(guid, name, text, tuple(selections)))
    project = ReadProject(users, tuple(codes), tuple(sources), notes, other, tuple(audio))
    _check_references(reader, project)
    return project


def _source_text(reader: _Reader, z: _Zip, el: etree._Element, ns: str, where: str) -> str:
    inline = el.find(f"{ns}PlainTextContent")
    path = el.get("plainTextPath")
    if inline is not None and path is None:
        return str(inline.text or "")
    if path is None:
        raise reader.fail(where, "it has neither plainTextPath nor PlainTextContent")
    if not path.startswith("internal://"):
        raise reader.fail(where, f"its text is outside the project ({path[:80]!r}): export "
                                 "with the sources inside the .qdpx")
    name = path[len("internal://"):]
    pure = PurePosixPath(name)
    if (not name or "\\" in name or pure.is_absolute() or len(pure.parts) != 1
            or name in (".", "..") or ":" in name):
        raise reader.fail(where, f"its plainTextPath {path[:80]!r} leaves the sources "
                                 "folder")
    # The spec's folder is "sources"; some tools write "Sources".
    member = next((m for m in (f"sources/{name}", f"Sources/{name}") if m in z.names),
                  f"sources/{name}")
    data = z.read(member)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise reader.fail(where, "its text is not UTF-8") from None


def _check_references(reader: _Reader, project: ReadProject) -> None:
    codes = {c.guid for c in project.codes}
    for c in project.codes:
        if c.note is not None and c.note not in project.notes:
            raise reader.fail(f"code {c.name[:60]!r}", f"its NoteRef {c.note} names no note")
    named: list[tuple[str, tuple[ReadSelection, ...]]] = [
        (f"source {s.name[:60]!r}", s.selections) for s in project.sources]
    named += [(f"audio source {a.name[:60]!r}", a.selections) for a in project.audio_sources]
    for where, selections in named:
        for sel in selections:
            for cod in sel.codings:
                if cod.code not in codes:
                    raise reader.fail(where,
                                      f"coding {cod.guid} names code {cod.code}, which is "
                                      "not in the codebook")
            for note in sel.notes:
                if note not in project.notes:
                    raise reader.fail(where,
                                      f"selection {sel.guid} names note {note}, which is "
                                      "not in the project")
