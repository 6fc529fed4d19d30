"""The admin door (`qi_capture.services.admin.AdminDesk`) driven end to end: real laptop
profiles fill a real form (groups, a repeat, selects, a note, two languages), sync
real bundles into a folder; the door merges them into a real central folder
(quarantine, enrolment, gaps), pages and searches the records, renders one as the
questionnaire reads it in both languages, keeps a review in the audit log, shows and
resolves a conflict made by two laptops editing the same record, and takes short id
prefixes while refusing ambiguous ones. The CLI commands print what it returns."""

from __future__ import annotations

import json
import shutil
import textwrap
import uuid
from pathlib import Path

import pytest

from qi_capture.central.errors import RecordNotFound
from qi_capture.central.store import CentralStore
from qi_capture.cli import main
from qi_capture.progress import SimpleCancelToken
from qi_capture.services import CoreContext
from qi_capture.services.admin import AdminDesk
from qi_capture.services.admin.demo_conflict import DemoLaptop, write_conflict
from qi_capture.services.admin.dto import RecordRow
from qi_capture.services.admin.errors import (
    IdPrefixAmbiguous,
    IdPrefixInvalid,
    LanguageUnknown,
)
from qi_capture.services.central_forms import register_forms
from qi_capture.storage.profile import Profile
from qi_capture.sync.folder import sync_folder
from tests.core.central.helpers import FakeDevice
from tests.e2e.conftest import PASSPHRASE, STUDY_ID, MakeWorld

FORM_NAME = "admin_desk.md"
FORM = textwrap.dedent("""
    | survey   |               |         |                      |                        |                  |
    |          | type          | name    | label::English (en)  | label::Français (fr)   | calculation      |
    |          | text          | site    | Site                 | Site                   |                  |
    |          | begin group   | staff   | Staff                | Personnel              |                  |
    |          | note          | intro   | About the team       | À propos de l'équipe   |                  |
    |          | select_one role | role  | Role                 | Rôle                   |                  |
    |          | select_multiple area | areas | Areas          | Domaines               |                  |
    |          | end group     |         |                      |                        |                  |
    |          | begin repeat  | member  | Member               | Membre                 |                  |
    |          | text          | mname   | Name of member       | Nom du membre          |                  |
    |          | integer       | years   | Years in post for ${mname} | Années en poste de ${mname} |       |
    |          | end repeat    |         |                      |                        |                  |
    |          | calculate     | members |                      |                        | count(${member}) |
    | choices  |               |         |                      |                        |                  |
    |          | list_name     | name    | label::English (en)  | label::Français (fr)   |                  |
    |          | role          | nurse   | Nurse                | Infirmier              |                  |
    |          | role          | doctor  | Doctor               | Médecin                |                  |
    |          | area          | ward    | Ward                 | Service                |                  |
    |          | area          | clinic  | Clinic               | Clinique               |                  |
    | settings |               |         |                      |                        |                  |
    |          | form_id       | version | instance_name        | default_language       |                  |
    |          | admin_desk    | 1       | concat(${site}, ' - ', ${role}) | English (en) |                  |
""")
SITES = ["Royal Free", "Whittington", "Homerton", "Barts", "Guy's"]


def fill(ctx: CoreContext, site: str, role: str, members: list[tuple[str, int]],
         comment: str = "") -> uuid.UUID:
    form = ctx.studies.resolve("admin_desk")
    with ctx.records.create(form.id) as record:
        record.set("site", site)
        record.set("staff/role", role)
        record.set("staff/areas", "ward clinic")
        for index, (name, years) in enumerate(members, start=1):
            record.ensure_instances(f"member[{index}]/mname")
            record.set(f"member[{index}]/mname", name)
            record.set(f"member[{index}]/years", years)
        record.finalise(comment)
        return record.record_id


def outbox(folder: Path) -> set[Path]:
    return set((folder / "outbox").glob("*.qibundle"))


@pytest.fixture
def world(make_world: MakeWorld) -> tuple[Path, Path, Path]:
    central, laptop, folder = make_world(FORM_NAME, FORM)
    # The admin packed this form: the central store knows it, as 'study pack' records it.
    with CentralStore.open(central, PASSPHRASE) as store:
        register_forms(store, STUDY_ID, [(FORM_NAME, FORM.encode())])
    return central, laptop, folder


def test_merge_quarantine_enrol_gaps_and_cancel(world: tuple[Path, Path, Path],
                                                 tmp_path: Path) -> None:
    central, laptop, folder = world
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        device = store.device()
        fill(ctx, SITES[0], "nurse", [("Ann", 3)])
        sync_folder(store, folder)
        first = outbox(folder)
        fill(ctx, SITES[1], "doctor", [])
        sync_folder(store, folder)
        second = outbox(folder) - first
    later = tmp_path / "usb"
    later.mkdir()
    for path in second:
        shutil.copy(path, later)

    with AdminDesk.open(central, PASSPHRASE) as desk:
        # A cancel before the first bundle merges nothing and says so.
        token = SimpleCancelToken()
        token.cancel()
        cancelled = desk.merge([later], cancel=token)
        assert cancelled.cancelled and cancelled.reports == () and desk.devices() == ()

        seen: list[tuple[int, int]] = []
        result = desk.merge([later], progress=lambda done, total, _name="": seen.append(
            (done, total)))
        assert [r.outcome for r in result.reports] == ["quarantined"]
        assert result.waiting_devices == (str(device.id),)
        assert seen == [(0, 1), (1, 1)]
        (unknown,) = desk.devices()
        assert (unknown.device.status, unknown.device.quarantined) == ("unknown", 1)
        assert unknown.fingerprint_grouped is not None
        assert unknown.fingerprint_grouped.replace(" ", "").replace(":", "") == \
            device.fingerprint.replace(":", "")

        # Enrolled by a short prefix of its id: the quarantined bundle is merged.
        enrolment = desk.enrol(device.id.hex[:6], name="Laptop A")
        assert enrolment.fingerprint == device.fingerprint
        assert [m.report.outcome for m in enrolment.merged] == ["imported"]
        enrolled = enrolment.device
        assert (enrolled.device.status, enrolled.device.name) == ("enrolled", "Laptop A")
        assert enrolled.device.quarantined == 0
        # Only the second bundle is here: sequence 1 is missing.
        assert [(s.first, s.last) for s in enrolled.gaps.missing_seqs] == [(1, 1)]
        assert enrolled.last_bundle is not None and enrolled.last_bundle[1] == 2

        again = desk.merge([folder])
        assert sorted(r.outcome for r in again.reports) == ["already_imported", "imported"]
        (complete,) = desk.devices()
        assert complete.gaps.missing_seqs == () and complete.gaps.missing_manifests == ()
        assert len(again.ack_files) == 1
        assert desk.merge([folder]).count("imported") == 0  # nothing new the second time

        renamed = desk.rename(device.id.hex[:8], "Ward 3 laptop")
        assert renamed.device.name == "Ward 3 laptop"
        assert [e.action for e in desk.audit(action="rename_device")] == ["rename_device"]


def _merged_world(world: tuple[Path, Path, Path]) -> tuple[Path, Path, list[uuid.UUID]]:
    central, laptop, folder = world
    with Profile.unlock(laptop, PASSPHRASE) as store:
        ctx = CoreContext(store)
        device = store.device()
        ids = [fill(ctx, SITES[0], "nurse", [("Ann", 3), ("Bob", 12)],
                    comment="The ward manager answered for the nurse in charge.")]
        ids += [fill(ctx, site, "doctor", []) for site in SITES[1:]]
        sync_folder(store, folder)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.merge([folder])
        desk.enrol(device.id, name="Laptop A")
    return central, laptop, ids


def test_records_keyset_pages_through_the_desk(world: tuple[Path, Path, Path]) -> None:
    """The records table's paging: each page past the last row of the one before
    (`RecordPage.next_after`), uncounted, and one count for the query."""
    central, _laptop, ids = _merged_world(world)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        desk.set_review(ids[1].hex, "approved", "")
        desk.set_review(ids[3].hex, "approved", "")
        for filters in ({}, {"newest_first": True}, {"status": "received"},
                        {"status": "approved", "newest_first": True}, {"search": "doctor"}):
            whole = desk.records("admin_desk", **filters)  # type: ignore[arg-type]
            rows: list[RecordRow] = []
            page = desk.records("admin_desk", limit=2, count=False,
                                **filters)  # type: ignore[arg-type]
            while True:
                assert page.total is None
                rows += page.rows
                if len(page.rows) < 2:
                    break
                page = desk.records("admin_desk", limit=2, count=False,
                                    after=page.next_after, **filters)  # type: ignore[arg-type]
            assert [r.record_id for r in rows] == [r.record_id for r in whole.rows], filters
            counted = desk.count_records("admin_desk", **{  # type: ignore[arg-type]
                k: v for k, v in filters.items() if k != "newest_first"})
            assert counted == whole.total == len(rows)
        newest = desk.records("admin_desk", newest_first=True).rows
        assert [r.cursor for r in newest] == sorted((r.cursor for r in newest), reverse=True)


def test_records_pages_search_and_rendering(world: tuple[Path, Path, Path]) -> None:
    central, _laptop, ids = _merged_world(world)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        first = desk.records("admin_desk", limit=2)
        rest = desk.records("admin_desk", offset=2, limit=10)
        assert first.total == 5 and len(first.rows) == 2 and len(rest.rows) == 3
        assert {r.record_id for r in first.rows + rest.rows} == set(ids)
        row = next(r for r in first.rows + rest.rows if r.record_id == ids[0])
        assert row.instance_name == "Royal Free - nurse"
        assert row.short_id == ids[0].hex[:8] and row.device_name == "Laptop A"

        found = desk.records("admin_desk", search="whitt")
        assert [r.instance_name for r in found.rows] == ["Whittington - doctor"]
        assert desk.records("admin_desk", search="mname").total == 0  # a name, not a value
        assert desk.records("admin_desk", search="Bob").total == 1  # an answer in a repeat
        device = desk.devices()[0]
        assert desk.records("admin_desk", device=device.short_id).total == 5

        english = desk.record(row.short_id)
        # The interviewer's comment at finalising reaches the reviewer.
        assert english.finalise_comment == "The ward manager answered for the nurse in charge."
        assert desk.record(ids[1]).finalise_comment == ""
        assert english.language == "English (en)"
        assert english.languages == ("English (en)", "Français (fr)")
        assert english.form_version_known
        titles = [s.title for s in english.sections]
        assert titles == [None, "Staff", "Member 1", "Member 2", None]
        top, staff, ann, bob, after = english.sections
        # The calculation after the repeat, back at the top level: never asked, marked so.
        assert [(i.kind, i.path, i.text) for i in after.items] == [("calculated", "members", "2")]
        assert [(i.label, i.text) for i in top.items] == [("Site", "Royal Free")]
        assert [(i.kind, i.label, i.text) for i in staff.items] == [
            ("note", "About the team", None), ("answer", "Role", "Nurse"),
            ("answer", "Areas", "Ward, Clinic")]
        assert [(i.label, i.text) for i in bob.items] == [
            ("Name of member", "Bob"), ("Years in post for Bob", "12")]
        assert ann.instance == 1 and bob.path == "member[2]"
        assert [r.device_name for r in english.revisions] == ["Laptop A"]
        assert english.revisions[0].interviewer == "Jo Bloggs"

        french = desk.record(ids[0], language="Français (fr)")
        _top, staff, ann, _bob, _after = french.sections
        assert staff.title == "Personnel" and ann.title == "Membre 1"
        assert [i.text for i in staff.items] == [None, "Infirmier", "Service, Clinique"]
        assert ann.items[1].label == "Années en poste de Ann"
        with pytest.raises(LanguageUnknown) as caught:
            desk.record(ids[0], language="Deutsch (de)")
        assert caught.value.code == "form_language_unknown"


def test_review_is_kept_in_the_audit_log(world: tuple[Path, Path, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    central, _laptop, ids = _merged_world(world)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        short = ids[1].hex[:5]
        assert desk.set_review(short, "has_issues", "staff count missing").status == "has_issues"
        info = desk.set_review(ids[1], "approved", "checked with the lead")
        assert [(c[2], c[3]) for c in info.comments] == [
            ("has_issues", "staff count missing"), ("approved", "checked with the lead")]
        assert desk.records("admin_desk", status="approved").total == 1
        entries = desk.audit(action="review")
        assert [e.params for e in entries] == [
            {"record_id": str(ids[1]), "status": "has_issues"},
            {"record_id": str(ids[1]), "status": "approved"}]
        assert "checked" not in json.dumps([e.params for e in desk.audit()])

    # The CLI prints the door's values: names and short ids; the answers by section.
    data = str(tmp_path / "d")
    assert main(["--data-dir", data, "review", "list", "--central", str(central),
                 "--form", "admin_desk"]) == 0
    out = capsys.readouterr().out
    (line,) = [row for row in out.splitlines() if row.startswith(ids[0].hex[:8])]
    assert line.split()[1:3] == ["Royal", "Free"] and "received" in line.split()
    assert "Royal Free - nurse" in line
    assert str(ids[0]) not in out
    assert main(["--data-dir", data, "review", "list", "--central", str(central),
                 "--form", "admin_desk", "--limit", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 2 and {"record_id", "status", "interviewer", "submitted",
                               "in_conflict", "instance_name", "short_id"} <= set(rows[0])
    assert main(["--data-dir", data, "review", "show", "--central", str(central),
                 ids[0].hex[:8], "--language", "Français (fr)"]) == 0
    out = capsys.readouterr().out
    assert "Royal Free - nurse" in out and "== Personnel ==" in out
    assert "Rôle: Infirmier" in out and "== Membre 2 ==" in out and "revisions:" in out
    assert main(["--data-dir", data, "review", "show", "--central", str(central),
                 ids[1].hex[:8]]) == 0
    out = capsys.readouterr().out
    assert "review: approved" in out and "checked with the lead" in out


def test_a_conflict_from_two_laptops_is_resolved(world: tuple[Path, Path, Path],
                                                 tmp_path: Path) -> None:
    """A laptop copied to a second machine (same device, same records): both edit the
    same record; the door shows the two heads side by side and resolves them."""
    central, laptop, ids = _merged_world(world)
    second = tmp_path / "laptop-b"
    shutil.copytree(laptop, second)
    folders = []
    for profile, role, name in ((laptop, "doctor", "a"), (second, "nurse", "b")):
        folder = tmp_path / f"sync-{name}"
        folder.mkdir()
        with Profile.unlock(profile, PASSPHRASE) as store:
            ctx = CoreContext(store)
            with ctx.records.edit(ids[2]) as record:
                record.set("staff/role", role)
                record.finalise()
            sync_folder(store, folder)
        folders.append(folder)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        result = desk.merge(folders)
        assert result.refused == 0
        (conflict,) = desk.conflicts()
        assert conflict.record_id == ids[2]
        view = desk.conflict(conflict.id[:10])
        assert view.record is not None and view.record.in_conflict
        differing = [line for line in view.lines if line.differs]
        assert [(line.path, line.label) for line in differing] == [("staff/role", "Role")]
        assert sorted(t or "" for t in differing[0].texts) == ["Doctor", "Nurse"]
        assert any(not line.differs and line.path == "site" for line in view.lines)
        assert desk.record(ids[2]).conflict_id == conflict.id

        nurse = next(h for h in view.detail.heads if h.answers["staff/role"] == "nurse")
        resolved = desk.resolve(conflict.id[:10], keep=nurse.id[:10],
                                reason="the ward list says nurse")
        assert resolved.status == "resolved"
        assert desk.conflicts() == ()
        detail = desk.record(ids[2])
        assert detail.conflict_id is None and not detail.row.in_conflict
        assert dict((i.label, i.text) for i in detail.sections[1].items)["Role"] == "Nurse"
        assert detail.revisions[-1].kind == "resolution"
        assert [e.action for e in desk.audit(action="resolve_conflict")] == ["resolve_conflict"]
        # Merging the old branches again changes nothing: it stays resolved.
        desk.merge(folders)
        assert desk.conflicts() == ()


def test_short_ids_and_ambiguity(world: tuple[Path, Path, Path], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    central, _laptop, _folder = world
    # Two records and two devices whose ids share their first four digits.
    a = FakeDevice("A", device_id=uuid.UUID("beef0001-0000-4000-8000-000000000000"))
    b = FakeDevice("B", device_id=uuid.UUID("beef0002-0000-4000-8000-000000000000"))
    records = [uuid.UUID(f"cafe000{i}-0000-4000-8000-000000000000") for i in (1, 2)]
    with CentralStore.open(central, PASSPHRASE) as store:
        for d in (a, b):
            store.enrol(d.id, name=d.name, fingerprint=d.fingerprint, public_key=d.public_key)
        store.merge(a.bundle([a.revision(records[0], {"q1": "x"})]))
        store.merge(b.bundle([b.revision(records[1], {"q1": "y"})]))
    with AdminDesk.open(central, PASSPHRASE) as desk:
        with pytest.raises(IdPrefixAmbiguous) as caught:
            desk.record("cafe")
        assert caught.value.matches == 2 and "matches 2 records" in caught.value.message
        with pytest.raises(IdPrefixAmbiguous):
            desk.device("BEEF")
        assert desk.record_id("CAFE-0002") == records[1]
        assert desk.device_id("beef0001").hex == a.id.hex
        for bad in ("caf", "zzzz", "", "cafe0001-0000-4000-8000-000000000000-00"):
            with pytest.raises(IdPrefixInvalid):
                desk.record(bad)
        with pytest.raises(RecordNotFound):
            desk.record("dddd")
        # A form the store does not know: its answers show by path.
        detail = desk.record("cafe0001")
        assert not detail.form_version_known and detail.languages == ()
        assert [(i.path, i.text) for s in detail.sections for i in s.items] == [("q1", "x")]

    code = main(["--data-dir", str(tmp_path / "d"), "review", "show", "--central",
                 str(central), "cafe"])
    err = capsys.readouterr().err
    assert code == 2 and "matches 2 records" in err



def test_two_demo_laptops_make_a_conflict_between_two_named_laptops(
        world: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """The screenshots' conflict: two demo laptops, each with its own key, change the same
    record from the same version and write real bundles; merged and enrolled, the record
    has two heads, each named for its laptop."""
    central, _laptop, ids = _merged_world(world)
    with AdminDesk.open(central, PASSPHRASE) as desk:
        name = desk.record(ids[1]).row.title
    folder = tmp_path / "demo"
    folder.mkdir()
    laptops = write_conflict(central, PASSPHRASE, name,
                             (DemoLaptop("Sam Reid", {"staff/role": "nurse"}),
                              DemoLaptop("Ana Costa", {"staff/role": "doctor"})), folder)
    assert len(set(laptops)) == 2 and len(list(folder.glob("*.qibundle"))) == 2
    with AdminDesk.open(central, PASSPHRASE) as desk:
        result = desk.merge([folder])
        assert result.refused == 0 and sorted(map(str, laptops)) == sorted(
            result.waiting_devices)
        for device, label in zip(laptops, ("Laptop 11 (Sam)", "Laptop 12 (Ana)"),
                                 strict=True):
            desk.enrol(device, name=label)
        (conflict,) = desk.conflicts()
        assert conflict.record_id == ids[1]
        view = desk.conflict(conflict.id[:10])
        assert sorted(view.head_devices) == ["Laptop 11 (Sam)", "Laptop 12 (Ana)"]
        differing = [line for line in view.lines if line.differs]
        assert [line.path for line in differing] == ["staff/role"]
