"""BM25 over title, tags and description, with typo tolerance."""

from __future__ import annotations

import pytest

from community.text.documents import Document
from community.text.lexical import FieldWeights, LexicalIndex


@pytest.fixture(scope="module")
def index(sample_docs: list[Document]) -> LexicalIndex:
    return LexicalIndex(sample_docs)


def test_an_exact_title_ranks_its_course_first(index: LexicalIndex, sample_docs: list[Document]) -> None:
    for d in sample_docs:
        hits = index.search(d.title, 3)
        assert hits and hits[0][0] == d.id, (d.title, hits)


def test_typo_finds_python(index: LexicalIndex) -> None:
    hits = [i for i, _ in index.search("pyhton", 5)]
    assert hits and all("py" in i for i in hits[:4])
    (term,) = index.query_terms("pyhton")
    assert term.corrected and term.fixed == "python" and term.weight < 1
    assert index.spell_corrected("pyhton for beginners") == "python for beginners"
    assert index.spell_corrected("machne lerning") == "machine learning"
    assert index.spell_corrected("pyhton数据分析") == "python数据分析"


def test_known_words_and_chinese_are_not_corrected(index: LexicalIndex) -> None:
    assert index.spell_corrected("python") == "python"
    assert index.correct("cooking") is None  # nothing within one edit that keeps the first letter
    assert index.correct("数据") is None
    assert index.correct("sql") is None  # too short to guess


def test_chinese_query_finds_the_chinese_course(index: LexicalIndex) -> None:
    assert index.search("机器学习", 1)[0][0] == "zh-ml-201"
    assert index.search("用户体验", 1)[0][0] == "zh-ux-101"


def test_learn_chinese_does_not_match_machine_learning(index: LexicalIndex) -> None:
    assert [i for i, _ in index.search("learn chinese", 5)] == ["zh-101"]


def test_nothing_matches_nothing(index: LexicalIndex) -> None:
    assert index.search("<b>x</b>") == []
    assert index.search("") == []
    assert index.search("quantum chromodynamics") == []


def test_title_counts_more_than_description() -> None:
    docs = [
        Document("a", "Cooking basics", ("food",), "A little python at the end."),
        Document("b", "Python basics", ("food",), "Cooking at the end."),
    ]
    assert [i for i, _ in LexicalIndex(docs).search("python")] == ["b", "a"]
    flat = LexicalIndex(docs, weights=FieldWeights(title=0.0, tags=0.0, description=1.0))
    assert [i for i, _ in flat.search("python")] == ["a"]


def test_matches_say_which_field(index: LexicalIndex, sample_docs: list[Document]) -> None:
    s = index.score("pandas dataframes")
    doc = [d.id for d in sample_docs].index("pandas-101")
    fields = {(m.field, m.term) for m in s.matches(doc)}
    assert ("title", "pandas") in fields and ("tags", "pandas") in fields
    assert s.unknown == ("dataframes",)
    assert 0 < s.coverage[doc] < 1
