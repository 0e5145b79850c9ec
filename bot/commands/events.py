"""/event, /events, /reminders and `/settings reminders`: thin handlers over community.events and
community.reminders (the reminder poller is wired in bot/wiring.py).

    /event add Study hall | tomorrow 8pm [| 90m] [| weekly] [| course 3] [| cap 20] [| remind 1h,15m]   (owners)
    /event edit ID title|when|duration|repeat|cap|course|remind VALUE                                       (owners)
    /event remind ID 1m[,15m] | default                                                                      (owners)
    /event cancel ID                                                                                         (owners)
    /event ID            details and who is going
    /event ID ics        the calendar file
    /events              upcoming sessions, in your own time zone where known
    /reminders on|off    your own reminders
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.text import RichText, T, bold, clip, code
from bot.types import Attachment, Button, Chat, ChatUser, Reply
from common.errors import UsageError, UserError
from community import events as svc
from community.events import EventDraft, EventError
from community.ics import event_ics, ics_filename
from community.reminders import reader_zone
from community.timeparse import TimeParseError, describe_rrule, format_offset, format_when, parse_offsets
from storage.crud import core as core_crud
from storage.crud import courses as course_crud
from storage.crud import events as crud
from storage.models import Event, Group, Member

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(minutes=30)
RSVP_CODES = {"g": crud.GOING, "m": crud.MAYBE, "n": crud.NOT_GOING}
MAX_NAMES = 30
USAGE = (
    "/event add TITLE | WHEN [| 90m] [| weekly] [| course ID] [| cap N] [| remind 1h,15m] · /event ID [ics]"
)


# ---- formatting -----------------------------------------------------------------------------------------------
def _offsets_label(offsets: list[int]) -> str:
    if not offsets:
        return "no reminders"
    return "reminders " + ", ".join(format_offset(o) for o in offsets) + " before"


def draft_summary(d: EventDraft, offsets: list[int]) -> RichText:
    lines: list[RichText | str] = [
        T("New event: ", bold(d.title)),
        T(
            format_when(d.starts_at, d.timezone),
            ", ",
            describe_rrule(d.rrule),
            f" · {d.duration_minutes} min",
        ),
        _offsets_label(offsets)
        + (f" · {d.capacity} seat{'s' if d.capacity != 1 else ''}" if d.capacity else "")
        + (f" · course #{d.course_id}" if d.course_id else ""),
        "Save it?",
    ]
    return RichText.join(lines)


def card_text(s, event: Event, group: Group, now) -> RichText:  # type: ignore[no-untyped-def]
    assert event.id is not None
    counts = crud.rsvp_counts(s, group_id=event.group_id, event_id=event.id)
    if event.status == "cancelled":
        return T("❌ ", bold(clip(event.title, 200)), f" (#{event.id}) was cancelled.")
    nxt = svc.next_occurrence(event, now) or event.starts_at
    lines: list[RichText | str] = [
        T("📅 ", bold(clip(event.title, 200)), f" (#{event.id})"),
        f"{format_when(nxt, event.timezone)} · {event.duration_minutes} min · {describe_rrule(event.rrule)}",
    ]
    if event.course_id:
        course = course_crud.get_course(s, course_id=event.course_id)
        if course is not None:
            lines.append(T("Course: ", bold(clip(course.title, 120)), f" (#{course.id})"))
    seat = f" of {event.capacity}" if event.capacity else ""
    tally = (
        f"✅ {counts.get(crud.GOING, 0)}{seat} going · 🤔 {counts.get(crud.MAYBE, 0)} maybe · "
        f"❌ {counts.get(crud.NOT_GOING, 0)} not going"
    )
    if counts.get(crud.WAITLIST):
        tally += f" · ⏳ {counts[crud.WAITLIST]} on the waitlist"
    lines.append(tally)
    lines.append(_offsets_label(svc.effective_offsets(event, group)))
    return RichText.join(lines)


def rsvp_buttons(event_id: int) -> list[list[Button]]:
    return [
        [
            Button("✅ Going", f"rsvp:{event_id}:g"),
            Button("🤔 Maybe", f"rsvp:{event_id}:m"),
            Button("❌ Not going", f"rsvp:{event_id}:n"),
        ]
    ]


def parse_event_id(raw: str) -> int:
    value = raw.lstrip("#")
    if not value.isdigit() or len(value) > 9:
        raise UsageError(f"{clip(raw, 20)!r} is not an event number.")
    return int(value)


async def require_admin(ctx: Context, what: str) -> None:
    """Owners and admins only: the platform decides for its chats, the store for the console and tests."""
    verdict = await ctx.adapter.is_admin(ctx.chat, ctx.user)
    allowed = verdict if verdict is not None else ctx.is_admin
    if not allowed:
        raise UserError(f"Sorry, /event {what} is for group owners and admins.")


def _users(s, group: Group, member_ids: list[int]) -> list[ChatUser]:  # type: ignore[no-untyped-def]
    out = []
    for _mid, name, account, _muted in crud.names_and_accounts(
        s, group_id=group.id or 0, member_ids=member_ids, platform=group.platform
    ):
        if account is not None:
            out.append(
                ChatUser(
                    platform=account.platform,
                    user_id=account.platform_user_id,
                    display_name=name or account.display_name,
                    username=account.username,
                )
            )
    return out


# ---- handlers -------------------------------------------------------------------------------------------------
async def event_add(ctx: Context, spec: str) -> Reply:
    await require_admin(ctx, "add")
    now = ctx.clock.now()
    with ctx.session() as s:
        group = s.get(Group, ctx.group_id)
        assert group is not None
        try:
            draft = svc.parse_add(spec, tz=group.timezone, now=now)
        except (EventError, TimeParseError) as e:
            raise UserError(str(e)) from None
        if draft.course_id is not None and course_crud.get_course(s, course_id=draft.course_id) is None:
            raise UserError(f"There is no course #{draft.course_id}. Find one with /courses.")
        offsets = (
            draft.reminder_offsets
            if draft.reminder_offsets is not None
            else svc.effective_offsets(Event(group_id=ctx.group_id, title="", starts_at=now), group)
        )
        pending = crud.add_pending(
            s,
            group_id=ctx.group_id,
            member_id=ctx.member_id,
            action="event_add",
            payload=draft.to_payload(),
            now=now,
            expires_at=now + PENDING_TTL,
        )
        pid = pending.id
    return ctx.reply(
        draft_summary(draft, offsets),
        buttons=[[Button("✔ Save", f"evadd:ok:{pid}"), Button("✖ Discard", f"evadd:no:{pid}")]],
    )


async def confirm_add(ctx: Context, data: str) -> RichText | str:
    verb, _, raw_id = data.partition(":")
    if verb not in ("ok", "no") or not raw_id.isdigit() or len(raw_id) > 12:
        raise UserError("That button has expired. Add the event again.")
    now = ctx.clock.now()
    with ctx.session() as s:
        pending = crud.get_pending(s, group_id=ctx.group_id, pending_id=int(raw_id))
        if pending is not None and pending.member_id != ctx.member_id:
            raise UserError("Only the owner who added this event can save or discard it.")
        taken = crud.take_pending(
            s, group_id=ctx.group_id, pending_id=int(raw_id), action="event_add", now=now
        )
        if taken is None:
            raise UserError("That confirmation was already used or has expired. Add the event again.")
        if verb == "no":
            return "Discarded; nothing was saved."
        draft = EventDraft.from_payload(taken.payload)
        group = s.get(Group, ctx.group_id)
        assert group is not None
        try:
            event = svc.create_event(s, group=group, member_id=ctx.member_id, draft=draft, now=now)
        except EventError as e:
            raise UserError(f"{e} Nothing was saved.") from None
        card = ctx.reply(card_text(s, event, group, now), buttons=rsvp_buttons(event.id or 0))
        event_id = event.id
    sent = await ctx.send(card)
    if sent is not None:
        with ctx.session() as s:
            row = crud.get_event(s, group_id=ctx.group_id, event_id=event_id or 0)
            if row is not None:
                row.card_message_id = sent.message_id
                row.card_chat_id = ctx.chat.chat_id
                # The channel the card went to (what ctx.reply set: Discord posts in a channel of the guild),
                # so later edits and reminder posts go there whatever channel they are triggered from.
                row.card_channel_id = card.reply_channel_id
                s.add(row)
    return T("Saved as event ", bold(f"#{event_id}"), ". Members answer with the buttons on the card.")


async def refresh_card(ctx: Context, event_id: int) -> None:
    """Edit the event's card in place (counts, cancellation)."""
    now = ctx.clock.now()
    with ctx.session() as s:
        event = crud.get_event(s, group_id=ctx.group_id, event_id=event_id)
        group = s.get(Group, ctx.group_id)
        if event is None or group is None or not event.card_message_id:
            return
        text = card_text(s, event, group, now)
        buttons = rsvp_buttons(event_id) if event.status == "scheduled" else []
        channel = svc.card_channel(event, ctx.chat.chat_id)  # where the card lives, not where this was typed
        reply = Reply(
            chat=ctx.chat,
            text=text,
            buttons=tuple(tuple(r) for r in buttons),
            edit_message_id=event.card_message_id,
            reply_channel_id=channel,
        )
    await ctx.send(reply)


async def tell_directly(ctx: Context, users: list[ChatUser], text: RichText) -> None:
    """Send each user the same notice directly (the adapter falls back to a mention in the group)."""
    for user in users:
        await ctx.send(Reply(chat=ctx.chat, text=text, direct_to=user, reply_channel_id=ctx.event.reply_channel_id))


async def rsvp_pressed(ctx: Context, data: str) -> Reply | None:
    raw_id, _, code_ = data.partition(":")
    if not raw_id.isdigit() or len(raw_id) > 12 or code_ not in RSVP_CODES:
        raise UserError("That button has expired. See /events.")
    event_id = int(raw_id)
    now = ctx.clock.now()
    with ctx.session() as s:
        try:
            result = svc.set_rsvp(
                s,
                group_id=ctx.group_id,
                event_id=event_id,
                member_id=ctx.member_id,
                choice=RSVP_CODES[code_],
                now=now,
            )
        except EventError as e:
            raise UserError(str(e)) from None
        event = crud.get_event(s, group_id=ctx.group_id, event_id=event_id)
        group = s.get(Group, ctx.group_id)
        assert event is not None and group is not None
        title = clip(event.title, 200)
        promoted_users = _users(s, group, result.promoted)
    await refresh_card(ctx, event_id)
    await tell_directly(ctx, promoted_users, T("🎉 A seat freed up: you're now going to ", bold(title), "."))
    answer = {
        crud.GOING: T("You're going to ", bold(title), "."),
        crud.MAYBE: T("Marked as maybe for ", bold(title), "."),
        crud.NOT_GOING: T("Noted: not going to ", bold(title), "."),
        crud.WAITLIST: T(bold(title), " is full; you're on the waitlist and move up when a seat frees."),
    }[result.status]
    return ctx.reply(answer, direct=True)


async def event_details(ctx: Context, event_id: int) -> RichText:
    now = ctx.clock.now()
    with ctx.session() as s:
        event = crud.get_event(s, group_id=ctx.group_id, event_id=event_id)
        group = s.get(Group, ctx.group_id)
        if event is None or group is None:
            raise UserError(f"There is no event #{event_id} in this group. See /events.")
        lines: list[RichText | str] = [card_text(s, event, group, now)]
        for status, label in ((crud.GOING, "Going"), (crud.MAYBE, "Maybe"), (crud.WAITLIST, "Waitlist")):
            ids = [
                r.member_id for r in crud.rsvps(s, group_id=ctx.group_id, event_id=event_id, status=status)
            ]
            people = crud.names_and_accounts(
                s, group_id=ctx.group_id, member_ids=ids, platform=group.platform
            )
            if people:
                names = [clip(n or "someone", 64) for _, n, _, _ in people]
                more = f" and {len(names) - MAX_NAMES} more" if len(names) > MAX_NAMES else ""
                lines.append(T(f"{label}: ", ", ".join(names[:MAX_NAMES]) + more))
        if event.status == "scheduled":
            lines.append(T("Calendar file: ", code(f"/event {event_id} ics")))
    return RichText.join(lines)


async def event_ics_reply(ctx: Context, event_id: int) -> Reply:
    with ctx.session() as s:
        event = crud.get_event(s, group_id=ctx.group_id, event_id=event_id)
        group = s.get(Group, ctx.group_id)
        if event is None or group is None:
            raise UserError(f"There is no event #{event_id} in this group. See /events.")
        data = event_ics(event, now=ctx.clock.now(), group_title=group.title)
        name, title = ics_filename(event), clip(event.title, 200)
    return ctx.reply(
        T("Calendar file for ", bold(title), ": import it into your calendar app."),
        attachment=Attachment(name, data, "text/calendar"),
    )


def _locked_event(s, ctx: Context, event_id: int) -> tuple[Event, Group]:  # type: ignore[no-untyped-def]
    """The group's event, locked for an owner's change, and its group; a clear error when there is none."""
    event = crud.get_event_for_update(s, group_id=ctx.group_id, event_id=event_id)
    group = s.get(Group, ctx.group_id)
    if event is None or group is None:
        raise UserError(f"There is no event #{event_id} in this group.")
    return event, group


async def event_cancel(ctx: Context, event_id: int) -> RichText:
    await require_admin(ctx, "cancel")
    now = ctx.clock.now()
    with ctx.session() as s:
        event, group = _locked_event(s, ctx, event_id)
        try:
            to_tell = svc.cancel_event(s, event, now=now)
        except EventError as e:
            raise UserError(str(e)) from None
        users = _users(s, group, to_tell)
        title, when = clip(event.title, 200), format_when(event.starts_at, event.timezone)
    await refresh_card(ctx, event_id)
    await tell_directly(ctx, users, T("❌ ", bold(title), f" ({when}) was cancelled."))
    return T(
        "Cancelled ",
        bold(title),
        f". I told {len(users)} member{'s' if len(users) != 1 else ''} who had "
        "answered; no reminders will be sent.",
    )


async def event_edit(ctx: Context, event_id: int, field_name: str, value: str) -> RichText:
    await require_admin(ctx, "edit")
    now = ctx.clock.now()
    with ctx.session() as s:
        event, group = _locked_event(s, ctx, event_id)
        old_start = event.starts_at
        if (
            field_name.lower() == "course"
            and value.strip().isdigit()
            and course_crud.get_course(s, course_id=int(value.strip())) is None
        ):
            raise UserError(f"There is no course #{clip(value, 12)}.")
        try:
            svc.edit_event(s, event, group, field_name=field_name, value=value, now=now)
        except (EventError, TimeParseError) as e:
            raise UserError(f"{e} Nothing was changed.") from None
        moved = event.starts_at != old_start
        going = [
            r.member_id for r in crud.rsvps(s, group_id=ctx.group_id, event_id=event_id, status=crud.GOING)
        ]
        users = _users(s, group, going) if moved else []
        summary = card_text(s, event, group, now)
        title, when = clip(event.title, 200), format_when(event.starts_at, event.timezone)
    await refresh_card(ctx, event_id)
    await tell_directly(ctx, users, T("🕑 ", bold(title), f" moved to {when}."))
    return T("Updated.\n", summary)


async def events_list(ctx: Context) -> RichText:
    now = ctx.clock.now()
    with ctx.session() as s:
        group = s.get(Group, ctx.group_id)
        member = s.get(Member, ctx.member_id)
        assert group is not None
        tz = reader_zone(member.timezone if member else None, group.timezone)
        rows = []
        for event in crud.scheduled_events(s, group_id=ctx.group_id):
            nxt = svc.next_occurrence(event, now - timedelta(minutes=event.duration_minutes))
            if nxt is not None:
                going = crud.rsvp_counts(s, group_id=ctx.group_id, event_id=event.id or 0).get(crud.GOING, 0)
                rows.append((nxt, event, going))
    if not rows:
        return T("No upcoming sessions. Owners add one with ", code("/event add Title | tomorrow 8pm"), ".")
    rows.sort(key=lambda r: r[0])
    lines: list[RichText | str] = [T(bold("Upcoming sessions"), f" (times in {tz})")]
    for nxt, event, going in rows[:15]:
        lines.append(
            T(
                f"#{event.id} ",
                bold(clip(event.title, 80)),
                f" — {format_when(nxt, tz)}"
                f"{' · ' + describe_rrule(event.rrule) if event.rrule else ''} · {going} going",
            )
        )
    if len(rows) > 15:
        lines.append(f"…and {len(rows) - 15} more.")
    lines.append(T("Details: ", code("/event ID"), " · calendar: ", code("/event ID ics")))
    return RichText.join(lines)


async def event_cmd(ctx: Context) -> HandlerOut:
    text = ctx.arg_text.strip()
    word, _, rest = text.partition(" ")
    key = word.lower()
    if key == "add":
        return await event_add(ctx, rest)
    if key in ("cancel", "edit", "remind"):
        parts = rest.split(None, 2) if key == "edit" else rest.split(None, 1)
        if not parts:
            raise UsageError(f"Which event? /event {key} ID …")
        event_id = parse_event_id(parts[0])
        if key == "cancel":
            return await event_cancel(ctx, event_id)
        if key == "remind":
            if len(parts) < 2:
                raise UsageError("When? e.g. /event remind 3 1h,15m (or 'default').")
            return await event_edit(ctx, event_id, "remind", parts[1])
        if len(parts) < 3:
            raise UsageError(f"Edit what? One of: {', '.join(svc.EDITABLE)}, then the new value.")
        return await event_edit(ctx, event_id, parts[1], parts[2])
    if not key:
        raise UsageError()
    event_id = parse_event_id(word)
    if rest.strip().lower() == "ics":
        return await event_ics_reply(ctx, event_id)
    if rest.strip():
        raise UsageError(f"After the event number: nothing, or 'ics'. Not {clip(rest, 20)!r}.")
    return await event_details(ctx, event_id)


HandlerOut = Reply | RichText | str | None


# ---- settings and muting --------------------------------------------------------------------------------------
async def set_group_reminders(ctx: Context, value: str) -> RichText:
    if not value:
        raise UsageError("Minutes before the start, e.g. /settings reminders 1440,15 (or 'default').")
    now = ctx.clock.now()
    with ctx.session() as s:
        group = s.get(Group, ctx.group_id)
        assert group is not None
        if value.lower() == "default":
            offsets = list(svc.DEFAULT_OFFSETS)
        else:
            try:
                offsets = parse_offsets(value)
            except TimeParseError as e:
                raise UserError(str(e)) from None
        group.settings = {
            **group.settings,
            "reminder_offsets": offsets,
        }  # reassign: JSON mutation isn't tracked
        s.add(group)
        s.flush()
        for event in crud.scheduled_events(s, group_id=ctx.group_id):
            if event.reminder_offsets is None:
                svc.bump(s, event, group, now=now)
    return T("Events here now get ", _offsets_label(offsets), " (unless an event sets its own).")


def _show_reminders(group: Group) -> str:
    stored = group.settings.get("reminder_offsets")
    offsets = stored if isinstance(stored, list) else svc.DEFAULT_OFFSETS
    return ",".join(str(o) for o in offsets) + " min"


async def reminders_cmd(ctx: Context) -> RichText:
    choice = ctx.arg_text.strip().lower()
    with ctx.session() as s:
        membership = core_crud.get_membership(s, group_id=ctx.group_id, member_id=ctx.member_id)
        assert membership is not None
        if choice in ("off", "mute"):
            membership.reminders_muted = True
        elif choice in ("on", "unmute"):
            membership.reminders_muted = False
        elif choice:
            raise UsageError()
        s.add(membership)
        muted = membership.reminders_muted
    if muted:
        return T(
            "Your event reminders are ",
            bold("off"),
            " in this group. Turn them on with ",
            code("/reminders on"),
            ".",
        )
    return T("Your event reminders are ", bold("on"), ": I message you before sessions you're going to.")


# ---- wiring ---------------------------------------------------------------------------------------------------
async def promote_after_forget(sv: Services, group_id: int, member_id: int) -> None:
    """/forget deleted a member's RSVPs: seats they held go to the waitlist, and the promoted are told."""
    with sv.store.session() as s:
        group = s.get(Group, group_id)
        if group is None:
            return
        promoted = svc.fill_freed_seats(s, group_id=group_id, now=sv.clock.now())
        notices = []
        for event_id, member_ids in promoted.items():
            event = crud.get_event(s, group_id=group_id, event_id=event_id)
            if event is None:
                continue
            channel = svc.card_channel(event, group.platform_chat_id)
            for user in _users(s, group, member_ids):
                notices.append((clip(event.title, 200), user, channel))
        chat = Chat(platform=group.platform, chat_id=group.platform_chat_id, title=group.title)
    for title, user, channel in notices:
        await sv.outbox.push(Reply(chat=chat, text=T("🎉 A seat freed up: you're now going to ", bold(title), "."),
                             direct_to=user, reply_channel_id=channel))


def register(d: Dispatcher, sv: Services) -> None:
    d.command(
        "event",
        help="a live session: details, calendar file; owners add, edit, cancel",
        usage=USAGE,
        category="Events",
        args=(ArgSpec("what", "ID, 'ID ics', or add/edit/cancel/remind …", kind="text"),),
    )(event_cmd)
    d.command("events", help="upcoming live sessions", usage="/events", category="Events")(events_list)
    d.command(
        "reminders",
        help="turn your event reminders on or off",
        usage="/reminders [on|off]",
        category="Events",
        args=(ArgSpec("state", "on or off", choices=("on", "off")),),
    )(reminders_cmd)
    d.button("evadd", role="admin")(confirm_add)
    d.button("rsvp")(rsvp_pressed)
    d.setting(
        "reminders",
        set_group_reminders,
        "default reminder times before events, in minutes",
        show=_show_reminders,
    )
