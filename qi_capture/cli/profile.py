"""``qi-capture profile ...``: create, list, change the passphrase, rotate the data key,
recover with the organisation's recovery key, and check a profile.

``create --name NAME [--recovery-key AGE_RECIPIENT]`` makes a profile holding the
built-in study (the passphrase read twice when prompted); ``check`` runs
``cipher_integrity_check`` and ``integrity_check`` and exits 1 if either finds a problem.
Exit codes as in `qi_capture.cli.common`.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from qi_capture.cli import common
from qi_capture.cli.common import EXIT_INVALID, EXIT_OK, CliError, command
from qi_capture.cli.terminal import long_work, quiet_option
from qi_capture.services.dto import grouped_fingerprint
from qi_capture.services.profiles import kdf_params


def register(groups: Any) -> None:
    group = groups.add_parser("profile", help="create and look after encrypted profiles")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    create = commands.add_parser(
        "create", parents=[common.profile_options(select=False)],
        help="create a profile (an encrypted store for one interviewer)",
    )
    create.add_argument("--name", required=True, help="the interviewer's name for the profile")
    create.add_argument("--recovery-key", metavar="AGE_RECIPIENT", default=None,
                        help="the organisation's recovery public key (age1...)")
    create.add_argument(
        "--kdf", choices=("calibrate", "floor"), default="calibrate",
        help="Argon2id cost: calibrated to about 0.5-1 s on this machine (default), or "
             "the minimum the app accepts (64 MiB, t=3, p=4)",
    )
    create.set_defaults(handler=run_create)

    listing = commands.add_parser("list", help="list the profiles in the data folder")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=run_list)

    change = commands.add_parser(
        "change-passphrase", parents=[common.profile_options()],
        help="set a new passphrase (the database is not rewritten)",
    )
    common.new_passphrase_option(change)
    change.set_defaults(handler=run_change)

    rotate = commands.add_parser(
        "rotate-key", parents=[common.profile_options()],
        help="re-encrypt the database under a new random data key",
    )
    quiet_option(rotate)
    rotate.set_defaults(handler=run_rotate)

    recover = commands.add_parser(
        "recover", parents=[common.profile_options(passphrase=False)],
        help="set a new passphrase using the organisation's recovery key",
    )
    recover.add_argument("--recovery-identity", metavar="FILE", required=True,
                         help="file holding the recovery private key (AGE-SECRET-KEY-1...)")
    common.new_passphrase_option(recover)
    recover.set_defaults(handler=run_recover)

    show = commands.add_parser(
        "show", parents=[common.profile_options()],
        help="this laptop's device id and fingerprint, to read out to the study's admin",
    )
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=run_show)

    check = commands.add_parser(
        "check", parents=[common.profile_options()],
        help="check every page (HMAC) and the database structure",
    )
    check.add_argument("--json", action="store_true", help="print JSON")
    quiet_option(check)
    check.set_defaults(handler=run_check)


@command
def run_create(args: argparse.Namespace) -> int:
    passphrase = common.read_created_passphrase(args)
    kdf = kdf_params(args.kdf)
    info = common.profiles(args).create(args.name, passphrase, args.recovery_key, kdf=kdf)
    print(f"created profile {info.label} (id {info.profile_id})")
    print(f"folder: {info.folder}")
    print(f"recovery key: {'yes' if info.has_recovery else 'no'}")
    return EXIT_OK


@command
def run_list(args: argparse.Namespace) -> int:
    found = common.profiles(args).list_profiles()
    if args.json:
        print(json.dumps([
            {"name": p.label, "id": p.profile_id, "folder": str(p.folder),
             "created": p.created, "recovery": p.has_recovery, "error": p.error}
            for p in found
        ], indent=2, ensure_ascii=False))
        return EXIT_OK
    if not found:
        print("no profiles")
    for p in found:
        state = f"  UNREADABLE KEY FILE ({p.error})" if p.error else ""
        print(f"{p.label or '-'}  id {p.profile_id or '-'}  created {p.created or '-'}  "
              f"recovery {'yes' if p.has_recovery else 'no'}{state}")
    return EXIT_OK


@command
def run_show(args: argparse.Namespace) -> int:
    with common.unlock(args) as ctx:
        device, profile = ctx.device, ctx.profile
        studies = ctx.studies.overview()
    if args.json:
        print(json.dumps({
            "profile": profile.label, "profile_id": profile.profile_id,
            "device_id": str(device.id), "fingerprint": device.fingerprint,
            "studies": [{"id": s.id, "title": s.title, "has_pack": s.has_pack}
                        for s in studies],
        }, indent=2, ensure_ascii=False))
        return EXIT_OK
    print(f"profile:     {profile.label} (id {profile.profile_id})")
    print(f"device id:   {device.id}")
    print(f"fingerprint: {device.fingerprint}")
    print(f"read out as: {grouped_fingerprint(device.fingerprint)}")
    for s in studies:
        print(f"study:       {s.title} ({s.id})"
              + ("" if s.has_pack else " - no study pack yet: records stay on this laptop"))
    print("The study's admin sees the same device id and fingerprint in "
          "'qi-capture devices list' before enrolling this laptop.")
    return EXIT_OK


@command
def run_change(args: argparse.Namespace) -> int:
    profile = common.selected_profile(args)
    old = common.read_passphrase(args, "Current passphrase: ")
    new = common.read_new_passphrase(args)
    common.profiles(args).change_passphrase(profile, old, new)
    print(f"passphrase changed for {profile.label}")
    return EXIT_OK


@command
def run_rotate(args: argparse.Namespace) -> int:
    profile = common.selected_profile(args)
    passphrase = common.read_passphrase(args)
    with long_work("rotate-key", quiet=args.quiet) as work:
        # Not cancellable halfway: Ctrl+C is heard after the rotation (it is crash-safe
        # instead; the next unlock settles an interrupted one).
        common.profiles(args).rotate_key(profile, passphrase, progress=work.progress)
    print(f"data key rotated for {profile.label}; older backups were replaced")
    return EXIT_OK


@command
def run_recover(args: argparse.Namespace) -> int:
    profile = common.selected_profile(args)
    identity = common.read_small_text(args.recovery_identity, "the recovery key file")
    lines = [line.strip() for line in identity.splitlines()]
    keys = [line for line in lines if line and not line.startswith("#")]
    if len(keys) != 1:
        raise CliError(f"{args.recovery_identity} must hold one recovery key "
                       f"(AGE-SECRET-KEY-1...), found {len(keys)}", EXIT_INVALID)
    new = common.read_new_passphrase(args)
    common.profiles(args).recover(profile, keys[0], new)
    print(f"new passphrase set for {profile.label} with the recovery key")
    return EXIT_OK


@command
def run_check(args: argparse.Namespace) -> int:
    profile = common.selected_profile(args)
    passphrase = common.read_passphrase(args)
    with long_work("profile check", quiet=args.json or args.quiet) as work:
        # The check writes nothing: Ctrl+C stops it between its steps.
        report = common.profiles(args).check(profile, passphrase,
                                             progress=work.progress_or_stop)
    if args.json:
        print(json.dumps({"ok": report.ok, "cipher_problems": list(report.cipher_problems),
                          "integrity_problems": list(report.integrity_problems),
                          "attachment_problems": list(report.attachment_problems),
                          "permission_problems": list(report.permission_problems)}, indent=2))
    else:
        print(f"profile {profile.label}: {'ok' if report.ok else 'PROBLEMS FOUND'}")
        print(f"cipher_integrity_check: {len(report.cipher_problems)} problem(s)")
        for line in report.cipher_problems[:50]:
            print(f"  {line}")
        print(f"integrity_check: {len(report.integrity_problems)} problem(s)")
        for line in report.integrity_problems[:50]:
            print(f"  {line}")
        print(f"attachment files: {len(report.attachment_problems)} problem(s)")
        for line in report.attachment_problems[:50]:
            print(f"  {line}")
        print(f"file permissions: {len(report.permission_problems)} problem(s)")
        for line in report.permission_problems[:50]:
            print(f"  {line}")
    return EXIT_OK if report.ok else EXIT_INVALID
