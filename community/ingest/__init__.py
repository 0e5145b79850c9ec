"""Ingest: what the bot stores when something happens in a chat, before any command runs.

- `service.py`: `IngestService` — first contact (group, member, membership), messages stored once (redelivery is
  ignored), edits, the group's retention (text kept or not), opt-out (nothing tracked), the hand-off of stored
  text to sentiment scoring, reactions and leaves.
- `reactions.py`: one reaction stored or removed, with the emoji's own sentiment.

Everything here is synchronous store work; the bot calls it off the event loop (`Store.call`).
"""
