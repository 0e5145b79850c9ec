"""Members: one person across platforms, and where they are in time.

- `linking.py`: one-time link codes (`/link`) that merge a person's Telegram and Discord accounts into one member;
  `redeem_code` returns a `RedeemResult` (outcome, rows moved, the other platform) for the bot to word.
- `timezones.py`: resolve what a member typed ("Europe/Berlin", "berlin", "UTC+8") to an IANA zone, validate a
  group's zone, and show a time in a zone ("Mon 27 Nov 18:00 (UTC+1)").

Store work goes through `storage/crud/core.py` (accounts, memberships) and `storage/crud/identity.py` (codes, the
merge); the handlers are `bot/commands/link.py` and `bot/commands/settings.py` (`/settings timezone`).
"""
