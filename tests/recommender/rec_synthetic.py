"""Small synthetic data with a known answer, shared by the recommender tests.

Two clusters: 12 "python" members each know 4 of 5 python courses (member k misses course ``py{k % 5}``);
8 "painting" members each know 4 of 5 painting courses (member k misses ``paint{k % 5}``). A personalised
model must put the missing course of the member's own cluster first; python courses are more popular.
Course ``py-new`` has text only (no interactions).
"""

from __future__ import annotations

PY_TEXT = "python programming course: variables, functions, loops, pandas data analysis part {k}"
PAINT_TEXT = "watercolour painting class: brushes, colour mixing, landscapes and portraits part {k}"


def cluster_records() -> tuple[list[tuple[str, str, str, float, float]], list[str], list[str]]:
    records = []
    for k in range(12):
        for j in range(5):
            if j != k % 5:
                records.append((f"py_user{k}", f"py{j}", "rating", 5.0, 1_000.0 * (j + 1) + k))
    for k in range(8):
        for j in range(5):
            if j != k % 5:
                records.append((f"paint_user{k}", f"paint{j}", "rating", 5.0, 1_000.0 * (j + 1) + k))
    item_ids = [f"py{j}" for j in range(5)] + [f"paint{j}" for j in range(5)] + ["py-new"]
    texts = [PY_TEXT.format(k=j) for j in range(5)] + [PAINT_TEXT.format(k=j) for j in range(5)]
    texts.append("python programming course: functions and pandas data analysis, new")
    return records, item_ids, texts


def missing_item(user: str) -> str:
    k = int(user.rsplit("user", 1)[1])
    return f"py{k % 5}" if user.startswith("py") else f"paint{k % 5}"
