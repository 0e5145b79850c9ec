"""Buttons that belong to their reader: a short tag inside the payload binds it to the member it was shown to.

A namespace registered with `audience="reader"` (the default: picks, the /forget confirmation, check-ins, an
owner's draft) is personal. When a reply carrying such a button is sent, the dispatcher appends one more field,
`:~TAG`, to its payload ("rec:i:27" becomes "rec:i:27:~hQ3x_k9A"). TAG is 8 characters of base64url: the first 2
a plain hint of the reader (platform and user id), the other 6 an HMAC of reader and payload under the bot's key.
On a press the tag is checked against the presser: another member's hint means "not yours"; a missing or wrong tag
means the button expired (an old message, a changed key, a forged payload). Nothing is stored: the check needs
only the payload and the presser, so it works across restarts and processes that share the key. Namespaces with
`audience="anyone"` (RSVP, paging) carry no tag.

The tag takes 10 of the 64 bytes Telegram allows for callback data, so a personal button's own payload is at most
`MAX_PERSONAL_PAYLOAD` bytes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from typing import Literal

from bot.types import ChatUser

TAG_LEN = 8
HINT_LEN = 2
SEP = ":~"
MAX_PAYLOAD = 64
MAX_PERSONAL_PAYLOAD = MAX_PAYLOAD - len(SEP) - TAG_LEN
_BOUND = re.compile(rf"(.*){re.escape(SEP)}([A-Za-z0-9_-]{{{TAG_LEN}}})", re.S)
_NAMESPACE_END = re.compile(r"[:~]")
DEFAULT_SECRET = b"cohort-buttons"

Verdict = Literal["ok", "not_yours", "expired"]


def namespace_of(payload: str) -> str:
    """The namespace of a payload, bound ('rec:i:3:~TAG') or not ('rec:i:3')."""
    return _NAMESPACE_END.split(payload, maxsplit=1)[0]


def is_bound(payload: str) -> bool:
    """Whether a payload ends with a reader tag."""
    return _BOUND.fullmatch(payload) is not None


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _reader_id(user: ChatUser) -> bytes:
    return f"{user.platform}\x1f{user.user_id}".encode()


class ButtonKey:
    """Binds personal button payloads to a reader and checks presses; stateless (the key is the only state)."""

    def __init__(self, secret: bytes = DEFAULT_SECRET) -> None:
        self._key = hashlib.sha256(b"cohort-button-key\x00" + secret).digest()

    @staticmethod
    def _hint(user: ChatUser) -> str:
        return _b64(hashlib.sha256(b"reader\x00" + _reader_id(user)).digest())[:HINT_LEN]

    def tag(self, payload: str, reader: ChatUser) -> str:
        mac = hmac.new(self._key, _reader_id(reader) + b"\x00" + payload.encode(), hashlib.sha256).digest()
        return self._hint(reader) + _b64(mac)[: TAG_LEN - HINT_LEN]

    def bind(self, payload: str, reader: ChatUser) -> str:
        """`payload:~TAG`; raises ValueError when the payload leaves no room for the tag."""
        payload = unicodedata.normalize(
            "NFC", payload
        )  # as a press arrives (the app normalises what it reads)
        if len(payload.encode()) > MAX_PERSONAL_PAYLOAD:
            raise ValueError(f"personal button payload over {MAX_PERSONAL_PAYLOAD} bytes: {payload[:70]!r}")
        return f"{payload}{SEP}{self.tag(payload, reader)}"

    def check(self, bound: str, presser: ChatUser) -> tuple[Verdict, str]:
        """("ok", the payload without its tag), ("not_yours", ...) or ("expired", "")."""
        m = _BOUND.fullmatch(bound)
        if m is None:
            return "expired", ""
        payload, tag = m.group(1), m.group(2)
        if tag[:HINT_LEN] != self._hint(presser):
            return "not_yours", payload
        if not hmac.compare_digest(tag, self.tag(payload, presser)):
            return "expired", ""
        return "ok", payload


def secret_from(*parts: str | None) -> bytes:
    """A key from the bot's own secrets (platform tokens): stable across restarts, shared by its processes.

    Without any (the console, tests) the key is a constant: fine where every member sits at one terminal.
    """
    present = [p for p in parts if p]
    return "\x00".join(present).encode() if present else DEFAULT_SECRET
