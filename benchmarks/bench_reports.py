"""Benchmark (not a test): how long /leaderboard's and /stats' computations take on a big group.

    .venv/bin/python benchmarks/bench_reports.py [--messages 50000] [--members 500]

Bulk-inserts messages (30 % replies, scored) and reactions spread over 90 days into a SQLite file, then times
`member_activity` (what /leaderboard and /me compute), `group_stats` and `render_chart` (what /stats does).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import SQLModel  # noqa: E402

import storage.models  # noqa: E402,F401
from community.signals.activity import member_activity  # noqa: E402
from community.signals.chart import render_chart  # noqa: E402
from community.signals.stats import group_stats  # noqa: E402
from storage import db  # noqa: E402
from storage.models import Group, Member, Membership, Message, Reaction  # noqa: E402


def main(n_messages: int, n_members: int) -> None:
    tmp = Path(tempfile.mkdtemp())
    engine = db.make_engine(f"sqlite:///{tmp / 'bench.db'}")
    SQLModel.metadata.create_all(engine)
    rng = random.Random(7)
    now = datetime(2026, 11, 27, 12, tzinfo=UTC)
    with db.session_scope(engine) as s:
        s.add(Group(id=1, platform="test", platform_chat_id="g"))
        for m in range(1, n_members + 1):
            s.add(Member(id=m, display_name=f"m{m}"))
            s.add(Membership(group_id=1, member_id=m))
        s.flush()
        msgs = []
        for i in range(n_messages):
            reply = f"p{rng.randrange(i)}" if i and rng.random() < 0.3 else None
            msgs.append(
                dict(
                    group_id=1,
                    member_id=rng.randint(1, n_members),
                    platform_message_id=f"p{i}",
                    reply_to_platform_id=reply,
                    sent_at=now - timedelta(minutes=rng.randrange(90 * 1440)),
                    text="x",
                    text_length=1,
                    sentiment=rng.uniform(-1, 1),
                    sentiment_label="neutral",
                )
            )
        s.bulk_insert_mappings(Message, msgs)  # type: ignore[arg-type]
        reactions = [
            dict(
                group_id=1,
                platform_message_id=f"p{rng.randrange(n_messages)}",
                member_id=rng.randint(1, n_members),
                emoji=f"e{i}",
                sentiment=rng.choice([1.0, 0.8, -0.7]),
                created_at=now - timedelta(minutes=rng.randrange(90 * 1440)),
            )
            for i in range(n_messages // 2)
        ]
        s.bulk_insert_mappings(Reaction, reactions)  # type: ignore[arg-type]
    with db.session_scope(engine) as s:
        t = time.perf_counter()
        signals = member_activity(s, group_id=1, now=now)
        t_act = time.perf_counter() - t
        t = time.perf_counter()
        st = group_stats(s, group_id=1, now=now, days=30)
        t_stats = time.perf_counter() - t
    t = time.perf_counter()
    png = render_chart(st, title="bench")
    t_png = time.perf_counter() - t
    print(f"{n_messages} messages, {n_messages // 2} reactions, {n_members} members")
    print(f"member_activity: {t_act:.2f} s ({len(signals)} members)")
    print(f"group_stats(30 days): {t_stats:.2f} s; render_chart: {t_png:.2f} s ({len(png)} bytes)")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=50_000)
    p.add_argument("--members", type=int, default=500)
    a = p.parse_args()
    main(a.messages, a.members)
