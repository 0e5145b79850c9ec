"""Privacy: what is stored about a member, opting out of signals, and forgetting a member in one group.

- `report.py`: `privacy_report` -> `PrivacyReport` (rows stored about the member by table, the group's retention,
  the opt-out flag), the data behind /privacy.
- `tracking.py`: `set_tracking` for /optout and /optin (ingest honours the flag: nothing of an opted-out member
  is tracked).
- `forget.py`: /forget in two steps: `request_forget` -> `ForgetRequest` (a stored confirmation and what would go),
  `confirm_forget` -> `ForgetResult`, `cancel_forget`.

Every function takes a session and runs off the event loop (`await ctx.db(fn, ...)`). The SQL, including the
schema walk that finds every member row of a group, is in `storage/crud/privacy.py`; the wording of the answers
(table names, "3 messages, 1 reaction") is in `bot/commands/privacy.py`.
"""
