"""Audio passages: a stretch of an interview's recording coded at the centre, on
SQLCipher and PostgreSQL (`CodingDesk.code_recording`), counted in the codebook, listed
under its code with its time range, taken by agreement and the matrix as a passage, left
in place by re-anchoring; and migration c0006 on a store made before it."""

from __future__ import annotations

import hashlib
import io
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import create_engine, inspect

from qi_capture.audio.encoder import OpusEncoder
from qi_capture.audio.sources import tone
from qi_capture.central import migrate
from qi_capture.central.bundle import BundleAttachment
from qi_capture.central.store import CentralStore
from qi_capture.coding.errors import RecordingRangeInvalid
from qi_capture.coding.model import RECORDING_FIELD
from qi_capture.crypto.kdf import floor_params
from qi_capture.services.admin.coding import CodingDesk
from qi_capture.services.admin.errors import RecordingNotFound
from qi_capture.storage.profile import Profile
from tests.core.central.coding_fixtures import fill, new_revision
from tests.core.central.conftest import PASSPHRASE, PostgresServer

SECONDS = 6.0


def record_tone(central: CentralStore, record_id: uuid.UUID, seconds: float = SECONDS) -> None:
    """Give a record a recording of a generated tone, stored as merge stores one."""
    samples = tone(seconds, sample_rate=16000)
    out = io.BytesIO()
    encoder = OpusEncoder(out, 16000)
    for start in range(0, len(samples), 4096):
        encoder.write(samples[start:start + 4096])
    encoder.close()
    data = out.getvalue()
    attachment = BundleAttachment.from_bytes(
        uuid.uuid4(), record_id, "interview.opus", "audio/ogg; codecs=opus",
        hashlib.sha256(data).hexdigest(), data)
    with central.engine.begin() as conn:
        central.attachments.store(conn, [attachment])


def test_a_stretch_of_the_recording_is_coded_counted_and_listed(central: CentralStore) -> None:
    ids = fill(central)
    record_tone(central, ids[0])
    alice = CodingDesk(central, coder="alice")
    before = {n.code.name: (n.codings, n.interviews) for n in alice.codebook()}
    assert before["Barrier"] == (5, 3)  # the field's tags: 2 + 1 + 2 on interviews 1-3
    assert alice.recording_ms(ids[0]) == pytest.approx(SECONDS * 1000, abs=25)
    voice = alice.create_code("Voice")
    made = alice.code_recording(ids[0], 1_500, 4_250, [voice.guid, "Barrier"])
    assert {(c.start_ms, c.end_ms, c.field, c.text, c.audio) for c in made} == {
        (1_500, 4_250, RECORDING_FIELD, "", True)}
    assert len(made) == 2 and len({c.passage for c in made}) == 1
    # The same stretch again shares the passage and does not double a code.
    again = alice.code_recording(ids[0], 1_500, 4_250, [voice.guid])
    assert {c.guid for c in again} == {c.guid for c in made}
    counts = {n.code.name: (n.codings, n.interviews) for n in alice.codebook()}
    assert counts["Voice"] == (1, 1)
    assert counts["Barrier"] == (6, 3)  # the stretch is one more, on interview 1
    (listed,) = alice.passages(voice.guid)
    assert (listed.coding.start_ms, listed.coding.end_ms) == (1_500, 4_250)
    assert listed.section == "Recording"
    transcript = alice.transcript(ids[0])
    assert [c.start_ms for c in transcript.codings if c.audio] == [1_500, 1_500]
    # A new revision of the record leaves the stretch where it is, not flagged.
    new_revision(central, ids[0], {"approach/approach_overview": "Rewritten entirely"})
    assert alice.flagged() == () or all(not c.audio for c in alice.flagged())
    (still,) = alice.passages(voice.guid)
    assert (still.coding.start_ms, still.coding.end_ms, still.coding.flagged) == (
        1_500, 4_250, False)


def test_agreement_and_matrix_take_a_stretch_as_a_passage(central: CentralStore) -> None:
    ids = fill(central)
    record_tone(central, ids[0])
    alice = CodingDesk(central, coder="alice")
    bob = CodingDesk(central, coder="bob")
    alice.codebook()
    voice = alice.create_code("Voice")
    alice.apply_codes(ids[0], "approach/approach_overview", 0, 5, [voice.guid])
    bob.apply_codes(ids[0], "approach/approach_overview", 0, 5, [voice.guid])
    alice.code_recording(ids[0], 0, 2_000, [voice.guid])
    result = alice.agreement("alice", "bob")
    # Interview 1's three texts and its recording (alice coded a stretch of it).
    assert (result.interviews, result.units) == (1, 4)
    v = next(c for c in result.codes if c.name == "Voice")
    assert (v.both, v.only_a, v.only_b, v.neither) == (1, 1, 0, 2)
    (diff,) = [d for d in result.differences if d.code == voice.guid]
    assert diff.field == RECORDING_FIELD
    assert [c.start_ms for c in diff.codings_a] == [0] and diff.codings_b == ()
    # Interview 4 is mentioned only by a stretch of its recording: it counts.
    record_tone(central, ids[3], 3.0)
    idea = CodingDesk(central, coder="carol")
    idea.code_recording(ids[3], 500, 1_000, [voice.guid])
    rows = {r.code.name: r for r in alice.matrix("group", min_cell=1).rows}
    assert rows["Voice"].total == 2
    assert [c.count for c in rows["Voice"].cells] == [1, 1]


def test_a_stretch_outside_the_recording_or_without_one_is_refused(
    central: CentralStore,
) -> None:
    ids = fill(central)
    record_tone(central, ids[0])
    alice = CodingDesk(central, coder="alice")
    alice.codebook()
    before = alice.codebook()
    for start, end in ((2_000, 2_000), (3_000, 1_000), (-5, 100), (0, 60_000)):
        with pytest.raises(RecordingRangeInvalid) as err:
            alice.code_recording(ids[0], start, end, ["Barrier"])
        assert "lasts" in str(err.value) and err.value.params["start_ms"] == start
    with pytest.raises(RecordingNotFound):
        alice.code_recording(ids[1], 0, 1_000, ["Barrier"])
    assert alice.codebook() == before


# -- the c0006 migration --------------------------------------------------------------------
_PASSAGE = sa.table("central_passage", *(sa.column(c) for c in (
    "guid", "study_id", "record_id", "field", "revision", "start", "end", "text", "flagged")))


def fill_c0005(engine: sa.Engine) -> uuid.UUID:
    """A passage of text as a c0005 store holds it."""
    migrate.upgrade(engine, "c0005")
    guid = uuid.uuid4()
    sqlite = engine.dialect.name == "sqlite"
    with engine.begin() as conn:
        conn.execute(_PASSAGE.insert().values(
            guid=guid.hex if sqlite else guid, study_id="s",
            record_id=uuid.uuid4().hex if sqlite else uuid.uuid4(), field="a/b",
            revision="r" * 64, start=0, end=4, text="Time", flagged=False))
    return guid


def check_c0006(engine: sa.Engine, guid: uuid.UUID) -> None:
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()
        columns = {c["name"] for c in inspect(conn).get_columns("central_passage")}
        assert {"start_ms", "end_ms"} <= columns
        key = guid.hex if engine.dialect.name == "sqlite" else guid
        row = conn.execute(sa.text(
            "SELECT text, start_ms, end_ms FROM central_passage WHERE guid = :g"),
            {"g": key}).one()
        assert tuple(row) == ("Time", None, None)


def test_c0006_on_a_sqlcipher_store_made_before_it(tmp_path: Path) -> None:
    folder = tmp_path / "admin"
    Profile.create(folder, "Central admin", PASSPHRASE, kdf=floor_params())
    with Profile.unlock(folder, PASSPHRASE) as profile:
        guid = fill_c0005(profile.engine)
    with CentralStore.open(folder, PASSPHRASE) as central:
        check_c0006(central.engine, guid)


def test_c0006_on_a_postgres_store_made_before_it(postgres: PostgresServer,
                                                  tmp_path: Path) -> None:
    url = postgres.url(postgres.create_database())
    engine = create_engine(url)
    try:
        guid = fill_c0005(engine)
    finally:
        engine.dispose()
    with CentralStore.open(url, attachments=tmp_path / "files") as central:
        check_c0006(central.engine, guid)
