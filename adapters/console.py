"""Console adapter: the bot in a terminal, for development, demos and scripts.

Each input line is one message in a local group: `name: text` speaks as member `name` (created on first use), a
bare line speaks as the default member. Buttons show under their message with its number, `message 3: [1] Going
[2] Maybe`: `name: 3.2` presses button 2 of message 3, and a bare number (`name: 2`) presses that button of the
bot's latest answer, when that answer had buttons (after an answer without any, a bare number names no message
and the console says so). A press is that member's own, so a button personal to someone else is refused as on
every platform. Scheduled pushes (reminders, matching rounds) print while the console waits for input. With piped
stdin it prints one reply block per input line (empty when the bot deliberately says nothing, e.g. to a member
over the rate limit) and exits 0 at the end of input (or after `--linger` seconds, to see pushes due soon).
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
from pathlib import Path
from typing import TextIO

from bot.app import CohortApp
from bot.text import sanitize
from bot.types import Button, ButtonPress, Chat, ChatUser, Message, Reply, SentMessage
from common.numbers import NumberError, parse_int

log = logging.getLogger(__name__)

PLATFORM = "console"
_SPEAKER = re.compile(r"^\s*([A-Za-z0-9_.\-]{1,32})\s*:\s?(.*)$", re.S)
# "2" (a button of the latest message with buttons) or "3.2" (button 2 of message 3).
_CHOICE = re.compile(r"([0-9]{1,9})(?:\.([0-9]{1,9}))?")  # ASCII digits only: "+1" or "²" are chat
KEEP_MESSAGES = 1000  # messages whose buttons can still be pressed


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
        # Messages with buttons by their number: (platform message id, buttons).
        self.with_buttons: dict[int, tuple[str, list[Button]]] = {}
        self._numbers: dict[str, int] = {}
        # The message a bare number presses: the last one with buttons in the bot's latest answer (None: none).
        self.last_number: int | None = None
        self._answer: list[int | None] | None = None  # while a line is handled: what it printed so far
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
        number = None
        if buttons:
            number = self._remember(message_id, buttons)
            choices = "  ".join(f"[{i}] {b.label}" for i, b in enumerate(buttons, 1))
            lines.append(f"message {number}: {choices}")
        if self._answer is not None:
            self._answer.append(number)
        elif number is not None:  # a push with buttons between lines (a reminder card)
            self.last_number = number
        self.out.write("\n".join(lines) + "\n")
        self.out.flush()
        return SentMessage(chat=self.chat, message_id=message_id, direct=reply.direct_to is not None)

    async def is_admin(self, chat: Chat, user: ChatUser) -> bool | None:
        return None  # roles come from the store (the --owner flag)

    def _remember(self, message_id: str, buttons: list[Button]) -> int:
        """The message's number (an edited message keeps its own); its buttons replace any it had."""
        number = self._numbers.get(message_id)
        if number is None:
            number = self._numbers[message_id] = max(self.with_buttons, default=0) + 1
        self.with_buttons[number] = (message_id, buttons)
        while len(self.with_buttons) > KEEP_MESSAGES:
            oldest = min(self.with_buttons)
            self._numbers.pop(self.with_buttons.pop(oldest)[0], None)
        return number

    def button_for(self, choice: str) -> tuple[str, Button] | str | None:
        """(message id, button) that a line like "2" or "3.2" names; a note for the person at the console when a
        bare number names no message; None when the line is not a button's number (it is chat text)."""
        m = _CHOICE.fullmatch(choice)
        if m is None:
            return None
        try:
            index = parse_int(m.group(2) or m.group(1), low=1, high=KEEP_MESSAGES)
            number = parse_int(m.group(1), low=1) if m.group(2) else self.last_number
        except NumberError:
            return None
        if number is None:
            if not self.with_buttons:
                return None  # no buttons yet: a number is just chat
            latest = max(self.with_buttons)
            return f"(the last answer has no buttons: press one with MESSAGE.BUTTON, e.g. {latest}.{index})"
        found = self.with_buttons.get(number)
        if found is None or index > len(found[1]):
            return None
        return found[0], found[1][index - 1]

    # ---- input --------------------------------------------------------------------------------------------
    def parse_line(self, line: str) -> Message | ButtonPress | str | None:
        """The event a line stands for, a note for the console (str), or None for a blank line."""
        line = line.rstrip("\r\n")
        if not line.strip():
            return None
        m = _SPEAKER.match(line)
        name, text = (m.group(1), m.group(2)) if m else (self.default_user, line)
        user = self.user(name)
        now = self.app.clock.now()
        pressed = self.button_for(text.strip())
        if isinstance(pressed, str):
            return pressed
        if pressed is not None:
            message_id, button = pressed
            return ButtonPress(
                chat=self.chat, user=user, payload=button.payload, message_id=message_id, at=now
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
        if isinstance(event, str):
            self.out.write(event + "\n\n")
            self.out.flush()
            return
        # Whatever the bot printed for this line (answers, direct messages, edits) ends with one blank line; a line
        # it answers with nothing on purpose (over the rate limit, a redelivery) prints nothing more.
        answer: list[int | None] = []
        self._answer = answer
        try:
            await self.app.handle(event, self)
        finally:
            self._answer = None
        if answer:  # the buttons a bare number presses next: this answer's (none if it had none)
            self.last_number = next((n for n in reversed(answer) if n is not None), None)
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
                log.exception("console line failed")
        if linger > 0:
            await asyncio.sleep(linger)
        return 0
