"""Catalogue files: parse and validate a whole CSV or JSON catalogue (all or nothing).

Import columns (CSV header or JSON object keys):

| column      | required | meaning                                                         |
|-------------|----------|-----------------------------------------------------------------|
| title       | yes      | 1–200 characters                                                |
| id          | no       | your stable id; re-importing a row with the same id updates it  |
| description | no       | up to 4000 characters                                           |
| tags        | no       | CSV: separated by `,` or `;`; JSON: a list of strings            |
| level       | no       | beginner (default), intermediate, advanced                      |
| url         | no       | http(s) link                                                    |
| price       | no       | a number >= 0; empty or 0 means free                            |
| currency    | no       | ISO code, default USD                                           |
| language    | no       | language code, default en (zh for Chinese, ...)                 |
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common.text import sanitize
from storage.models import Course

LEVELS = ("beginner", "intermediate", "advanced")
SAMPLE_CATALOG = Path(__file__).parent / "data" / "sample_catalog.json"
MAX_IMPORT_ROWS = 100_000


class CatalogError(ValueError):
    """A catalogue file that cannot be imported; names the row and the reason."""


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int


def read_catalog(path: Path) -> list[Course]:
    """Parse and validate a whole CSV or JSON catalogue. Raises CatalogError on the first bad row."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CatalogError(f"cannot read {path}: {e.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CatalogError(f"{path} is not UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix not in (".csv", ".tsv") and text.lstrip().startswith(("[", "{"))):
        rows = _json_rows(text)
        first_row = 1
    else:
        rows = _csv_rows(text, delimiter="\t" if suffix == ".tsv" else ",")
        first_row = 2  # row 1 is the header
    if not rows:
        raise CatalogError("the file has no courses")
    if len(rows) > MAX_IMPORT_ROWS:
        raise CatalogError(f"too many rows ({len(rows)}); the limit is {MAX_IMPORT_ROWS}")
    courses: list[Course] = []
    seen_ids: set[str] = set()
    for i, row in enumerate(rows):
        where = f"row {i + first_row}"
        course = parse_row(row, where=where)
        if course.external_id:
            if course.external_id in seen_ids:
                raise CatalogError(f"{where}: duplicate id {course.external_id!r}")
            seen_ids.add(course.external_id)
        courses.append(course)
    return courses


def _json_rows(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CatalogError(f"invalid JSON at line {e.lineno}: {e.msg}") from None
    if isinstance(data, dict) and isinstance(data.get("courses"), list):
        data = data["courses"]
    if not isinstance(data, list):
        raise CatalogError('JSON must be a list of course objects (or {"courses": [...]})')
    for i, row in enumerate(data):
        if not isinstance(row, dict):
            raise CatalogError(f"row {i + 1}: expected an object, got {type(row).__name__}")
    return data


def _csv_rows(text: str, delimiter: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or "title" not in [f.strip().lower() for f in reader.fieldnames if f]:
        raise CatalogError("row 1: the header must include a 'title' column")
    rows = []
    for i, row in enumerate(reader):
        if None in row:
            raise CatalogError(f"row {i + 2}: more values than header columns")
        rows.append({(k or "").strip().lower(): v for k, v in row.items()})
    return rows


def parse_row(row: dict[str, Any], *, where: str) -> Course:
    def text(key: str, limit: int) -> str:
        value = row.get(key)
        if value is None:
            return ""
        if not isinstance(value, str | int | float):
            raise CatalogError(f"{where}: '{key}' must be text")
        return sanitize(str(value).strip(), limit=limit)

    title = text("title", 10_000)
    if not title:
        raise CatalogError(f"{where}: 'title' is empty")
    if len(title) > 200:
        raise CatalogError(f"{where}: 'title' is longer than 200 characters")
    level = (text("level", 32) or "beginner").lower()
    if level not in LEVELS:
        raise CatalogError(f"{where}: level {level!r} is not one of {', '.join(LEVELS)}")
    price_raw = row.get("price")
    try:
        price = float(price_raw) if price_raw not in (None, "") else 0.0
    except (TypeError, ValueError):
        raise CatalogError(f"{where}: price {price_raw!r} is not a number") from None
    if price < 0 or price != price or price > 1e7:
        raise CatalogError(f"{where}: price must be between 0 and 10,000,000")
    url = text("url", 500) or None
    if url and not re.match(r"^https?://\S+$", url):
        raise CatalogError(f"{where}: url must start with http:// or https://")
    tags_raw = row.get("tags")
    if isinstance(tags_raw, list):
        tags = [sanitize(str(t).strip(), limit=40) for t in tags_raw]
    elif isinstance(tags_raw, str):
        tags = [sanitize(t.strip(), limit=40) for t in re.split(r"[;,]", tags_raw)]
    elif tags_raw is None:
        tags = []
    else:
        raise CatalogError(f"{where}: 'tags' must be a list or a comma-separated string")
    external_id = text("id", 64) or None
    return Course(
        external_id=external_id,
        title=title,
        description=text("description", 4000),
        tags=[t for t in tags if t][:20],
        level=level,
        url=url,
        price=price,
        currency=(text("currency", 8) or "USD").upper(),
        language=(text("language", 16) or "en").lower(),
    )
