"""BM25 over a document's title, tags and description (one index per field, weighted), with typo tolerance:
a query word the catalogue never uses is matched to the nearest catalogue word ("pyhton" -> "python")."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from community.text.documents import Document
from community.text.tokenize import analyse, english_words, is_cjk, normalise, stem

FIELDS = ("title", "tags", "description")
CORRECTED_WEIGHT = 0.7  # a corrected word counts a little less than one typed right
MAX_QUERY_TERMS = 32


@dataclass(frozen=True)
class FieldWeights:
    """How much a hit in each field counts (a title hit says more about a course than one in its description)."""

    title: float = 3.0
    tags: float = 2.0
    description: float = 1.0

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.title, self.tags, self.description)


@dataclass(frozen=True)
class QueryTerm:
    """One term of the query: the word as typed, the catalogue term searched (a stem), and for a typo the
    catalogue word it was corrected to."""

    typed: str
    term: str
    weight: float = 1.0
    fixed: str | None = None

    @property
    def corrected(self) -> bool:
        return self.fixed is not None


@dataclass(frozen=True)
class FieldMatch:
    """A query word found in one field of a document."""

    field: str
    term: str
    typed: str


@dataclass(frozen=True)
class LexicalScores:
    """BM25 of one query against every document: `scores` [n_docs], `parts` per term and field
    [n_terms, 3, n_docs], and `coverage` [n_docs]: the IDF-weighted share of the query's words (known to the
    catalogue or not) that the document contains, 1.0 when it has them all."""

    terms: tuple[QueryTerm, ...]
    unknown: tuple[str, ...]
    scores: np.ndarray
    parts: np.ndarray
    coverage: np.ndarray

    def matches(self, doc: int) -> tuple[FieldMatch, ...]:
        """Which query words matched which fields of document `doc` (an index), strongest field first."""
        out: list[FieldMatch] = []
        for t, qt in enumerate(self.terms):
            for f in np.argsort(-self.parts[t, :, doc], kind="stable"):
                if self.parts[t, f, doc] > 0:
                    out.append(FieldMatch(FIELDS[int(f)], qt.term, qt.typed))
        return tuple(out)


class LexicalIndex:
    """BM25 (bm25s, Lucene variant) per field; a query's score is the weighted sum over fields and terms."""

    def __init__(
        self,
        docs: Sequence[Document],
        *,
        weights: FieldWeights | None = None,
        k1: float = 1.2,
        b: float = 0.75,
    ) -> None:
        self.ids = [d.id for d in docs]
        self.weights = weights or FieldWeights()
        per_field: tuple[list[list[str]], list[list[str]], list[list[str]]] = ([], [], [])
        df: Counter[str] = Counter()
        surfaces: dict[str, Counter[str]] = {}
        for d in docs:
            fields = (d.title, " ; ".join(d.tags), d.description)
            terms_seen: set[str] = set()
            for f, text in enumerate(fields):
                pairs = analyse(text)
                per_field[f].append([t for _, t in pairs])
                terms_seen.update(t for _, t in pairs)
                for w in english_words(text):
                    surfaces.setdefault(stem(w), Counter())[w] += 1
            df.update(terms_seen)
        self._bm25: list[bm25s.BM25 | None] = []
        for field_docs in per_field:
            if not any(field_docs):
                self._bm25.append(None)
                continue
            bm = bm25s.BM25(k1=k1, b=b)
            bm.index(field_docs, show_progress=False)
            self._bm25.append(bm)
        self.doc_freq = df
        n = max(len(docs), 1)
        self._max_idf = math.log(1.0 + (n + 0.5) / 0.5)
        # The words a typo can be corrected to, as written in the catalogue (4+ Latin letters), most common
        # first, with the term each stands for ("machine" -> "machin").
        counts: Counter[str] = Counter()
        self._word_term: dict[str, str] = {}
        for t, c in surfaces.items():
            for w, k in c.items():
                if len(w) >= 4 and w.isascii() and w.isalpha() and t in df:
                    counts[w] += k
                    self._word_term[w] = t
        self._words = [w for w, _ in sorted(counts.items(), key=lambda x: (-x[1], x[0]))]
        self._by_initial: dict[str, list[str]] = {}
        for w in self._words:
            self._by_initial.setdefault(w[0], []).append(w)

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, term: str) -> float:
        """BM25's inverse document frequency of a term (the highest value for a term no document has)."""
        n, df = len(self.ids), self.doc_freq.get(term, 0)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5)) if df else self._max_idf

    def correct(self, word: str) -> str | None:
        """The catalogue word nearest to a typed word, within one edit (two from 8 letters; a swap of neighbours
        is one; a word under 6 letters must keep its first letter), or None."""
        if len(word) < 4 or is_cjk(word) or not word.isascii() or not self._words:
            return None
        max_edits = 1 if len(word) < 8 else 2
        vocab = self._by_initial.get(word[0], []) if len(word) < 6 else self._words
        found = process.extractOne(word, vocab, scorer=OSA.distance, score_cutoff=max_edits, processor=None)
        return None if found is None else str(found[0])

    def analyse_query(self, query: str) -> tuple[tuple[QueryTerm, ...], tuple[str, ...]]:
        """The query's distinct terms, each matched to a catalogue term (itself, or a typo's correction), and the
        typed words that match nothing."""
        out: list[QueryTerm] = []
        unknown: list[str] = []
        seen: set[str] = set()
        for typed, term in analyse(query):
            if term in seen or typed in seen:
                continue
            seen.update((term, typed))
            if term in self.doc_freq:
                out.append(QueryTerm(typed, term))
            elif (fixed := self.correct(typed)) is not None and self._word_term[fixed] not in seen:
                seen.add(self._word_term[fixed])
                out.append(QueryTerm(typed, self._word_term[fixed], CORRECTED_WEIGHT, fixed))
            else:
                unknown.append(typed)
            if len(out) >= MAX_QUERY_TERMS:
                break
        return tuple(out), tuple(unknown)

    def query_terms(self, query: str) -> tuple[QueryTerm, ...]:
        return self.analyse_query(query)[0]

    def spell_corrected(self, query: str, terms: Sequence[QueryTerm] | None = None) -> str:
        """The query with its typos replaced by the catalogue's words ("machne lerning" -> "machine learning"),
        for the encoders, which cannot read a misspelt word; the query itself when nothing was corrected.
        `terms`: the query's terms when already analysed."""
        if terms is None:
            terms = self.query_terms(query)
        fixes = {t.typed: t.fixed for t in terms if t.fixed is not None}
        if not fixes:
            return query
        out = normalise(query)
        for typed, fixed in fixes.items():
            out = re.sub(rf"(?<![a-z0-9.+#]){re.escape(typed)}(?![a-z0-9+#])", fixed, out)
        return out

    def score(self, query: str) -> LexicalScores:
        """BM25 of the query against every document (zeros where nothing matched)."""
        terms, unknown = self.analyse_query(query)
        n = len(self.ids)
        parts = np.zeros((len(terms), len(FIELDS), n), dtype=np.float32)
        for t, qt in enumerate(terms):
            for f, (bm, w) in enumerate(zip(self._bm25, self.weights.as_tuple(), strict=True)):
                if bm is not None and qt.term in bm.vocab_dict:
                    parts[t, f] = bm.get_scores([qt.term]) * (w * qt.weight)
        scores = parts.sum(axis=(0, 1)) if terms else np.zeros(n, dtype=np.float32)
        coverage = np.zeros(n, dtype=np.float32)
        if terms:
            idf = np.array([self.idf(qt.term) * qt.weight for qt in terms], dtype=np.float32)
            total = float(idf.sum()) + self._max_idf * len(unknown)
            coverage = (idf @ (parts.sum(axis=1) > 0)) / total
        return LexicalScores(terms, unknown, scores.astype(np.float32, copy=False), parts, coverage)

    def search(self, query: str, k: int = 10) -> list[tuple[str, float]]:
        """The best `k` documents that match at least one term, as (id, score), best first."""
        s = self.score(query).scores
        order = np.argsort(-s, kind="stable")[:k]
        return [(self.ids[i], float(s[i])) for i in order if s[i] > 0]
