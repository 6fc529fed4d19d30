"""The declared schema of revision documents (`qi_capture.sync.schemas.revision`): every
shape the writers write is read (the laptop's finalised records and erasures, the
centre's resolutions and erasures, the demonstration data's empty form hash); a field
unknown, missing, of another type or out of bounds is refused by the bundle reader
(`BundleContentMismatch`) and by the merge (`revision_invalid`, in its old words where it
had them). The bundle reader's fast path (msgspec alone) takes exactly the canonical
bytes the exact path takes, and gives the same revision."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qi_capture.central.errors import BundleRefused
from qi_capture.central.merge import parse_revision
from qi_capture.storage.canonical import canonical_json, decode_canonical, revision_id
from qi_capture.storage.store import Store
from qi_capture.sync.bundle_verifier import _check_revision
from qi_capture.sync.errors import BundleContentMismatch
from qi_capture.sync.schemas.refusal import convert
from qi_capture.sync.schemas.revision import Revision, decode_canonical_revision
from tests.core.sync.test_sync_parsers_fuzz import MANIFEST

PROPERTY = settings(max_examples=200, deadline=2000,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
ENTRY = MANIFEST.records[0]
HEX = "ab" * 32


def revision(**changes: Any) -> dict[str, Any]:
    """What `qi_capture.storage.records` writes when a record is finalised, as the first
    record of `MANIFEST` says."""
    doc: dict[str, Any] = {
        "type": "qi-capture.revision", "schema": 1, "record_id": ENTRY.submission_id,
        "form": {"study_id": MANIFEST.study_id, "form_id": "baseline", "version": "3",
                 "sha256": HEX},
        "parents": [], "device_id": MANIFEST.device_id, "device_seq": ENTRY.device_seq,
        "created": "2025-03-01T09:00:00.123456Z", "interviewer": "Interviewer A",
        "instance_name": None,
        "answers": {"org": "Ward 4", "group/n": 3, "many": ["a", "b"], "none": None},
    }
    doc.update(changes)
    return doc


ERASED = {"answers": {}, "deleted": True,
          "erasure": {"by": "Interviewer A", "reason": "consent withdrawn", "origin": "laptop"}}
WRITTEN = {
    "finalised": revision(),
    "edited": revision(parents=[HEX], instance_name="Interview 1"),
    "erased on the laptop": revision(**ERASED),
    "erased at the centre": revision(**{**ERASED, "erasure": {
        "by": "admin", "reason": "consent withdrawn", "origin": "centre"}}),
    "resolved": revision(parents=[HEX, "cd" * 32], resolution={
        "conflict": "ef" * 32, "reason": "kept the later", "kept": HEX, "by": "admin"}),
    "resolved by merging, deleted": revision(deleted=True, resolution={
        "conflict": "ef" * 32, "reason": "merged", "kept": None, "by": "admin"}),
    "demonstration data": revision(form={"study_id": MANIFEST.study_id, "form_id": "baseline",
                                         "version": "1", "sha256": ""}),
}


def data_of(doc: Any) -> bytes:
    return canonical_json(doc).encode()


@pytest.mark.parametrize("name", list(WRITTEN))
def test_every_written_shape_is_read_by_both_readers(name: str) -> None:
    data = data_of(WRITTEN[name])
    checked = _check_revision(MANIFEST, ENTRY, data)
    assert checked == decode_canonical_revision(data)  # the fast path took it
    assert checked == convert(decode_canonical(data), Revision)
    parsed = parse_revision(revision_id(data.decode()), data.decode(), checked,
                            id_checked=True)
    assert parsed == parse_revision(revision_id(data.decode()), data.decode())
    assert (parsed.record_id, parsed.device_seq) == (uuid.UUID(ENTRY.submission_id), 1)
    assert parsed.erasure == ("erasure" in WRITTEN[name])
    assert parsed.kind == ("resolution" if "resolution" in WRITTEN[name] else "edit")


def test_the_laptops_own_revisions_are_read(laptop: Store, records_adder: Any) -> None:
    records_adder(laptop, 2)
    sent = laptop.sync.outgoing("qi-london", include_sent=True)
    assert sent
    for rev in sent:
        data = rev.canonical_json.encode()
        parsed = parse_revision(rev.id, rev.canonical_json)
        assert decode_canonical_revision(data) is not None
        assert parsed.record_id == rev.record_id and parsed.device_seq == rev.device_seq


def _merge_refusal(doc: Any) -> str:
    text = canonical_json(doc)
    with pytest.raises(BundleRefused) as refused:
        parse_revision(revision_id(text), text)
    assert refused.value.reason == "revision_invalid"
    with pytest.raises(BundleRefused) as again:  # the plain document, as tests give it
        parse_revision(revision_id(text), text, json.loads(text))
    assert again.value.message == refused.value.message
    return str(refused.value.params["detail"])


@pytest.mark.parametrize(("doc", "detail"), [
    (revision(type="qi-capture.draft"), "not a qi-capture revision"),
    ([1, 2], "not a qi-capture revision"),
    (revision(form=["baseline"]), "form or parents malformed"),
    (revision(parents="none"), "form or parents malformed"),
    ({k: v for k, v in revision().items() if k != "record_id"}, "KeyError: 'record_id'"),
    ({k: v for k, v in revision().items() if k != "interviewer"}, "KeyError: 'interviewer'"),
    (revision(colour="blue"), "Object contains unknown field `colour`"),
    (revision(form={**revision()["form"], "title": "x"}),
     "form: Object contains unknown field `title`"),
    (revision(device_seq=True), "device_seq: Expected `int`, got `bool`"),
    (revision(device_seq=1.0), "device_seq: Expected `int`, got `float`"),
    (revision(device_seq=0), "device_seq: Expected `int` >= 1"),
    (revision(schema=2**63), "schema: Expected `int` <= 9223372036854775807"),
    (revision(record_id="not-a-uuid"), "record_id: Invalid UUID"),
    (revision(parents=["A" * 64]), "parents[0]: Expected `str` matching regex"),
    (revision(created="2025-03-01 09:00"), "created: Expected `str` matching regex"),
    (revision(interviewer=None), "interviewer: Expected `str`, got `null`"),
    (revision(answers=["q1"]), "answers: Expected `object`, got `array`"),
    (revision(deleted="yes"), "deleted: Expected `bool`, got `str`"),
    (revision(resolution={"conflict": HEX}), "KeyError: 'reason'"),
    (revision(**{**ERASED, "answers": {"q1": "x"}}),
     "ValueError: an erasure revision is a deletion with no answers"),
    (revision(**{**ERASED, "deleted": False}),
     "ValueError: an erasure revision is a deletion with no answers"),
    (revision(**{**ERASED, "erasure": "consent"}),
     "ValueError: an erasure revision is a deletion with no answers"),
    (revision(**{**ERASED, "erasure": {"by": "a", "origin": "laptop"}}),
     "ValueError: an erasure revision names who erased it and why"),
    (revision(**{**ERASED, "erasure": {"by": 1, "reason": "r", "origin": "laptop"}}),
     "ValueError: an erasure revision names who erased it and why"),
    (revision(**{**ERASED, "erasure": {"by": "a", "reason": "r", "origin": "moon"}}),
     "erasure.origin: Invalid enum value 'moon'"),
])
def test_the_merge_refuses_what_is_not_a_revision(doc: Any, detail: str) -> None:
    got = _merge_refusal(doc)
    assert got.startswith(detail.replace("parents[0]", "parents.0")), got


@pytest.mark.parametrize(("doc", "message"), [
    (revision(interviewer=7), "is not a valid revision (interviewer: Expected `str`, got `int`)"),
    (revision(extra=1), "is not a valid revision (Object contains unknown field `extra`)"),
    # True == 1 passed the comparison with the manifest; the schema refuses it.
    (revision(device_seq=True), "is not a valid revision (device_seq: Expected `int`, got `bool`)"),
    (revision(device_seq=2), "device sequence differ from the manifest"),
    (revision(type="x", schema=2), "type, schema differ from the manifest"),
    ([revision()], "is not a revision"),
])
def test_the_bundle_reader_refuses_what_is_not_a_revision(doc: Any, message: str) -> None:
    with pytest.raises(BundleContentMismatch) as refused:
        _check_revision(MANIFEST, ENTRY, data_of(doc))
    detail = str(refused.value.params["detail"])
    assert detail.startswith(ENTRY.member) and message in detail, detail


def test_the_bundle_reader_holds_ids_to_the_manifests_text() -> None:
    record = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    entry = replace(ENTRY, submission_id=record)
    assert _check_revision(MANIFEST, entry, data_of(revision(record_id=record)))
    # The same UUID, written in capitals: canonical JSON, but not the manifest's id.
    with pytest.raises(BundleContentMismatch, match="record id differ from the manifest"):
        _check_revision(MANIFEST, entry, data_of(revision(record_id=record.upper())))


@pytest.mark.parametrize("data", [
    json.dumps(revision()).encode(),  # spaces, unsorted
    json.dumps(revision(answers={"org": "Caf\u00e9"}), sort_keys=True,
               separators=(",", ":")).encode(),  # \\u escapes
    data_of(revision(deleted=False)),  # canonical, but not as the writers write it
    data_of(revision(answers={"weight": 61.5})),  # a float
])
def test_the_fast_path_leaves_what_it_cannot_vouch_for_to_the_exact_one(data: bytes) -> None:
    assert decode_canonical_revision(data) is None
    try:
        exact: Revision | None = _check_revision(MANIFEST, ENTRY, data)
    except BundleContentMismatch as refused:
        assert "canonical" in refused.message
        exact = None
    if exact is not None:
        assert exact == convert(json.loads(data), Revision)


def test_msgspec_writes_text_and_numbers_as_canonical_json_does() -> None:
    """The fast path's premise, for every code point (lone surrogates have no UTF-8)."""
    encoder = msgspec.json.Encoder(order="sorted")
    for start in range(0, 0x110000, 0x1000):
        text = "".join(chr(c) for c in range(start, start + 0x1000)
                       if not 0xD800 <= c <= 0xDFFF)
        assert encoder.encode({text: text, "a": [text]}) == data_of({text: text, "a": [text]})
    for number in (0, -1, 2**63 - 1, 2**63, 2**64 + 1, -(2**70), 10**40):
        assert encoder.encode([number]) == data_of([number])


answer_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                  max_size=3),
    max_leaves=10,
)


@PROPERTY
@given(answers=st.dictionaries(st.text(max_size=10), answer_values, max_size=8),
       spaced=st.booleans())
def test_both_paths_agree_on_random_answers(answers: dict[str, Any], spaced: bool) -> None:
    doc = revision(answers=answers)
    data = (json.dumps(doc, sort_keys=True) if spaced else canonical_json(doc)).encode()
    fast = decode_canonical_revision(data)
    try:
        exact: Revision | None = convert(decode_canonical(data), Revision)
    except ValueError:  # not canonical
        exact = None
    if fast is not None:
        assert fast == exact
    if exact is not None:
        assert _check_revision(MANIFEST, ENTRY, data) == exact
