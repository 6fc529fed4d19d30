"""``qi-capture study pack`` (admin) and ``qi-capture study import`` (interviewer): the
signed study pack (see `qi_capture.sync.pack`). They live in the ``study`` group, which
calls `register_study_commands`.

- ``study pack --central DIR --forms F.xlsx... --out study.qipack [--sync-folder PATH]
  [--retention-days N] [--idle-lock-minutes N] [--quarantine-bundle-mib N]
  [--quarantine-total-mib N]``: compiles every form (a broken one is refused here),
  signs the pack with the admin key, writes it atomically, keeps its policy in the
  admin profile (the merge applies its quarantine limits) and records the compiled forms
  in the central store, so that exports need no ``--form-file``. With a PostgreSQL
  store: ``--central postgresql://... --admin DIR`` (the keys in DIR, the forms in the
  database);
- ``study import PACK``: verifies the signature, refuses a pack for an installed study
  signed by another key, installs the forms as new versions beside the old ones and
  records the admin keys and policy; prints who signed it ("Signed by NAME, check code
  XXXX-XXXX-XXXX-XXXX", the same line as the import dialog).

Exit codes: 0 ok; 1 the pack (or a form) is refused; 2 the command cannot run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from qi_capture.cli import common
from qi_capture.cli.central_glue import central_options
from qi_capture.cli.common import EXIT_INVALID, EXIT_OK, CliError, command
from qi_capture.cli.terminal import long_work, quiet_option
from qi_capture.services.admin.keys import (
    DEFAULT_IDLE_LOCK_MINUTES,
    DEFAULT_QUARANTINE_BUNDLE_BYTES,
    DEFAULT_QUARANTINE_TOTAL_BYTES,
    DEFAULT_RETENTION_DAYS,
    MAX_PACK_BYTES,
    PACK_REFUSED,
    PackForm,
    StudyPolicy,
    is_postgres_url,
    write_study_pack,
)
from qi_capture.services.dto import short_fingerprint
from qi_capture.services.packs import PackUnreadable


def register_study_commands(commands: Any) -> None:
    pack = commands.add_parser("pack", parents=[central_options(admin=True)],
                               help="(admin) write a signed study pack")
    pack.add_argument("--forms", metavar="FILE", nargs="+", required=True, type=Path,
                      help="the study's XLSForm files")
    pack.add_argument("--out", metavar="PACK", required=True, type=Path,
                      help="the pack to write (e.g. study.qipack)")
    pack.add_argument("--sync-folder", metavar="PATH", default=None,
                      help="the sync folder laptops should use by default")
    pack.add_argument("--retention-days", type=int, default=DEFAULT_RETENTION_DAYS,
                      help="days acknowledged records stay on a laptop "
                           f"(default {DEFAULT_RETENTION_DAYS})")
    pack.add_argument("--idle-lock-minutes", type=int, default=DEFAULT_IDLE_LOCK_MINUTES,
                      help=f"idle time before the app locks (default {DEFAULT_IDLE_LOCK_MINUTES})")
    pack.add_argument("--quarantine-bundle-mib", type=int, default=None, metavar="MIB",
                      help="largest bundle a device not yet enrolled may leave in quarantine "
                           f"(default {DEFAULT_QUARANTINE_BUNDLE_BYTES // MIB})")
    pack.add_argument("--quarantine-total-mib", type=int, default=None, metavar="MIB",
                      help="most the quarantine holds in all "
                           f"(default {DEFAULT_QUARANTINE_TOTAL_BYTES // MIB})")
    pack.add_argument("--max-recording-minutes", type=int, default=0, metavar="MIN",
                      help="longest an interview recording may run; it stops there and is "
                           "kept (default 0: no cap)")
    pack.add_argument("--max-bundle-mib", type=int, default=None, metavar="MIB",
                      help="largest bundle a laptop writes; a sync splits its records into "
                           "several bundles (default: no cap)")
    quiet_option(pack)
    pack.set_defaults(handler=run_pack)

    imp = commands.add_parser("import", parents=[common.profile_options()],
                              help="install a signed study pack from the study's admin")
    imp.add_argument("pack", metavar="PACK", type=Path, help="the .qipack file")
    imp.add_argument("--keep-separate", action="store_true",
                     help="leave records of studies without a pack where they are (by "
                          "default those using the pack's forms move into its study)")
    imp.set_defaults(handler=run_import)


def _read(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as f:  # never more than the limit, whatever stat says
            data = f.read(limit + 1)
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    if len(data) > limit:
        raise CliError(f"{path} is larger than {limit} bytes")
    return data


MIB = 1024 * 1024


def _mib(value: int | None, default: int) -> int:
    return default if value is None else value * MIB


@command
def run_pack(args: argparse.Namespace) -> int:
    forms = [PackForm(p.name, _read(p, MAX_PACK_BYTES)) for p in args.forms]
    policy = StudyPolicy(
        args.idle_lock_minutes, args.retention_days, args.sync_folder,
        quarantine_bundle_bytes=_mib(args.quarantine_bundle_mib,
                                     DEFAULT_QUARANTINE_BUNDLE_BYTES),
        quarantine_total_bytes=_mib(args.quarantine_total_mib, DEFAULT_QUARANTINE_TOTAL_BYTES),
        max_recording_minutes=args.max_recording_minutes,
        max_bundle_bytes=_mib(args.max_bundle_mib, 0),
    )
    target = str(args.central)
    if is_postgres_url(target) and args.admin is None:
        raise CliError("with a PostgreSQL URL, --admin DIR names the folder of the admin "
                       "keys that sign the pack")
    passphrase = common.read_passphrase(args, "Admin passphrase: ")
    with long_work("study pack", quiet=args.quiet) as work:
        try:
            written = write_study_pack(target, passphrase, forms, policy, args.out,
                                       admin_dir=args.admin, progress=work.progress,
                                       cancel=work.cancel)
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror}") from None
    print(f"{args.out}: study {written.study_id} ({written.study_title}), {len(forms)} "
          f"form(s), signed by {written.signing_fingerprint}")
    for form in written.forms:
        print(f"  {form.form_id} version {form.version}: {form.title} (known to the central "
              "store for exports)")
    return EXIT_OK


@command
def run_import(args: argparse.Namespace) -> int:
    with common.unlock(args) as ctx:
        try:
            installed = ctx.packs.install(args.pack, move_records=not args.keep_separate)
        except PackUnreadable as error:
            raise CliError(error.message) from None
        except PACK_REFUSED as error:
            print(f"error: {error.message}", file=sys.stderr)
            return EXIT_INVALID
    policy = installed.policy
    print(f"Study {installed.study_id} ({installed.study_title}): "
          f"{'installed' if installed.first_install else 'updated'}; "
          f"{installed.forms_added} form version(s) added, "
          f"{installed.forms_already_present} already present")
    if installed.records_moved:
        print(f"{installed.records_moved} record(s) made before the pack moved into study "
              f"{installed.study_id}; they go with the next sync")
    if installed.records_kept_apart:
        print(f"{installed.records_kept_apart} record(s) made before the pack were kept "
              "apart (--keep-separate): they stay on this laptop and are not sent")
    print(f"Signed by {installed.admin_name or '(no name)'}, check code "
          f"{short_fingerprint(installed.signing_fingerprint)}")
    print(f"Admin key: {installed.signing_fingerprint}")
    print(f"Policy: lock after {policy.idle_lock_minutes} min idle, keep acknowledged "
          f"records {policy.retention_days} day(s)"
          + (f", sync folder {policy.sync_folder}" if policy.sync_folder else "")
          + (f", recordings stop at {policy.max_recording_minutes} min"
             if policy.max_recording_minutes else "")
          + (f", bundles split at {policy.max_bundle_bytes // MIB} MiB"
             if policy.max_bundle_bytes else ""))
    return EXIT_OK
