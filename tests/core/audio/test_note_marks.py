"""Note marks and quick tags as note events: exactly their shape or refused (on the
laptop's replay, by the bundle reader), replayed into the tags and marks a record has."""

from __future__ import annotations

import hashlib
import json

import pytest

from qi_capture.audio.marks import (
    MARK_EVENT,
    TAG_EVENT,
    TAG_REMOVED_EVENT,
    NoteMark,
    QuickTag,
    parse_event,
    replay,
)
from qi_capture.sync.manifest import ParadataEntry, ParadataLine, paradata_lines, parse_paradata

MARK = NoteMark("approach/notes", "paragraph", 0, "", "interview-1.opus", 61_250)
SESSION = "4f1c1b1e-8a51-4d0b-9a7e-8c3f8f2f3a10"


def test_a_mark_goes_round_through_its_json() -> None:
    assert parse_event(MARK_EVENT, MARK.to_json()) == MARK
    tag = NoteMark("approach/notes", "tag", 2, "barrier", "interview-1.opus", 5)
    assert parse_event(MARK_EVENT, tag.to_json()) == tag
    assert parse_event(TAG_EVENT, {"path": "a/b", "index": 0, "tag": "Follow-up"}) == \
        QuickTag("a/b", 0, "follow-up")
    assert parse_event(TAG_REMOVED_EVENT, {"path": "a/b", "index": 3}) == ("a/b", 3)


@pytest.mark.parametrize(("kind", "payload", "why"), [
    (MARK_EVENT, {**MARK.to_json(), "text": "what was said"}, "fields"),
    (MARK_EVENT, {**MARK.to_json(), "position_ms": -1}, "position"),
    (MARK_EVENT, {**MARK.to_json(), "position_ms": 1.5}, "position"),
    (MARK_EVENT, {**MARK.to_json(), "index": True}, "index"),
    (MARK_EVENT, {**MARK.to_json(), "kind": "sentence"}, "kind"),
    (MARK_EVENT, {**MARK.to_json(), "tag": "barrier"}, "tag"),  # a paragraph has none
    (MARK_EVENT, {**MARK.to_json(), "kind": "tag"}, "tag"),  # a tag mark needs one
    (MARK_EVENT, {**MARK.to_json(), "recording": ""}, "recording"),
    (MARK_EVENT, {**MARK.to_json(), "path": ""}, "path"),
    (TAG_EVENT, {"path": "a", "index": 0, "tag": "two words"}, "tag"),
    (TAG_EVENT, {"path": "a", "index": 0, "tag": "#barrier"}, "tag"),
    (TAG_EVENT, {"path": "a", "index": -1, "tag": "barrier"}, "index"),
    (TAG_REMOVED_EVENT, {"path": "a"}, "fields"),
    (TAG_REMOVED_EVENT, ["a", 0], "fields"),
    ("answer", {}, "not a note event"),
])
def test_anything_but_the_exact_shape_is_refused(kind: str, payload: object, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_event(kind, payload)


def test_replay_keeps_tags_in_order_and_drops_removed_ones_with_their_marks() -> None:
    events: list[tuple[str, object]] = [
        ("answer", {"path": "approach/notes", "new": "secret"}),
        (MARK_EVENT, MARK.to_json()),
        (MARK_EVENT, {**MARK.to_json(), "position_ms": 99_000}),  # the first stamp stays
        (TAG_EVENT, {"path": "approach/notes", "index": 0, "tag": "barrier"}),
        (MARK_EVENT, NoteMark("approach/notes", "tag", 0, "barrier", "interview-1.opus", 60_000).to_json()),
        (TAG_EVENT, {"path": "approach/notes", "index": 1, "tag": "idea"}),
        (MARK_EVENT, NoteMark("approach/notes", "tag", 1, "idea", "interview-1.opus", 80_000).to_json()),
        (TAG_REMOVED_EVENT, {"path": "approach/notes", "index": 1}),
        (TAG_EVENT, {"path": "approach/notes", "index": 2, "tag": "bad tag"}),  # skipped
    ]
    state = replay(events)
    assert state.tags == {"approach/notes": (QuickTag("approach/notes", 0, "barrier"),)}
    # In the recording's order.
    assert [(m.kind, m.position_ms) for m in state.marks] == [("tag", 60_000),
                                                              ("paragraph", 61_250)]
    # A removed tag's ordinal is not reused: its mark's name stays unambiguous.
    assert state.next_index("approach/notes", "tag") == 2
    assert state.next_index("approach/notes", "paragraph") == 1
    assert state.next_index("other", "quote") == 0


def _member(payloads: list[tuple[str, object]]) -> tuple[ParadataEntry, bytes]:
    lines = [ParadataLine(n, kind, SESSION, "2026-12-02T10:00:00.000000Z", 1000 * n,
                          json.dumps(payload, sort_keys=True, separators=(",", ":")))
             for n, (kind, payload) in enumerate(payloads, start=1)]
    data = paradata_lines(lines)
    entry = ParadataEntry(SESSION, len(lines), 1, len(lines),
                          hashlib.sha256(data).hexdigest(), len(data))
    return entry, data


def test_the_bundle_reader_holds_note_events_to_their_shape() -> None:
    entry, data = _member([("answer", {"free": ["any", "shape"]}), (MARK_EVENT, MARK.to_json()),
                           (TAG_EVENT, {"path": "a", "index": 0, "tag": "barrier"})])
    assert [line.kind for line in parse_paradata(entry, data)] == ["answer", MARK_EVENT,
                                                                  TAG_EVENT]
    entry, data = _member([(MARK_EVENT, MARK.to_json()),
                           (MARK_EVENT, {**MARK.to_json(), "text": "what was said"})])
    with pytest.raises(ValueError, match="line 2: the note event is not valid") as caught:
        parse_paradata(entry, data)
    assert "what was said" not in str(caught.value)
