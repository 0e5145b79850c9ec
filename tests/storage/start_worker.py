"""One bot process starting on a fresh store, for tests/storage/test_concurrent_start.py: at an agreed instant it
builds the app (which migrates the store) and seeds the sample data if the store is empty, as `cohort demo` does.
Prints one JSON line: whether this process seeded. Not a test module.

    python -m tests.storage.start_worker DATABASE_URL DATA_DIR START_AT_EPOCH
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bot.app import CohortApp
from bot.config import Settings
from cohort.cli import _seed_if_empty


def main(url: str, data_dir: str, start_at: float) -> None:
    settings = Settings.from_env(
        database_url=url,
        data_dir=Path(data_dir),
        model_dir=Path(data_dir) / "models",
        embedding_model="hashing",
    )
    time.sleep(max(0.0, start_at - time.time()))
    app = CohortApp(settings)  # migrates
    seeded = _seed_if_empty(app, "local")
    app.engine.dispose()
    print(json.dumps({"seeded": seeded}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
