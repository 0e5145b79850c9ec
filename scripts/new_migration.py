"""Generate an Alembic revision from the difference between the models and the current migrations.

Usage: .venv/bin/python scripts/new_migration.py "what changed"
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alembic import command  # noqa: E402

from storage.db import alembic_config, make_engine, upgrade  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/schema.db")
        upgrade(engine)  # the schema as the migrations leave it
        command.revision(alembic_config(engine), message=sys.argv[1], autogenerate=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
