"""Migration 0003 deletes the member rows that first-contact races left behind (no account, no group, nothing
refers to them; /forget could never reach them) and keeps every member something refers to."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from storage import db

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_orphans_left_by_old_races_are_deleted(fresh_url: str) -> None:
    engine = db.make_engine(fresh_url)
    try:
        db.upgrade(engine, "0002")
        with engine.begin() as c:
            for i, name in enumerate(["Ann", "Ann (orphan)", "Bob (member only)", "Cy (orphan)"], 1):
                c.execute(
                    text("INSERT INTO member (id, display_name, created_at) VALUES (:i, :n, :t)"),
                    {"i": i, "n": name, "t": NOW},
                )
            c.execute(
                text(
                    "INSERT INTO platformaccount (member_id, platform, platform_user_id, display_name) "
                    "VALUES (1, 'test', 'ann', 'Ann')"
                )
            )
            c.execute(
                text(
                    'INSERT INTO "group" (id, platform, platform_chat_id, title, timezone, settings, created_at) '
                    "VALUES (1, 'test', 'g1', 'G', 'UTC', '{}', :t)"
                ),
                {"t": NOW},
            )
            c.execute(
                text(
                    "INSERT INTO membership (group_id, member_id, role, active, opted_out, reminders_muted, "
                    "joined_at) VALUES (1, 3, 'member', true, false, false, :t)"
                ),
                {"t": NOW},
            )
        db.upgrade(engine)
        with engine.connect() as c:
            left = c.execute(text("SELECT display_name FROM member ORDER BY id")).scalars().all()
        assert left == ["Ann", "Bob (member only)"]
    finally:
        engine.dispose()
