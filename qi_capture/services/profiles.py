"""Profiles: finding, creating (with the built-in study), unlocking into a `CoreContext`,
and the key operations (passphrase change, data-key rotation, recovery, checks).

One profile per interviewer, each in its own folder under ``<data dir>/profiles/``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from qi_capture import deployment as deployment_settings
from qi_capture.crypto.errors import WeakPassphrase
from qi_capture.crypto.kdf import KdfParams, calibrate, floor_params
from qi_capture.crypto.passphrase import Strength, check_passphrase, estimate
from qi_capture.errors import QICaptureError
from qi_capture.progress import ProgressCallback, no_progress
from qi_capture.services.backup_policy import backup_keep_days
from qi_capture.services.context import CoreContext
from qi_capture.services.dto import IntegrityReport, PassphraseStrength, ProfileInfo
from qi_capture.services.errors import (
    NoProfiles,
    ProfileChoiceNeeded,
    ProfileNameTaken,
    ProfileUnknown,
)
from qi_capture.storage.profile import Profile
from qi_capture.storage.profile_folders import list_profiles, new_profile_folder, profiles_root

log = logging.getLogger(__name__)

#: Argon2id cost choices of the command line's ``--kdf``.
KDF_CHOICES = ("calibrate", "floor")


def kdf_params(choice: str) -> KdfParams:
    """``calibrate``: about 0.5-1 s per unlock on this machine; ``floor``: the minimum the
    app accepts (64 MiB, t=3, p=4), for tests and scripted set-ups."""
    return floor_params() if choice == "floor" else calibrate()


#: The durable steps of a data-key rotation (`Profile.rotate_data_key`'s hook names), as
#: progress words.
_ROTATION = (
    ("pending_written", "new key staged in the key file"),
    ("rekeyed", "database re-encrypted"),
    ("checkpointed", "write-ahead log folded in"),
    ("promoted", "new key made current"),
    ("backed_up", "backup made under the new key"),
)


class ProfileService:
    """Profiles under one data folder (``None``: the platform's application-data folder).
    ``deployment``: the IT settings to apply (None: read deployment.json when needed)."""

    def __init__(self, data_dir: str | Path | None = None, *,
                 deployment: deployment_settings.Deployment | None = None) -> None:
        self.data_dir = data_dir
        self.deployment = deployment

    @staticmethod
    def check_passphrase(passphrase: str,
                         strength: Strength | None = None) -> tuple[str, str] | None:
        """The rules a new passphrase must pass: None if acceptable, else (reason code,
        message)."""
        try:
            check_passphrase(passphrase, strength)
        except WeakPassphrase as exc:
            return str(exc.params.get("reason", "weak")), exc.message
        return None

    @staticmethod
    def passphrase_strength(passphrase: str) -> PassphraseStrength:
        """The rules' verdict and the estimator's score and feedback, as the user types
        (string checks only, no key derivation; at most about 0.1 s)."""
        strength = estimate(passphrase)
        verdict = ProfileService.check_passphrase(passphrase, strength)
        reason, message = verdict if verdict is not None else (None, "")
        return PassphraseStrength(strength.score, reason, message, strength.warning,
                                  strength.suggestions)

    def _deployment_pack(self) -> Path | None:
        settings = self.deployment
        if settings is None:
            try:
                settings = deployment_settings.load()
            except deployment_settings.DeploymentInvalid as exc:
                log.warning("deployment settings ignored: %s", exc.message)
                return None
        return settings.study_pack

    def list_profiles(self) -> list[ProfileInfo]:
        return list_profiles(self.data_dir)

    def select(self, selector: str | None = None) -> ProfileInfo:
        """The profile ``selector`` names (its name, its id, or its folder name), or the
        only profile there is when ``selector`` is None."""
        profiles = self.list_profiles()
        if not profiles:
            raise NoProfiles(str(profiles_root(self.data_dir)))
        if selector is None:
            if len(profiles) > 1:
                raise ProfileChoiceNeeded([p.label or p.folder.name for p in profiles])
            return profiles[0]
        wanted = selector.strip()
        rules: tuple[Callable[[ProfileInfo], bool], ...] = (
            lambda p: wanted in (p.profile_id, p.folder.name),
            lambda p: p.label == wanted,
            lambda p: (p.label or "").casefold() == wanted.casefold(),
        )
        for rule in rules:
            matches = [p for p in profiles if rule(p)]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise ProfileUnknown(selector, len(matches))
        raise ProfileUnknown(selector)

    def create(
        self,
        name: str,
        passphrase: str,
        recovery_recipient: str | None = None,
        *,
        kdf: KdfParams | None = None,
    ) -> ProfileInfo:
        """A new profile holding the built-in study, and the study pack deployment.json
        names, if any (a pack that cannot be installed is logged, not fatal: the
        interviewer can import one later). ``kdf`` defaults to Argon2id parameters
        calibrated on this machine (about 0.5-1 s per unlock)."""
        name = name.strip()
        if any((p.label or "").casefold() == name.casefold() for p in self.list_profiles()):
            raise ProfileNameTaken()
        pack = self._deployment_pack()
        folder = new_profile_folder(self.data_dir)
        Profile.create(folder, name, passphrase, recovery_recipient, kdf=kdf)
        with self.unlock(folder, passphrase) as ctx:
            added = ctx.studies.add_builtin_study()
            if pack is not None:
                try:
                    ctx.packs.install(pack)
                except QICaptureError as exc:
                    log.warning("deployment study pack not installed: %s", exc.code)
        log.info("profile %s created with %d built-in form(s)", folder.name, len(added))
        return Profile.info(folder)

    def unlock(self, profile: ProfileInfo | Path, passphrase: str) -> CoreContext:
        """Open a profile (raises `WrongPassphrase`, `ProfileLocked`, `DatabaseCorrupt`...)."""
        folder = profile.folder if isinstance(profile, ProfileInfo) else profile
        store = Profile.unlock(folder, passphrase, backup_keep_days=backup_keep_days())
        try:
            ctx = CoreContext(store)
        except BaseException:
            store.lock()
            raise
        log.info("profile %s unlocked", folder.name)
        return ctx

    def change_passphrase(self, profile: ProfileInfo, old: str, new: str) -> None:
        Profile.change_passphrase(profile.folder, old, new)
        log.info("profile %s: passphrase changed", profile.folder.name)

    def rotate_key(self, profile: ProfileInfo, passphrase: str,
                   progress: ProgressCallback | None = None) -> None:
        """Re-encrypt the database under a new data key. ``progress`` hears each durable
        step; the rotation cannot be cancelled halfway (it is crash-safe instead: the next
        unlock settles an interrupted one)."""
        report = progress or no_progress
        steps = {name: (number, text) for number, (name, text) in enumerate(_ROTATION, 1)}
        report(0, len(_ROTATION), "checking the database")

        def on_step(name: str) -> None:
            number, text = steps.get(name, (0, name))
            report(number, len(_ROTATION), text)

        Profile.rotate_data_key(profile.folder, passphrase, fault=on_step)
        log.info("profile %s: data key rotated", profile.folder.name)

    def recover(self, profile: ProfileInfo, recovery_identity: str, new_passphrase: str) -> None:
        Profile.recover(profile.folder, recovery_identity, new_passphrase)
        log.info("profile %s: passphrase reset with the recovery key", profile.folder.name)

    def check(self, profile: ProfileInfo, passphrase: str,
              progress: ProgressCallback | None = None) -> IntegrityReport:
        report = Profile.check(profile.folder, passphrase, progress)
        log.info("profile %s checked: %d page problem(s), %d structural problem(s), "
                 "%d attachment file problem(s), %d permission problem(s)",
                 profile.folder.name, len(report.cipher_problems),
                 len(report.integrity_problems), len(report.attachment_problems),
                 len(report.permission_problems))
        return report
