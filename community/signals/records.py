"""Store rows -> plain inputs for the recommender and matching.

`interaction_records` returns `(member_id, course_id, kind, value, timestamp_seconds)` records in the format and
with the kind names of `recommender/data.py` (KINDS):

| kind                  | from                                                                 | value          |
|-----------------------|----------------------------------------------------------------------|----------------|
| rating                | Rating source "rate" (/rate)                                         | stars 1–5      |
| mention               | Rating source "mention" (latest mention of the course by the member) | sentiment      |
| reaction              | a reaction (emoji sentiment >= 0) to a message that names the course | emoji sentiment|
| rsvp                  | an RSVP going/maybe/waitlist to an event tied to the course          | 1.0            |
| feedback_interested   | Rating source "feedback..." with value > 0                           | value          |
| feedback_not_for_me   | Rating source "feedback..." with value <= 0                          | value          |
| buddy_shared          | a buddy match whose members both showed interest in the course       | 1.0            |

"Interest" for buddy_shared means an explicit rating >= 4, a mention with sentiment > 0 or an RSVP. Other Rating
sources are not turned into records (their owners feed the recommender themselves), so nothing counts twice.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session

from storage.crud import signals as q

__all__ = ["InteractionRecord", "interaction_records"]

InteractionRecord = tuple[int, int, str, float, float]
"""(member_id, course_id, kind, value, timestamp_seconds)"""

RSVP_INTEREST = ("going", "maybe", "waitlist")


def interaction_records(
    s: Session, *, group_id: int | None, member_id: int | None = None
) -> list[InteractionRecord]:
    """Every interaction of one group (or of all groups with None: model training only, never for display).

    With `member_id` (and a group), only that member's records, read with member-scoped queries: what serving
    needs on every /recommend, without loading the whole group's history.
    """
    matches = q.buddy_matches(s, group_id=group_id)
    people: set[int] | None = None
    reactors: set[int] | None = None
    if member_id is not None:
        matches = [m for m in matches if member_id in {int(x) for x in m.member_ids}]
        people = {member_id} | {int(x) for m in matches for x in m.member_ids}  # buddy_shared needs partners
        reactors = {member_id}
    out: list[InteractionRecord] = []
    interest: dict[tuple[int, int], set[int]] = defaultdict(set)  # (group, member) -> courses
    for r in q.ratings(s, group_id=group_id, member_ids=people):
        ts = r.updated_at.timestamp()
        if r.source == "rate":
            out.append((r.member_id, r.course_id, "rating", float(r.value), ts))
            positive = r.value >= 4
        elif r.source == "mention":
            out.append((r.member_id, r.course_id, "mention", max(-1.0, min(1.0, float(r.value))), ts))
            positive = r.value > 0
        elif r.source.startswith("feedback"):
            kind = "feedback_interested" if r.value > 0 else "feedback_not_for_me"
            out.append((r.member_id, r.course_id, kind, float(r.value), ts))
            positive = False
        else:
            continue
        if positive:
            interest[(r.group_id, r.member_id)].add(r.course_id)
    reactions = q.reactions_on_messages(s, group_id=group_id, reactor_ids=reactors)
    message_ids = None if member_id is None else {message_id for _, _, message_id, _, _ in reactions}
    courses_of_message: dict[int, set[int]] = defaultdict(set)
    for m in q.mentions(s, group_id=group_id, message_ids=message_ids):
        courses_of_message[m.message_id].add(m.course_id)
    for _, reactor, message_id, sentiment, at in reactions:
        if sentiment < 0:
            continue
        for course_id in sorted(courses_of_message.get(message_id, ())):
            out.append((reactor, course_id, "reaction", float(sentiment), at.timestamp()))
    for gid, mid, course_id, status, _attended, at in q.rsvps_with_course(
        s, group_id=group_id, member_ids=people
    ):
        if status in RSVP_INTEREST:
            out.append((mid, course_id, "rsvp", 1.0, at.timestamp()))
            interest[(gid, mid)].add(course_id)
    for match in matches:
        members = [int(m) for m in match.member_ids]
        counts: dict[int, int] = defaultdict(int)
        for mid in set(members):
            for c in interest.get((match.group_id, mid), ()):
                counts[c] += 1
        shared = sorted(c for c, n in counts.items() if n >= 2)
        for mid in sorted(set(members)):
            for c in shared:
                out.append((mid, c, "buddy_shared", 1.0, match.created_at.timestamp()))
    if member_id is not None:
        out = [r for r in out if r[0] == member_id]
    return out
