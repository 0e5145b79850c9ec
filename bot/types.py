"""Platform-neutral chat types: what adapters translate platform updates into, and replies back out.

All datetimes are timezone-aware UTC. All types are frozen so that handlers cannot mutate what an adapter sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.text import RichText

Platform = Literal["console", "telegram", "discord", "test"]
ChatKind = Literal["group", "private", "channel"]


@dataclass(frozen=True)
class ChatUser:
    platform: str
    user_id: str
    display_name: str
    username: str | None = None
    is_bot: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.user_id)


@dataclass(frozen=True)
class Chat:
    platform: str
    chat_id: str
    kind: ChatKind = "group"
    title: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.platform, self.chat_id)


@dataclass(frozen=True)
class Message:
    """A chat message. `id` is the platform's message id, unique within the chat."""

    id: str
    chat: Chat
    author: ChatUser
    text: str
    sent_at: datetime
    reply_to_id: str | None = None
    edited: bool = False
    # Where replies should go when it differs from `chat` (a Discord channel inside a guild).
    reply_channel_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Reaction:
    chat: Chat
    message_id: str
    reactor: ChatUser
    emoji: str
    action: Literal["add", "remove"]
    at: datetime
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class MembershipChange:
    chat: Chat
    user: ChatUser
    action: Literal["join", "leave"]
    at: datetime
    raw: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ButtonPress:
    chat: Chat
    user: ChatUser
    payload: str
    message_id: str | None
    at: datetime | None = None
    reply_channel_id: str | None = None
    raw: Any = field(default=None, compare=False, repr=False)


InboundEvent = Message | Reaction | MembershipChange | ButtonPress


@dataclass(frozen=True)
class Button:
    """A choice under a reply. `payload` is opaque to adapters (at most 64 bytes: Telegram's callback limit)."""

    label: str
    payload: str

    def __post_init__(self) -> None:
        if len(self.payload.encode()) > 64:
            raise ValueError(f"button payload longer than 64 bytes: {self.payload!r}")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply: a chart (image/png) or a document such as an .ics calendar."""

    filename: str
    data: bytes
    mime: str = "image/png"

    @property
    def is_image(self) -> bool:
        return self.mime.startswith("image/")


@dataclass(frozen=True)
class Reply:
    """An outbound message.

    `chat` is where it goes. With `direct_to`, the adapter tries a direct message to that user first and falls
    back to the group (prefixed with a mention) when the platform refuses it. `edit_message_id` asks the adapter
    to edit a message it sent earlier instead of sending a new one (RSVP counts updated in place).
    """

    chat: Chat
    text: RichText | str
    buttons: tuple[tuple[Button, ...], ...] = ()
    attachment: Attachment | None = None
    reply_to_id: str | None = None
    direct_to: ChatUser | None = None
    edit_message_id: str | None = None
    reply_channel_id: str | None = None

    @property
    def rich(self) -> RichText:
        return self.text if isinstance(self.text, RichText) else RichText.plain(self.text)

    @property
    def flat_buttons(self) -> list[Button]:
        return [b for row in self.buttons for b in row]


@dataclass(frozen=True)
class SentMessage:
    """What an adapter returns after sending: the platform ids needed to edit it later."""

    chat: Chat
    message_id: str
    direct: bool = False
