"""Study packs on the laptop: what a pack holds and who signed it (before installing),
installing it, and the policy of the packs installed (the idle lock).

See `qi_capture.sync.pack` for the file format and the trust rule: the first pack of a
study is trusted on import, every later one must be signed by the same admin key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qi_capture.forms import FormError, load_form_bytes
from qi_capture.services.errors import ServiceError
from qi_capture.services.studies import stored_version
from qi_capture.storage.canonical import sha256_hex
from qi_capture.sync.pack import (
    MAX_PACK_BYTES,
    import_pack,
    installed_studies,
    installed_study,
    read_pack,
)

if TYPE_CHECKING:
    from qi_capture.services.context import CoreContext

log = logging.getLogger(__name__)


class PackUnreadable(ServiceError):
    code = "pack_unreadable"

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"The study pack {path} cannot be read: {reason}.",
                         path=str(path), reason=reason)


@dataclass(frozen=True)
class PackFormInfo:
    filename: str
    form_id: str
    title: str
    version: str


@dataclass(frozen=True)
class PackPolicyInfo:
    idle_lock_minutes: int
    retention_days: int
    sync_folder: str | None
    #: The study's caps (0: none): a recording's length, a bundle's size.
    max_recording_minutes: int = 0
    max_bundle_bytes: int = 0


@dataclass(frozen=True)
class PackInfo:
    """A verified pack, not yet installed. ``signer`` is ``"new"`` (no pack of this study
    is installed: the key will be trusted from now on), ``"same"`` (signed by the key
    already installed for the study) or ``"different"`` (another key: installing is
    refused)."""

    path: Path
    study_id: str
    study_title: str
    created: str
    forms: tuple[PackFormInfo, ...]
    signing_fingerprint: str
    installed_fingerprint: str | None
    policy: PackPolicyInfo
    #: Records of studies without a pack that use one of the pack's forms (same form id
    #: and version): installing moves them into the pack's study, to go at the next sync.
    records_to_move: int = 0
    #: The titles of the studies those records are in now.
    move_from: tuple[str, ...] = ()
    #: The signing admin's name ("" when the pack carries none: older packs).
    admin_name: str = ""

    @property
    def signer(self) -> str:
        if self.installed_fingerprint is None:
            return "new"
        return "same" if self.installed_fingerprint == self.signing_fingerprint else "different"


@dataclass(frozen=True)
class PackInstalled:
    study_id: str
    study_title: str
    first_install: bool
    forms_added: int
    forms_already_present: int
    signing_fingerprint: str
    policy: PackPolicyInfo
    #: Records moved into the pack's study (see `PackInfo.records_to_move`).
    records_moved: int = 0
    #: Records that could have moved but were kept where they are (``move_records=False``).
    records_kept_apart: int = 0
    #: The signing admin's name ("" when the pack carries none: older packs).
    admin_name: str = ""


def read_pack_file(path: str | Path) -> bytes:
    file = Path(path)
    try:
        # Read to the limit and no further: a device or a file still growing says a
        # size of 0 to stat.
        with file.open("rb") as f:
            data = f.read(MAX_PACK_BYTES + 1)
    except OSError as exc:
        raise PackUnreadable(file, exc.strerror or type(exc).__name__) from None
    if len(data) > MAX_PACK_BYTES:
        raise PackUnreadable(file, "it is too large to be a study pack")
    return data


class PackService:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx

    def inspect(self, path: str | Path) -> PackInfo:
        """Read and verify a pack (raises `PackInvalid`, `PackBadSignature`,
        `PackUnreadable`); compiles its forms to name them. Installs nothing."""
        file = Path(path)
        pack = read_pack(read_pack_file(file))
        forms: list[PackFormInfo] = []
        keys: set[tuple[str, str]] = set()
        for item in pack.forms:
            try:
                form = load_form_bytes(item.data, item.filename)
            except FormError:
                forms.append(PackFormInfo(item.filename, "", item.filename, "?"))
                continue
            forms.append(PackFormInfo(item.filename, form.form_id,
                                      form.title or form.form_id, form.version or "-"))
            keys.add((form.form_id, stored_version(form, sha256_hex(item.data))))
        movable = self._movable(pack.study_id, keys)
        store = self._ctx.store
        titles = {s.id: s.title for s in store.catalog.list_studies()}
        current = installed_study(self._ctx.store, pack.study_id)
        return PackInfo(
            path=file,
            study_id=pack.study_id,
            study_title=pack.study_title,
            created=pack.created,
            forms=tuple(forms),
            signing_fingerprint=pack.signing_fingerprint,
            installed_fingerprint=None if current is None else current.signing_fingerprint,
            policy=PackPolicyInfo(pack.policy.idle_lock_minutes, pack.policy.retention_days,
                                  pack.policy.sync_folder, pack.policy.max_recording_minutes,
                                  pack.policy.max_bundle_bytes),
            records_to_move=store.relocation.count_records(set(movable)),
            move_from=tuple(sorted(
                titles.get(study, study)
                for study in set(movable.values())
                if store.relocation.count_records(
                    {fv for fv, owner in movable.items() if owner == study})
            )),
            admin_name=pack.admin_name,
        )

    def _movable(self, pack_study_id: str, keys: set[tuple[str, str]]) -> dict[int, str]:
        """Form versions (id -> study id) of studies without a pack, other than the pack's
        own, whose (form id, version) is one of ``keys``: their records can join the
        pack's study."""
        packed = self._ctx.studies.packed_study_ids() | {pack_study_id}
        return {
            f.id: f.study_id
            for f in self._ctx.store.catalog.list_form_versions()
            if f.study_id not in packed and (f.form_id, f.version) in keys
        }

    def install(self, path: str | Path, *, move_records: bool = True) -> PackInstalled:
        """Verify and install a pack: its forms as new versions beside the old ones, its
        keys and policy (raises `PackSignedByOtherKey` for a study installed under
        another key). Then, unless ``move_records`` is false, records of studies without a
        pack that use one of its forms (same form id and version) move into the pack's
        study with their revisions, paradata and attachments, to go at the next sync."""
        data = read_pack_file(path)
        studies = self._ctx.studies

        def install_form(form: bytes, filename: str, study_id: str, title: str) -> bool:
            return studies.add_form_bytes(form, filename, study_id=study_id,
                                          study_title=title).created

        store = self._ctx.store
        imported = import_pack(store, data, install_form)
        study = imported.study
        log.info("study pack for %s %s: %d form version(s) added", study.study_id,
                 "installed" if imported.first_install else "updated", imported.forms_added)
        targets = {(f.form_id, f.version): f.id
                   for f in store.catalog.list_form_versions(study.study_id)}
        movable = self._movable(study.study_id, set(targets))
        moves = {f.id: targets[(f.form_id, f.version)]
                 for f in store.catalog.list_form_versions() if f.id in movable}
        moved = kept = 0
        if move_records:
            moved = len(store.relocation.move_records(moves))
            log.info("study pack for %s: %d record(s) moved into it", study.study_id, moved)
        else:
            kept = store.relocation.count_records(set(moves))
        return PackInstalled(
            study_id=study.study_id,
            study_title=study.study_title,
            first_install=imported.first_install,
            forms_added=imported.forms_added,
            forms_already_present=imported.forms_already_present,
            signing_fingerprint=study.signing_fingerprint,
            policy=PackPolicyInfo(study.policy.idle_lock_minutes, study.policy.retention_days,
                                  study.policy.sync_folder, study.policy.max_recording_minutes,
                                  study.policy.max_bundle_bytes),
            records_moved=moved,
            records_kept_apart=kept,
            admin_name=study.admin_name,
        )

    def idle_lock_minutes(self) -> int | None:
        """The strictest idle lock of the installed packs (None: no pack installed)."""
        minutes = [s.policy.idle_lock_minutes for s in installed_studies(self._ctx.store)]
        return min(minutes) if minutes else None
