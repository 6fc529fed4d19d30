"""Review state per record (received, has issues, approved, rejected) with comments, as
ODK Central and SurveyCTO offer; exports filter on it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine, select, update

from qi_capture.central import sql
from qi_capture.central.dto import ReviewInfo
from qi_capture.central.errors import InvalidReviewStatus, RecordNotFound
from qi_capture.central.models import (
    REVIEW_STATUSES,
    CentralReviewCommentRow,
    CentralReviewRow,
)
from qi_capture.storage.models import utcnow

_REVIEW = sql.table(CentralReviewRow)
_REVIEW_COMMENT = sql.table(CentralReviewCommentRow)


def set_review(
    engine: Engine,
    record_id: uuid.UUID,
    status: str,
    *,
    actor: str,
    comment: str = "",
    now: datetime | None = None,
) -> ReviewInfo:
    if status not in REVIEW_STATUSES:
        raise InvalidReviewStatus(status)
    moment = now or utcnow()
    with engine.begin() as conn:
        if conn.scalar(select(_REVIEW.c.record_id).where(_REVIEW.c.record_id == record_id)) is None:
            raise RecordNotFound(str(record_id))
        conn.execute(
            update(_REVIEW)
            .where(_REVIEW.c.record_id == record_id)
            .values(status=status, updated=moment, by=actor)
        )
        conn.execute(
            _REVIEW_COMMENT.insert(),
            {
                "record_id": record_id,
                "at": moment,
                "by": actor,
                "status": status,
                "comment": comment,
            },
        )
        sql.audit(conn, actor, "review", {"record_id": str(record_id), "status": status}, moment)
    return get_review(engine, record_id)


def get_review(engine: Engine, record_id: uuid.UUID) -> ReviewInfo:
    with engine.connect() as conn:
        row = conn.execute(select(_REVIEW).where(_REVIEW.c.record_id == record_id)).one_or_none()
        if row is None:
            raise RecordNotFound(str(record_id))
        comments = tuple(
            (c.at, c.by, c.status, c.comment)
            for c in conn.execute(
                select(_REVIEW_COMMENT)
                .where(_REVIEW_COMMENT.c.record_id == record_id)
                .order_by(_REVIEW_COMMENT.c.id)
            )
        )
    return ReviewInfo(row.record_id, row.status, row.updated, row.by, comments)
