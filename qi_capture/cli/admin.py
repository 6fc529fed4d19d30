"""``qi-capture admin ...``: the study admin's keys, in an encrypted admin profile under
``--central DIR`` (see `qi_capture.sync.admin`).

- ``admin init --central DIR [--study-id ID] [--title T] [--name NAME]`` creates the
  profile (with the admin's name, asked for on a terminal when not given, shown to
  interviewers in every study pack), the study's bundle key pair, the
  pack/acknowledgement signing key and the offline recovery key pair, and prints the
  recovery identity ONCE (only its public half is kept);
- ``admin init --central postgresql://OWNER@HOST/DB --admin DIR [--create-role NAME]
  [--role-password-file F]``: the same profile in DIR (the keys never go to the
  database), the central tables created in DB by its owner, and optionally a login
  role with only the rights merges need (`qi_capture.central.postgres.create_merge_role`),
  to use in the URL of every later command. The password is never taken from the
  command line: libpq reads ``PGPASSWORD``, ``PGPASSFILE``/``~/.pgpass`` or a service
  file; the new role's from ``--role-password-file`` or ``QI_CAPTURE_ROLE_PASSWORD``
  (none: set it later, or use certificates);
- ``admin enrol --central DIR --device-key KEY [--name N]`` trusts a device's key
  (bundles from unknown devices are refused, with the command to enrol them), before
  any bundle from it has arrived;
- ``admin revoke --central DIR FINGERPRINT``; ``admin devices --central DIR``;
- these three write and read the one device registry, the central store's
  (`qi_capture.services.device_registry`, as ``devices`` does): with a PostgreSQL store
  give ``--central URL --admin DIR``;
- ``admin show --central DIR``: the study, the admin's name and the public keys.

The admin passphrase comes from ``--passphrase-file F`` or ``QI_CAPTURE_PASSPHRASE``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from qi_capture.cli import common
from qi_capture.cli.common import EXIT_OK, CliError, command
from qi_capture.services.admin.keys import (
    AdminProfile,
    DeviceRegistry,
    RegistryNeedsKeys,
    check_admin_name,
    check_postgres_setup,
    create_admin,
    create_merge_role,
    is_postgres_url,
    parse_device_key,
    prepare_postgres,
)
from qi_capture.services.admin.keys import (
    open_admin as open_admin_profile,
)
from qi_capture.services.admin.keys import (
    open_registry as open_admin_registry,
)
from qi_capture.services.dto import short_fingerprint
from qi_capture.services.profiles import kdf_params

#: What stands for the name of an admin profile made before names were asked for.
NO_NAME = "(no name)"
#: Where ``admin init --create-role`` takes the new role's password, if not from a file.
ROLE_PASSWORD_ENV = "QI_CAPTURE_ROLE_PASSWORD"


def _passphrase_option(parent: argparse.ArgumentParser) -> None:
    parent.add_argument(
        "--passphrase-file", metavar="F", default=None,
        help=f"read the admin passphrase from F (else ${common.PASSPHRASE_ENV}, else a prompt)",
    )


def central_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--central", metavar="DIR", required=True, type=Path,
                        help="the central folder holding the admin profile")
    _passphrase_option(parent)
    return parent


def registry_options() -> argparse.ArgumentParser:
    """``--central`` as a folder or a PostgreSQL URL (then ``--admin DIR``): the commands
    that read or write the device registry, which is in the central store."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--central", metavar="DIR_OR_URL", required=True,
                        help="the central folder holding the admin profile, or a PostgreSQL "
                             "URL (then --admin)")
    parent.add_argument("--admin", metavar="DIR", default=None, type=Path,
                        help="with a PostgreSQL URL: the folder holding the admin profile")
    _passphrase_option(parent)
    return parent


def register(groups: Any) -> None:
    group = groups.add_parser("admin", help="the study admin's keys and enrolled devices")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    init = commands.add_parser("init", help="create the admin profile and the study's keys")
    init.add_argument("--central", metavar="DIR_OR_URL", required=True,
                      help="the central folder to create, or a PostgreSQL URL (then --admin)")
    init.add_argument("--admin", metavar="DIR", default=None, type=Path,
                      help="with a PostgreSQL URL: the folder for the admin profile (keys)")
    init.add_argument(
        "--passphrase-file", metavar="F", default=None,
        help=f"read the admin passphrase from F (else ${common.PASSPHRASE_ENV}, else a prompt)",
    )
    init.add_argument("--create-role", metavar="NAME", default=None,
                      help="with a PostgreSQL URL: also create a login role with only the "
                           "rights merges need")
    init.add_argument("--role-password-file", metavar="F", default=None,
                      help=f"the new role's password (else ${ROLE_PASSWORD_ENV}, else none)")
    init.add_argument("--study-id", metavar="ID", default=None,
                      help="the study's id (default: a new random one)")
    init.add_argument("--title", metavar="TITLE", default="QI study", help="the study's title")
    init.add_argument("--name", metavar="NAME", default=None,
                      help="your name, as interviewers know you: every study pack shows it "
                           "beside its check code (asked for on a terminal when missing)")
    init.add_argument("--kdf", choices=("calibrate", "floor"), default="calibrate",
                      help="Argon2id cost: calibrated to this machine, or the floor (tests)")
    init.set_defaults(handler=run_init)

    enrol = commands.add_parser("enrol", parents=[registry_options()],
                                help="trust a device's signing key")
    enrol.add_argument("--device-key", metavar="KEY", required=True,
                       help="the device's public key (base64), as the refusal message shows")
    enrol.add_argument("--name", default="", help="a label for the device")
    enrol.set_defaults(handler=run_enrol)

    revoke = commands.add_parser("revoke", parents=[registry_options()],
                                 help="refuse every future bundle from a device")
    revoke.add_argument("fingerprint", metavar="FINGERPRINT", help="ed25519:<hex>")
    revoke.set_defaults(handler=run_revoke)

    devices = commands.add_parser("devices", parents=[registry_options()],
                                  help="list enrolled devices")
    devices.add_argument("--json", action="store_true", help="print JSON")
    devices.set_defaults(handler=run_devices)

    show = commands.add_parser("show", parents=[central_options()],
                               help="the study and its public keys")
    show.set_defaults(handler=run_show)


def open_admin(args: argparse.Namespace) -> AdminProfile:
    return open_admin_profile(args.central,
                              common.read_passphrase(args, "Admin passphrase: "))


def open_registry(args: argparse.Namespace) -> AbstractContextManager[
        tuple[DeviceRegistry, AdminProfile]]:
    """The device registry of ``--central`` (and ``--admin``), with the admin keys."""
    if is_postgres_url(args.central) and args.admin is None:
        raise RegistryNeedsKeys()  # before the passphrase is asked for
    return open_admin_registry(args.central, common.read_passphrase(args, "Admin passphrase: "),
                               admin_dir=args.admin)


def _role_password(args: argparse.Namespace) -> str | None:
    if args.role_password_file:
        return common.read_secret_file(args.role_password_file)
    return os.environ.get(ROLE_PASSWORD_ENV) or None


def _check_postgres_args(args: argparse.Namespace) -> None:
    """What can be refused before anything is asked for or changed."""
    if args.admin is None:
        raise CliError("with a PostgreSQL URL, give --admin DIR: the folder for the admin "
                       "profile (the study's keys never go to the database)")
    check_postgres_setup(args.central, args.admin)


def _prepare_postgres(args: argparse.Namespace) -> str:
    """Create or upgrade the central tables as the owner and, if asked, the merge role;
    returns the store as it names itself (no password). Runs before the profile is
    made, so a server that cannot be reached leaves nothing behind."""
    password = _role_password(args) if args.create_role else None
    store = prepare_postgres(args.central)
    print(f"Central tables ready in {store}")
    if args.create_role:
        create_merge_role(args.central, args.create_role, password)
        print(f"Role {args.create_role} created with only the rights merges need"
              + ("" if password else "; it has no password yet: set one (psql \\password) "
                 "or use client certificates"))
        print("Use it in the URL of every other command, with its password in PGPASSWORD, "
              "~/.pgpass or a service file (never on the command line).")
    return store


def _admin_name(args: argparse.Namespace) -> str:
    """The admin's name: ``--name``, else asked for on a terminal, else none (a script
    that gives none keeps working; packs then show "(no name)")."""
    name = args.name
    if name is None and common.is_interactive():
        name = input("Your name, as interviewers know you (shown in every study pack): ")
    return check_admin_name(name) if name and name.strip() else ""


@command
def run_init(args: argparse.Namespace) -> int:
    target = str(args.central)
    if args.create_role and not is_postgres_url(target):
        raise CliError("--create-role needs a PostgreSQL URL as --central")
    if is_postgres_url(target):
        _check_postgres_args(args)
    admin_name = _admin_name(args)
    passphrase = common.read_created_passphrase(args)
    store = _prepare_postgres(args) if is_postgres_url(target) else None
    folder = Path(args.admin) if store is not None else Path(target)
    kdf = kdf_params(args.kdf)
    study_id = args.study_id or f"study-{secrets.token_hex(4)}"
    created = create_admin(folder, passphrase, study_id=study_id, study_title=args.title,
                           admin_name=admin_name, kdf=kdf, central_store=store)
    print(f"Admin profile created in {created.folder}")
    print(f"Study: {created.study_id} ({created.study_title})")
    print(f"Admin:              {created.admin_name or NO_NAME}")
    print(f"Bundle recipient:   {created.bundle_recipient}")
    print(f"Signing key:        {created.signing_fingerprint}")
    print(f"Check code:         {short_fingerprint(created.signing_fingerprint)}")
    print(f"Recovery recipient: {created.recovery_recipient}")
    print()
    print("RECOVERY IDENTITY: shown this once and stored nowhere. Write it down or print it,")
    print("and keep it offline and safe. It opens every bundle of this study and resets")
    print("the admin passphrase. Anyone who has it can read the study's data.")
    print()
    print(created.recovery_identity)
    sys.stdout.flush()
    return EXIT_OK


@command
def run_enrol(args: argparse.Namespace) -> int:
    key = parse_device_key(args.device_key)
    with open_registry(args) as (registry, _admin):
        device = registry.enrol_key(key, args.name)
    state = "revoked (revocation is final)" if device.revoked else "enrolled"
    print(f"{device.fingerprint}: {state}")
    return EXIT_OK


@command
def run_revoke(args: argparse.Namespace) -> int:
    with open_registry(args) as (registry, _admin):
        device = registry.revoke_key(args.fingerprint)
    print(f"{device.fingerprint}: revoked")
    return EXIT_OK


@command
def run_devices(args: argparse.Namespace) -> int:
    with open_registry(args) as (registry, _admin):
        devices = registry.keys()
    if args.json:
        print(json.dumps([{"fingerprint": d.fingerprint, "name": d.name, "revoked": d.revoked}
                          for d in devices], indent=2))
        return EXIT_OK
    for d in devices:
        print(f"{d.fingerprint}  {d.name or '-'}{'  REVOKED' if d.revoked else ''}")
    return EXIT_OK


@command
def run_show(args: argparse.Namespace) -> int:
    with open_admin(args) as admin:
        keys = admin.keys()
    print(f"Study: {keys.study_id} ({keys.study_title})")
    print(f"Admin:              {keys.admin_name or NO_NAME}")
    print(f"Bundle recipient:   {keys.bundle_recipient}")
    print(f"Signing key:        {keys.signing_fingerprint}")
    print(f"Check code:         {short_fingerprint(keys.signing_fingerprint)}")
    print(f"Recovery recipient: {keys.recovery_recipient}")
    return EXIT_OK
