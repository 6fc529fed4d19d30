"""Bundle files: a signed tar stream inside an age v1 file. The writer is
`qi_capture.sync.bundle_writer`, the verifier (and the format's description)
`qi_capture.sync.bundle_verifier`, their shared names and limits
`qi_capture.sync.bundle_format`; this module names them all in one place for callers."""

from __future__ import annotations

from qi_capture.sync.bundle_format import (
    BACKGROUND_HASH_BYTES,
    BUNDLE_SUFFIX,
    MAX_BUNDLE_BYTES,
    MAX_HELD_BYTES,
    MAX_PARADATA_BYTES,
    MAX_REVISION_BYTES,
    PARTIAL_SUFFIX,
    REVISION_TYPE,
)
from qi_capture.sync.bundle_verifier import (
    BundleSink,
    BundleSummary,
    KnownDevice,
    verify_bundle,
    verify_bundle_file,
)
from qi_capture.sync.bundle_writer import (
    BundleSourceChanged,
    Member,
    Opener,
    TarStream,
    bundle_members,
    new_bundle_name,
    open_exclusive,
    write_bundle_file,
)

__all__ = [
    "BACKGROUND_HASH_BYTES",
    "BUNDLE_SUFFIX",
    "MAX_BUNDLE_BYTES",
    "MAX_HELD_BYTES",
    "MAX_PARADATA_BYTES",
    "MAX_REVISION_BYTES",
    "PARTIAL_SUFFIX",
    "REVISION_TYPE",
    "BundleSink",
    "BundleSourceChanged",
    "BundleSummary",
    "KnownDevice",
    "Member",
    "Opener",
    "TarStream",
    "bundle_members",
    "new_bundle_name",
    "open_exclusive",
    "verify_bundle",
    "verify_bundle_file",
    "write_bundle_file",
]
