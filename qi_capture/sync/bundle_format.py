"""What the bundle writer (`qi_capture.sync.bundle_writer`) and verifier
(`qi_capture.sync.bundle_verifier`) share: names and limits of a bundle file."""

from __future__ import annotations

BUNDLE_SUFFIX = ".qibundle"
PARTIAL_SUFFIX = ".partial"
MAX_BUNDLE_BYTES = 4 * 1024 * 1024 * 1024
# Revisions and paradata are held in memory from the verifier to the merge's
# transaction: each member, and all of them together, is bounded, and checked on the
# manifest before any is read (an enrolled device declaring a 400 MiB revision is
# refused, not decoded).
MAX_REVISION_BYTES = 16 * 1024 * 1024
MAX_PARADATA_BYTES = 64 * 1024 * 1024
MAX_HELD_BYTES = 256 * 1024 * 1024
# From this many attachment bytes in a bundle on, attachments are hashed on a second
# thread (see qi_capture.sync.hashing); below it, inline.
BACKGROUND_HASH_BYTES = 4 * 1024 * 1024
REVISION_TYPE = "qi-capture.revision"
