"""Splitting a sync's revisions into bundles that keep under the study's size cap
(`StudyPolicy.max_bundle_bytes`).

A bundle file is the age encryption of an uncompressed tar, so its size is known before
it is written from its members' sizes: each member takes a 512-byte header and its size
rounded up to 512, the manifest lists each member in a few hundred bytes, and age adds
16 bytes per 64 KiB chunk to a header of a few hundred. `estimate` adds all that, with
room to spare, per record; `plan` fills bundles with whole records (a record's
revisions, paradata and attachments always travel together, so an attachment is never
sent twice) in the order of their first sequence number, which keeps each bundle's
sequence range to its own records when, as usual, a record has one revision per sync.
A record that alone exceeds the cap is refused before anything is written
(`RecordTooLargeForBundle`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from qi_capture.storage.store import Store
from qi_capture.storage.sync_state import OutgoingRevision
from qi_capture.sync.errors import RecordTooLargeForBundle
from qi_capture.sync.manifest import ParadataLine

_TAR_BLOCK = 512
#: A manifest entry (record, attachment or paradata), generously.
_ENTRY = 512
#: The manifest's own fields, its signature member, the tar's end and age's header.
_FIXED = 16 * 1024
_AGE_CHUNK = 64 * 1024
_AGE_TAG = 16


def _member(size: int) -> int:
    return _TAR_BLOCK + -(-size // _TAR_BLOCK) * _TAR_BLOCK + _ENTRY


def _file(plain: int) -> int:
    return plain + (plain // _AGE_CHUNK + 1) * _AGE_TAG


def record_sizes(store: Store, revisions: Sequence[OutgoingRevision], *,
                 resend_all: bool) -> dict[uuid.UUID, int]:
    """What each record's members add to a bundle's tar (before encryption)."""
    sizes: dict[uuid.UUID, int] = {}
    for rev in revisions:
        sizes[rev.record_id] = sizes.get(rev.record_id, 0) + _member(
            len(rev.canonical_json.encode("utf-8")))
    paradata: dict[uuid.UUID, int] = {}
    for event in store.sync.paradata_to_send(sizes, include_sent=resend_all):
        line = ParadataLine(event.seq, event.kind, str(event.session_id),
                            event.session_started_at, event.elapsed_ms, event.payload_json)
        paradata[event.record_id] = paradata.get(event.record_id, 0) + len(line.to_bytes())
    for record_id, size in paradata.items():
        sizes[record_id] += _member(size)
    for att, _source in store.sync.attachment_sources(sizes):
        sizes[att.record_id] += _member(att.size)
    return sizes


def estimate(record_bytes: int) -> int:
    """An upper bound of the bundle file holding records of ``record_bytes`` in all."""
    return _file(_FIXED + record_bytes)


def plan(store: Store, revisions: Sequence[OutgoingRevision], cap: int, *,
         resend_all: bool) -> list[list[OutgoingRevision]]:
    """``revisions`` in groups whose bundles each stay under ``cap`` bytes. Raises
    `RecordTooLargeForBundle` (nothing written) for a record over the cap on its own."""
    sizes = record_sizes(store, revisions, resend_all=resend_all)
    by_record: dict[uuid.UUID, list[OutgoingRevision]] = {}
    for rev in sorted(revisions, key=lambda r: r.device_seq):
        by_record.setdefault(rev.record_id, []).append(rev)
    for record_id, size in sizes.items():
        if estimate(size) > cap:
            raise RecordTooLargeForBundle(str(record_id), estimate(size), cap)
    groups: list[list[OutgoingRevision]] = []
    current: list[OutgoingRevision] = []
    held = 0
    for record_id, revs in by_record.items():
        size = sizes[record_id]
        if current and estimate(held + size) > cap:
            groups.append(current)
            current, held = [], 0
        current.extend(revs)
        held += size
    if current:
        groups.append(current)
    return groups
