"""/privacy as data: what is stored about a member in a group, how long text is kept, whether they opted out."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from storage.crud import core as core_crud
from storage.crud import privacy as crud


@dataclass(frozen=True)
class PrivacyReport:
    """`counts`: rows about the member by table (their membership and commands not counted).

    `retention_days`: the group's retention (None: text kept forever, 0: no text kept).
    """

    counts: dict[str, int]
    retention_days: int | None
    opted_out: bool


def stored_counts(s: Session, *, group_id: int, member_id: int) -> dict[str, int]:
    return crud.count_member_rows(s, group_id=group_id, member_id=member_id)


def privacy_report(s: Session, *, group_id: int, member_id: int) -> PrivacyReport:
    group = core_crud.get_group(s, group_id=group_id)
    membership = core_crud.get_membership(s, group_id=group_id, member_id=member_id)
    retention = group.settings.get("retention_days") if group is not None else None
    return PrivacyReport(
        counts=stored_counts(s, group_id=group_id, member_id=member_id),
        retention_days=int(retention) if retention is not None else None,
        opted_out=membership is not None and membership.opted_out,
    )
