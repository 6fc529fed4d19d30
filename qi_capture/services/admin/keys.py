"""The admin keys' door: creating the admin profile and the study's keys (in a central
folder, or beside a PostgreSQL store), opening them with the device registry to enrol and
revoke devices (`open_registry`), checking a bundle without importing it, and writing a
signed study pack. The command line's
``admin``, ``bundle verify`` and ``study pack`` commands and the screenshot scripts go
through it, so none of them reaches into sync, central or crypto.

The names re-exported here (the pack defaults, `StudyPolicy`, `PackForm`, the refusal
errors) are the values and error types a caller needs to fill in and to tell apart; the
work stays behind the functions.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from qi_capture.central import migrate, postgres
from qi_capture.central.models import CentralBase
from qi_capture.central.store import CentralStore, is_url
from qi_capture.crypto import signing
from qi_capture.crypto.atomic import atomic_write_bytes
from qi_capture.crypto.kdf import KdfParams
from qi_capture.progress import Cancelled, CancelToken, ProgressCallback, no_progress
from qi_capture.services.admin.errors import RegistryInPostgres, RegistryNeedsKeys
from qi_capture.services.central_forms import RegisteredForm, register_forms
from qi_capture.services.device_registry import DeviceRegistry, RegisteredKey
from qi_capture.storage.profile import KEYFILE_NAME
from qi_capture.sync.admin import (
    AdminCreated,
    AdminProfile,
    admin_folder,
    check_admin_name,
    init_admin,
    parse_device_key,
)
from qi_capture.sync.bundle import BundleSummary, KnownDevice, verify_bundle_file
from qi_capture.sync.errors import (
    AdminExists,
    AdminNameInvalid,
    BundleRefused,
    PackBadSignature,
    PackInvalid,
    PackSignedByOtherKey,
)
from qi_capture.sync.pack import (
    DEFAULT_IDLE_LOCK_MINUTES,
    DEFAULT_QUARANTINE_BUNDLE_BYTES,
    DEFAULT_QUARANTINE_TOTAL_BYTES,
    DEFAULT_RETENTION_DAYS,
    MAX_PACK_BYTES,
    PackForm,
    StudyPolicy,
    build_pack,
    save_admin_policy,
)

__all__ = [
    "DEFAULT_IDLE_LOCK_MINUTES", "DEFAULT_QUARANTINE_BUNDLE_BYTES",
    "DEFAULT_QUARANTINE_TOTAL_BYTES", "DEFAULT_RETENTION_DAYS", "MAX_PACK_BYTES",
    "PACK_REFUSED", "AdminCreated", "AdminNameInvalid", "AdminProfile", "BundleRefused",
    "BundleSummary", "DeviceRegistry", "PackForm", "PackWritten", "RegisteredKey",
    "RegistryInPostgres", "RegistryNeedsKeys", "StudyPolicy", "check_admin_name",
    "check_postgres_setup", "create_admin",
    "create_merge_role", "is_postgres_url", "open_admin", "open_registry", "parse_device_key",
    "prepare_postgres", "verify_bundle", "write_study_pack",
]

#: Why a study pack is refused on import (exit 1 at the command line, not 2).
PACK_REFUSED = (PackBadSignature, PackInvalid, PackSignedByOtherKey)


def is_postgres_url(text: str | Path) -> bool:
    return is_url(str(text))


def check_postgres_setup(url: str, admin_dir: Path) -> None:
    """What ``admin init`` on PostgreSQL can refuse before asking or changing anything:
    an admin profile already in ``admin_dir``, a URL that is not PostgreSQL's."""
    if (admin_folder(admin_dir) / KEYFILE_NAME).exists():
        raise AdminExists(str(admin_dir))
    postgres.parse_url(url)


def prepare_postgres(url: str) -> str:
    """Connect as the owner and create or upgrade the central tables; returns the store
    as it names itself (no password)."""
    with CentralStore.open(url) as store:
        return store.target


def create_merge_role(url: str, role: str, password: str | None) -> None:
    """A login role with only the rights merges need, on the store's tables."""
    postgres.create_merge_role(postgres.parse_url(url), role, password,
                               [t.name for t in CentralBase.metadata.sorted_tables],
                               version_table=migrate.VERSION_TABLE)


def create_admin(folder: Path, passphrase: str, *, study_id: str, study_title: str,
                 admin_name: str = "", kdf: KdfParams | None = None,
                 central_store: str | None = None) -> AdminCreated:
    """The admin profile and the study's keys in ``folder``; ``admin_name`` (may be
    empty) goes into every study pack; ``central_store``: the PostgreSQL store (as
    `prepare_postgres` names it) whose keys these are, so that commands given only the
    folder say where its devices are. The recovery identity it returns is the only
    copy: show it once."""
    return init_admin(folder, passphrase, study_id=study_id, study_title=study_title,
                      admin_name=admin_name, kdf=kdf, central_store=central_store)


def open_admin(folder: Path, passphrase: str) -> AdminProfile:
    """The admin profile in ``folder`` (a context manager: its keys)."""
    return AdminProfile.open(folder, passphrase)


@contextmanager
def open_registry(target: str | Path, passphrase: str, *, admin_dir: Path | None = None
                  ) -> Iterator[tuple[DeviceRegistry, AdminProfile]]:
    """The device registry and the admin keys: a central folder's own (``target``), or
    a PostgreSQL store's (``target`` its URL, ``admin_dir`` the folder of the keys). A
    folder that only holds the keys of a PostgreSQL store is refused
    (`RegistryInPostgres`): its devices are in the database."""
    text = str(target)
    with ExitStack() as opened:
        if is_url(text):
            if admin_dir is None:
                raise RegistryNeedsKeys()
            central = opened.enter_context(CentralStore.open(text))
            admin = opened.enter_context(AdminProfile.open(admin_dir, passphrase))
            admin.remember_central_store(central.target)
        else:
            # The profile first: a folder beside PostgreSQL is refused before any
            # central table is made in it.
            admin = AdminProfile.open(Path(text), passphrase)
            elsewhere = admin.central_store()
            if elsewhere is not None:
                admin.lock()
                raise RegistryInPostgres(text, elsewhere)
            central = opened.enter_context(CentralStore.on_profile(admin.store, target=text))
        yield DeviceRegistry(central, admin), admin


def verify_bundle(path: Path, target: str | Path, passphrase: str,
                  extra_keys: Sequence[str] = (), *,
                  admin_dir: Path | None = None) -> BundleSummary:
    """Decrypt and check a bundle with the admin keys (a central folder's, or
    ``admin_dir``'s beside a PostgreSQL store), trusting the devices of the registry,
    importing nothing; ``extra_keys`` (base64) are trusted for this check only. Raises
    `BundleRefused` (with its reason's code) or OSError."""
    extra = [parse_device_key(k) for k in extra_keys]
    with open_registry(target, passphrase, admin_dir=admin_dir) as (registry, admin):
        keys = admin.keys()
        devices = registry.known()
    for key in extra:
        devices.setdefault(signing.fingerprint(key), KnownDevice(key, "given with --device-key"))
    return verify_bundle_file(path, study_id=keys.study_id, identity=keys.bundle_identity,
                              devices=devices, recovery_recipient=keys.recovery_recipient)


@dataclass(frozen=True)
class PackWritten:
    study_id: str
    study_title: str
    signing_fingerprint: str
    forms: tuple[RegisteredForm, ...]


@contextmanager
def _stores(target: str, admin_dir: Path | None,
            passphrase: str) -> Iterator[tuple[CentralStore, AdminProfile]]:
    with ExitStack() as opened:
        if is_url(target):
            # The keys (and the policy the merge applies) are in the admin folder; the
            # forms go to the PostgreSQL store that exports read.
            assert admin_dir is not None
            central = opened.enter_context(CentralStore.open(target))
            admin = opened.enter_context(AdminProfile.open(admin_dir, passphrase))
        else:
            central = opened.enter_context(CentralStore.open(target, passphrase))
            assert central.profile is not None  # a folder always has its admin profile
            admin = AdminProfile(central.profile)
        yield central, admin


def write_study_pack(target: str | Path, passphrase: str, forms: Sequence[PackForm],
                     policy: StudyPolicy, out: Path, *, admin_dir: Path | None = None,
                     progress: ProgressCallback | None = None,
                     cancel: CancelToken | None = None) -> PackWritten:
    """Compile ``forms`` (a broken one is refused), sign the pack with the admin key,
    write it to ``out`` atomically, keep its policy in the admin profile (the merge
    applies its quarantine limits) and record the forms in the central store, so that
    exports need no form files. ``target``: the central folder, or a PostgreSQL URL with
    ``admin_dir`` holding the keys. ``cancel`` is heard until the pack is written
    (`Cancelled`: nothing written); after that the steps finish. OSError when ``out``
    cannot be written."""
    report = progress or no_progress
    with _stores(str(target), admin_dir, passphrase) as (central, admin):
        report(0, 3, "compiling and signing the forms")
        keys = admin.keys()
        data = build_pack(keys, forms, policy)
        if cancel is not None and cancel.is_cancelled():
            raise Cancelled()
        report(1, 3, f"writing {out.name}")
        atomic_write_bytes(out, data)
        save_admin_policy(admin.store, policy)
        report(2, 3, "recording the forms in the central store")
        registered = register_forms(central, keys.study_id,
                                    [(f.filename, f.data) for f in forms])
        report(3, 3, "done")
    return PackWritten(keys.study_id, keys.study_title, keys.signing_fingerprint,
                       tuple(registered))
