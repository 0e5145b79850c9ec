"""Interest vectors from text: the words a member uses (TF-IDF, CJK bigrams) and the sentence encoder.

`topic_terms` splits a text into the words that can be shared interests; `term_vectors` weighs them by TF-IDF;
`interest_encoder` is the sentence encoder (a named model beside n-gram hashing) whose three texts per member
(topics, messages, liked courses) `encode_interests` combines into one vector.
"""

from __future__ import annotations

import logging
import re
import zlib
from collections import Counter
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from community.buddies.glossary import CJK, GLOSSARY_PREFIX

log = logging.getLogger(__name__)

TERM_DIM = 2048
# Cosine shares of the interest parts: (encoder, TF-IDF) or (encoder, TF-IDF, multilingual term vectors).
PART_SHARES = {2: (0.5, 0.5), 3: (0.25, 0.25, 0.5)}

WORD = re.compile(r"[\w+#]+", re.UNICODE)
_COMMON_WORDS = (
    "the and for you are was were this that with have has had but not all any can her his its our out "
    "they them what when who how why will would could should about into from just like also been more "
    "most some such than then there these those very too much many one two get got going want really "
    "anyone else today week month year time lot lots thing things make made does did doing here help "
    "helped still finally first"
)
# Generic words of course titles: sharing "Fundamentals" or "for Beginners" is not a shared interest.
_TITLE_WORDS = (
    "fundamentals basics basic beginner beginners introduction intro essentials practice advanced "
    "intermediate course courses absolute scratch principles skills foundations guide everyone without "
    "tears real part level"
)
_STOP = frozenset(_COMMON_WORDS.split() + _TITLE_WORDS.split())


def topic_terms(text: str) -> list[str]:
    """The words of `text` that can be shared interests: lower-case words of 3+ letters (and a few short
    names such as "ai", "c++"), no stop words, Chinese as character bigrams."""
    out: list[str] = []
    for w in WORD.findall(text.lower()):
        if CJK.search(w):
            chars = [c for c in w if CJK.match(c)]
            out.extend("".join(chars[i : i + 2]) for i in range(len(chars) - 1))
            out.extend(x for x in CJK.sub(" ", w).split() if len(x) >= 2 and x not in _STOP)
        elif (
            (len(w) >= 3 or w in ("ai", "ui", "ux", "go", "r", "c", "c#", "c++", "js", "ml"))
            and w not in _STOP
            and not w.isdigit()
        ):
            out.append(w)
    return out


class Encoder(Protocol):
    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class CombinedEncoder:
    """A sentence-transformers model (meaning, English) beside character n-gram hashing (any script, Chinese too).

    Each part is L2-normalised and weighted by 1/sqrt(2), so the concatenation stays L2-normalised and cosine
    similarity is the mean of the two parts' similarities.
    """

    def __init__(self, *parts: Encoder) -> None:
        self.parts = parts

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        scale = 1.0 / np.sqrt(len(self.parts))
        return np.concatenate([p.encode(texts) * scale for p in self.parts], axis=1).astype(np.float32)


def interest_encoder(model_name: str) -> Encoder:
    """The encoder for interests: hashing alone for "hashing", else the named model combined with hashing
    (MiniLM cannot read Chinese; the hashing part can). Falls back to hashing if the model cannot load."""
    from recommender.features import HashingTextEncoder, make_encoder

    if model_name == "hashing":
        return HashingTextEncoder()
    try:
        return CombinedEncoder(make_encoder(model_name), HashingTextEncoder())
    except Exception:  # no weights on this machine: matching still works on n-grams
        log.warning("text model %s unavailable; buddy interests use n-gram hashing only", model_name)
        return HashingTextEncoder()


def encode_interests(
    encoder: Encoder, topics: list[str], messages: list[str], courses: list[str]
) -> np.ndarray:
    """One interest vector per member: declared topics weigh most, then what they write, then liked courses."""
    v = 1.5 * encoder.encode(topics) + 1.0 * encoder.encode(messages) + 0.7 * encoder.encode(courses)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return np.where(norms > 0, v / np.maximum(norms, 1e-9), 0.0).astype(np.float32)


def _script(term: str) -> str:
    if term.startswith(GLOSSARY_PREFIX):
        return "any"  # glossary topics are shared by both languages
    return "cjk" if CJK.search(term) else "latin"


def idf_weights(terms: Sequence[Counter[str]]) -> dict[str, float]:
    """Smoothed IDF of each term, counted among the members who write in the term's script.

    In a group where 30 % write Chinese, everyday Chinese words (今天, 有人) are rare among all members and would
    weigh like topic words, pairing Chinese writers by language rather than topic; among Chinese writers they
    are as common as "today" is among English writers, and weigh as little."""
    df: Counter[str] = Counter()
    writers: Counter[str] = Counter()
    for t in terms:
        df.update(t.keys())
        writers.update({_script(term) for term in t})
    n = len(terms)
    writers["any"] = n
    return {term: float(np.log((writers[_script(term)] + 1) / (c + 1)) + 1.0) for term, c in df.items()}


def term_vectors(terms: Sequence[Counter[str]], dim: int = TERM_DIM) -> np.ndarray:
    """Hashed TF-IDF vectors [n, dim], L2-normalised (zero rows for members with no words)."""
    idf = idf_weights(terms)
    n = len(terms)
    out = np.zeros((n, dim), dtype=np.float32)
    for row, t in enumerate(terms):
        for term, count in t.items():
            out[row, zlib.crc32(term.encode("utf-8")) % dim] += (1.0 + np.log(count)) * idf[term]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.where(norms > 0, out / np.maximum(norms, 1e-9), 0.0).astype(np.float32)
