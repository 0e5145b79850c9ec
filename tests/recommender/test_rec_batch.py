"""``recommend-batch`` on tiny CSVs, and its bad-input handling (one line on stderr, exit code 2)."""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import pytest
from rec_synthetic import cluster_records, missing_item

from recommender import batch


def _args(
    tmp_path: Path, interactions: Path, items: Path | None = None, **extra: object
) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    batch.add_arguments(parser)
    argv = [
        "--interactions",
        str(interactions),
        "--out",
        str(tmp_path / "out" / "recs.csv"),
        "--encoder",
        "hashing",
        "--quiet",
    ]
    if items is not None:
        argv += ["--items", str(items)]
    for k, v in extra.items():
        argv += [f"--{k.replace('_', '-')}", str(v)]
    return parser.parse_args(argv)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, Path]:
    records, item_ids, texts = cluster_records()
    inter = _write(
        tmp_path / "train.csv",
        ["user_id", "item_id", "rating", "timestamp", "note"],
        [[u, i, v, int(t), "x"] for u, i, _, v, t in records] + [["py_user0", "paint0", 1, 1, "meh"]],
    )
    items = _write(
        tmp_path / "items.csv",
        ["item_id", "title", "description", "tags"],
        [[i, t, "", "course"] for i, t in zip(item_ids, texts, strict=True)],
    )
    return inter, items


def _read(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_batch_writes_topk_for_every_user(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    inter, items = tiny
    assert batch.run(_args(tmp_path, inter, items, k=3, seed=1)) == 0
    rows = _read(tmp_path / "out" / "recs.csv")
    assert list(rows[0]) == ["user_id", "rank", "item_id", "score"]
    users = {r["user_id"] for r in rows}
    assert len(users) == 20
    for user in users:
        mine = [r for r in rows if r["user_id"] == user]
        assert [r["rank"] for r in mine] == ["1", "2", "3"]
        assert mine[0]["item_id"] == missing_item(user)
    assert "paint0" not in {r["item_id"] for r in rows if r["user_id"] == "py_user0"}


def test_batch_without_items_file(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    inter, _ = tiny
    assert batch.run(_args(tmp_path, inter, k=2)) == 0
    assert len(_read(tmp_path / "out" / "recs.csv")) == 40


def test_single_user_and_single_item(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one_user = _write(
        tmp_path / "u.csv", ["user_id", "item_id", "rating"], [["u", f"c{i}", 5] for i in range(6)]
    )
    items = _write(tmp_path / "i.csv", ["item_id", "title"], [[f"c{i}", f"course {i}"] for i in range(8)])
    assert batch.run(_args(tmp_path, one_user, items, k=5)) == 0
    assert {r["item_id"] for r in _read(tmp_path / "out" / "recs.csv")} == {"c6", "c7"}
    one_item = _write(tmp_path / "one.csv", ["user_id", "item_id", "rating"], [["a", "c", 5], ["b", "c", 4]])
    assert batch.run(_args(tmp_path, one_item, k=5)) == 0
    assert _read(tmp_path / "out" / "recs.csv") == []
    assert "no unseen item" in capsys.readouterr().err


def test_duplicate_rows_keep_latest(tmp_path: Path, tiny: tuple[Path, Path]) -> None:
    inter, items = tiny
    text = inter.read_text() + "py_user0,py0,5,99999,dup\npy_user0,py0,5,99999,dup\n"
    inter.write_text(text)
    assert batch.run(_args(tmp_path, inter, items, k=2)) == 0
    assert "py0" not in {
        r["item_id"] for r in _read(tmp_path / "out" / "recs.csv") if r["user_id"] == "py_user0"
    }


BAD = {
    "missing file": (None, "not found"),
    "empty file": ("", "empty"),
    "header only": ("user_id,item_id,rating\n", "no rows"),
    "missing column": ("user_id,item_id\nu,c\n", "lacks column"),
    "non-numeric rating": ("user_id,item_id,rating\nu,c,five\n", "not a number"),
    "nan rating": ("user_id,item_id,rating\nu,c,nan\n", "finite"),
    "bad timestamp": ("user_id,item_id,rating,timestamp\nu,c,4,yesterday\n", "timestamp"),
    "empty id": ("user_id,item_id,rating\n,c,4\n", "empty user_id"),
    "not utf-8": (b"user_id,item_id,rating\n\xff\xfe,c,4\n", "UTF-8"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_interactions_exit_2_with_one_line(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    content, expected = BAD[case]
    path = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    assert batch.run(_args(tmp_path, path)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and expected in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("items_csv", "expected"),
    [("item_id\nc1\n", "lacks column"), ("item_id,title\nc1,a\nc1,b\n", "duplicate item_id")],
)
def test_bad_items_file(
    items_csv: str, expected: str, tmp_path: Path, tiny: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inter, _ = tiny
    items = tmp_path / "items_bad.csv"
    items.write_text(items_csv)
    assert batch.run(_args(tmp_path, inter, items)) == 2
    assert expected in capsys.readouterr().err


def test_bad_k_and_device(
    tmp_path: Path, tiny: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    inter, _ = tiny
    assert batch.run(_args(tmp_path, inter, k=0)) == 2
    assert "--k" in capsys.readouterr().err
    import torch

    if not torch.cuda.is_available():
        assert batch.run(_args(tmp_path, inter, device="cuda")) == 2
        assert "CUDA" in capsys.readouterr().err


def test_only_low_ratings_still_gives_unseen_items(tmp_path: Path) -> None:
    low = _write(
        tmp_path / "low.csv", ["user_id", "item_id", "rating"], [["a", "x", 1], ["b", "y", 2], ["a", "z", 3]]
    )
    assert batch.run(_args(tmp_path, low, k=5)) == 0
    rows = _read(tmp_path / "out" / "recs.csv")
    assert {(r["user_id"], r["item_id"]) for r in rows} == {("a", "y"), ("b", "x"), ("b", "z")}
