"""A fake Discord (REST API v10 + gateway) on 127.0.0.1 that the real discord.py client talks to.

It speaks just enough of the documented protocol for the adapter: HELLO, IDENTIFY -> READY + GUILD_CREATE,
heartbeat ACKs, member chunk requests, injected dispatches (messages, reactions, interactions); REST for the bot
user, command sync, channel messages (JSON and multipart), edits, DM channels, interaction callbacks and
follow-ups, guild members. Every REST call is recorded; failures can be queued (a 429 with retry_after, a 403 on
DMs). JSON bodies go out with Content-Type exactly `application/json` (discord.py's json_or_text needs it).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

APP_ID = "900000000000000001"
BOT_ID = "900000000000000002"
GUILD_ID = "800000000000000001"
CHANNEL_ID = "800000000000000010"
OWNER_ID = "700000000000000001"
MANAGER_ID = "700000000000000002"
MEMBER_ID = "700000000000000003"
MANAGER_ROLE_ID = "800000000000000020"

MESSAGE_CONTENT = 1 << 15
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8

_ids = itertools.count(1)


def new_id() -> str:
    """A snowflake whose timestamp part is now (discord.py reads creation times from ids)."""
    ms = int(datetime.now(UTC).timestamp() * 1000) - 1420070400000
    return str((ms << 22) + next(_ids))


def user_obj(uid: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    return {
        "id": uid,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Built from bytes with an explicit header: `text=` would append "; charset=utf-8", which discord.py rejects.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


@dataclass
class Call:
    method: str
    path: str
    body: Any
    files: list[tuple[str, bytes]] = field(default_factory=list)
    query: dict[str, str] = field(default_factory=dict)


class FakeDiscord:
    def __init__(self, *, privileged_enabled: bool = True) -> None:
        self.privileged_enabled = privileged_enabled
        self.calls: list[Call] = []
        self.messages: list[dict[str, Any]] = []  # every message the bot created, in order
        self.sockets: list[web.WebSocketResponse] = []
        self.identify: dict[str, Any] | None = None
        self.chunk_requests: list[dict[str, Any]] = []
        self.failures: list[tuple[str, str, int, dict[str, Any]]] = []  # (method, path prefix, status, body)
        self.dm_blocked: set[str] = set()
        self.dm_channels: dict[str, str] = {}  # channel id -> recipient id
        self.users = {
            OWNER_ID: user_obj(OWNER_ID, "olga"),
            MANAGER_ID: user_obj(MANAGER_ID, "mona"),
            MEMBER_ID: user_obj(MEMBER_ID, "mike"),
        }
        self.member_roles = {OWNER_ID: [], MANAGER_ID: [MANAGER_ROLE_ID], MEMBER_ID: []}
        self._seq = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle ----------------------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self.gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self.rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # ---- documented objects -------------------------------------------------------------------------------
    def member_obj(self, uid: str) -> dict[str, Any]:
        return {
            "user": self.users[uid],
            "nick": None,
            "roles": self.member_roles.get(uid, []),
            "joined_at": "2026-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "avatar": None,
            "premium_since": None,
            "communication_disabled_until": None,
        }

    def guild_obj(self) -> dict[str, Any]:
        everyone = {
            "id": GUILD_ID,
            "name": "@everyone",
            "permissions": str(1024 | 2048 | 64),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        manager = {
            **everyone,
            "id": MANAGER_ROLE_ID,
            "name": "Moderators",
            "permissions": str(1 << 5),
            "position": 1,
        }
        channel = {
            "id": CHANNEL_ID,
            "type": 0,
            "guild_id": GUILD_ID,
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
        }
        return {
            "id": GUILD_ID,
            "name": "Study Hall",
            "icon": None,
            "owner_id": OWNER_ID,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [everyone, manager],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "system_channel_id": CHANNEL_ID,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": "2026-01-01T00:00:00+00:00",
            "large": False,
            "unavailable": False,
            "member_count": len(self.users) + 1,
            # Only the bot at first: discord.py asks for the rest with a member chunk request.
            "members": [{**self.member_obj(OWNER_ID), "user": user_obj(BOT_ID, "cohort", bot=True)}],
            "channels": [channel],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }

    def message_payload(
        self,
        content: str,
        author_id: str,
        *,
        message_id: str | None = None,
        channel_id: str = CHANNEL_ID,
        guild: bool = True,
        type_: int = 0,
    ) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": message_id or new_id(),
            "channel_id": channel_id,
            "author": self.users[author_id],
            "content": content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": type_,
            "flags": 0,
            "components": [],
        }
        if guild:
            d["guild_id"] = GUILD_ID
            member = self.member_obj(author_id)
            member.pop("user")
            d["member"] = member
        return d

    def interaction_payload(
        self, user_id: str, *, type_: int, data: dict[str, Any], message: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        perms = 1024 | 2048 | 64
        if user_id == OWNER_ID:
            perms |= 1 << 3
        if MANAGER_ROLE_ID in self.member_roles.get(user_id, []):
            perms |= 1 << 5
        member = {**self.member_obj(user_id), "permissions": str(perms)}
        d: dict[str, Any] = {
            "id": new_id(),
            "application_id": APP_ID,
            "type": type_,
            "data": data,
            "guild_id": GUILD_ID,
            "channel_id": CHANNEL_ID,
            "channel": {
                "id": CHANNEL_ID,
                "type": 0,
                "guild_id": GUILD_ID,
                "name": "general",
                "position": 0,
                "permission_overwrites": [],
            },
            "member": member,
            "token": f"tok{new_id()}",
            "version": 1,
            "app_permissions": str((1 << 41) - 1),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "guild": {"id": GUILD_ID, "locale": "en-US", "features": []},
        }
        if message is not None:
            d["message"] = message
        return d

    def slash(self, user_id: str, name: str, **options: Any) -> dict[str, Any]:
        opts = [{"name": k, "type": 4 if isinstance(v, int) else 3, "value": v} for k, v in options.items()]
        return self.interaction_payload(
            user_id, type_=2, data={"id": new_id(), "name": name, "type": 1, "options": opts}
        )

    def button(self, user_id: str, custom_id: str, message: dict[str, Any]) -> dict[str, Any]:
        return self.interaction_payload(
            user_id, type_=3, data={"custom_id": custom_id, "component_type": 2}, message=message
        )

    # ---- gateway ------------------------------------------------------------------------------------------
    async def dispatch(self, event: str, d: dict[str, Any]) -> None:
        for ws in list(self.sockets):
            if not ws.closed:
                await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(self._seq), "d": d}))

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.sockets.append(ws)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                frame = json.loads(msg.data)
                op = frame.get("op")
                if op == 1:
                    await ws.send_str(json.dumps({"op": 11}))
                elif op == 2:
                    await self._identify(ws, frame["d"])
                elif op == 8:
                    await self._chunk(ws, frame["d"])
        finally:
            if ws in self.sockets:
                self.sockets.remove(ws)
        return ws

    async def _identify(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        self.identify = d
        privileged = GUILD_MEMBERS | MESSAGE_CONTENT | GUILD_PRESENCES
        if int(d.get("intents", 0)) & privileged and not self.privileged_enabled:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        ready = {
            "v": 10,
            "user": {
                **user_obj(BOT_ID, "cohort", bot=True),
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
            },
            "guilds": [{"id": GUILD_ID, "unavailable": True}],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "shard": [0, 1],
            "application": {"id": APP_ID, "flags": 0},
            "private_channels": [],
            "relationships": [],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(self._seq), "d": ready}))
        await ws.send_str(
            json.dumps({"op": 0, "t": "GUILD_CREATE", "s": next(self._seq), "d": self.guild_obj()})
        )

    async def _chunk(self, ws: web.WebSocketResponse, d: dict[str, Any]) -> None:
        self.chunk_requests.append(d)
        members = [self.member_obj(uid) for uid in self.users]
        members.append({**self.member_obj(OWNER_ID), "user": user_obj(BOT_ID, "cohort", bot=True)})
        chunk = {
            "guild_id": str(d["guild_id"]),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
            "nonce": d.get("nonce"),
        }
        await ws.send_str(json.dumps({"op": 0, "t": "GUILD_MEMBERS_CHUNK", "s": next(self._seq), "d": chunk}))

    # ---- REST ---------------------------------------------------------------------------------------------
    def fail_next(self, method: str, path_prefix: str, status: int, body: dict[str, Any]) -> None:
        self.failures.append((method, path_prefix, status, body))

    async def _read_body(self, request: web.Request) -> tuple[Any, list[tuple[str, bytes]]]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            files = [(v.filename, v.file.read()) for k, v in form.items() if hasattr(v, "file")]
            raw = form.get("payload_json")
            return (json.loads(raw) if isinstance(raw, str) else {}), files
        text = await request.text()
        return (json.loads(text) if text else None), []

    def calls_to(self, method: str, fragment: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and fragment in c.path]

    async def rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        body, files = await self._read_body(request)
        self.calls.append(Call(request.method, path, body, files, dict(request.query)))
        for i, (method, prefix, status, fbody) in enumerate(self.failures):
            if method == request.method and path.startswith(prefix):
                del self.failures[i]
                # discord.py treats a 429 without a Via header as a Cloudflare ban; Discord's own 429s carry it.
                return json_response(fbody, status=status, headers={"Via": "1.1 google"})
        return await self._route(request.method, path, body or {}, files)

    async def _route(
        self, method: str, path: str, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.Response:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return json_response({**user_obj(BOT_ID, "cohort", bot=True), "verified": True, "flags": 0})
        if method == "GET" and path == "/oauth2/applications/@me":
            return json_response(
                {
                    "id": APP_ID,
                    "name": "Cohort",
                    "description": "",
                    "icon": None,
                    "bot_public": False,
                    "bot_require_code_grant": False,
                    "verify_key": "00",
                    "owner": self.users[OWNER_ID],
                    "flags": 0,
                    "team": None,
                }
            )
        if method == "PUT" and parts[:1] == ["applications"] and parts[2:] == ["commands"]:
            return json_response(
                [
                    {
                        **c,
                        "id": new_id(),
                        "application_id": APP_ID,
                        "version": "1",
                        "default_member_permissions": None,
                    }
                    for c in body
                ]
            )
        if method == "POST" and path == "/users/@me/channels":
            cid = new_id()
            self.dm_channels[cid] = str(body["recipient_id"])
            return json_response(
                {
                    "id": cid,
                    "type": 1,
                    "last_message_id": None,
                    "recipients": [
                        self.users.get(str(body["recipient_id"]), user_obj(str(body["recipient_id"]), "x"))
                    ],
                }
            )
        if method == "POST" and parts[0] == "channels" and parts[2:] == ["messages"]:
            if self.dm_channels.get(parts[1]) in self.dm_blocked:
                return json_response(
                    {"message": "Cannot send messages to this user", "code": 50007}, status=403
                )
            return json_response(self._create_message(parts[1], body, files))
        if method == "PATCH" and parts[0] == "channels" and len(parts) == 4:
            original = next((m for m in self.messages if m["id"] == parts[3]), None)
            if original is None:
                return json_response({"message": "Unknown Message", "code": 10008}, status=404)
            original.update({k: v for k, v in body.items() if k in ("content", "components")})
            original["edited_timestamp"] = datetime.now(UTC).isoformat()
            return json_response(original)
        if method == "POST" and parts[0] == "interactions" and parts[-1] == "callback":
            return self._callback(parts[1], body, files)
        if method == "POST" and parts[0] == "webhooks" and len(parts) == 3:
            msg = self._create_message(CHANNEL_ID, body, files, webhook=True)
            return json_response(msg)
        if parts[0] == "webhooks" and parts[-1] == "@original":
            return web.Response(status=204) if method == "DELETE" else json_response(self.messages[-1])
        if method == "GET" and parts[0] == "guilds" and parts[2:3] == ["members"]:
            uid = parts[3]
            if uid not in self.users:
                return json_response({"message": "Unknown Member", "code": 10007}, status=404)
            return json_response(self.member_obj(uid))
        return json_response({"message": f"fake: no route {method} {path}", "code": 0}, status=404)

    def _create_message(
        self, channel_id: str, body: dict[str, Any], files: list[tuple[str, bytes]], *, webhook: bool = False
    ) -> dict[str, Any]:
        msg = {
            "id": new_id(),
            "channel_id": channel_id,
            "author": user_obj(BOT_ID, "cohort", bot=True),
            "content": body.get("content") or "",
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": new_id(),
                    "filename": name,
                    "size": len(data),
                    "url": "http://x/" + name,
                    "proxy_url": "http://x/" + name,
                }
                for name, data in files
            ],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": int(body.get("flags") or 0),
            "components": body.get("components") or [],
            # What the bot asked for, kept for assertions (not part of Discord's message object).
            "_allowed_mentions": body.get("allowed_mentions"),
            "_reference": body.get("message_reference"),
            "_webhook": webhook,
            "_dm_to": self.dm_channels.get(channel_id),
        }
        if webhook:
            msg["webhook_id"] = APP_ID
        self.messages.append(msg)
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _callback(
        self, interaction_id: str, body: dict[str, Any], files: list[tuple[str, bytes]]
    ) -> web.Response:
        kind = int(body.get("type", 0))
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        message_id = None
        if kind == 4:
            msg = self._create_message(CHANNEL_ID, data, files)
            self.messages[-1]["_interaction"] = interaction_id
            resource["message"] = msg
            message_id = msg["id"]
        return json_response(
            {
                "interaction": {
                    "id": interaction_id,
                    "type": 2,
                    "response_message_id": message_id,
                    "response_message_loading": kind == 5,
                    "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
                },
                "resource": resource,
            }
        )

    # ---- helpers for tests --------------------------------------------------------------------------------
    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        """Poll (briefly) until the predicate holds; the client reacts asynchronously to injected events."""
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("condition not met within timeout")
            await asyncio.sleep(0.01)
