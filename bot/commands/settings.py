"""/settings: one owner-only command whose sub-settings are registered by the features that own them.

A feature adds `/settings NAME VALUE` from its own `register(d, services)`:

    async def set_retention(ctx: Context, value: str) -> RichText | str:
        ...                        # parse `value` (untrusted, may be ""), store it, raise UserError on bad input
        return "Messages are now kept for 30 days."

    d.setting("retention", set_retention, "days to keep message text (0: none)",
              show=lambda group: str(group.settings.get("retention_days", "forever")))

- `handler(ctx, value)` gets the raw rest of the line after the setting name (sanitised, maybe empty) and
  returns the confirmation (or raises `UserError` / `UsageError` for a clear answer).
- `show(group)` (optional) returns the current value as plain text for the `/settings` listing; it gets the
  caller's own `Group` row only, already loaded off the event loop (read its columns; it runs no queries).
- Only owners and admins reach any handler: the `/settings` command itself is `role="admin"`.

This module registers `timezone` itself; other features register theirs (events: `reminders`, signals:
`retention`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.render.zones import unknown_zone, zone_shown
from bot.text import RichText, T, bold, code
from common.errors import UsageError
from common.numbers import shown
from common.text import clip
from community.members.timezones import resolve_timezone, zone_label
from storage.crud import core as core_crud

if TYPE_CHECKING:
    from bot.services import Services


async def _set_timezone(ctx: Context, value: str) -> RichText:
    if not value.strip():
        raise UsageError("Name a time zone, e.g. Asia/Shanghai or Europe/Berlin.")
    found = await ctx.call(resolve_timezone, value)
    if found.name is None:
        lines = unknown_zone(value, found)
        lines.append(
            T("Use an IANA name such as Asia/Shanghai, Europe/Berlin or America/New_York, a city, or UTC+8.")
        )
        return RichText.join(lines)
    group = await ctx.db(core_crud.set_group_timezone, group_id=ctx.group_id, timezone=found.name)
    assert group is not None
    return T(
        "This group's time zone is now ",
        zone_shown(found.name, ctx.clock.now()),
        ". Event times are read in it.",
    )


def register(d: Dispatcher, sv: Services) -> None:
    d.setting(
        "timezone",
        _set_timezone,
        "the group's time zone (IANA name, e.g. Asia/Shanghai)",
        show=lambda group: zone_label(group.timezone),
    )

    @d.command(
        "settings",
        help="show or change this group's settings",
        usage="/settings [name value]",
        role="admin",
        category="Admin",
        args=(ArgSpec("name", "setting name"), ArgSpec("value", "new value", kind="text")),
    )
    async def settings_cmd(ctx: Context) -> RichText:
        name, _, value = ctx.arg_text.strip().partition(" ")
        if not name:
            return await _listing(ctx)
        spec = d.settings.get(name.lower())
        if spec is None:
            known = ", ".join(sorted(d.settings))
            raise UsageError(f"There is no setting {shown(name, 32)}. Settings: {known}.")
        out = await spec.handler(ctx, value.strip())
        return out if isinstance(out, RichText) else RichText.plain(str(out))


async def _listing(ctx: Context) -> RichText:
    # The row is read off the loop; `show` functions only read its loaded columns (timezone, settings).
    group = await ctx.db(core_crud.get_group, group_id=ctx.group_id)
    assert group is not None
    lines: list[RichText | str] = [bold("Settings of this group")]
    for spec in sorted(ctx.dispatcher.settings.values(), key=lambda x: x.name):
        current = ""
        if spec.show is not None:
            try:
                current = clip(spec.show(group), 100)
            except Exception:  # a broken show must not hide the other settings
                current = "?"
        lines.append(T(code(spec.name), f" = {current or '-'} — {spec.help}"))
    lines.append(T("Change one with ", code("/settings NAME VALUE"), "."))
    return RichText.join(lines)
