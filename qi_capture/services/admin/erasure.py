"""Erasure and retention at the centre, for the console and ``qi-capture erase`` /
``qi-capture retention``: erase one record, or every record of a laptop or an
interviewer where the study's erasure policy allows it; the policy (when the study
closed, how long the centre keeps records after that, whether bulk erasure is allowed)
and the retention run that erases what is due.

The policy lives in the central store's audit log: each change is an
``erasure_policy`` entry (who, when, the new values), the latest one is in force, so
its history is kept with everything else an admin did. Erasure itself is
`qi_capture.central.erasure`; the laptops hear of it with their next acknowledgement.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from qi_capture.central import erasure as central_erasure
from qi_capture.central.erasure import Tombstone
from qi_capture.central.errors import ErasureRefused
from qi_capture.central.store import CentralStore
from qi_capture.storage.canonical import JsonValue

log = logging.getLogger(__name__)

__all__ = ["ErasurePolicy", "RetentionPlan", "Tombstone", "bulk_ids", "erase", "policy",
           "retention_plan", "run_retention", "set_policy"]

POLICY_ACTION = "erasure_policy"
#: How long the centre keeps records after the study closes, unless the policy says.
DEFAULT_KEEP_DAYS = 365
RETENTION_REASON = "retention period ended"


@dataclass(frozen=True)
class ErasurePolicy:
    """``study_closed``: the day the study closed (None: still open, nothing is due);
    ``keep_days``: how long the centre keeps records after that; ``bulk_erasure``:
    whether a whole laptop's or interviewer's records may be erased at once."""

    study_closed: date | None = None
    keep_days: int = DEFAULT_KEEP_DAYS
    bulk_erasure: bool = False

    def due_on(self) -> date | None:
        """The first day records are due for erasure (None while the study is open)."""
        return None if self.study_closed is None else self.study_closed + timedelta(
            days=self.keep_days)

    def to_json(self) -> dict[str, JsonValue]:
        return {"study_closed": None if self.study_closed is None
                else self.study_closed.isoformat(),
                "keep_days": self.keep_days, "bulk_erasure": self.bulk_erasure}


def policy(central: CentralStore) -> ErasurePolicy:
    """The erasure policy in force (the defaults before any was set)."""
    entries = central.audit_page(action=POLICY_ACTION, limit=1)
    if not entries:
        return ErasurePolicy()
    params = entries[0].params
    if not isinstance(params, dict):
        return ErasurePolicy()
    closed = params.get("study_closed")
    keep = params.get("keep_days")
    return ErasurePolicy(
        study_closed=date.fromisoformat(closed) if isinstance(closed, str) else None,
        keep_days=keep if isinstance(keep, int) else DEFAULT_KEEP_DAYS,
        bulk_erasure=params.get("bulk_erasure") is True,
    )


def set_policy(central: CentralStore, new: ErasurePolicy) -> ErasurePolicy:
    if new.keep_days < 0:
        raise ErasureRefused("the retention period cannot be negative")
    central.log(POLICY_ACTION, new.to_json())
    return policy(central)


def erase(central: CentralStore, record_ids: Sequence[uuid.UUID], *, reason: str,
          action: str = "erase_record") -> list[Tombstone]:
    done = central.erase(record_ids, reason=reason, action=action)
    log.info("%d record(s) erased at the centre", len(done))
    return done


def bulk_ids(central: CentralStore, *, device_id: uuid.UUID | None = None,
             interviewer: str | None = None) -> list[uuid.UUID]:
    """Every record (not erased yet) of a laptop or an interviewer; refused unless the
    policy allows bulk erasure."""
    if not policy(central).bulk_erasure:
        raise ErasureRefused(
            "this study's erasure policy does not allow erasing a whole laptop's or "
            "interviewer's records; erase them one by one, or allow it with "
            "'qi-capture retention --central C --allow-bulk-erasure'")
    return central_erasure.record_ids(central.engine, device_id=device_id,
                                      interviewer=interviewer)


@dataclass(frozen=True)
class RetentionPlan:
    policy: ErasurePolicy
    #: The day the retention period ends (None: the study is open).
    due_on: date | None
    #: Records due for erasure today (empty before ``due_on``).
    due: tuple[uuid.UUID, ...]
    #: Records erased before (tombstones), for the count.
    erased_before: int


def retention_plan(central: CentralStore, *, today: date | None = None) -> RetentionPlan:
    """What the retention run would erase today."""
    current = policy(central)
    day = today or datetime.now(UTC).date()
    due_on = current.due_on()
    due = (() if due_on is None or day < due_on
           else tuple(central_erasure.record_ids(central.engine)))
    return RetentionPlan(current, due_on, due, len(central.tombstones()))


def run_retention(central: CentralStore, *, today: date | None = None) -> RetentionPlan:
    """Erase every record the plan lists (audited as ``retention_erase``); returns the
    plan that was carried out."""
    plan = retention_plan(central, today=today)
    if plan.due:
        central.erase(plan.due, reason=RETENTION_REASON, action="retention_erase")
    else:
        central.purge_erased()  # erasures a merge role merged but could not purge
    central.log("retention_run", {"erased": len(plan.due),
                                  "due_on": None if plan.due_on is None
                                  else plan.due_on.isoformat()})
    log.info("retention: %d record(s) erased", len(plan.due))
    return plan
