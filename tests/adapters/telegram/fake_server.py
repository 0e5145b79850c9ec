"""A fake Telegram Bot API server (aiohttp) for driving the real python-telegram-bot library over HTTP.

It answers `POST /bot<token>/<method>` like api.telegram.org: form or multipart bodies (nested values are JSON
strings inside the form), `{"ok": true, "result": ...}` answers, `{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}` errors. It records every call, holds long polls until an update arrives (and
releases them on shutdown), filters updates by the last `allowed_updates` exactly as Telegram does (reactions and
chat_member updates are left out unless asked for), enforces the 4096-character limit and HTML well-formedness,
and can inject updates and failures (429 with retry_after, 500, 403 for direct messages).
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

BOT_ID = 777000111
BOT_USERNAME = "cohort_test_bot"
DEFAULT_ALLOWED = {
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "callback_query",
    "inline_query",
    "chosen_inline_result",
    "my_chat_member",
    "chat_join_request",
}
_HTML_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "tg-spoiler",
    "span",
    "blockquote",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    status: int = 0  # the HTTP status answered


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None


def user_json(
    user_id: int, first_name: str, *, username: str | None = None, is_bot: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if username:
        out["username"] = username
    return out


def chat_json(chat_id: int, title: str = "Study group") -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "User"}
    return {"id": chat_id, "type": "supergroup", "title": title}


class _HtmlCheck(HTMLParser):
    """Telegram-style HTML check: known tags, balanced; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            self.error = f'unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = f'unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(markup: str) -> tuple[str, str | None]:
    """(the text Telegram would show, a parse error or None)."""
    p = _HtmlCheck()
    p.feed(markup)
    p.close()
    if p.stack and p.error is None:
        p.error = f'unclosed tag "{p.stack[-1]}"'
    return "".join(p.text), p.error


class FakeTelegram:
    """Start with `await server.start()`; `base_url` goes to TELEGRAM_API_BASE_URL."""

    def __init__(self, token: str = "123:abc") -> None:
        self.token = token
        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.allowed: set[str] = set(DEFAULT_ALLOWED)
        self.failures: dict[str, list[Failure]] = {}
        self.dm_blocked: set[int] = set()
        self.admins: dict[int, set[int]] = {}
        self.owners: dict[int, int] = {}
        self.webhook_url: str | None = None
        self.webhook_secret: str | None = None
        self._update_ids = itertools.count(1)
        self._message_ids: dict[int, itertools.count[int]] = {}
        self._new_update = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        # The port the OS picked for port 0: aiohttp keeps the listening sockets on the runner.
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._closing = True
        async with self._new_update:
            self._new_update.notify_all()  # release held long polls, or cleanup waits for them
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    # ---- inspection ---------------------------------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def delivered(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        """Calls of `method` that Telegram accepted (200), optionally to one chat."""
        return [
            c
            for c in self.calls_to(method)
            if c.status == 200 and (chat_id is None or int(c.params["chat_id"]) == chat_id)
        ]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Texts of accepted sendMessage calls (HTML as sent)."""
        return [str(c.params.get("text", "")) for c in self.delivered("sendMessage", chat_id)]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Poll until `predicate()` is truthy (returns it) or fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s; calls: {[c.method for c in self.calls]}")
            await asyncio.sleep(0.02)

    # ---- injection ----------------------------------------------------------------------------------------
    def fail(
        self, method: str, status: int, description: str, *, retry_after: int | None = None, times: int = 1
    ) -> None:
        """The next `times` calls of `method` answer with this error."""
        self.failures.setdefault(method, []).extend([Failure(status, description, retry_after)] * times)

    async def push(self, update: dict[str, Any]) -> int:
        """Queue an update (a dict without update_id); returns its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        async with self._new_update:
            self.updates.append(update)
            self._new_update.notify_all()
        return int(update["update_id"])

    def next_message_id(self, chat_id: int) -> int:
        return next(self._message_ids.setdefault(chat_id, itertools.count(1000)))

    async def push_message(
        self,
        chat_id: int,
        user: dict[str, Any],
        text: str,
        *,
        message_id: int | None = None,
        edited: bool = False,
        **extra: Any,
    ) -> int:
        message_id = message_id or self.next_message_id(chat_id)
        msg = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat_json(chat_id),
            "from": user,
            "text": text,
            **extra,
        }
        if edited:
            msg["edit_date"] = int(time.time())
        await self.push({"edited_message" if edited else "message": msg})
        return message_id

    async def push_reaction(
        self,
        chat_id: int,
        user: dict[str, Any],
        message_id: int,
        *,
        new: list[str],
        old: tuple[str, ...] | list[str] = (),
    ) -> int:
        return await self.push(
            {
                "message_reaction": {
                    "chat": chat_json(chat_id),
                    "message_id": message_id,
                    "user": user,
                    "date": int(time.time()),
                    "old_reaction": [{"type": "emoji", "emoji": e} for e in old],
                    "new_reaction": [{"type": "emoji", "emoji": e} for e in new],
                }
            }
        )

    async def push_callback(self, chat_id: int, user: dict[str, Any], message_id: int, data: str) -> str:
        query_id = f"cq{next(self._update_ids)}"
        await self.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": "ci1",
                    "data": data,
                    "message": {
                        "message_id": message_id,
                        "date": int(time.time()),
                        "chat": chat_json(chat_id),
                        "from": user_json(BOT_ID, "Cohort", username=BOT_USERNAME, is_bot=True),
                        "text": "choose",
                    },
                }
            }
        )
        return query_id

    # ---- the API ------------------------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        call = Call(method, await _read_params(request))
        self.calls.append(call)
        response = await self._answer(method, call.params)
        call.status = response.status
        return response

    async def _answer(self, method: str, params: dict[str, Any]) -> web.Response:
        queued = self.failures.get(method)
        if queued:
            f = queued.pop(0)
            return _error(f.status, f.description, retry_after=f.retry_after)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = handler(params)
        if asyncio.iscoroutine(result):
            result = await result
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    def _api_getMe(self, _p: dict[str, Any]) -> dict[str, Any]:
        return {
            **user_json(BOT_ID, "Cohort", username=BOT_USERNAME, is_bot=True),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _api_getUpdates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        if p.get("allowed_updates"):
            self.allowed = set(p["allowed_updates"])
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]  # confirmed: forgotten
        deadline = time.monotonic() + timeout
        async with self._new_update:
            while True:
                ready = [u for u in self.updates if self._allowed(u)]
                if ready or self._closing:
                    return ready[: int(p.get("limit") or 100)]
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                try:
                    await asyncio.wait_for(self._new_update.wait(), left)
                except TimeoutError:
                    return []

    def _allowed(self, update: dict[str, Any]) -> bool:
        kind = next(k for k in update if k != "update_id")
        return kind in self.allowed

    def _api_sendMessage(self, p: dict[str, Any]) -> dict[str, Any] | web.Response:
        chat_id = int(p["chat_id"])
        if chat_id in self.dm_blocked:
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        text = str(p.get("text", ""))
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if p.get("parse_mode") == "HTML":
            shown, err = visible_text(text)
            if err:
                return _error(400, f"Bad Request: can't parse entities: {err}")
        else:
            shown = text
        if len(shown) > 4096:
            return _error(400, "Bad Request: message is too long")
        return self._message(chat_id, text=html.unescape(shown), p=p)

    def _api_sendPhoto(self, p: dict[str, Any]) -> dict[str, Any] | web.Response:
        chat_id = int(p["chat_id"])
        if chat_id in self.dm_blocked:
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        photo = [{"file_id": "ph1", "file_unique_id": "u1", "width": 100, "height": 100}]
        return self._message(chat_id, photo=photo, caption=p.get("caption"), p=p)

    def _api_sendDocument(self, p: dict[str, Any]) -> dict[str, Any] | web.Response:
        chat_id = int(p["chat_id"])
        if chat_id in self.dm_blocked:
            return _error(403, "Forbidden: bot can't initiate conversation with a user")
        upload = p.get("document")
        name = upload.get("filename") if isinstance(upload, dict) else "file"
        return self._message(
            chat_id,
            document={"file_id": "d1", "file_unique_id": "u2", "file_name": name},
            caption=p.get("caption"),
            p=p,
        )

    def _api_editMessageText(self, p: dict[str, Any]) -> dict[str, Any]:
        out = self._message(int(p["chat_id"]), text=str(p.get("text", "")), p=p)
        out["message_id"] = int(p["message_id"])
        out["edit_date"] = int(time.time())
        return out

    def _message(self, chat_id: int, *, p: dict[str, Any], **content: Any) -> dict[str, Any]:
        msg = {
            "message_id": self.next_message_id(chat_id),
            "date": int(time.time()),
            "chat": chat_json(chat_id),
            "from": user_json(BOT_ID, "Cohort", username=BOT_USERNAME, is_bot=True),
        }
        msg.update({k: v for k, v in content.items() if v is not None})
        if p.get("reply_markup"):
            msg["reply_markup"] = p["reply_markup"]
        return msg

    def _api_answerCallbackQuery(self, _p: dict[str, Any]) -> bool:
        return True

    def _api_setMyCommands(self, _p: dict[str, Any]) -> bool:
        return True

    def _api_deleteWebhook(self, _p: dict[str, Any]) -> bool:
        self.webhook_url = None
        return True

    def _api_setWebhook(self, p: dict[str, Any]) -> bool:
        self.webhook_url, self.webhook_secret = p.get("url"), p.get("secret_token")
        if p.get("allowed_updates"):
            self.allowed = set(p["allowed_updates"])
        return True

    def _member(self, chat_id: int, user_id: int) -> dict[str, Any]:
        user = user_json(user_id, f"user{user_id}")
        if self.owners.get(chat_id) == user_id:
            return {"status": "creator", "user": user, "is_anonymous": False}
        if user_id in self.admins.get(chat_id, set()):
            rights = [
                "can_be_edited",
                "is_anonymous",
                "can_manage_chat",
                "can_delete_messages",
                "can_manage_video_chats",
                "can_restrict_members",
                "can_promote_members",
                "can_change_info",
                "can_invite_users",
                "can_post_stories",
                "can_edit_stories",
                "can_delete_stories",
            ]
            return {"status": "administrator", "user": user, **{r: r == "can_manage_chat" for r in rights}}
        return {"status": "member", "user": user}

    def _api_getChatAdministrators(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        chat_id = int(p["chat_id"])
        ids = set(self.admins.get(chat_id, set()))
        if chat_id in self.owners:
            ids.add(self.owners[chat_id])
        return [self._member(chat_id, uid) for uid in sorted(ids)]

    def _api_getChatMember(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._member(int(p["chat_id"]), int(p["user_id"]))


# Form fields that PTB sends as JSON (nested objects, lists, numbers); everything else stays a string.
_JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "scope",
    "reply_parameters",
    "link_preview_options",
    "entities",
    "caption_entities",
    "chat_id",
    "user_id",
    "offset",
    "message_id",
    "timeout",
    "limit",
}


async def _read_params(request: web.Request) -> dict[str, Any]:
    """PTB posts forms (multipart with files); nested values are JSON strings inside them."""
    out: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        out.update(await request.json())
        return out
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            out[key] = {
                "filename": value.filename,
                "size": len(value.file.read()),
                "content_type": value.content_type,
            }
            continue
        text = str(value)
        try:
            out[key] = json.loads(text) if key in _JSON_FIELDS else text
        except ValueError:
            out[key] = text
    return out


def _error(status: int, description: str, *, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
