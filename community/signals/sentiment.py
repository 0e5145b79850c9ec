"""Multilingual message sentiment (English, Chinese, mixed, emoji): one interface, several analyzers.

The default analyzer (``"builtin"``) is a logistic regression over hashed features (``features.py``) that needs
no tokenizer model: Latin word uni/bi-grams with negation marking, and character 1-3-grams for CJK runs. Its
weights are shipped in ``community/signals/sentiment_weights.npz`` (reproduced by ``scripts/train_sentiment.py``)
and scored in pure numpy. Emoji, emoticons and chat sticker codes (``[赞]``) add a small hand-made lexicon prior
(``lexicon.py``), because the training data (reviews) holds almost none of them.

Scores are ``2 * p - 1`` in ``[-1, 1]``; labels use a neutral band of ``|score| < NEUTRAL_BAND``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from community.signals.features import FEATURE_VERSION, N_BITS, extract_features, hash_features, vectorise
from community.signals.lexicon import (
    MAX_CHARS,
    clean_text,
    emoji_sentiment,
    lexicon_prior,
    word_lexicon_score,
)

__all__ = [
    "FEATURE_VERSION",
    "MAX_CHARS",
    "N_BITS",
    "NEUTRAL_BAND",
    "WEIGHTS_PATH",
    "BuiltinAnalyzer",
    "LexiconAnalyzer",
    "SentimentAnalyzer",
    "SentimentResult",
    "available_analyzers",
    "emoji_sentiment",
    "extract_features",
    "get_analyzer",
    "hash_features",
    "label_for",
    "register_analyzer",
]

NEUTRAL_BAND = 0.4
"""Scores with an absolute value below this are labelled ``neutral``.

The training data has no neutral class, so this is a choice: at 0.4 (p >= 0.7 for a polar label), 27% of the
English and 11% of the Chinese held-out reviews turn neutral and 92-93% of the rest are labelled correctly,
while 12 of 16 hand-written neutral chat lines ("the lecture is at 5pm") come out neutral (0.2: 7 of 16).
"""

LEX_LOGIT_SCALE = 2.0
"""Logit added per unit of emoji/emoticon lexicon value (one 👍 alone gives a score of about +0.76)."""
LEX_LOGIT_CAP = 4.0
WORD_LEX_SCALE = 1.0
"""Logit added per unit of word-lexicon value (喜欢, 讨厌, boring...): chat words that reviews rarely hold."""

WEIGHTS_PATH = Path(__file__).with_name("sentiment_weights.npz")


@dataclass(frozen=True)
class SentimentResult:
    """Sentiment of one text: ``score`` in [-1, 1] and ``label`` positive/neutral/negative."""

    score: float
    label: str


@runtime_checkable
class SentimentAnalyzer(Protocol):
    """Anything that scores a batch of texts; one result per text, in order."""

    name: str

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]: ...


def label_for(score: float, band: float = NEUTRAL_BAND) -> str:
    """Map a score in [-1, 1] to ``positive`` / ``neutral`` / ``negative``."""
    if score >= band:
        return "positive"
    if score <= -band:
        return "negative"
    return "neutral"


def _result(score: float, band: float = NEUTRAL_BAND) -> SentimentResult:
    if not math.isfinite(score):
        score = 0.0
    score = min(1.0, max(-1.0, float(score)))
    return SentimentResult(score=score, label=label_for(score, band))


# --------------------------------------------------------------------------------------------------
# Analyzers
# --------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _load_weights(path: str) -> tuple[np.ndarray, float, int]:
    """Load (weights [2**n_bits], intercept, n_bits) from the shipped ``.npz``."""
    with np.load(path, allow_pickle=False) as data:
        version = str(data["feature_version"])
        if version != FEATURE_VERSION:
            raise RuntimeError(f"{path} was trained for features {version!r}, code has {FEATURE_VERSION!r}")
        n_bits = int(data["n_bits"])
        weights = np.zeros(1 << n_bits, dtype=np.float64)
        weights[data["index"].astype(np.int64)] = data["value"].astype(np.float64)
        return weights, float(data["intercept"]), n_bits


class BuiltinAnalyzer:
    """Hashed n-gram logistic regression (shipped weights) plus the emoji/emoticon lexicon prior.

    ``logit = (w . x + b if the text has any word/character features else 0) + clip(2 * emoji lexicon, +-4)
    + clip(1 * word lexicon, +-4)``; ``score = 2 * sigmoid(logit) - 1``. Texts with no features and no known emoji score
    exactly 0. The word lexicon also reaches the n-gram weights: ``scripts/train_sentiment.py`` adds short
    pseudo-documents built from it (``太烦了``, ``not good``), so 好 stops reading as praise in 好无聊.
    """

    name = "builtin"

    def __init__(self, weights_path: str | Path = WEIGHTS_PATH, neutral_band: float = NEUTRAL_BAND) -> None:
        self.weights, self.intercept, self.n_bits = _load_weights(str(weights_path))
        self.neutral_band = neutral_band

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        """Raw logits ``[len(texts)]`` (model part plus lexicon prior)."""
        cleaned = [clean_text(t) for t in texts]
        n = len(cleaned)
        rows, cols, vals = vectorise(cleaned, self.n_bits)
        model = np.bincount(rows, weights=self.weights[cols] * vals, minlength=n)
        has_features = np.bincount(rows, minlength=n) > 0
        model = np.where(has_features, model + self.intercept, 0.0)
        lex = np.array([lexicon_prior(t) for t in cleaned], dtype=np.float64)
        lex = np.clip(LEX_LOGIT_SCALE * lex, -LEX_LOGIT_CAP, LEX_LOGIT_CAP)
        words = np.array([word_lexicon_score(t) for t in cleaned], dtype=np.float64)
        words = np.clip(WORD_LEX_SCALE * words, -LEX_LOGIT_CAP, LEX_LOGIT_CAP)
        return model + lex + words

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """Score every text; one result per text, in order."""
        if len(texts) == 0:
            return []
        scores = np.tanh(self.logits(texts) / 2.0)  # == 2 * sigmoid(logit) - 1
        return [_result(float(s), self.neutral_band) for s in scores]


class LexiconAnalyzer:
    """The tiny emoji/emoticon/word lexicon alone (English words, Chinese words with 不/没 negation)."""

    name = "lexicon"

    def score_text(self, text: str) -> float:
        """Score one text in [-1, 1]."""
        text = clean_text(text)
        return math.tanh(0.75 * (lexicon_prior(text) + word_lexicon_score(text)))

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """Score every text; one result per text, in order."""
        return [_result(self.score_text(t)) for t in texts]


class VaderAnalyzer:
    """VADER's compound score (English lexicon baseline; needs ``vaderSentiment``)."""

    name = "vader"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._vader = SentimentIntensityAnalyzer()

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """Score every text with VADER's ``compound`` (neutral band 0.05, VADER's own convention)."""
        out = []
        for text in texts:
            text = clean_text(text)
            score = self._vader.polarity_scores(text)["compound"] if text.strip() else 0.0
            out.append(_result(score, 0.05))
        return out


class SnowNLPAnalyzer:
    """SnowNLP's sentiment probability as ``2p - 1`` (Chinese baseline; needs ``snownlp``)."""

    name = "snownlp"

    def __init__(self) -> None:
        from snownlp import SnowNLP

        self._cls = SnowNLP

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """Score every text; empty texts (which SnowNLP rejects) score 0."""
        out = []
        for text in texts:
            text = clean_text(text)
            try:
                score = 2.0 * float(self._cls(text).sentiments) - 1.0 if text.strip() else 0.0
            except Exception:  # SnowNLP fails on some odd inputs; a baseline must not stop the run
                score = 0.0
            out.append(_result(score))
        return out


_REGISTRY: dict[str, Callable[[], SentimentAnalyzer]] = {
    "builtin": BuiltinAnalyzer,
    "lexicon": LexiconAnalyzer,
    "vader": VaderAnalyzer,
    "snownlp": SnowNLPAnalyzer,
}


def register_analyzer(name: str, factory: Callable[[], SentimentAnalyzer]) -> None:
    """Add (or replace) an analyzer under ``name``; ``factory`` is called lazily by ``get_analyzer``."""
    _REGISTRY[name] = factory
    _cached_analyzer.cache_clear()


def available_analyzers() -> list[str]:
    """Registered analyzer names (``vader``/``snownlp`` may still fail if not installed)."""
    return sorted(_REGISTRY)


@functools.cache
def _cached_analyzer(name: str) -> SentimentAnalyzer:
    return _REGISTRY[name]()


def get_analyzer(name: str = "builtin") -> SentimentAnalyzer:
    """Return the (shared, thread-safe) analyzer called ``name``.

    Raises ``ValueError`` for an unknown name and ``ImportError`` when an optional baseline is not installed.
    """
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown sentiment analyzer {name!r}; choose from {', '.join(available_analyzers())}"
        )
    return _cached_analyzer(name)
