"""The layering of the README holds: scripts/check_imports.py passes on the tree and catches violations."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_imports", ROOT / "scripts" / "check_imports.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module
    spec.loader.exec_module(module)
    return module


def test_the_tree_follows_the_layering(capsys) -> None:  # type: ignore[no-untyped-def]
    assert checker().main(["--quiet"]) == 0, capsys.readouterr().out


def test_upward_imports_and_sql_outside_storage_are_found(tmp_path: Path) -> None:
    mod = checker()
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from bot.types import Reply\n"
        "from sqlmodel import Session, select\nimport sqlalchemy\n"
    )
    assert [(line, top) for line, top, _ in mod.imported_packages(bad)] == [(3, "bot")]
    assert mod.sql_imports(bad) == [(4, "sqlmodel.select"), (5, "sqlalchemy")]
    assert "bot" not in mod.ALLOWED["community"] and "adapters" not in mod.ALLOWED["bot"]
