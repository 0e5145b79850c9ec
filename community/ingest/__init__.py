"""Ingest: what the bot stores when something happens in a chat, before any command runs.

- `service.py`: `IngestService` — first contact (group, member, membership: `identify` -> `Identity`), messages
  stored once (a redelivery is ignored and not answered again), edits, the group's retention (`retention_days`
  0: no text kept, only its length), opt-out (nothing of the member is tracked, commands still run), the
  hand-off of stored text to sentiment scoring (`Ingested.score_text`), and leaves (`record_leave`).
  `ChatRef` and `PersonRef` are the neutral who/where the bot passes in (ingest knows no chat types).
- `reactions.py`: one reaction stored or removed, with the emoji's own sentiment (an opted-out reactor's are not).

Everything here is synchronous store work through `storage/crud/core.py`; the bot calls it off the event loop
(`await store.call(service.method, ...)`). Tests: `tests/community/ingest/`.
"""
