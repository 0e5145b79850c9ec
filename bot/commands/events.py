"""/event, /events, /reminders and `/settings reminders`: thin handlers over community.events (rendering in
bot/render/events.py; the reminder poller is wired in bot/wiring.py with `reminder_sender` below).

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
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.dispatcher import ArgSpec, Context, Dispatcher
from bot.render import events as render
from bot.text import RichText, T, bold, code
from bot.types import Attachment, Reply, SentMessage
from common.errors import UsageError, UserError
from common.numbers import NumberError, parse_int, shown
from common.text import clip
from community.events import service as svc
from community.events import views
from community.events.drafts import EventError, SpecError
from community.events.notices import Recipient, ReminderNotice
from community.events.recurrence import DEFAULT_OFFSETS, group_offsets
from community.events.timeparse import TimeParseError, parse_offsets
from storage.crud import events as crud
from storage.models import Group

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(minutes=30)
RSVP_CODES = {"g": crud.GOING, "m": crud.MAYBE, "n": crud.NOT_GOING}
USAGE = (
    "/event add TITLE | WHEN [| 90m] [| weekly] [| course ID] [| cap N] [| remind 1h,15m] · /event ID [ics]"
)
HandlerOut = Reply | RichText | str | None


def parse_event_id(raw: str) -> int:
    """An event number typed in a command ("3" or "#3"); a usage line when it is not a number."""
    try:
        return parse_int(raw, low=1, strip_hash=True)
    except NumberError as e:
        if e.reason == "range":  # a number, just not one any event has
            raise UserError(
                f"There is no event #{shown(raw.strip().lstrip('#'))} in this group. See /events."
            ) from None
        raise UsageError(f"'{shown(raw)}' is not an event number.") from None


def payload_id(raw: str) -> int | None:
    """The number a button carries (an event or a pending confirmation), or None when it is not one."""
    try:
        return parse_int(raw, low=1)
    except NumberError:
        return None


async def require_admin(ctx: Context, what: str) -> None:
    """Owners and admins only: the platform decides for its chats, the store for the console and tests."""
    verdict = await ctx.adapter.is_admin(ctx.chat, ctx.user)
    allowed = verdict if verdict is not None else ctx.is_admin
    if not allowed:
        raise UserError(f"Sorry, /event {what} is for group owners and admins.")


# ---- handlers -------------------------------------------------------------------------------------------------
async def event_add(ctx: Context, spec: str) -> Reply:
    await require_admin(ctx, "add")
    try:
        proposal = await ctx.db(
            svc.propose_event,
            group_id=ctx.group_id,
            member_id=ctx.member_id,
            spec=spec,
            now=ctx.clock.now(),
            ttl=PENDING_TTL,
        )
    except SpecError as e:
        raise UsageError(str(e)) from None
    except (EventError, TimeParseError) as e:
        raise UserError(str(e)) from None
    return ctx.reply(
        render.draft_summary(proposal.draft, proposal.offsets, proposal.reader_zone),
        buttons=render.confirm_buttons(proposal.pending_id),
    )


async def confirm_add(ctx: Context, data: str) -> RichText | str:
    """✔ Save / ✖ Discard on a draft: owners only (the button is registered role="admin", so a member who lost
    admin status on the platform is refused before this runs), and only the owner who typed it."""
    verb, _, raw_id = data.partition(":")
    pending_id = payload_id(raw_id)
    if verb not in ("ok", "no") or pending_id is None:
        raise UserError("That button has expired. Add the event again.")
    try:
        card = await ctx.db(
            svc.confirm_event,
            group_id=ctx.group_id,
            member_id=ctx.member_id,
            pending_id=pending_id,
            save=verb == "ok",
            now=ctx.clock.now(),
        )
    except EventError as e:
        raise UserError(str(e)) from None
    if card is None:
        return "Discarded; nothing was saved."
    reply = ctx.reply(render.card_text(card), buttons=render.rsvp_buttons(card.event_id))
    sent = await ctx.send(reply)
    if sent is not None:
        # The channel the card went to (what ctx.reply set: Discord posts in a channel of the guild), so later
        # edits and reminder posts go there whatever channel they are triggered from.
        await ctx.db(
            crud.set_card,
            group_id=ctx.group_id,
            event_id=card.event_id,
            message_id=sent.message_id,
            chat_id=ctx.chat.chat_id,
            channel_id=reply.reply_channel_id,
        )
    return T("Saved as event ", bold(f"#{card.event_id}"), ". Members answer with the buttons on the card.")


async def refresh_card(ctx: Context, event_id: int) -> None:
    """Edit the event's card in place (counts, cancellation)."""
    card = await ctx.db(views.event_card, group_id=ctx.group_id, event_id=event_id, now=ctx.clock.now())
    if card is None or not card.card_message_id:
        return
    await ctx.send(
        Reply(
            chat=ctx.chat,
            text=render.card_text(card),
            buttons=tuple(tuple(r) for r in render.card_buttons(card)),
            edit_message_id=card.card_message_id,
            reply_channel_id=card.channel(ctx.chat.chat_id),  # where the card lives, not where this was typed
        )
    )


async def tell_directly(
    ctx: Context, people: tuple[Recipient, ...], text: Callable[[Recipient], RichText]
) -> None:
    """Send each member their notice directly, its times in their zone (the adapter falls back to a mention in
    the group)."""
    for to in people:
        await ctx.send(
            Reply(
                chat=ctx.chat,
                text=text(to),
                direct_to=render.user_of(to),
                reply_channel_id=ctx.event.reply_channel_id,
            )
        )


async def rsvp_pressed(ctx: Context, data: str) -> Reply | None:
    raw_id, _, code_ = data.partition(":")
    event_id = payload_id(raw_id)
    if event_id is None or code_ not in RSVP_CODES:
        raise UserError("That button has expired. See /events.")
    try:
        result = await ctx.db(
            svc.answer,
            group_id=ctx.group_id,
            event_id=event_id,
            member_id=ctx.member_id,
            choice=RSVP_CODES[code_],
            now=ctx.clock.now(),
        )
    except EventError as e:
        raise UserError(str(e)) from None
    title = clip(result.title, 200)
    await refresh_card(ctx, event_id)
    await tell_directly(
        ctx, result.promoted, lambda to: render.seat_freed_text(title, result.starts_at, to.timezone)
    )
    answer = {
        crud.GOING: T("You're going to ", bold(title), "."),
        crud.MAYBE: T("Marked as maybe for ", bold(title), "."),
        crud.NOT_GOING: T("Noted: not going to ", bold(title), "."),
        crud.WAITLIST: T(bold(title), " is full; you're on the waitlist and move up when a seat frees."),
    }[result.status]
    return ctx.reply(answer, direct=True)


async def event_details(ctx: Context, event_id: int) -> RichText:
    details = await ctx.db(
        views.event_details,
        group_id=ctx.group_id,
        event_id=event_id,
        member_id=ctx.member_id,
        now=ctx.clock.now(),
    )
    if details is None:
        raise UserError(f"There is no event #{event_id} in this group. See /events.")
    return render.details_text(details)


async def event_ics_reply(ctx: Context, event_id: int) -> Reply:
    file = await ctx.db(views.calendar_file, group_id=ctx.group_id, event_id=event_id, now=ctx.clock.now())
    if file is None:
        raise UserError(f"There is no event #{event_id} in this group. See /events.")
    return ctx.reply(
        T("Calendar file for ", bold(clip(file.title, 200)), ": import it into your calendar app."),
        attachment=Attachment(file.filename, file.data, "text/calendar"),
    )


async def event_cancel(ctx: Context, event_id: int) -> RichText:
    await require_admin(ctx, "cancel")
    try:
        done = await ctx.db(svc.cancel, group_id=ctx.group_id, event_id=event_id, now=ctx.clock.now())
    except EventError as e:
        raise UserError(str(e)) from None
    await refresh_card(ctx, event_id)
    await tell_directly(
        ctx, done.notify, lambda to: render.cancelled_text(done.title, done.starts_at, to.timezone)
    )
    n = len(done.notify)
    return T(
        "Cancelled ",
        bold(clip(done.title, 200)),
        f". I told {n} member{'s' if n != 1 else ''} who had answered; no reminders will be sent.",
    )


async def event_edit(ctx: Context, event_id: int, field_name: str, value: str) -> RichText:
    await require_admin(ctx, "edit")
    try:
        edited = await ctx.db(
            svc.edit,
            group_id=ctx.group_id,
            event_id=event_id,
            member_id=ctx.member_id,
            field_name=field_name,
            value=value,
            now=ctx.clock.now(),
        )
    except SpecError as e:
        raise UsageError(str(e)) from None
    except EventError as e:
        raise UserError(str(e)) from None
    await refresh_card(ctx, event_id)
    card = edited.card
    await tell_directly(
        ctx, edited.moved, lambda to: render.moved_text(card.title, card.next_start, to.timezone)
    )
    await tell_directly(
        ctx, edited.promoted, lambda to: render.seat_freed_text(card.title, card.next_start, to.timezone)
    )
    if card.card_message_id:  # the card was just edited in place: say what changed, not the card again
        return render.edit_summary(edited)
    return T("Updated.\n", render.card_text(card))


async def events_list(ctx: Context) -> RichText:
    up = await ctx.db(views.upcoming, group_id=ctx.group_id, member_id=ctx.member_id, now=ctx.clock.now())
    return render.upcoming_text(up)


async def event_cmd(ctx: Context) -> HandlerOut:
    # split on any white space (a non-breaking or ideographic space separates words too)
    word, rest = (ctx.arg_text.split(None, 1) + ["", ""])[:2]
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
        raise UsageError(f"After the event number: nothing, or 'ics'. Not '{shown(rest)}'.")
    return await event_details(ctx, event_id)


# ---- settings and muting --------------------------------------------------------------------------------------
async def set_group_reminders(ctx: Context, value: str) -> RichText:
    if not value:
        raise UsageError("Minutes before the start, e.g. /settings reminders 1440,15 (or 'default').")
    if value.lower() == "default":
        offsets = list(DEFAULT_OFFSETS)
    else:
        try:
            offsets = parse_offsets(value)
        except TimeParseError as e:
            raise UserError(str(e)) from None
    await ctx.db(svc.set_default_offsets, group_id=ctx.group_id, offsets=offsets, now=ctx.clock.now())
    return T("Events here now get ", render.offsets_label(offsets), " (unless an event sets its own).")


def _show_reminders(group: Group) -> str:
    return ",".join(str(o) for o in group_offsets(group)) + " min"


async def reminders_cmd(ctx: Context) -> RichText:
    choice = ctx.arg_text.strip().lower()
    if choice in ("off", "mute"):
        want: bool | None = True
    elif choice in ("on", "unmute"):
        want = False
    elif choice:
        raise UsageError()
    else:
        want = None
    muted = await ctx.db(svc.set_muted, group_id=ctx.group_id, member_id=ctx.member_id, muted=want)
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
Push = Callable[[Reply], Awaitable[SentMessage | None]]


def reminder_sender(push: Push) -> Callable[[ReminderNotice], Awaitable[None]]:
    """What the reminder service delivers through: render the notice and push it (a refusal raises)."""

    async def deliver(notice: ReminderNotice) -> None:
        await push(render.reminder_reply(notice))

    return deliver


async def promote_after_forget(sv: Services, group_id: int, member_id: int) -> None:
    """/forget deleted a member's RSVPs: seats they held go to the waitlist, and the promoted are told."""
    for notice in await sv.store.run(svc.seats_freed, group_id=group_id, now=sv.clock.now()):
        await sv.outbox.push(render.seat_reply(notice))


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
    d.button("evadd", role="admin", not_yours=svc.NOT_YOUR_DRAFT)(confirm_add)  # the typing owner's alone
    d.button("rsvp", audience="anyone")(rsvp_pressed)  # a card is the whole group's
    d.setting(
        "reminders",
        set_group_reminders,
        "default reminder times before events, in minutes",
        show=_show_reminders,
    )
