"""RFC 5545 export of one event (with its recurrence) for calendar apps, built with the icalendar library."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, vRecur
from icalendar import Event as VEvent

from common.numbers import shown
from community.events.rules import RuleError, check_rule
from storage.models import Event

log = logging.getLogger(__name__)

PRODID = "-//Cohort//Community events//EN"


def event_ics(event: Event, *, now: datetime, domain: str = "cohort.invalid", group_title: str = "") -> bytes:
    """A VCALENDAR holding one VEVENT (TZID start, duration, RRULE, cancelled status), with its VTIMEZONE."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    ve = VEvent()
    # Stable per event, so re-importing updates the same entry; SEQUENCE follows our version counter.
    ve.add("uid", f"event-{event.id}-g{event.group_id}@{domain}")
    ve.add("dtstamp", now)
    zone = ZoneInfo(event.timezone)
    ve.add("dtstart", event.starts_at.astimezone(zone))
    ve.add("duration", timedelta(minutes=event.duration_minutes))
    ve.add("summary", event.title)
    if event.description:
        ve.add("description", event.description)
    if group_title:
        ve.add("location", group_title[:200])
    if event.rrule:
        try:  # a calendar app expands the rule itself: only one we would expand goes out
            ve.add("rrule", vRecur.from_ical(check_rule(event.rrule)))
        except RuleError as e:
            log.warning(
                "event %s: repeat rule %s left out of the calendar file: %s",
                event.id,
                shown(event.rrule, 60),
                e,
            )
    ve.add("sequence", max(0, event.version - 1))
    ve.add("status", "CANCELLED" if event.status == "cancelled" else "CONFIRMED")
    cal.add_component(ve)
    cal.add_missing_timezones()  # VTIMEZONE for the TZID, so apps without that zone still read it right
    return bytes(cal.to_ical())


def ics_filename(event: Event) -> str:
    return f"event-{event.id}.ics"
