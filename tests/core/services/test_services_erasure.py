"""Withdrawal of consent, from laptop to centre and back, with real bundles and real
acknowledgements: a draft, a finalised and a sent record erased on the laptop before and
after sync; a record erased at the centre reaching its laptop with the acknowledgement;
canary answers and a canary attachment unfindable afterwards in the laptop folder, the
central folder and a fresh export; the export report counts the erasures."""

from __future__ import annotations

import io
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select

from qi_capture.crypto.kdf import floor_params
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.admin.desk import AdminDesk
from qi_capture.storage.errors import ErasureReasonMissing, RecordErased
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack
from tests.core.services.conftest import PASSPHRASE

STUDY_ID = "qi-erase"
FORM_ID = "erase_test"
FORM = textwrap.dedent(f"""
    | survey   |           |          |          |
    |          | type      | name     | label    |
    |          | text      | org      | Organisation |
    |          | text      | story    | Story    |
    |          | image     | photo    | Photo    |
    | settings |           |          |          |
    |          | form_id   | version  | form_title |
    |          | {FORM_ID} | 1        | Erasure test |
""")
PHOTO = b"\\x89PNG canary-photo-bytes-41c2" * 50


def canary() -> str:
    return "canary-" + uuid.uuid4().hex


@pytest.fixture
def central(tmp_path: Path) -> Path:
    folder = tmp_path / "central"
    init_admin(folder, PASSPHRASE, study_id=STUDY_ID, study_title="Erasure",
               kdf=floor_params())
    return folder


@pytest.fixture
def laptop(fresh_profiles: ProfileService, central: Path, tmp_path: Path) -> Iterator[CoreContext]:
    ctx = fresh_profiles.unlock(fresh_profiles.select(), PASSPHRASE)
    with AdminProfile.open(central, PASSPHRASE) as admin:
        pack = build_pack(admin.keys(), [PackForm(f"{FORM_ID}.md", FORM.encode())],
                          StudyPolicy(10, 30, None))
    (tmp_path / "study.qipack").write_bytes(pack)
    ctx.packs.install(tmp_path / "study.qipack")
    yield ctx
    ctx.lock()


def fill(ctx: CoreContext, text: str, *, finalise: bool = True,
         photo: bool = False) -> uuid.UUID:
    form = ctx.studies.resolve(FORM_ID)
    with ctx.records.create(form.id) as record:
        record.set("org", "Somewhere NHS Trust")
        record.set("story", text)
        if photo:
            record.attach("photo", "photo.png", "image/png", io.BytesIO(PHOTO))
        if finalise:
            record.finalise()
        return record.record_id


def desk_merge(central: Path, ctx: CoreContext, folder: Path) -> AdminDesk:
    desk = AdminDesk.open(central, PASSPHRASE)
    device = ctx.device
    if not any(d.id == device.id for d in desk.devices()):
        desk.enrol(device.id, name="Laptop", public_key=device.public_key)
    desk.merge([folder])
    return desk


def dump_has(engine: Engine, needle: str) -> list[str]:
    """Tables (read decrypted, through the engine) with ``needle`` in some row."""
    meta = MetaData()
    meta.reflect(engine)
    found = []
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            for row in conn.execute(select(table)):
                if any(needle.encode() in (v if isinstance(v, bytes) else str(v).encode())
                       for v in row):
                    found.append(table.name)
                    break
    return found


def files_with(folder: Path, needle: bytes) -> list[str]:
    forms = (needle, needle.decode("latin-1").encode("utf-16-le"), needle.upper())
    return [str(p.relative_to(folder)) for p in folder.rglob("*")
            if p.is_file() and any(f in p.read_bytes() for f in forms)]


def test_erase_on_the_laptop_before_and_after_sync(
    laptop: CoreContext, central: Path, tmp_path: Path
) -> None:
    ctx = laptop
    folder = tmp_path / "sync"
    folder.mkdir()
    sent_text, draft_text, final_text, kept_text = canary(), canary(), canary(), canary()
    sent = fill(ctx, sent_text, photo=True)
    ctx.sync.sync(folder)
    desk = desk_merge(central, ctx, folder)
    with desk:
        desk.add_forms([(f"{FORM_ID}.md", FORM.encode())])
        assert desk.tombstones() == ()
        assert "central_revision" in dump_has(desk._central.engine, sent_text)
    draft = fill(ctx, draft_text, finalise=False, photo=True)
    final = fill(ctx, final_text)
    kept = fill(ctx, kept_text)
    attachments = [a.id for r in (sent, draft) for a in ctx.records.get(r).attachments]
    assert len(attachments) == 2

    with pytest.raises(ErasureReasonMissing):
        ctx.records.erase(sent, "   ")
    for record in (sent, draft, final):
        ctx.records.erase(record, "Consent withdrawn")
    with pytest.raises(RecordErased):
        ctx.records.erase(sent, "again")
    with pytest.raises(RecordErased):
        ctx.records.edit(final)
    assert ctx.records.erased_ids() == {sent, draft, final} and kept not in {sent, draft, final}

    # On the laptop: a tombstone each, nothing else.
    for record in (sent, draft, final):
        view = ctx.records.get(record)
        assert view.answers == {} and view.attachments == () and view.paradata_events == 0
        assert [r.answers for r in view.revisions] == [{}]
    engine = ctx.store.engine
    for text in (sent_text, draft_text, final_text):
        assert dump_has(engine, text) == []
    assert dump_has(engine, kept_text) != []  # the check can see a canary that is there
    profile = ctx.folder
    assert not any(ctx.store.attachment_files.path(a).exists() for a in attachments)
    assert all(w.stat().st_size == 0 for w in profile.glob("*-wal"))
    for text in (sent_text, draft_text, final_text, kept_text):
        assert files_with(profile, text.encode()) == []
    assert files_with(profile, b"canary-photo-bytes") == []

    # The next sync carries the three erasures; the centre erases its copy of the sent one.
    result = ctx.sync.sync(folder)
    assert result.revisions_sent == 4  # three erasures and the kept record
    with desk_merge(central, ctx, folder) as desk:
        stones = {t.record_id: t for t in desk.tombstones()}
        assert set(stones) == {sent, draft, final}
        assert stones[sent].reason == "Consent withdrawn" and stones[sent].origin == "laptop"
        assert dump_has(desk._central.engine, sent_text) == []
        assert dump_has(desk._central.engine, kept_text) != []
        export = desk.export(FORM_ID, "csv", tmp_path / "export")
    for text in (sent_text, draft_text, final_text):
        assert files_with(central, text.encode()) == []
        assert files_with(tmp_path / "export", text.encode()) == []
    assert files_with(tmp_path / "export", kept_text.encode()) != []
    assert files_with(central, b"canary-photo-bytes") == []
    assert export.report["erased"] == 3
    assert "erased (consent withdrawn or retention ended; only a tombstone is left): 3" in (
        tmp_path / "export" / "export_report.txt").read_text()

    # The acknowledgement closes the loop: the erasures are acknowledged on the laptop.
    ctx.sync.sync(folder)
    statuses = {ctx.records.summary(r).status for r in (sent, draft, final)}
    assert statuses == {"acknowledged"}


def test_an_erasure_at_the_centre_reaches_the_laptop(
    laptop: CoreContext, central: Path, tmp_path: Path
) -> None:
    ctx = laptop
    folder = tmp_path / "sync"
    folder.mkdir()
    text = canary()
    record = fill(ctx, text, photo=True)
    ctx.sync.sync(folder)
    with desk_merge(central, ctx, folder) as desk:
        stone = desk.erase(str(record)[:8], reason="Asked by phone to withdraw")
        assert (stone.origin, stone.by) == ("centre", "admin")
        assert dump_has(desk._central.engine, text) == []
    fill(ctx, canary())  # the laptop's next bundle brings back an acknowledgement
    ctx.sync.sync(folder)
    desk_merge(central, ctx, folder).close()
    assert record not in ctx.records.erased_ids()
    ctx.sync.sync(folder)  # reads the acknowledgement: the laptop erases its copy
    assert record in ctx.records.erased_ids()
    assert dump_has(ctx.store.engine, text) == []
    [tomb] = [t for t in ctx.store.erasures.tombstones() if t.record_id == record]
    assert tomb.origin == "centre"
    # Its erasure revision goes back and confirms it: still one tombstone, no conflict.
    with desk_merge(central, ctx, folder) as desk:
        assert [t.record_id for t in desk.tombstones()] == [record]
        assert desk.conflicts() == ()
