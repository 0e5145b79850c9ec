"""A bot process for the multi-process reminder test: runs a CohortApp (real scheduler, system clock) on the
database URL given, and prints one JSON line per message it pushes. Not a test module.

    python -m tests.community.events.race_worker DATABASE_URL SECONDS
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from bot.app import CohortApp
from bot.config import Settings
from bot.types import Chat, ChatUser, Reply, SentMessage


class PrintingAdapter:
    platform = "test"

    def __init__(self) -> None:
        self.count = 0

    async def send(self, reply: Reply) -> SentMessage:
        self.count += 1
        print(
            json.dumps(
                {"pid": os.getpid(), "text": reply.rich.to_plain(), "direct": reply.direct_to is not None}
            ),
            flush=True,
        )
        return SentMessage(chat=reply.chat, message_id=f"{os.getpid()}-{self.count}")

    async def is_admin(self, chat: Chat, user: ChatUser) -> bool | None:
        return None


async def main(url: str, seconds: float) -> None:
    app = CohortApp(Settings.from_env(database_url=url), migrate=False)
    app.add_adapter(PrintingAdapter())
    await app.start()
    print(json.dumps({"pid": os.getpid(), "ready": True}), flush=True)
    try:
        await asyncio.sleep(seconds)
    finally:
        await app.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
