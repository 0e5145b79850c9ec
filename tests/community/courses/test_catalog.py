"""Catalogue files: documented columns, all-or-nothing import with row numbers, the bundled sample."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from community.courses.catalog import SAMPLE_CATALOG, CatalogError, read_catalog
from community.courses.search import search_courses

GOOD_CSV = (
    "id,title,description,tags,level,url,price,currency,language\n"
    'a1,SQL Basics,Queries,"sql, data",beginner,https://x.example/a1,0,USD,en\n'
    "a2,Python 入门,从零开始,python;编程,intermediate,,19.5,CNY,zh\n"
)


def test_csv_with_documented_columns(tmp_path: Path) -> None:
    f = tmp_path / "c.csv"
    f.write_text(GOOD_CSV, encoding="utf-8")
    a, b = read_catalog(f)
    assert (a.external_id, a.title, a.tags, a.is_free) == ("a1", "SQL Basics", ["sql", "data"], True)
    assert (b.tags, b.price, b.currency, b.language, b.level) == (
        ["python", "编程"],
        19.5,
        "CNY",
        "zh",
        "intermediate",
    )


def test_json_list_and_wrapped(tmp_path: Path) -> None:
    rows = [{"title": "A", "tags": ["x"]}, {"title": "B", "price": "12"}]
    f = tmp_path / "c.json"
    f.write_text(json.dumps(rows))
    assert [c.title for c in read_catalog(f)] == ["A", "B"]
    f.write_text(json.dumps({"courses": rows}))
    assert len(read_catalog(f)) == 2


@pytest.mark.parametrize(
    "content,suffix,message",
    [
        ("title,price\nA,1\nB,lots\n", ".csv", "row 3: price 'lots' is not a number"),
        ("title,level\nA,beginner\n,advanced\n", ".csv", "row 3: 'title' is empty"),
        ("title,level\nA,expert\n", ".csv", "row 2: level 'expert'"),
        ("name,price\nA,1\n", ".csv", "header must include a 'title'"),
        ("title,url\nA,javascript:alert(1)\n", ".csv", "row 2: url must start with http"),
        ("id,title\nx,A\nx,B\n", ".csv", "row 3: duplicate id 'x'"),
        ("title\nA,extra\n", ".csv", "row 2: more values than header"),
        ('[{"title": "A"}, 5]', ".json", "row 2: expected an object"),
        ('[{"title": "A"', ".json", "invalid JSON"),
        ("", ".csv", "header must include"),
        ("title\n", ".csv", "no courses"),
    ],
)
def test_malformed_files_are_rejected_with_row_and_reason(
    tmp_path: Path, content: str, suffix: str, message: str
) -> None:
    f = tmp_path / f"bad{suffix}"
    f.write_text(content)
    with pytest.raises(CatalogError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_catalog(f)


def test_binary_file_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(CatalogError, match="not UTF-8"):
        read_catalog(f)


def test_sample_catalog_is_big_and_varied() -> None:
    courses = read_catalog(SAMPLE_CATALOG)
    assert len(courses) >= 60
    topics = {"python", "sql", "design", "english", "business", "marketing", "math"}
    tags = {t for c in courses for t in c.tags}
    assert len(topics & tags) >= 6
    assert sum(c.language == "zh" for c in courses) >= 5
    for i, c in enumerate(courses, 1):
        c.id = i
    assert search_courses(courses, "figma")[0].title == "Figma from Scratch"


def _cohort(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cohort.cli", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_import_is_all_or_nothing(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    bad = tmp_path / "bad.csv"
    bad.write_text("title,price\nGood course,0\nBad course,-3\n")
    r = _cohort("courses", "import", str(bad), db=db)
    assert r.returncode == 2 and "row 3" in r.stderr and "Nothing was changed" in r.stderr
    good = tmp_path / "good.csv"
    good.write_text(GOOD_CSV)
    r = _cohort("courses", "import", str(good), db=db)
    assert r.returncode == 0 and "Imported 2 new course(s), updated 0" in r.stdout
    r = _cohort("courses", "import", str(good), db=db)
    assert "Imported 0 new course(s), updated 2" in r.stdout
