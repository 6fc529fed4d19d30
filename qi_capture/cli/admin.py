"""``qi-capture admin ...``: the study admin's keys, in an encrypted admin profile under
``--central DIR`` (see `qi_capture.sync.admin`).

- ``admin init --central DIR [--study-id ID] [--title T]`` creates the profile, the
  study's bundle key pair, the pack/acknowledgement signing key and the offline recovery
  key pair, and prints the recovery identity ONCE (only its public half is kept);
- ``admin enrol --central DIR --device-key KEY [--name N]`` trusts a device's key
  (bundles from unknown devices are refused, with the command to enrol them);
- ``admin revoke --central DIR FINGERPRINT``; ``admin devices --central DIR``;
- ``admin show --central DIR``: the study and its public keys.

The admin passphrase comes from ``--passphrase-file F`` or ``QI_CAPTURE_PASSPHRASE``.
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
from pathlib import Path
from typing import Any

from qi_capture.cli import common
from qi_capture.cli.common import EXIT_OK, command
from qi_capture.crypto.kdf import calibrate, floor_params
from qi_capture.sync.admin import AdminProfile, init_admin, parse_device_key


def central_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--central", metavar="DIR", required=True, type=Path,
                        help="the central folder holding the admin profile")
    parent.add_argument(
        "--passphrase-file", metavar="F", default=None,
        help=f"read the admin passphrase from F (else ${common.PASSPHRASE_ENV}, else a prompt)",
    )
    return parent


def register(groups: Any) -> None:
    group = groups.add_parser("admin", help="the study admin's keys and enrolled devices")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)

    init = commands.add_parser("init", parents=[central_options()],
                               help="create the admin profile and the study's keys")
    init.add_argument("--study-id", metavar="ID", default=None,
                      help="the study's id (default: a new random one)")
    init.add_argument("--title", metavar="TITLE", default="QI study", help="the study's title")
    init.add_argument("--kdf", choices=("calibrate", "floor"), default="calibrate",
                      help="Argon2id cost: calibrated to this machine, or the floor (tests)")
    init.set_defaults(handler=run_init)

    enrol = commands.add_parser("enrol", parents=[central_options()],
                                help="trust a device's signing key")
    enrol.add_argument("--device-key", metavar="KEY", required=True,
                       help="the device's public key (base64), as the refusal message shows")
    enrol.add_argument("--name", default="", help="a label for the device")
    enrol.set_defaults(handler=run_enrol)

    revoke = commands.add_parser("revoke", parents=[central_options()],
                                 help="refuse every future bundle from a device")
    revoke.add_argument("fingerprint", metavar="FINGERPRINT", help="ed25519:<hex>")
    revoke.set_defaults(handler=run_revoke)

    devices = commands.add_parser("devices", parents=[central_options()],
                                  help="list enrolled devices")
    devices.add_argument("--json", action="store_true", help="print JSON")
    devices.set_defaults(handler=run_devices)

    show = commands.add_parser("show", parents=[central_options()],
                               help="the study and its public keys")
    show.set_defaults(handler=run_show)


def open_admin(args: argparse.Namespace) -> AdminProfile:
    return AdminProfile.open(args.central, common.read_passphrase(args, "Admin passphrase: "))


@command
def run_init(args: argparse.Namespace) -> int:
    passphrase = common.read_created_passphrase(args)
    kdf = floor_params() if args.kdf == "floor" else calibrate()
    study_id = args.study_id or f"study-{secrets.token_hex(4)}"
    created = init_admin(args.central, passphrase, study_id=study_id, study_title=args.title,
                         kdf=kdf)
    print(f"Admin profile created in {created.folder}")
    print(f"Study: {created.study_id} ({created.study_title})")
    print(f"Bundle recipient:   {created.bundle_recipient}")
    print(f"Signing key:        {created.signing_fingerprint}")
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
    with open_admin(args) as admin:
        device = admin.enrol(key, args.name)
    state = "revoked (revocation is final)" if device.revoked else "enrolled"
    print(f"{device.fingerprint}: {state}")
    return EXIT_OK


@command
def run_revoke(args: argparse.Namespace) -> int:
    with open_admin(args) as admin:
        device = admin.revoke(args.fingerprint)
    print(f"{device.fingerprint}: revoked")
    return EXIT_OK


@command
def run_devices(args: argparse.Namespace) -> int:
    with open_admin(args) as admin:
        devices = admin.devices()
    if args.json:
        print(json.dumps([{"fingerprint": fp, "name": d.name, "revoked": d.revoked}
                          for fp, d in sorted(devices.items())], indent=2))
        return EXIT_OK
    for fp, d in sorted(devices.items()):
        print(f"{fp}  {d.name or '-'}{'  REVOKED' if d.revoked else ''}")
    return EXIT_OK


@command
def run_show(args: argparse.Namespace) -> int:
    with open_admin(args) as admin:
        keys = admin.keys()
    print(f"Study: {keys.study_id} ({keys.study_title})")
    print(f"Bundle recipient:   {keys.bundle_recipient}")
    print(f"Signing key:        {keys.signing_fingerprint}")
    print(f"Recovery recipient: {keys.recovery_recipient}")
    return EXIT_OK
