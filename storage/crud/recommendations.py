"""Recommender queries: trained model versions, retrains owed after /forget, groups to train on, and members'
message texts for the text tower.

Member data is always asked for by group: `group_id=None` (every group) is for model training only, never for
anything shown in a chat.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage.models import Group, Message, ModelRetrainRequest, ModelVersion


def latest_model_version(s: Session, *, scope: str | None = None) -> ModelVersion | None:
    """The newest trained model (of one scope, "all" or a group id, when given)."""
    q = select(ModelVersion)
    if scope is not None:
        q = q.where(ModelVersion.scope == scope)
    return s.exec(q.order_by(col(ModelVersion.id).desc())).first()


def add_model_version(
    s: Session, *, path: str, scope: str, fingerprint: str, metrics: dict[str, float], created_at: datetime
) -> ModelVersion:
    version = ModelVersion(
        path=path, scope=scope, fingerprint=fingerprint, metrics=metrics, created_at=created_at
    )
    s.add(version)
    s.flush()
    return version


def model_versions(s: Session, *, scope: str | None = None) -> list[ModelVersion]:
    """Every trained model version (of one scope, when given), newest first."""
    q = select(ModelVersion)
    if scope is not None:
        q = q.where(ModelVersion.scope == scope)
    return list(s.exec(q.order_by(col(ModelVersion.id).desc())))


def delete_model_versions(s: Session, *, ids: Sequence[int]) -> int:
    """Delete these model version rows (their files are the caller's). Returns the rows deleted."""
    if not ids:
        return 0
    result = s.execute(delete(ModelVersion).where(col(ModelVersion.id).in_(list(ids))))
    return int(getattr(result, "rowcount", 0) or 0)


def add_retrain_request(s: Session, *, reason: str, created_at: datetime) -> int:
    """Owe the saved models a retrain (after /forget); returns the request's id."""
    request = ModelRetrainRequest(reason=reason, created_at=created_at)
    s.add(request)
    s.flush()
    assert request.id is not None
    return request.id


def newest_retrain_request_id(s: Session) -> int | None:
    """The id of the newest retrain still owed, or None when none is."""
    newest = s.exec(select(func.max(ModelRetrainRequest.id))).one()
    return int(newest) if newest is not None else None


def clear_retrain_requests(s: Session, *, up_to: int) -> int:
    """Settle the retrains owed up to request `up_to` (a training that read the store after them)."""
    result = s.execute(delete(ModelRetrainRequest).where(col(ModelRetrainRequest.id) <= up_to))
    return int(getattr(result, "rowcount", 0) or 0)


def group_ids(s: Session) -> list[int]:
    """Every group's id, in order (training over all groups)."""
    return [int(g) for g in s.exec(select(Group.id).order_by(col(Group.id))) if g is not None]


def message_texts(
    s: Session, *, group_id: int | None, member_id: int | None = None, limit: int | None = None
) -> Iterator[tuple[int, str]]:
    """(member id, text) of stored non-command messages with text, newest first (`group_id=None`: training only)."""
    q = select(Message.member_id, Message.text).where(
        col(Message.text).is_not(None),
        Message.is_command == False,  # noqa: E712
    )
    if group_id is not None:
        q = q.where(Message.group_id == group_id)
    if member_id is not None:
        q = q.where(Message.member_id == member_id)
    q = q.order_by(col(Message.id).desc())
    if limit is not None:
        q = q.limit(limit)
    for mid, text in s.exec(q):
        yield int(mid), text or ""


def newest_message_id(s: Session, *, group_id: int, member_id: int | None = None) -> int:
    """The id of the newest stored message of a group (or of one member in it); 0 when there is none."""
    q = select(col(Message.id)).where(Message.group_id == group_id)
    if member_id is not None:
        q = q.where(Message.member_id == member_id)
    return int(s.exec(q.order_by(col(Message.id).desc())).first() or 0)


def member_has_text(s: Session, *, group_id: int, member_id: int) -> bool:
    """Whether the member has a stored message with text in this group."""
    q = select(col(Message.id)).where(
        Message.group_id == group_id, Message.member_id == member_id, col(Message.text).is_not(None)
    )
    return s.exec(q).first() is not None
