"""Hybrid search: BM25 (words) fused with sentence-encoder similarity (meaning), with why each result matched.

The encoders read the query with its typos corrected from the catalogue's words ("machne lerning" -> "machine
learning"): they cannot read a misspelt word, BM25's vocabulary can fix it. Three fusions:

- `rrf` (reciprocal rank fusion): `w / (k + lexical rank) + (1 - w) * mean over encoders of 1 / (k + semantic
  rank)`; a document without a word in common gets no lexical part.
- `zscore`: `w * z(BM25) + (1 - w) * mean z(cosine)`, z-scores over the candidates.
- `boost`: `mean z(cosine) + w * coverage * BM25 / max BM25`, where coverage is the IDF-weighted share of the
  query's words the document contains: words add to meaning in proportion to how much of the query they explain.

The default (`FusionConfig()`) is the one chosen on the validation half of `benchmarks/data/course_queries.json`
(docs/BENCHMARKS.md, "Course search (issue 12)").
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np

from community.text.documents import Document, passage_text
from community.text.encoders import TextEncoder, l2_normalise
from community.text.lexical import FieldMatch, LexicalIndex, LexicalScores, QueryTerm
from community.text.tokenize import text_language

Method = Literal["rrf", "zscore", "boost"]


@dataclass(frozen=True)
class FusionConfig:
    """How the parts are combined: `method`, and `lexical_weight`, the weight of the word part (0: meaning only;
    in `rrf` and `zscore` a share in [0, 1], in `boost` the score a full, best BM25 match adds to the z-scored
    cosine). The default is what the validation half chose for BM25 + USE."""

    method: Method = "boost"
    lexical_weight: float = 0.5
    rrf_k: int = 20


@dataclass(frozen=True)
class SearchHit:
    """One result: its fused score, each part's rank (1-based; None where that part did not find it), the best
    cosine similarity, and which query words matched which fields (empty when it matched by meaning only)."""

    doc_id: str
    score: float
    lexical_rank: int | None
    semantic_rank: int | None
    lexical_score: float
    semantic_score: float
    matches: tuple[FieldMatch, ...] = ()
    corrections: tuple[QueryTerm, ...] = ()

    @property
    def matched_by(self) -> str:
        """What matched: "words", "meaning" or "both" (what to tell a member when it is not obvious)."""
        if self.lexical_rank is not None and self.semantic_rank is not None and self.semantic_rank <= 10:
            return "both"
        return "words" if self.lexical_rank is not None else "meaning"


class DenseIndex:
    """Document vectors of one encoder ([n_docs, dim], unit rows) and the encoder for queries.

    `center_languages`: subtract from each vector the mean vector of its language (documents by their
    `language`, queries by `text_language`) before comparing. An encoder that places texts of one language near
    each other whatever their topic (multilingual-e5-small: a Chinese query ranks Chinese courses first) then
    compares topics; on the sample catalogue it lifted e5's P@5 on Chinese queries from 0.39 to 0.83. A language
    with fewer than `MIN_CENTRE_DOCS` documents is not centred. USE does not need it (it lost 0.03)."""

    MIN_CENTRE_DOCS = 5

    def __init__(
        self,
        encoder: TextEncoder,
        vectors: np.ndarray,
        *,
        languages: Sequence[str] | None = None,
        center_languages: bool = False,
    ) -> None:
        if vectors.ndim != 2 or vectors.shape[1] != encoder.dim:
            raise ValueError(f"vectors must be [n, {encoder.dim}], got {vectors.shape}")
        self.encoder = encoder
        self.centres: dict[str, np.ndarray] = {}
        vecs = np.asarray(vectors, dtype=np.float32)
        if center_languages:
            if languages is None or len(languages) != len(vecs):
                raise ValueError("center_languages needs one language per document")
            langs = np.asarray([lang or "en" for lang in languages])
            for lang in sorted(set(langs.tolist())):
                rows = langs == lang
                if rows.sum() >= self.MIN_CENTRE_DOCS:
                    self.centres[lang] = vecs[rows].mean(axis=0)
            shift = np.stack([self.centres.get(lang, np.zeros(vecs.shape[1], np.float32)) for lang in langs])
            vecs = l2_normalise(vecs - shift)
        self.vectors = np.ascontiguousarray(vecs, dtype=np.float32)

    @classmethod
    def build(
        cls, encoder: TextEncoder, docs: Sequence[Document], *, center_languages: bool = False
    ) -> DenseIndex:
        """Encode every document's passage text (batched; cached when the encoder is a CachedEncoder)."""
        vecs = encoder.encode([passage_text(d) for d in docs], role="passage")
        langs = [d.language or text_language(passage_text(d)) for d in docs]
        return cls(encoder, vecs, languages=langs, center_languages=center_languages)

    def __len__(self) -> int:
        return int(self.vectors.shape[0])

    def query_vector(self, query: str) -> np.ndarray:
        """The query's vector ([dim]), centred like the documents when they are."""
        q = self.encoder.encode([query], role="query")[0]
        if self.centres:
            centre = self.centres.get(text_language(query))
            if centre is not None:
                q = l2_normalise((q - centre)[None, :])[0]
        return q

    def scores(self, query: str) -> np.ndarray:
        """Cosine similarity of the query to every document ([n_docs])."""
        q = self.query_vector(query)
        with _one_blas_thread():
            return self.vectors @ q


def _one_blas_thread() -> AbstractContextManager[object]:
    """One query's scan on one BLAS thread: on a busy 2-core machine a 2-thread matrix-vector product over 10,000
    documents took 20-50 ms against 2-5 ms on one (the threads wait for a core)."""
    global _blas_limit
    if _blas_limit is None:
        try:
            from threadpoolctl import ThreadpoolController

            _blas_limit = ThreadpoolController().limit
        except Exception:  # no threadpoolctl: run as configured
            _blas_limit = False
    if _blas_limit is False:
        return nullcontext()
    return cast(AbstractContextManager[object], _blas_limit(limits=1, user_api="blas"))


_blas_limit: Any = None


def _ranks(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """1-based rank of each document by score (ties by position); 0 where not `valid`."""
    order = np.argsort(-np.where(valid, scores, -np.inf), kind="stable")
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[order] = np.arange(1, len(scores) + 1)
    return np.where(valid, ranks, 0)


def _rank_of(scores: np.ndarray, valid: np.ndarray, i: int) -> int:
    """1-based rank of document `i` among the valid ones (documents with an equal score share it)."""
    return 1 + int(np.count_nonzero(valid & (scores > scores[i])))


def _top(scores: np.ndarray, valid: np.ndarray, k: int) -> np.ndarray:
    """Indices of the best `k` valid documents, best first (ties by position), without sorting them all."""
    kk = min(k, int(valid.sum()))
    if kk <= 0:
        return np.zeros(0, dtype=np.int64)
    s = np.where(valid, scores, -np.inf)
    idx = np.argpartition(-s, kk - 1)[:kk] if kk < len(s) else np.arange(len(s))
    return idx[np.lexsort((idx, -s[idx]))]


def _z(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    vals = x[mask]
    if vals.size == 0:
        return np.zeros_like(x)
    sd = float(vals.std())
    return (x - float(vals.mean())) / sd if sd > 1e-9 else np.zeros_like(x)


class HybridSearcher:
    """Searches a fixed set of documents with a lexical index and any number of dense indexes (all over the same
    documents, in the same order)."""

    def __init__(
        self,
        docs: Sequence[Document],
        *,
        lexical: LexicalIndex | None = None,
        dense: Sequence[DenseIndex] = (),
        config: FusionConfig | None = None,
    ) -> None:
        self.docs = list(docs)
        self.ids = [d.id for d in self.docs]
        self.lexical = lexical if lexical is not None else LexicalIndex(self.docs)
        self.dense = list(dense)
        self.config = config or FusionConfig()
        if len(self.lexical) != len(self.docs) or any(len(d) != len(self.docs) for d in self.dense):
            raise ValueError("every index must cover the same documents")

    @classmethod
    def build(
        cls, docs: Sequence[Document], encoders: Sequence[TextEncoder], *, config: FusionConfig | None = None
    ) -> HybridSearcher:
        """Index `docs` lexically and with each encoder."""
        return cls(docs, dense=[DenseIndex.build(e, docs) for e in encoders], config=config)

    def parts(self, query: str) -> tuple[LexicalScores, list[np.ndarray]]:
        """The raw scores of each part: BM25 and one cosine array per encoder (each [n_docs]); the encoders read
        the spell-corrected query."""
        lex = self.lexical.score(query)
        dense_query = self.lexical.spell_corrected(query, lex.terms)
        return lex, [d.scores(dense_query) for d in self.dense]

    def search(
        self,
        query: str,
        k: int = 10,
        *,
        mask: np.ndarray | None = None,
        config: FusionConfig | None = None,
    ) -> list[SearchHit]:
        """The best `k` documents for a query, best first. `mask` ([n_docs] bool) limits the candidates (a group's
        courses, one language). With no encoders this is BM25 alone; with a weight of 0 it is meaning alone.
        A query with no word to search by (markup, symbols, only stop words: "<b>x</b>", "有什么推荐吗") finds
        nothing rather than whatever its vector is nearest to."""
        lex = self.lexical.score(query)
        if not lex.terms and not lex.unknown:
            return []
        dense_query = self.lexical.spell_corrected(query, lex.terms)
        return self.fuse(lex, [d.scores(dense_query) for d in self.dense], k, mask=mask, config=config)

    def fuse(
        self,
        lex: LexicalScores,
        sems: Sequence[np.ndarray],
        k: int = 10,
        *,
        mask: np.ndarray | None = None,
        config: FusionConfig | None = None,
    ) -> list[SearchHit]:
        """Fuse precomputed part scores (`parts`) into the top `k` hits."""
        cfg = config or self.config
        n = len(self.ids)
        cand = np.ones(n, dtype=bool) if mask is None else np.asarray(mask, dtype=bool)
        lex_valid = cand & (lex.scores > 0)
        w = cfg.lexical_weight if sems else 1.0
        if not sems:
            fused = lex.scores.astype(np.float64)
            cand = lex_valid  # words only: a document with no word in common is no match
        elif cfg.method == "rrf":
            fused = np.where(lex_valid, w / (cfg.rrf_k + np.maximum(_ranks(lex.scores, lex_valid), 1)), 0.0)
            for s in sems:
                fused = fused + (1.0 - w) / len(sems) / (cfg.rrf_k + np.maximum(_ranks(s, cand), 1))
        elif cfg.method == "zscore":
            fused = w * _z(lex.scores, cand) if lex_valid.any() else np.zeros(n)
            for s in sems:
                fused = fused + (1.0 - w) / len(sems) * _z(s, cand)
        else:
            top = float(lex.scores[lex_valid].max()) if lex_valid.any() else 0.0
            fused = w * lex.coverage * (lex.scores / top) if top > 0 else np.zeros(n)
            fused = fused + sum(_z(s, cand) for s in sems) / len(sems)
        corrections = tuple(t for t in lex.terms if t.corrected)
        hits: list[SearchHit] = []
        for i in _top(fused, cand, k):
            i = int(i)
            words = bool(lex_valid[i])
            hits.append(
                SearchHit(
                    doc_id=self.ids[i],
                    score=float(fused[i]),
                    lexical_rank=_rank_of(lex.scores, lex_valid, i) if words else None,
                    semantic_rank=min(_rank_of(s, cand, i) for s in sems) if sems else None,
                    lexical_score=float(lex.scores[i]),
                    semantic_score=max(float(s[i]) for s in sems) if sems else 0.0,
                    matches=lex.matches(i) if words else (),
                    corrections=corrections if words else (),
                )
            )
        return hits
