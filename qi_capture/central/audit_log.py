"""Reading the audit log a page at a time, newest first: the console's audit table may
hold years of merges and reviews, so it is never read whole for the screen.

Pages are keyset pages on the log's id (ids grow with time): the next page is the
entries with a smaller id than the last one shown, a range read on the primary key
however deep the page. Filters: the action, the actor, and a text found in the actor,
the action or the parameters (case-insensitive), or one of the actions named (the
console passes the actions whose words on screen hold the text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, Select, false, func, or_, select

from qi_capture.central import sql
from qi_capture.central.dto import AuditEntry
from qi_capture.central.models import CentralAuditRow
from qi_capture.storage.canonical import loads

_AUDIT = sql.table(CentralAuditRow)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _filtered(query: Select[Any], *, action: str | None, actor: str | None,
              text: str | None, text_actions: Sequence[str]) -> Select[Any]:
    if action is not None:
        query = query.where(_AUDIT.c.action == action)
    if actor is not None:
        query = query.where(_AUDIT.c.actor == actor)
    if text:
        pattern = "%" + _escape(text) + "%"
        matches = [column.ilike(pattern, escape="\\")
                   for column in (_AUDIT.c.actor, _AUDIT.c.action, _AUDIT.c.params_json)]
        if text_actions:
            matches.append(_AUDIT.c.action.in_(list(text_actions)))
        query = query.where(or_(false(), *matches))
    return query


def page(engine: Engine, *, action: str | None = None, actor: str | None = None,
         text: str | None = None, text_actions: Sequence[str] = (),
         before: int | None = None, limit: int = 200) -> list[AuditEntry]:
    """Up to ``limit`` entries, newest first, older than the entry ``before`` (its id;
    None: from the newest)."""
    query = _filtered(select(_AUDIT), action=action, actor=actor, text=text,
                      text_actions=text_actions)
    if before is not None:
        query = query.where(_AUDIT.c.id < before)
    query = query.order_by(_AUDIT.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [AuditEntry(r.id, r.at, r.actor, r.action, loads(r.params_json))
                for r in conn.execute(query)]


def count(engine: Engine, *, action: str | None = None, actor: str | None = None,
          text: str | None = None, text_actions: Sequence[str] = ()) -> int:
    """How many entries match (the filters of `page`)."""
    query = _filtered(select(func.count()).select_from(_AUDIT), action=action, actor=actor,
                      text=text, text_actions=text_actions)
    with engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def choices(engine: Engine) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(actions, actors) found in the log, each sorted: what the filters offer."""
    with engine.connect() as conn:
        actions = tuple(sorted(conn.scalars(select(_AUDIT.c.action).distinct())))
        actors = tuple(sorted(conn.scalars(select(_AUDIT.c.actor).distinct())))
    return actions, actors
