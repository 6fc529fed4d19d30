"""No record is stranded: records made in a study without a study pack (the built-in
study, forms added on the laptop) are shown as staying on the laptop, move into the
pack's study when its pack is imported (revisions rewritten under the pack's form, drafts,
paradata and attachments kept), then travel with the next sync and merge at the centre
with no false sequence gap. ``move_records=False`` keeps them apart."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from qi_capture.central.dto import DeviceGaps
from qi_capture.central.store import CentralStore
from qi_capture.crypto.kdf import floor_params
from qi_capture.resources import resource_path
from qi_capture.services import CoreContext, ProfileService
from qi_capture.services.device_registry import DeviceRegistry
from qi_capture.services.dto import STAYS_ON_LAPTOP, record_state
from qi_capture.services.merge import MergeRun, merge_files
from qi_capture.services.studies import BUILTIN_STUDY_ID
from qi_capture.storage.canonical import canonical_json, loads, revision_id
from qi_capture.sync.admin import AdminProfile, init_admin
from qi_capture.sync.errors import NoStudyPack
from qi_capture.sync.pack import PackForm, StudyPolicy, build_pack
from tests.core.services.conftest import PASSPHRASE

STUDY_ID = "london-qi-2027"
BUILTIN = resource_path("studies", BUILTIN_STUDY_ID)


@pytest.fixture
def opened(fresh_profiles: ProfileService) -> Iterator[CoreContext]:
    ctx = fresh_profiles.unlock(fresh_profiles.select(), PASSPHRASE)
    yield ctx
    ctx.lock()


@pytest.fixture
def central(tmp_path: Path) -> Path:
    folder = tmp_path / "central"
    init_admin(folder, PASSPHRASE, study_id=STUDY_ID, study_title="London QI",
               kdf=floor_params())
    return folder


def builtin_pack(central: Path, out: Path) -> Path:
    """The built-in study's own forms, signed by the study's admin."""
    forms = [PackForm(p.name, p.read_bytes()) for p in sorted(BUILTIN.glob("*.xlsx"))]
    with AdminProfile.open(central, PASSPHRASE) as admin:
        out.write_bytes(build_pack(admin.keys(), forms, StudyPolicy(10, 30, None)))
    return out


def declined(ctx: CoreContext, *, finalise: bool = True, study: str = BUILTIN_STUDY_ID) -> uuid.UUID:
    """A baseline questionnaire whose respondent declined (one answer, nothing required)."""
    form = ctx.studies.resolve(f"{study}/qi_baseline")
    with ctx.records.create(form.id) as record:
        record.set("consent", "no")
        if finalise:
            record.finalise()
        return record.record_id


def local_record(ctx: CoreContext) -> uuid.UUID:
    """A finalised record of the form added on the laptop (the 'local' study)."""
    form = ctx.studies.resolve("svc_test")
    with ctx.records.create(form.id) as record:
        record.set("name", "Ada")
        record.set("age", 40)
        record.finalise()
        return record.record_id


def merge_at_centre(
    ctx: CoreContext, central: Path, folder: Path
) -> tuple[MergeRun, list[tuple[int, int]], DeviceGaps]:
    """Enrol the laptop, merge every bundle in ``folder``; the run, the bundles' sequence
    ranges and the device's gaps as the centre sees them."""
    with CentralStore.open(central, PASSPHRASE) as store:
        assert store.profile is not None
        admin = AdminProfile(store.profile)
        device = ctx.device
        DeviceRegistry(store, admin).enrol(device.id, name="Laptop",
                                           fingerprint=device.fingerprint,
                                           public_key=device.public_key)
        run = merge_files(store, admin, sorted((folder / "outbox").glob("*.qibundle")))
        ranges = sorted((first, last) for _h, _b, first, last in store.manifests(device.id))
        return run, ranges, store.device_gaps(device.id)


def test_records_move_into_the_pack_study_and_reach_the_centre(
    opened: CoreContext, central: Path, tmp_path: Path
) -> None:
    ctx = opened
    local_first = local_record(ctx)  # device sequence 1, never sendable: no pack for it
    edited = declined(ctx)  # sequence 2
    with ctx.records.edit(edited) as record:  # sequence 3: a second revision
        record.set("consent", "no")
        record.finalise()
    draft = declined(ctx, finalise=False)
    paradata_before = len(ctx.records.paradata(edited))
    old_revisions = ctx.records.revisions(edited)
    assert len(old_revisions) == 2

    # Before the pack: visibly on the laptop only, and sync refuses.
    local = ctx.studies.local_only_form_versions()
    assert record_state(ctx.records.summary(edited), local_only=True) == STAYS_ON_LAPTOP
    assert ctx.records.summary(edited).form_version_id in local
    assert not ctx.records.get(edited).study_has_pack
    folder = tmp_path / "sync"
    folder.mkdir()
    with pytest.raises(NoStudyPack):
        ctx.sync.sync(folder)

    pack = builtin_pack(central, tmp_path / "study.qipack")
    info = ctx.packs.inspect(pack)
    assert (info.records_to_move, info.move_from) == (2, ("London QI baseline",))
    assert ctx.records.summary(edited).form_version_id in local  # inspecting moves nothing

    installed = ctx.packs.install(pack)
    assert (installed.records_moved, installed.records_kept_apart) == (2, 0)

    # The forms appear once: the pack's study takes the built-in one's place.
    assert BUILTIN_STUDY_ID not in {s.id for s in ctx.studies.list_studies()}
    assert ctx.studies.resolve("qi_baseline").study_id == STUDY_ID
    overview = {s.id: s for s in ctx.studies.overview()}
    assert overview[STUDY_ID].has_pack and overview[STUDY_ID].records == 2
    assert not overview["local"].has_pack  # svc_test is not in the pack: it stays

    # Revisions rewritten under the pack's form: same answers and sequence numbers, a
    # parent chain of the new ids, each id the hash of its content.
    moved = ctx.records.get(edited)
    assert moved.form.study_id == STUDY_ID and moved.study_has_pack
    new_revisions = ctx.records.revisions(edited)
    assert [r.device_seq for r in new_revisions] == [r.device_seq for r in old_revisions]
    assert [r.answers for r in new_revisions] == [r.answers for r in old_revisions]
    assert new_revisions[1].parents == (new_revisions[0].id,)
    assert moved.summary.head_revision_id == new_revisions[1].id
    for rev in new_revisions:
        doc = loads(rev.canonical_json)
        assert isinstance(doc, dict) and isinstance(doc["form"], dict)
        assert doc["form"]["study_id"] == STUDY_ID
        assert revision_id(canonical_json(doc)) == rev.id
    assert len(ctx.records.paradata(edited)) == paradata_before
    assert ctx.records.get(draft).form.study_id == STUDY_ID
    assert ctx.records.get(draft).answers  # the draft's answer moved with it
    assert ctx.records.get(local_first).form.study_id == "local"

    # The next sync sends them; the centre merges them, with no gap for sequence 1.
    result = ctx.sync.sync(folder)
    assert result.records_sent == 1 and result.revisions_sent == 2
    assert result.not_sendable == 1  # the svc_test record, still without a pack
    run, ranges, gaps = merge_at_centre(ctx, central, folder)
    assert [r.outcome for r in run.reports] == ["imported"]
    assert run.reports[0].new_revisions == 2
    assert ranges == [(1, 3)]
    assert gaps.missing_seqs == () and gaps.missing_manifests == ()


def test_keep_separate_leaves_records_where_they_are(
    opened: CoreContext, central: Path, tmp_path: Path
) -> None:
    ctx = opened
    record = declined(ctx)
    installed = ctx.packs.install(builtin_pack(central, tmp_path / "p.qipack"),
                                  move_records=False)
    assert (installed.records_moved, installed.records_kept_apart) == (0, 1)
    assert ctx.records.get(record).form.study_id == BUILTIN_STUDY_ID
    # Not empty, so still listed; a bare form id now means the study that can send.
    assert BUILTIN_STUDY_ID in {s.id for s in ctx.studies.list_studies()}
    assert ctx.studies.resolve("qi_baseline").study_id == STUDY_ID
    assert ctx.studies.resolve(f"{BUILTIN_STUDY_ID}/qi_baseline").study_id == BUILTIN_STUDY_ID
    folder = tmp_path / "sync"
    folder.mkdir()
    result = ctx.sync.sync(folder)
    assert (result.bundles_written, result.not_sendable) == (0, 1)


def test_syncs_that_write_nothing_leave_no_false_gap(
    opened: CoreContext, central: Path, tmp_path: Path
) -> None:
    """Sequence numbers used by a study without a pack, and syncs that send nothing,
    show no missing sequence at the centre."""
    ctx = opened
    ctx.packs.install(builtin_pack(central, tmp_path / "p.qipack"))
    folder = tmp_path / "sync"
    folder.mkdir()
    local_record(ctx)  # sequence 1: never sent
    assert ctx.sync.sync(folder).bundles_written == 0
    declined(ctx, study=STUDY_ID)  # sequence 2
    assert ctx.sync.sync(folder).bundles_written == 1
    assert ctx.sync.sync(folder).bundles_written == 0
    local_record(ctx)  # sequence 3
    local_record(ctx)  # sequence 4
    assert ctx.sync.sync(folder).bundles_written == 0
    declined(ctx, study=STUDY_ID)  # sequence 5
    assert ctx.sync.sync(folder).bundles_written == 1
    run, ranges, gaps = merge_at_centre(ctx, central, folder)
    assert sorted(r.outcome for r in run.reports) == ["imported", "imported"]
    assert ranges == [(1, 2), (3, 5)]
    assert gaps.missing_seqs == () and gaps.missing_manifests == ()
