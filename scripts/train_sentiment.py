"""Train the builtin sentiment model and write ``community/signals/sentiment_weights.npz``.

Reproduce the shipped weights::

    .venv/bin/python scripts/train_sentiment.py --data ../shared/data/sentiment

Data (see the data README for sources and licences): English SST-2 (GLUE) and UCI Sentiment Labelled Sentences,
Chinese ChnSentiCorp_htl_all and waimai_10k. Splits are fixed and documented here (``split_of``):

* SST-2: ``train.tsv`` is training data; ``dev.tsv`` is the held-out **test** set (never trained on).
* UCI (3 files), ChnSentiCorp, waimai: a text is **test** when ``crc32("split:" + text.strip()) % 100 < 20``
  (about 20%), so duplicates always land on the same side and the split needs no seed.
* Within training data, ``20 <= bucket < 30`` is a **validation** slice used only to pick ``C`` with
  ``--tune`` (SST-2 excluded there: its train phrases overlap each other); the final model is fitted on all
  non-test rows.
* Plus short pseudo-documents made from the word lexicon of ``community.signals.lexicon`` (``lexicon_documents``).

Features come from ``community.signals.features.vectorise`` (the same code that scores at run time). Columns seen in
fewer than ``--min-df`` training texts are dropped. Sample weights give each (language, label) pair the same
total weight, with the chat-like sources (UCI amazon/yelp, waimai, lexicon documents) counted ``--short-boost``
times per row. The weights are
stored sparsely (column index + float16 value).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from community.signals import features, sentiment  # noqa: E402
from community.signals.lexicon import EN_WORD_LEXICON, ZH_WORD_LEXICON  # noqa: E402

DEFAULT_DATA = Path("../shared/data/sentiment")
UCI_FILES = ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt")
ZH_FILES = {"chnsenticorp_htl": "ChnSentiCorp_htl_all.csv", "waimai_10k": "waimai_10k.csv"}


@dataclass(frozen=True)
class Example:
    """One labelled text; ``label`` is 1 positive / 0 negative; ``split`` is train / val / test."""

    text: str
    label: int
    lang: str
    source: str
    split: str


def split_of(text: str) -> str:
    """Deterministic hash split for sources without an official test set."""
    bucket = zlib.crc32(("split:" + text.strip()).encode("utf-8")) % 100
    if bucket < 20:
        return "test"
    if bucket < 30:
        return "val"
    return "train"


def _read_tsv(path: Path, header: bool) -> Iterable[tuple[str, int]]:
    """Yield (text, label) from ``text<TAB>label`` lines (no CSV quoting; CRLF tolerated)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:] if header else lines:
        if "\t" not in line:
            continue
        text, label = line.rsplit("\t", 1)
        if label.strip() in ("0", "1") and text.strip():
            yield text.strip(), int(label)


def _read_csv(path: Path) -> Iterable[tuple[str, int]]:
    """Yield (review, label) from a ``label,review`` CSV."""
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("review") or "").strip()
            if text and row["label"] in ("0", "1"):
                yield text, int(row["label"])


def load_examples(data: Path = DEFAULT_DATA) -> list[Example]:
    """All labelled examples with their fixed split (raises FileNotFoundError if the data is absent)."""
    out: list[Example] = []
    sst = data / "en" / "sst2"
    for name, split in (("train.tsv", None), ("dev.tsv", "test")):
        for text, label in _read_tsv(sst / name, header=True):
            # SST-2 train is never test; its val slice only serves tuning.
            s = split or ("val" if split_of(text) == "val" else "train")
            out.append(Example(text, label, "en", "sst2", s))
    for name in UCI_FILES:
        source = "uci_" + name.split("_")[0]
        for text, label in _read_tsv(data / "en" / "uci_sentiment_labelled_sentences" / name, header=False):
            out.append(Example(text, label, "en", source, split_of(text)))
    for source, name in ZH_FILES.items():
        for text, label in _read_csv(data / "zh" / name):
            out.append(Example(text, label, "zh", source, split_of(text)))
    return out


_ZH_TEMPLATES = (("{w}", 1), ("好{w}", 1), ("很{w}", 1), ("太{w}了", 1), ("真{w}", 1), ("不{w}", -1))
_EN_TEMPLATES = (
    ("{w}", 1),
    ("so {w}", 1),
    ("very {w}", 1),
    ("it is {w}", 1),
    ("really {w}", 1),
    ("not {w}", -1),
)


def lexicon_documents() -> list[Example]:
    """Short pseudo-documents from the word lexicon (``太{w}了``, ``not {w}``...), labelled by the word's sign.

    Reviews rarely contain chat words such as 讨厌 or 烦, and in reviews 好 is mostly positive even though in
    chat 好无聊 means "so boring"; these documents teach the n-gram model both.
    """
    out: list[Example] = []
    for lang, lexicon, templates in (
        ("en", EN_WORD_LEXICON, _EN_TEMPLATES),
        ("zh", ZH_WORD_LEXICON, _ZH_TEMPLATES),
    ):
        for word, value in lexicon.items():
            for template, sign in templates:
                if sign < 0 and (word.startswith("不") or word.startswith("没")):
                    continue
                label = int(value * sign > 0)
                out.append(Example(template.format(w=word), label, lang, "lexicon", "train"))
    return out


def build_matrix(texts: Sequence[str], n_bits: int = sentiment.N_BITS) -> sparse.csr_matrix:
    """CSR ``[len(texts), 2**n_bits]`` with the run-time feature code."""
    rows, cols, vals = features.vectorise(texts, n_bits)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(len(texts), 1 << n_bits))


def sample_weights(examples: Sequence[Example], short_boost: float) -> np.ndarray:
    """Equal total weight per (language, label); chat-like sources count ``short_boost`` per row."""
    boosted = ("uci_amazon", "uci_yelp", "waimai_10k", "lexicon")
    raw = np.array([short_boost if e.source in boosted else 1.0 for e in examples])
    groups = [(e.lang, e.label) for e in examples]
    totals: dict[tuple[str, int], float] = {}
    for g, w in zip(groups, raw, strict=True):
        totals[g] = totals.get(g, 0.0) + float(w)
    target = len(examples) / len(totals)
    return np.array([w * target / totals[g] for g, w in zip(groups, raw, strict=True)])


def fit(x: sparse.csr_matrix, y: np.ndarray, w: np.ndarray, c: float):  # type: ignore[no-untyped-def]
    """L2 logistic regression (liblinear)."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, solver="liblinear", max_iter=1000, random_state=0)
    model.fit(x, y, sample_weight=w)
    return model


def report(examples: Sequence[Example], scores: np.ndarray, title: str) -> dict[str, float]:
    """Print AUC / accuracy per language and source; return the per-language AUCs."""
    from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

    y = np.array([e.label for e in examples])
    out = {}
    print(f"-- {title}")
    keys = sorted({("lang", e.lang) for e in examples} | {("source", e.source) for e in examples})
    for kind, value in keys:
        mask = np.array([getattr(e, kind) == value for e in examples])
        yy, ss = y[mask], scores[mask]
        pred = (ss > 0).astype(int)
        auc = roc_auc_score(yy, ss)
        print(
            f"{kind:6} {value:18} n={mask.sum():6d} auc={auc:.4f} acc={accuracy_score(yy, pred):.4f} "
            f"macroF1={f1_score(yy, pred, average='macro'):.4f}"
        )
        if kind == "lang":
            out[value] = auc
    return out


def export(model, kept: np.ndarray, n_bits: int, out: Path) -> None:  # type: ignore[no-untyped-def]
    """Write nonzero weights sparsely as (uint32 index, float16 value)."""
    coef = np.zeros(1 << n_bits, dtype=np.float64)
    coef[kept] = model.coef_.ravel()
    index = np.flatnonzero(np.abs(coef) > 1e-4).astype(np.uint32)
    np.savez_compressed(
        out,
        index=index,
        value=coef[index].astype(np.float16),
        intercept=np.float64(model.intercept_[0]),
        n_bits=np.int64(n_bits),
        feature_version=np.array(sentiment.FEATURE_VERSION),
    )
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB, {len(index)} nonzero weights)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=sentiment.WEIGHTS_PATH)
    parser.add_argument("--C", type=float, default=4.0, dest="c")
    parser.add_argument("--min-df", type=int, default=2)
    parser.add_argument("--short-boost", type=float, default=3.0)
    parser.add_argument("--tune", action="store_true", help="pick C on the validation slice first")
    parser.add_argument("--no-lexicon-docs", action="store_true", help="train on the data sets alone")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    examples = load_examples(args.data)
    train = [e for e in examples if e.split != "test"]
    if not args.no_lexicon_docs:
        train += lexicon_documents()
    test = [e for e in examples if e.split == "test"]
    print(f"loaded {len(examples)} examples: {len(train)} train+val, {len(test)} test")

    if args.tune:
        fit_part = [e for e in train if e.split == "train"]
        # SST-2 train phrases are parts of the same sentences, so its val slice leaks; judge C on the others.
        val = [e for e in train if e.split == "val" and e.source != "sst2"]
        x_fit, x_val = build_matrix([e.text for e in fit_part]), build_matrix([e.text for e in val])
        kept = np.flatnonzero(np.asarray((x_fit > 0).sum(axis=0)).ravel() >= args.min_df)
        y_fit = np.array([e.label for e in fit_part])
        for c in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0):
            m = fit(x_fit[:, kept], y_fit, sample_weights(fit_part, args.short_boost), c)
            aucs = report(val, m.decision_function(x_val[:, kept]), f"val C={c}")
            print(f"C={c}: mean val AUC {np.mean(list(aucs.values())):.4f}")

    x = build_matrix([e.text for e in train])
    kept = np.flatnonzero(np.asarray((x > 0).sum(axis=0)).ravel() >= args.min_df)
    y = np.array([e.label for e in train])
    model = fit(x[:, kept], y, sample_weights(train, args.short_boost), args.c)
    print(f"fitted C={args.c} on {len(train)} texts, {len(kept)} columns in {time.perf_counter() - t0:.1f}s")
    export(model, kept, sentiment.N_BITS, args.out)

    # Held-out check with the exported (float16) weights through the run-time analyzer.
    sentiment._load_weights.cache_clear()
    analyzer = sentiment.BuiltinAnalyzer(args.out)
    report(test, analyzer.logits([e.text for e in test]), "held-out test (run-time analyzer)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
