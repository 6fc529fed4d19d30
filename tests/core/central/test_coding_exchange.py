"""REFI-QDA exchange of thematic coding, on SQLCipher and PostgreSQL: the .qdpx and .qdc
validated against the official schemas (tests/needs.py fetches them), exported and
imported back into another store with nothing lost, a project shaped as another tool
writes it imported, and hostile files refused with nothing changed."""

from __future__ import annotations

import csv
import io
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from qi_capture.central.store import CentralStore
from qi_capture.coding.errors import ExchangeFormatUnknown, ExchangeInvalid
from qi_capture.services.admin.coding import CodingDesk
from tests import needs
from tests.core.central.coding_fixtures import fill

OVERVIEW = "approach/approach_overview"
QUOTE = "approach/key_quote_approach"
NS = "urn:QDA-XML:project:1.0"


def _coded(central: CentralStore) -> tuple[CodingDesk, list[uuid.UUID]]:
    ids = fill(central)
    desk = CodingDesk(central, coder="alice")
    desk.codebook()
    staff = desk.create_code("Staffing", description="Staff & time", colour="#112233",
                             parent="Barrier")
    made = desk.apply_codes(ids[0], OVERVIEW, 0, 5, [staff.guid, "Idea"])
    desk.set_memo("Staff, not money", passage=made[0].passage)
    desk.set_memo("Anything in the way", code="Barrier")
    CodingDesk(central, coder="bob").apply_codes(ids[1], OVERVIEW, 6, 17, ["Enabler"])
    desk.retire_code("Example")
    return desk, ids


def _state(desk: CodingDesk) -> tuple[object, ...]:
    codings = set()
    for i in desk.interviews():
        for c in desk.transcript(i.record_id).codings:
            codings.add((c.record_id, c.field, c.start, c.end, c.code, c.coder, c.text,
                         c.start_ms, c.end_ms))
    codes = {(c.guid, c.name, c.parent, c.colour, c.description, c.retired)
             for c in desk.codes() if c.merged_into is None}
    memos = {(m.text, m.code) for m in desk.memos()}
    return codings, codes, memos


def _schema(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(needs.refi_schemas() / name)))


@pytest.mark.slow
def test_qdpx_and_qdc_validate_and_guids_are_stable(central: CentralStore,
                                                   tmp_path: Path) -> None:
    desk, ids = _coded(central)
    first, second = tmp_path / "a.qdpx", tmp_path / "b.qdpx"
    result = desk.export("qdpx", first)
    assert (result.sources, result.memos) == (4, 2)
    desk.export("qdpx", second)
    with zipfile.ZipFile(first) as z:
        project = etree.fromstring(z.read("project.qde"))
        names = z.namelist()
        source = z.read(f"sources/{ids[0]}.txt").decode("utf-8")
    schema = _schema("Project.xsd")
    assert schema.validate(project), schema.error_log
    assert f"sources/{ids[0]}.txt" in names
    with zipfile.ZipFile(second) as z:
        again = etree.fromstring(z.read("project.qde"))
    guids = sorted(e.get("guid") for e in project.iter() if e.get("guid"))
    assert guids == sorted(e.get("guid") for e in again.iter() if e.get("guid"))
    # The selection's positions are the passage's characters in the source.
    sel = next(e for e in project.iter(f"{{{NS}}}PlainTextSelection")
               if any(c.get("targetGUID") == str(desk.code("Staffing").guid)
                      for c in e.iter(f"{{{NS}}}CodeRef")))
    assert source[int(sel.get("startPosition")):int(sel.get("endPosition"))] == "Staff"
    # One case per interview, its group and footprint as variables.
    cases = list(project.iter(f"{{{NS}}}Case"))
    assert len(cases) == 4
    values = {v.text for v in cases[0].iter(f"{{{NS}}}TextValue")}
    assert values == {"Medical director", "North West London"}
    retired = next(e for e in project.iter(f"{{{NS}}}Code") if e.get("name") == "Example")
    assert retired.get("isCodable") == "false"
    desk.export("qdc", tmp_path / "book.qdc")
    book = _schema("Codebook.xsd")
    assert book.validate(etree.parse(str(tmp_path / "book.qdc"))), book.error_log


def test_csv_exports(central: CentralStore, tmp_path: Path) -> None:
    desk, ids = _coded(central)
    desk.export("csv", tmp_path / "passages.csv")
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "passages.csv").read_text("utf-8-sig"))))
    staffing = [r for r in rows if r["code"] == "Staffing"]
    assert len(staffing) == 1
    assert staffing[0]["code_path"] == "Barrier / Staffing"
    assert (staffing[0]["passage"], staffing[0]["memo"]) == ("Staff", "Staff, not money")
    assert staffing[0]["record_id"] == str(ids[0])
    assert staffing[0]["stakeholder_group"] == "Medical director"
    desk.export("codebook-csv", tmp_path / "codes.csv")
    codes = {r["name"]: r for r in csv.DictReader(io.StringIO(
        (tmp_path / "codes.csv").read_text("utf-8-sig")))}
    assert codes["Barrier"]["codings"] == "5" and codes["Barrier"]["interviews"] == "3"
    assert codes["Example"]["retired"] == "yes"
    with pytest.raises(ExchangeFormatUnknown):
        desk.export("nvivo", tmp_path / "x")


def test_qdpx_round_trip_into_another_store(make_central: Callable[[], CentralStore],
                                            tmp_path: Path) -> None:
    here = make_central()
    desk, _ids = _coded(here)
    desk.export("qdpx", tmp_path / "study.qdpx")
    # Importing into the store it came from changes nothing.
    before = _state(desk)
    again = desk.import_file(tmp_path / "study.qdpx")
    assert (again.new_codes, again.new_codings) == (0, 0)
    assert _state(desk) == before
    there = make_central()
    fill(there)  # the same interviews (same record ids), not coded
    other = CodingDesk(there, coder="carol")
    result = other.import_file(tmp_path / "study.qdpx")
    assert result.new_codings == result.codings
    codings, codes, memos = _state(other)
    assert codings == before[0]
    assert codes == before[1]
    assert memos == before[2]
    assert other.import_file(tmp_path / "study.qdpx").new_codings == 0
    assert [e.action for e in there.audit_log()][-1] == "coding.import"


def _qualcoder_project(source_text: str, name: str) -> bytes:
    """A project as QualCoder writes it (its own GUIDs, braces and upper case; a source
    named by its file; notes inline; creation dates), by hand."""
    user, code, child = (str(uuid.uuid4()).upper() for _ in range(3))
    src, sel, sel2, note = (str(uuid.uuid4()) for _ in range(4))
    start = source_text.index("Funding is year")
    question = source_text.rindex("\n", 0, start - 1) + 1  # the question line before it
    end = start + len("Funding is year to year")
    return f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
 name="London interviews.qda" origin="QualCoder 3.5" creatingUserGUID="{user}"
 creationDateTime="2026-03-01T10:00:00Z">
<Users><User guid="{{{user}}}" name="dana"/></Users>
<CodeBook><Codes>
<Code guid="{code}" name="Money" isCodable="true" color="#AA0000">
<Description>Funding and budgets</Description>
<Code guid="{child}" name="Short-term funding" isCodable="true" color="#F00"/>
</Code>
</Codes></CodeBook>
<Sources>
<TextSource guid="{src}" name="{name}.txt" richTextPath="internal://{src}.docx"
 plainTextPath="internal://{src}.txt" creatingUser="{user}"
 creationDateTime="2026-03-01T10:00:00Z" modifyingUser="{user}"
 modifiedDateTime="2026-03-01T10:00:00Z">
<Description />
<PlainTextSelection guid="{sel}" name="{source_text[start:end]}" startPosition="{start}"
 endPosition="{end}" creatingUser="{user}" creationDateTime="2026-03-01T10:05:00Z">
<Description />
<Coding guid="{uuid.uuid4()}" creatingUser="{user}" creationDateTime="2026-03-01T10:05:00Z">
<CodeRef targetGUID="{child}"/></Coding>
<NoteRef targetGUID="{note}"/>
</PlainTextSelection>
<PlainTextSelection guid="{sel2}" startPosition="{question}" endPosition="{start + 7}"
 creatingUser="{user}">
<Coding guid="{uuid.uuid4()}" creatingUser="{user}"><CodeRef targetGUID="{code}"/></Coding>
</PlainTextSelection>
</TextSource>
</Sources>
<Notes><Note guid="{note}" name="memo" creatingUser="{user}">
<PlainTextContent>Budgets set yearly</PlainTextContent></Note></Notes>
</Project>""".encode()


def test_import_a_project_from_another_tool(central: CentralStore, tmp_path: Path) -> None:
    desk, ids = _coded(central)
    desk.export("qdpx", tmp_path / "ours.qdpx")
    with zipfile.ZipFile(tmp_path / "ours.qdpx") as z:
        text = z.read(f"sources/{ids[1]}.txt").decode("utf-8")
    name = next(i.name for i in desk.interviews() if i.record_id == ids[1])
    project = _qualcoder_project(text, name)
    schema = _schema("Project.xsd")
    assert schema.validate(etree.fromstring(project)), schema.error_log
    src = etree.fromstring(project).find(f"{{{NS}}}Sources/{{{NS}}}TextSource")
    assert src is not None
    path = tmp_path / "qualcoder.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("project.qde", project)
        # Some tools name the folder "Sources"; the rich-text copy is not read.
        z.writestr(f"Sources/{src.get('guid')}.txt", text.encode("utf-8"))
        z.writestr(f"Sources/{src.get('guid')}.docx", b"PK not read")
    result = desk.import_file(path)
    assert (result.new_codes, result.new_codings) == (2, 2)
    money = desk.code("Money")
    short = desk.code("Short-term funding")
    assert short.parent == money.guid and short.colour == "#FF0000"
    page = desk.transcript(ids[1])
    dana = {c.code: c for c in page.codings if c.coder == "dana"}
    assert dana[short.guid].field == "barriers/barriers_main"
    assert dana[short.guid].text == "Funding is year to year"
    assert dana[short.guid].memo == "Budgets set yearly"
    # The second selection began on the question line: only the answer is coded.
    assert (dana[money.guid].start, dana[money.guid].text) == (0, "Funding")


def _zip(path: Path, project: bytes, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", project)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return path


def _project(sources: str = "", codes: str = "") -> bytes:
    book = codes or (f'<Code guid="{uuid.uuid4()}" name="X" isCodable="true"/>')
    return (f'<Project xmlns="{NS}" name="p"><CodeBook><Codes>{book}</Codes></CodeBook>'
            f"<Sources>{sources}</Sources></Project>").encode()


def _hostile(tmp_path: Path, text: str) -> dict[str, Path]:
    code = str(uuid.uuid4())
    good_code = f'<Code guid="{code}" name="X" isCodable="true"/>'
    src = str(uuid.uuid4())

    def source(sel: str, path: str = f"internal://{src}.txt") -> str:
        return f'<TextSource guid="{src}" name="s" plainTextPath="{path}">{sel}</TextSource>'

    def selection(start: int, end: int, target: str = code, guid: str | None = None) -> str:
        return (f'<PlainTextSelection guid="{guid or uuid.uuid4()}" startPosition="{start}" '
                f'endPosition="{end}"><Coding guid="{uuid.uuid4()}">'
                f'<CodeRef targetGUID="{target}"/></Coding></PlainTextSelection>')

    def audio(begin: str, end: str, target: str = code, guid: str | None = None) -> str:
        return (f'<AudioSource guid="{guid or uuid.uuid4()}" name="a" path="relative://a.opus">'
                f'<AudioSelection guid="{uuid.uuid4()}" begin="{begin}" end="{end}">'
                f'<Coding guid="{uuid.uuid4()}"><CodeRef targetGUID="{target}"/></Coding>'
                '</AudioSelection></AudioSource>')

    files = {f"sources/{src}.txt": text.encode()}
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
              b'<Project xmlns="urn:QDA-XML:project:1.0" name="&lol2;"/>')
    xxe = (b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>')
    bomb = tmp_path / "bomb.qdpx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("project.qde", _project(source(selection(0, 3)), good_code))
        z.writestr(f"sources/{src}.txt", b"\0" * (20 * 1024 * 1024))
    (tmp_path / "notzip.qdpx").write_bytes(b"PK\x03\x04 not really a zip")
    return {
        "bomb": bomb,
        "not a zip": tmp_path / "notzip.qdpx",
        "traversal": _zip(tmp_path / "trav.qdpx", _project(
            source(selection(0, 3), "internal://../../etc/passwd"), good_code), files),
        "external": _zip(tmp_path / "ext.qdpx", _project(
            source(selection(0, 3), "absolute:///etc/passwd"), good_code), files),
        "billion laughs": _zip(tmp_path / "laughs.qdpx", laughs),
        "external entity": _zip(tmp_path / "xxe.qdpx", xxe),
        "broken xml": _zip(tmp_path / "broken.qdpx", b"<Project xmlns='urn:QDA-XML:project"),
        # Deeper than lxml's limit without huge_tree (256 levels).
        "deep nesting": _zip(tmp_path / "deep.qdpx", f'<Project xmlns="{NS}" name="p">'
                             .encode() + b"<a>" * 5000 + b"</a>" * 5000 + b"</Project>"),
        "bad guid": _zip(tmp_path / "guid.qdpx", _project(
            source(selection(0, 3, guid="not-a-guid")), good_code), files),
        "unknown code": _zip(tmp_path / "code.qdpx", _project(
            source(selection(0, 3, target=str(uuid.uuid4()))), good_code), files),
        "outside the text": _zip(tmp_path / "range.qdpx", _project(
            source(selection(0, len(text) + 5)), good_code), files),
        "negative position": _zip(tmp_path / "neg.qdpx", _project(
            source(selection(-1, 3)), good_code), files),
        "audio begin after end": _zip(tmp_path / "a1.qdpx", _project(
            audio("5000", "4000"), good_code), {}),
        "audio empty stretch": _zip(tmp_path / "a2.qdpx", _project(
            audio("4000", "4000"), good_code), {}),
        "audio negative": _zip(tmp_path / "a3.qdpx", _project(
            audio("-1", "4000"), good_code), {}),
        "audio not a number": _zip(tmp_path / "a4.qdpx", _project(
            audio("1e3", "4000"), good_code), {}),
        "audio beyond a day": _zip(tmp_path / "a5.qdpx", _project(
            audio("0", "999999999"), good_code), {}),
        "audio unknown code": _zip(tmp_path / "a6.qdpx", _project(
            audio("0", "4000", target=str(uuid.uuid4())), good_code), {}),
        "audio bad guid": _zip(tmp_path / "a7.qdpx", _project(
            audio("0", "4000", guid="nope"), good_code), {}),
        "audio unknown recording": _zip(tmp_path / "a8.qdpx", _project(
            audio("0", "4000"), good_code), {}),
        "unknown source": _zip(tmp_path / "unknown.qdpx", _project(
            source(selection(0, 3)), good_code), {f"sources/{src}.txt": b"Nothing alike"}),
    }


def test_hostile_files_are_refused_and_change_nothing(central: CentralStore,
                                                      tmp_path: Path) -> None:
    desk, ids = _coded(central)
    desk.export("qdpx", tmp_path / "ours.qdpx")
    with zipfile.ZipFile(tmp_path / "ours.qdpx") as z:
        text = z.read(f"sources/{ids[0]}.txt").decode("utf-8")
    before = (_state(desk), len(central.audit_log()))
    for what, path in _hostile(tmp_path, text).items():
        with pytest.raises(ExchangeInvalid) as err:
            desk.import_file(path)
        message = str(err.value)
        assert path.name in message and "Nothing was imported" in message, what
        assert "root:" not in message, what  # no file contents leak into the message
    assert (_state(desk), len(central.audit_log())) == before
    with pytest.raises(ExchangeFormatUnknown):
        desk.import_file(tmp_path / "ours.nvp")


#: (id, target) of a store -> (its desk, the members of its export), made by the first example.
_FUZZ_BASE: dict[tuple[int, str], tuple[CodingDesk, dict[str, bytes]]] = {}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_fuzzed_imports_change_all_or_nothing(central: CentralStore, tmp_path: Path,
                                              data: st.DataObject) -> None:
    """A real export with bytes of project.qde or of a source flipped, cut or inserted:
    the import succeeds, or fails with ExchangeInvalid and the store is as before."""
    if (id(central), central.target) not in _FUZZ_BASE:  # the store (a test's fixture) is shared by examples
        desk, _ids = _coded(central)
        desk.export("qdpx", tmp_path / "base.qdpx")
        with zipfile.ZipFile(tmp_path / "base.qdpx") as z:
            _FUZZ_BASE.clear()
            _FUZZ_BASE[(id(central), central.target)] = (desk, {n: z.read(n) for n in z.namelist()})
    desk, members = _FUZZ_BASE[(id(central), central.target)]
    name = data.draw(st.sampled_from(sorted(members)))
    raw = members[name]
    at = data.draw(st.integers(0, len(raw)))
    chunk = data.draw(st.binary(min_size=1, max_size=12))
    kind = data.draw(st.sampled_from(["insert", "replace", "cut"]))
    changed = raw[:at] + chunk + (raw[at:] if kind == "insert" else raw[at + len(chunk):]) \
        if kind != "cut" else raw[:at]
    path = tmp_path / f"fuzz-{uuid.uuid4().hex}.qdpx"
    with zipfile.ZipFile(path, "w") as z:
        for member, content in members.items():
            z.writestr(member, changed if member == name else content)
    before = (_state(desk), len(central.audit_log()))
    began = time.perf_counter()
    try:
        desk.import_file(path)
    except ExchangeInvalid:
        assert (_state(desk), len(central.audit_log())) == before
    assert time.perf_counter() - began < 20


def test_a_coded_stretch_of_a_recording_goes_out_as_an_audio_selection_and_back(
    make_central: Callable[[], CentralStore], tmp_path: Path,
) -> None:
    from qi_capture.coding import refi
    from tests.core.central.test_coding_audio import record_tone

    here = make_central()
    desk, ids = _coded(here)
    record_tone(here, ids[0])
    text_only = desk.export("qdpx", tmp_path / "text.qdpx").codings
    made = desk.code_recording(ids[0], 1_500, 4_250, ["Idea", "Barrier"])
    desk.set_memo("Said twice", passage=made[0].passage)
    result = desk.export("qdpx", tmp_path / "study.qdpx")
    assert result.codings == text_only + 2  # the stretch's two codings
    with zipfile.ZipFile(tmp_path / "study.qdpx") as z:
        project = etree.fromstring(z.read("project.qde"))
        assert not [n for n in z.namelist() if n.endswith(".opus")]
    schema = _schema("Project.xsd")
    assert schema.validate(project), schema.error_log
    (source,) = project.iter(f"{{{NS}}}AudioSource")
    assert source.get("guid") == str(refi.audio_guid(desk.study_id, ids[0]))
    assert source.get("path") == f"relative://attachments/{ids[0]}/interview.opus"
    (sel,) = source.iter(f"{{{NS}}}AudioSelection")
    assert (sel.get("begin"), sel.get("end"), sel.get("name")) == ("1500", "4250",
                                                                  "0:01-0:04")
    assert len(list(sel.iter(f"{{{NS}}}Coding"))) == 2
    before = _state(desk)
    assert desk.import_file(tmp_path / "study.qdpx").new_codings == 0
    assert _state(desk) == before
    there = make_central()
    fill(there)
    other = CodingDesk(there, coder="carol")
    imported = other.import_file(tmp_path / "study.qdpx")
    assert imported.new_codings == imported.codings == text_only + 2
    # The passages CSV gives a stretch's time range (and none for text).
    desk.export("csv", tmp_path / "passages.csv")
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "passages.csv").read_text("utf-8-sig"))))
    timed = {(r["code"], r["section"], r["recording_start_ms"], r["recording_end_ms"])
             for r in rows if r["field"] == "(recording)"}
    assert timed == {("Idea", "Recording", "1500", "4250"),
                     ("Barrier", "Recording", "1500", "4250")}
    assert {r["recording_start_ms"] for r in rows if r["field"] != "(recording)"} == {""}
    assert _state(other) == before
    stretch = [c for c in other.transcript(ids[0]).codings if c.audio]
    assert {(c.start_ms, c.end_ms, c.coder) for c in stretch} == {(1_500, 4_250, "alice")}
    assert "Said twice" in {m.text for m in other.memos()}
