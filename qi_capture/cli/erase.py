"""``qi-capture erase`` and ``qi-capture retention``: withdrawal of consent and the
centre's retention period, through the admin door (`qi_capture.services.admin.AdminDesk`);
this module only parses arguments and prints.

- ``erase --central C RECORD_ID --reason TEXT``: erase one record (a unique id prefix
  will do): its answers, every earlier revision, attachments, paradata, codings and
  review notes; a tombstone (id, form, who, when, why) stays, and its laptop erases its
  own copy on its next sync. ``--device DEV`` / ``--interviewer NAME`` instead of the
  id: every record of a laptop or person, only where the erasure policy allows it.
- ``retention --central C [--dry-run] [--json]``: the records due for erasure under the
  erasure policy (the study closed on a day, the centre keeps records so many days after
  it); without ``--dry-run`` they are erased the same way, and the run is in the audit log.
  ``--study-closed DATE``, ``--keep-days N``, ``--allow-bulk-erasure`` /
  ``--forbid-bulk-erasure`` set the policy (and erase nothing).

The reason is kept with the tombstone; do not write the person's name in it.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from qi_capture.cli.central_glue import central_options, open_desk
from qi_capture.cli.common import EXIT_OK, EXIT_USAGE, command
from qi_capture.services.admin.erasure import ErasurePolicy, RetentionPlan, Tombstone


def register(groups: Any) -> None:
    erase = groups.add_parser(
        "erase", parents=[central_options(admin=False)],
        help="erase a record at the centre (withdrawal of consent)")
    which = erase.add_mutually_exclusive_group(required=True)
    which.add_argument("record_id", metavar="RECORD_ID", nargs="?", default=None,
                       help="the record (its id or a unique prefix)")
    which.add_argument("--device", metavar="DEV", help="every record of this laptop")
    which.add_argument("--interviewer", metavar="NAME", help="every record of this person")
    erase.add_argument("--reason", metavar="TEXT", required=True,
                       help="why (kept with the tombstone; no names)")
    erase.add_argument("--json", action="store_true", help="print JSON")
    erase.set_defaults(handler=run_erase)

    retention = groups.add_parser(
        "retention", parents=[central_options(admin=False)],
        help="erase the records whose retention period has ended")
    retention.add_argument("--dry-run", action="store_true",
                           help="list what is due, erase nothing")
    retention.add_argument("--study-closed", metavar="DATE", type=date.fromisoformat,
                           help="set the day the study closed (YYYY-MM-DD)")
    retention.add_argument("--keep-days", metavar="N", type=int,
                           help="set how many days the centre keeps records after that")
    bulk = retention.add_mutually_exclusive_group()
    bulk.add_argument("--allow-bulk-erasure", action="store_true", default=None,
                      dest="bulk", help="allow erasing a whole laptop's or person's records")
    bulk.add_argument("--forbid-bulk-erasure", action="store_false", dest="bulk",
                      help="allow erasure one record at a time only (the default)")
    retention.add_argument("--json", action="store_true", help="print JSON")
    retention.set_defaults(handler=run_retention)


def _tombstone_json(t: Tombstone) -> dict[str, Any]:
    return {"record_id": str(t.record_id), "form_id": t.form_id, "erased_at": t.erased_at,
            "by": t.by, "origin": t.origin, "reason": t.reason, "revision_id": t.revision_id}


@command
def run_erase(args: argparse.Namespace) -> int:
    with open_desk(args) as desk:
        if args.device is not None:
            done = desk.erase_device(args.device, reason=args.reason)
        elif args.interviewer is not None:
            done = desk.erase_interviewer(args.interviewer, reason=args.reason)
        else:
            done = [desk.erase(args.record_id, reason=args.reason)]
    if args.json:
        print(json.dumps([_tombstone_json(t) for t in done], indent=2, ensure_ascii=False))
        return EXIT_OK
    for t in done:
        print(f"erased {t.record_id} ({t.form_id}); tombstone kept, revision {t.revision_id[:12]}")
    print(f"{len(done)} record(s) erased; each laptop erases its copy on its next sync")
    return EXIT_OK


def _policy_json(policy: ErasurePolicy) -> dict[str, Any]:
    due = policy.due_on()
    return {**policy.to_json(), "due_on": None if due is None else due.isoformat()}


def _plan_json(plan: RetentionPlan, erased: bool) -> dict[str, Any]:
    return {"policy": _policy_json(plan.policy), "due": [str(r) for r in plan.due],
            "erased": erased, "erased_before": plan.erased_before}


@command
def run_retention(args: argparse.Namespace) -> int:
    setting = (args.study_closed is not None or args.keep_days is not None
               or args.bulk is not None)
    with open_desk(args) as desk:
        if setting:
            if args.keep_days is not None and args.keep_days < 0:
                print("error: --keep-days must be 0 or more", flush=True)
                return EXIT_USAGE
            old = desk.erasure_policy()
            new = desk.set_erasure_policy(ErasurePolicy(
                study_closed=args.study_closed or old.study_closed,
                keep_days=old.keep_days if args.keep_days is None else args.keep_days,
                bulk_erasure=old.bulk_erasure if args.bulk is None else args.bulk))
            if args.json:
                print(json.dumps(_policy_json(new), indent=2))
            else:
                print(_describe(new))
                print("policy saved; nothing erased (run 'qi-capture retention' again)")
            return EXIT_OK
        plan = desk.retention_plan() if args.dry_run else desk.run_retention()
    if args.json:
        print(json.dumps(_plan_json(plan, not args.dry_run), indent=2))
        return EXIT_OK
    print(_describe(plan.policy))
    verb = "due for erasure" if args.dry_run else "erased"
    for record_id in plan.due:
        print(f"{verb}: {record_id}")
    print(f"{len(plan.due)} record(s) {verb}; {plan.erased_before} erased before")
    return EXIT_OK


def _describe(policy: ErasurePolicy) -> str:
    bulk = "allowed" if policy.bulk_erasure else "not allowed"
    if policy.study_closed is None:
        return (f"the study is open: nothing is due (the centre keeps records "
                f"{policy.keep_days} days after it closes); bulk erasure {bulk}")
    return (f"study closed {policy.study_closed.isoformat()}; records kept "
            f"{policy.keep_days} days, due for erasure from {policy.due_on()}; "
            f"bulk erasure {bulk}")
