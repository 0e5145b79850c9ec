"""Search terms of English, Chinese and mixed text."""

from __future__ import annotations

import pytest

from community.text.tokenize import analyse, english_words, is_cjk, stem, tokenize


def test_mixed_english_and_chinese() -> None:
    terms = tokenize("我想学Python数据分析，还有machine learning")
    assert "python" in terms and "数据分析" in terms and "数据" in terms
    assert {"machin", "learning"} <= set(terms)
    assert not {"我", "想", "学", "还有", "，"} & set(terms)


def test_chinese_domain_words_stay_whole() -> None:
    assert "机器学习" in tokenize("机器学习基础")
    assert "用户体验" in tokenize("用户体验设计入门")
    assert "透视表" in tokenize("用 Excel 做透视表")


def test_stop_words_and_asking_words_go_in_both_languages() -> None:
    assert tokenize("I want to learn chinese, any good course?") == ["chines"]
    assert tokenize("有什么好的课程推荐吗？") == []


def test_learn_is_not_learning() -> None:
    # "learn chinese" must not match "Machine Learning Foundations" (issue 12)
    assert "learning" in tokenize("Machine Learning")
    assert not set(tokenize("learn")) & set(tokenize("Machine Learning"))


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("tests", "test"),
        ("testing", "test"),
        ("programming", "program"),
        ("libraries", "library"),
        ("classes", "class"),
        ("databases", "databas"),
        ("database", "databas"),
        ("analysis", "analysis"),
        ("learning", "learning"),
        ("analytics", "analytics"),
        ("python", "python"),
        ("go", "go"),
        ("string", "string"),
    ],
)
def test_stemming_is_light(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_markup_full_width_and_symbols() -> None:
    assert tokenize("<b>x</b>") == []
    assert tokenize("Ｐｙｔｈｏｎ入门") == ["python", "入门"]
    assert tokenize("C++ and C# or node.js, R") == ["c++", "c#", "node.js", "r"]


def test_analyse_keeps_the_typed_word() -> None:
    assert analyse("Testing pyhton") == [("testing", "test"), ("pyhton", "pyhton")]
    assert english_words("Hello, 世界 WORLD") == ["hello", "world"]


def test_huge_and_empty_inputs() -> None:
    assert tokenize("") == []
    assert len(tokenize("python " * 200_000)) <= 5_000


def test_is_cjk() -> None:
    assert is_cjk("数据") and is_cjk("ひらがな") and not is_cjk("data")
