"""Sentiment benchmark (issue 5): quality and speed of the builtin analyzer beside lexicon baselines.

    .venv/bin/python benchmarks/bench_sentiment.py --data ../shared/data/sentiment

Held-out splits are those of ``scripts/train_sentiment.py`` (SST-2 dev; a fixed 20% hash split of the UCI,
ChnSentiCorp and waimai files), none of which the shipped weights were trained on. For each language and each
source it reports accuracy and macro-F1 (positive iff score > 0) and ROC AUC (on the raw score) for the builtin
analyzer, the lexicon-only analyzer, VADER (English) and SnowNLP (Chinese), the share each labels neutral (its
own band; these texts are all polar), plus messages per second scoring the
held-out texts in batches of 256 on this machine, and the builtin scores of a few emoji / mixed-language cases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "scripts"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from train_sentiment import DEFAULT_DATA, Example, load_examples  # noqa: E402

from community.signals.sentiment import SentimentAnalyzer, get_analyzer  # noqa: E402

BATCH = 256
BASELINES = {"en": ["builtin", "lexicon", "vader"], "zh": ["builtin", "lexicon", "snownlp"]}
SANITY = [
    "👍",
    "🎉",
    "❤️",
    "😡",
    "👎",
    "😢",
    "🐱",
    "",
    "   ",
    "[赞]",
    ":)",
    ":(",
    "I love this course 👍",
    "This course is a waste of time 😡",
    "the lecture is at 5pm",
    "这门课讲得很好，推荐！",
    "这门课太差了，很失望",
    "我喜欢这个群",
    "我讨厌这个群",
    "老师讲得很好，very helpful",
    "作业太难了 and the lectures are boring",
    "thanks everyone 🎉🎉",
    "not bad at all",
    "好无聊",
]


def timed_scores(analyzer: SentimentAnalyzer, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Scores and neutral flags for ``texts`` in batches of ``BATCH``, and the messages/s that took."""
    start = time.perf_counter()
    results = []
    for i in range(0, len(texts), BATCH):
        results.extend(analyzer.score_batch(texts[i : i + BATCH]))
    elapsed = time.perf_counter() - start
    scores = np.array([r.score for r in results])
    neutral = np.array([r.label == "neutral" for r in results])
    return scores, neutral, len(texts) / elapsed


def metrics(y: np.ndarray, s: np.ndarray) -> tuple[float, float, float]:
    """(accuracy, macro-F1, ROC AUC); predictions are positive iff score > 0."""
    pred = (s > 0).astype(int)
    return accuracy_score(y, pred), f1_score(y, pred, average="macro"), roc_auc_score(y, s)


def evaluate(test: list[Example]) -> list[str]:
    """Markdown rows: language totals first, then each source."""
    rows = [
        "| language | subset | n | analyzer | accuracy | macro-F1 | ROC AUC | labelled neutral | msgs/s (batch 256) |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for lang, names in BASELINES.items():
        part = [e for e in test if e.lang == lang]
        texts = [e.text for e in part]
        y = np.array([e.label for e in part])
        sources = sorted({e.source for e in part})
        for name in names:
            try:
                analyzer = get_analyzer(name)
            except ImportError as exc:
                rows.append(f"| {lang} | all | {len(part)} | {name} | not installed ({exc}) | | | | |")
                continue
            analyzer.score_batch(texts[:8])  # warm-up (lazy loads)
            scores, neutral, speed = timed_scores(analyzer, texts)
            acc, f1, auc = metrics(y, scores)
            rows.append(
                f"| {lang} | **all** | {len(part)} | {name} | {acc:.3f} | {f1:.3f} | **{auc:.3f}** "
                f"| {neutral.mean():.0%} | {speed:,.0f} |"
            )
            for src in sources:
                mask = np.array([e.source == src for e in part])
                acc, f1, auc = metrics(y[mask], scores[mask])
                rows.append(
                    f"| {lang} | {src} | {mask.sum()} | {name} | {acc:.3f} | {f1:.3f} | {auc:.3f} "
                    f"| {neutral[mask].mean():.0%} | |"
                )
    return rows


def sanity_rows() -> list[str]:
    """Markdown rows with each analyzer's score for the hand-written emoji / chat cases."""
    names = ["builtin", "lexicon", "vader", "snownlp"]
    cols = {}
    for name in names:
        try:
            cols[name] = [r.score for r in get_analyzer(name).score_batch(SANITY)]
        except ImportError:
            cols[name] = [float("nan")] * len(SANITY)
    rows = ["| text | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for i, text in enumerate(SANITY):
        shown = repr(text) if not text.strip() else text
        rows.append(f"| {shown} | " + " | ".join(f"{cols[n][i]:+.2f}" for n in names) + " |")
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    test = [e for e in load_examples(args.data) if e.split == "test"]
    print(
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} "
        f"({os.cpu_count()} CPUs, {platform.processor() or 'cpu'}), Python {platform.python_version()}; "
        f"{len(test)} held-out texts.\n"
    )
    print("\n".join(evaluate(test)))
    print("\nSanity cases (score in [-1, 1]):\n")
    print("\n".join(sanity_rows()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
