#!/usr/bin/env python3
"""Print every cross-package import of Cohort and fail on one that runs against the layering.

The layering (README, Architecture): cohort (the command line) -> adapters -> bot -> community -> storage, community -> recommender, and every
layer may use the leaf package common/. recommender/ and common/ import nothing else of the project. An import
inside `if TYPE_CHECKING:` counts too: a type that runs back up is still a dependency that runs back up. Outside
storage/, only the `Session` and `Engine` types may be imported from sqlmodel/sqlalchemy: SQL lives in storage/crud.

    python scripts/check_imports.py            # the table of imports, then the violations (exit 1 if any)
    python scripts/check_imports.py --quiet    # only the violations
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("common", "recommender", "storage", "community", "bot", "adapters", "cohort")
# What each package may import from the project (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "common": frozenset(),
    "recommender": frozenset(),
    "storage": frozenset({"common"}),
    "community": frozenset({"common", "storage", "recommender"}),
    "bot": frozenset({"common", "storage", "recommender", "community"}),
    "adapters": frozenset({"common", "bot"}),
    # The command line: the composition root that picks adapters and builds the app.
    "cohort": frozenset({"common", "storage", "recommender", "community", "bot", "adapters"}),
}


# Outside storage/, code may name the session and engine types but builds no SQL: queries live in storage/crud.
SQL_MODULES = ("sqlmodel", "sqlalchemy")
SQL_NAMES_ALLOWED = frozenset({"Session", "Engine"})


def sql_imports(path: Path) -> list[tuple[int, str]]:
    """(line, what) of every import of SQL building blocks (select, text, func, ...) in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in SQL_MODULES:
            for alias in node.names:
                if alias.name not in SQL_NAMES_ALLOWED:
                    found.append((node.lineno, f"{node.module}.{alias.name}"))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] in SQL_MODULES]
    return found


def imported_packages(path: Path) -> list[tuple[int, str, str]]:
    """(line, top-level package, full module) of every project import in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.split(".")[0]
            if top in PACKAGES:
                found.append((node.lineno, top, name))
    return found


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    violations: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for line, top, module in imported_packages(path):
                if top == package:
                    continue
                edges[(package, top)].append(f"{rel}:{line} {module}")
                if top not in ALLOWED[package]:
                    violations.append(
                        f"{rel}:{line}: {package} imports {module} (allowed: "
                        f"{', '.join(sorted(ALLOWED[package])) or 'nothing of the project'})"
                    )
            if package in ("community", "bot", "adapters", "cohort"):
                for line, what in sql_imports(path):
                    violations.append(f"{rel}:{line}: {package} imports {what}: SQL belongs in storage/crud")
    if not quiet:
        print("Cross-package imports (from -> to: count)")
        for (src, dst), where in sorted(edges.items()):
            print(f"  {src:>11} -> {dst:<11} {len(where):4d}")
            for item in where:
                print(f"      {item}")
    if violations:
        print(f"\n{len(violations)} import(s) run against the layering:")
        for v in violations:
            print(f"  {v}")
        return 1
    print(
        "\nThe import graph follows the layering: cohort -> adapters -> bot -> community -> storage, "
        "community -> recommender, all -> common; no SQL outside storage."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
