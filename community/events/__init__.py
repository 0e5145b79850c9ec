"""Events and reminders: live sessions members answer (going / maybe / not going, with a capped list and a
waitlist), owners add, edit and cancel them, and reminders go out exactly once before each occurrence.

- `drafts.py`: reading `/event add` specs into an `EventDraft`; `EventError` (an answer for the member).
- `service.py`: propose and confirm an event, edit, cancel, RSVPs and the waitlist, group defaults, muting.
- `views.py`: what the bot shows (a card, details, the upcoming list, the calendar file) as plain data.
- `rules.py`: the RRULE subset accepted (checked at the door and before every expansion) and expansion bounded
  in count and CPU time; `recurrence.py`: occurrences of a series (wall-clock stable across DST) and the bounded
  reminder rows.
- `reminders.py`: `ReminderService`, claiming due reminders in the database and delivering them once.
- `notices.py`: the plain notices the bot renders and pushes (a reminder, a freed seat); `audience.py`: who.
- `timeparse.py`: times (in the group's zone, or the one the text names), durations, repeats and offsets as owners
  type them, and how times are shown; `ics.py`: the RFC 5545 export.

SQL lives in `storage/crud/events.py`; the chat side in `bot/commands/events.py` and `bot/render/events.py`.
"""
