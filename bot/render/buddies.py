"""Study buddies as chat text: opt-in answers, status, round summaries, introductions and check-in questions.
Plain data from `community.buddies` in, RichText/Reply out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.render.zones import unknown_zone, zone_shown
from bot.text import RichText, T, bold, code
from bot.types import Button, Chat, ChatUser, Reply
from common.text import clip
from community.buddies.checkins import CheckinNotice
from community.buddies.profiles import MAX_TOPIC_CHARS, MAX_TOPICS, MAX_TOPICS_TEXT, Joined, Paused, Topics
from community.buddies.reasons import reason_text
from community.buddies.rounds import PlannedMatch, RoundOutcome
from community.buddies.service import RoundReport
from community.buddies.status import BuddyStatus
from community.ingest.service import ChatRef, PersonRef
from community.members.timezones import TimezoneMatch, describe_zone, local_time

MAX_SUMMARY_LINES = 50
# A round summary stays one message on every platform (Discord 2,000, Telegram 4,096), markup included.
SUMMARY_CHARS = 1800
FORMER_MEMBER = "a former member"
THANKS = {
    "met": "Great, glad you met! 🎉 That helps me pick future buddies.",
    "not_met": "Thanks for telling me. I'll take it into account for the next round.",
    "skip": "OK: I'll leave you out of the next round, then match you again.",
}


def chat_of(ref: ChatRef) -> Chat:
    return Chat(platform=ref.platform, chat_id=ref.chat_id, kind="group", title=ref.title)


def user_of(ref: PersonRef) -> ChatUser:
    return ChatUser(
        platform=ref.platform, user_id=ref.user_id, display_name=ref.display_name, username=ref.username
    )


def names_text(names: Sequence[str | None]) -> RichText:
    """*ann*, *ben* and *cat*; None (a member who was forgotten) reads "a former member"."""
    parts: list[RichText | str] = []
    for i, n in enumerate(names):
        if i:
            parts.append(" and " if i == len(names) - 1 else ", ")
        parts.append(FORMER_MEMBER if n is None else bold(clip(n, 60)))
    return T(*parts)


def topic_list(topics: Sequence[str]) -> RichText:
    parts: list[RichText | str] = []
    for i, t in enumerate(topics):
        if i:
            parts.append(", ")
        parts.append(bold(t))
    return T(*parts)


def code_list(items: Sequence[str]) -> list[RichText | str]:
    out: list[RichText | str] = []
    for i, x in enumerate(items):
        if i:
            out.append(", ")
        out.append(code(x))
    return out


# ---- opting in ---------------------------------------------------------------------------------------------------
def topic_notes(parsed: Topics) -> list[str]:
    """What was cut from the member's topics, in words."""
    notes: list[str] = []
    if parsed.text_chars is not None:
        notes.append(f"your text was {parsed.text_chars:,} characters; I read the first {MAX_TOPICS_TEXT}")
    if parsed.cut_long:
        notes.append(f"topics are at most {MAX_TOPIC_CHARS} characters each")
    if parsed.given is not None:
        notes.append(f"you gave {parsed.given} topics; I kept the first {MAX_TOPICS}")
    return notes


def joined_text(joined: Joined) -> RichText:
    head = "You're in" if joined.created else "You're opted in again"
    topics = list(joined.topics)
    lines: list[RichText | str] = [
        T(
            f"🤝 {head}: I'll match you with a study buddy in the next round" + (" on " if topics else ""),
            topic_list(topics),
            ".",
        )
    ]
    notes = topic_notes(joined.parsed)
    if notes:
        lines.append("Note: " + "; ".join(notes) + ".")
    if not topics:
        lines.append(
            T(
                "Tip: add topics, e.g. ",
                code("/buddy join SQL, data analysis"),
                "; I also go by what you write here.",
            )
        )
    lines.append(
        T(
            "Set your time zone with ",
            code("/timezone Europe/Berlin"),
            " (or a city). ",
            code("/buddy me"),
            " asks for a partner now.",
        )
    )
    return RichText.join(lines)


def paused_text(weeks: int, paused: Paused) -> RichText:
    return T(
        f"Paused for {weeks} week{'s' if weeks != 1 else ''}: no matches until ",
        bold(local_time(paused.until, paused.timezone)),
        ". ",
        code("/buddy join"),
        " resumes at once.",
    )


def opted_out_text(then: str | None = None) -> RichText:
    """Matching is off for a member who opted out of tracking; `then` is the command to send after /optin."""
    return T(
        "You're opted out (",
        code("/optout"),
        "), so I don't match you with a study buddy. ",
        code("/optin"),
        " turns matching back on" + (", then " if then else "."),
        *((code(then), ".") if then else ()),
    )


def status_text(st: BuddyStatus, *, now: datetime, next_round: datetime | None) -> RichText:
    tz = st.timezone
    lines: list[RichText | str] = [bold("Study buddy")]
    if st.state == "opted_out":
        lines.append(opted_out_text())
    elif not st.opted_in:
        lines.append(T("You're not opted in. Join with ", code("/buddy join [topics]"), "."))
    else:
        lines.append(T("Opted in", " on " if st.topics else "", topic_list(st.topics), "."))
        if st.paused_until is not None:
            lines.append(T("Paused until ", local_time(st.paused_until, tz), "."))
        if st.skipping_next:
            lines.append("You'll skip the next round, as you asked.")
        if st.waiting:
            lines.append("Waiting for a partner (asked with /buddy me).")
    if st.last_match_at is not None:
        lines.append(
            T("Last buddy: ", names_text(st.last_partners), " on ", local_time(st.last_match_at, tz), ".")
        )
    if st.plan is not None:
        when = local_time(next_round, tz) if next_round else "not scheduled"
        lines.append(T(f"Rounds: {st.plan.cadence}; next ", bold(when), "."))
    else:
        lines.append("Rounds: not scheduled (owners run them with /buddy round).")
    lines.append(T("Your time zone: ", describe_zone(tz, now), "."))
    return RichText.join(lines)


def buddy_line(st: BuddyStatus) -> RichText:
    """The member's buddy state in a few words (the "Study buddy:" line of /me), from the same status."""
    tz = st.timezone
    if st.state == "opted_out":
        return T("off while you're opted out (", code("/optin"), " turns it back on)")
    if st.state == "none":
        return T("not signed up")
    if st.state == "left":
        return T("not active (", code("/buddy join"), " turns it on)")
    if st.state == "paused" and st.paused_until is not None:
        return T("paused until ", local_time(st.paused_until, tz))
    if st.state == "waiting":
        return T("waiting for a partner (asked with ", code("/buddy me"), ")")
    if st.state == "matched" and st.last_match_at is not None:
        return T("matched with ", names_text(st.last_partners), " on ", local_time(st.last_match_at, tz))
    return T("looking for a buddy")


# ---- rounds ------------------------------------------------------------------------------------------------------
def intro(pm: PlannedMatch, member_id: int) -> RichText:
    """The direct message that introduces one member to their buddies."""
    others = [pm.names[m] for m in pm.member_ids if m != member_id]
    lines: list[RichText | str] = [
        T(
            "🤝 Your study " + ("buddies" if len(others) > 1 else "buddy") + " this week: ",
            names_text(others),
            ".",
        ),
        T("Why: ", clip(reason_text(pm.reason), 300), "."),
    ]
    step = pm.first_step
    if step is not None:
        lines.append(
            T(
                "First step: take ",
                bold(clip(step.title, 100)),
                " together (",
                code(f"/course {step.course_id}"),
                ").",
            )
        )
    else:
        lines.append(
            "First step: say hi, share what you're learning this week and pick a time to study together."
        )
    if pm.repeat:
        lines.append("(You were matched recently: there was nobody else free this time.)")
    lines.append("I'll check in with you in a week.")
    return RichText.join(lines)


def round_summary(outcome: RoundOutcome) -> RichText:
    """The group post after a round: how many were matched, and the pairs."""
    if outcome.round_id is None:
        n = outcome.eligible
        who = "nobody has" if n == 0 else "only one member has"
        return T(
            f"No buddy round: {who} opted in (and is not paused). Members join with ",
            code("/buddy join"),
            ". Nobody was matched.",
        )
    pairs = sum(1 for m in outcome.matches if len(m.member_ids) == 2)
    trios = len(outcome.matches) - pairs
    head = f"🤝 Buddy round: {outcome.eligible} members in {pairs} pair{'s' if pairs != 1 else ''}"
    head += f" and {trios} group of three" if trios else ""
    first = T(head, ". Everyone got a message with their buddy and why.")
    lines: list[RichText | str] = [first]
    used = _size(first) + len(_more(pairs, trios))  # room for the "… and N more" line
    shown = 0
    for pm in outcome.matches[:MAX_SUMMARY_LINES]:
        line = T("• ", names_text([pm.names[m] for m in pm.member_ids]))
        if used + 1 + _size(line) > SUMMARY_CHARS:
            break
        lines.append(line)
        used, shown = used + 1 + _size(line), shown + 1
    if shown < len(outcome.matches):
        rest = outcome.matches[shown:]
        rest_pairs = sum(1 for m in rest if len(m.member_ids) == 2)
        lines.append(_more(rest_pairs, len(rest) - rest_pairs))
    return RichText.join(lines)


def _size(text: RichText) -> int:
    """Characters of `text` on the most verbose platform rendering (HTML or Markdown markup included)."""
    return max(len(text.to_plain()), len(text.to_html()), len(text.to_markdown()))


def _more(pairs: int, trios: int) -> str:
    """ "… and 40 more pairs." (or "… and 39 more pairs and 1 group of three.") for the matches not listed."""
    out = f"… and {pairs} more pair{'s' if pairs != 1 else ''}"
    return out + (f" and {trios} group{'s' if trios != 1 else ''} of three." if trios else ".")


def introductions(report: RoundReport) -> list[Reply]:
    """One message per matched member: direct where the platform allows, else a mention in the group."""
    chat = chat_of(report.audience.chat)
    people = report.audience.people
    return [
        Reply(chat=chat, text=intro(pm, m), direct_to=user_of(people[m]))
        for pm in report.outcome.matches
        for m in pm.member_ids
        if m in people
    ]


# ---- check-ins ---------------------------------------------------------------------------------------------------
def checkin_reply(n: CheckinNotice) -> Reply:
    chat, user = chat_of(n.chat), user_of(n.to)
    if n.kind == "paused":
        text = T(
            "You didn't answer your last three buddy check-ins, so I've paused your matches. ",
            code("/buddy join"),
            " turns them back on.",
        )
        return Reply(chat=chat, text=text, direct_to=user)
    text = T(
        "👋 Check-in: did you meet ",
        names_text(n.partner_names),
        " (matched ",
        local_time(n.match_at, n.timezone),
        ")?",
    )
    buttons = (
        (
            Button("Met", f"buddy:{n.checkin_id}:m"),
            Button("Didn't meet", f"buddy:{n.checkin_id}:n"),
            Button("Skip me next time", f"buddy:{n.checkin_id}:s"),
        ),
    )
    return Reply(chat=chat, text=text, buttons=buttons, direct_to=user)


def answer_text(answer: str, result: str) -> str:
    """Thanks for a check-in answer ("again": the member changed it)."""
    thanks = THANKS[answer]
    return thanks if result == "ok" else "Updated your answer. " + thanks


# ---- time zones --------------------------------------------------------------------------------------------------
def timezone_text(tz: str, now: datetime) -> RichText:
    return T(
        "Your time zone: ",
        zone_shown(tz, now),
        "; it's ",
        local_time(now, tz),
        ". Change it with ",
        code("/timezone Europe/Berlin"),
        " or a city.",
    )


def timezone_unknown(raw: str, found: TimezoneMatch) -> RichText:
    lines = unknown_zone(raw, found)
    lines.append(
        T(
            "Try ",
            code("/timezone Europe/Berlin"),
            ", a city such as ",
            code("/timezone Tokyo"),
            ", or an offset such as ",
            code("/timezone UTC+8"),
            ".",
        )
    )
    return RichText.join(lines)


def timezone_set_text(name: str, now: datetime) -> RichText:
    return T(
        "Time zone set to ",
        zone_shown(name, now),
        "; it's now ",
        local_time(now, name),
        " for you.",
    )
