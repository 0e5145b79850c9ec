"""First contact from many threads at once, for tests/community/ingest/test_first_contact.py; also run as a process
(the twin of another one on the same store, both starting at an agreed instant). Not a test module.

    python -m tests.community.ingest.contact_worker DATABASE_URL START_AT_EPOCH MEMBERS

Prints one JSON line: how many calls failed, and the first few errors.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from community.ingest.service import ChatRef, IngestService, PersonRef
from storage import db
from storage.db import Store

GROUPS = (
    ChatRef(platform="test", chat_id="g1", title="One"),
    ChatRef(platform="test", chat_id="g2", title="Two"),
)
CALLS_PER_MEMBER = 3
THREADS = 12


def identify_all(store: Store, *, members: int) -> list[str]:
    """Every member seen `CALLS_PER_MEMBER` times in each group, the calls of one member side by side (so they
    race); returns the errors (empty when every call succeeded)."""
    ingest = IngestService(store)
    errors: list[str] = []
    lock = threading.Lock()

    def one(i: int, chat: ChatRef) -> None:
        person = PersonRef(platform="test", user_id=f"u{i}", display_name=f"Person {i}")
        try:
            ingest.identify(chat=chat, person=person)
        except Exception as e:  # noqa: BLE001 - the test counts every kind of failure
            with lock:
                errors.append(f"{type(e).__name__}: {str(e)[:200]}")

    calls = [(i, chat) for i in range(members) for chat in GROUPS for _ in range(CALLS_PER_MEMBER)]
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda c: one(*c), calls))
    return errors


def main(url: str, start_at: float, members: int) -> None:
    engine = db.make_engine(url)
    time.sleep(max(0.0, start_at - time.time()))
    errors = identify_all(Store(engine), members=members)
    engine.dispose()
    print(json.dumps({"errors": len(errors), "first": errors[:3]}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]))
