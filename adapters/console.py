"""Console adapter: the bot in a terminal, for development, demos and scripts.

Each input line is one message in a local group: `name: text` speaks as member `name` (created on first use), a
bare line speaks as the default member. Buttons show as numbered choices; a line holding only a number (or
`name: 2`) presses that button of the last reply that had buttons. Scheduled pushes (reminders, matching rounds)
print while the console waits for input. With piped stdin it prints one reply block per input line and exits 0 at
the end of input (or after `--linger` seconds, to see pushes that are due soon).
"""

from __future__ import annotations

import asyncio
import re
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.app import CohortApp
from bot.text import sanitize
from bot.types import Button, ButtonPress, Chat, ChatUser, Message, Reply, SentMessage

PLATFORM = "console"
_SPEAKER = re.compile(r"^\s*([A-Za-z0-9_.\-]{1,32})\s*:\s?(.*)$", re.S)


class ConsoleAdapter:
    platform = PLATFORM

    def __init__(
        self,
        app: CohortApp,
        *,
        out: TextIO | None = None,
        group: str = "local",
        user: str = "me",
        owner: str | None = None,
        files_dir: Path | None = None,
    ) -> None:
        self.app = app
        self.out = out or sys.stdout
        self.chat = Chat(platform=PLATFORM, chat_id=group, kind="group", title=f"Console ({group})")
        self.default_user = user
        self.owner = owner or user
        self.files_dir = files_dir or (app.settings.data_dir / "console-files")
        self.last_buttons: list[Button] = []
        self.last_message_id: str | None = None
        self._counter = 0

    def user(self, name: str) -> ChatUser:
        return ChatUser(platform=PLATFORM, user_id=name.lower(), display_name=name)

    def setup(self) -> None:
        """Make the owner an owner of the local group."""
        self.app.grant_role(self.chat, self.user(self.owner), "owner")

    # ---- Adapter protocol ---------------------------------------------------------------------------------
    async def send(self, reply: Reply) -> SentMessage:
        self._counter += 1
        message_id = reply.edit_message_id or f"bot-{time.time_ns()}-{self._counter}"
        prefix = ""
        if reply.direct_to is not None:
            prefix = f"(privately to {reply.direct_to.display_name}) "
        elif reply.edit_message_id:
            prefix = "(updated) "
        lines = [prefix + reply.rich.to_plain()]
        if reply.attachment is not None:
            self.files_dir.mkdir(parents=True, exist_ok=True)
            safe = re.sub(r"[^\w.\-]", "_", reply.attachment.filename)[:80] or "file"
            path = self.files_dir / f"{int(time.time())}-{safe}"
            path.write_bytes(reply.attachment.data)
            kind = "picture" if reply.attachment.is_image else "file"
            lines.append(f"[{kind}: {path}]")
        buttons = reply.flat_buttons
        if buttons:
            self.last_buttons = buttons
            self.last_message_id = message_id
            lines.append("  ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1)))
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        return SentMessage(chat=self.chat, message_id=message_id, direct=reply.direct_to is not None)

    async def is_admin(self, chat: Chat, user: ChatUser) -> bool | None:
        return None  # roles come from the store (the --owner flag)

    # ---- input --------------------------------------------------------------------------------------------
    def parse_line(self, line: str) -> Message | ButtonPress | None:
        line = line.rstrip("\r\n")
        if not line.strip():
            return None
        m = _SPEAKER.match(line)
        name, text = (m.group(1), m.group(2)) if m else (self.default_user, line)
        user = self.user(name)
        now = self.app.clock.now()
        choice = text.strip()
        if choice.isdigit() and self.last_buttons:
            index = int(choice) - 1
            if 0 <= index < len(self.last_buttons):
                return ButtonPress(
                    chat=self.chat,
                    user=user,
                    payload=self.last_buttons[index].payload,
                    message_id=self.last_message_id,
                    at=now,
                )
        self._counter += 1
        return Message(
            id=f"c{time.time_ns()}-{self._counter}",
            chat=self.chat,
            author=user,
            text=sanitize(text),
            sent_at=now,
        )

    async def handle_line(self, line: str) -> None:
        event = self.parse_line(line)
        if event is None:
            return
        sent = await self.app.handle(event, self)
        if (
            not sent
            and isinstance(event, ButtonPress | Message)
            and (isinstance(event, ButtonPress) or event.text.startswith("/"))
        ):
            self.out.write("(no reply)\n")
        self.out.write("\n")
        self.out.flush()

    async def run(self, stdin: TextIO | None = None, *, linger: float = 0.0) -> int:
        stdin = stdin or sys.stdin
        interactive = stdin.isatty()
        loop = asyncio.get_running_loop()
        while True:
            if interactive:
                self.out.write("> ")
                self.out.flush()
            line = await loop.run_in_executor(None, stdin.readline)
            if line == "":
                break
            try:
                await self.handle_line(line)
            except Exception as e:  # never let one line end the session
                self.out.write(f"(error: {type(e).__name__}; see the log)\n\n")
                import logging

                logging.getLogger(__name__).exception("console line failed")
        if linger > 0:
            await asyncio.sleep(linger)
        return 0
