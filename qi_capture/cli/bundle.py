"""``qi-capture bundle verify FILE --central DIR`` (admin): decrypt and check a bundle
without importing anything or writing anywhere; print the manifest summary, or the
precise reason it is refused (each reason has its own code, shown with ``--json``).

Devices are trusted if enrolled in the device registry (``qi-capture admin enrol``,
``qi-capture devices enrol``, or a merge of their bundles) or given with ``--device-key
KEY`` for this one check. With a PostgreSQL store: ``--central URL --admin DIR``.

Exit codes: 0 the bundle is valid; 1 it is refused; 2 the command cannot run.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
from pathlib import Path
from typing import Any

from qi_capture.cli import common
from qi_capture.cli.admin import registry_options
from qi_capture.cli.common import EXIT_INVALID, EXIT_OK, CliError, command
from qi_capture.services.admin.keys import (
    BundleRefused,
    RegistryNeedsKeys,
    is_postgres_url,
    parse_device_key,
    verify_bundle,
)


def register(groups: Any) -> None:
    group = groups.add_parser("bundle", help="(admin) check bundles")
    commands = group.add_subparsers(dest="command", metavar="COMMAND", required=True)
    verify = commands.add_parser("verify", parents=[registry_options()],
                                 help="decrypt and check a bundle without importing it")
    verify.add_argument("file", metavar="FILE", type=Path, help="the .qibundle file")
    verify.add_argument("--device-key", metavar="KEY", action="append", default=[],
                        help="also trust this device key (base64) for this check")
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.set_defaults(handler=run_verify)


@command
def run_verify(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CliError(f"{args.file} is not a file")
    for key in args.device_key:
        parse_device_key(key)  # a wrong key is refused before the passphrase is asked
    if is_postgres_url(args.central) and args.admin is None:
        raise RegistryNeedsKeys()  # before the passphrase is asked for
    passphrase = common.read_passphrase(args, "Admin passphrase: ")
    try:
        summary = verify_bundle(args.file, args.central, passphrase, args.device_key,
                                admin_dir=args.admin)
    except BundleRefused as error:
        if args.json:
            print(json.dumps({"valid": False, **error.to_dict()}, indent=2))
        else:
            print(f"error: {error.message}", file=sys.stderr)
            print(f"code: {error.code}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror}") from None
    info = summary.to_json()
    if args.json:
        print(json.dumps({"valid": True, **info}, indent=2))
        return EXIT_OK
    m = summary.manifest
    print(f"{args.file.name}: valid bundle")
    print(f"  bundle      {m.bundle_id} (created {m.created}, app {m.app_version})")
    print(f"  study       {m.study_id}")
    print(f"  device      {m.device_id} {m.device_key_fingerprint}"
          + (f" ({summary.device_name})" if summary.device_name else ""))
    print(f"  sequence    {m.sequence_first}-{m.sequence_last}")
    print(f"  previous    {m.previous_manifest_sha256 or '(first bundle)'}")
    print(f"  manifest    {summary.manifest_sha256}")
    print(f"  records     {info['records']} revision(s) of {info['submissions']} record(s)")
    print(f"  attachments {info['attachments']} ({info['attachment_bytes']} bytes)")
    print(f"  device key  {base64.b64encode(m.device_public_key).decode('ascii')}")
    return EXIT_OK
