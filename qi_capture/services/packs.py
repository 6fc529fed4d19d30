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


def read_pack_file(path: str | Path) -> bytes:
    file = Path(path)
    try:
        if file.stat().st_size > MAX_PACK_BYTES:
            raise PackUnreadable(file, "it is too large to be a study pack")
        return file.read_bytes()
    except OSError as exc:
        raise PackUnreadable(file, exc.strerror or type(exc).__name__) from None


class PackService:
    def __init__(self, ctx: CoreContext) -> None:
        self._ctx = ctx

    def inspect(self, path: str | Path) -> PackInfo:
        """Read and verify a pack (raises `PackInvalid`, `PackBadSignature`,
        `PackUnreadable`); compiles its forms to name them. Installs nothing."""
        file = Path(path)
        pack = read_pack(read_pack_file(file))
        forms: list[PackFormInfo] = []
        for item in pack.forms:
            try:
                form = load_form_bytes(item.data, item.filename)
            except FormError:
                forms.append(PackFormInfo(item.filename, "", item.filename, "?"))
                continue
            forms.append(PackFormInfo(item.filename, form.form_id,
                                      form.title or form.form_id, form.version or "-"))
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
                                  pack.policy.sync_folder),
        )

    def install(self, path: str | Path) -> PackInstalled:
        """Verify and install a pack: its forms as new versions beside the old ones, its
        keys and policy (raises `PackSignedByOtherKey` for a study installed under
        another key)."""
        data = read_pack_file(path)
        studies = self._ctx.studies

        def install_form(form: bytes, filename: str, study_id: str, title: str) -> bool:
            return studies.add_form_bytes(form, filename, study_id=study_id,
                                          study_title=title).created

        imported = import_pack(self._ctx.store, data, install_form)
        study = imported.study
        log.info("study pack for %s %s: %d form version(s) added", study.study_id,
                 "installed" if imported.first_install else "updated", imported.forms_added)
        return PackInstalled(
            study_id=study.study_id,
            study_title=study.study_title,
            first_install=imported.first_install,
            forms_added=imported.forms_added,
            forms_already_present=imported.forms_already_present,
            signing_fingerprint=study.signing_fingerprint,
            policy=PackPolicyInfo(study.policy.idle_lock_minutes, study.policy.retention_days,
                                  study.policy.sync_folder),
        )

    def idle_lock_minutes(self) -> int | None:
        """The strictest idle lock of the installed packs (None: no pack installed)."""
        minutes = [s.policy.idle_lock_minutes for s in installed_studies(self._ctx.store)]
        return min(minutes) if minutes else None
